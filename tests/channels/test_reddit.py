"""Reddit through the contract suite, plus what only Reddit has: OAuth tokens, Listings
walked with `before`/`after` and a seen-set, `/api/info` reconciliation, `json.errors`."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest

from panal.channels import intake, replies
from panal.channels.base import AuthFailed, RateLimited, Rejected, connector_for
from panal.channels.models import OutboundMessage
from panal.channels.reddit import wire
from panal.channels.runner import poll_once
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.reddit import FakeReddit

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/reddit/fixtures"
CLIENT_ID = "p-jcoLKBynTLew"
SECRET = "gko_LXELoV07ZBNUXrvWZfzE3aI"
USER = "acme_support"
PASSWORD = "correct horse"
AGENT = "server:es.acme.panal:v0.1.0 (by /u/acme_support)"
CREATED = [
    "submission__es.json", "comment__en.json", "comment__hostile.json", "message__rtl.json",
    "mention__emoji.json", "comment__long.json",
]  # fmt: skip


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def comment(number: int, *, sub: str = "acme", body: str = "", parent: str = "t3_1gq7x2a") -> dict:
    id36 = f"c{number:05d}"
    return {
        "kind": "t1",
        "data": {
            "id": id36,
            "name": f"t1_{id36}",
            "author": f"user{number}",
            "author_fullname": f"t2_u{number}",
            "body": body or f"comentario {number}",
            "parent_id": parent,
            "link_id": "t3_1gq7x2a",
            "subreddit": sub,
            "created_utc": 1795001000.0 + number,
            "edited": False,
            "permalink": f"/r/{sub}/comments/1gq7x2a/_/{id36}/",
            "score": 1,
        },
    }


def post(number: int, title: str, sub: str = "acme") -> dict:
    id36 = f"p{number:05d}"
    return {
        "kind": "t3",
        "data": {
            "id": id36,
            "name": f"t3_{id36}",
            "author": f"user{number}",
            "author_fullname": f"t2_u{number}",
            "title": title,
            "selftext": "",
            "is_self": False,
            "url": f"https://acme.example/{number}",
            "subreddit": sub,
            "created_utc": 1795001000.0 + number,
            "edited": False,
            "permalink": f"/r/{sub}/comments/{id36}/_/",
            "score": 1,
            "num_comments": 0,
        },
    }


class RedditHarness(Harness):
    kind = "reddit"

    def start(self, **settings):
        self.fake = FakeReddit(
            client_id=CLIENT_ID, client_secret=SECRET, username=USER, password=PASSWORD
        ).start()
        self.account = builders.channel_account(
            self.org, kind="reddit", slug="acme-reddit", name="Acme en Reddit", secrets=[]
        )
        self.account.settings = {
            "base_url": self.fake.base_url,
            "token_url": f"{self.fake.base_url}/api/v1/access_token",
            "client_id": CLIENT_ID,
            "username": USER,
            "subreddits": ["acme"],
            "user_agent": AGENT,
            **settings,
        }
        self.account.credentials = {"client_secret": SECRET, "password": PASSWORD}
        self.account.save()

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for name in CREATED:
            thing = load(name)
            kind, data = thing["kind"], thing["data"]
            out.append(
                Sample(
                    external_id=data["name"],
                    text=wire.text_of(kind, data),
                    author_handle=data["author"],
                    author_external_id=data["author_fullname"],
                    thread_external_id=wire.thread_of(kind, data),
                    in_reply_to_external_id=data.get("parent_id") or "",
                    data=thing,
                )
            )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        if event == "created":
            self.fake.publish(copy.deepcopy(sample.data))
        elif event == "edited":
            self.fake.edit(sample.external_id, new_text)
        else:
            self.fake.delete(sample.external_id)

    def collect(self):
        self.account.refresh_from_db()
        poll_once(self.account)

    def redeliver(self):
        self.fake.overlap_next(times=10)  # every listing of the next poll starts again

    def replies_received(self):
        return [{"text": s["text"], "in_reply_to": s["thing_id"]} for s in self.fake.sent]

    def echo_replies(self):
        # Reddit lists our reply in the subreddit's comments as it lists anyone's; the
        # fake did that when it accepted it.
        assert self.fake.sent

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)

    def cursor_sent(self):
        listings = self.fake.seen("GET", r"^/r/[^/]+/(comments|new)$")
        sent = [r.arg("before") or r.arg("after") for r in listings]
        return next((s for s in reversed(sent) if s), None)


class TestReddit(Contract):
    harness = RedditHarness


@pytest.fixture
def reddit(org):
    harness = RedditHarness(org)
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()
        clock.set_now(None)


def ids(account) -> set[str]:
    return set(Mention.objects.filter(account=account).values_list("external_id", flat=True))


# --- mapping ------------------------------------------------------------------------


def test_fields_come_from_the_things(reddit):
    for sample in reddit.samples():
        reddit.publish(sample)
    reddit.collect()
    post_ = stored(reddit.account, "t3_1gq7x2a")
    assert post_.title == "Acme Móvil lleva dos días sin señal en Valencia"
    assert post_.kind == "post" and post_.visibility == "public"
    assert post_.url.startswith("https://www.reddit.com/r/acme/comments/1gq7x2a/")
    assert post_.metrics == {"score": 14, "comments": 3}
    assert post_.raw["subreddit"] == "acme"
    reply = stored(reddit.account, "t1_lw3m0aa")
    assert (reply.kind, reply.thread_external_id, reply.in_reply_to_external_id) == (
        "reply",
        "t3_1gq7x2a",
        "t1_lw3k9de",
    )
    dm = stored(reddit.account, "t4_2b9xq1")
    assert (dm.kind, dm.visibility, dm.reply_capability) == (
        "direct_message",
        "private",
        "private_reply",
    )
    mention = stored(reddit.account, "t1_lw3p7zz")
    assert mention.kind == "mention" and mention.thread_external_id == "t3_1gq9aaa"
    assert (
        mention.url
        == "https://www.reddit.com/r/spain/comments/1gq9aaa/fibra_en_casa/lw3p7zz/?context=3"
    )
    assert mention.created_at.timestamp() == 1795000400.0


def test_hostile_text_is_stored_as_typed_because_raw_json_is_asked(reddit):
    sample = reddit.samples()[2]
    reddit.publish(sample)
    reddit.collect()
    assert stored(reddit.account, sample.external_id).text == sample.data["data"]["body"]
    assert "&amp;amp;" not in stored(reddit.account, sample.external_id).text
    assert all(r.arg("raw_json") == "1" for r in reddit.fake.seen("GET", r"^/(r|api|message)/"))


def test_an_old_style_edited_true_is_not_a_date():
    thing = load("comment__en.json")
    thing["data"]["edited"] = True
    assert wire.item_of(thing).edited_at is None


# --- OAuth --------------------------------------------------------------------------


def test_the_token_is_fetched_once_with_basic_auth_and_renewed_before_it_expires(reddit):
    reddit.publish(reddit.samples()[0])
    reddit.collect()
    reddit.collect()
    assert len(reddit.fake.token_requests) == 1
    assert reddit.fake.token_requests[0] == {
        "grant_type": "password",
        "username": USER,
        "password": PASSWORD,
    }
    clock.set_now(clock.now() + timedelta(seconds=3600 - 60))  # inside the 2-minute margin
    reddit.collect()
    assert len(reddit.fake.token_requests) == 2


def test_a_refused_token_is_renewed_once(reddit):
    reddit.publish(reddit.samples()[0])
    reddit.collect()
    reddit.fake.revoke_tokens()
    reddit.publish(reddit.samples()[1])
    reddit.collect()
    assert len(reddit.fake.token_requests) == 2
    assert "t1_lw3k9de" in ids(reddit.account)


def test_a_revoked_password_disconnects_the_account(reddit):
    reddit.collect()
    reddit.fake.revoke_tokens()
    reddit.fake.password = "changed elsewhere"
    with pytest.raises(AuthFailed, match="invalid_grant"):
        reddit.collect()
    reddit.account.refresh_from_db()
    assert reddit.account.health == "disconnected"


def test_a_wrong_client_secret_is_an_auth_failure(reddit):
    reddit.account.credentials = {"client_secret": "wrong", "password": PASSWORD}
    reddit.account.save()
    with pytest.raises(AuthFailed):
        reddit.collect()


def test_a_malformed_user_agent_is_refused_before_calling(reddit):
    reddit.account.settings["user_agent"] = "python-requests/2.32"
    reddit.account.save()
    with pytest.raises(AuthFailed, match="user_agent"):
        reddit.collect()
    assert not reddit.fake.seen()


def test_the_default_user_agent_names_the_account(reddit):
    del reddit.account.settings["user_agent"]
    reddit.account.save()
    reddit.collect()
    agent = reddit.fake.seen("GET")[0].headers["user-agent"]
    assert agent == f"server:panal.{CLIENT_ID}:v0.1.0 (by /u/{USER})"


def test_read_only_client_credentials_poll_but_refuse_replies(org, users):
    harness = RedditHarness(org)
    harness.start(username="", search_queries=["acme"])
    try:
        harness.publish(harness.samples()[0])
        harness.collect()
        assert harness.fake.token_requests == [{"grant_type": "client_credentials"}]
        assert not harness.fake.seen("GET", r"^/message/")
        mention = stored(harness.account, "t3_1gq7x2a")
        reason = replies.refusal(mention, "Hola")
        assert reason and "cannot reply" in reason
    finally:
        harness.stop()


def test_check_reads_who_we_are(reddit):
    connector = connector_for("reddit")
    http = connector.make_http(reddit.account)
    try:
        found = connector.check(reddit.account, http)
    finally:
        http.close()
    assert found.handle == USER
    assert found.self_ids == ("t2_1acme", USER)


# --- listings -------------------------------------------------------------------------


def test_a_burst_is_walked_forward_with_before_without_gaps(reddit):
    reddit.fake.publish(comment(0))
    reddit.collect()
    for number in range(1, 251):
        reddit.fake.publish(comment(number))
    reddit.collect()
    assert ids(reddit.account) == {f"t1_c{n:05d}" for n in range(251)}
    befores = [r.arg("before") for r in reddit.fake.seen("GET", r"/r/acme/comments$")]
    assert befores[1:4] == ["t1_c00000", "t1_c00100", "t1_c00200"]


def test_the_first_run_reads_one_page_only(reddit):
    for number in range(150):
        reddit.fake.publish(comment(number))
    reddit.collect()
    assert len(ids(reddit.account)) == 100


def test_a_deleted_anchor_makes_the_source_scan_from_the_top(reddit):
    reddit.fake.publish(comment(1))
    reddit.fake.publish(comment(2))
    reddit.collect()
    reddit.fake.delete("t1_c00002")  # the newest we had: `before=` would now find nothing
    reddit.fake.publish(comment(3))
    reddit.collect()
    assert "t1_c00003" in ids(reddit.account)
    assert stored(reddit.account, "t1_c00002").deleted_at is not None
    last = reddit.fake.seen("GET", r"/r/acme/comments$")[-1]
    assert last.arg("before") is None


def test_search_pages_with_after_until_it_meets_what_it_has_seen(org):
    harness = RedditHarness(org)
    harness.start(subreddits=[], search_queries=["fibra"])
    try:
        harness.fake.publish(post(0, "Fibra caída"))
        harness.collect()
        for number in range(1, 231):
            harness.fake.publish(post(number, f"Sin fibra otra vez ({number})"))
        harness.fake.publish(post(999, "Nada que ver"))
        harness.collect()
        assert ids(harness.account) == {f"t3_p{n:05d}" for n in range(231)}
        searches = harness.fake.seen("GET", r"^/search$")
        assert [s.arg("after") for s in searches[1:]] == [None, "t3_p00131", "t3_p00031"]
        assert all(s.arg("q") == "fibra" and s.arg("sort") == "new" for s in searches)
    finally:
        harness.stop()


def test_the_seen_set_survives_a_restart_and_an_overlap(reddit):
    for number in range(5):
        reddit.fake.publish(comment(number))
    reddit.collect()
    cursor = intake.load_cursor(reddit.account)
    assert cursor["sources"]["r/acme/comments"]["newest"] == "t1_c00004"
    assert cursor["sources"]["r/acme/comments"]["seen"][:2] == ["t1_c00004", "t1_c00003"]
    reddit.fake.overlap_next(times=10)  # the network repeats what we already have
    reddit.fake.publish(comment(5))
    reddit.collect()
    assert Mention.objects.filter(account=reddit.account).count() == 6


def test_the_inbox_and_mentions_are_read_for_the_account(reddit):
    samples = {s.external_id: s for s in reddit.samples()}
    reddit.publish(samples["t4_2b9xq1"])
    reddit.publish(samples["t1_lw3p7zz"])
    reddit.collect()
    assert {"t4_2b9xq1", "t1_lw3p7zz"} <= ids(reddit.account)
    boxes = {r.path for r in reddit.fake.seen("GET", r"^/message/")}
    assert boxes == {"/message/inbox", "/message/mentions"}


def test_a_bad_subreddit_name_is_reported_and_the_rest_read(org):
    harness = RedditHarness(org)
    harness.start(subreddits=["../etc", "r/acme"])
    try:
        harness.fake.publish(comment(1))
        connector = connector_for("reddit")
        http = connector.make_http(harness.account)
        try:
            page = connector.poll(harness.account, http, {})
        finally:
            http.close()
        assert any("../etc" in e for e in page.errors)
        assert [i.external_id for i in page.items] == ["t1_c00001"]
    finally:
        harness.stop()


def test_a_private_subreddit_is_skipped_and_the_others_read(org):
    harness = RedditHarness(org)
    harness.start(subreddits=["acme", "secreto"])
    try:
        harness.fake.make_private("secreto")
        harness.fake.publish(comment(1))
        harness.collect()
        assert ids(harness.account) == {"t1_c00001"}
        harness.fake.make_private("acme")
        harness.account.settings["username"] = ""  # no inbox: every source is refused
        harness.account.save()
        with pytest.raises(Rejected, match="403"):
            harness.collect()
    finally:
        harness.stop()


# --- reconciliation -----------------------------------------------------------------------


def test_edits_and_removals_are_found_with_api_info(reddit):
    for number in range(3):
        reddit.fake.publish(comment(number))
    reddit.collect()
    reddit.fake.edit("t1_c00000", "editado: ya va bien")
    reddit.fake.remove("t1_c00001")
    reddit.collect()
    edited = stored(reddit.account, "t1_c00000")
    assert edited.text == "editado: ya va bien" and edited.edited_at is not None
    assert stored(reddit.account, "t1_c00001").deleted_at is not None
    info = reddit.fake.seen("GET", r"^/api/info$")[-1]
    assert set(info.arg("id").split(",")) >= {"t1_c00000", "t1_c00001", "t1_c00002"}
    reddit.collect()  # nothing changes twice
    assert edited.versions.count() == 1


def test_items_older_than_the_window_are_not_read_again(reddit):
    reddit.fake.publish(comment(0))
    reddit.collect()
    clock.set_now(clock.now() + timedelta(hours=25))
    reddit.fake.revoke_tokens()
    reddit.fake.edit("t1_c00000", "demasiado tarde")
    reddit.collect()
    assert stored(reddit.account, "t1_c00000").text == "comentario 0"
    assert intake.load_cursor(reddit.account)["recent"] == {}


def test_a_ninja_edit_without_the_edited_flag_is_still_an_edit(reddit):
    reddit.fake.publish(comment(0))
    reddit.collect()
    reddit.fake.things["t1_c00000"]["data"]["body"] = "cambiado en el primer minuto"
    reddit.collect()
    mention = stored(reddit.account, "t1_c00000")
    assert mention.text == "cambiado en el primer minuto"


# --- replies ----------------------------------------------------------------------------


def _queue_reply(harness, users, sample_index=0, text="Gracias, lo miramos."):
    sample = harness.samples()[sample_index]
    harness.publish(sample)
    harness.collect()
    mention = stored(harness.account, sample.external_id)
    return replies.send_reply(users["agent"], mention, text)


def test_the_reply_id_is_the_fullname_reddit_lists(reddit, users):
    message = _queue_reply(reddit, users, 1)
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "sent"
    sent = reddit.fake.sent[0]
    assert message.external_id == sent["name"] and sent["name"].startswith("t1_")
    assert message.url == f"https://www.reddit.com/r/acme/comments/1gq7x2a/_/{sent['name'][3:]}/"
    form = reddit.fake.seen("POST", r"^/api/comment$")[0].form()
    assert form == {"api_type": "json", "thing_id": "t1_lw3k9de", "text": "Gracias, lo miramos."}
    reddit.collect()
    assert sent["name"] not in ids(reddit.account)


def test_a_private_message_is_answered_with_a_message(reddit, users):
    message = _queue_reply(reddit, users, 3, "Te escribimos por privado.")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "sent" and message.external_id.startswith("t4_")


def test_a_ratelimit_error_in_the_body_waits_as_long_as_it_says(reddit, users):
    message = _queue_reply(reddit, users)
    reddit.fake.ratelimit_comment_next()
    now = clock.now()
    clock.set_now(now)
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.next_attempt_at == now + timedelta(minutes=9)
    assert not reddit.fake.sent


def test_a_reply_to_a_deleted_comment_fails_with_reddits_reason(reddit, users):
    message = _queue_reply(reddit, users, 1)
    reddit.fake.delete("t1_lw3k9de")
    replies.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "DELETED_COMMENT" in message.error


def test_a_reply_longer_than_10000_characters_is_refused_before_sending(reddit):
    sample = reddit.samples()[0]
    reddit.publish(sample)
    reddit.collect()
    mention = stored(reddit.account, sample.external_id)
    assert "10000" in replies.refusal(mention, "a" * 10_001)
    assert replies.refusal(mention, "a" * 10_000) is None


def test_wait_texts_are_read():
    now = clock.now()
    assert wire_wait("Take a break for 30 seconds before trying again.", now) == now + timedelta(
        seconds=30
    )
    assert wire_wait("you are doing that too much. try again in 2 minutes.", now) == (
        now + timedelta(minutes=2)
    )
    assert wire_wait("no idea", now) == now + timedelta(seconds=60)


def wire_wait(message, now):
    from panal.channels.reddit.connector import wait_of

    return wait_of(message, None, now)


# --- rate-limit headers -------------------------------------------------------------------


def test_a_spent_budget_pauses_before_the_next_call(reddit):
    reddit.collect()
    reddit.fake.spend_budget(remaining=1)
    with pytest.raises(RateLimited) as raised:
        reddit.collect()
    wait = raised.value.retry_at - clock.now()
    assert timedelta(seconds=0) < wait <= timedelta(seconds=600)
    reddit.account.refresh_from_db()
    assert reddit.account.paused_until == raised.value.retry_at


def test_settings_are_documented():
    text = (Path(__file__).resolve().parents[2] / "docs/channels/reddit.md").read_text()
    assert [s.name for s in connector_for("reddit").settings if f"`{s.name}`" not in text] == []
