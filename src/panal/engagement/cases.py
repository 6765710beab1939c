"""The one doorway to cases: who sees and answers them, and every change to them.

Every change records a `CaseEvent` (who, when, what) in the same transaction, so a
case's history is complete whoever or whatever changed it: a person, a rule, the SLA
clock, an offboarding. Views and the API call these functions; they check
permissions themselves (PermissionDenied), so no caller can forget to.

Visibility follows the engagement model's decision stored on the case: a user sees a
case when their team is among its visible teams (honeycomb: every team), when it is
assigned to them, when a note @mentions them, or when they hold
`engagement.view_all_cases` (director, analyst, community manager). Answering needs
`engagement.work_case` and a team among those that may answer, the assignment, or
`engagement.answer_any_case`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.models import Membership, Organisation, Team

from .calendar import BusinessHours, CalendarError, SlaPolicy, Targets
from .models import (
    PRIORITY_RANK,
    Case,
    CaseAccess,
    CaseEvent,
    CaseMention,
    EngagementConfig,
    Note,
    Notification,
    Priority,
)
from .playbooks import Playbooks

Status = Case.Status
Kind = CaseEvent.Kind
OPEN = frozenset(Case.OPEN_STATUSES)
MAX_TAGS = 30
TAG_RE = re.compile(r"^[\w][\w .:/+-]{0,49}$")
HANDLE_RE = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


class CaseNotFound(LookupError):
    """No such case, or not one the user may see (the same answer for both)."""


class CaseError(ValueError):
    """A change that cannot be made; the message says why, in the user's language."""


# --- the organisation's settings ------------------------------------------------------

DEFAULT_HOURS = {
    "week": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}
# Minutes of business time.
DEFAULT_SLA = {
    "priorities": {
        "critical": {"first_response": 30, "resolution": 240},
        "high": {"first_response": 60, "resolution": 480},
        "normal": {"first_response": 240, "resolution": 1440},
        "low": {"first_response": 480, "resolution": 4320},
    },
    "warn_at": 0.8,
}


@dataclass
class Settings:
    """An organisation's engagement settings, parsed once (a bad stored value falls back
    to the default and says so in `problems`)."""

    config: EngagementConfig
    playbooks: Playbooks
    hours: BusinessHours
    sla: SlaPolicy
    problems: list[str]


def config_for(organisation: Organisation | int) -> EngagementConfig:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    config, _created = EngagementConfig.objects.get_or_create(organisation_id=org_id)
    return config


def _config_of(organisation: Organisation | int) -> tuple[EngagementConfig, Organisation]:
    """The stored settings, or unsaved defaults (reading never writes)."""
    if isinstance(organisation, Organisation):
        try:
            config = organisation.engagement  # cached by select_related("engagement")
        except EngagementConfig.DoesNotExist:
            config = EngagementConfig(organisation=organisation)
        return config, organisation
    config = (
        EngagementConfig.objects.select_related("organisation")
        .filter(organisation_id=organisation)
        .first()
    )
    if config is None:
        org = Organisation.objects.get(pk=organisation)
        config = EngagementConfig(organisation=org)
    return config, config.organisation


def settings_for(organisation: Organisation | int) -> Settings:
    config, org = _config_of(organisation)
    problems: list[str] = []
    try:
        playbooks = Playbooks.from_dict(config.playbooks or {})
    except ValueError as exc:
        problems.append(f"playbooks: {exc}")
        playbooks = Playbooks.from_dict({})
    try:
        hours = BusinessHours.from_dict(
            config.business_hours or {**DEFAULT_HOURS, "timezone": org.timezone or "UTC"}
        )
    except CalendarError as exc:
        problems.append(f"business hours: {exc}")
        hours = BusinessHours.from_dict({**DEFAULT_HOURS, "timezone": "UTC"})
    try:
        sla = SlaPolicy.from_dict(config.sla or DEFAULT_SLA)
    except CalendarError as exc:
        problems.append(f"SLA: {exc}")
        sla = SlaPolicy.from_dict(DEFAULT_SLA)
    return Settings(config, playbooks, hours, sla, problems)


