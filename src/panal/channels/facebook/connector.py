"""Facebook Pages: feed comments and Messenger in by webhook, replies out (README.md here).

`MetaConnector` holds what Facebook and Instagram share (the handshake, the signature,
the delivery's shape, Messenger-style direct messages and their 24-hour / 7-day
window, the Graph client); `instagram.connector` builds on it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import ClassVar

import orjson
from django.db.models import Max
from django.utils.translation import gettext as _

from panal.channels import wire
from panal.channels.base import (
    AccountCheck,
    BadPayload,
    Capability,
    Connector,
    Parsed,
    PushRequest,
    Rejected,
    Sent,
    Setting,
    StatusUpdate,
    WindowClosed,
    register,
)
from panal.channels.http import Http
from panal.channels.meta import graph, webhooks
from panal.channels.models import OutboundMessage
from panal.core import clock
from panal.listening.choices import Channel, Kind, ReplyCapability, Visibility
from panal.listening.models import Mention
from panal.listening.normalise import Item, ItemError

from . import wire as fb

RESPONSE_WINDOW = timedelta(hours=24)  # free-form replies after the customer's last message
HUMAN_AGENT_WINDOW = timedelta(days=7)  # with the HUMAN_AGENT tag
# Meta's read/delivery watermark is its own clock; our `sent_at` is taken after its answer.
WATERMARK_SLACK = timedelta(seconds=10)
# Graph object ids (pages, posts, comments, media, users) are digits joined by "_".
GRAPH_ID = re.compile(r"[0-9]+(?:_[0-9]+)*")
# Meta refuses a message outside the allowed window with code 10: subcode 2018278
# (Messenger) or 2534022 (Instagram).
WINDOW_ERRORS = {(10, 2018278), (10, 2534022)}


def meta_body_error(response, now):
    """Meta's error mapping (`meta.graph.body_error`), plus the Messenger window refusal."""
    error = graph.body_error(response, now)
    if error is None or type(error) is not Rejected:
        return error
    try:
        detail = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return error
    if (detail.get("code"), detail.get("error_subcode")) in WINDOW_ERRORS:
        return WindowClosed(str(error))
    return error


def last_inbound(account, thread: str) -> datetime | None:
    """When the person last wrote to us in this conversation (our stored messages)."""
    if not thread:
        return None
    return Mention.objects.filter(
        account=account, thread_external_id=thread, visibility=Visibility.PRIVATE
    ).aggregate(last=Max("created_at"))["last"]


def is_direct(mention) -> bool:
    return (
        mention.kind == Kind.DIRECT_MESSAGE or mention.reply_capability == ReplyCapability.DM_WINDOW
    )


