"""WhatsApp Cloud API through the contract suite, plus what only WhatsApp has."""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import itertools
import json
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from panal.channels import deliveries, replies
from panal.channels.base import connector_for
from panal.channels.configure import apply_settings
from panal.channels.models import ChannelAccount, InboundDelivery, OutboundMessage
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.whatsapp import (
    DAY,
    DISPLAY_DIGITS,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    FakeWhatsApp,
    meta_json,
)

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/whatsapp/fixtures"
TOKEN = "EAAGm0PX4ZCpsBAtest-system-user-token"
APP_SECRET = "5f1c0e9a7b3d4c2e8f6a1b0c9d8e7f6a"
OLD_SECRET = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
VERIFY = "panal-verify-7Qx"
CREATED = [
    "message__es.json", "message__en.json", "message__hostile.json", "message__rtl.json",
    "message__emoji.json", "message__long.json", "image__caption.json",
]  # fmt: skip
Status = OutboundMessage.Status


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def parts(body: dict) -> tuple[dict, dict]:
    """The (message, contact) of a one-message delivery."""
    value = body["entry"][0]["changes"][0]["value"]
    return value["messages"][0], value["contacts"][0]


def expected_text(message: dict) -> str:
    return message["text"]["body"] if message["type"] == "text" else message["image"]["caption"]


class WhatsAppHarness(Harness):
    kind = "whatsapp"

    def start(self, **extra):
        self.fake = FakeWhatsApp(TOKEN, APP_SECRET).start()
        connector = connector_for("whatsapp")
        values = {
            "base_url": self.fake.api_url,
            "verify_token": VERIFY,
            "app_secret": APP_SECRET,
            "access_token": TOKEN,
            "phone_number_id": PHONE_NUMBER_ID,
            "display_phone_number": DISPLAY_NUMBER,
            **extra,
        }
        settings, credentials = apply_settings(connector, values)
        self.account = builders.channel_account(
            self.org, kind="whatsapp", slug="acme-wa", name="Acme WhatsApp", secrets=[]
        )
        self.account.settings, self.account.credentials = settings, credentials
        self.account.self_ids = [PHONE_NUMBER_ID, DISPLAY_DIGITS]
        self.account.save()
        self.client = Client()
        self.last: tuple[bytes, str] | None = None
        self.numbers = itertools.count(1)

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for name in CREATED:
            body = load(name)
            message, contact = parts(body)
            out.append(
                Sample(
                    external_id=message["id"],
                    text=expected_text(message),
                    author_external_id=contact["wa_id"],
                    thread_external_id=contact["wa_id"],
                    in_reply_to_external_id=(message.get("context") or {}).get("id", ""),
                    data=body,
                )
            )
        return out

    def post(self, body: bytes, signature: str | None):
        self.last = (body, signature)
        headers = {"X-Hub-Signature-256": signature} if signature else {}
        return self.client.post(
            f"/hooks/whatsapp/{self.account.slug}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    def deliver(self, signed: tuple[bytes, str]):
        response = self.post(*signed)
        assert response.status_code == 200, response.content
        return response

    def write(self, body: dict, *, ago: float = 60, **changes):
        """The customer sends the fixture's message (`ago` seconds before now)."""
        message, contact = parts(body)
        message = {**copy.deepcopy(message), "timestamp": str(int(time.time() - ago)), **changes}
        self.deliver(self.fake.customer_wrote(message, contact))
        return message

    def publish(self, sample, event="created", *, new_text=""):
        message, contact = parts(sample.data)
        now = str(int(time.time()) - 30)
        if event == "created":
            self.write(sample.data)
            return
        number = next(self.numbers)
        if event == "edited":
            update = {
                "from": message["from"],
                "id": f"wamid.HBgLEDIT{number:06d}",
                "timestamp": now,
                "type": "edit",
                "edit": {
                    "original_message_id": message["id"],
                    "message": {"type": "text", "text": {"body": new_text}},
                },
            }
        else:
            update = {
                "from": message["from"],
                "id": f"wamid.HBgLREVOKE{number:06d}",
                "timestamp": now,
                "type": "revoke",
                "revoke": {"original_message_id": message["id"]},
            }
        self.deliver(self.fake.customer_wrote(update, contact))

    def collect(self):
        deliveries.drain_all()

    def redeliver(self):
        self.deliver(self.last)

    def post_forged(self, sample):
        message, contact = parts(sample.data)
        body, _ = self.fake.customer_wrote(message, contact)
        return self.post(body, self.fake.sign(body, "not-the-app-secret"))

    def post_malformed(self):
        body = b'{"object":"whatsapp_business_account","entry":['
        return self.post(body, self.fake.sign(body))

    def replies_received(self):
        return [
            {
                "text": s["payload"]["text"]["body"],
                "in_reply_to": s["payload"]["context"]["message_id"],
            }
            for s in self.fake.sent
            if s["payload"]["type"] == "text"
        ]

    def echo_replies(self):
        # Meta never sends our own messages back as messages: it posts their statuses.
        for signed in self.fake.deliver_statuses():
            self.deliver(signed)

    def rate_limit_next(self, seconds):
        self.fake.throttle_next(seconds)


class TestWhatsApp(Contract):
    harness = WhatsAppHarness


# -- network-specific tests -----------------------------------------------------------


@pytest.fixture
def wa(org, users):
    harness = WhatsAppHarness(org)
    harness.start()
    harness.users = users
    yield harness
    harness.stop()


def reply(h, mention, text="Gracias, lo revisamos."):
    message = replies.send_reply(h.users["agent"], mention, text)
    replies.deliver(message.pk)
    message.refresh_from_db()
    return message


def received(h, name: str, *, ago: float = 60, **changes) -> Mention:
    message = h.write(load(name), ago=ago, **changes)
    h.collect()
    return stored(h.account, message["id"])


def only_delivery(h) -> InboundDelivery:
    return InboundDelivery.objects.filter(account=h.account).order_by("-id").first()


# handshake and signature


def test_the_subscription_handshake_answers_the_challenge(wa):
    url = f"/hooks/whatsapp/{wa.account.slug}/"
    ok = wa.client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    )
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    assert ok["Content-Type"].startswith("text/plain")
    wrong = wa.client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403 and "verify_token" in wrong.json()["error"]
    assert wa.client.get(url).status_code == 405


