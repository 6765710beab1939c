"""The contract every channel connector passes, against its network's local fake server.

A network's test module subclasses `Contract` with a `Harness` that knows how to make
the fake network emit things and how our side takes them in:

    class TestTelegram(Contract):
        harness = TelegramHarness

The same tests then run for every network: parse (every sample fixture — Spanish,
English, hostile strings, RTL, emoji, long text — stored with its text, author and
thread), bad signature (push: 401/403, nothing stored), malformed body (push: 4xx, kept
for inspection), redelivery / stream overlap (nothing twice), edit (a version), delete
(a tombstone), reply round trip (the fake receives the reply in the network's format,
the outbound message records the network's id, and the echo of our own reply is not a
new mention), rate limit (the account pauses until the network's reset), and
restart-resume (a new poll starts from the stored cursor: no gaps, no duplicates).
A harness states what its network cannot do (`can_edit = False`, with a reason)
rather than skipping silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from panal.channels import deliveries, intake, replies
from panal.channels.base import Capability, RateLimited, connector_for
from panal.channels.models import ChannelAccount, InboundDelivery, OutboundMessage
from panal.core import clock
from panal.listening.models import Mention, MentionVersion


@dataclass
class Sample:
    """One thing a stranger says on the network, as the fixtures hold it."""

    external_id: str  # as Panal stores it (namespaced where the network's id is not global)
    text: str  # the plain text Panal must store
    author_handle: str = ""
    author_external_id: str = ""
    thread_external_id: str = ""
    in_reply_to_external_id: str = ""
    lang: str = ""
    data: dict = field(default_factory=dict)  # the network's own object, for the fake


class Harness:
    """What the contract needs from one network's test set-up. Override every method."""

    kind: str = ""
    can_edit: bool = True
    can_delete: bool = True
    why_not: str = ""  # when can_edit / can_delete is False: the network's reason

    def __init__(self, org):
        self.org = org
        self.account: ChannelAccount | None = None

    # set-up
    def start(self) -> None:
        """Start the fake server(s) and create `self.account` pointing at them."""
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def samples(self) -> list[Sample]:
        """At least: Spanish, English, hostile (HTML/script, CSV formula), RTL, emoji, long."""
        raise NotImplementedError

    # inbound
    def publish(self, sample: Sample, event: str = "created", *, new_text: str = "") -> None:
        """Make the network emit `sample` as created, edited (to `new_text`) or deleted."""
        raise NotImplementedError

    def collect(self) -> None:
        """Let our side take in what the network emitted (drain pushes, or poll/stream)."""
        raise NotImplementedError

    def redeliver(self) -> None:
        """Make the network send the last emission again (retry, overlap, re-poll)."""
        raise NotImplementedError

    # push only
    def post_forged(self, sample: Sample):
        """POST `sample` with a wrong signature or token; return the Django response."""
        raise NotImplementedError

    def post_malformed(self):
        """POST a correctly signed body that is not readable; return the Django response."""
        raise NotImplementedError

    # replies
    def replies_received(self) -> list[dict]:
        """Replies the fake network accepted: dicts with at least "text" and "in_reply_to"."""
        raise NotImplementedError

    def echo_replies(self) -> None:
        """Make the network emit our own accepted replies as it would (stream, webhook)."""
        raise NotImplementedError

    def reply_target_id(self, sample: Sample) -> str:
        """The id the fake must see as "in_reply_to" for a reply to `sample`."""
        return sample.external_id

    # limits
    def rate_limit_next(self, seconds: int) -> None:
        """Make the network's next answer a rate-limit refusal with its own headers/body."""
        raise NotImplementedError

    # pull only
    def cursor_sent(self) -> str | None:
        """The cursor the last poll sent to the network (since_id, after, cursor…)."""
        raise NotImplementedError


def stored(account, external_id: str) -> Mention | None:
    return Mention.objects.filter(account=account, external_id=external_id).first()