def sla_deadlines(settings: Settings, priority: str, channel: str, start):
    """(first response due, resolution due) in business time; None where no target."""
    try:
        first, resolution = settings.sla.targets_for(priority, channel)
    except CalendarError:
        return None, None
    return settings.hours.add_business_time(start, first), settings.hours.add_business_time(
        start, resolution
    )


__all__ = ["Targets"]  # re-exported for callers building policies


# --- who is who ------------------------------------------------------------------------


@dataclass
class Seat:
    """A user's place in one organisation: their team and roles."""

    user: object
    organisation_id: int
    team_id: int | None
    roles: tuple[str, ...]

    @cached_property
    def sees_all(self) -> bool:
        return self.user.has_perm("engagement.view_all_cases")

    @cached_property
    def answers_any(self) -> bool:
        return self.user.has_perm("engagement.answer_any_case")


def seats(user) -> dict[int, Seat]:
    if not user.is_authenticated:
        return {}
    return {
        m.organisation_id: Seat(user, m.organisation_id, m.team_id, tuple(m.roles))
        for m in Membership.objects.filter(user=user, is_active=True)
    }


def visible_cases(user) -> QuerySet[Case]:
    """Cases the user may see, across their organisations. Checks the permission."""
    if not user.is_authenticated or not user.has_perm("engagement.view_case"):
        raise PermissionDenied("Missing permission: engagement.view_case")
    condition = Q(pk__in=[])
    for seat in seats(user).values():
        if seat.sees_all:
            condition |= Q(organisation_id=seat.organisation_id)
            continue
        mentioned = Note.mentioned.through.objects.filter(note__case_id=OuterRef("pk"), user=user)
        mine = Q(visible_to_all=True) | Q(assignee=user) | Q(Exists(mentioned))
        if seat.team_id is not None:
            mine |= Q(owner_team_id=seat.team_id) | _shared_with(seat.team_id)
        condition |= Q(organisation_id=seat.organisation_id) & mine
    return Case.objects.filter(condition)


def _shared_with(team_id: int) -> Q:
    """Cases another team owns that this team may see, as a test of each case, so an inbox
    page looks only at the cases it walks (its LIMIT). PostgreSQL reads the case's own
    `visible_team_ids` (`@>`): it would hash every `CaseAccess` row of the team first, for
    a subquery in an OR. SQLite probes `CaseAccess` per case, through its index."""
    if connection.vendor == "postgresql":
        return Q(visible_team_ids__contains=[team_id])
    return Q(Exists(CaseAccess.objects.filter(case_id=OuterRef("pk"), team_id=team_id)))


def can_see(user, case: Case) -> bool:
    seat = seats(user).get(case.organisation_id)
    if seat is None or not user.has_perm("engagement.view_case"):
        return False
    return (
        seat.sees_all
        or case.assignee_id == user.pk
        or case.owner_team_id == seat.team_id
        or case.team_can_see(seat.team_id)
        # Someone @mentioned on the case was asked in: they can read it and answer notes.
        or Note.mentioned.through.objects.filter(note__case=case, user=user).exists()
    )


def get_case_for(user, case_id) -> Case:
    try:
        case = Case.objects.select_related(
            "owner_team", "domain_team", "assignee", "contact", "account", "first_mention"
        ).get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise CaseNotFound(_("Case not found.")) from None
    if not can_see(user, case):
        raise CaseNotFound(_("Case not found."))
    return case


def can_work(user, case: Case) -> bool:
    return user.has_perm("engagement.work_case") and can_see(user, case)


def can_answer(user, case: Case) -> bool:
    """May this user reply on the case (directly, or by submitting a draft)?"""
    if not (user.has_perm("listening.publish_reply") or user.has_perm("listening.draft_reply")):
        return False
    seat = seats(user).get(case.organisation_id)
    if seat is None:
        return False
    return (
        seat.answers_any
        or case.assignee_id == user.pk
        or case.owner_team_id == seat.team_id
        or case.team_can_answer(seat.team_id)
    )


