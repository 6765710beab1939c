"""Turn one incoming item (JSON object or CSV row) into the fields of a Mention.

Pure functions, no database. Every field is a stranger's: bounded, typed, cleaned.
`ItemError` names what is wrong so a file import can report it with the line number.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings

from panal.core.text import canonical_lang, clean

from .choices import Kind, ReplyCapability, Visibility

EVENTS = {"created", "edited", "deleted"}
_KINDS = set(Kind.values)
_VISIBILITIES = set(Visibility.values)
_CAPABILITIES = set(ReplyCapability.values)
_AUTHOR_KEYS = (
    "external_id", "handle", "display_name", "followers", "avatar_url", "is_bot", "verified",
    "description",
)  # fmt: skip
MAX_BIO = 5000  # characters of an author's description (bio)


class ItemError(ValueError):
    """One item cannot be stored; the message says why in words a user understands."""


@dataclass(slots=True)
class Item:
    external_id: str
    event: str = "created"
    kind: str = Kind.POST
    visibility: str = Visibility.PUBLIC
    text: str = ""
    text_html: str = ""
    title: str = ""
    lang: str = ""
    created_at: datetime | None = None
    edited_at: datetime | None = None
    url: str = ""
    author_external_id: str = ""
    author_handle: str = ""
    author_display_name: str = ""
    author_followers: int | None = None
    author_avatar_url: str = ""
    author_is_bot: bool | None = None
    author_verified: bool | None = None
    author_description: str = ""
    country: str = ""
    thread_external_id: str = ""
    in_reply_to_external_id: str = ""
    urls: list = field(default_factory=list)
    media: list = field(default_factory=list)
    rating: int | None = None
    metrics: dict = field(default_factory=dict)
    reply_capability: str = ReplyCapability.PUBLIC_REPLY
    raw: dict = field(default_factory=dict)
    content_hash: str = ""


def _str(data: dict, key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ItemError(f"'{key}' is required")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ItemError(f"'{key}' must be a string")
    if len(value) > limit:
        raise ItemError(f"'{key}' is longer than {limit} characters")
    return value


def _int(data: dict, key: str, *, low: int | None = None, high: int | None = None) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ItemError(f"'{key}' must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ItemError(f"'{key}' must be a whole number, not {str(value)[:40]!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ItemError(f"'{key}' must be between {low} and {high}")
    return number


def _bool(data: dict, key: str) -> bool | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes"}:
        return True
    if text in {"0", "false", "no"}:
        return False
    raise ItemError(f"'{key}' must be true or false")


def parse_time(value: Any, key: str = "created_at") -> datetime | None:
    """ISO 8601 (with or without zone; naive means UTC) or Unix seconds / milliseconds."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
            seconds = float(value)
            if seconds > 1e11:  # milliseconds
                seconds /= 1000
            result = datetime.fromtimestamp(seconds, UTC)
        else:
            text = str(value).strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            result = datetime.fromisoformat(text)
            result = result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ItemError(f"'{key}' is not a date and time: {str(value)[:40]!r}") from None
    if not 1990 <= result.year <= 2200:
        raise ItemError(f"'{key}' is out of range: {str(value)[:40]!r}")
    return result


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _list(data: dict, key: str) -> list:
    value = data.get(key)
    if value in (None, ""):
        return []
    if isinstance(value, str):  # CSV: JSON array or space-separated
        try:
            value = json.loads(value) if value.lstrip().startswith("[") else value.split()
        except ValueError:
            raise ItemError(f"'{key}' must be a JSON list") from None
    if not isinstance(value, list):
        raise ItemError(f"'{key}' must be a list")
    return value[:100]


def _dict(data: dict, key: str) -> dict:
    value = data.get(key)
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ItemError(f"'{key}' must be a JSON object") from None
    if not isinstance(value, dict):
        raise ItemError(f"'{key}' must be an object")
    return value


def _choice(data: dict, key: str, allowed: set[str], default: str) -> str:
    value = data.get(key) or default
    if value not in allowed:
        raise ItemError(f"'{key}' must be one of {', '.join(sorted(allowed))}")
    return value


def parse_items(objects: list, max_errors: int | None = None) -> tuple[list[Item], list[dict]]:
    """Validate a batch: the items, and `{"index", "error"}` for each bad one."""
    items: list[Item] = []
    errors: list[dict] = []
    for index, data in enumerate(objects):
        try:
            items.append(parse_item(data))
        except ItemError as exc:
            errors.append({"index": index, "error": str(exc)})
            if max_errors is not None and len(errors) >= max_errors:
                break
    return items, errors


