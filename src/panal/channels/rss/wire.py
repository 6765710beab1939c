"""Feed documents as they arrive (RSS 2.0, RSS 1.0, Atom 1.0), checked, read, and mapped.

A feed is a stranger's XML. Before anything reads it, `check_safe` parses the fetched
bytes once with defusedxml and refuses any document type declaration: that is where
entity bombs ("billion laughs") and external entities (`SYSTEM "file:///etc/passwd"`)
live, and a feed never needs one. Only then does feedparser read the same bytes, from
a `BytesIO` (given plain bytes, feedparser first tries them as a file name).

Entries are mapped to items (`entry_item`) and compared with the feed's seen-set in the
cursor (`read`): unknown ids are new, known ids whose content changed are edits (unless
an Atom `updated` says the entry did not change), the rest are skipped.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeXML
from django.conf import settings
from django.utils.translation import gettext as _

from panal.channels import wire
from panal.channels.base import Rejected
from panal.core.text import clean, html_to_text
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError

MAX_BYTES = 10 * 1024 * 1024  # a feed larger than this is refused, not truncated
MAX_ENTRIES = 1000  # entries read per fetch (a feed is a window of recent items)
MIN_SEEN = 500  # ids remembered per feed, at least; twice the feed's size when larger
MAX_TITLE = 1000
HTML_TYPES = {"text/html", "application/xhtml+xml"}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S")


def check_safe(body: bytes) -> None:
    """Refuse a feed that declares a DTD or entities, or is not well-formed XML.

    Raises `Rejected` with the reason; nothing is expanded and nothing is fetched.
    """
    try:
        SafeXML.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise Rejected(_explain_dtd(body)) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise Rejected(_explain_dtd(body)) from None
    except SafeXML.ParseError as exc:
        raise Rejected(_("the feed is not well-formed XML (%(error)s)") % {"error": exc}) from None


def _explain_dtd(body: bytes) -> str:
    """Say which danger the declaration holds: a second look that still expands nothing."""
    try:
        SafeXML.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden:
        return _(
            "the feed declares XML entities (<!ENTITY>), as an entity-expansion "
            "(“billion laughs”) or external-entity attack does; it was not read"
        )
    except ExternalReferenceForbidden:
        return _("the feed refers to an external entity; it was not read")
    except (SafeXML.ParseError, ValueError):
        pass
    return _("the feed has a document type declaration (<!DOCTYPE>); Panal does not read those")


def parse(body: bytes, *, url: str, content_type: str = "") -> feedparser.FeedParserDict:
    """The parsed feed, after `check_safe`. Relative links resolve against `url`."""
    check_safe(body)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    return feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )


# --- entries --------------------------------------------------------------------------


def _time(parsed) -> datetime | None:
    """A feedparser time tuple (UTC) as an aware datetime; None when absent or absurd."""
    if not parsed:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return when if 1990 <= when.year <= 2200 else None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def external_id(entry, feed_url: str) -> str:
    """Atom `id` / RSS `guid`; else the link; else a hash of title and link.

    An id that is a URI (`tag:`, `urn:`, `https://…`) is global and kept as it is, so the
    same article in two feeds is one mention; a bare guid such as "1234" is only unique
    in its feed and is prefixed with the feed's URL. Longer than 512: its hash.
    """
    ident = str(entry.get("id") or "").strip()
    if ident and not _SCHEME.match(ident):
        ident = f"{feed_url}#{ident}"
    if not ident:
        link = str(entry.get("link") or "").strip()
        if _SCHEME.match(link):
            ident = link
        else:
            title = str(entry.get("title") or "")
            fallback = "" if title else str(entry.get("summary") or "")
            ident = f"{feed_url}#sha256:{_digest(title, link, fallback)[:32]}"
    if len(ident) > 512:
        ident = f"sha256:{_digest(ident)}"
    return ident


def _body(entry) -> tuple[str, str, str]:
    """(text, text_html, language) from the content, else the summary."""
    contents = entry.get("content") or []
    detail = contents[0] if contents else (entry.get("summary_detail") or {})
    value = str(detail.get("value") or "")
    if not value and contents:
        detail = entry.get("summary_detail") or {}
        value = str(detail.get("value") or "")
    limit = settings.PANAL_MAX_TEXT_CHARS
    if detail.get("type", "text/html") in HTML_TYPES:
        return html_to_text(value)[:limit], value[:limit], detail.get("language") or ""
    return clean(value)[:limit], "", detail.get("language") or ""


def _title(entry) -> str:
    detail = entry.get("title_detail") or {}
    value = str(entry.get("title") or "")
    text = html_to_text(value) if detail.get("type") in HTML_TYPES else clean(value)
    return text.replace("\n", " ")[:MAX_TITLE]


def _author(entry) -> tuple[str, str]:
    """(external id, display name): the author's URI or e-mail address, else the name."""
    detail = entry.get("author_detail") or {}
    name = clean(str(detail.get("name") or entry.get("author") or ""))[:255]
    ident = str(detail.get("href") or detail.get("email") or name).strip()[:255]
    return ident, name


