"""Diagnose: which engagement model an organisation actually practises, read from its
cases (docs/engagement.md#diagnose).

The configured model (`Organisation.engagement_model`) says where mentions are routed;
the case histories say who then did the work. `diagnose` measures, over the cases opened
in the last N days, who handled each case first (the first assignment, move or reply by
a person), who answered (the replier's team), how many teams answered each case and how
cases moved between teams, and compares those signals with a fingerprint of each of the
five models.

Only cases that can tell the models apart are measured: cases whose domain team (the
playbook's department, `Case.domain_team`) is not a hub and that a person handled. A
complaint for customer service, when customer service is the hub, looks the same under
every model, so it is counted but not measured.

The signals, each a share between 0 and 1 of the measured cases (or of their replies):

    hub_first       first handled by a member of a hub team
    domain_first    first handled by a member of the case's own department (not a hub)
    hub_replies     replies written by hub members
    domain_replies  replies written by the case's own department
    other_replies   replies written by any other department
    multi_team      answered cases answered by two or more teams
    handoffs        cases a hub handed to a department: a move from a hub team to
                    another team, or a hub member assigning it to someone outside the hubs
    brand_hub       cases first handled or answered by a brand hub (a hub with a brand)

Team is the person's team in the organisation today (`Membership.team`); a person
without a team counts as "another department".

The rule: each model expects some signals at 0 or 1 (`FINGERPRINTS`); its score is one
minus the mean distance between what it expects and what was measured, over the signals
it expects that could be measured (no replies at all: the reply signals are left out);
`brand_hub` weighs twice, as what sets the dandelion apart from a single hub.
The dandelion needs brand hubs: without any brand hub team its score is 0. The best
score wins (a tie goes to the configured model, then to the order of `MODELS`). The
confidence is the winner's score times its lead over the runner-up, full from a lead of
0.25: `fit * min(1, lead / 0.25)`; high from 0.6, medium from 0.3, else low.

With fewer than `MIN_CASES` measured cases there is no verdict, and the diagnosis says
so. Six queries whatever the number of cases; events are streamed, replies grouped by
case and person in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.choices import EngagementModel
from panal.org.models import Membership, Organisation, Team

from .models import Case, CaseEvent
from .models_of_engagement import MODELS

Kind = CaseEvent.Kind
MIN_CASES = 20
MAX_DAYS = 365
FULL_LEAD = 0.25  # a lead over the runner-up this large gives full confidence
SIGNALS = (
    "hub_first",
    "domain_first",
    "hub_replies",
    "domain_replies",
    "other_replies",
    "multi_team",
    "handoffs",
    "brand_hub",
)
# A brand hub at work is what sets the dandelion apart from one hub: it counts twice.
WEIGHTS = {"brand_hub": 2.0}
# What each model expects of the measured cases; a signal not named may take any value.
FINGERPRINTS: dict[str, dict[str, float]] = {
    # The central team handles and answers everything; departments only see.
    "centralized": {
        "hub_first": 1, "domain_first": 0, "hub_replies": 1, "domain_replies": 0,
        "other_replies": 0, "multi_team": 0, "handoffs": 0, "brand_hub": 0,
    },
    # Each department handles and answers its own cases; no hub, one team per case.
    "decentralized": {
        "hub_first": 0, "domain_first": 1, "hub_replies": 0, "domain_replies": 1,
        "other_replies": 0, "multi_team": 0, "handoffs": 0, "brand_hub": 0,
    },
    # The hub triages and hands domain work to the spoke, which answers.
    "hub_and_spoke": {
        "hub_first": 1, "domain_first": 0, "hub_replies": 0, "domain_replies": 1,
        "other_replies": 0, "handoffs": 1, "brand_hub": 0,
    },
    # Brand hubs triage their brand's cases (under a central hub).
    "multiple_hub_and_spoke": {
        "hub_first": 1, "domain_first": 0, "other_replies": 0, "brand_hub": 1,
    },
    # No triage; several departments answer the same cases.
    "honeycomb": {"hub_first": 0, "multi_team": 1, "handoffs": 0, "brand_hub": 0},
}  # fmt: skip


def model_label(name: str) -> str:
    """The model's name as people read it (translated)."""
    try:
        return str(EngagementModel(name).label)
    except ValueError:
        return name.replace("_", " ")