def test_the_signature_is_hmac_sha256_over_the_exact_bytes(wa):
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    # A known vector, computed independently of the fake and of our code.
    vector = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert wa.fake.sign(body) == f"sha256={vector}"
    assert wa.post(body, f"sha256={vector}").status_code == 200
    signed, signature = wa.fake.customer_wrote(*parts(load("message__es.json")))
    tampered = signed.replace(b"tres", b"tras")
    assert wa.post(tampered, signature).status_code == 401
    assert wa.post(signed, signature.upper().replace("SHA256=", "sha256=")).status_code == 401
    assert wa.post(signed, None).status_code == 401
    assert wa.post(signed, "sha1=" + "0" * 40).status_code == 401
    wa.collect()
    assert not Mention.objects.filter(account=wa.account).exists()


def test_meta_escapes_non_ascii_and_slashes_and_we_verify_those_bytes(wa):
    body, signature = wa.fake.customer_wrote(*parts(load("message__hostile.json")))
    assert body.isascii() and b"\\/" in body and b"\\u202e" in body
    # The same content re-serialised differently no longer matches the signature.
    reencoded = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert wa.post(reencoded, signature).status_code == 401
    assert wa.post(body, signature).status_code == 200
    wa.collect()
    message, _contact = parts(load("message__hostile.json"))
    mention = stored(wa.account, message["id"])
    assert mention.text == message["text"]["body"] and "</script>" in mention.text
    assert mention.author_display_name == "<script>alert(1)</script>"
    assert meta_json({"a": "é/ñ"}) == b'{"a":"\\u00e9\\/\\u00f1"}'


