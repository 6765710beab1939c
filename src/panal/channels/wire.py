"""Helpers every connector shares: reading bodies, ids, offsets, signatures.

Connectors map a network's object to the normalised mention shape (docs/mentions.md)
and hand it to `item`, which applies the same checks as every other way in
(lengths, strings no database stores, URLs, dates), so a stranger's payload is
bounded the same everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from panal.listening.normalise import Item, ItemError, parse_item

from .base import BadPayload, BadSignature, MissingHeader
from .incoming import JSON_DECODER


def item(data: dict) -> Item:
    """The normalised item of `data` (keys as in docs/mentions.md); `ItemError` if unusable."""
    return parse_item(data)


def json_body(body: bytes, *, what: str = "body") -> Any:
    """Decode a JSON body or raise `BadPayload` saying why (UTF-8, syntax, depth)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadPayload(f"{what} is not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        return JSON_DECODER.decode(text)
    except ValueError as exc:
        raise BadPayload(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadPayload(f"{what} is not valid JSON: nested too deeply") from None


def body_id(body: bytes) -> str:
    """A delivery id for networks that send none: the same bytes are the same delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def header(headers, name: str, *, status: int = 401) -> str:
    value = headers.get(name)
    if not value:
        raise MissingHeader(f"missing header {name}", status=status)
    return value


def hmac_sha256(secret: str | bytes, message: bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def same(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison of two signatures or tokens."""
    a = a.encode("utf-8") if isinstance(a, str) else a
    b = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(a, b)


def require_any(candidates: list[str], given: str, what: str) -> None:
    """`given` must equal one of `candidates` (current and previous secret) or 401."""
    if not any(c and same(c, given) for c in candidates):
        raise BadSignature(f"{what} does not match")


def epoch(seconds: float | int | str | None) -> str | None:
    """An ISO 8601 UTC time from Unix seconds (what `item` reads), or None."""
    if seconds in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(float(seconds), UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        raise ItemError(f"not a Unix time: {str(seconds)[:40]!r}") from None


def iso_time(value) -> datetime | None:
    """A time we stored in a cursor as ISO 8601, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# Recently seen items that a poll reads again to notice edits and deletes are kept in the
# cursor as {id: [first seen (Unix seconds), content digest]}.


def seen_at(entry) -> float:
    try:
        return float(entry[0])
    except (TypeError, ValueError, IndexError):
        return 0.0


def seen_digest(entry) -> str:
    try:
        return str(entry[1])
    except (TypeError, IndexError):
        return ""


def recent_within(recent: dict, now: datetime, hours: int, most: int) -> dict:
    """The recent items still worth reading again: first seen inside the window, newest first."""
    if hours <= 0:
        return {}
    cutoff = now.timestamp() - hours * 3600
    kept = sorted(
        ((key, v) for key, v in recent.items() if seen_at(v) >= cutoff),
        key=lambda pair: seen_at(pair[1]),
        reverse=True,
    )
    return dict(kept[:most])


def utf16_slice(text: str, offset: int, length: int) -> str:
    """`text[offset:offset+length]` counted in UTF-16 code units (Telegram, Instagram)."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le", "ignore")


def utf8_slice(text: str, start: int, end: int) -> str:
    """`text[start:end]` counted in UTF-8 bytes (Bluesky facets)."""
    return text.encode("utf-8")[start:end].decode("utf-8", "ignore")