@dataclass
class Diagnosis:
    """What the cases say about the model practised; `model` is None without a verdict."""

    organisation_id: int
    days: int
    since: datetime
    until: datetime
    configured: str
    total_cases: int = 0
    measured: int = 0  # cases that tell the models apart and that a person handled
    hub_own: int = 0  # cases whose domain team is a hub (the same under every model)
    no_domain: int = 0  # cases without a domain team
    unhandled: int = 0  # cases no person has assigned, moved or answered yet
    signals: dict[str, float | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    brand_hubs: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    model: str | None = None
    fit: float = 0.0
    lead: float = 0.0
    confidence: float = 0.0
    level: str = "none"  # high / medium / low; none without a verdict
    sentences: list[str] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.model is not None

    @property
    def matches(self) -> bool | None:
        """Whether the practised model is the configured one (None without a verdict)."""
        return None if self.model is None else self.model == self.configured

    @property
    def ranking(self) -> list[tuple[str, float]]:
        """The models by score, best first."""
        return sorted(self.scores.items(), key=lambda item: -item[1])

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation_id,
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "configured": self.configured,
            "model": self.model,
            "matches": self.matches,
            "fit": self.fit,
            "lead": self.lead,
            "confidence": self.confidence,
            "level": self.level,
            "cases": {
                "total": self.total_cases,
                "measured": self.measured,
                "hub_own": self.hub_own,
                "no_domain": self.no_domain,
                "unhandled": self.unhandled,
            },
            "signals": dict(self.signals),
            "counts": dict(self.counts),
            "brand_hubs": list(self.brand_hubs),
            "scores": dict(self.scores),
            "evidence": list(self.sentences),
        }


@dataclass(slots=True)
class _Trace:
    """One measured case while its events are read."""

    first: tuple[datetime, int, int] | None = None  # (at, 0 routing / 1 reply, actor)
    answering: set = field(default_factory=set)  # team ids; ("user", id) without a team
    handoff: bool = False


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def score(signals: dict[str, float | None], fingerprint: dict[str, float]) -> float:
    """One minus the weighted mean distance to the fingerprint, over the signals measured."""
    gap = weight = 0.0
    for name, expected in fingerprint.items():
        value = signals.get(name)
        if value is not None:
            w = WEIGHTS.get(name, 1.0)
            gap += w * abs(value - expected)
            weight += w
    return 0.0 if not weight else round(1 - gap / weight, 3)