def _media(entry) -> list[dict]:
    found = []
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and link.get("href"):
            mime = str(link.get("type") or "")
            found.append(
                {"type": mime.partition("/")[0] or "file", "url": link["href"], "mime": mime}
            )
    return found[:20]


def entry_item(entry, *, feed_url: str, feed_lang: str = "", event: str = "created") -> Item:
    """The item of one feed entry. Raises `ItemError` when it cannot be stored."""
    text, text_html, lang = _body(entry)
    # Read past FeedParserDict's lookup, which answers `published` for a missing `updated`:
    # an RSS item has no `updated`, and its edits are found by content alone.
    published = _time(dict.get(entry, "published_parsed"))
    updated = _time(dict.get(entry, "updated_parsed"))
    author_id, author_name = _author(entry)
    title_lang = (entry.get("title_detail") or {}).get("language") or ""
    link = str(entry.get("link") or "")
    return wire.item(
        {
            "external_id": external_id(entry, feed_url),
            "event": event,
            "kind": Kind.ARTICLE,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.NONE,
            "title": _title(entry),
            "text": text,
            "text_html": text_html,
            "lang": lang or title_lang or feed_lang,
            "created_at": (published or updated).isoformat() if (published or updated) else None,
            "edited_at": (
                updated.isoformat() if updated and published and updated > published else None
            ),
            "url": link,
            "author_external_id": author_id,
            "author_display_name": author_name,
            "media": _media(entry),
            "raw": {
                "feed": feed_url,
                "id": str(entry.get("id") or "")[:512],
                "updated": updated.isoformat() if updated else "",
            },
        }
    )


# --- one fetched document against the feed's seen-set ---------------------------------


@dataclass
class Read:
    """What one feed document brings: new and edited items, unreadable entries, state."""

    items: list[Item] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seen: list[list[str]] = field(default_factory=list)
    ttl: int = 0  # seconds the feed asks us to wait (RSS <ttl>), 0 when it says nothing


def _key(external: str) -> str:
    return _digest(external)[:20]


def read(document, *, feed_url: str, seen: list) -> Read:
    """Compare the parsed `document` with `seen` ([key, content digest, updated] rows)."""
    known = {}
    for row in seen or []:
        if isinstance(row, list) and len(row) == 3 and all(isinstance(v, str) for v in row):
            known.setdefault(row[0], row)
    feed = document.get("feed") or {}
    feed_lang = str(feed.get("language") or "")
    result = Read()
    fresh: list[list[str]] = []
    keys: set[str] = set()
    for index, entry in enumerate((document.get("entries") or [])[:MAX_ENTRIES]):
        try:
            item = entry_item(entry, feed_url=feed_url, feed_lang=feed_lang)
        except ItemError as exc:
            result.errors.append(f"{feed_url} entry {index + 1}: {exc}")
            continue
        key = _key(item.external_id)
        if key in keys:
            continue  # the same id twice in one document: the first wins
        keys.add(key)
        version = item.content_hash[:20]
        updated = item.raw.get("updated", "")
        old = known.get(key)
        row = [key, version, updated]
        if old is None:
            result.items.append(item)
        elif old[1] != version:
            if updated and old[2] == updated:
                row = old  # the publisher says it did not change: markup noise, not an edit
            else:
                item.event = "edited"
                result.items.append(item)
        fresh.append(row)
    limit = max(MIN_SEEN, 2 * len(fresh))
    result.seen = (fresh + [row for key, row in known.items() if key not in keys])[:limit]
    try:
        result.ttl = max(0, int(str(feed.get("ttl") or "0").strip())) * 60
    except ValueError:
        result.ttl = 0
    return result
