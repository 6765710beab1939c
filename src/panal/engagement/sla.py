"""SLA clocks on cases, their warnings and the escalation on breach (docs/engagement.md).

A case stores its deadlines as computed when it opened (or when its priority changed),
in business time of the organisation's calendar. Time spent waiting on the customer
(`Case.pauses`, and the pause still running from `waiting_since`) does not count: the
clocks here push each deadline by the paused business time. `tick` runs periodically
(the listener's housekeeping loop) and moves a case ok → warning → breached, each step
at most once per case, with its history event, notifications and, on breach, the
escalation: the priority goes up one step and the managers hear of it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.choices import Role
from panal.org.models import Membership, Team

from . import cases
from .calendar import (
    BREACHED,
    OK,
    WARNING,
    BusinessHours,
    CalendarError,
    SlaClock,
    SlaPolicy,
    deadline_with_pauses,
)
from .models import Case, CaseEvent, Notification, Priority

log = logging.getLogger(__name__)

RANK = {OK: 0, WARNING: 1, BREACHED: 2}
# Escalation raises the priority one step.
NEXT_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
}
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


# --- the clocks ---------------------------------------------------------------------------


def _instant(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def pauses_of(case: Case, now: datetime) -> list[tuple[datetime, datetime]]:
    """The case's closed pauses, plus the running one (waiting on the customer) cut at `now`.

    Entries that cannot be read are skipped rather than stopping the clock.
    """
    out: list[tuple[datetime, datetime]] = []
    for pause in case.pauses or []:
        if not isinstance(pause, list | tuple) or len(pause) != 2:
            continue
        begin, end = _instant(pause[0]), _instant(pause[1])
        if begin is not None and end is not None and begin <= end:
            out.append((begin, min(end, now)) if begin <= now else (begin, begin))
    if case.waiting_since is not None and case.waiting_since < now:
        out.append((case.waiting_since, now))
    return [(begin, end) for begin, end in out if begin < end]


def _clock(
    policy: SlaPolicy,
    hours: BusinessHours,
    opened: datetime,
    due: datetime,
    now: datetime,
    pauses: list[tuple[datetime, datetime]],
) -> SlaClock:
    """One clock: the target is the business time between opening and the stored due date;
    paused business time moves the deadline later."""
    target = max(hours.business_time_between(opened, due), timedelta(0))
    if pauses:
        moved = deadline_with_pauses(opened, target, pauses, hours)
        due = moved if moved is not None else due
    return policy.clock(due, now, opened, hours, pauses)


def clocks(case: Case, settings: cases.Settings | None = None, now=None) -> dict:
    """{"first_response": SlaClock | None, "resolution": SlaClock | None}.

    The first-response clock is None once the case was answered (or has no target); the
    resolution clock stops when the case is resolved or closed.
    """
    settings = settings or cases.settings_for(case.organisation_id)
    now = now or clock.now()
    out: dict[str, SlaClock | None] = {FIRST_RESPONSE: None, RESOLUTION: None}
    opened = case.opened_at
    try:
        if case.first_response_due is not None and case.first_response_at is None:
            at = now if case.is_open else (case.resolved_at or case.closed_at or now)
            out[FIRST_RESPONSE] = _clock(
                settings.sla, settings.hours, opened, case.first_response_due, at,
                pauses_of(case, at),
            )  # fmt: skip
        if case.resolution_due is not None:
            at = now if case.is_open else min(case.resolved_at or case.closed_at or now, now)
            out[RESOLUTION] = _clock(
                settings.sla, settings.hours, opened, case.resolution_due, at, pauses_of(case, at)
            )
    except CalendarError as exc:  # a calendar that cannot answer: no clock rather than a crash
        log.warning("SLA clocks of case %s: %s", case.pk, exc)
    return out


def worst(found: dict) -> tuple[str, str | None]:
    """The most pressing state among the clocks, and which clock it is."""
    state, which = OK, None
    for name in (FIRST_RESPONSE, RESOLUTION):
        item = found.get(name)
        if item is not None and RANK[item.state] > RANK[state]:
            state, which = item.state, name
    return state, which


# --- the periodic check ------------------------------------------------------------------


def tick(now=None, organisation=None) -> dict:
    """Warn and escalate open cases whose clocks crossed a threshold; safe to run again.

    Returns counts: {"checked", "warned", "breached", "escalated", "eased", "failed"}.
    """
    now = now or clock.now()
    counts = {"checked": 0, "warned": 0, "breached": 0, "escalated": 0, "eased": 0, "failed": 0}
    settings_cache: dict[int, cases.Settings] = {}
    for state in (Case.Sla.OK, Case.Sla.WARNING):
        rows = Case.objects.filter(
            is_open=True, resolution_due__isnull=False, sla_state=state
        ).order_by("resolution_due")
        if organisation is not None:
            rows = rows.filter(organisation=organisation)
        for case in list(rows):
            counts["checked"] += 1
            settings = settings_cache.get(case.organisation_id)
            if settings is None:
                settings = settings_cache[case.organisation_id] = cases.settings_for(
                    case.organisation_id
                )
            try:
                _check(case, settings, now, counts)
            except Exception:  # one case that cannot be checked must not stop the others
                counts["failed"] += 1
                log.exception("SLA check of case %s failed", case.pk)
    return counts


def _check(case: Case, settings: cases.Settings, now: datetime, counts: dict) -> None:
    found = clocks(case, settings, now)
    state, which = worst(found)
    if state == case.sla_state:
        return
    with transaction.atomic():
        if state == BREACHED:
            done = _breach(case, settings, found[which], which, now)
            if done:
                counts["breached"] += 1
                counts["escalated"] += done == "raised"
        elif state == WARNING and case.sla_state == Case.Sla.OK:
            if _warn(case, found[which], which, now):
                counts["warned"] += 1
        elif state == OK and case.sla_state == Case.Sla.WARNING:
            # Answered, or the priority moved the deadline: no longer due soon. The
            # warning stays in the history and is not repeated.
            eased = Case.objects.filter(pk=case.pk, sla_state=Case.Sla.WARNING).update(
                sla_state=Case.Sla.OK
            )
            counts["eased"] += eased


def _claim(case: Case, stamp: str, state: str, now: datetime) -> bool:
    """Set the state and its timestamp only if no other run did: the once-per-case guard.

    When the step was taken before (a warning, eased, then due soon again) the state is
    set quietly and False returned: nothing is recorded or sent twice.
    """
    changed = Case.objects.filter(pk=case.pk, **{f"{stamp}__isnull": True}).update(
        **{stamp: now, "sla_state": state}
    )
    if changed:
        setattr(case, stamp, now)
    else:
        Case.objects.filter(pk=case.pk).exclude(sla_state=Case.Sla.BREACHED).update(sla_state=state)
    case.sla_state = state
    return bool(changed)


def _clock_label(which: str | None) -> str:
    return _("first response") if which == FIRST_RESPONSE else _("resolution")


def _warn(case: Case, item: SlaClock, which: str, now: datetime) -> bool:
    if not _claim(case, "sla_warned_at", Case.Sla.WARNING, now):
        return False
    cases.record(
        case, CaseEvent.Kind.SLA, None, at=now, state=WARNING, clock=which,
        due=item.due.isoformat(), remaining_seconds=int(item.remaining.total_seconds()),
    )  # fmt: skip
    if case.assignee_id is not None:
        people = [case.assignee_id]
    elif case.owner_team_id is not None:
        people = cases.team_members([case.owner_team_id])
    else:
        people = []
    cases.notify(
        people, case.organisation_id, Notification.Kind.SLA,
        lambda: _("Case #%(id)s: the %(clock)s is due soon (%(left)s left): %(subject)s") % {
            "id": case.pk, "clock": _clock_label(which), "left": duration_text(item.remaining),
            "subject": case.subject,
        },
        case,
    )  # fmt: skip
    return True


def _breach(case: Case, settings: cases.Settings, item: SlaClock, which: str, now: datetime) -> str:
    """Returns "raised" (priority went up), "notified" (already critical) or "" (done before)."""
    if not _claim(case, "sla_breached_at", Case.Sla.BREACHED, now):
        return ""
    cases.record(
        case, CaseEvent.Kind.SLA, None, at=now, state=BREACHED, clock=which,
        due=item.due.isoformat(),
    )  # fmt: skip
    before = case.priority
    after = NEXT_PRIORITY.get(before, before)
    reason = _("SLA breached: the %(clock)s was due %(due)s") % {
        "clock": _clock_label(which), "due": item.due.strftime("%Y-%m-%d %H:%M UTC"),
    }  # fmt: skip
    if after != before:
        cases.apply_priority(case, after, actor=None, reason=reason)
    people = escalation_people(case, settings)
    notified = cases.notify(
        people, case.organisation_id, Notification.Kind.SLA,
        lambda: _("Case #%(id)s breached its %(clock)s SLA and was escalated: %(subject)s") % {
            "id": case.pk, "clock": _clock_label(which), "subject": case.subject,
        },
        case,
    )  # fmt: skip
    cases.record(
        case, CaseEvent.Kind.ESCALATED, None, at=now, clock=which, before=before,
        after=after, notified=notified, reason=reason,
    )  # fmt: skip
    return "raised" if after != before else "notified"


def escalation_people(case: Case, settings: cases.Settings) -> list[int]:
    """Who hears of a breach: the assignee, the owner team's area managers, and the
    director team (the configured one, else the organisation's hub team)."""
    people: set[int] = set()
    if case.assignee_id is not None:
        people.add(case.assignee_id)
    if case.owner_team_id is not None:
        people.update(area_managers(case.owner_team_id))
    director_team_id = settings.config.director_team_id
    if director_team_id is None:
        director_team_id = (
            Team.objects.filter(organisation_id=case.organisation_id, is_hub=True)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
    if director_team_id is not None:
        people.update(cases.team_members([director_team_id]))
    return sorted(people)


def area_managers(team_id: int) -> list[int]:
    """Active area managers of a team (roles are a JSON list: filtered here, not in SQL)."""
    rows = Membership.objects.filter(team_id=team_id, is_active=True).values_list(
        "user_id", "roles"
    )
    return [user_id for user_id, roles in rows if Role.AREA_MANAGER in (roles or [])]


# --- the panel on a case page -----------------------------------------------------------


def duration_text(value: timedelta) -> str:
    """Business time as "2 h 05 min" or "40 min" (the sign dropped)."""
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def sla_panel(case: Case, settings: cases.Settings | None = None, now=None) -> dict:
    """What `engagement/case/_sla.html` shows: both clocks, their state and time left
    (or how late), and whether they are paused waiting on the customer."""
    settings = settings or cases.settings_for(case.organisation_id)
    now = now or clock.now()
    found = clocks(case, settings, now)
    paused = case.is_open and case.waiting_since is not None
    rows = []
    for name, label in ((FIRST_RESPONSE, _("First response")), (RESOLUTION, _("Resolution"))):
        item = found[name]
        row = {"name": name, "label": label, "clock": item, "paused": paused}
        if item is None:
            done_at = case.first_response_at if name == FIRST_RESPONSE else None
            if done_at is None:
                continue
            row.update(state="done", text=_("Answered"), done_at=done_at)
        elif not case.is_open and name == FIRST_RESPONSE:
            continue  # closed without an answer here: nothing left to count
        elif not case.is_open:
            late = item.state == BREACHED
            row.update(
                state=BREACHED if late else OK,
                done_at=case.resolved_at or case.closed_at,
                text=(
                    _("Resolved %(late)s late") % {"late": duration_text(item.remaining)}
                    if late
                    else _("Resolved on time")
                ),
            )
        elif item.state == BREACHED:
            row.update(
                state=BREACHED,
                text=_("%(late)s late") % {"late": duration_text(item.remaining)},
            )
        else:
            row.update(
                state=item.state,
                text=_("%(left)s left") % {"left": duration_text(item.remaining)},
            )
        rows.append(row)
    return {
        "case_id": case.pk,
        "clocks": rows,
        "paused": paused,
        "waiting_since": case.waiting_since if paused else None,
        "state": worst(found)[0] if case.is_open else case.sla_state,
        "stored_state": case.sla_state,
        "warned_at": case.sla_warned_at,
        "breached_at": case.sla_breached_at,
        "timezone": settings.hours.timezone,
    }
