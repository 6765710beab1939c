"""YouTube Data API v3 comment resources as they arrive, and their mapping to items.

A `youtube#commentThread` holds its top-level comment (`snippet.topLevelComment`) and,
with `part=replies`, some of its replies (`replies.comments`); a thread's id is its
top-level comment's id. A reply's id is `<top-level id>.<reply id>` and its
`snippet.parentId` is the top-level id: YouTube threads are one level deep. Comment ids
are global, so they are the external ids as they are. We ask for `textFormat=plainText`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TypedDict

from panal.channels import wire
from panal.listening.choices import Kind, ReplyCapability
from panal.listening.normalise import Item, ItemError, parse_time

WATCH = "https://www.youtube.com/watch"


class CommentSnippet(TypedDict, total=False):
    authorDisplayName: str  # "@handle" since handles came (2023), else a name
    authorProfileImageUrl: str
    authorChannelUrl: str
    authorChannelId: dict  # {"value": "UC..."}
    channelId: str
    videoId: str
    textDisplay: str  # plain text with textFormat=plainText, else HTML
    textOriginal: str  # only guaranteed to the comment's author
    parentId: str
    canRate: bool
    viewerRating: str
    likeCount: int
    moderationStatus: str
    publishedAt: str
    updatedAt: str


class Comment(TypedDict, total=False):
    kind: str  # youtube#comment
    etag: str
    id: str
    snippet: CommentSnippet


class ThreadSnippet(TypedDict, total=False):
    channelId: str
    videoId: str
    topLevelComment: Comment
    canReply: bool
    totalReplyCount: int
    isPublic: bool


class Thread(TypedDict, total=False):
    kind: str  # youtube#commentThread
    id: str
    snippet: ThreadSnippet
    replies: dict  # {"comments": [Comment]}


def snippet(obj) -> dict:
    value = obj.get("snippet") if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def top_comment(thread: Thread) -> Comment:
    top = snippet(thread).get("topLevelComment")
    return top if isinstance(top, dict) else {}


def embedded_replies(thread: Thread) -> list[Comment]:
    replies = thread.get("replies") if isinstance(thread, dict) else None
    found = replies.get("comments") if isinstance(replies, dict) else None
    return [c for c in found or [] if isinstance(c, dict) and c.get("id")]


def author_channel(comment: Comment) -> str:
    value = snippet(comment).get("authorChannelId")
    return str(value.get("value") or "") if isinstance(value, dict) else ""


def text_of(comment: Comment) -> str:
    """The comment's words: `textOriginal` when we may see it, else `textDisplay`, which
    is plain text because we ask for `textFormat=plainText` (never rendered as HTML)."""
    data = snippet(comment)
    original = data.get("textOriginal")
    if isinstance(original, str) and original:
        return original
    display = data.get("textDisplay")
    return display if isinstance(display, str) else ""


def digest(comment: Comment) -> str:
    return hashlib.sha256(text_of(comment).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def published(comment: Comment) -> datetime | None:
    """When it was posted, or None when the value is missing or not a date."""
    try:
        return parse_time(snippet(comment).get("publishedAt"), "publishedAt")
    except ItemError:
        return None


def thread_of(comment: Comment) -> str:
    """The thread (top-level comment) id: the parent for a reply, else the comment itself."""
    parent = snippet(comment).get("parentId")
    if isinstance(parent, str) and parent:
        return parent
    return str(comment.get("id") or "").partition(".")[0]


def _handle(data: dict) -> str:
    name = str(data.get("authorDisplayName") or "")
    if name.startswith("@"):
        return name[1:]
    url = str(data.get("authorChannelUrl") or "")
    marker = url.find("/@")
    return url[marker + 2 :].strip("/") if marker >= 0 else ""


def item_of(
    comment: Comment,
    event: str = "created",
    *,
    video_id: str = "",
    can_reply: bool = True,
    replies: int | None = None,
) -> Item:
    """The normalised item of one comment; `ItemError` when it cannot be stored."""
    cid = str(comment.get("id") or "") if isinstance(comment, dict) else ""
    if not cid:
        raise ItemError("a comment without an id")
    if event == "deleted":
        return wire.item({"external_id": cid, "event": "deleted"})
    data = snippet(comment)
    parent = str(data.get("parentId") or "")
    video = str(data.get("videoId") or video_id or "")
    created, updated = data.get("publishedAt"), data.get("updatedAt")
    metrics = {}
    if isinstance(data.get("likeCount"), int):
        metrics["likes"] = data["likeCount"]
    if replies is not None:
        metrics["replies"] = replies
    raw = {
        k: data[k]
        for k in ("videoId", "channelId", "moderationStatus", "parentId")
        if data.get(k) not in (None, "")
    }
    return wire.item(
        {
            "external_id": cid,
            "event": event,
            "kind": Kind.REPLY if parent else Kind.COMMENT,
            "reply_capability": ReplyCapability.PUBLIC_REPLY if can_reply else ReplyCapability.NONE,
            "text": text_of(comment),
            "created_at": created,
            "edited_at": updated if updated and updated != created else None,
            "url": f"{WATCH}?v={video}&lc={cid}" if video else "",
            "author_external_id": author_channel(comment),
            "author_handle": _handle(data),
            "author_display_name": str(data.get("authorDisplayName") or ""),
            "author_avatar_url": str(data.get("authorProfileImageUrl") or ""),
            "thread_external_id": thread_of(comment),
            "in_reply_to_external_id": parent,
            "metrics": metrics,
            "raw": raw,
        }
    )


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
