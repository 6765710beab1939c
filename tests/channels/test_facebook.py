"""Facebook Pages (feed + Messenger) through the contract suite, plus what only Meta has."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client

from panal.channels import replies
from panal.channels.base import AuthFailed, RateLimited, connector_for
from panal.channels.models import InboundDelivery, OutboundMessage
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.meta_graph import FakeGraph, MetaSender

from .contract import Contract, Sample, stored
from .meta_harness import MetaHarness

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/facebook/fixtures"
TOKEN = "EAAGm0PX4ZCpsBAFakePageToken0123"
APP_SECRET = "app-secret-0123"
VERIFY = "panal-verify-7f3a"
PAGE_ID = "104857600123456"
SAMPLES = [
    "feed__comment_es.json", "feed__comment_en.json", "feed__comment_hostile.json",
    "feed__reply_rtl.json", "feed__post_emoji.json", "messages__text_long.json",
    "messages__text_es.json",
]  # fmt: skip


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def now_ms(delta: timedelta = timedelta()) -> int:
    return int((clock.now() + delta).timestamp() * 1000)


class FacebookHarness(MetaHarness):
    kind = "facebook"
    can_delete = True

    def start(self):
        self.graph = FakeGraph(
            token=TOKEN,
            app_secret=APP_SECRET,
            page_id=PAGE_ID,
            now=lambda: clock.now().timestamp(),
        ).start()
        self.sender = MetaSender(APP_SECRET, "page", self.graph)
        self.account = builders.channel_account(
            self.org, kind="facebook", slug="acme-page", name="Acme Móvil", secrets=[]
        )
        self.account.settings = {
            "base_url": self.graph.base_url + "/v21.0",
            "verify_token": VERIFY,
            "page_id": PAGE_ID,
        }
        self.account.credentials = {"app_secret": APP_SECRET, "page_access_token": TOKEN}
        self.account.self_ids = [PAGE_ID]
        self.account.save()
        self.client = Client()
        self.last: tuple[bytes, dict] | None = None

    @property
    def path(self) -> str:
        return f"/hooks/facebook/{self.account.slug}/"

    def samples(self):
        out = []
        for name in SAMPLES:
            body = load(name)
            entry = body["entry"][0]
            if "changes" in entry:
                value = entry["changes"][0]["value"]
                comment = value["item"] == "comment"
                out.append(
                    Sample(
                        external_id=value["comment_id"] if comment else value["post_id"],
                        text=value["message"],
                        author_external_id=value["from"]["id"],
                        thread_external_id=value["post_id"],
                        in_reply_to_external_id=value["parent_id"] if comment else "",
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
            value = entry["changes"][0]["value"]
            if event == "edited":
                value["verb"], value["message"] = "edited", new_text
                entry["time"] = int(clock.now().timestamp())
            elif event == "deleted":
                value["verb"] = "remove"
                value.pop("message", None)
        else:
            message = entry["messaging"][0]
            message["timestamp"] = now_ms()  # the person writes now: the window is open
            if event == "edited":
                mid = message.pop("message")["mid"]
                message["message_edit"] = {"mid": mid, "text": new_text, "num_edit": 1}
            elif event == "deleted":
                raise AssertionError("Messenger sends no webhook when a message is unsent")
        self.deliver(payload["entry"])

    def post_malformed(self):
        return self.post(b'{"object":"page","entry":[{"id":"104857600123456","changes":[')

    def rate_limit_next(self, seconds):
        self.graph.throttle_next(seconds)


class TestFacebook(Contract):
    harness = FacebookHarness


@pytest.fixture
def h(org, users):
    harness = FacebookHarness(org)
    harness.start()
    harness.users = users
    try:
        yield harness
    finally:
        harness.stop()


def dm(h, name="messages__text_es.json", *, age=timedelta(), text=None):
    """Deliver a Messenger message written `age` ago; return the stored mention."""
    payload = load(name)
    event = payload["entry"][0]["messaging"][0]
    event["timestamp"] = now_ms(-age)
    if text is not None:
        event["message"]["text"] = text
    h.deliver(payload["entry"])
    h.collect()
    return stored(h.account, event["message"]["mid"])


def reply(h, mention, text="Hola, lo revisamos ahora mismo."):
    message = replies.send_reply(h.users["agent"], mention, text)
    replies.deliver(message.pk)
    message.refresh_from_db()
    return message


# --- the webhook -----------------------------------------------------------------------


def test_the_subscription_handshake_answers_the_challenge(h):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    response = h.client.get(h.path, query)
    assert response.status_code == 200 and response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")
    wrong = h.client.get(h.path, {**query, "hub.verify_token": "guessed"})
    assert wrong.status_code == 403 and "verify_token" in wrong.json()["error"]
    assert h.client.get(h.path).status_code == 405


def test_the_signature_is_checked_on_a_known_vector(h):
    # openssl dgst -sha256 -hmac app-secret-0123 over exactly these bytes (Meta's escapes).
    body = (
        b'{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":'
        b'{"message":"Caf\\u00e9 \\ud83d\\ude00 https:\\/\\/acme.example\\/x"}}]}]}'
    )
    sig = "sha256=eafb78765d363b9548f60ee31d1bdb79f7016d99cb4d818929e50e7d117456ed"
    assert h.post(body, {"X-Hub-Signature-256": sig}).status_code == 200
    assert h.sender.headers(body)["X-Hub-Signature-256"] == sig


def test_the_raw_bytes_are_verified_not_a_reserialisation(h):
    payload = load("feed__comment_es.json")
    body = h.sender.body(payload["entry"])
    assert b"\\u00ed" in body and b"https:\\/\\/" in body  # Meta's escapes
    headers = h.sender.headers(body)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    assert json.loads(reserialised) == json.loads(body)
    assert h.post(reserialised, headers).status_code == 401
    assert h.post(body, headers).status_code == 200
    h.collect()
    value = payload["entry"][0]["changes"][0]["value"]
    mention = stored(h.account, value["comment_id"])
    assert mention.text == value["message"] and mention.author_display_name == "Lucía Fernández"
    assert mention.url == (
        "https://www.facebook.com/acmemovil/posts/pfbid02xQy7Lk9?comment_id=1200000000000001"
    )


def test_tampered_and_legacy_only_signatures_are_refused(h):
    body = h.sender.body(load("feed__comment_es.json")["entry"])
    headers = h.sender.headers(body)
    tampered = body.replace(b"Valencia", b"Valenciu")
    assert h.post(tampered, headers).status_code == 401
    legacy = {"X-Hub-Signature": headers["X-Hub-Signature"]}  # SHA-1 only: not accepted
    response = h.post(body, legacy)
    assert response.status_code == 401 and "X-Hub-Signature-256" in response.json()["error"]
    h.collect()
    assert not InboundDelivery.objects.filter(account=h.account).exists()


def test_the_previous_app_secret_is_accepted_during_a_rotation(h):
    h.account.credentials = {
        "app_secret": "the-new-secret",
        "previous_app_secret": APP_SECRET,
        "page_access_token": TOKEN,
    }
    h.account.save()
    body = h.sender.body(load("feed__comment_en.json")["entry"])
    assert h.post(body).status_code == 200
    assert h.post(body, h.sender.headers(body, secret="the-new-secret")).status_code == 200


def test_a_delivery_for_another_object_is_kept_as_malformed(h):
    body = MetaSender(APP_SECRET, "instagram").body([])
    response = h.post(body)
    assert response.status_code == 400
    row = InboundDelivery.objects.get(account=h.account)
    assert row.status == InboundDelivery.Status.MALFORMED and "page" in row.error


def test_one_bad_event_in_a_batch_is_recorded_and_the_rest_stored(h):
    h.deliver(load("batch__mixed.json")["entry"])
    h.collect()
    ids = set(Mention.objects.filter(account=h.account).values_list("external_id", flat=True))
    assert ids == {"771234567890123_1200000000000010", "m_Batch-0005"}
    row = InboundDelivery.objects.get(account=h.account)
    assert row.status == InboundDelivery.Status.DONE
    assert "created_at" in row.error and "without mid" in row.error
    assert "a change must be an object" in row.error


def test_entries_of_another_page_are_not_stored_here(h):
    payload = load("feed__comment_es.json")
    payload["entry"][0]["id"] = "999999999"
    h.deliver(payload["entry"])
    h.collect()
    assert not Mention.objects.filter(account=h.account).exists()
    assert "999999999" in InboundDelivery.objects.get(account=h.account).error


# --- what is and is not a mention -------------------------------------------------------


def test_echoes_reactions_and_our_own_posts_are_skipped(h):
    h.account.self_ids = []  # even before `check` stored our ids: the page_id setting
    h.account.save()
    for name in ("messages__echo.json", "feed__page_post.json", "feed__reaction.json"):
        h.deliver(load(name)["entry"])
    h.collect()
    assert not Mention.objects.filter(account=h.account).exists()
    assert set(
        InboundDelivery.objects.filter(account=h.account).values_list("error", flat=True)
    ) == {""}


def test_a_hidden_comment_is_kept_and_noted(h):
    h.deliver(load("feed__comment_hide.json")["entry"])
    h.collect()
    mention = stored(h.account, "771234567890123_1200000000000003")
    assert mention.deleted_at is None and mention.raw["hidden"] is True


def test_feed_and_messenger_edits_make_versions(h):
    for name in ("feed__comment_en.json", "messages__text_es.json"):
        h.deliver(load(name)["entry"])
    h.collect()
    for name in ("feed__comment_edited.json", "messages__edit.json"):
        h.deliver(load(name)["entry"])
    h.collect()
    comment = stored(h.account, "771234567890123_1200000000000002")
    assert comment.text.endswith("Fixed after the update, thanks!")
    assert [v.text for v in comment.versions.all()] == [
        "Your app logs me out every time I open it. Any fix? See https://acme.example/status/42"
    ]
    message = stored(h.account, "m_GhIjKl-es_0002xYz")
    assert message.text.endswith("Ya está bien, gracias") and message.versions.count() == 1


def test_a_message_with_only_an_attachment_is_stored_with_its_media(h):
    mention = dm(h, "messages__attachment.json")
    assert mention.text == "[image]"
    assert mention.media == [
        {
            "type": "image",
            "url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/foto_router.jpg?_nc_cat=1",
        }
    ]
    assert (mention.kind, mention.visibility) == ("direct_message", "private")
    assert mention.reply_capability == "dm_window_open_until"


def test_hostile_attachment_links_are_dropped(h):
    payload = load("messages__attachment.json")
    event = payload["entry"][0]["messaging"][0]
    event["timestamp"] = now_ms()
    event["message"]["attachments"] = [
        {"type": "image", "payload": {"url": "javascript:alert(1)"}},
        {"type": "file", "payload": {"url": 'https://cdn.example/a"><script>x</script>'}},
        {"type": "fallback", "payload": {"url": "https://acme.example/ok", "title": "Ok"}},
    ]
    h.deliver(payload["entry"])
    h.collect()
    mention = stored(h.account, event["message"]["mid"])
    assert mention.text == "[image, file, fallback]"
    assert mention.media == [{"type": "fallback", "url": "https://acme.example/ok"}]


def test_a_page_mention_is_stored_and_answered_as_a_comment_on_the_post(h):
    h.deliver(load("mention__post.json")["entry"])
    h.collect()
    mention = stored(h.account, "5550000000000001_889900112233")
    assert mention.kind == "mention" and mention.author_display_name == "Foro Fibra Valencia"
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert h.graph.sent[0]["target"] == "5550000000000001_889900112233"
    assert message.external_id == h.graph.sent[0]["id"]


def test_an_answer_to_a_reply_goes_under_its_parent_comment(h):
    for name in ("feed__comment_es.json", "feed__reply_rtl.json"):
        h.deliver(load(name)["entry"])
    h.collect()
    rtl = stored(h.account, "771234567890123_1200000000000004")
    assert rtl.kind == "reply" and rtl.in_reply_to_external_id == "771234567890123_1200000000000001"
    message = reply(h, rtl)
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert h.graph.sent[0]["target"] == "771234567890123_1200000000000001"


# --- the Messenger window ---------------------------------------------------------------


def test_within_24_hours_a_reply_is_a_response(h):
    mention = dm(h, age=timedelta(hours=23))
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.SENT, message.error
    sent = h.graph.sent[0]
    assert (sent["messaging_type"], sent["tag"], sent["target"]) == (
        "RESPONSE",
        None,
        "6021887712345002",
    )
    assert message.external_id == sent["id"] and message.external_id.startswith("m_")


def test_after_24_hours_a_reply_carries_the_human_agent_tag(h):
    mention = dm(h, age=timedelta(hours=30))
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.SENT, message.error
    assert (h.graph.sent[0]["messaging_type"], h.graph.sent[0]["tag"]) == (
        "MESSAGE_TAG",
        "HUMAN_AGENT",
    )


def test_after_7_days_a_reply_is_refused_up_front(h):
    mention = dm(h, age=timedelta(days=8))
    reason = replies.refusal(mention, "Hola")
    assert reason and "7 days" in reason
    with pytest.raises(replies.ReplyRefused):
        replies.send_reply(h.users["agent"], mention, "Hola")
    assert not h.graph.seen("POST")


def test_the_newest_message_of_the_thread_opens_the_window(h):
    old = dm(h, age=timedelta(days=9))
    assert replies.refusal(old, "Hola")
    payload = load("messages__attachment.json")
    event = payload["entry"][0]["messaging"][0]
    event["sender"]["id"] = old.thread_external_id
    event["timestamp"] = now_ms(-timedelta(hours=2))
    h.deliver(payload["entry"])
    h.collect()
    old.refresh_from_db()
    assert replies.refusal(old, "Hola") is None
    assert reply(h, old).status == OutboundMessage.Status.SENT
    assert h.graph.sent[0]["messaging_type"] == "RESPONSE"


def test_without_the_human_agent_tag_the_window_is_24_hours(h):
    h.account.settings = {**h.account.settings, "human_agent": False}
    h.account.save()
    mention = dm(h, age=timedelta(hours=30))
    reason = replies.refusal(mention, "Hola")
    assert reason and "24 hours" in reason


def test_meta_refusing_outside_its_window_fails_the_reply_with_its_reason(h):
    mention = dm(h, age=timedelta(hours=2))
    # Meta's own record says the person last wrote 3 days ago (e.g. our copy came late).
    h.graph.last_inbound[mention.thread_external_id] = clock.now().timestamp() - 3 * 86400
    h.account.settings = {**h.account.settings, "human_agent": False}
    h.account.save()
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.FAILED
    assert "outside of allowed window" in message.error
    h.account.refresh_from_db()
    assert h.account.health != "disconnected"


def test_a_messenger_reply_over_2000_characters_is_refused_but_a_comment_takes_8000(h):
    mention = dm(h)
    assert "2000" in replies.refusal(mention, "a" * 2001)  # before anything is queued
    assert reply(h, mention, "a" * 2000).status == OutboundMessage.Status.SENT
    h.deliver(load("feed__comment_es.json")["entry"])
    h.collect()
    comment = stored(h.account, "771234567890123_1200000000000001")
    assert reply(h, comment, "b" * 7999).status == OutboundMessage.Status.SENT
    assert "8000" in replies.refusal(comment, "c" * 8001)


# --- receipts ---------------------------------------------------------------------------


def test_delivery_and_read_receipts_update_our_outbound_message(h):
    mention = dm(h, age=timedelta(minutes=5))
    message = reply(h, mention)
    psid = mention.thread_external_id
    receipt = {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": now_ms()}
    delivered = {**receipt, "delivery": {"mids": [message.external_id], "watermark": now_ms()}}
    h.deliver([{"id": PAGE_ID, "time": now_ms(), "messaging": [delivered]}])
    h.collect()
    message.refresh_from_db()
    assert message.delivery_state == "delivered"
    read = {**receipt, "read": {"watermark": now_ms()}}
    h.deliver([{"id": PAGE_ID, "time": now_ms(), "messaging": [read]}])
    h.collect()
    message.refresh_from_db()
    assert message.delivery_state == "read"
    assert message.status == OutboundMessage.Status.SENT


def test_a_watermark_before_our_message_marks_nothing(h):
    mention = dm(h, age=timedelta(minutes=5))
    message = reply(h, mention)
    early = now_ms(-timedelta(minutes=2))
    read = {
        "sender": {"id": mention.thread_external_id},
        "recipient": {"id": PAGE_ID},
        "timestamp": early,
        "read": {"watermark": early},
    }
    h.deliver([{"id": PAGE_ID, "time": early, "messaging": [read]}])
    h.collect()
    message.refresh_from_db()
    assert message.delivery_state == ""


# --- the Graph API ----------------------------------------------------------------------


def test_check_reads_the_page(h):
    connector = connector_for("facebook")
    with connector.make_http(h.account) as http:
        found = connector.check(h.account, http)
    assert found.handle == "Acme Móvil" and found.self_ids == (PAGE_ID,)
    assert found.token_expires_at is None  # /me says nothing about expiry
    request = h.graph.seen("GET", r"/me$")[-1]
    assert request.arg("fields") == "id,name"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_an_expired_token_is_an_auth_failure(h):
    h.account.credentials = {**h.account.credentials, "page_access_token": "EAAexpired"}
    h.account.save()
    connector = connector_for("facebook")
    with connector.make_http(h.account) as http, pytest.raises(AuthFailed, match="190"):
        connector.check(h.account, http)


def test_a_revoked_token_disconnects_the_account(h):
    h.deliver(load("feed__comment_es.json")["entry"])
    h.collect()
    mention = stored(h.account, "771234567890123_1200000000000001")
    h.account.credentials = {**h.account.credentials, "page_access_token": "EAArevoked"}
    h.account.save()
    message = reply(h, mention)
    h.account.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED and "code 190" in message.error
    assert h.account.health == "disconnected"


def test_the_appsecret_proof_is_sent_when_the_app_requires_it(h):
    h.graph.require_proof = True
    connector = connector_for("facebook")
    with connector.make_http(h.account) as http:
        connector.check(h.account, http)
    h.account.settings = {**h.account.settings, "appsecret_proof": False}
    h.account.save()
    with connector.make_http(h.account) as http, pytest.raises(Exception, match="appsecret_proof"):
        connector.check(h.account, http)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_codes_pause_until_meta_says(h, code):
    h.graph.throttle_next(300, code=code)
    connector = connector_for("facebook")
    with connector.make_http(h.account) as http, pytest.raises(RateLimited) as raised:
        connector.check(h.account, http)
    wait = raised.value.retry_at - clock.now()
    assert timedelta(minutes=4) < wait <= timedelta(minutes=5, seconds=1)


def test_ids_from_a_stranger_never_become_a_path_of_their_own(h):
    h.deliver(load("feed__comment_es.json")["entry"])
    h.collect()
    mention = stored(h.account, "771234567890123_1200000000000001")
    Mention.objects.filter(pk=mention.pk).update(external_id="../../me/feed")
    mention.refresh_from_db()
    message = reply(h, mention)
    assert message.status == OutboundMessage.Status.FAILED and "Graph object id" in message.error
    assert not h.graph.seen("POST")


def test_entries_of_the_organisations_other_page_go_to_its_account(h, other_org):
    second = builders.channel_account(
        h.org, kind="facebook", slug="acme-hogar", name="Acme Hogar", secrets=[]
    )
    second.settings = {**h.account.settings, "page_id": "999999999"}
    second.credentials = dict(h.account.credentials)
    second.save()
    foreign = builders.channel_account(
        other_org, kind="facebook", slug="other-page", name="Other", secrets=[]
    )
    foreign.settings = {**h.account.settings, "page_id": "888888888"}
    foreign.save()
    ours, theirs = load("feed__comment_es.json"), load("feed__comment_es.json")
    ours["entry"][0]["id"] = "999999999"
    theirs["entry"][0]["id"] = "888888888"
    h.deliver(ours["entry"] + theirs["entry"])  # one callback URL for the app's pages
    h.collect()
    assert Mention.objects.filter(account=second).count() == 1
    # Another organisation's page is never reached through this account's URL.
    assert not Mention.objects.filter(account=foreign).exists()
    assert "888888888" in InboundDelivery.objects.get(account=h.account).error
