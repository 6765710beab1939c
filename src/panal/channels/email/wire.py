"""One e-mail (RFC 5322 / MIME bytes, as IMAP hands it over) to one normalised item.

Parsed with the standard library's `email` package (`policy.default`). Every header and
body part is a stranger's: encoded words in any charset or none, charsets that lie, bodies
that do not decode, headers meant to inject others. Nothing here raises for bad input
except `MailError` (and `ItemError` from `wire.item`) for a message that cannot become a
mention at all; the connector reports those with their UID and carries on.

Decisions (README.md here): the external id is the Message-ID without angle brackets
(`sha256:<hex>` of the raw bytes when there is none); automatic mail (auto-replies,
bounces, bulk) and our own mail are skipped, not stored; a bounce of one of our replies
becomes a "failed" status of that reply.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser, Parser
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings

from panal.channels import wire
from panal.channels.base import StatusUpdate
from panal.core.text import clean, html_to_text
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item

MAX_ID = 500  # longer Message-IDs are hashed: external ids are at most 512 characters
MAX_REFERENCES = 50  # kept of a References header: the root and the latest 49
MAX_HEADER = 2000  # characters of one header value kept in `raw`
MAX_DEPTH = 30  # nested multiparts followed
_ID_RE = re.compile(r"<([^<>\s]{1,4000})>")
_BARE_ID_RE = re.compile(r"[^<>\s@]+@[^<>\s@]+")
_ADDRESS_RE = re.compile(r"[^@\s<>()\[\],;:\"\\]{1,64}@[^@\s<>()\[\],;:\"\\]{1,253}")
_URL_RE = re.compile(r"https?://[^\s<>\"'`)\]]+", re.IGNORECASE)
_HREF_RE = re.compile(r"""href\s*=\s*["']?(https?://[^"'\s<>]+)""", re.IGNORECASE)
_FOLD_RE = re.compile(r"\r?\n[ \t]*")
_ESCAPED_RE = re.compile("[\udc80-\udcff]+")
_WEST = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "cp1252"}
_WEST |= {"windows-1252"}
_ROBOTS = ("mailer-daemon", "postmaster", "mail-daemon")
_KEPT_HEADERS = (
    "Message-ID", "In-Reply-To", "References", "Date", "From", "Sender", "Reply-To", "To",
    "Cc", "Subject", "Auto-Submitted", "Precedence", "List-Id", "Content-Language",
)  # fmt: skip


class MailError(ValueError):
    """This message cannot become a mention; the text says why."""


@dataclass(frozen=True)
class Reading:
    """What one message is: a mention, news about one of our replies, or neither (why)."""

    item: Item | None = None
    status: StatusUpdate | None = None
    skipped: str = ""


# -- ids ----------------------------------------------------------------------------------


def id_key(message_id: str) -> str:
    """Panal's id for a Message-ID: without brackets; hashed when absurdly long."""
    message_id = message_id.strip().strip("<>").strip()
    if len(message_id) > MAX_ID:
        return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    return message_id


def ids_in(value: str) -> list[str]:
    """The Message-IDs in a header value (`<a@b> <c@d>`), as keys, in order."""
    found = _ID_RE.findall(value or "")
    if not found:  # some clients leave out the brackets
        found = _BARE_ID_RE.findall(value or "")
    return [id_key(i) for i in found if i.strip()]


def trimmed(references: list[str]) -> list[str]:
    """A References list kept short the way RFC 5322 suggests: the root and the latest."""
    if len(references) <= MAX_REFERENCES:
        return references
    return [references[0], *references[-(MAX_REFERENCES - 1) :]]


# -- strings -------------------------------------------------------------------------------


def safe(value: str) -> str:
    """A string any database stores: raw 8-bit bytes read (UTF-8, else Windows-1252), no
    NUL, no lone surrogates."""
    if not value.isascii():
        value = _ESCAPED_RE.sub(lambda m: decode_bytes(_unescape(m.group()), None), value)
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "")


def _unescape(run: str) -> bytes:
    """The bytes the parser kept as surrogate escapes (U+DC80 to U+DCFF)."""
    return bytes(ord(c) - 0xDC00 for c in run)


def one_line(value: str, limit: int) -> str:
    """A header shown to people: cleaned, no line breaks (no header injection), bounded."""
    return clean(safe(value).replace("\r", " ").replace("\n", " "))[:limit]


def valid_address(value: str) -> bool:
    return bool(value) and len(value) <= 254 and _ADDRESS_RE.fullmatch(value) is not None


def raw_header(msg: Message, name: str) -> str:
    """The header's value exactly as sent (unfolded), or "" - no parsing that could fail."""
    return safe(_source(msg, name))


def _source(msg: Message, name: str) -> str:
    wanted = name.lower()
    for key, value in msg.raw_items():  # the stored source text of each header
        if key.lower() == wanted:
            return _FOLD_RE.sub(" ", str(value)).strip()
    return ""


