"""Meta webhook objects for Pages and Messenger, and their mapping (README.md here).

Pure functions, no I/O. Instagram's messaging events have the Messenger shape, so
`instagram.wire` uses `messaging_event` from here.

- Feed: `entry[].changes[]` with `field` "feed" (comments and posts on the Page) or
  "mention" (the Page tagged in a post or comment elsewhere). Ids are Graph ids, global:
  `post_id` is `<page>_<post>`, `comment_id` is `<post>_<comment>`.
- Messenger: `entry[].messaging[]` (and `standby[]` while another app owns the thread)
  with `message`, `message_edit`, `delivery`, `read`; `timestamp` is milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from panal.channels import wire
from panal.channels.base import StatusUpdate
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError, parse_time

FEED_ITEMS = {"comment", "post", "status", "photo", "video"}
# Reactions, likes and shares are not something anyone said: not mentions.
IGNORED_ITEMS = {"reaction", "like", "share"}
MEDIA_ITEMS = {"photo", "video"}


class Sender(TypedDict, total=False):
    id: str
    name: str  # feed `from`; Messenger senders carry only the id


class FeedValue(TypedDict, total=False):
    item: str  # comment | post | status | photo | video | reaction | share | like
    verb: str  # add | edited | remove | hide | unhide
    post_id: str
    comment_id: str
    parent_id: str
    # `from` is a Python keyword: read with value.get("from").
    message: str
    created_time: int
    link: str
    post: dict  # {id, permalink_url, status_type, is_published}


class MessengerMessage(TypedDict, total=False):
    mid: str
    text: str
    attachments: list[dict]  # [{type, payload: {url, title}}]
    reply_to: dict  # {mid} or, on Instagram, {story: {id, url}}
    is_echo: bool
    is_deleted: bool  # Instagram: the sender unsent it
    is_unsupported: bool


class MessagingEvent(TypedDict, total=False):
    sender: Sender
    recipient: Sender
    timestamp: int  # milliseconds
    message: MessengerMessage
    message_edit: dict  # {mid, text, num_edit}
    delivery: dict  # {mids?, watermark}
    read: dict  # Messenger {watermark}; Instagram {mid}


@dataclass
class Watermark:
    """ "Everything we sent to `thread` up to `at` was delivered/read" (no message ids)."""

    thread: str
    at: datetime
    state: str  # delivered | read


@dataclass
class Events:
    """What one messaging event gave: an item, statuses, or a watermark to resolve."""

    items: list[Item] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    watermarks: list[Watermark] = field(default_factory=list)


def str_id(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ItemError(f"an id must be a string, not {type(value).__name__}")
    return str(value)


def obj(value, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ItemError(f"'{what}' must be an object")
    return value


def http_url(value) -> str:
    """`value` when it is a plain http(s) URL (media links are stored as given), else ""."""
    if (
        isinstance(value, str)
        and len(value) <= 2000
        and value.lower().startswith(("https://", "http://"))
        and not any(c in value for c in " \n\r\t<>\"'\\")
    ):
        return value
    return ""


def attachments_of(message: dict) -> tuple[list[dict], str]:
    """The media list and a short plain-text marker (for a message with no text)."""
    media, kinds = [], []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        kind = str(attachment.get("type") or "file")[:40]
        kinds.append(kind)
        payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
        url = http_url(payload.get("url"))
        if url:
            media.append({"type": kind, "url": url})
    return media, (f"[{', '.join(kinds)}]" if kinds else "")


# --- the Page feed ------------------------------------------------------------------


def feed_item(value: dict, entry_time) -> Item | None:
    """One `feed` change as an item, or None when it is not something someone said."""
    value = obj(value, "value")
    kind = value.get("item")
    if kind in IGNORED_ITEMS or kind not in FEED_ITEMS:
        return None
    verb = value.get("verb") or "add"
    post_id = str_id(value.get("post_id"))
    comment_id = str_id(value.get("comment_id"))
    is_comment = kind == "comment"
    external_id = comment_id if is_comment else post_id
    if not external_id:
        raise ItemError(f"a feed {kind} without {'comment_id' if is_comment else 'post_id'}")
    if verb == "remove":
        return wire.item({"external_id": external_id, "event": "deleted"})
    if verb not in ("add", "edited", "hide", "unhide"):
        return None  # block, unblock and the like change nothing we store
    sender = obj(value.get("from"), "from")
    parent = str_id(value.get("parent_id"))
    post = obj(value.get("post"), "post")
    text = value.get("message") or ""
    media = [
        {"type": key, "url": http_url(value.get(key))}
        for key in ("photo", "video")
        if http_url(value.get(key))
    ]
    if kind in MEDIA_ITEMS and not media and http_url(value.get("link")):
        media.append({"type": kind, "url": http_url(value.get("link"))})
    if not text and media:
        text = f"[{media[0]['type']}]"
    if not text and verb in ("hide", "unhide"):
        return None  # a moderation flag on something we may not have: nothing to store
    url = http_url(post.get("permalink_url"))
    if url and is_comment:
        url += ("&" if "?" in url else "?") + "comment_id=" + comment_id.rpartition("_")[2]
    raw = {"field": "feed", "item": kind, "verb": verb}
    if verb in ("hide", "unhide"):
        raw["hidden"] = verb == "hide"  # still what the person said: kept, the flag noted
    return wire.item(
        {
            "external_id": external_id,
            "event": "edited" if verb == "edited" else "created",
            "kind": (Kind.REPLY if parent and parent != post_id else Kind.COMMENT)
            if is_comment
            else Kind.POST,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": text,
            "created_at": value.get("created_time"),
            "edited_at": entry_time if verb == "edited" else None,
            "url": url,
            "author_external_id": str_id(sender.get("id")),
            "author_display_name": sender.get("name") or "",
            "thread_external_id": post_id,
            "in_reply_to_external_id": parent if is_comment else "",
            "media": media,
            "raw": raw,
        }
    )


def page_mention_item(value: dict, entry_time) -> Item | None:
    """The Page tagged in someone's post or comment (`field: mention`)."""
    value = obj(value, "value")
    kind = value.get("item") or "post"
    post_id = str_id(value.get("post_id"))
    comment_id = str_id(value.get("comment_id"))
    external_id = comment_id if kind == "comment" and comment_id else post_id
    if not external_id:
        raise ItemError("a page mention without post_id")
    if value.get("verb") == "remove":
        return wire.item({"external_id": external_id, "event": "deleted"})
    text = value.get("message") or ""
    if not text:
        # The webhook names the post only; its text needs a Graph call (not done here).
        raise ItemError(f"page mention {external_id} carries no text; not stored")
    return wire.item(
        {
            "external_id": external_id,
            "event": "edited" if value.get("verb") == "edited" else "created",
            "kind": Kind.MENTION,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": text,
            "created_at": value.get("created_time") or entry_time,
            "author_external_id": str_id(value.get("sender_id")),
            "author_display_name": value.get("sender_name") or "",
            "thread_external_id": post_id,
            "in_reply_to_external_id": post_id if external_id != post_id else "",
            "raw": {"field": "mention", "item": kind, "verb": value.get("verb") or "add"},
        }
    )


