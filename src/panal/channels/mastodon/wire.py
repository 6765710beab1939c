"""Mastodon API objects as they arrive (docs.joinmastodon.org), and their mapping to items.

Only the fields Panal reads are named. Ids are strings of digits local to the instance
the token belongs to; they sort by (length, value). `content` is HTML; `spoiler_text`
is plain text. Streams are server-sent events whose `data` is a JSON string (a Status
or a Notification), except `delete`, whose data is the bare status id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TypedDict

from panal.channels import wire
from panal.core.text import html_to_text
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError


class Account(TypedDict, total=False):
    id: str
    username: str
    acct: str  # "user" on our own instance, "user@host" elsewhere
    display_name: str
    note: str  # HTML bio
    url: str
    avatar: str
    bot: bool
    followers_count: int


class Status(TypedDict, total=False):
    id: str
    uri: str  # ActivityPub id (global)
    url: str  # web page
    created_at: str
    edited_at: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    visibility: str  # public | unlisted | private | direct
    language: str | None
    spoiler_text: str
    content: str  # HTML
    account: Account
    mentions: list[dict]  # {id, username, acct, url}
    tags: list[dict]  # {name, url}
    media_attachments: list[dict]
    card: dict | None
    reblog: dict | None  # a boost wraps the boosted status
    replies_count: int
    reblogs_count: int
    favourites_count: int


class Notification(TypedDict, total=False):
    id: str
    type: str  # mention | status | reblog | favourite | follow | poll | update | ...
    created_at: str
    group_key: str
    account: Account
    status: Status


VISIBILITY = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.UNLISTED,
    "private": Visibility.PRIVATE,  # followers only
    "direct": Visibility.PRIVATE,  # only the people mentioned: a direct message
}
REPLY_VISIBILITIES = ("public", "unlisted", "private", "direct")


def newer(a: str | None, b: str | None) -> str | None:
    """The later of two Mastodon ids (digit strings compare by length, then value)."""
    if not a:
        return b
    if not b:
        return a
    return max(a, b, key=lambda v: (len(v), v))


def is_id(value) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 40


# --- content --------------------------------------------------------------------------


class _Links(HTMLParser):
    """The `href` of every anchor in a status that is a link, not a mention or hashtag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag != "a":
            return
        values = {k: v or "" for k, v in attrs}
        classes = values.get("class", "").split()
        if "mention" in classes or "hashtag" in classes or values.get("rel") == "tag":
            return
        if values.get("href"):
            self.found.append(values["href"])


def links(content: str, card: dict | None) -> list[str]:
    parser = _Links()
    parser.feed(content or "")
    parser.close()
    found = parser.found
    if isinstance(card, dict) and isinstance(card.get("url"), str):
        found.append(card["url"])
    return list(dict.fromkeys(u for u in found if isinstance(u, str)))


def media(attachments) -> list[dict]:
    out = []
    for attachment in attachments or []:
        if not isinstance(attachment, dict):
            continue
        out.append(
            {
                "type": str(attachment.get("type") or "unknown"),
                "url": attachment.get("url") or attachment.get("remote_url") or "",
                "alt": attachment.get("description") or "",
                "external_id": str(attachment.get("id") or ""),
            }
        )
    return out


# --- statuses -> items ----------------------------------------------------------------


def mentions_account(status: dict, ids: set[str], acct: str) -> bool:
    """Whether the status names our account (by id, or by acct when no id is known)."""
    for mention in status.get("mentions") or []:
        if not isinstance(mention, dict):
            continue
        if str(mention.get("id", "")) in ids:
            return True
        if acct and str(mention.get("acct", "")).lower() == acct:
            return True
    return False


