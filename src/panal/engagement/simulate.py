"""Simulate: replay the last N days of mentions through a proposed engagement model, and
see each team's load and the SLA it would have met, before anyone switches
(docs/engagement.md#simulate).

Each mention of the window, with its understanding, becomes routing facts
(`routing.facts_of`, the same as live routing), the organisation's playbooks choose its
playbook and the model decides its owner team. Only mentions whose playbook opens a case
count as cases; a later message of a conversation whose earlier message opened a case
joins it (as routing does); the rest are "no case". Rules are not replayed: this is what
the model alone would do. The current model is replayed over the same mentions, so the
two can be read side by side.

The SLA: each team is a queue of first responses, worked in the organisation's business
hours by its active members, first come first served. A member answers `rate` cases per
business hour, so each case takes 1/rate hours of one member; a case waits until a member
is free. The rate comes from the team's history: the cases it first-responded in the last
`HISTORY_DAYS` days, per member and per hour in which it first-responded at least once
(what it did when it was working; an idle team's true speed is higher). With fewer than
`MIN_HISTORY` such cases the rate is `DEFAULT_RATE`. A team with no active member answers
nothing: its cases are "unserved" and miss the SLA. Waiting is business time (the clock
stops when closed), compared with the first-response target of the case's priority (the
playbook's) and channel. Median and p90 (nearest rank) are of business time too.

Mentions are streamed (`values_list(...).iterator()`) in time order and each case is
served as it arrives, so memory grows only with the number of cases' waiting times.
"""

from __future__ import annotations

import heapq
import math
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncHour

from panal.core import clock
from panal.listening.models import Mention
from panal.org.models import Membership, Organisation, Team

from .calendar import BusinessHours, CalendarError
from .cases import settings_for
from .diagnose import model_label
from .models import Case
from .models_of_engagement import (
    DEFAULT_MODEL,
    MODELS,
    EngagementModel,
    Facts,
    TeamInfo,
    Teams,
    UnknownModel,
)
from .playbooks import Playbook
from .routing import facts_of

MAX_DAYS = 365
DEFAULT_RATE = 6.0  # first responses per member and business hour, without history
HISTORY_DAYS = 90
MIN_HISTORY = 20
NO_TEAM = "(no team)"
CACHE_SIZE = 50_000  # decisions remembered per run


def check_model(name: str) -> EngagementModel:
    """The registered model called `name`, or UnknownModel naming the valid ones."""
    model = MODELS.get(name)
    if model is None:
        raise UnknownModel(
            f"unknown engagement model {name!r}; choose one of: {', '.join(sorted(MODELS))}"
        )
    return model


def check_days(days: int, limit: int = MAX_DAYS) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise ValueError(f"days must be a whole number from 1 to {limit}, not {days!r}")
    return days


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def p90(values: list[float]) -> float:
    """The 90th percentile by nearest rank (`values` sorted, not empty)."""
    return values[max(0, math.ceil(0.9 * len(values)) - 1)]


class _Figures:
    """Shares and durations as pages show them (percent, minutes)."""

    cases: int
    with_target: int
    met: int
    share: float
    median: timedelta | None
    p90: timedelta | None

    @property
    def met_share(self) -> float | None:
        return None if not self.with_target else self.met / self.with_target

    @property
    def met_percent(self) -> int | None:
        share = self.met_share
        return None if share is None else round(share * 100)

    @property
    def share_percent(self) -> int:
        return round(self.share * 100)

    @property
    def median_minutes(self) -> float | None:
        return _minutes(self.median)

    @property
    def p90_minutes(self) -> float | None:
        return _minutes(self.p90)