def test_a_rotated_app_secret_still_verifies_during_the_rotation(wa):
    wa.account.credentials = {**wa.account.credentials, "app_secret": "new-secret-xyz",
                              "previous_app_secret": APP_SECRET}  # fmt: skip
    wa.account.save()
    body, signature = wa.fake.customer_wrote(*parts(load("message__es.json")))
    assert wa.post(body, signature).status_code == 200
    body, _ = wa.fake.customer_wrote(*parts(load("message__en.json")))
    assert wa.post(body, wa.fake.sign(body, OLD_SECRET)).status_code == 401


def test_a_delivery_that_is_not_whatsapp_is_kept_as_malformed(wa):
    body = meta_json({"object": "page", "entry": []})
    response = wa.post(body, wa.fake.sign(body))
    assert response.status_code == 400 and "whatsapp_business_account" in response.json()["error"]
    assert only_delivery(wa).status == InboundDelivery.Status.MALFORMED


# what a delivery holds


def test_a_delivery_for_another_phone_number_is_ignored_with_a_reason(wa):
    wa.deliver(wa.fake.signed(load("message__other_number.json")))
    wa.collect()
    row = only_delivery(wa)
    assert row.status == "done" and "109999999999999" in row.error and "ignored" in row.error
    assert not Mention.objects.filter(account=wa.account).exists()


def test_mentions_are_private_direct_messages_in_the_customers_thread(wa):
    mention = received(wa, "message__en.json")
    assert (mention.kind, mention.visibility, mention.reply_capability) == (
        "direct_message",
        "private",
        "dm_window_open_until",
    )
    assert (mention.author_external_id, mention.thread_external_id) == ("447700900123",) * 2
    assert mention.author_display_name == "Tom Baker"
    assert mention.in_reply_to_external_id.startswith("wamid.")
    assert mention.urls == [] and mention.url == ""
    assert mention.raw["user_id"] == "US.13491208655302741918"
    assert abs(mention.created_at.timestamp() - (time.time() - 60)) < 5


def test_rtl_and_emoji_names_and_texts_are_kept_exactly(wa):
    rtl = received(wa, "message__rtl.json")
    assert rtl.author_display_name == "فاطمة الزهراء" and "שלום" in rtl.text
    emoji = received(wa, "message__emoji.json")
    assert emoji.author_display_name == "Ana 🌸"
    assert emoji.text.startswith("👨‍👩‍👧‍👦") and "🏳️‍🌈" in emoji.text


def test_media_keep_their_caption_and_media_id(wa):
    image = received(wa, "image__caption.json")
    assert image.text == "Así llega la factura, el importe está mal 👇"
    assert image.media == [
        {
            "type": "image",
            "external_id": "1479537139650973",
            "mime": "image/jpeg",
            "url": "",
            "alt": "",
            "sha256": "Pk0cFQ7cEd/xb8yaXHI5nZ8f0PTn1NS1sw1rs0hvgb4=",
        }
    ]
    document = received(wa, "document__no_caption.json")
    assert document.text == "[document: factura_marzo.pdf]"
    assert document.media[0]["filename"] == "factura_marzo.pdf"
    voice = received(wa, "audio__voice.json")
    assert voice.text == "[voice message]" and voice.media[0]["voice"] is True
    place = received(wa, "location__place.json")
    assert place.text == (
        "[location] Tienda Acme Sol, Puerta del Sol 1, Madrid (40.4167754, -3.7037902)"
    )
    assert place.urls == ["https://maps.google.com/?cid=2000000000000000000"]