# --- Messenger (and Instagram Direct) -------------------------------------------------


def messaging_event(event: dict, *, standby: bool = False) -> Events:
    """One `messaging[]` event: a customer's message, an edit, an unsend, or a receipt.

    Our own sends come back with `message.is_echo`: skipped here (their mids are also
    our sent ids). Reactions, postbacks, referrals and opt-ins are not mentions.
    """
    event = obj(event, "messaging event")
    out = Events()
    sender = str_id(obj(event.get("sender"), "sender").get("id"))
    recipient = str_id(obj(event.get("recipient"), "recipient").get("id"))
    when = event.get("timestamp")
    if "delivery" in event:
        delivery = obj(event["delivery"], "delivery")
        mids = delivery.get("mids") or []
        if not isinstance(mids, list):
            raise ItemError("'delivery.mids' must be a list")
        at = parse_time(delivery.get("watermark") or when, "delivery.watermark")
        out.statuses += [StatusUpdate(str_id(m), "delivered", at) for m in mids if m]
        if not mids and at is not None:
            out.watermarks.append(Watermark(sender, at, "delivered"))
        return out
    if "read" in event:
        read = obj(event["read"], "read")
        if read.get("mid"):  # Instagram names the message read
            at = parse_time(when, "timestamp")
            out.statuses.append(StatusUpdate(str_id(read["mid"]), "read", at))
        elif read.get("watermark"):
            at = parse_time(read["watermark"], "read.watermark")
            out.watermarks.append(Watermark(sender, at, "read"))
        return out
    common = {
        "kind": Kind.DIRECT_MESSAGE,
        "visibility": Visibility.PRIVATE,
        "reply_capability": ReplyCapability.DM_WINDOW,
        "author_external_id": sender,
        "thread_external_id": sender,
    }
    if "message_edit" in event:
        edit = obj(event["message_edit"], "message_edit")
        mid = str_id(edit.get("mid"))
        if not mid:
            raise ItemError("a message_edit without mid")
        out.items.append(
            wire.item(
                {
                    **common,
                    "external_id": mid,
                    "event": "edited",
                    "text": edit.get("text") or "",
                    "created_at": when,
                    "edited_at": when,
                    "raw": {"message_edit": {"num_edit": edit.get("num_edit")}},
                }
            )
        )
        return out
    message = event.get("message")
    if message is None:
        return out  # reaction, postback, referral, optin…: not a mention
    message = obj(message, "message")
    if message.get("is_echo"):
        return out  # what we (or the Page's inbox) sent
    mid = str_id(message.get("mid"))
    if not mid:
        raise ItemError("a message without mid")
    if message.get("is_deleted"):
        out.items.append(wire.item({"external_id": mid, "event": "deleted"}))
        return out
    media, marker = attachments_of(message)
    text = (
        message.get("text") or marker or ("[unsupported]" if message.get("is_unsupported") else "")
    )
    reply_to = obj(message.get("reply_to"), "reply_to")
    raw: dict = {"recipient": recipient}
    if standby:
        raw["standby"] = True  # another app owned the conversation when it came
    if isinstance(reply_to.get("story"), dict):
        raw["reply_to_story"] = str_id(reply_to["story"].get("id"))
    out.items.append(
        wire.item(
            {
                **common,
                "external_id": mid,
                "text": text,
                "created_at": when,
                "in_reply_to_external_id": str_id(reply_to.get("mid")),
                "media": media,
                "raw": raw,
            }
        )
    )
    return out
