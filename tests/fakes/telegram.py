"""A fake Telegram Bot API: `getMe`, `sendMessage`, token check, 429 with `retry_after`.

Deliveries to our webhook are posted by the harness with the secret token header,
exactly as Telegram's servers do after `setWebhook(url, secret_token=…)`.
"""

from __future__ import annotations

import itertools
import time

from .server import FakeServer, Request, Response

BOT_ID = 9000001
BOT_USERNAME = "acme_soporte_bot"


class FakeTelegram(FakeServer):
    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self.sent: list[dict] = []
        self.numbers = itertools.count(5000)
        self.route("POST", r"/bot(?P<token>[^/]+)/sendMessage")(self.send_message)
        self.route("GET", r"/bot(?P<token>[^/]+)/getMe")(self.get_me)
        self.route("POST", r"/bot(?P<token>[^/]+)/getMe")(self.get_me)

    def _unauthorised(self, request: Request) -> Response | None:
        if request.match["token"] != self.token:
            return Response.json(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        return None

    def get_me(self, request: Request) -> Response:
        return self._unauthorised(request) or Response.json(
            {
                "ok": True,
                "result": {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "Acme",
                    "username": BOT_USERNAME,
                },
            }
        )

    def send_message(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        data = request.json()
        if not isinstance(data.get("text"), str) or not data["text"]:
            return Response.json(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                },
                400,
            )
        if len(data["text"]) > 4096:
            return Response.json(
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
                400,
            )
        chat_id = data["chat_id"]
        message = {
            "message_id": next(self.numbers),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Acme", "username": BOT_USERNAME},
            "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "supergroup"},
            "date": int(time.time()),
            "text": data["text"],
        }
        reply = (data.get("reply_parameters") or {}).get("message_id")
        if reply:
            message["reply_to_message"] = {"message_id": reply, "chat": message["chat"], "date": 0}
        self.sent.append({"payload": data, "message": message})
        return Response.json({"ok": True, "result": message})

    def rate_limit_next(self, seconds: int) -> None:
        self.fail_next(
            429,
            path=r"/sendMessage",
            headers={"Content-Type": "application/json", "Retry-After": str(seconds)},
            body={
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {seconds}",
                "parameters": {"retry_after": seconds},
            },
        )