def test_interactive_and_template_button_replies_become_their_titles(wa):
    button = received(wa, "interactive__button_reply.json")
    assert button.text == "Sí, resuelto ✅"
    assert button.raw["interactive"] == {"type": "button_reply", "id": "survey_yes"}
    assert button.in_reply_to_external_id.startswith("wamid.")
    chosen = received(wa, "interactive__list_reply.json")
    assert chosen.text == "Facturación - Cobros, importes y recibos"
    quick = received(wa, "button__template_quick_reply.json")
    assert quick.text == "Llamadme" and quick.raw["button"] == {"payload": "call_me_back"}


def test_reactions_and_business_app_echoes_are_not_mentions(wa):
    wa.write(load("reaction__emoji.json"))
    wa.deliver(wa.fake.signed(load("smb_message_echoes__text.json")))
    wa.collect()
    assert not Mention.objects.filter(account=wa.account).exists()
    assert not InboundDelivery.objects.filter(account=wa.account).exclude(error="").exists()


def test_unsupported_messages_are_kept_with_metas_reason(wa):
    mention = received(wa, "unsupported__unknown.json")
    assert mention.text == (
        "[unsupported message: Message type unknown (code 131051): "
        "Message type is currently not supported.]"
    )


def test_errors_in_a_change_are_recorded_on_the_delivery(wa):
    wa.deliver(wa.fake.signed(load("errors__value.json")))
    wa.collect()
    row = only_delivery(wa)
    assert "Something went wrong (code 131000): Unsupported webhook payload" in row.error
    assert stored(wa.account, "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUM0VCMElOVEVSUkVSUklOVEVSUkUA")


