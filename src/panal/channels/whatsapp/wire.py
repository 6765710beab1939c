"""WhatsApp Cloud API webhook objects as they arrive, and their mapping to mentions.

One delivery: `{"object": "whatsapp_business_account", "entry": [{"id": <WABA id>,
"changes": [{"field": "messages", "value": Value}]}]}`. A `Value` holds either the
customers' `messages` (with their `contacts`) or the `statuses` of our own outgoing
messages, for one of our phone numbers (`metadata.phone_number_id`). Timestamps are
Unix seconds as strings. Only the fields Panal reads are named.
"""

from __future__ import annotations

from typing import TypedDict

from panal.channels import wire
from panal.channels.base import StatusUpdate
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError, parse_time

OBJECT = "whatsapp_business_account"
FIELD = "messages"  # other subscribed fields (templates, account updates) are not mentions
MEDIA = ("image", "video", "audio", "document", "sticker")
STATES = ("sent", "delivered", "read", "failed")


class Metadata(TypedDict, total=False):
    display_phone_number: str
    phone_number_id: str


class Contact(TypedDict, total=False):
    profile: dict  # {"name"} and, for username users, {"username"}
    wa_id: str
    user_id: str  # business-scoped user id ("BSUID"), may replace wa_id for some users
    parent_user_id: str


class Message(TypedDict, total=False):
    # `from` is a Python keyword: read with message.get("from").
    id: str  # wamid.… (global)
    timestamp: str  # Unix seconds, as a string
    type: str  # text | image | … | interactive | button | reaction | edit | revoke | unsupported
    context: dict  # {"from", "id"} of the message it answers; {"forwarded": true}
    text: dict  # {"body"}
    edit: dict  # {"original_message_id", "message": {type, <type>: …}}
    revoke: dict  # {"original_message_id"}
    errors: list[dict]


class Status(TypedDict, total=False):
    id: str  # the wamid Meta gave our message when it accepted it
    status: str  # sent | delivered | read | failed
    timestamp: str
    recipient_id: str
    errors: list[dict]


class Value(TypedDict, total=False):
    messaging_product: str
    metadata: Metadata
    contacts: list[Contact]
    messages: list[Message]
    statuses: list[Status]
    errors: list[dict]


def error_text(errors) -> str:
    """Meta's `errors[]` as one line: `title (code N): details; …`."""
    parts = []
    for error in errors or []:
        if not isinstance(error, dict):
            continue
        title = str(error.get("title") or error.get("message") or "error")[:200]
        line = f"{title} (code {error.get('code')})"
        details = (error.get("error_data") or {}).get("details")
        if details and str(details) != title:
            line += f": {str(details)[:300]}"
        parts.append(line)
    return "; ".join(parts)[:1000]


def _media(kind: str, body: dict) -> dict:
    entry = {
        "type": kind,
        "external_id": str(body.get("id", "")),
        "mime": str(body.get("mime_type", "")),
        "url": "",  # a media id needs an authenticated GET /{media-id} to become a URL
        "alt": "",
    }
    if body.get("filename"):
        entry["filename"] = str(body["filename"])[:255]
    if body.get("sha256"):
        entry["sha256"] = str(body["sha256"])[:100]
    if body.get("voice"):
        entry["voice"] = True
    if body.get("animated"):
        entry["animated"] = True
    return entry


def _placeholder(kind: str, body: dict) -> str:
    """Text for a message without words, so the agent sees that something came."""
    if kind == "audio" and body.get("voice"):
        return "[voice message]"
    if kind == "document" and body.get("filename"):
        return f"[document: {str(body['filename'])[:255]}]"
    return f"[{kind}]"


