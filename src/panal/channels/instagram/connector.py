"""Instagram professional accounts: comments, mentions and Direct in, replies out.

Built on `facebook.connector.MetaConnector` (same handshake, signature, Graph client
and Messenger-style direct messages); README.md here lists what differs.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from panal.channels.base import AccountCheck, Sent, register
from panal.channels.facebook.connector import MetaConnector, is_direct, meta_settings
from panal.channels.http import Http
from panal.listening.choices import Channel, Kind
from panal.listening.normalise import Item, ItemError

from . import wire as ig


class InstagramConnector(MetaConnector):
    kind = Channel.INSTAGRAM
    label = "Instagram"
    object_name = "instagram"
    token_setting = "access_token"  # noqa: S105 - a setting's name, not a secret
    own_id_setting = "ig_user_id"
    reply_limit = 2200  # comments; Direct messages take 1000 bytes of UTF-8 (`dm_limit`)
    dm_limit = 1000
    settings = meta_settings(
        "access_token",
        "A Page access token of the Page linked to the account (Facebook Login), or an "
        "Instagram user access token (Instagram Login, with base_url on graph.instagram.com).",
        "ig_user_id",
        "The Instagram professional account's id (the webhook's entry id): its own comments "
        "and messages are not mentions.",
        "Graph API, with its version: graph.facebook.com (Facebook Login) or "
        "https://graph.instagram.com/v21.0 (Instagram Login).",
    )

    def change_item(self, change, entry_time) -> Item | None:
        if not isinstance(change, dict):
            raise ItemError("a change must be an object")
        field = change.get("field")
        if field in ig.COMMENT_FIELDS:
            return ig.comment_item(change.get("value"), entry_time, live=field == "live_comments")
        if field == "mentions":
            return ig.mention_item(change.get("value"), entry_time)
        return None  # story insights and the like: not mentions

    # -- replies -------------------------------------------------------------------
    def dm_length(self, text: str) -> int:
        return len(text.encode("utf-8"))

    def dm_too_long(self, text: str) -> str | None:
        length = self.dm_length(text)
        if length <= self.dm_limit:
            return None
        return _(
            "The reply is %(length)d bytes long in UTF-8; Instagram messages take at most "
            "%(limit)d (an emoji counts 4)."
        ) % {"length": length, "limit": self.dm_limit}

    def messages_path(self, account) -> str:
        # The token says which account sends: the same path for both ways of logging in.
        return "me/messages"

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        if is_direct(mention):
            return self.send_direct(account, http, mention, text)
        if mention.kind == Kind.MENTION:
            # Answering where we were tagged goes through our own account's mentions edge.
            payload = {"media_id": self.graph_id(mention.thread_external_id), "message": text}
            if mention.external_id != mention.thread_external_id:
                payload["comment_id"] = self.graph_id(mention.external_id)
            user = self.graph_id(self.own_id(account))
            data = http.post(f"{user}/mentions", json=payload).json()
            return self.sent_of(data)
        # Instagram nests comments one level: an answer to a reply goes under its parent.
        target = mention.external_id
        if mention.kind == Kind.REPLY and mention.in_reply_to_external_id:
            target = mention.in_reply_to_external_id
        return self.post_comment(http, f"{self.graph_id(target)}/replies", text)

    def check(self, account, http: Http) -> AccountCheck:
        own = self.own_id(account)
        if own:
            me = http.get(self.graph_id(own), params={"fields": "id,username"}).json()
        else:
            me = http.get("me", params={"fields": "id,username,user_id"}).json()
        ids = {str(me.get("id") or ""), str(me.get("user_id") or ""), own} - {""}
        return AccountCheck(handle=str(me.get("username") or ""), self_ids=tuple(sorted(ids)))


connector = register(InstagramConnector())
