"""Instagram (comments, mentions, Direct) through the contract suite, plus its own rules."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client

from panal.channels import replies
from panal.channels.base import connector_for
from panal.channels.models import InboundDelivery, OutboundMessage
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.meta_graph import FakeGraph, MetaSender, change_entry

from .contract import Contract, Sample, stored
from .meta_harness import MetaHarness

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/instagram/fixtures"
TOKEN = "IGQWRFakeInstagramToken0123"
APP_SECRET = "ig-app-secret-4567"
VERIFY = "panal-ig-verify"
IG_ID = "17841400000000001"
MEDIA = "17900000000000001"
SAMPLES = [
    "messages__text_es.json", "messages__text_en.json", "comments__hostile.json",
    "comments__reply_rtl.json", "live_comments__emoji.json", "comments__long.json",
]  # fmt: skip


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def now_ms(delta: timedelta = timedelta()) -> int:
    return int((clock.now() + delta).timestamp() * 1000)


class InstagramHarness(MetaHarness):
    kind = "instagram"

    def start(self):
        self.graph = FakeGraph(
            token=TOKEN,
            app_secret=APP_SECRET,
            page_id="104857600999999",
            ig_user_id=IG_ID,
            ig_username="acme.moda",
            mode="instagram",
            now=lambda: clock.now().timestamp(),
        ).start()
        self.sender = MetaSender(APP_SECRET, "instagram", self.graph)
        self.account = builders.channel_account(
            self.org, kind="instagram", slug="acme-ig", name="Acme Moda", secrets=[]
        )
        self.account.settings = {
            "base_url": self.graph.base_url + "/v21.0",
            "verify_token": VERIFY,
            "ig_user_id": IG_ID,
        }
        self.account.credentials = {"app_secret": APP_SECRET, "access_token": TOKEN}
        self.account.self_ids = [IG_ID]
        self.account.save()
        self.client = Client()
        self.last: tuple[bytes, dict] | None = None

    @property
    def path(self) -> str:
        return f"/hooks/instagram/{self.account.slug}/"

    def samples(self):
        out = []
        for name in SAMPLES:
            body = load(name)
            entry = body["entry"][0]
            if "changes" in entry:
                value = entry["changes"][0]["value"]
                out.append(
                    Sample(
                        external_id=value["id"],
                        text=value["text"],
                        author_handle=value["from"]["username"],
                        author_external_id=value["from"]["id"],
                        thread_external_id=value["media"]["id"],
                        in_reply_to_external_id=value.get("parent_id") or value["media"]["id"],
                        data=body,
                    )
                )
            else:
                event = entry["messaging"][0]
                out.append(
                    Sample(
                        external_id=event["message"]["mid"],
                        text=event["message"]["text"],
                        author_external_id=event["sender"]["id"],
                        thread_external_id=event["sender"]["id"],
                        data=body,
                    )
                )
        return out

    def publish(self, sample, event="created", *, new_text=""):
        payload = copy.deepcopy(sample.data)
        entry = payload["entry"][0]
        if "changes" in entry:
            if event != "created":
                raise AssertionError("Instagram sends no webhook for comment edits or deletes")
        else:
            message = entry["messaging"][0]
            message["timestamp"] = now_ms()  # the person writes now: the window is open
            if event == "edited":
                mid = message.pop("message")["mid"]
                message["message_edit"] = {"mid": mid, "text": new_text, "num_edit": 1}
            elif event == "deleted":
                message["message"] = {"mid": message["message"]["mid"], "is_deleted": True}
        self.deliver(payload["entry"])

    def post_malformed(self):
        return self.post(b'{"object":"instagram","entry":{"id":"17841400000000001"}}')

    def reply_target_id(self, sample):
        if "messaging" in sample.data["entry"][0]:
            return sample.thread_external_id  # a Direct answer goes to the person
        return sample.external_id

    def rate_limit_next(self, seconds):
        self.graph.throttle_next(seconds, code=4)


class TestInstagram(Contract):
    harness = InstagramHarness


@pytest.fixture
def h(org, users):
    harness = InstagramHarness(org)
    harness.start()
    harness.users = users
    try:
        yield harness
    finally:
        harness.stop()


def deliver(h, *names):
    for name in names:
        h.deliver(load(name)["entry"])
    h.collect()


def dm(h, name="messages__text_es.json", *, age=timedelta()):
    payload = load(name)
    event = payload["entry"][0]["messaging"][0]
    event["timestamp"] = now_ms(-age)
    h.deliver(payload["entry"])
    h.collect()
    return stored(h.account, event["message"]["mid"])


def reply(h, mention, text="¡Gracias! Te escribimos por privado."):
    message = replies.send_reply(h.users["agent"], mention, text)
    replies.deliver(message.pk)
    message.refresh_from_db()
    return message


def test_the_subscription_handshake(h):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"}
    assert h.client.get(h.path, query).content == b"42"
    assert h.client.get(h.path, {**query, "hub.verify_token": "nope"}).status_code == 403


def test_meta_escaped_bytes_are_verified_as_they_came(h):
    body = h.sender.body(load("comments__reply_rtl.json")["entry"])
    assert body.isascii() and b"\\u05d4" in body and b"\\ud83d\\ude1e" in body
    headers = h.sender.headers(body)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    assert h.post(reserialised, headers).status_code == 401
    assert h.post(body, headers).status_code == 200
    h.collect()
    mention = stored(h.account, "17850000000000002")
    assert mention.text == "המשלוח שלי לא הגיע כבר שבועיים 😞 متى يصل الطلب؟"
    assert (mention.kind, mention.author_handle) == ("reply", "noa.levi")


def test_one_bad_event_in_a_batch_is_recorded_and_the_rest_stored(h):
    deliver(h, "batch__mixed.json")
    ids = set(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert ids == {"17850000000000020", "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjBatch"}
    error = InboundDelivery.objects.get(account=h.account).error
    assert "a comment without id" in error
    assert "carries no text" in error  # an ids-only mention: its text needs a Graph call
    assert "'created_at' is not a date" in error


def test_echoes_and_our_own_comments_are_skipped(h):
    h.account.self_ids = []
    h.account.save()
    own = load("comments__hostile.json")
    own["entry"][0]["changes"][0]["value"]["from"] = {"id": IG_ID, "username": "acme.moda"}
    h.deliver(own["entry"])
    deliver(h, "messages__echo.json")
    assert not Mention.objects.filter(account=h.account).exists()


def test_a_story_mention_is_a_direct_message_with_its_media(h):
    mention = dm(h, "messages__story_mention.json")
    assert mention.text == "[story_mention]" and mention.media[0]["type"] == "story_mention"
    assert mention.media[0]["url"].startswith("https://lookaside.fbsbx.com/")


def test_live_comments_keep_their_field_and_media_type(h):
    deliver(h, "live_comments__emoji.json")
    mention = stored(h.account, "17850000000000003")
    assert mention.raw["field"] == "live_comments"
    assert mention.raw["media_product_type"] == "REELS"
    assert mention.thread_external_id == "17900000000000002"


def test_an_unsent_message_leaves_a_tombstone(h):
    dm(h)
    deliver(h, "messages__deleted.json")
    mention = stored(
        h.account, load("messages__deleted.json")["entry"][0]["messaging"][0]["message"]["mid"]
    )
    assert mention.deleted_at is not None
    assert "deleted" in replies.refusal(mention, "Hola")


def test_a_comment_reply_goes_to_replies_and_its_echo_is_dropped(h):
    deliver(h, "comments__hostile.json")
    mention = stored(h.account, "17850000000000001")
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.SENT, message.error
    request = h.graph.seen("POST", r"/replies$")[0]
    assert request.path.endswith("/17850000000000001/replies")
    assert request.json() == {"message": "¡Gracias! Te escribimos por privado."}
    assert message.external_id == h.graph.sent[0]["id"]
    h.echo_replies()
    h.collect()
    assert Mention.objects.filter(account=h.account).count() == 1


def test_an_answer_to_a_reply_goes_under_the_top_comment(h):
    h.graph.ig_comments["17850000000000000"] = MEDIA  # the parent exists on Instagram
    deliver(h, "comments__reply_rtl.json")
    message = reply(h, stored(h.account, "17850000000000002"))
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert h.graph.sent[0]["target"] == "17850000000000000"


def test_a_mention_is_answered_through_the_mentions_edge(h):
    deliver(h, "mentions__comment.json")
    mention = stored(h.account, "17850000000000009")
    assert mention.kind == "mention" and mention.author_handle == "bea.gz"
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.SENT, message.error
    request = h.graph.seen("POST", r"/mentions$")[0]
    assert request.path.endswith(f"/{IG_ID}/mentions")
    assert request.json() == {
        "media_id": "17900000000000077",
        "comment_id": "17850000000000009",
        "message": "¡Gracias! Te escribimos por privado.",
    }


def test_direct_replies_use_the_window_and_the_human_agent_tag(h):
    fresh = dm(h, age=timedelta(hours=1))
    assert reply(h, fresh).status == OutboundMessage.Status.SENT
    late = dm(h, "messages__text_en.json", age=timedelta(days=3))
    assert reply(h, late).status == OutboundMessage.Status.SENT
    sent = [(s["target"], s["messaging_type"], s["tag"]) for s in h.graph.sent]
    assert sent == [
        ("5100000000000001", "RESPONSE", None),
        ("5100000000000002", "MESSAGE_TAG", "HUMAN_AGENT"),
    ]
    assert h.graph.seen("POST", r"/messages$")[0].path == "/v21.0/me/messages"


def test_after_7_days_a_direct_reply_is_refused(h):
    mention = dm(h, age=timedelta(days=7, hours=1))
    assert "7 days" in replies.refusal(mention, "Hola")


def test_direct_messages_take_1000_bytes_and_comments_2200_characters(h):
    mention = dm(h)
    # 1004 bytes of UTF-8: refused before anything is queued.
    assert "1000" in replies.refusal(mention, "😀" * 251)
    assert reply(h, mention, "😀" * 250).status == OutboundMessage.Status.SENT
    deliver(h, "comments__long.json")
    comment = stored(h.account, "17850000000000004")
    assert len(comment.text) > 2150
    assert "2200" in replies.refusal(comment, "x" * 2201)


def test_a_seen_receipt_marks_our_message_read(h):
    mention = dm(h)
    message = reply(h, mention)
    seen = {
        "sender": {"id": mention.thread_external_id},
        "recipient": {"id": IG_ID},
        "timestamp": now_ms(),
        "read": {"mid": message.external_id},
    }
    h.deliver([{"id": IG_ID, "time": now_ms(), "messaging": [seen]}])
    h.collect()
    message.refresh_from_db()
    assert message.delivery_state == "read"


def test_check_reads_the_instagram_account(h):
    connector = connector_for("instagram")
    with connector.make_http(h.account) as http:
        found = connector.check(h.account, http)
    assert found.handle == "acme.moda" and found.self_ids == (IG_ID,)
    assert h.graph.seen("GET")[-1].path == f"/v21.0/{IG_ID}"
    # Instagram Login without the id set yet: /me names the account and its user_id.
    h.account.settings = {**h.account.settings, "ig_user_id": ""}
    with connector.make_http(h.account) as http:
        found = connector.check(h.account, http)
    assert found.self_ids == (IG_ID,)
    assert h.graph.seen("GET")[-1].arg("fields") == "id,username,user_id"


def test_an_entry_of_another_account_is_not_stored(h):
    h.deliver([change_entry("17841499999999999", "comments", {"id": "1", "text": "x"}, 1)])
    h.collect()
    assert not Mention.objects.filter(account=h.account).exists()
    assert "17841499999999999" in InboundDelivery.objects.get(account=h.account).error