def header_text(msg: Message, name: str) -> str:
    """A decoded unstructured header (RFC 2047 words in any charset, or raw 8-bit text)."""
    if _ESCAPED_RE.search(_source(msg, name)):
        # Raw 8-bit bytes in a header: the parser would make them U+FFFD; read them here.
        return _decode_words(raw_header(msg, name))
    try:
        value = msg.get(name)
        return safe(str(value)) if value is not None else ""
    except Exception:  # the header parser must not stop the message
        return _decode_words(raw_header(msg, name))


def _decode_words(value: str) -> str:
    try:
        return safe(str(make_header(decode_header(value))))
    except Exception:  # an undecodable encoded word stays as sent
        return value


def addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-case address) of each mailbox in an address header."""
    found: list[tuple[str, str]] = []
    try:
        header = msg.get(name)
        for address in getattr(header, "addresses", ()) or ():
            found.append((safe(address.display_name or ""), safe(address.addr_spec or "")))
    except Exception:  # fall back to the lenient parser on the raw text
        found = [
            (_decode_words(display), safe(addr))
            for display, addr in getaddresses([raw_header(msg, name)])
        ]
    return [(display, addr.strip().lower()) for display, addr in found if "@" in addr]


# -- bodies --------------------------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset, unless the declaration is a lie we can see through."""
    charset = (charset or "us-ascii").strip().lower()
    if not data.isascii() and charset in _WEST:
        # Valid multi-byte UTF-8 is almost never Latin-1 text: trust the bytes.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for candidate in (charset, "utf-8"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeError, ValueError):
            continue
    return data.decode("cp1252", "replace")