class Contract:
    """The shared tests; subclasses set `harness`."""

    harness: type[Harness]

    @pytest.fixture
    def h(self, org, users):
        harness = self.harness(org)
        harness.start()
        harness.users = users
        try:
            yield harness
        finally:
            harness.stop()

    def connector(self, h: Harness):
        return connector_for(h.account.kind)

    def pushes(self, h: Harness) -> bool:
        return Capability.PUSH in self.connector(h).capabilities

    def pulls(self, h: Harness) -> bool:
        return bool(self.connector(h).capabilities & {Capability.POLL, Capability.STREAM})

    # -- parse ---------------------------------------------------------------------
    def test_every_sample_is_stored_faithfully(self, h):
        samples = h.samples()
        assert len(samples) >= 6, "fixtures must cover es, en, hostile, RTL, emoji and long text"
        for sample in samples:
            h.publish(sample)
        h.collect()
        for sample in samples:
            mention = stored(h.account, sample.external_id)
            assert mention is not None, f"{sample.external_id} was not stored"
            assert mention.text == sample.text
            assert mention.channel == h.account.kind
            if sample.author_handle:
                assert mention.author_handle == sample.author_handle
            if sample.author_external_id:
                assert mention.author_external_id == sample.author_external_id
            if sample.thread_external_id:
                assert mention.thread_external_id == sample.thread_external_id
            if sample.in_reply_to_external_id:
                assert mention.in_reply_to_external_id == sample.in_reply_to_external_id
            if sample.lang:
                assert mention.lang == sample.lang
        assert Mention.objects.filter(account=h.account).count() == len(samples)

    # -- push guarantees -----------------------------------------------------------
    def test_a_forged_delivery_is_refused_and_not_kept(self, h):
        if not self.pushes(h):
            pytest.skip("pull-only network: nothing is pushed to us")
        before = InboundDelivery.objects.count()
        response = h.post_forged(h.samples()[0])
        assert response.status_code in (401, 403)
        assert "error" in response.json()
        h.collect()
        assert InboundDelivery.objects.count() == before
        assert not Mention.objects.filter(account=h.account).exists()

    def test_a_malformed_delivery_is_kept_for_inspection(self, h):
        if not self.pushes(h):
            pytest.skip("pull-only network: nothing is pushed to us")
        response = h.post_malformed()
        assert 400 <= response.status_code < 500
        kept = InboundDelivery.objects.filter(
            account=h.account, status=InboundDelivery.Status.MALFORMED
        )
        assert kept.count() == 1 and kept.get().error

    # -- idempotency, edits, deletes -----------------------------------------------
    def test_redelivery_stores_nothing_twice(self, h):
        sample = h.samples()[0]
        h.publish(sample)
        h.collect()
        h.redeliver()
        h.collect()
        assert (
            Mention.objects.filter(account=h.account, external_id=sample.external_id).count() == 1
        )
        assert MentionVersion.objects.filter(mention__account=h.account).count() == 0

    def test_an_edit_is_recorded_as_a_version(self, h):
        if not h.can_edit:
            pytest.skip(h.why_not)
        sample = h.samples()[1]
        h.publish(sample)
        h.collect()
        h.publish(sample, "edited", new_text="Texto corregido: ya funciona 👍")
        h.collect()
        mention = stored(h.account, sample.external_id)
        assert mention.text == "Texto corregido: ya funciona 👍"
        assert mention.edited_at is not None
        assert [v.text for v in mention.versions.all()] == [sample.text]

    def test_a_delete_leaves_a_tombstone(self, h):
        if not h.can_delete:
            pytest.skip(h.why_not)
        sample = h.samples()[0]
        h.publish(sample)
        h.collect()
        h.publish(sample, "deleted")
        h.collect()
        mention = stored(h.account, sample.external_id)
        assert mention is not None and mention.deleted_at is not None

    # -- replies -------------------------------------------------------------------
    def _reply(self, h, sample, text="¡Gracias! Lo revisamos hoy mismo."):
        h.publish(sample)
        h.collect()
        mention = stored(h.account, sample.external_id)
        message = replies.send_reply(h.users["agent"], mention, text)
        replies.deliver(message.pk)
        message.refresh_from_db()
        return mention, message

    def test_a_reply_round_trip(self, h):
        if Capability.REPLY not in self.connector(h).capabilities:
            pytest.skip("this network takes no replies")
        sample = h.samples()[0]
        _mention, message = self._reply(h, sample)
        assert message.status == OutboundMessage.Status.SENT, message.error
        assert message.external_id
        received = h.replies_received()
        assert [r["text"] for r in received] == ["¡Gracias! Lo revisamos hoy mismo."]
        assert received[0]["in_reply_to"] == h.reply_target_id(sample)
        # Our own reply coming back from the network is not a new mention.
        count = Mention.objects.filter(account=h.account).count()
        h.echo_replies()
        h.collect()
        assert Mention.objects.filter(account=h.account).count() == count

    def test_a_rate_limited_reply_waits_for_the_reset(self, h):
        if Capability.REPLY not in self.connector(h).capabilities:
            pytest.skip("this network takes no replies")
        sample = h.samples()[0]
        h.publish(sample)
        h.collect()
        mention = stored(h.account, sample.external_id)
        message = replies.send_reply(h.users["agent"], mention, "Un momento, por favor.")
        h.rate_limit_next(120)
        replies.deliver(message.pk)
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.QUEUED
        assert message.next_attempt_at is not None
        wait = message.next_attempt_at - clock.now()
        assert timedelta(seconds=60) < wait <= timedelta(seconds=125)
        assert not h.replies_received()
        # Once the time has come it goes.
        message.next_attempt_at = clock.now() - timedelta(seconds=1)
        message.save(update_fields=["next_attempt_at"])
        replies.deliver(message.pk)
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.SENT, message.error

    # -- pulling -------------------------------------------------------------------
    def test_a_rate_limited_poll_pauses_the_account(self, h):
        if not self.pulls(h):
            pytest.skip("push-only network: we never poll it")
        h.rate_limit_next(90)
        with pytest.raises(RateLimited) as raised:
            self.poll(h)
        h.account.refresh_from_db()
        assert h.account.paused_until == raised.value.retry_at
        wait = h.account.paused_until - clock.now()
        assert timedelta(seconds=30) < wait <= timedelta(seconds=95)

    def test_a_restart_resumes_from_the_stored_cursor(self, h):
        if not self.pulls(h):
            pytest.skip("push-only network: the network keeps no cursor for us")
        first, second = h.samples()[:3], h.samples()[3:]
        for sample in first:
            h.publish(sample)
        h.collect()
        cursor = intake.load_cursor(h.account)
        assert cursor, "the cursor is stored with what was read"
        for sample in second:
            h.publish(sample)
        h.collect()  # a fresh poll, as after a restart: only the stored cursor carries over
        assert h.cursor_sent(), "the poll after a restart sends the stored cursor"
        ids = list(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
        assert sorted(ids) == sorted(s.external_id for s in h.samples())

    def poll(self, h):
        from panal.channels.runner import poll_once

        h.account.refresh_from_db()
        return poll_once(h.account)


def drain() -> int:
    return deliveries.drain_all()
