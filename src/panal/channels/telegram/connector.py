"""Telegram bots: `POST /hooks/telegram/<account>/` in, `sendMessage` out (README.md here)."""

from __future__ import annotations

import secrets as random_secrets
from datetime import timedelta

import httpx

from panal.channels import wire
from panal.channels.base import (
    AccountCheck,
    AuthFailed,
    BadPayload,
    Capability,
    Connector,
    Parsed,
    PushRequest,
    RateLimited,
    Rejected,
    Sent,
    Setting,
    register,
)
from panal.channels.http import Http
from panal.listening.choices import Channel
from panal.listening.normalise import ItemError

from . import signature
from .wire import CREATED, EDITED, item_of, message_id


def body_error(response: httpx.Response, now):
    """Telegram answers `{"ok": false, "error_code", "description", "parameters"}`."""
    if response.status_code < 400:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("ok") is not False:
        return None
    code, text = data.get("error_code"), str(data.get("description", ""))[:300]
    retry = (data.get("parameters") or {}).get("retry_after")
    if code == 429 or retry:
        return RateLimited(f"Telegram: {text}", now + timedelta(seconds=float(retry or 30)))
    if code == 401:
        return AuthFailed(f"Telegram: {text}")
    return None  # the generic mapping (403 blocked, 400 bad request) applies


class TelegramConnector(Connector):
    kind = Channel.TELEGRAM
    label = "Telegram bot"
    capabilities = frozenset({Capability.PUSH, Capability.REPLY})
    reply_limit = 4096
    settings = (
        Setting("base_url", "Bot API server.", default="https://api.telegram.org", kind="url"),
        Setting("token", "The bot token from @BotFather.", required=True, secret=True),
    )

    def new_hook_secret(self) -> str:
        """Telegram allows 1 to 256 characters: letters A to Z and a to z, digits, _ and -."""
        return random_secrets.token_urlsafe(32)

    # -- push ----------------------------------------------------------------------
    def verify_request(self, account, request: PushRequest) -> str:
        signature.verify(request.headers, [s for s in account.secrets or [] if isinstance(s, str)])
        # The update id is the delivery id; it is only known after parsing, which is
        # safe now that the token matched.
        data = wire.json_body(request.body)
        if isinstance(data, dict) and isinstance(data.get("update_id"), int):
            return f"update:{data['update_id']}"
        return wire.body_id(request.body)

    def check_body(self, account, body: bytes) -> None:
        data = wire.json_body(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise BadPayload("a Telegram update is a JSON object with an integer update_id")

    def parse_push(self, account, body: bytes) -> Parsed:
        update = wire.json_body(body)
        parsed = Parsed()
        if not isinstance(update, dict):
            raise BadPayload("a Telegram update is a JSON object")
        try:
            for key in CREATED + EDITED:
                message = update.get(key)
                if isinstance(message, dict):
                    parsed.items.append(item_of(message, "edited" if key in EDITED else "created"))
            gone = update.get("deleted_business_messages")
            if isinstance(gone, dict):
                chat = (gone.get("chat") or {}).get("id")
                for number in gone.get("message_ids") or []:
                    parsed.items.append(
                        wire.item({"external_id": message_id(chat, number), "event": "deleted"})
                    )
        except ItemError as exc:
            parsed.errors.append(f"update {update.get('update_id')}: {exc}")
        return parsed

    # -- replies -------------------------------------------------------------------
    def make_http(self, account) -> Http:
        token = self.setting(account, "token") or ""
        base = self.setting(account, "base_url").rstrip("/")
        return Http(f"{base}/bot{token}/", body_error=body_error)

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        chat_id, _, number = mention.external_id.partition(":")
        payload = {
            "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
            "text": text,  # no parse_mode: the text is sent as plain text, nothing to escape
            "reply_parameters": {"message_id": int(number), "allow_sending_without_reply": True},
        }
        thread = mention.thread_external_id.partition(":")[2]
        if thread.isdigit():
            payload["message_thread_id"] = int(thread)
        response = http.post("sendMessage", json=payload)
        data = response.json()
        if not data.get("ok"):
            raise Rejected(f"Telegram: {data.get('description', 'refused')}")
        result = data["result"]
        chat = result.get("chat") or {}
        url = ""
        if chat.get("username") and chat.get("type") in ("channel", "supergroup"):
            url = f"https://t.me/{chat['username']}/{result.get('message_id')}"
        return Sent(message_id(chat.get("id"), result.get("message_id")), url, result)

    def check(self, account, http: Http) -> AccountCheck:
        data = http.get("getMe").json()
        me = data.get("result") or {}
        return AccountCheck(handle=me.get("username", ""), self_ids=(str(me.get("id", "")),))


connector = register(TelegramConnector())
