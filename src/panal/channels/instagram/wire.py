"""Instagram webhook objects (comments, live comments, mentions) and their mapping.

Pure functions, no I/O. Direct messages have Messenger's shape and are read by
`facebook.wire.messaging_event` (plus `message.is_deleted` for an unsent message and
`read.mid` for a seen receipt). Comment and media ids are Graph ids, global.

Instagram sends no webhook when a comment is edited or deleted, and no time on a
comment: the entry's `time` (when Meta sent it) stands in for `created_at`.
"""

from __future__ import annotations

from typing import TypedDict

from panal.channels import wire
from panal.channels.facebook.wire import obj, str_id
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError

COMMENT_FIELDS = {"comments", "live_comments"}


class IgUser(TypedDict, total=False):
    id: str  # Instagram-scoped id of the person
    username: str
    self_ig_scoped_id: str


class IgMedia(TypedDict, total=False):
    id: str
    media_product_type: str  # FEED | REELS | STORY | AD
    ad_id: str
    original_media_id: str


class CommentValue(TypedDict, total=False):
    id: str
    text: str
    # `from` is a Python keyword: read with value.get("from").
    media: IgMedia
    parent_id: str


class MentionValue(TypedDict, total=False):
    media_id: str
    comment_id: str  # absent when the account is tagged in a caption
    text: str  # only in the comment-shaped variant


def comment_item(value: dict, entry_time, *, live: bool = False) -> Item:
    value = obj(value, "value")
    comment_id = str_id(value.get("id"))
    if not comment_id:
        raise ItemError("a comment without id")
    sender = obj(value.get("from"), "from")
    media = obj(value.get("media"), "media")
    media_id = str_id(media.get("id"))
    parent = str_id(value.get("parent_id"))
    raw = {"field": "live_comments" if live else "comments", "media_id": media_id}
    if media.get("media_product_type"):
        raw["media_product_type"] = str(media["media_product_type"])[:20]
    return wire.item(
        {
            "external_id": comment_id,
            "kind": Kind.REPLY if parent else Kind.COMMENT,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": value.get("text") or "",
            "created_at": value.get("timestamp") or entry_time,
            "author_external_id": str_id(sender.get("id")),
            "author_handle": sender.get("username") or "",
            "thread_external_id": media_id,
            "in_reply_to_external_id": parent or media_id,
            "raw": raw,
        }
    )


def mention_item(value: dict, entry_time) -> Item:
    """The account @mentioned in a comment or a caption (`field: mentions`).

    Meta usually sends only `media_id` and `comment_id`; the text then needs a Graph
    call, which parsing does not make, so such a mention is reported, not stored.
    """
    value = obj(value, "value")
    comment_id = str_id(value.get("comment_id") or value.get("id"))
    media = obj(value.get("media"), "media")
    media_id = str_id(value.get("media_id") or media.get("id"))
    external_id = comment_id or media_id
    if not external_id:
        raise ItemError("a mention without comment_id or media_id")
    text = value.get("text") or ""
    if not text:
        raise ItemError(f"mention {external_id} carries no text; not stored")
    sender = obj(value.get("from"), "from")
    return wire.item(
        {
            "external_id": external_id,
            "kind": Kind.MENTION,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": text,
            "created_at": value.get("timestamp") or entry_time,
            "author_external_id": str_id(sender.get("id")),
            "author_handle": sender.get("username") or "",
            "thread_external_id": media_id,
            "in_reply_to_external_id": media_id if comment_id else "",
            "raw": {"field": "mentions", "media_id": media_id, "comment_id": comment_id},
        }
    )
