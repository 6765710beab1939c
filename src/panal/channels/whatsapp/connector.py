"""WhatsApp Cloud API: Meta webhooks in, `POST /{phone_number_id}/messages` out (README.md here).

Customers write to one of our business numbers; Meta posts each message (and the
sent / delivered / read / failed statuses of our replies) to `/hooks/whatsapp/<account>/`,
signed with the app secret. Free-text replies are only allowed within 24 hours of the
customer's last message; after that, an approved template (`fallback_template`) is sent
instead, or the reply is refused up front.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Max
from django.utils.translation import gettext as _

from panal.channels import wire as common
from panal.channels.base import (
    AccountCheck,
    AuthFailed,
    BadPayload,
    Capability,
    Connector,
    Handshake,
    Parsed,
    PushRequest,
    Rejected,
    Sent,
    Setting,
    WindowClosed,
    register,
)
from panal.channels.http import Http
from panal.channels.meta import graph, webhooks
from panal.core import clock
from panal.listening.choices import Channel
from panal.listening.models import Mention
from panal.listening.normalise import ItemError

from . import wire

WINDOW = timedelta(hours=24)  # Meta's customer service window
TEMPLATE_TEXT_LIMIT = 1024  # a template's body, with its variable filled in


class WhatsAppConnector(Connector):
    kind = Channel.WHATSAPP
    label = "WhatsApp Cloud API"
    capabilities = frozenset({Capability.PUSH, Capability.REPLY})
    reply_limit = 4096
    settings = (
        Setting(
            "base_url",
            "Graph API root, with its version.",
            default="https://graph.facebook.com/v21.0",
            kind="url",
        ),
        Setting(
            "verify_token",
            "Any string of ours; Meta repeats it when the webhook is subscribed.",
            required=True,
        ),
        Setting(
            "app_secret", "The Meta app's secret (signs deliveries).", required=True, secret=True
        ),
        Setting("previous_app_secret", "The app secret before a rotation.", secret=True),
        Setting(
            "access_token",
            "A system-user token with whatsapp_business_messaging.",
            required=True,
            secret=True,
        ),
        Setting(
            "phone_number_id", "The business phone number's id (not the number).", required=True
        ),
        Setting("display_phone_number", "The business number as customers see it."),
        Setting(
            "fallback_template",
            "An approved template with one body variable, sent after the 24-hour window.",
        ),
        Setting("template_language", "The fallback template's language code.", default="es"),
    )

    # -- push ----------------------------------------------------------------------
    def handshake(self, account, request: PushRequest) -> Handshake | None:
        return webhooks.handshake(request, [self.setting(account, "verify_token") or ""])

    def verify_request(self, account, request: PushRequest) -> str:
        return webhooks.verify(request, webhooks.secrets_of(account))

    def check_body(self, account, body: bytes) -> None:
        _delivery(body)

    def parse_push(self, account, body: bytes) -> Parsed:
        data = _delivery(body)
        ours = str(self.setting(account, "phone_number_id") or "")
        parsed = Parsed()
        for entry in data["entry"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("changes") or [], list):
                parsed.errors.append("an entry is not an object with a list of changes")
                continue
            for change in entry.get("changes") or []:
                if not isinstance(change, dict) or change.get("field") != wire.FIELD:
                    continue  # template, quality and account updates are not mentions
                value = change.get("value")
                number = _number_of(value)
                if number and number != ours:
                    # One app, several numbers, one callback URL: the organisation's
                    # account for that number takes its part.
                    sibling = self.sibling(account, "phone_number_id", number)
                    if sibling is not None:
                        _read_value(
                            value, number, parsed.elsewhere.setdefault(sibling.pk, Parsed())
                        )
                        continue
                _read_value(value, ours, parsed)
        return parsed

    # -- replies -------------------------------------------------------------------
    def make_http(self, account) -> Http:
        return graph.client(
            self.setting(account, "base_url"), self.setting(account, "access_token")
        )

    def reply_refusal(self, account, mention, now: datetime) -> str | None:
        closes = window_closes_at(account, mention)
        if closes > now or self.setting(account, "fallback_template"):
            return None
        return closed_reason(closes)

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        number = self.setting(account, "phone_number_id")
        to = mention.thread_external_id or mention.author_external_id
        closes = window_closes_at(account, mention)
        template = self.setting(account, "fallback_template")
        note: dict = {"window_closes_at": closes.isoformat()}
        if closes > clock.now():
            payload = {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"body": text, "preview_url": False},
                "context": {"message_id": mention.external_id},
            }
            note["sent_as"] = "text"
        elif template:
            payload = self._template(account, to, template, text)
            note.update(sent_as="template", template=template)
        else:
            raise WindowClosed(closed_reason(closes))
        try:
            data = http.post(f"{number}/messages", json=payload).json()
        except WindowClosed as exc:
            raise WindowClosed(
                _(
                    "WhatsApp refused free text: the 24-hour customer service window is "
                    "closed (%(detail)s). Set an approved template (fallback_template) to "
                    "answer after it."
                )
                % {"detail": exc}
            ) from exc
        messages = data.get("messages") if isinstance(data, dict) else None
        wamid = messages[0].get("id") if messages and isinstance(messages[0], dict) else None
        if not wamid:
            raise Rejected(_("WhatsApp accepted the message but gave it no id."))
        return Sent(str(wamid), "", {**note, "response": data})

    def _template(self, account, to: str, name: str, text: str) -> dict:
        # A template variable may hold no new lines, tabs or runs of spaces.
        flat = " ".join(text.split())
        if len(flat) > TEMPLATE_TEXT_LIMIT:
            raise Rejected(
                _(
                    "After the 24-hour window the reply goes out in the template "
                    "“%(name)s”, which takes at most %(limit)d characters; this one has "
                    "%(length)d."
                )
                % {"name": name, "limit": TEMPLATE_TEXT_LIMIT, "length": len(flat)}
            )
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": name,
                "language": {"code": self.setting(account, "template_language")},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": flat}]}],
            },
        }

    # -- health --------------------------------------------------------------------
    def check(self, account, http: Http) -> AccountCheck:
        number = str(self.setting(account, "phone_number_id"))
        data = http.get(number, params={"fields": "display_phone_number,verified_name"}).json()
        display = str(
            data.get("display_phone_number") or self.setting(account, "display_phone_number") or ""
        )
        digits = "".join(c for c in display if c.isdigit())
        ids = tuple(i for i in (str(data.get("id") or number), digits) if i)
        return AccountCheck(
            handle=display, self_ids=ids, token_expires_at=self._token_expiry(account, http)
        )

    def _token_expiry(self, account, http: Http) -> datetime | None:
        """When the access token expires (`GET /debug_token`); None for never or unknown."""
        try:
            response = http.get(
                "debug_token", params={"input_token": self.setting(account, "access_token")}
            )
        except Rejected:
            return None  # the token may not inspect itself; the phone lookup passed
        info = (response.json() or {}).get("data") or {}
        if info.get("is_valid") is False:
            reason = (info.get("error") or {}).get("message") or "the token is not valid"
            raise AuthFailed(f"Meta: {str(reason)[:300]}")
        try:
            expires = int(info.get("expires_at") or 0)
        except (TypeError, ValueError):
            return None
        return datetime.fromtimestamp(expires, UTC) if expires > 0 else None


def _delivery(body: bytes) -> dict:
    data = common.json_body(body)
    if (
        not isinstance(data, dict)
        or data.get("object") != wire.OBJECT
        or not isinstance(data.get("entry"), list)
    ):
        raise BadPayload(
            'a WhatsApp delivery is {"object": "whatsapp_business_account", "entry": [...]}'
        )
    return data


def _number_of(value) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("metadata"), dict):
        return ""
    return str(value["metadata"].get("phone_number_id") or "")


def _read_value(value, ours: str, parsed: Parsed) -> None:
    """Add one change's messages and statuses to `parsed`, or say why not."""
    if not isinstance(value, dict):
        parsed.errors.append("a change has no value object")
        return
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    number = str(metadata.get("phone_number_id") or "")
    if number != ours:
        parsed.errors.append(
            f"a change for phone number id {number[:40]!r} is not this account's ({ours}): ignored"
        )
        return
    if value.get("errors"):
        parsed.errors.append(f"WhatsApp reported: {wire.error_text(value['errors'])}")
    contacts = value.get("contacts") if isinstance(value.get("contacts"), list) else []
    for message in value.get("messages") or []:
        if not isinstance(message, dict):
            parsed.errors.append("a message is not an object")
            continue
        try:
            item = wire.item_of(message, wire.contact_of(message, contacts), metadata)
        except ItemError as exc:
            parsed.errors.append(f"message {str(message.get('id'))[:80]}: {exc}")
            continue
        if item is not None:
            parsed.items.append(item)
    for status in value.get("statuses") or []:
        if not isinstance(status, dict):
            parsed.errors.append("a status is not an object")
            continue
        try:
            update = wire.status_of(status)
        except ItemError as exc:
            parsed.errors.append(f"status {str(status.get('id'))[:80]}: {exc}")
            continue
        if update is not None:
            parsed.statuses.append(update)


def window_closes_at(account, mention) -> datetime:
    """24 hours after the customer's newest message in the thread (the one we answer
    included): every mention in a WhatsApp thread is the customer's, ours are replies."""
    thread = mention.thread_external_id or mention.author_external_id
    latest = (
        Mention.objects.filter(account=account, thread_external_id=thread)
        .exclude(thread_external_id="")  # states the partial index's condition
        # A revoke of a message we never saw leaves a tombstone without text whose
        # time is only when we heard of it: it proves nothing about the window.
        .exclude(deleted_at__isnull=False, text="")
        .aggregate(last=Max("created_at"))["last"]
    )
    times = [t for t in (latest, mention.created_at) if t is not None]
    return max(times) + WINDOW


def closed_reason(closes: datetime) -> str:
    return _(
        "The 24-hour WhatsApp customer service window closed at %(time)s: free text can "
        "no longer be sent. Set an approved template (fallback_template) to answer after it."
    ) % {"time": closes.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")}


connector = register(WhatsAppConnector())