def test_a_bad_message_is_reported_and_the_rest_stored(wa):
    body = load("message__es.json")
    good, contact = parts(load("message__en.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"][0]["timestamp"] = "yesterday"
    value["messages"].append(good)
    value["contacts"].append(contact)
    wa.deliver(wa.fake.signed(body))
    wa.collect()
    assert "Unix time" in only_delivery(wa).error
    assert list(Mention.objects.filter(account=wa.account).values_list("external_id", flat=True))
    assert stored(wa.account, good["id"]) is not None


def test_an_edit_and_a_revoke_of_the_fixtures(wa):
    original = received(wa, "message__es.json")
    wa.deliver(wa.fake.signed(load("edit__text.json")))
    wa.collect()
    original.refresh_from_db()
    assert original.text.startswith("Hola, llevo cuatro días")
    assert original.edited_at is not None and original.versions.count() == 1
    wa.deliver(wa.fake.signed(load("revoke__message.json")))
    wa.collect()
    original.refresh_from_db()
    assert original.deleted_at is not None


# statuses of our replies


def test_statuses_follow_our_reply_sent_delivered_read(wa):
    mention = received(wa, "message__es.json")
    message = reply(wa, mention)
    assert message.status == Status.SENT and message.raw["sent_as"] == "text"
    wamid = wa.fake.sent[0]["wamid"]
    assert message.external_id == wamid
    to = wa.fake.sent[0]["payload"]["to"]
    for state in ("sent", "delivered", "read"):
        wa.deliver(wa.fake.statuses(wa.fake.status(wamid, state, to)))
        wa.collect()
        message.refresh_from_db()
        assert message.delivery_state == state
    # A late "delivered" after "read" changes nothing.
    wa.deliver(wa.fake.statuses(wa.fake.status(wamid, "delivered", to)))
    wa.collect()
    message.refresh_from_db()
    assert message.delivery_state == "read" and message.status == Status.SENT
    assert Mention.objects.filter(account=wa.account).count() == 1


def test_a_failed_status_marks_the_reply_failed_with_metas_reason(wa):
    mention = received(wa, "message__es.json")
    message = reply(wa, mention)
    status = load("statuses__failed.json")["entry"][0]["changes"][0]["value"]["statuses"][0]
    failed = wa.fake.status(message.external_id, "failed", "34600111222", status["errors"])
    wa.deliver(wa.fake.statuses(failed))
    wa.collect()
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.delivery_state == "failed"
    assert message.error == "Message undeliverable (code 131026): Message Undeliverable."


def test_statuses_of_messages_we_did_not_send_are_ignored(wa):
    wa.deliver(wa.fake.signed(load("statuses__read.json")))
    wa.collect()
    assert only_delivery(wa).status == "done" and only_delivery(wa).error == ""


# the 24-hour window


def test_inside_the_window_a_reply_is_free_text_quoting_the_message(wa):
    mention = received(wa, "message__es.json", ago=23 * 3600)
    assert replies.refusal(mention, "Hola") is None
    message = reply(wa, mention)
    assert message.status == Status.SENT
    assert wa.fake.sent[0]["payload"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "34600111222",
        "type": "text",
        "text": {"body": "Gracias, lo revisamos.", "preview_url": False},
        "context": {"message_id": mention.external_id},
    }


def test_after_the_window_without_a_template_the_reply_is_refused_up_front(wa):
    mention = received(wa, "message__es.json", ago=25 * 3600)
    reason = replies.refusal(mention, "Hola")
    assert "24-hour" in reason and "fallback_template" in reason
    assert mention.created_at.strftime("%Y-%m-%d") in reason or "UTC" in reason
    with pytest.raises(replies.ReplyRefused):
        replies.send_reply(wa.users["agent"], mention, "Hola")
    assert not wa.fake.sent


def test_a_newer_message_in_the_thread_reopens_the_window(wa):
    old = received(wa, "message__es.json", ago=30 * 3600)
    received(wa, "image__caption.json", ago=600)  # same customer, ten minutes ago
    message = reply(wa, old)
    assert message.status == Status.SENT and wa.fake.sent[0]["payload"]["type"] == "text"


def test_after_the_window_the_fallback_template_carries_the_reply(org, users):
    wa = WhatsAppHarness(org)
    wa.start(fallback_template="seguimiento")
    wa.users = users
    try:
        mention = received(wa, "message__es.json", ago=2 * DAY)
        assert replies.refusal(mention, "Hola") is None
        message = reply(wa, mention, "Hola Lucía:\n\nya   está   resuelto.\tGracias")
        assert message.status == Status.SENT, message.error
        payload = wa.fake.sent[0]["payload"]
        assert payload["type"] == "template" and "context" not in payload
        assert payload["template"] == {
            "name": "seguimiento",
            "language": {"code": "es"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Hola Lucía: ya está resuelto. Gracias"}
                    ],
                }
            ],
        }
        assert message.raw["sent_as"] == "template" and message.raw["template"] == "seguimiento"
        assert message.external_id == wa.fake.sent[0]["wamid"]
        # Too long for a template body: refused with the reason, nothing sent.
        too_long = reply(wa, mention, "x" * 1100)
        assert too_long.status == Status.FAILED and "1024" in too_long.error
        assert len(wa.fake.sent) == 1
    finally:
        wa.stop()


def test_an_unknown_template_fails_with_metas_reason(org, users):
    wa = WhatsAppHarness(org)
    wa.start(fallback_template="no_such_template", template_language="en_US")
    wa.users = users
    try:
        mention = received(wa, "message__es.json", ago=2 * DAY)
        message = reply(wa, mention)
        assert message.status == Status.FAILED and "132001" in message.error
    finally:
        wa.stop()


def test_when_meta_says_the_window_is_closed_the_reply_fails_at_once(wa):
    mention = received(wa, "message__es.json")
    wa.fake.last_inbound["34600111222"] = time.time() - 2 * DAY  # Meta knows better
    message = reply(wa, mention)
    assert message.status == Status.FAILED and message.attempts == 1
    assert "24-hour" in message.error and "Re-engagement message" in message.error
    assert "131047" in message.error


