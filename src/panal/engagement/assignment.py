"""Who gets a new case: round robin, by load, or by skill and language
(docs/engagement.md#assignment).

A `Pool` holds one organisation's case workers in memory, loaded with a fixed number
of queries whatever the size of the organisation: the active members whose roles carry
`engagement.work_case`, their team, their agent profile (defaults when they have none)
and how many open cases each holds. The router asks `choose` and then `took` for every
case of a batch without touching the database, and writes the assignment times back
with `flush`.

Only available people under their capacity, in the case's team, are chosen. With no one
left the case stays in the team's queue (unassigned), as with the manual strategy.

When someone becomes unavailable (`set_available`), their open cases still in status
*new* (nobody has worked on them yet) go back to assignment; a case they have already
started (open, waiting on the customer) stays with them, since the conversation and its
context are theirs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.models import Membership, Organisation
from panal.org.roles import ROLE_PERMISSIONS

from . import cases
from .models import IS_OPEN, AgentProfile, Case, EngagementConfig

Strategy = EngagementConfig.Strategy
WORK_PERMISSION = "engagement.work_case"
# The roles whose group carries the permission to work cases (read from the single
# source of truth, so no permission query per person is needed).
WORKING_ROLES = frozenset(
    role for role, perms in ROLE_PERMISSIONS.items() if WORK_PERMISSION in perms
)
# Who takes cases automatically without a profile; other roles that work cases (area
# managers, directors) are assigned automatically only once they have a profile.
FRONT_LINE = frozenset({"agent", "crm_call_center", "community_manager"})
DEFAULT_CAPACITY = AgentProfile._meta.get_field("capacity").default
NEVER = datetime.min.replace(tzinfo=UTC)


def works_cases(roles: Iterable[str] | None) -> bool:
    return any(role in WORKING_ROLES for role in roles or ())


def language_of(code: str | None) -> str:
    """The primary language subtag: "es-MX" and "es_mx" are both "es"."""
    return (code or "").strip().lower().replace("_", "-").split("-", 1)[0]


def _strings(value) -> list[str]:
    """A profile's list of codes, whatever an administrator stored (a bare string, junk)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


@dataclass
class Agent:
    """One person who can work cases, as assignment sees them."""

    user_id: int
    team_id: int | None
    team_name: str
    available: bool
    capacity: int
    skills: frozenset[str]  # intents; empty: any intent
    languages: frozenset[str]  # primary subtags
    load: int  # open cases assigned to them (in any organisation)
    last_assigned_at: datetime | None
    has_profile: bool
    tick: int = 0  # order of assignments within this pool (ties of the same instant)

    @property
    def has_room(self) -> bool:
        return self.available and self.load < self.capacity

    def recency(self) -> tuple:
        """Sort key: the least recently assigned first."""
        return (self.last_assigned_at or NEVER, self.tick, self.user_id)

    def ratio(self) -> float:
        return self.load / self.capacity if self.capacity else float("inf")

    def handles(self, intent: str) -> bool:
        return not intent or not self.skills or intent.lower() in self.skills

    def speaks(self, lang: str) -> bool:
        return language_of(lang) in self.languages


def open_cases_of(user_ids: Iterable[int]) -> dict[int, int]:
    """Each person's load: the open cases assigned to them, in any organisation (one
    person's attention is shared by all the work they hold). Counted in the assignee
    queue index alone (assignee, is_open, …), without reading the cases: routing asks
    every batch, however many cases are open."""
    return dict(
        Case.objects.filter(IS_OPEN, assignee_id__any=sorted(set(user_ids)))
        .values("assignee_id")
        .annotate(n=Count("*"))
        .values_list("assignee_id", "n")
        .order_by()
    )