def _number(value) -> str:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def content(message: dict) -> tuple[str, list[dict], list[str], dict] | None:
    """(text, media, urls, extra raw) of a message's content; None for a reaction."""
    kind = str(message.get("type") or "")[:40]
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "reaction":
        return None  # an emoji on a message, not something said
    if kind == "text":
        return str(body.get("body") or ""), [], [], {}
    if kind in MEDIA:
        caption = str(body.get("caption") or "")
        return caption or _placeholder(kind, body), [_media(kind, body)], [], {}
    if kind == "location":
        place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        lat, lon = _number(body.get("latitude")), _number(body.get("longitude"))
        where = f"({lat}, {lon})" if lat and lon else ""
        text = " ".join(p for p in ("[location]", place, where) if p)
        url = str(body.get("url") or "")
        extra = {"location": {k: body.get(k) for k in ("latitude", "longitude") if k in body}}
        return text, [], [url] if url else [], extra
    if kind == "interactive":
        reply_kind = str(body.get("type") or "")
        reply = body.get(reply_kind) if isinstance(body.get(reply_kind), dict) else {}
        title = str(reply.get("title") or reply.get("body") or "")
        if reply.get("description"):
            title += f" - {reply['description']}"
        extra = {"interactive": {"type": reply_kind[:40], "id": str(reply.get("id", ""))[:256]}}
        return title or f"[{reply_kind or kind}]", [], [], extra
    if kind == "button":  # a quick-reply button of a template
        extra = {"button": {"payload": str(body.get("payload", ""))[:256]}}
        return str(body.get("text") or "") or "[button]", [], [], extra
    if kind == "contacts":
        names = [
            str((c.get("name") or {}).get("formatted_name") or "")
            for c in message.get("contacts") or []
            if isinstance(c, dict)
        ]
        return "[contact] " + ", ".join(n for n in names if n), [], [], {}
    if kind == "order":
        products = body.get("product_items") or []
        text = str(body.get("text") or "") or f"[order: {len(products)} products]"
        return text, [], [], {"order": {"catalog_id": str(body.get("catalog_id", ""))}}
    if kind == "unsupported":
        reason = error_text(message.get("errors")) or "not supported"
        return f"[unsupported message: {reason}]", [], [], {}
    if isinstance(body.get("body"), str) and body["body"]:  # system and future text types
        return body["body"], [], [], {}
    return f"[{kind or 'message'}]", [], [], {}


def contact_of(message: dict, contacts: list) -> dict:
    sender = str(message.get("from") or "")
    people = [c for c in contacts or [] if isinstance(c, dict)]
    for person in people:
        if sender and str(person.get("wa_id") or "") == sender:
            return person
    return people[0] if len(people) == 1 else {}


def item_of(message: dict, contact: dict, metadata: dict) -> Item | None:
    """The mention (created, edited or deleted) a customer's message makes; None to skip."""
    kind = message.get("type")
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    author = str(message.get("from") or contact.get("wa_id") or contact.get("user_id") or "")
    if not author:
        raise ItemError("the message names no sender ('from')")
    raw = {
        "type": str(kind or "")[:40],
        "wamid": str(message.get("id", "")),
        "phone_number_id": str(metadata.get("phone_number_id", "")),
    }
    for key in ("user_id", "parent_user_id"):
        if contact.get(key):
            raw[key] = str(contact[key])[:100]
    common = {
        "kind": Kind.DIRECT_MESSAGE,
        "visibility": Visibility.PRIVATE,
        "reply_capability": ReplyCapability.DM_WINDOW,
        "author_external_id": author,
        # Names are the customer's own choice: cut, not refused, when absurdly long.
        "author_handle": str(profile.get("username") or "")[:255],
        "author_display_name": str(profile.get("name") or "")[:255],
        "thread_external_id": author,
    }
    when = wire.epoch(message.get("timestamp"))
    if kind == "revoke":
        original = (message.get("revoke") or {}).get("original_message_id")
        if not original:
            raise ItemError("a revoke names no original_message_id")
        return wire.item({"external_id": str(original), "event": "deleted", **common, "raw": raw})
    event, target, source = "created", message.get("id"), message
    if kind == "edit":
        edit = message.get("edit") or {}
        event, target = "edited", edit.get("original_message_id")
        source = edit.get("message") if isinstance(edit.get("message"), dict) else {}
        if not target:
            raise ItemError("an edit names no original_message_id")
    if not target:
        raise ItemError("the message has no id")
    found = content(source)
    if found is None:
        return None
    text, media, urls, extra = found
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        raw["forwarded"] = "frequently" if context.get("frequently_forwarded") else "yes"
    if message.get("errors") and kind != "unsupported":
        raw["errors"] = error_text(message["errors"])
    if isinstance(message.get("referral"), dict):  # click-to-WhatsApp ad or post
        raw["referral"] = {
            k: str(message["referral"].get(k, ""))[:500]
            for k in ("source_type", "source_id", "source_url", "headline")
        }
    return wire.item(
        {
            "external_id": str(target),
            "event": event,
            **common,
            "text": text,
            "created_at": when,
            "edited_at": when if event == "edited" else None,
            "in_reply_to_external_id": str(context.get("id") or ""),
            "urls": urls,
            "media": media,
            "raw": {**raw, **extra},
        }
    )


def status_of(status: dict) -> StatusUpdate | None:
    """News about one of our messages; None for states Panal does not track."""
    state = status.get("status")
    if state not in STATES or not status.get("id"):
        return None
    return StatusUpdate(
        external_id=str(status["id"]),
        state=state,
        at=parse_time(status.get("timestamp"), "timestamp"),
        error=error_text(status.get("errors")) if state == "failed" else "",
    )