def content_hash(text: str, title: str, text_html: str) -> str:
    digest = hashlib.sha256()
    for part in (title, "\x1f", text, "\x1f", text_html):
        digest.update(part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def parse_item(data: Any) -> Item:
    """Validate one incoming object. Raises ItemError with the reason."""
    if not isinstance(data, dict):
        raise ItemError("each item must be a JSON object")
    _refuse_unstorable(data)
    max_text = settings.PANAL_MAX_TEXT_CHARS
    author = data.get("author")
    if isinstance(author, dict):
        flat = {f"author_{k}": author.get(k) for k in _AUTHOR_KEYS}
        flat["author_external_id"] = author.get("external_id") or author.get("id")
        data = {**flat, **{k: v for k, v in data.items() if k != "author"}}
    elif isinstance(author, str) and author:
        data = {**data, "author_handle": data.get("author_handle") or author}

    event = _choice(data, "event", EVENTS, "created")
    item = Item(external_id=_str(data, "external_id", 512, required=True).strip(), event=event)
    if not item.external_id:
        raise ItemError("'external_id' is required")
    item.kind = _choice(data, "kind", _KINDS, Kind.POST)
    item.visibility = _choice(data, "visibility", _VISIBILITIES, Visibility.PUBLIC)
    item.reply_capability = _choice(
        data, "reply_capability", _CAPABILITIES, ReplyCapability.PUBLIC_REPLY
    )
    item.text = _str(data, "text", max_text)
    item.text_html = _str(data, "text_html", max_text)
    item.title = _str(data, "title", 1000)
    if event != "deleted" and not (item.text or item.text_html or item.title):
        raise ItemError("'text' is required (or 'text_html' or 'title')")
    item.lang = canonical_lang(_str(data, "lang", 35))
    item.created_at = parse_time(data.get("created_at"), "created_at")
    item.edited_at = parse_time(data.get("edited_at"), "edited_at")
    item.url = _url(_str(data, "url", 2000))
    item.author_external_id = _str(data, "author_external_id", 255).strip()
    # Stored without the "@" that some exports put in front; pages add their own.
    item.author_handle = clean(_str(data, "author_handle", 255)).lstrip("@")
    item.author_display_name = clean(_str(data, "author_display_name", 255))
    item.author_followers = _int(data, "author_followers", low=0, high=10**12)
    item.author_avatar_url = _url(_str(data, "author_avatar_url", 2000))
    item.author_is_bot = _bool(data, "author_is_bot")
    item.author_verified = _bool(data, "author_verified")
    item.author_description = clean(_str(data, "author_description", MAX_BIO))
    if not item.author_external_id:
        item.author_external_id = item.author_handle
    item.country = _country(data)
    item.thread_external_id = _str(data, "thread_external_id", 512)
    item.in_reply_to_external_id = _str(data, "in_reply_to_external_id", 512)
    item.urls = [u for u in (_url(str(x)[:2000]) for x in _list(data, "urls")) if u]
    item.media = [m for m in _list(data, "media") if isinstance(m, dict)]
    item.rating = _int(data, "rating", low=1, high=5)
    item.metrics = _dict(data, "metrics")
    item.raw = _dict(data, "raw") if "raw" in data else {}
    item.content_hash = content_hash(item.text, item.title, item.text_html)
    return item


def _country(data: dict) -> str:
    """An ISO 3166-1 alpha-2 code from `country` (or `territory`), upper case; else blank.

    A value that is not two letters is dropped rather than refused: the mention is
    worth more than its place."""
    value = data.get("country") or data.get("territory")
    if isinstance(value, str):
        value = value.strip()
        if len(value) == 2 and value.isascii() and value.isalpha():
            return value.upper()
    return ""


def _refuse_unstorable(raw) -> None:
    """Refuse strings no database stores: NUL (PostgreSQL text and jsonb) and lone
    surrogates (valid in JSON escapes, not in UTF-8), and non-finite numbers, at every
    depth, keys too. One C-speed serialisation clears the common case; only a suspect
    item is walked to name the field."""
    try:
        # orjson refuses surrogates itself; it writes NaN as null, so a null sends the
        # item to the slow walk too.
        dumped = orjson.dumps(raw)
        if b"\\u0000" not in dumped and b"null" not in dumped:
            return
    except (TypeError, orjson.JSONEncodeError):
        pass
    for key, value in raw.items():
        stack = [key, value]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                _check_string(key, node)
            elif isinstance(node, float) and not math.isfinite(node):
                raise ItemError(f"'{key}' must be a finite number")
            elif isinstance(node, dict):
                stack.extend(node.keys())
                stack.extend(node.values())
            elif isinstance(node, list | tuple):
                stack.extend(node)


def _check_string(key: str, value: str) -> None:
    if "\x00" in value:
        raise ItemError(f"'{key}' contains a NUL character (U+0000)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ItemError(f"'{key}' contains an unpaired surrogate (not valid Unicode)") from None


def _url(value: str) -> str:
    """Keep only http(s) URLs; anything else (javascript:, data:) is dropped."""
    value = value.strip()
    if not value:
        return ""
    if value.lower().startswith(("http://", "https://")) and not any(
        c in value for c in " \n\r\t<>\"'"
    ):
        return value
    return ""