class Pool:
    """An organisation's case workers in memory, for many assignments in a row."""

    def __init__(self, organisation_id: int, agents: Iterable[Agent], strategy: str, now):
        self.organisation_id = organisation_id
        self.strategy = strategy
        self.now = now
        self.agents: dict[int, Agent] = {a.user_id: a for a in agents}
        self.by_team: dict[int, list[Agent]] = defaultdict(list)
        for agent in self.agents.values():
            if agent.team_id is not None:
                self.by_team[agent.team_id].append(agent)
        self._ticks = 0
        self._dirty: set[int] = set()

    @classmethod
    def for_org(cls, organisation_id: int, now=None, user_ids: Iterable[int] | None = None) -> Pool:
        """Load the pool in four queries (organisation, members, profiles, loads).

        `user_ids` narrows it to these people (one person's page, say).
        """
        now = now or clock.now()
        row = (
            Organisation.objects.filter(pk=organisation_id)
            .values_list("default_language", "engagement__assignment")
            .first()
        )
        if row is None:
            return cls(organisation_id, [], Strategy.MANUAL, now)
        default_language, strategy = row
        members = Membership.objects.filter(
            organisation_id=organisation_id, is_active=True, user__is_active=True
        )
        profiles = AgentProfile.objects.filter(organisation_id=organisation_id)
        if user_ids is not None:
            user_ids = list(user_ids)
            members = members.filter(user_id__in=user_ids)
            profiles = profiles.filter(user_id__in=user_ids)
        people = [
            member
            for member in members.values_list(
                "user_id", "team_id", "team__name", "roles", "language"
            )
            if works_cases(member[3])
        ]
        if not people:
            return cls(organisation_id, [], strategy or Strategy.SKILL, now)
        by_user = {p.user_id: p for p in profiles}
        load = open_cases_of({p[0] for p in people})
        agents = []
        for user_id, team_id, team_name, roles, language in people:
            profile = by_user.get(user_id)
            if profile is None and not FRONT_LINE.intersection(roles or ()):
                continue  # managers and directors take cases only once they opt in
            languages = _strings(profile.languages if profile else None) or [
                language or default_language or ""
            ]
            agents.append(
                Agent(
                    user_id=user_id,
                    team_id=team_id,
                    team_name=team_name or "",
                    available=profile.available if profile else True,
                    capacity=profile.capacity if profile else DEFAULT_CAPACITY,
                    skills=frozenset(
                        s.lower() for s in _strings(profile.skills if profile else None)
                    ),
                    languages=frozenset(language_of(x) for x in languages if x),
                    load=load.get(user_id, 0),
                    last_assigned_at=profile.last_assigned_at if profile else None,
                    has_profile=profile is not None,
                )
            )
        return cls(organisation_id, agents, strategy or Strategy.SKILL, now)

    def agent(self, user_id: int) -> Agent | None:
        return self.agents.get(user_id)

    def choose(
        self, team_id: int | None, *, intent: str = "", lang: str = "", strategy: str | None = None
    ) -> int | None:
        """The user id to give the next case of this team to, or None (the team's queue)."""
        strategy = strategy or self.strategy
        if strategy == Strategy.MANUAL or team_id is None:
            return None
        candidates = [a for a in self.by_team.get(team_id, ()) if a.has_room]
        if strategy == Strategy.SKILL:
            candidates = [a for a in candidates if a.handles(intent)]
            if lang:
                speakers = [a for a in candidates if a.speaks(lang)]
                candidates = speakers or candidates  # nobody speaks it: anyone skilled
        if not candidates:
            return None
        if strategy == Strategy.ROUND_ROBIN:
            return min(candidates, key=Agent.recency).user_id
        # load, and skill after its filters
        return min(candidates, key=lambda a: (a.ratio(), *a.recency())).user_id

    def took(self, user_id: int, now=None) -> None:
        """Count one more case for this person, assigned now (in memory only)."""
        agent = self.agents.get(user_id)
        if agent is None:
            return
        self._ticks += 1
        agent.load += 1
        agent.last_assigned_at = now or self.now
        agent.tick = self._ticks
        self._dirty.add(user_id)

    def flush(self) -> int:
        """Write the assignment times back (one upsert; a missing profile is created
        with the defaults). Returns how many people were written."""
        rows = [
            AgentProfile(
                organisation_id=self.organisation_id,
                user_id=user_id,
                last_assigned_at=self.agents[user_id].last_assigned_at,
            )
            for user_id in sorted(self._dirty)
        ]
        if rows:
            AgentProfile.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["organisation", "user"],
                update_fields=["last_assigned_at"],
            )
            for row in rows:
                self.agents[row.user_id].has_profile = True
        self._dirty.clear()
        return len(rows)


def _assign_from(pool: Pool, case: Case, actor=None) -> int | None:
    strategy = pool.strategy
    if strategy == Strategy.MANUAL or case.owner_team_id is None:
        return None
    # The case counts in its current holder's load: take it out while choosing.
    holder = pool.agent(case.assignee_id) if case.is_open and case.assignee_id else None
    if holder is not None:
        holder.load -= 1
    chosen = pool.choose(case.owner_team_id, intent=case.intent, lang=case.lang)
    if chosen is None or (holder is not None and chosen == holder.user_id):
        if holder is not None:
            holder.load += 1  # the case stays where it is
        return chosen
    pool.took(chosen)
    cases.apply_assignee(case, chosen, actor=actor, how=strategy)
    return chosen


@transaction.atomic
def auto_assign(case: Case, actor=None) -> int | None:
    """Assign one case by the organisation's strategy; None when it stays in its team's
    queue (manual strategy, no team, or nobody available with room)."""
    pool = Pool.for_org(case.organisation_id)
    chosen = _assign_from(pool, case, actor)
    pool.flush()
    return chosen


def _membership(user, organisation_id: int) -> Membership:
    membership = Membership.objects.filter(
        user=user, organisation_id=organisation_id, is_active=True
    ).first()
    if membership is None or not works_cases(membership.roles):
        raise PermissionDenied(_("Your role does not work cases in this organisation."))
    return membership


def agent_for(user, organisation: Organisation | int) -> Agent:
    """How assignment sees this person (their profile with defaults, and their load)."""
    org_id = getattr(organisation, "pk", organisation)
    _membership(user, org_id)
    agent = Pool.for_org(org_id, user_ids=[user.pk]).agent(user.pk)
    if agent is None:  # an inactive account
        raise PermissionDenied(_("Your role does not work cases in this organisation."))
    return agent


@transaction.atomic
def set_available(user, organisation: Organisation | int, available: bool) -> list[int]:
    """Mark the person available or not for new cases.

    Becoming unavailable sends their open cases still *new* (untouched) back to
    assignment: to someone else of the case's team, else to the team's queue. Cases they
    have started stay theirs. Returns the ids of the cases sent back.
    """
    org_id = getattr(organisation, "pk", organisation)
    _membership(user, org_id)
    profile, created = AgentProfile.objects.get_or_create(
        organisation_id=org_id, user=user, defaults={"available": bool(available)}
    )
    if not created and profile.available != bool(available):
        profile.available = bool(available)
        profile.save(update_fields=["available"])
    if available:
        return []
    untouched = list(
        Case.objects.filter(
            organisation_id=org_id, assignee=user, is_open=True, status=Case.Status.NEW
        ).order_by("priority_rank", "first_response_due", "id")
    )
    if not untouched:
        return []
    pool = Pool.for_org(org_id)
    for case in untouched:
        if _assign_from(pool, case, actor=user) is None:
            cases.apply_assignee(case, None, actor=user, how="unavailable")
    pool.flush()
    return [case.pk for case in untouched]