def test_a_reply_longer_than_4096_is_refused(wa):
    mention = received(wa, "message__es.json")
    assert "4096" in replies.refusal(mention, "a" * 4097)
    assert replies.refusal(mention, "a" * 4096) is None


# credentials and the check


def test_a_rejected_token_disconnects_the_account(wa):
    mention = received(wa, "message__es.json")
    wa.account.credentials = {**wa.account.credentials, "access_token": "EAA-revoked"}
    wa.account.save()
    message = reply(wa, mention)
    wa.account.refresh_from_db()
    assert message.status == Status.FAILED and "190" in message.error
    assert wa.account.health == "disconnected"


def test_channels_add_and_check_learn_our_number_and_the_token_expiry(org):
    fake = FakeWhatsApp(TOKEN, APP_SECRET).start()
    fake.token_expires_at = 1893456000  # 2030-01-01
    try:
        out = io.StringIO()
        call_command(
            "channels", "add", "whatsapp", "Acme WhatsApp", "--org", "acme", "--slug", "wa-cli",
            "--set", f"base_url={fake.api_url}", "--set", f"verify_token={VERIFY}",
            "--set", f"app_secret={APP_SECRET}", "--set", f"access_token={TOKEN}",
            "--set", f"phone_number_id={PHONE_NUMBER_ID}", "--check", stdout=out,
        )  # fmt: skip
        account = ChannelAccount.objects.get(slug="wa-cli")
        assert "/hooks/whatsapp/wa-cli/" in out.getvalue()
        assert account.handle == DISPLAY_NUMBER
        assert set(account.self_ids) == {PHONE_NUMBER_ID, DISPLAY_DIGITS}
        assert account.token_expires_at.year == 2030
        assert "app_secret" in account.credentials and "app_secret" not in account.settings
        seen = fake.seen("GET", rf"/{PHONE_NUMBER_ID}$")[0]
        assert seen.arg("fields") == "display_phone_number,verified_name"
        assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    finally:
        fake.stop()


def test_a_revoke_of_an_unseen_message_is_a_tombstone_that_opens_no_window(wa):
    mention = received(wa, "message__es.json", ago=25 * 3600)
    wa.deliver(wa.fake.signed(load("revoke__message.json")))  # the message above: deleted
    _message, contact = parts(load("message__es.json"))
    unseen = {
        "from": contact["wa_id"],
        "id": "wamid.HBgLREVOKEUNSEEN",
        "timestamp": str(int(time.time())),
        "type": "revoke",
        "revoke": {"original_message_id": "wamid.HBgLNEVERSEEN"},
    }
    wa.deliver(wa.fake.customer_wrote(unseen, contact))
    wa.collect()
    tombstone = stored(wa.account, "wamid.HBgLNEVERSEEN")
    assert tombstone.deleted_at is not None and tombstone.text == ""
    mention.refresh_from_db()
    assert mention.deleted_at is not None
    other = received(wa, "message__es.json", ago=25 * 3600, id="wamid.HBgLOLDER")
    assert "24-hour" in replies.refusal(other, "Hola")


def test_an_absurdly_long_profile_name_is_cut_not_refused(wa):
    body = load("message__es.json")
    body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Ñ" * 400
    message, _contact = parts(body)
    wa.deliver(wa.fake.signed(body))
    wa.collect()
    mention = stored(wa.account, message["id"])
    assert mention.author_display_name == "Ñ" * 255


def test_the_organisations_other_number_takes_its_messages(wa):
    second = builders.channel_account(
        wa.org, kind="whatsapp", slug="acme-wa-2", name="Acme WA 2", secrets=[]
    )
    second.settings = {**wa.account.settings, "phone_number_id": "109999999999999"}
    second.save()
    wa.deliver(wa.fake.signed(load("message__other_number.json")))
    wa.collect()
    assert Mention.objects.filter(account=second).count() == 1
    assert not Mention.objects.filter(account=wa.account).exists()