@dataclass
class TeamLoad(_Figures):
    """One team's share of the simulated cases and how fast it would have answered."""

    team_id: int | None
    name: str
    slug: str = ""
    department: str = ""
    is_hub: bool = False
    members: int = 0
    rate: float = DEFAULT_RATE  # cases per member and business hour
    rate_source: str = "default"  # history / default
    cases: int = 0
    per_day: float = 0.0
    share: float = 0.0
    with_target: int = 0  # cases whose priority has a first-response target
    met: int = 0
    unserved: int = 0  # nobody in the team to answer
    median: timedelta | None = None
    p90: timedelta | None = None
    waits: list[float] = field(default_factory=list, repr=False)  # seconds, while running

    def as_dict(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "name": self.name,
            "slug": self.slug,
            "department": self.department,
            "is_hub": self.is_hub,
            "members": self.members,
            "rate": round(self.rate, 2),
            "rate_source": self.rate_source,
            "cases": self.cases,
            "per_day": round(self.per_day, 2),
            "share": round(self.share, 4),
            "with_target": self.with_target,
            "met": self.met,
            "met_share": None if self.met_share is None else round(self.met_share, 4),
            "unserved": self.unserved,
            "median_minutes": self.median_minutes,
            "p90_minutes": self.p90_minutes,
        }


@dataclass
class Run(_Figures):
    """One model replayed over the window (its totals over every team)."""

    model: str
    label: str
    teams: list[TeamLoad]
    cases: int = 0
    per_day: float = 0.0
    share: float = 1.0
    with_target: int = 0
    met: int = 0
    unserved: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None

    def team(self, team_id: int | None) -> TeamLoad | None:
        return next((t for t in self.teams if t.team_id == team_id), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "label": self.label,
            "cases": self.cases,
            "per_day": round(self.per_day, 2),
            "with_target": self.with_target,
            "met": self.met,
            "met_share": None if self.met_share is None else round(self.met_share, 4),
            "unserved": self.unserved,
            "median_minutes": self.median_minutes,
            "p90_minutes": self.p90_minutes,
            "teams": [t.as_dict() for t in self.teams],
        }


@dataclass
class Simulation:
    """The proposed and the current model over the same mentions."""

    organisation_id: int
    days: int
    since: datetime
    until: datetime
    proposed: Run
    current: Run
    mentions: int = 0
    cases: int = 0
    joined: int = 0  # later messages of a conversation that already has a case
    no_case: int = 0  # their playbook opens no case
    not_understood: int = 0  # no understanding yet (counted in no_case)
    problems: list[str] = field(default_factory=list)

    @property
    def same_model(self) -> bool:
        return self.proposed.model == self.current.model

    @property
    def totals(self) -> tuple[Run, Run]:
        return (self.proposed, self.current)

    def rows(self) -> list[tuple[TeamLoad | None, TeamLoad | None]]:
        """(proposed, current) per team, every team with a case in either run."""
        keys = [t.team_id for t in self.proposed.teams]
        keys += [t.team_id for t in self.current.teams if t.team_id not in keys]
        return [(self.proposed.team(k), self.current.team(k)) for k in keys]

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation_id,
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "mentions": self.mentions,
            "cases": self.cases,
            "joined": self.joined,
            "no_case": self.no_case,
            "not_understood": self.not_understood,
            "assumptions": {
                "default_rate": DEFAULT_RATE,
                "history_days": HISTORY_DAYS,
                "min_history": MIN_HISTORY,
            },
            "problems": list(self.problems),
            "proposed": self.proposed.as_dict(),
            "current": self.current.as_dict(),
        }


class _Axis:
    """Business time since the window's start, for any instant (bisect over open spans)."""

    def __init__(self, hours: BusinessHours, since: datetime, until: datetime) -> None:
        spans = hours.open_spans(since, until)
        self.starts = [start for start, _end in spans]
        self.spans = spans
        self.before: list[float] = []
        total = 0.0
        for start, end in spans:
            self.before.append(total)
            total += (end - start).total_seconds()

    def at(self, instant: datetime) -> float:
        i = bisect_right(self.starts, instant) - 1
        if i < 0:
            return 0.0
        start, end = self.spans[i]
        return self.before[i] + (min(instant, end) - start).total_seconds()


