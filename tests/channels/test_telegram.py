"""Telegram through the contract suite, plus what only Telegram has."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from django.test import Client

from panal.channels import deliveries
from panal.channels.models import InboundDelivery
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.telegram import BOT_ID, FakeTelegram

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/telegram/fixtures"
TOKEN = "123456:ABC-test-token"
SECRET = "s3cret_Token-abc"
CREATED = [
    "message__es.json", "message__en.json", "message__hostile.json", "message__rtl.json",
    "channel_post__emoji.json", "message__long.json",
]  # fmt: skip


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def message_of(update: dict) -> dict:
    return update.get("message") or update.get("channel_post")


class TelegramHarness(Harness):
    kind = "telegram"

    def start(self):
        self.fake = FakeTelegram(TOKEN).start()
        self.account = builders.channel_account(
            self.org, kind="telegram", slug="acme-bot", name="Acme bot", secrets=[SECRET]
        )
        self.account.settings = {"base_url": self.fake.base_url}
        self.account.credentials = {"token": TOKEN}
        self.account.self_ids = [str(BOT_ID)]
        self.account.save()
        self.client = Client()
        self.last: bytes | None = None
        self.update_ids = iter(range(800000, 900000))

    def stop(self):
        self.fake.stop()

    def samples(self):
        out = []
        for name in CREATED:
            update = load(name)
            message = message_of(update)
            chat = message["chat"]
            sender = message.get("from") or {}
            thread = str(chat["id"]) + (
                f":{message['message_thread_id']}" if message.get("message_thread_id") else ""
            )
            reply = message.get("reply_to_message")
            out.append(
                Sample(
                    external_id=f"{chat['id']}:{message['message_id']}",
                    text=message["text"],
                    author_handle=sender.get("username", chat.get("username", "")),
                    thread_external_id=thread,
                    in_reply_to_external_id=f"{chat['id']}:{reply['message_id']}" if reply else "",
                    data=update,
                )
            )
        return out

    def post(self, update: dict, secret: str = SECRET):
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        self.last = body
        return self.client.post(
            f"/hooks/telegram/{self.account.slug}/",
            data=body,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )

    def publish(self, sample, event="created", *, new_text=""):
        update = copy.deepcopy(sample.data)
        key = "message" if "message" in update else "channel_post"
        message = update.pop(key)
        update["update_id"] = next(self.update_ids)
        if event == "created":
            update[key] = message
        elif event == "edited":
            message["text"], message["edit_date"] = new_text, message["date"] + 60
            update["edited_" + key] = message
        else:
            update["deleted_business_messages"] = {
                "business_connection_id": "bc-1",
                "chat": message["chat"],
                "message_ids": [message["message_id"]],
            }
        response = self.post(update)
        assert response.status_code == 200, response.content

    def collect(self):
        deliveries.drain_all()

    def redeliver(self):
        response = self.client.post(
            f"/hooks/telegram/{self.account.slug}/",
            data=self.last,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status_code == 200

    def post_forged(self, sample):
        return self.post(sample.data, secret="not-the-secret")

    def post_malformed(self):
        return self.client.post(
            f"/hooks/telegram/{self.account.slug}/",
            data=b'{"update_id": 5, "message": {',
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )

    def replies_received(self):
        return [
            {
                "text": s["payload"]["text"],
                "in_reply_to": "{}:{}".format(
                    s["payload"]["chat_id"], s["payload"]["reply_parameters"]["message_id"]
                ),
            }
            for s in self.fake.sent
        ]

    def echo_replies(self):
        # Telegram does not send a bot its own messages, except its posts in a channel.
        for sent in self.fake.sent:
            message = dict(sent["message"], chat={"id": -1009876543210, "type": "channel"})
            message["sender_chat"] = message["chat"]
            message["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Acme"}
            self.post({"update_id": next(self.update_ids), "channel_post": message})

    def rate_limit_next(self, seconds):
        self.fake.rate_limit_next(seconds)


class TestTelegram(Contract):
    harness = TelegramHarness


def test_entities_offsets_are_utf16(org):
    from panal.channels.telegram.wire import links

    text = "😠😠 mira https://acme.example/a"
    # Each emoji is two UTF-16 code units: the link starts at 4 + 6 = 10.
    assert links(text, [{"type": "url", "offset": 10, "length": 22}]) == ["https://acme.example/a"]


def test_links_and_public_urls_come_from_the_update(org):
    harness = TelegramHarness(org)
    harness.start()
    try:
        for sample in harness.samples():
            harness.publish(sample)
        harness.collect()
        en = stored(harness.account, "-1001234567890:7")
        assert en.urls == ["https://acme.example/status"]
        assert en.url == "https://t.me/acme_clientes/7"
        dm = stored(harness.account, "5001:41")
        assert (dm.kind, dm.visibility, dm.url) == ("direct_message", "private", "")
        post = stored(harness.account, "-1009876543210:300")
        assert post.urls == ["https://acme.example/fibra"]
    finally:
        harness.stop()


def test_a_bad_entry_is_reported_and_the_delivery_kept(org):
    harness = TelegramHarness(org)
    harness.start()
    try:
        update = load("message__es.json")
        update["message"]["date"] = "yesterday"
        harness.post(update)
        harness.collect()
        row = InboundDelivery.objects.get(account=harness.account)
        assert row.status == "done" and "date" in row.error
        assert not Mention.objects.filter(account=harness.account).exists()
    finally:
        harness.stop()


def test_a_rejected_token_disconnects_the_account_and_refuses_replies(org, users):
    from panal.channels import replies
    from panal.channels.models import OutboundMessage

    harness = TelegramHarness(org)
    harness.start()
    try:
        sample = harness.samples()[0]
        harness.publish(sample)
        harness.collect()
        harness.account.credentials = {"token": "999:revoked"}
        harness.account.save()
        mention = stored(harness.account, sample.external_id)
        message = replies.send_reply(users["agent"], mention, "Hola")
        replies.deliver(message.pk)
        message.refresh_from_db()
        harness.account.refresh_from_db()
        assert message.status == OutboundMessage.Status.FAILED and "Unauthorized" in message.error
        assert harness.account.health == "disconnected"
        mention.refresh_from_db()
        assert "disconnected" in replies.refusal(mention, "Hola")
    finally:
        harness.stop()