def require_work(user, case: Case) -> None:
    if not can_work(user, case):
        raise PermissionDenied(_("You may not change this case."))


# --- history and notifications ------------------------------------------------------------


def record(case: Case, kind: str, actor=None, at=None, **data) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, actor=actor if getattr(actor, "pk", None) else None,
        at=at or clock.now(), data=data,
    )  # fmt: skip


Message = str | Callable[[], str]  # a text, or one written in the language active when called


def languages_of(user_ids: Iterable[int], organisation_id: int) -> dict[int, str]:
    """Each person's language for what Panal writes to them: the interface language they
    chose, else their language in the organisation, else the organisation's (two queries)."""
    from django.conf import settings

    from panal.org.models import UserPreference

    ids = set(user_ids)
    known = {code for code, _name in settings.LANGUAGES}
    chosen = dict(
        UserPreference.objects.filter(user_id__in=ids).exclude(language="")
        .values_list("user_id", "language")
    )  # fmt: skip
    own = dict(
        Membership.objects.filter(organisation_id=organisation_id, user_id__in=ids - set(chosen))
        .exclude(language="")
        .values_list("user_id", "language")
    )
    default = (
        Organisation.objects.filter(pk=organisation_id)
        .values_list("default_language", flat=True)
        .first()
    )
    out = {}
    for uid in ids:
        lang = (chosen.get(uid) or own.get(uid) or default or settings.LANGUAGE_CODE)[:2].lower()
        out[uid] = lang if lang in known else settings.LANGUAGE_CODE
    return out


def written_for(user_ids: Iterable[int], organisation_id: int, text: Message) -> dict[int, str]:
    """user id → `text` in that person's language (`languages_of`); a plain string as it is."""
    ids = list(dict.fromkeys(user_ids))
    if not callable(text):
        return dict.fromkeys(ids, text)
    by_language: dict[str, str] = {}
    out = {}
    for uid, lang in languages_of(ids, organisation_id).items():
        if lang not in by_language:
            with translation.override(lang):
                by_language[lang] = str(text())
        out[uid] = by_language[lang]
    return out


def notify(users: Iterable, organisation_id: int, kind: str, text: Message, case=None) -> int:
    """Tell these people (users or ids). `text` may be a function that writes the message:
    it is then written in each person's language (`languages_of`)."""
    now = clock.now()
    ids = {getattr(u, "pk", u) for u in users if u is not None}
    texts = written_for(ids, organisation_id, text)
    rows = [
        Notification(
            organisation_id=organisation_id, user_id=uid, kind=kind, case=case,
            text=texts[uid][:500], created_at=now,
        )
        for uid in ids
    ]  # fmt: skip
    Notification.objects.bulk_create(rows)
    return len(rows)