class _Queues:
    """One model's teams as queues: members free at some business second."""

    def __init__(self, model: EngagementModel, teams: dict[int, TeamLoad]) -> None:
        self.model = model
        self.loads: dict[int | None, TeamLoad] = {}
        self.free: dict[int | None, list[float]] = {}
        self.template = teams
        self.owners: dict[tuple[Facts, Playbook], int | None] = {}

    def owner(self, facts: Facts, teams: Teams, playbook: Playbook) -> int | None:
        """The model's owner team (decisions are pure, so the same facts decide once)."""
        key = (facts, playbook)
        if key not in self.owners:
            if len(self.owners) >= CACHE_SIZE:
                self.owners.clear()
            self.owners[key] = self.model.decide(facts, teams, playbook).owner_team_id
        return self.owners[key]

    def load(self, team_id: int | None) -> TeamLoad:
        load = self.loads.get(team_id)
        if load is None:
            base = self.template.get(team_id) if team_id is not None else None
            load = (
                TeamLoad(team_id=None, name=NO_TEAM, members=0)
                if base is None
                else TeamLoad(
                    team_id=base.team_id,
                    name=base.name,
                    slug=base.slug,
                    department=base.department,
                    is_hub=base.is_hub,
                    members=base.members,
                    rate=base.rate,
                    rate_source=base.rate_source,
                )
            )
            self.loads[team_id] = load
            self.free[team_id] = [0.0] * load.members
        return load

    def serve(self, team_id: int | None, arrival: float | None, target: float | None) -> None:
        """One case arriving at business second `arrival` (None: never open)."""
        load = self.load(team_id)
        load.cases += 1
        if target is not None:
            load.with_target += 1
        free = self.free[team_id]
        if not free or load.rate <= 0 or arrival is None:
            load.unserved += 1
            return
        start = max(arrival, heapq.heappop(free))
        finish = start + 3600.0 / load.rate
        heapq.heappush(free, finish)
        wait = finish - arrival
        load.waits.append(wait)
        if target is not None and wait <= target:
            load.met += 1

    def finish(self, name: str, days: int, total: int) -> Run:
        run = Run(model=name, label=model_label(name), teams=[])
        everyone: list[float] = []
        for load in self.loads.values():
            load.per_day = load.cases / days
            load.share = load.cases / total if total else 0.0
            waits = sorted(load.waits)
            if waits:
                load.median = timedelta(seconds=statistics.median(waits))
                load.p90 = timedelta(seconds=p90(waits))
            everyone.extend(waits)
            load.waits = []
            run.cases += load.cases
            run.with_target += load.with_target
            run.met += load.met
            run.unserved += load.unserved
            run.teams.append(load)
        run.per_day = run.cases / days
        run.teams.sort(key=lambda t: (-t.cases, t.slug or "~", t.team_id or 0))
        everyone.sort()
        if everyone:
            run.median = timedelta(seconds=statistics.median(everyone))
            run.p90 = timedelta(seconds=p90(everyone))
        return run