def diagnose(
    organisation: Organisation, *, days: int = 90, now: datetime | None = None
) -> Diagnosis:
    """Which model the organisation's cases of the last `days` days look like."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    until = now or clock.now()
    since = until - timedelta(days=days)
    result = Diagnosis(
        organisation_id=organisation.pk, days=days, since=since, until=until,
        configured=organisation.engagement_model,
    )  # fmt: skip
    teams = {
        row["id"]: row
        for row in Team.objects.filter(organisation=organisation).values(
            "id", "name", "department", "is_hub", "brand_id"
        )
    }
    brand_hub_ids = {t["id"] for t in teams.values() if t["is_hub"] and t["brand_id"] is not None}
    result.brand_hubs = sorted(teams[i]["name"] for i in brand_hub_ids)
    team_of = dict(
        Membership.objects.filter(organisation=organisation).values_list("user_id", "team_id")
    )
    period = Case.objects.filter(
        organisation=organisation, opened_at__gte=since, opened_at__lt=until,
        merged_into__isnull=True,
    )  # fmt: skip
    totals = period.aggregate(
        total=Count("id"),
        hub_own=Count("id", filter=Q(domain_team__is_hub=True)),
        no_domain=Count("id", filter=Q(domain_team__isnull=True)),
    )
    result.total_cases = totals["total"]
    result.hub_own, result.no_domain = totals["hub_own"], totals["no_domain"]
    measured_cases = period.filter(domain_team__is_hub=False)
    domain_of: dict[int, int] = dict(
        measured_cases.values_list("id", "domain_team_id").order_by().iterator(chunk_size=5000)
    )
    events = CaseEvent.objects.filter(
        case__organisation=organisation, case__opened_at__gte=since, case__opened_at__lt=until,
        case__merged_into__isnull=True, case__domain_team__is_hub=False,
    )  # fmt: skip
    traces: dict[int, _Trace] = {}
    counts = dict.fromkeys(
        ("replies", "hub_replies", "domain_replies", "other_replies", "moves", "hub_to_spoke",
         "spoke_to_hub", "between_spokes", "hub_assigned_to_spoke", "answered", "multi_team",
         "handoffs", "brand_hub", "hub_first", "domain_first", "other_first"),
        0,
    )  # fmt: skip

    def is_hub(team_id: int | None) -> bool:
        return team_id in teams and teams[team_id]["is_hub"]

    def side(team_id: int | None, case_id: int) -> str:
        """hub, domain (the case's own department) or other."""
        if is_hub(team_id):
            return "hub"
        team, domain = teams.get(team_id), teams.get(domain_of.get(case_id))
        if team is not None and domain is not None and team["department"] == domain["department"]:
            return "domain"
        return "other"

    routing = events.filter(kind__in=[Kind.ASSIGNED, Kind.TEAM]).order_by("case_id", "at", "id")
    for case_id, kind, actor_id, at, data in routing.values_list(
        "case_id", "kind", "actor_id", "at", "data"
    ).iterator(chunk_size=5000):
        trace = traces.setdefault(case_id, _Trace())
        if actor_id is not None and trace.first is None:
            trace.first = (at, 0, actor_id)
        data = data if isinstance(data, dict) else {}
        if kind == Kind.TEAM:
            before, after = _int(data.get("before")), _int(data.get("after"))
            if after not in teams:
                continue
            counts["moves"] += 1
            if is_hub(before) and not is_hub(after):
                counts["hub_to_spoke"] += 1
                trace.handoff = True
            elif before in teams and not is_hub(before) and is_hub(after):
                counts["spoke_to_hub"] += 1
            elif before in teams and not is_hub(before):
                counts["between_spokes"] += 1
        elif actor_id is not None and is_hub(team_of.get(actor_id)):
            assignee_team = team_of.get(_int(data.get("after")))
            if assignee_team in teams and not is_hub(assignee_team):
                counts["hub_assigned_to_spoke"] += 1
                trace.handoff = True

    replies = (
        events.filter(kind=Kind.REPLY, actor__isnull=False)
        .values("case_id", "actor_id")
        .annotate(n=Count("id"), first=Min("at"))
        .order_by()
    )
    for row in replies.iterator(chunk_size=5000):
        case_id, actor_id = row["case_id"], row["actor_id"]
        trace = traces.setdefault(case_id, _Trace())
        if trace.first is None or (row["first"], 1) < trace.first[:2]:
            trace.first = (row["first"], 1, actor_id)
        team_id = team_of.get(actor_id)
        counts["replies"] += row["n"]
        counts[f"{side(team_id, case_id)}_replies"] += row["n"]
        trace.answering.add(team_id if team_id in teams else ("user", actor_id))

    for case_id in domain_of:
        trace = traces.get(case_id)
        if trace is None or trace.first is None:
            result.unhandled += 1
            continue
        result.measured += 1
        first_team = team_of.get(trace.first[2])
        counts[f"{side(first_team, case_id)}_first"] += 1
        if trace.answering:
            counts["answered"] += 1
            counts["multi_team"] += len(trace.answering) >= 2
        counts["handoffs"] += trace.handoff
        if first_team in brand_hub_ids or brand_hub_ids.intersection(trace.answering):
            counts["brand_hub"] += 1
    result.counts = counts
    measured, replies_n = result.measured, counts["replies"]
    result.signals = {
        "hub_first": _share(counts["hub_first"], measured),
        "domain_first": _share(counts["domain_first"], measured),
        "hub_replies": _share(counts["hub_replies"], replies_n),
        "domain_replies": _share(counts["domain_replies"], replies_n),
        "other_replies": _share(counts["other_replies"], replies_n),
        "multi_team": _share(counts["multi_team"], counts["answered"]),
        "handoffs": _share(counts["handoffs"], measured),
        "brand_hub": _share(counts["brand_hub"], measured),
    }
    result.sentences = _evidence(result)
    if measured < MIN_CASES:
        result.sentences.append(_too_little(result))
        return result
    result.scores = {
        name: (0.0 if name == "multiple_hub_and_spoke" and not brand_hub_ids else score(
            result.signals, FINGERPRINTS[name]
        ))
        for name in _order(MODELS, result.configured)
        if name in FINGERPRINTS
    }  # fmt: skip
    ranking = result.ranking  # stable: ties keep the configured model first
    best, fit = ranking[0]
    lead = fit - (ranking[1][1] if len(ranking) > 1 else 0.0)
    result.model, result.fit, result.lead = best, fit, round(lead, 3)
    result.confidence = round(fit * min(1.0, lead / FULL_LEAD), 2)
    result.level = (
        "high" if result.confidence >= 0.6 else "medium" if result.confidence >= 0.3 else "low"
    )
    result.sentences.append(_verdict(result))
    return result


def _order(models: Iterable[str], configured: str) -> list[str]:
    names = list(models)
    return [configured, *(n for n in names if n != configured)] if configured in names else names


def _evidence(d: Diagnosis) -> list[str]:
    c, s = d.counts, d.signals
    lines = [
        _(
            "%(total)d cases were opened in the last %(days)d days; %(measured)d of them "
            "belong to a department other than a hub and were handled by a person, so they "
            "show how the work is shared (%(hub_own)d were the hub's own work, %(no_domain)d "
            "had no department's team, %(unhandled)d were not handled by anyone yet)."
        )
        % {
            "total": d.total_cases,
            "days": d.days,
            "measured": d.measured,
            "hub_own": d.hub_own,
            "no_domain": d.no_domain,
            "unhandled": d.unhandled,
        }
    ]
    if not d.measured:
        return lines
    lines.append(
        _(
            "The first person to handle a case was in a hub team in %(hub)s of them, in the "
            "case's own department in %(domain)s, and elsewhere in %(other)s."
        )
        % {
            "hub": _pct(s["hub_first"]),
            "domain": _pct(s["domain_first"]),
            "other": _pct(_share(c["other_first"], d.measured)),
        }
    )
    if c["replies"]:
        lines.append(
            _(
                "Of %(n)d replies, %(hub)s came from hub teams, %(domain)s from the case's own "
                "department and %(other)s from other departments; %(multi)s of the answered "
                "cases were answered by two or more teams."
            )
            % {
                "n": c["replies"],
                "hub": _pct(s["hub_replies"]),
                "domain": _pct(s["domain_replies"]),
                "other": _pct(s["other_replies"]),
                "multi": _pct(s["multi_team"]),
            }
        )
    else:
        lines.append(_("Nobody has replied on these cases yet."))
    lines.append(
        _(
            "A hub handed %(handoffs)s of the cases to a department (%(moves)d moves from a "
            "hub to another team, %(assigned)d assignments by hub members to people outside "
            "the hubs); %(back)d moves went back to a hub and %(between)d between departments."
        )
        % {
            "handoffs": _pct(s["handoffs"]),
            "moves": c["hub_to_spoke"],
            "assigned": c["hub_assigned_to_spoke"],
            "back": c["spoke_to_hub"],
            "between": c["between_spokes"],
        }
    )
    if d.brand_hubs:
        lines.append(
            _("Brand hubs (%(names)s) handled or answered %(share)s of the cases.")
            % {"names": ", ".join(d.brand_hubs), "share": _pct(s["brand_hub"])}
        )
    else:
        lines.append(_("No team is a brand hub, so the cases cannot follow the dandelion."))
    return lines


def _too_little(d: Diagnosis) -> str:
    return _(
        "Too little data for a verdict: %(measured)d cases show how the work is shared, and "
        "at least %(min)d are needed. Try a longer period, or come back when more cases "
        "have been handled."
    ) % {"measured": d.measured, "min": MIN_CASES}


def _verdict(d: Diagnosis) -> str:
    values = {
        "model": model_label(d.model or ""), "fit": f"{d.fit:.2f}",
        "level": {"high": _("high"), "medium": _("medium"), "low": _("low")}[d.level],
        "configured": model_label(d.configured),
    }  # fmt: skip
    if d.matches:
        return (
            _(
                "The cases look most like %(model)s (fit %(fit)s, %(level)s confidence), "
                "which is the model configured."
            )
            % values
        )
    return (
        _(
            "The cases look most like %(model)s (fit %(fit)s, %(level)s confidence), but the "
            "organisation is configured for %(configured)s."
        )
        % values
    )
