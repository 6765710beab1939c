"""Answering a mention through its own channel: one service for every network.

`send_reply` checks the permission and whether the channel can deliver at all (its
connector replies, the account is connected, its token is valid, the messaging
window is open, the text fits), then records an `OutboundMessage` on the thread as
"queued" and hands it to the worker. `deliver` calls the connector: success stores the
network's id and link ("sent"); a rate limit or a temporary failure queues it again
for later (`RETRIES` attempts with growing waits); a permanent refusal marks it
"failed" with the network's reason. A reply is never shown as sent before the network
said so, and our sent ids are what keeps our replies from coming back as mentions.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from panal.core import clock
from panal.listening.choices import ReplyCapability
from panal.listening.services import require_perm

from . import health
from .base import AuthFailed, Capability, ChannelError, RateLimited, connector_for
from .models import ChannelAccount, Health, OutboundMessage

log = logging.getLogger(__name__)

RETRIES = 5
Status = OutboundMessage.Status


class ReplyRefused(ValueError):
    """The reply cannot be delivered; the message says why, in the user's language."""


def refusal(mention, text: str | None = None, now=None) -> str | None:
    """Why a reply to `mention` cannot be delivered now, or None when it can."""
    now = now or clock.now()
    account: ChannelAccount | None = mention.account
    if account is None:
        return _("This mention did not come from a channel account.")
    connector = connector_for(account.kind)
    if connector is None or Capability.REPLY not in connector.capabilities:
        return _("%(channel)s does not take replies from Panal.") % {
            "channel": account.get_kind_display()
        }
    if not account.is_active:
        return _("The channel account “%(name)s” is inactive.") % {"name": account.name}
    missing = connector.missing_settings(account)
    if missing:
        return _("The channel account “%(name)s” is not configured: %(missing)s missing.") % {
            "name": account.name,
            "missing": ", ".join(missing),
        }
    if mention.deleted_at is not None:
        return _("The mention was deleted by its author.")
    if mention.reply_capability == ReplyCapability.NONE:
        return _("The network does not allow replies to this item.")
    if account.health == Health.DISCONNECTED:
        return _("The channel is disconnected: %(reason)s") % {
            "reason": account.health_reason or _("no reason given")
        }
    if account.token_expires_at is not None and account.token_expires_at <= now:
        return _("The channel's access token expired on %(day)s.") % {
            "day": account.token_expires_at.strftime("%Y-%m-%d")
        }
    reason = connector.reply_refusal(account, mention, now)
    if reason:
        return reason
    if text is not None:
        if not text.strip():
            return _("The reply is empty.")
        limit = connector.reply_limit_for(mention)
        length = connector.reply_length_for(mention, text)
        if limit is not None and length > limit:
            return _("The reply is %(length)d long; %(channel)s takes at most %(limit)d.") % {
                "length": length,
                "channel": account.get_kind_display(),
                "limit": limit,
            }
    return None


def send_reply(user, mention, text: str) -> OutboundMessage:
    """Queue a reply to `mention` after every check; raises `ReplyRefused` with the reason."""
    require_perm(user, "listening.publish_reply")
    text = text.replace("\r\n", "\n").strip()
    reason = refusal(mention, text)
    if reason:
        raise ReplyRefused(reason)
    with transaction.atomic():
        message = OutboundMessage.objects.create(
            organisation_id=mention.organisation_id,
            account=mention.account,
            mention=mention,
            author=user if getattr(user, "pk", None) else None,
            text=text,
            created_at=clock.now(),
        )
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def send_system_reply(mention, text: str) -> OutboundMessage:
    """Queue a message Panal itself sends (a satisfaction survey): the same checks as
    `send_reply`, no user and so no permission; raises `ReplyRefused` with the reason."""
    text = text.replace("\r\n", "\n").strip()
    reason = refusal(mention, text)
    if reason:
        raise ReplyRefused(reason)
    with transaction.atomic():
        message = OutboundMessage.objects.create(
            organisation_id=mention.organisation_id,
            account=mention.account,
            mention=mention,
            author=None,
            text=text,
            created_at=clock.now(),
        )
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(outbound_id: int, run_after=None) -> None:
    from .tasks import deliver_reply

    task = deliver_reply.using(run_after=run_after) if run_after is not None else deliver_reply
    try:
        task.enqueue(outbound_id)
    except Exception:  # a backend without delayed runs: `send_due` picks it up
        if run_after is None:
            raise
        log.info("Reply %s waits for send_due", outbound_id)


def deliver(outbound_id: int) -> str:
    """Send one queued reply now; returns its status afterwards."""
    now = clock.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .select_related("account", "mention")
            .filter(pk=outbound_id)
            .first()
        )
        if message is None or message.status not in (Status.QUEUED, Status.SENDING):
            return message.status if message else "missing"
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return message.status
        message.status = Status.SENDING
        message.attempts += 1
        message.save(update_fields=["status", "attempts"])
    account = message.account
    connector = connector_for(account.kind)
    reason = refusal(message.mention, message.text, now) if connector else _("No connector.")
    if reason:
        return _fail(message, reason)
    http = connector.make_http(account)
    try:
        sent = connector.send_reply(account, http, message.mention, message.text, str(message.pk))
    except RateLimited as exc:
        health.record_failure(account, exc)
        return _later(message, exc.retry_at, str(exc))
    except AuthFailed as exc:
        health.record_failure(account, exc)
        return _fail(message, str(exc))
    except ChannelError as exc:
        if not exc.retry:
            return _fail(message, str(exc))
        health.record_failure(account, exc)
        if message.attempts >= RETRIES:
            return _fail(message, str(exc))
        wait = timedelta(seconds=30 * 2 ** (message.attempts - 1))
        return _later(message, clock.now() + wait, str(exc))
    finally:
        http.close()
    health.record_success(account)
    message.status = Status.SENT
    message.external_id = sent.external_id[:512]
    message.url = sent.url[:2000]
    message.raw = sent.raw or {}
    message.sent_at = clock.now()
    message.error = ""
    message.next_attempt_at = None
    message.save(
        update_fields=["status", "external_id", "url", "raw", "sent_at", "error", "next_attempt_at"]
    )
    return message.status


def _fail(message: OutboundMessage, reason: str) -> str:
    message.status = Status.FAILED
    message.error = reason[:2000]
    message.next_attempt_at = None
    message.save(update_fields=["status", "error", "next_attempt_at"])
    return message.status


def _later(message: OutboundMessage, when, reason: str) -> str:
    message.status = Status.QUEUED
    message.error = reason[:2000]
    message.next_attempt_at = when
    message.save(update_fields=["status", "error", "next_attempt_at"])
    transaction.on_commit(lambda: _enqueue(message.pk, run_after=when))
    return message.status


def retry(user, message: OutboundMessage) -> OutboundMessage:
    """Queue a failed reply again (after the cause was fixed)."""
    require_perm(user, "listening.publish_reply")
    if message.status != Status.FAILED:
        raise ReplyRefused(_("Only a failed reply can be sent again."))
    reason = refusal(message.mention, message.text)
    if reason:
        raise ReplyRefused(reason)
    message.status = Status.QUEUED
    message.next_attempt_at = None
    message.save(update_fields=["status", "next_attempt_at"])
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def send_due(limit: int = 100) -> int:
    """Deliver queued replies whose time has come (a safety net beside delayed tasks)."""
    now = clock.now()
    due = list(
        OutboundMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        deliver(pk)
    return len(due)
