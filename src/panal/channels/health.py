"""Channel health: connected, degraded or disconnected, and telling the people who fix it.

Every call a runner or the reply service makes ends in `record_success` or
`record_failure`. A rejected token disconnects the account at once; rate limits pause
it until the network's reset; repeated temporary failures make it degraded. Tool
administrators of the organisation get one e-mail per problem (a disconnected account,
a token that expires within `PANAL_TOKEN_WARNING_DAYS`), and the inbox shows a banner
for as long as the problem lasts (`banner_for`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils.translation import gettext as _

from panal.core import clock

from .base import AuthFailed, ChannelError, RateLimited
from .models import ChannelAccount, Health

log = logging.getLogger(__name__)

DEGRADED_AFTER = 1  # consecutive temporary failures
DISCONNECTED_AFTER = 20


def token_warning() -> timedelta:
    return timedelta(days=getattr(settings, "PANAL_TOKEN_WARNING_DAYS", 7))


def _set(account: ChannelAccount, **fields) -> None:
    for name, value in fields.items():
        setattr(account, name, value)
    ChannelAccount.objects.filter(pk=account.pk).update(**fields)


def record_success(account: ChannelAccount, *, polled: bool = False) -> None:
    """A call worked: the account is connected (and any pause is over)."""
    now = clock.now()
    fields: dict = {}
    if polled:
        fields["last_polled_at"] = now
    if account.health != Health.CONNECTED or account.failures or account.paused_until:
        fields.update(
            health=Health.CONNECTED,
            health_reason="",
            health_changed_at=now,
            failures=0,
            paused_until=None,
        )
    if fields:
        _set(account, **fields)


def record_failure(account: ChannelAccount, error: ChannelError) -> None:
    """A call failed: pause, degrade or disconnect the account, and alert when it matters."""
    now = clock.now()
    reason = str(error)[:480]
    if isinstance(error, AuthFailed):
        _set(
            account,
            health=Health.DISCONNECTED,
            health_reason=_("The network rejected the credentials: %(reason)s")
            % {"reason": reason},
            health_changed_at=now,
            failures=account.failures + 1,
        )
        alert(account, account.health_reason)
        return
    if isinstance(error, RateLimited):
        _set(
            account,
            health=Health.DEGRADED,
            health_reason=_("Rate limited by the network until %(when)s")
            % {"when": error.retry_at.strftime("%Y-%m-%d %H:%M:%S UTC")},
            health_changed_at=now
            if account.health != Health.DEGRADED
            else account.health_changed_at,
            paused_until=error.retry_at,
        )
        return
    failures = account.failures + 1
    health = Health.DEGRADED if failures >= DEGRADED_AFTER else account.health
    if failures >= DISCONNECTED_AFTER:
        health = Health.DISCONNECTED
    _set(
        account,
        health=health,
        health_reason=reason,
        health_changed_at=now if health != account.health else account.health_changed_at,
        failures=failures,
    )
    if health == Health.DISCONNECTED:
        alert(account, reason)


def record_event(account: ChannelAccount) -> None:
    """Something arrived from the network (a delivery, a page with items)."""
    now = clock.now()
    ChannelAccount.objects.filter(pk=account.pk).update(last_event_at=now)
    account.last_event_at = now
    if account.health in (Health.UNKNOWN, Health.DEGRADED) and not account.paused_until:
        _set(account, health=Health.CONNECTED, health_reason="", health_changed_at=now, failures=0)


def problems(account: ChannelAccount, now: datetime | None = None) -> list[str]:
    """What is wrong with the account now, in words for the inbox banner and the admin."""
    now = now or clock.now()
    found = []
    if not account.is_active:
        return found
    if account.health == Health.DISCONNECTED:
        found.append(account.health_reason or _("The channel is disconnected."))
    token = token_problem(account, now)
    if token:
        found.append(token)
    return found


def token_problem(account: ChannelAccount, now: datetime) -> str | None:
    expires = account.token_expires_at
    if expires is None:
        return None
    day = expires.strftime("%Y-%m-%d")
    if expires <= now:
        return _("Its access token expired on %(day)s.") % {"day": day}
    if expires <= now + token_warning():
        return _("Its access token expires on %(day)s.") % {"day": day}
    return None


def banner_for(organisation_ids) -> list[dict]:
    """Accounts of these organisations with a problem, for the inbox banner."""
    now = clock.now()
    accounts = ChannelAccount.objects.filter(
        organisation_id__in=list(organisation_ids), is_active=True
    ).filter(Q(health=Health.DISCONNECTED) | Q(token_expires_at__lte=now + token_warning()))
    return [
        {"account": account, "problems": found}
        for account in accounts.order_by("name")[:10]
        if (found := problems(account, now))
    ]


def alert(account: ChannelAccount, reason: str) -> bool:
    """E-mail the organisation's tool administrators, once per distinct problem."""
    if account.alerted_reason == reason[:500]:
        return False
    from panal.org.models import Membership

    emails = sorted(
        {
            m.user.email
            for m in Membership.objects.filter(
                organisation_id=account.organisation_id, is_active=True
            ).select_related("user")
            if "tool_admin" in (m.roles or []) and m.user.email and m.user.is_active
        }
    )
    now = clock.now()
    _set(account, alerted_at=now, alerted_reason=reason[:500])
    if not emails:
        log.warning(
            "Channel %s has a problem and no tool administrator to tell: %s", account.slug, reason
        )
        return False
    subject = _("Panal: channel “%(name)s” needs attention") % {"name": account.name}
    body = _(
        "The channel account “%(name)s” (%(kind)s) has a problem:\n\n%(reason)s\n\n"
        "Fix its credentials in the administration, then run "
        "`panal channels check %(slug)s`."
    ) % {"name": account.name, "kind": account.kind, "reason": reason, "slug": account.slug}
    send_mail(subject, body, None, emails, fail_silently=True)
    return True


def check_tokens(now: datetime | None = None) -> int:
    """Alert about tokens that expire soon or have expired; returns how many alerts went."""
    now = now or clock.now()
    sent = 0
    soon = ChannelAccount.objects.filter(
        is_active=True, token_expires_at__lte=now + token_warning()
    )
    for account in soon:
        problem = token_problem(account, now)
        if problem:
            sent += alert(account, problem)
    return sent