def team_capacity(
    organisation: Organisation, until: datetime, rows: list[Team] | None = None
) -> dict[int, TeamLoad]:
    """Each team's active members and answering rate (history, else the default)."""
    if rows is None:
        rows = list(Team.objects.filter(organisation=organisation))
    members = dict(
        Membership.objects.filter(organisation=organisation, is_active=True, team__isnull=False)
        .values("team_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("team_id", "n")
    )
    responses: dict[int, int] = {}
    hours: dict[int, int] = {}
    history = (
        Case.objects.filter(
            organisation=organisation,
            owner_team__isnull=False,
            first_response_at__gte=until - timedelta(days=HISTORY_DAYS),
            first_response_at__lt=until,
        )
        .annotate(hour=TruncHour("first_response_at"))
        .values("owner_team_id", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in history:
        team_id = row["owner_team_id"]
        responses[team_id] = responses.get(team_id, 0) + row["n"]
        hours[team_id] = hours.get(team_id, 0) + 1
    loads = {}
    for team in rows:
        n = members.get(team.pk, 0)
        load = TeamLoad(
            team_id=team.pk, name=team.name, slug=team.slug, department=team.department,
            is_hub=team.is_hub, members=n,
        )  # fmt: skip
        if n and responses.get(team.pk, 0) >= MIN_HISTORY:
            load.rate = responses[team.pk] / (n * hours[team.pk])
            load.rate_source = "history"
        loads[team.pk] = load
    return loads


def simulate(
    organisation: Organisation, model_name: str, *, days: int = 7, now: datetime | None = None
) -> Simulation:
    """Replay the last `days` days of mentions through `model_name` and the current model."""
    proposed = check_model(model_name)
    check_days(days)
    current_name = (
        organisation.engagement_model if organisation.engagement_model in MODELS else DEFAULT_MODEL
    )
    until = now or clock.now()
    since = until - timedelta(days=days)
    settings = settings_for(organisation)
    problems = list(settings.problems)
    team_rows = list(Team.objects.filter(organisation=organisation))
    capacity = team_capacity(organisation, until, team_rows)
    teams = Teams(
        [TeamInfo.of(t) for t in team_rows], director_team_id=settings.config.director_team_id
    )
    axis = None
    if settings.hours.never_open:
        problems.append("the business hours are never open, so no case is ever answered")
    else:
        axis = _Axis(settings.hours, since, until)
    runs = [_Queues(proposed, capacity)]
    if current_name != model_name:
        runs.append(_Queues(MODELS[current_name], capacity))
    targets: dict[tuple[str, str], float | None] = {}

    def target_for(priority: str, channel: str) -> float | None:
        key = (priority, channel)
        if key not in targets:
            try:
                first, _resolution = settings.sla.targets_for(priority, channel)
                targets[key] = first.total_seconds()
            except CalendarError:
                targets[key] = None
        return targets[key]

    result = Simulation(
        organisation_id=organisation.pk, days=days, since=since, until=until,
        proposed=Run(model_name, model_label(model_name), []),
        current=Run(current_name, model_label(current_name), []), problems=problems,
    )  # fmt: skip
    opened: set[int] = set()
    playbook_of: dict[Facts, Playbook] = {}  # the same facts recur: decide once
    rows = (
        Mention.objects.filter(
            organisation=organisation,
            created_at__gte=since,
            created_at__lt=until,
            deleted_at__isnull=True,
        )
        .order_by("created_at", "id")
        .values_list(
            "id",
            "thread_root_id",
            "parent_id",
            "brand_id",
            "lang",
            "channel",
            "visibility",
            "created_at",
            "understanding__mention_id",
            "understanding__intents",
            "understanding__sentiment",
            "understanding__urgency_level",
            "understanding__urgency_reasons",
            "understanding__lang",
        )
    )
    for (
        mention_id, root_id, parent_id, brand_id, lang, channel, visibility, created_at,
        understood, intents, sentiment, urgency_level, urgency_reasons, u_lang,
    ) in rows.iterator(chunk_size=2000):  # fmt: skip
        result.mentions += 1
        if (root_id is not None and root_id in opened) or (
            parent_id is not None and parent_id in opened
        ):
            result.joined += 1
            continue
        mention = SimpleNamespace(
            brand_id=brand_id, lang=lang, channel=channel, visibility=visibility
        )
        understanding = None
        if understood is None:
            result.not_understood += 1
        else:
            understanding = SimpleNamespace(
                intents=intents, sentiment=sentiment, urgency_level=urgency_level,
                urgency_reasons=urgency_reasons, lang=u_lang,
            )  # fmt: skip
        facts = facts_of(mention, understanding)
        playbook = playbook_of.get(facts)
        if playbook is None:
            if len(playbook_of) >= CACHE_SIZE:
                playbook_of.clear()
            playbook = playbook_of[facts] = settings.playbooks.choose(facts)
        if not playbook.opens_case:
            result.no_case += 1
            continue
        opened.add(mention_id)
        result.cases += 1
        arrival = None if axis is None else axis.at(created_at)
        target = target_for(playbook.priority, channel)
        for queues in runs:
            queues.serve(queues.owner(facts, teams, playbook), arrival, target)
    result.proposed = runs[0].finish(model_name, days, result.cases)
    result.current = (
        runs[1].finish(current_name, days, result.cases) if len(runs) > 1 else result.proposed
    )
    return result