class MetaConnector(Connector):
    """What every Meta webhook channel shares; subclasses name the object and the ids."""

    object_name: ClassVar[str] = ""  # the webhook's `object`
    token_setting: ClassVar[str] = "page_access_token"  # noqa: S105 - a setting's name, not a secret
    own_id_setting: ClassVar[str] = "page_id"
    dm_limit: ClassVar[int] = 2000
    capabilities = frozenset({Capability.PUSH, Capability.REPLY})

    # -- push ----------------------------------------------------------------------
    def handshake(self, account, request: PushRequest):
        return webhooks.handshake(request, [self.setting(account, "verify_token") or ""])

    def verify_request(self, account, request: PushRequest) -> str:
        return webhooks.verify(request, webhooks.secrets_of(account))

    def check_body(self, account, body: bytes) -> None:
        self._delivery(body)

    def _delivery(self, body: bytes) -> dict:
        data = wire.json_body(body)
        if not isinstance(data, dict) or data.get("object") != self.object_name:
            raise BadPayload(
                f'a {self.label} webhook is a JSON object with "object": "{self.object_name}"'
            )
        if not isinstance(data.get("entry"), list):
            raise BadPayload('a Meta webhook has an "entry" list')
        return data

    def own_id(self, account) -> str:
        return str(self.setting(account, self.own_id_setting) or "")

    def parse_push(self, account, body: bytes) -> Parsed:
        data = self._delivery(body)
        parsed = Parsed()
        own = self.own_id(account)
        others: dict[int, tuple] = {}
        marks: list[fb.Watermark] = []
        for n, entry in enumerate(data["entry"]):
            if not isinstance(entry, dict):
                parsed.errors.append(f"entry {n}: not an object")
                continue
            entry_id = str(entry.get("id") or "")
            if own and entry_id and entry_id != own:
                # One Meta app posts every subscribed page to the same callback URL: the
                # organisation's account for that page takes the entry.
                sibling = self.sibling(account, self.own_id_setting, entry_id)
                if sibling is None:
                    parsed.errors.append(f"entry {n}: for {entry_id}, not this account's {own}")
                else:
                    others.setdefault(sibling.pk, (sibling, []))[1].append(entry)
                continue
            for key in ("changes", "messaging", "standby"):
                events = entry.get(key)
                if events is None:
                    continue
                if not isinstance(events, list):
                    parsed.errors.append(f"entry {n}: '{key}' is not a list")
                    continue
                for m, event in enumerate(events):
                    try:
                        if key == "changes":
                            item = self.change_item(event, entry.get("time"))
                            if item is not None:
                                parsed.items.append(item)
                            continue
                        found = fb.messaging_event(event, standby=key == "standby")
                    except (ItemError, TypeError, ValueError) as exc:
                        parsed.errors.append(f"entry {n} {key} {m}: {exc}")
                        continue
                    parsed.items.extend(found.items)
                    parsed.statuses.extend(found.statuses)
                    marks.extend(found.watermarks)
        if own:  # our own posts, comments and sends, even before `check` stored self_ids
            parsed.items = [i for i in parsed.items if i.author_external_id != own]
        parsed.statuses.extend(self.watermark_statuses(account, marks))
        for sibling, entries in others.values():
            part = {"object": self.object_name, "entry": entries}
            parsed.elsewhere[sibling.pk] = self.parse_push(sibling, orjson.dumps(part))
        return parsed

    def change_item(self, change, entry_time) -> Item | None:
        raise NotImplementedError

    def watermark_statuses(self, account, marks: list[fb.Watermark]) -> list[StatusUpdate]:
        """Messenger's receipts name a time, not messages: ours sent to that person by then.

        The one read of our own tables in parsing (the receipt carries no message id).
        """
        statuses: list[StatusUpdate] = []
        for mark in marks:
            at = mark.at
            done = ["read"] if mark.state == "read" else ["delivered", "read"]
            ids = (
                OutboundMessage.objects.filter(
                    account=account,
                    mention__thread_external_id=mark.thread,
                    status=OutboundMessage.Status.SENT,
                    sent_at__lte=at + WATERMARK_SLACK,
                )
                .exclude(external_id="")
                .exclude(delivery_state__in=done)
                .values_list("external_id", flat=True)[:200]
            )
            statuses.extend(StatusUpdate(i, mark.state, at) for i in ids)
        return statuses

    # -- replies -------------------------------------------------------------------
    def make_http(self, account) -> Http:
        token = self.setting(account, self.token_setting) or ""
        http = graph.client(self.setting(account, "base_url"), token)
        http.body_error = meta_body_error
        secrets = webhooks.secrets_of(account)
        if token and secrets and self.setting(account, "appsecret_proof"):
            # Apps with "Require app secret" refuse calls without this proof of the token.
            http.client.params = {
                "appsecret_proof": wire.hmac_sha256(secrets[0], token.encode()).hex()
            }
        return http

    def dm_policy(self, account, mention, now: datetime) -> dict:
        """How Meta lets us answer this conversation now, or `WindowClosed` saying why."""
        last = last_inbound(account, mention.thread_external_id)
        if last is None:
            raise WindowClosed(_("The person has not written to us in this conversation."))
        age = now - last
        if age <= RESPONSE_WINDOW:
            return {"messaging_type": "RESPONSE"}
        if age <= HUMAN_AGENT_WINDOW and self.setting(account, "human_agent"):
            return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        if self.setting(account, "human_agent"):
            raise WindowClosed(
                _(
                    "The person last wrote %(days)d days ago; %(channel)s takes replies for "
                    "7 days after a person's last message (with the human agent tag after "
                    "24 hours)."
                )
                % {"days": age.days, "channel": self.label}
            )
        raise WindowClosed(
            _(
                "The person last wrote %(hours)d hours ago; %(channel)s takes replies for "
                "24 hours after a person's last message (the human agent tag is off)."
            )
            % {"hours": age // timedelta(hours=1), "channel": self.label}
        )

    def reply_refusal(self, account, mention, now: datetime) -> str | None:
        if not is_direct(mention):
            return None
        try:
            self.dm_policy(account, mention, now)
        except WindowClosed as closed:
            return str(closed)
        return None

    def dm_length(self, text: str) -> int:
        return len(text)

    def reply_limit_for(self, mention) -> int | None:
        return self.dm_limit if is_direct(mention) else self.reply_limit

    def reply_length_for(self, mention, text: str) -> int:
        return self.dm_length(text) if is_direct(mention) else self.reply_length(text)

    def dm_too_long(self, text: str) -> str | None:
        length = self.dm_length(text)
        if length <= self.dm_limit:
            return None
        return _("The reply is %(length)d long; %(channel)s messages take at most %(limit)d.") % {
            "length": length,
            "channel": self.label,
            "limit": self.dm_limit,
        }

    def messages_path(self, account) -> str:
        raise NotImplementedError

    def send_direct(self, account, http: Http, mention, text: str) -> Sent:
        too_long = self.dm_too_long(text)
        if too_long:
            raise Rejected(too_long)
        policy = self.dm_policy(account, mention, clock.now())
        payload = {
            "recipient": {"id": mention.thread_external_id},
            **policy,
            "message": {"text": text},
        }
        data = http.post(self.messages_path(account), json=payload).json()
        mid = data.get("message_id") if isinstance(data, dict) else None
        if not mid:
            raise Rejected(f"Meta answered without a message_id: {str(data)[:200]}")
        return Sent(str(mid), "", data)

    @staticmethod
    def graph_id(value: str) -> str:
        """A network id we put in a URL path: digits and "_" only, never a path of its own."""
        if not GRAPH_ID.fullmatch(value or ""):
            raise Rejected(f"not a Graph object id: {str(value)[:60]!r}")
        return value

    def post_comment(self, http: Http, path: str, text: str) -> Sent:
        return self.sent_of(http.post(path, json={"message": text}).json())

    @staticmethod
    def sent_of(data) -> Sent:
        """A new comment's `{"id"}` answer as `Sent`: the id its webhook will carry."""
        new_id = data.get("id") if isinstance(data, dict) else None
        if not new_id:
            raise Rejected(f"Meta answered without an id: {str(data)[:200]}")
        return Sent(str(new_id), "", data)


def meta_settings(
    token: str, token_help: str, own: str, own_help: str, base_help: str
) -> tuple[Setting, ...]:
    return (
        Setting("base_url", base_help, default="https://graph.facebook.com/v21.0", kind="url"),
        Setting(
            "verify_token",
            "A string of your choice, typed again in the app's webhook settings "
            "(hub.verify_token).",
            required=True,
        ),
        Setting(
            "app_secret",
            "The Meta app's secret: checks X-Hub-Signature-256.",
            required=True,
            secret=True,
        ),
        Setting(
            "previous_app_secret",
            "The app secret before a rotation, accepted until you remove it.",
            secret=True,
        ),
        Setting(token, token_help, required=True, secret=True),
        Setting(own, own_help, required=True),
        Setting(
            "human_agent",
            "Reply between 24 hours and 7 days after a person's last message with the "
            "HUMAN_AGENT tag (the app needs Meta's Human Agent permission).",
            default=True,
            kind="bool",
        ),
        Setting(
            "appsecret_proof",
            "Send appsecret_proof with every call (needed when the app requires it).",
            default=True,
            kind="bool",
        ),
    )


class FacebookConnector(MetaConnector):
    kind = Channel.FACEBOOK
    label = "Facebook Page"
    object_name = "page"
    reply_limit = 8000  # comments; Messenger messages take 2000 (`dm_limit`)
    dm_limit = 2000
    settings = meta_settings(
        "page_access_token",
        "A Page access token (pages_manage_engagement, pages_messaging, pages_read_user_content).",
        "page_id",
        "The Page's id: its deliveries, and its own posts and messages are not mentions.",
        "Graph API, with its version.",
    )

    def change_item(self, change, entry_time) -> Item | None:
        if not isinstance(change, dict):
            raise ItemError("a change must be an object")
        field = change.get("field")
        if field == "feed":
            return fb.feed_item(change.get("value"), entry_time)
        if field == "mention":
            return fb.page_mention_item(change.get("value"), entry_time)
        return None  # ratings, page changes…: not handled

    def messages_path(self, account) -> str:
        page = str(self.setting(account, "page_id") or "")
        return f"{self.graph_id(page)}/messages" if page else "me/messages"

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        if is_direct(mention):
            return self.send_direct(account, http, mention, text)
        # Facebook nests comments one level: an answer to a reply goes under its parent.
        target = mention.external_id
        if mention.kind == Kind.REPLY and mention.in_reply_to_external_id:
            target = mention.in_reply_to_external_id
        return self.post_comment(http, f"{self.graph_id(target)}/comments", text)

    def check(self, account, http: Http) -> AccountCheck:
        me = http.get("me", params={"fields": "id,name"}).json()
        ids = {str(me.get("id") or ""), self.own_id(account)} - {""}
        return AccountCheck(handle=str(me.get("name") or ""), self_ids=tuple(sorted(ids)))


connector = register(FacebookConnector())
