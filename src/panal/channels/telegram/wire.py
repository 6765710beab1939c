"""Telegram Bot API objects as they arrive (core.telegram.org/bots/api), and their mapping.

Only the fields Panal reads are named. Offsets of `entities` are UTF-16 code units.
"""

from __future__ import annotations

from typing import TypedDict

from panal.channels import wire
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item


class User(TypedDict, total=False):
    id: int
    is_bot: bool
    first_name: str
    last_name: str
    username: str
    language_code: str


class Chat(TypedDict, total=False):
    id: int
    type: str  # private | group | supergroup | channel
    title: str
    username: str


class Message(TypedDict, total=False):
    message_id: int
    message_thread_id: int
    # `from` is a Python keyword: read with message.get("from").
    sender_chat: Chat
    chat: Chat
    date: int
    edit_date: int
    text: str
    caption: str
    entities: list[dict]
    caption_entities: list[dict]
    reply_to_message: dict


class Update(TypedDict, total=False):
    update_id: int
    message: Message
    edited_message: Message
    channel_post: Message
    edited_channel_post: Message
    business_message: Message
    edited_business_message: Message
    deleted_business_messages: dict  # {business_connection_id, chat, message_ids}


CREATED = ("message", "channel_post", "business_message")
EDITED = ("edited_message", "edited_channel_post", "edited_business_message")


def message_id(chat_id, message_id) -> str:
    """Telegram's message ids are per chat: Panal's id is `<chat id>:<message id>`."""
    return f"{chat_id}:{message_id}"


def links(text: str, entities: list) -> list[str]:
    found = []
    for entity in entities or []:
        if not isinstance(entity, dict):
            continue
        if entity.get("type") == "text_link" and entity.get("url"):
            found.append(str(entity["url"]))
        elif entity.get("type") == "url":
            try:
                found.append(wire.utf16_slice(text, int(entity["offset"]), int(entity["length"])))
            except (KeyError, TypeError, ValueError):
                continue
    return found


def _name(user: dict) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)


def item_of(message: dict, event: str) -> Item:
    chat = message.get("chat") or {}
    chat_type = chat.get("type", "private")
    sender = message.get("from") or {}
    sender_chat = message.get("sender_chat") or {}
    text = message.get("text") or message.get("caption") or ""
    entities = message.get("entities") or message.get("caption_entities") or []
    thread = str(chat.get("id", ""))
    if message.get("message_thread_id"):
        thread += f":{message['message_thread_id']}"
    reply_to = message.get("reply_to_message") or {}
    public = chat_type == "channel" or (chat_type == "supergroup" and chat.get("username"))
    url = ""
    if chat.get("username") and chat_type in ("channel", "supergroup"):
        url = f"https://t.me/{chat['username']}/{message.get('message_id')}"
    if sender:
        author_id, handle = str(sender.get("id", "")), sender.get("username", "")
        display = _name(sender)
    else:  # a channel posting as itself
        author_id, handle = str(sender_chat.get("id", chat.get("id", ""))), chat.get("username", "")
        display = sender_chat.get("title") or chat.get("title", "")
    data = {
        "external_id": message_id(chat.get("id"), message.get("message_id")),
        "event": event,
        "kind": Kind.DIRECT_MESSAGE if chat_type == "private" else Kind.POST,
        "visibility": Visibility.PUBLIC if public else Visibility.PRIVATE,
        "reply_capability": (
            ReplyCapability.PRIVATE_REPLY
            if chat_type == "private"
            else ReplyCapability.PUBLIC_REPLY
        ),
        "text": text,
        "lang": sender.get("language_code", ""),
        "created_at": wire.epoch(message.get("date")),
        "edited_at": wire.epoch(message.get("edit_date")),
        "url": url,
        "author_external_id": author_id,
        "author_handle": handle,
        "author_display_name": display,
        "author_is_bot": sender.get("is_bot"),
        "thread_external_id": thread,
        "in_reply_to_external_id": (
            message_id(chat.get("id"), reply_to["message_id"]) if reply_to.get("message_id") else ""
        ),
        "urls": links(text, entities),
        "raw": {"chat": {"id": chat.get("id"), "type": chat_type}},
    }
    if event == "edited" and not text:
        data["event"] = "created"  # an edit of a media caption to nothing: keep the item
    return wire.item(data)
