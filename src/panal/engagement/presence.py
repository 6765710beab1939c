"""Collision detection: who has a case open, who is typing, and the soft reply lock
(docs/engagement.md#collision-detection).

Each open case page reports its viewer every few seconds (`touch`, one upsert); anyone
seen in the last 30 seconds is shown to the others. The functions here do not check
who may see the case: callers pass a case they got from `cases.get_case_for`.

The reply lock is soft: it tells the others that someone is writing, for two minutes
at a time, renewed while they type. It is taken with one conditional UPDATE, so of two
people racing for it exactly one wins, on SQLite and on PostgreSQL alike. Sending
itself is guarded separately (`Case.reply_seq`), so the lock is about courtesy, not
correctness: it expires on its own when a browser closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.models import Membership

from . import cases
from .models import Case, Presence

State = Presence.State
SEEN_WITHIN = timedelta(seconds=30)
LOCK_SECONDS = 120
MAX_LOCK_SECONDS = 600
STALE_AFTER = timedelta(hours=1)


class PresenceError(ValueError):
    """A state or lock length that is not accepted; the message says why."""


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


@dataclass(frozen=True)
class Seen:
    """Someone else on the case."""

    user_id: int
    name: str
    team: str  # their team in the case's organisation ("" without one)
    state: str
    seen_at: datetime

    @property
    def typing(self) -> bool:
        return self.state == State.TYPING


@dataclass(frozen=True)
class Lock:
    """Who holds the reply lock, and until when."""

    user: object
    until: datetime
    seconds_left: int


def touch(user, case: Case, state: str = State.VIEWING) -> None:
    """Record that `user` has the case open now (viewing or typing): one upsert."""
    if state not in State.values:
        raise PresenceError(_("Unknown presence state “%(state)s”.") % {"state": str(state)[:20]})
    Presence.objects.bulk_create(
        [Presence(case_id=case.pk, user_id=user.pk, state=state, seen_at=clock.now())],
        update_conflicts=True,
        unique_fields=["case", "user"],
        update_fields=["state", "seen_at"],
    )


def others(case: Case, user, now=None) -> list[Seen]:
    """Everyone else seen on the case in the last 30 seconds, typists first.

    Whatever their team: on a shared (honeycomb) case people of every team answer, and
    seeing each other is what keeps them from answering twice.
    """
    now = now or clock.now()
    team = Membership.objects.filter(
        user_id=OuterRef("user_id"), organisation_id=case.organisation_id
    ).values("team__name")[:1]
    rows = (
        Presence.objects.filter(case_id=case.pk, seen_at__gte=now - SEEN_WITHIN)
        .exclude(user_id=getattr(user, "pk", None))
        .select_related("user")
        .annotate(team_name=Subquery(team))
    )
    seen = [
        Seen(r.user_id, display_name(r.user), r.team_name or "", r.state, r.seen_at) for r in rows
    ]
    seen.sort(key=lambda s: (not s.typing, s.name.casefold(), s.user_id))
    return seen


def leave(user, case: Case) -> None:
    """The person closed the case: forget their presence."""
    Presence.objects.filter(case_id=case.pk, user_id=user.pk).delete()


def prune(now=None) -> int:
    """Delete presence rows nobody has refreshed for an hour (housekeeping)."""
    now = now or clock.now()
    deleted, _kinds = Presence.objects.filter(seen_at__lt=now - STALE_AFTER).delete()
    return deleted


# --- the soft reply lock ------------------------------------------------------------------


def acquire(user, case: Case, seconds: int = LOCK_SECONDS) -> tuple[bool, object | None]:
    """Take or renew the reply lock for `seconds`.

    Returns (True, user) when `user` holds it now, else (False, the holder). One
    conditional UPDATE decides: free, already theirs, or expired.
    """
    if not cases.can_answer(user, case):
        raise PermissionDenied(_("You may not reply on this case."))
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise PresenceError(_("The lock length must be a number of seconds.")) from None
    if seconds < 1:
        raise PresenceError(_("The lock length must be at least one second."))
    seconds = min(seconds, MAX_LOCK_SECONDS)
    for _attempt in range(2):  # the holder may release between our update and our read
        now = clock.now()
        until = now + timedelta(seconds=seconds)
        won = (
            Case.objects.filter(pk=case.pk)
            .filter(
                Q(lock_user__isnull=True)
                | Q(lock_user=user)
                | Q(lock_until__isnull=True)
                | Q(lock_until__lt=now)
            )
            .update(lock_user=user, lock_until=until)
        )
        if won:
            case.lock_user, case.lock_until = user, until
            return True, user
        current = lock_of(case, now)
        if current is not None:
            return False, current.user
    return False, None


def release(user, case: Case) -> bool:
    """Give the lock up (only its holder can); True when they held it."""
    released = Case.objects.filter(pk=case.pk, lock_user_id=user.pk).update(
        lock_user=None, lock_until=None
    )
    if released and case.lock_user_id == user.pk:
        case.lock_user, case.lock_until = None, None
    return bool(released)


def lock_of(case: Case, now=None) -> Lock | None:
    """The lock as stored now (not as `case` was loaded), or None when free or expired."""
    now = now or clock.now()
    row = (
        Case.objects.filter(pk=case.pk, lock_user__isnull=False, lock_until__gte=now)
        .select_related("lock_user")
        .only("pk", "lock_until", "lock_user")
        .first()
    )
    if row is None:
        return None
    left = math.ceil((row.lock_until - now).total_seconds())
    return Lock(row.lock_user, row.lock_until, max(left, 0))


def holder(case: Case, now=None):
    """The user holding the reply lock, or None."""
    current = lock_of(case, now)
    return current.user if current is not None else None
