"""Reddit things as the OAuth API sends them (`raw_json=1`), and their mapping to items.

A thing is `{"kind": "t1|t3|t4", "data": {...}}`: t1 a comment, t3 a submission, t4 a
private message; a Listing wraps them in `{"kind": "Listing", "data": {"after", "before",
"children": [...]}}`, newest first. Fullnames (`t1_abc`) are global, so they are the
external ids as they are. Bodies are Markdown, stored as the plain text they are.
"""

from __future__ import annotations

import hashlib
import re
from typing import TypedDict

from panal.channels import wire
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError

WEB = "https://www.reddit.com"
GONE = frozenset({"[deleted]", "[removed]"})
# /r/<sub>/comments/<post id36>/<slug>/<comment id36>/ in an inbox item's `context`
_CONTEXT = re.compile(r"^/r/[^/]+/comments/([a-z0-9]+)/", re.IGNORECASE)


class ThingData(TypedDict, total=False):
    id: str
    name: str  # fullname: t1_..., t3_..., t4_...
    author: str | None
    author_fullname: str  # t2_...
    created_utc: float
    edited: bool | float  # false, or when it was last edited
    subreddit: str
    subreddit_id: str
    permalink: str
    score: int
    # comments
    body: str
    parent_id: str  # t1_ or t3_ (t4_ for messages)
    link_id: str  # t3_
    link_title: str
    # submissions
    title: str
    selftext: str
    url: str
    is_self: bool
    num_comments: int
    removed_by_category: str | None
    locked: bool
    archived: bool
    # inbox items
    type: str  # comment_reply | post_reply | username_mention | unknown
    context: str
    was_comment: bool
    subject: str
    first_message_name: str | None
    dest: str


class Thing(TypedDict):
    kind: str
    data: ThingData


def children(listing) -> list[Thing]:
    """The things of a Listing, skipping entries that are not things."""
    if not isinstance(listing, dict):
        return []
    data = listing.get("data")
    found = data.get("children") if isinstance(data, dict) else None
    return [
        c
        for c in found or []
        if isinstance(c, dict) and isinstance(c.get("data"), dict) and c.get("kind")
    ]


def after_of(listing) -> str | None:
    data = listing.get("data") if isinstance(listing, dict) else None
    value = data.get("after") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def fullname(thing: Thing) -> str:
    data = thing["data"]
    name = data.get("name")
    if isinstance(name, str) and name:
        return name
    return f"{thing['kind']}_{data.get('id', '')}"


def text_of(kind: str, data: ThingData) -> str:
    """What the item says: a comment's or message's body; a post's title and self text."""
    if kind == "t3":
        title = str(data.get("title") or "")
        body = str(data.get("selftext") or "")
        return f"{title}\n\n{body}" if body and body not in GONE else title
    return str(data.get("body") or "")


def digest(kind: str, data: ThingData) -> str:
    """A short hash of the text, to notice an edit the `edited` flag does not show."""
    return hashlib.sha256(text_of(kind, data).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_gone(kind: str, data: ThingData) -> bool:
    """Deleted by its author or removed by moderators or Reddit."""
    if kind == "t3":
        return bool(data.get("removed_by_category")) or data.get("selftext") in GONE
    return data.get("body") in GONE


def thread_of(kind: str, data: ThingData) -> str:
    if kind == "t3":
        return str(data.get("name") or "")
    if kind == "t4":
        return str(data.get("first_message_name") or data.get("name") or "")
    if data.get("link_id"):
        return str(data["link_id"])
    match = _CONTEXT.match(str(data.get("context") or ""))  # inbox items have no link_id
    return f"t3_{match.group(1)}" if match else ""


def _kind(kind: str, data: ThingData) -> str:
    if kind == "t3":
        return Kind.POST
    if kind == "t4":
        return Kind.DIRECT_MESSAGE
    if data.get("type") == "username_mention":
        return Kind.MENTION
    return Kind.REPLY if str(data.get("parent_id") or "").startswith("t1_") else Kind.COMMENT


def _url(kind: str, data: ThingData) -> str:
    path = data.get("permalink") or (data.get("context") if kind == "t1" else "")
    return f"{WEB}{path}" if isinstance(path, str) and path.startswith("/") else ""


def item_of(thing: Thing, event: str = "created") -> Item:
    """The normalised item of one thing; `ItemError` when it cannot be stored."""
    kind, data = thing["kind"], thing["data"]
    if kind not in ("t1", "t3", "t4"):
        raise ItemError(f"not a comment, post or message: kind {str(kind)[:10]!r}")
    name = fullname(thing)
    if event == "deleted":
        return wire.item({"external_id": name, "event": "deleted"})
    author = data.get("author")
    author = author if isinstance(author, str) and author not in GONE else ""
    private = kind == "t4"
    closed = bool(data.get("locked") or data.get("archived"))
    edited = data.get("edited")
    metrics = {}
    if isinstance(data.get("score"), int):
        metrics["score"] = data["score"]
    if kind == "t3" and isinstance(data.get("num_comments"), int):
        metrics["comments"] = data["num_comments"]
    link = data.get("url") if kind == "t3" and not data.get("is_self") else ""
    return wire.item(
        {
            "external_id": name,
            "event": event,
            "kind": _kind(kind, data),
            "visibility": Visibility.PRIVATE if private else Visibility.PUBLIC,
            "reply_capability": (
                ReplyCapability.NONE
                if closed
                else ReplyCapability.PRIVATE_REPLY
                if private
                else ReplyCapability.PUBLIC_REPLY
            ),
            "text": text_of(kind, data),
            "title": str(data.get("title") or "") if kind == "t3" else "",
            "created_at": wire.epoch(data.get("created_utc")),
            "edited_at": (
                wire.epoch(edited)
                if isinstance(edited, int | float) and not isinstance(edited, bool) and edited
                else None
            ),
            "url": _url(kind, data),
            "author_external_id": str(data.get("author_fullname") or author) if author else "",
            "author_handle": author,
            "thread_external_id": thread_of(kind, data),
            "in_reply_to_external_id": str(data.get("parent_id") or ""),
            "urls": [link] if isinstance(link, str) and link else [],
            "metrics": metrics,
            "raw": _raw(kind, data),
        }
    )


_RAW_KEYS = ("subreddit", "subreddit_id", "type", "link_title", "distinguished", "over_18")


def _raw(kind: str, data: ThingData) -> dict:
    """What is worth keeping beside the mapped fields: where it was said, and how."""
    raw: dict = {"kind": kind}
    for key in _RAW_KEYS + (("subject", "dest") if kind == "t4" else ()):
        value = data.get(key)
        if value not in (None, ""):
            raw[key] = value
    return raw