def item_of(
    status: dict,
    *,
    via: str,
    me: tuple[set[str], str] = (set(), ""),
    event: str = "created",
    notification: dict | None = None,
) -> Item:
    """The item for one status; `me` is our account (ids, acct), `via` where it came from.

    The kind comes from the status itself, not from the way it came, so a post that
    arrives both as a notification and on a hashtag's timeline is the same item.
    """
    if not isinstance(status, dict) or not is_id(str(status.get("id", ""))):
        raise ItemError("a status needs a numeric 'id'")
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    visibility = status.get("visibility") or "public"
    if visibility not in VISIBILITY:
        visibility = "public"
    content = status.get("content") or ""
    if not isinstance(content, str):
        raise ItemError("'content' must be a string")
    text = html_to_text(content)
    title = str(status.get("spoiler_text") or "")[:1000]
    attachments = media(status.get("media_attachments"))
    if not text and not title:
        # A post with only pictures: their descriptions, else the kinds of media.
        text = " ".join(a["alt"] or f"[{a['type']}]" for a in attachments)
    parent = str(status.get("in_reply_to_id") or "")
    if visibility == "direct":
        kind = Kind.DIRECT_MESSAGE
    elif parent:
        kind = Kind.REPLY
    elif notification is not None or mentions_account(status, *me):
        kind = Kind.MENTION
    else:
        kind = Kind.POST
    raw = {"via": via, "status": status}
    if notification is not None:
        raw["notification"] = {k: v for k, v in notification.items() if k != "status"}
    return wire.item(
        {
            "external_id": str(status["id"]),
            "event": event,
            "kind": kind,
            "visibility": VISIBILITY[visibility],
            "reply_capability": (
                ReplyCapability.PRIVATE_REPLY
                if visibility == "direct"
                else ReplyCapability.PUBLIC_REPLY
            ),
            "text": text,
            "text_html": content,
            "title": title,
            "lang": status.get("language") or "",
            "created_at": status.get("created_at"),
            "edited_at": status.get("edited_at"),
            "url": status.get("url") or status.get("uri") or "",
            "author_external_id": str(account.get("id") or ""),
            "author_handle": account.get("acct") or account.get("username") or "",
            "author_display_name": account.get("display_name") or account.get("username") or "",
            "author_followers": account.get("followers_count"),
            "author_avatar_url": account.get("avatar") or "",
            "author_is_bot": account.get("bot"),
            "author_description": html_to_text(account.get("note") or "")[:5000],
            # The API names no conversation root: the parent stands in, and the "threads"
            # pipeline stage follows the parents up to the root.
            "thread_external_id": parent or str(status["id"]),
            "in_reply_to_external_id": parent,
            "urls": links(content, status.get("card")),
            "media": attachments,
            "metrics": {
                "replies": status.get("replies_count") or 0,
                "reposts": status.get("reblogs_count") or 0,
                "likes": status.get("favourites_count") or 0,
            },
            "raw": raw,
        }
    )


def deleted(status_id: str) -> Item:
    if not is_id(status_id):
        raise ItemError(f"a deleted status id must be numeric, not {status_id[:40]!r}")
    return wire.item({"external_id": status_id, "event": "deleted"})


# --- server-sent events ---------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    name: str
    data: str


class EventDecoder:
    """Server-sent events from lines (the line ends already removed).

    Lines starting with ":" are comments (Mastodon's `:)` greeting and `:thump`
    heartbeats); an event is dispatched at the blank line that ends it, so a
    connection dropped in the middle of one leaves nothing half-read.
    """

    def __init__(self) -> None:
        self._name = ""
        self._data: list[str] = []

    def feed(self, line: str) -> Event | None:
        if line == "":
            name, data = self._name, self._data
            self._name, self._data = "", []
            if not data:
                return None
            return Event(name or "message", "\n".join(data))
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        return None  # id, retry and unknown fields: nothing Mastodon uses


# --- reply length ---------------------------------------------------------------------

URL_CHARS = 23  # every link counts as 23 characters, whatever its length
_URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# "@user@host" counts as "@user": only the local part of a remote mention is counted.
_REMOTE_MENTION_RE = re.compile(r"(?<![\w/=])@(\w+(?:[.-]+\w+)*)@[\w-]+(?:\.[\w-]+)+", re.ASCII)
_ACCT_RE = re.compile(r"\A\w+(?:[.-]+\w+)*(?:@[\w-]+(?:\.[\w-]+)+)?\Z", re.ASCII)


def _extends(ch: str) -> bool:
    """A character that belongs to the grapheme before it (marks, joiners' partners...)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
        or 0xE0020 <= cp <= 0xE007F  # tag characters (subdivision flags)
        or 0xE0100 <= cp <= 0xE01EF
    )


def graphemes(text: str) -> int:
    """User-perceived characters, close to Unicode's extended grapheme clusters.

    Covers what posts hold: combining accents, emoji with skin tones and variation
    selectors, ZWJ sequences (families, professions) and flags (regional-indicator
    pairs) each count as one.
    """
    count = 0
    joined = False
    flag_open = False
    previous = ""
    for ch in text:
        cp = ord(ch)
        if joined:
            joined = False
            previous = ch
            continue
        if cp == 0x200D:
            joined = count > 0
            continue
        if _extends(ch) and count:
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            if flag_open:
                flag_open = False
                continue
            flag_open = True
            count += 1
            continue
        flag_open = False
        if ch == "\n" and previous == "\r":
            previous = ch
            continue
        previous = ch
        count += 1
    return count


def status_length(text: str) -> int:
    """The length Mastodon checks against its limit (500 by default)."""
    countable = _URL_RE.sub("x" * URL_CHARS, text)
    countable = _REMOTE_MENTION_RE.sub(lambda m: "@" + m.group(1), countable)
    return graphemes(countable)


def valid_acct(acct: str) -> bool:
    return bool(acct) and bool(_ACCT_RE.match(acct))


def addressed(text: str, acct: str) -> str:
    """`text` starting with "@acct " unless it already mentions `acct` somewhere."""
    if not valid_acct(acct):
        return text
    present = re.compile(
        r"(?<![\w@/=])@" + re.escape(acct) + r"(?![\w@-]|\.\w)", re.IGNORECASE | re.ASCII
    )
    if present.search(text):
        return text
    return f"@{acct} {text}"