def unflow(text: str, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): a line ending in a space continues on the next."""
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        flowed = line.endswith(" ") and line != "-- "
        if flowed and delsp:
            line = line[:-1]
        if joining:
            out[-1] += line
        else:
            out.append(line)
        joining = flowed
    return "\n".join(out)


def _leaves(part: Message, depth: int = 0):
    """The non-multipart parts in order; a forwarded message (message/rfc822) is one leaf."""
    if depth > MAX_DEPTH:
        return
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub, depth + 1)
    else:
        yield part


def _filename(part: Message) -> str:
    try:
        return one_line(part.get_filename() or "", 255)
    except Exception:  # an unreadable RFC 2231 name is no name
        return ""


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    return disposition == "attachment" or bool(_filename(part))


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = decode_bytes(payload, charset).replace("\r\n", "\n").replace("\r", "\n")
    try:
        flowed = (part.get_param("format") or "").lower() == "flowed"
        delsp = (part.get_param("delsp") or "").lower() == "yes"
    except Exception:
        flowed = delsp = False
    return unflow(text, delsp) if flowed and part.get_content_subtype() == "plain" else text


def _media(part: Message) -> dict:
    mime = part.get_content_type()
    payload = part.get_payload(decode=True)
    kind = part.get_content_maintype()
    return {
        "type": kind if kind in ("image", "video", "audio") else "file",
        "mime": mime[:255],
        "filename": _filename(part),
        "size": len(payload) if isinstance(payload, bytes) else 0,
    }


def bodies(msg: Message) -> tuple[str, str, list[dict]]:
    """(plain text, HTML, attachments) of a message.

    The text is every inline text/plain part in order; without one, the inline HTML made
    plain. Attachments are listed (type, MIME type, file name, size), never stored.
    """
    plain: list[str] = []
    html: list[str] = []
    other_text: list[str] = []
    media: list[dict] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        if _is_attachment(part) or part.get_content_maintype() not in ("text",):
            if len(media) < 100:
                media.append(_media(part))
            continue
        text = _text_of(part)
        if ctype == "text/plain":
            plain.append(text)
        elif ctype == "text/html":
            html.append(text)
        else:
            other_text.append(text)
    markup = "\n".join(h for h in html if h.strip())
    text = "\n\n".join(p.strip("\n") for p in plain if p.strip())
    if not text and markup:
        text = html_to_text(markup)
    if not text and other_text:
        text = "\n\n".join(other_text)
    return clean(safe(text)), safe(markup), media


# -- automatic mail --------------------------------------------------------------------------


def automatic(msg: Message, sender: str) -> str:
    """Why this message is machine-sent (RFC 3834 and common practice), or ""."""
    submitted = raw_header(msg, "Auto-Submitted").lower()
    if submitted and not submitted.startswith("no"):
        return f"automatic message (Auto-Submitted: {submitted[:40]})"
    precedence = raw_header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        return f"automatic message (Precedence: {precedence})"
    if raw_header(msg, "X-Autoreply") or raw_header(msg, "X-Autorespond"):
        return "automatic reply (X-Autoreply)"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    if sender.split("@")[0] in _ROBOTS:
        return "delivery report (from the mail system)"
    return ""


def bounce_status(msg: Message) -> StatusUpdate | None:
    """A DSN (RFC 3464) saying one of our messages failed: its id and the reason."""
    if msg.get_content_type() != "multipart/report" or not msg.is_multipart():
        return None
    action, reason, original = "", "", ""
    for part in _leaves(msg):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in part.get_payload() or []:
                if not isinstance(block, Message):
                    continue
                found = (raw_header(block, "Action") or "").lower()
                if found and action != "failed":
                    action = found
                    reason = raw_header(block, "Diagnostic-Code") or raw_header(block, "Status")
        elif ctype in ("message/rfc822", "message/global", "text/rfc822-headers"):
            if ctype == "text/rfc822-headers":
                inner: Message = Parser(policy=policy.default).parsestr(
                    _text_of(part), headersonly=True
                )
            else:
                payload = part.get_payload()
                inner = payload[0] if isinstance(payload, list) and payload else Message()
            found_ids = ids_in(raw_header(inner, "Message-ID"))
            original = original or (found_ids[0] if found_ids else "")
    if action != "failed" or not original:
        return None
    return StatusUpdate(external_id=original, state="failed", error=one_line(reason, 480))


# -- the message ------------------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def read(
    raw: bytes,
    *,
    internaldate: datetime | None = None,
    own_address: str = "",
    extra_raw: dict | None = None,
) -> Reading:
    """The mention (or status, or reason to skip) that one message is."""
    msg = parse(raw)
    senders = addresses(msg, "From")
    sender_name, sender = senders[0] if senders else ("", "")
    if not valid_address(sender):
        raise MailError("no usable From address")
    own = own_address.strip().lower()
    if own and sender == own:
        return Reading(skipped="our own message (echo)")
    why = automatic(msg, sender)
    if why:
        try:
            status = bounce_status(msg)
        except Exception:  # an unreadable report is still not a mention
            status = None
        return Reading(status=status, skipped=why)

    own_ids = ids_in(raw_header(msg, "Message-ID"))
    external_id = own_ids[0] if own_ids else wire.body_id(raw)
    references = trimmed(ids_in(raw_header(msg, "References")))
    parents = ids_in(raw_header(msg, "In-Reply-To"))
    parent = parents[0] if parents else (references[-1] if references else "")
    thread = references[0] if references else (parent or external_id)

    text, markup, media = bodies(msg)
    limit = settings.PANAL_MAX_TEXT_CHARS
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if len(markup) > limit:
        markup = ""  # cut markup is broken markup; the text has what matters
    title = one_line(header_text(msg, "Subject"), 1000)
    if not text and media:
        names = ", ".join(m["filename"] or m["mime"] for m in media)
        text = f"[{names}]"[:limit]
    if not text and not title:
        raise MailError("the message has no text, no subject and no attachment")

    reply_to = [a for _, a in addresses(msg, "Reply-To") if valid_address(a)]
    lang = raw_header(msg, "Content-Language").split(",")[0].strip()
    links = list(dict.fromkeys(_URL_RE.findall(text) + _HREF_RE.findall(markup)))[:20]
    data = {
        "external_id": external_id,
        "event": "created",
        "kind": Kind.EMAIL,
        "visibility": Visibility.PRIVATE,
        "reply_capability": ReplyCapability.PRIVATE_REPLY,
        "text": text,
        "text_html": markup,
        "title": title,
        "lang": lang[:35],
        "created_at": _created(msg, internaldate),
        "author_external_id": sender,
        "author_display_name": one_line(sender_name, 255),
        "thread_external_id": thread,
        "in_reply_to_external_id": parent,
        "urls": [u.rstrip(".,;:!?") for u in links],
        "media": media,
        "raw": {
            **(extra_raw or {}),
            "message_id": external_id if own_ids else "",
            "references": references,
            "reply_to": reply_to[0] if reply_to else "",
            "to": [a for _, a in addresses(msg, "To")][:50],
            "cc": [a for _, a in addresses(msg, "Cc")][:50],
            "headers": {
                name: raw_header(msg, name)[:MAX_HEADER]
                for name in _KEPT_HEADERS
                if raw_header(msg, name)
            },
        },
    }
    item = wire.item(data)
    # E-mail is never edited: a second message with the same Message-ID (a copy, a
    # rebuilt mailbox, or a stranger reusing the id) must not rewrite the first one.
    item.content_hash = hashlib.sha256(f"email:{external_id}".encode()).hexdigest()
    return Reading(item=item)


def _created(msg: Message, internaldate: datetime | None) -> str | None:
    for candidate in (_date_header(msg), internaldate):
        if candidate is None:
            continue
        when = candidate if candidate.tzinfo else candidate.replace(tzinfo=UTC)
        if 1990 <= when.year <= 2200:
            return when.astimezone(UTC).isoformat()
    return None


def _date_header(msg: Message) -> datetime | None:
    value = raw_header(msg, "Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
