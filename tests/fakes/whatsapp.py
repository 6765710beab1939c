"""A fake WhatsApp Cloud API, and Meta's webhook signer for it.

Graph side (`/v21.0/...`, bearer token, Graph error bodies):
- `POST /{phone_number_id}/messages`: text within 24 hours of the customer's last message,
  else error 131047 "Re-engagement message"; templates at any time (name, language and
  number of body variables checked); 4096 characters at most; answers the new wamid.
- `GET /{phone_number_id}?fields=...`: the number's display form and verified name.
- `GET /debug_token?input_token=...`: the token's validity and expiry.
- a wrong token: 401 with code 190; `throttle_next`: 400 with code 130429 and
  `X-Business-Use-Case-Usage`, as Meta answers a throughput limit.

Webhook side: `customer_wrote`, `statuses` and `deliver_statuses` build delivery bodies
exactly as Meta sends them (compact JSON, non-ASCII escaped as \\uXXXX, "/" as "\\/"),
signed over those raw bytes with the app secret. A customer's message, built here,
opens that customer's 24-hour window in the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import re
import time

from .server import FakeServer, Request, Response

VERSION = "v21.0"
WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "+1 555-010-0199"
DISPLAY_DIGITS = "15550100199"
VERIFIED_NAME = "Acme Soporte"
DAY = 24 * 3600


def meta_json(data) -> bytes:
    """JSON as Meta writes webhook bodies: compact, ASCII only, slashes escaped."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def error(code: int, message: str, *, details: str = "", status: int = 400, kind="") -> Response:
    body: dict = {
        "message": message,
        "type": kind or "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjKlMnOp",
    }
    if details:
        body["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return Response.json({"error": body}, status)


class FakeWhatsApp(FakeServer):
    def __init__(self, token: str, app_secret: str, *, templates: dict | None = None):
        super().__init__()
        self.token = token
        self.app_secret = app_secret
        self.phone_number_id = PHONE_NUMBER_ID
        # (name, language code) -> number of body variables, as approved in WhatsApp Manager.
        self.templates = templates if templates is not None else {("seguimiento", "es"): 1}
        self.token_expires_at = 0  # 0: never (a system-user token)
        self.now = time.time
        self.last_inbound: dict[str, float] = {}  # wa_id -> when the customer last wrote
        self.sent: list[dict] = []  # {"payload", "wamid"}
        self.numbers = itertools.count(1)
        self.route("POST", rf"/{VERSION}/(?P<number>\d+)/messages")(self.send)
        self.route("GET", rf"/{VERSION}/debug_token")(self.debug_token)
        self.route("GET", rf"/{VERSION}/(?P<number>\d+)")(self.phone_number)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/{VERSION}"

    # -- Graph API -----------------------------------------------------------------
    def _unauthorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return error(
                190,
                "Error validating access token: Session has expired.",
                status=401,
                kind="OAuthException",
            )
        return None

    def phone_number(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        if request.match["number"] != self.phone_number_id:
            return error(100, f"Unsupported get request. Object with ID '{request.match['number']}'"
                         " does not exist", kind="GraphMethodException")  # fmt: skip
        known = {"display_phone_number": DISPLAY_NUMBER, "verified_name": VERIFIED_NAME}
        fields = (request.arg("fields") or "").split(",")
        answer = {k: v for k, v in known.items() if k in fields}
        answer["id"] = self.phone_number_id
        return Response.json(answer)

    def debug_token(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        if request.arg("input_token") != self.token:
            return Response.json(
                {"data": {"is_valid": False, "error": {"code": 190, "message": "Invalid token"}}}
            )
        return Response.json(
            {
                "data": {
                    "app_id": "880011223344",
                    "type": "SYSTEM_USER",
                    "application": "Acme Panal",
                    "data_access_expires_at": 0,
                    "expires_at": self.token_expires_at,
                    "is_valid": True,
                    "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
                    "user_id": "122100000000000001",
                }
            }
        )

    def send(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        if request.match["number"] != self.phone_number_id:
            return error(100, "Unsupported post request.", kind="GraphMethodException")
        data = request.json()
        if not isinstance(data, dict) or data.get("messaging_product") != "whatsapp":
            return error(100, "(#100) The parameter messaging_product is required.")
        to = str(data.get("to") or "")
        if not to.isdigit():
            return error(100, "(#100) Invalid parameter", details="Param to is not valid")
        kind = data.get("type", "text")
        if kind == "template":
            refused = self._check_template(data.get("template") or {})
        elif kind == "text":
            refused = self._check_text(data.get("text") or {}) or self._check_window(to)
        else:
            refused = error(100, f"(#100) Unsupported type {kind!r} in this fake")
        if refused:
            return refused
        wamid = f"wamid.HBgL{to}FQIAERgS{next(self.numbers):08X}"
        self.sent.append({"payload": data, "wamid": wamid})
        message: dict = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        return Response.json(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [message],
            }
        )

    def _check_text(self, text: dict) -> Response | None:
        body = text.get("body")
        if not isinstance(body, str) or not body:
            return error(100, "(#100) The parameter text['body'] is required.")
        if len(body) > 4096:
            return error(
                100,
                "(#100) Invalid parameter",
                details="Param text['body'] must be at most 4096 characters long.",
            )
        return None

    def _check_window(self, to: str) -> Response | None:
        last = self.last_inbound.get(to)
        if last is None or self.now() - last > DAY:
            return error(
                131047,
                "Re-engagement message",
                details="Message failed to send because more than 24 hours have passed "
                "since the customer last replied to this number.",
            )
        return None

    def _check_template(self, template: dict) -> Response | None:
        key = (template.get("name"), (template.get("language") or {}).get("code"))
        if key not in self.templates:
            return error(
                132001,
                "(#132001) Template name does not exist in the translation",
                details=f"template name ({key[0]}) does not exist in {key[1]}",
            )
        params = [
            p
            for c in template.get("components") or []
            if c.get("type") == "body"
            for p in c.get("parameters") or []
        ]
        if len(params) != self.templates[key]:
            return error(
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
            )
        for param in params:
            text = param.get("text") or ""
            if re.search(r"[\n\t]| {5}", text):
                return error(
                    100,
                    "(#100) Invalid parameter",
                    details="Param text cannot have new-line/tab characters or more than 4 "
                    "consecutive spaces",
                )
        return None

    def throttle_next(self, seconds: int) -> None:
        """The next send hits the number's throughput limit (code 130429)."""
        usage = {
            WABA_ID: [
                {
                    "type": "whatsapp_business_messaging",
                    "call_count": 100,
                    "total_cputime": 12,
                    "total_time": 25,
                    "estimated_time_to_regain_access": math.ceil(seconds / 60),
                }
            ]
        }
        self.fail_next(
            400,
            path=r"/messages",
            headers={
                "Content-Type": "application/json",
                "X-Business-Use-Case-Usage": json.dumps(usage),
            },
            body={
                "error": {
                    "message": "(#130429) Rate limit hit",
                    "type": "OAuthException",
                    "code": 130429,
                    "error_data": {
                        "messaging_product": "whatsapp",
                        "details": "Cloud API message throughput has been reached.",
                    },
                    "fbtrace_id": "AbCdEfGhIjKlMnOq",
                }
            },
        )

    # -- webhooks ------------------------------------------------------------------
    def sign(self, body: bytes, secret: str | None = None) -> str:
        key = (secret if secret is not None else self.app_secret).encode("utf-8")
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def envelope(self, value: dict, *, field: str = "messages") -> dict:
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": field}]}],
        }

    def value(self, **parts) -> dict:
        return {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_DIGITS,
                "phone_number_id": self.phone_number_id,
            },
            **parts,
        }

    def signed(self, data: dict, secret: str | None = None) -> tuple[bytes, str]:
        """The raw body Meta would post for `data`, and its X-Hub-Signature-256."""
        body = meta_json(data)
        return body, self.sign(body, secret)

    def customer_wrote(self, message: dict, contact: dict) -> tuple[bytes, str]:
        """A delivery of one customer's message; it opens their window here too."""
        sender = str(message.get("from"))
        when = float(message.get("timestamp") or self.now())
        if message.get("type") not in ("reaction",):
            self.last_inbound[sender] = max(self.last_inbound.get(sender, 0), when)
        return self.signed(self.envelope(self.value(contacts=[contact], messages=[message])))

    def status(self, wamid: str, state: str, recipient: str, errors: list | None = None) -> dict:
        now = int(self.now())
        entry: dict = {
            "id": wamid,
            "status": state,
            "timestamp": str(now),
            "recipient_id": recipient,
        }
        if state == "failed":
            entry["errors"] = errors or []
        else:
            entry["conversation"] = {
                "id": "7270432eae37498234f4444b35ffc5",
                "origin": {"type": "service"},
            }
            if state == "sent":
                entry["conversation"]["expiration_timestamp"] = str(now + DAY)
            entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
        return entry

    def statuses(self, *entries: dict) -> tuple[bytes, str]:
        return self.signed(self.envelope(self.value(statuses=list(entries))))

    def deliver_statuses(self, states=("sent", "delivered", "read")) -> list[tuple[bytes, str]]:
        """What Meta posts after each accepted send: one delivery per status change."""
        out = []
        for sent in self.sent:
            for state in states:
                out.append(self.statuses(self.status(sent["wamid"], state, sent["payload"]["to"])))
        return out