def team_members(team_ids: Iterable[int]) -> list[int]:
    return list(
        Membership.objects.filter(team_id__in=list(team_ids), is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _touch(case: Case, *fields: str) -> None:
    case.updated_at = clock.now()
    case.save(update_fields=[*fields, "updated_at"])


# --- changes ----------------------------------------------------------------------------


@transaction.atomic
def set_status(user, case: Case, status: str) -> Case:
    require_work(user, case)
    if status not in Status.values:
        raise CaseError(_("Unknown status “%(status)s”.") % {"status": status})
    return apply_status(case, status, actor=user)


def status_clocks(case: Case, status: str, now) -> None:
    """Set the status and its clocks on the instance (a pending spell's pause, when it
    was resolved or closed); nothing is saved or recorded."""
    before = case.status
    if before == Status.PENDING and case.waiting_since is not None:
        case.pauses = [*case.pauses, [case.waiting_since.isoformat(), now.isoformat()]]
        case.waiting_since = None
    if status == Status.PENDING:
        case.waiting_since = now
    if status == Status.RESOLVED:
        case.resolved_at = now
    elif status == Status.CLOSED:
        case.closed_at = now
    elif before in (Status.RESOLVED, Status.CLOSED):  # reopened
        case.resolved_at = None
        case.closed_at = None
    case.status = status
    case.is_open = status in OPEN


def apply_status(case: Case, status: str, actor=None) -> Case:
    """Change the status and its clocks; no permission check (rules, SLA, replies)."""
    before = case.status
    if before == status:
        return case
    status_clocks(case, status, clock.now())
    _touch(case, "status", "is_open", "waiting_since", "pauses", "resolved_at", "closed_at")
    record(case, Kind.STATUS, actor, before=before, after=status)
    if status == Status.RESOLVED:
        transaction.on_commit(lambda: _after_resolved(case.pk))
    return case


def _after_resolved(case_id: int) -> None:
    from . import csat

    csat.after_resolved(case_id)


@transaction.atomic
def set_priority(user, case: Case, priority: str) -> Case:
    require_work(user, case)
    if priority not in Priority.values:
        raise CaseError(_("Unknown priority “%(priority)s”.") % {"priority": priority})
    return apply_priority(case, priority, actor=user)


def priority_fields(case: Case, priority: str, settings: Settings) -> None:
    """Set the priority, its rank and the SLA deadlines it gives on the instance (nothing
    is saved or recorded)."""
    case.priority = priority
    case.priority_rank = PRIORITY_RANK[priority]
    case.first_response_due, case.resolution_due = sla_deadlines(
        settings, priority, case.channel, case.opened_at
    )


def team_fields(case: Case, team_id: int, is_member: Callable[[int], bool]) -> bool:
    """Make `team_id` the owner on the instance: the team sees and may answer the case,
    and an assignee who is not one of its members (`is_member(user id)`) goes back to
    its queue. True when the team needs an access row (it did not see the case)."""
    case.owner_team_id = team_id
    needs_access = not case.visible_to_all and team_id not in case.visible_team_ids
    if needs_access:
        case.visible_team_ids = [*case.visible_team_ids, team_id]
    if not case.answer_all and team_id not in case.answer_team_ids:
        case.answer_team_ids = [*case.answer_team_ids, team_id]
    if case.assignee_id is not None and not is_member(case.assignee_id):
        case.assignee_id = None
    return needs_access


def apply_priority(case: Case, priority: str, actor=None, reason: str = "") -> Case:
    before = case.priority
    if before == priority:
        return case
    priority_fields(case, priority, settings_for(case.organisation_id))
    _touch(case, "priority", "priority_rank", "first_response_due", "resolution_due")
    record(case, Kind.PRIORITY, actor, before=before, after=priority, reason=reason)
    return case


def clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in tags:
        tag = " ".join(str(raw).split()).lower()
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise CaseError(_("“%(tag)s” is not a valid tag.") % {"tag": tag[:60]})
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise CaseError(_("A case takes at most %(n)d tags.") % {"n": MAX_TAGS})
    return out


@transaction.atomic
def set_tags(user, case: Case, tags: Iterable[str]) -> Case:
    require_work(user, case)
    return apply_tags(case, clean_tags(tags), actor=user)


def apply_tags(case: Case, tags: list[str], actor=None) -> Case:
    before = list(case.tags)
    if before == tags:
        return case
    case.tags = tags
    _touch(case, "tags")
    record(case, Kind.TAGS, actor, added=[t for t in tags if t not in before],
           removed=[t for t in before if t not in tags])  # fmt: skip
    return case


@transaction.atomic
def assign(user, case: Case, assignee) -> Case:
    """Assign to a member of the organisation (None: back to the team's queue)."""
    require_work(user, case)
    if (
        assignee is not None
        and not Membership.objects.filter(
            user=assignee, organisation_id=case.organisation_id, is_active=True
        ).exists()
    ):
        raise CaseError(_("That person is not an active member of this organisation."))
    return apply_assignee(case, assignee, actor=user)


def apply_assignee(case: Case, assignee, actor=None, how: str = "manual") -> Case:
    before = case.assignee_id
    after = getattr(assignee, "pk", assignee)
    if before == after:
        return case
    case.assignee_id = after
    _touch(case, "assignee")
    record(case, Kind.ASSIGNED, actor, before=before, after=after, how=how)
    if after is not None and after != getattr(actor, "pk", None):
        notify([after], case.organisation_id, Notification.Kind.ASSIGNED,
               lambda: _("Case #%(id)s was assigned to you: %(subject)s")
               % {"id": case.pk, "subject": case.subject}, case)  # fmt: skip
    return case


@transaction.atomic
def move_to_team(user, case: Case, team: Team, reason: str = "") -> Case:
    require_work(user, case)
    if team.organisation_id != case.organisation_id:
        raise CaseError(_("That team belongs to another organisation."))
    return apply_team(case, team, actor=user, reason=reason)


def apply_team(case: Case, team: Team, actor=None, reason: str = "") -> Case:
    before = case.owner_team_id
    if before == team.pk:
        return case

    def is_member(user_id: int) -> bool:
        return Membership.objects.filter(user_id=user_id, team=team, is_active=True).exists()

    if team_fields(case, team.pk, is_member):
        CaseAccess.objects.get_or_create(case=case, team=team)
    case.owner_team = team  # the instance, read by the caller's next step
    _touch(case, "owner_team", "visible_team_ids", "answer_team_ids", "assignee")
    record(case, Kind.TEAM, actor, before=before, after=team.pk, team=team.name, reason=reason)
    return case


@transaction.atomic
def add_note(user, case: Case, body: str) -> Note:
    """An internal note; @username of a member of the organisation notifies them."""
    require_work(user, case)
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise CaseError(_("The note is empty."))
    if len(body) > 10_000:
        raise CaseError(_("A note takes at most 10,000 characters."))
    handles = {h.rstrip(".") for h in HANDLE_RE.findall(body)}
    people = list(
        get_user_model()
        .objects.filter(
            username__in=handles,
            memberships__organisation_id=case.organisation_id,
            memberships__is_active=True,
        )
        .distinct()
    )
    note = Note.objects.create(case=case, author=user, body=body, created_at=clock.now())
    note.mentioned.set(people)
    record(case, Kind.NOTE, user, note=note.pk, mentioned=[p.username for p in people])
    _touch(case)
    others = [p for p in people if p.pk != user.pk]
    notify(others, case.organisation_id, Notification.Kind.MENTIONED,
           lambda: _("%(who)s mentioned you on case #%(id)s") % {
               "who": user.get_username(), "id": case.pk}, case)  # fmt: skip
    return note


def history(case: Case) -> list[CaseEvent]:
    """The case's history, oldest first: its events, and a *rule* entry for each rule that
    fired on one of its mentions (read from the rules' audit, `RuleFire`, which routing
    writes once rather than twice)."""
    from .models import RuleFire

    events = list(case.events.select_related("actor"))
    for fire in RuleFire.objects.filter(case=case).only(
        "id", "rule_id", "rule_name", "mention_id", "actions", "at"
    ):
        data = {"rule": fire.rule_id, "name": fire.rule_name, "actions": fire.actions,
                "mention": fire.mention_id}  # fmt: skip
        events.append(CaseEvent(id=fire.id, case=case, at=fire.at, kind=CaseEvent.Kind.RULE,
                                data=data))  # fmt: skip
    events.sort(key=lambda e: (e.at, e.id))
    return events


def routing_of(case: Case, events: Iterable[CaseEvent] | None = None) -> dict | None:
    """How the case was routed, as codes and team ids: its routed event's decision, else
    (a case split off or opened by hand) what the case itself records. `events`: its
    history, when already read."""
    rows = events if events is not None else case.events.filter(kind=Kind.ROUTED)
    for event in rows:
        if event.kind == Kind.ROUTED and isinstance(event.data, dict):
            return event.data
    if not case.model:
        return None
    return {"model": case.model, "owner_team_id": case.owner_team_id,
            "domain_team_id": case.domain_team_id}  # fmt: skip


def explain_routing(case: Case, events: Iterable[CaseEvent] | None = None) -> str:
    """`routing_of` in words, in the active language ("" when it was not routed)."""
    from .models_of_engagement import explain

    data = routing_of(case, events)
    if data is None:
        return ""
    teams = Team.objects.filter(organisation_id=case.organisation_id)
    names = dict(teams.values_list("id", "name"))
    return explain(data, lambda team_id: names.get(team_id) or f"#{team_id}")


def mentions_of(case: Case) -> QuerySet:
    from panal.listening.models import Mention

    return (
        Mention.objects.filter(case_link__case=case)
        .select_related("author", "account")
        .order_by("created_at", "id")
    )


@transaction.atomic
def attach(case: Case, mention, actor=None) -> None:
    """Add a mention to the case (a later message of the same conversation)."""
    CaseMention.objects.create(case=case, mention=mention, added_at=clock.now())
    record(case, Kind.MENTION, actor, mention=mention.pk)
    if case.status in (Status.RESOLVED, Status.PENDING):
        apply_status(case, Status.OPEN, actor)
    else:
        _touch(case)


@transaction.atomic
def merge(user, case: Case, into: Case) -> Case:
    """Move every mention, note and draft of `case` into `into`, and close `case`."""
    require_work(user, case)
    require_work(user, into)
    if case.pk == into.pk:
        raise CaseError(_("A case cannot be merged into itself."))
    if case.organisation_id != into.organisation_id:
        raise CaseError(_("Cases of different organisations cannot be merged."))
    if into.merged_into_id is not None:
        raise CaseError(_("The target case was itself merged into another."))
    moved = list(CaseMention.objects.filter(case=case).values_list("mention_id", flat=True))
    CaseMention.objects.filter(case=case).update(case=into)
    Note.objects.filter(case=case).update(case=into)
    case.drafts.update(case=into)
    into.tags = clean_tags([*into.tags, *case.tags])[:MAX_TAGS]
    _touch(into, "tags")
    record(into, Kind.MERGED, user, source=case.pk, mentions=moved)
    case.merged_into = into
    case.save(update_fields=["merged_into"])
    record(case, Kind.MERGED, user, into=into.pk, mentions=moved)
    apply_status(case, Status.CLOSED, user)
    return into


@transaction.atomic
def split(user, case: Case, mention_ids: Iterable[int]) -> Case:
    """Move some mentions of `case` to a new case of the same team; returns the new one."""
    require_work(user, case)
    ids = {int(i) for i in mention_ids}
    links = list(CaseMention.objects.filter(case=case, mention_id__in=ids))
    if not links:
        raise CaseError(_("Choose at least one mention of this case to split off."))
    if len(links) == CaseMention.objects.filter(case=case).count():
        raise CaseError(_("At least one mention must stay on the case."))
    now = clock.now()
    first = min(links, key=lambda link: link.mention_id).mention
    new = Case.objects.create(
        organisation_id=case.organisation_id, subject=subject_of(first), status=Status.OPEN,
        priority=case.priority, priority_rank=case.priority_rank, intent=case.intent,
        actions=case.actions, tags=list(case.tags), lang=first.lang or case.lang,
        channel=first.channel, account_id=first.account_id, contact_id=first.author_id,
        first_mention=first, model=case.model, owner_team_id=case.owner_team_id,
        domain_team_id=case.domain_team_id, visible_to_all=case.visible_to_all,
        visible_team_ids=case.visible_team_ids, answer_all=case.answer_all,
        answer_team_ids=case.answer_team_ids, shared=case.shared,
        route_reason=case.route_reason, opened_at=now, updated_at=now,
        first_response_due=case.first_response_due, resolution_due=case.resolution_due,
    )  # fmt: skip
    CaseAccess.objects.bulk_create([CaseAccess(case=new, team_id=t) for t in case.visible_team_ids])
    CaseMention.objects.filter(pk__in=[link.pk for link in links]).update(case=new)
    record(new, Kind.SPLIT, user, source=case.pk, mentions=sorted(ids))
    record(case, Kind.SPLIT, user, into=new.pk, mentions=sorted(ids))
    _touch(case)
    return new


def subject_of(mention) -> str:
    text = " ".join((mention.title or mention.text or "").split())
    return text[:120] + ("…" if len(text) > 120 else "")
