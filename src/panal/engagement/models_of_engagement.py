"""Engagement models as code: who owns a mention, who sees it, who may answer it
(docs/engagement.md#engagement-models).

Each of the five models of PRODUCT.md section 4 is one small class with one method,
`decide(facts, teams, playbook) -> Decision`, registered in `MODELS` under its
`panal.org.choices.EngagementModel` value. The organisation stores only that value, so
changing the model changes routing from the next mention on, without a migration.

    decentralized           the playbook's department owns and answers; no triage.
    centralized             the central team (the hub, else customer service) owns and
                            answers everything; the domain department only sees.
    hub_and_spoke           the hub owns and triages; the domain department's team (the
                            spoke) may answer too; both see.
    multiple_hub_and_spoke  "dandelion": a central hub (a hub team without a brand) over
                            brand hubs (hub teams with a brand). A mention of brand B goes
                            to B's hub and B's spoke for the domain (a team of that
                            department with brand B, else one without a brand); no brand,
                            no hub for B, or a crisis: the central hub owns.
    honeycomb               the domain department owns; every team sees and may answer
                            (`Decision.shared`: the case needs collision detection).

Missing teams never crash; each model falls back in a documented order and the decision
says so twice: `fallbacks` (codes, below) and `reason` (plain English, for the audit and
the simulate report). Falling back to "any team" takes the first hub, else the first team
by slug. With no teams at all the owner is None and nobody may answer.

    no_department     the playbook names no department (spam, no intent)
    no_domain_team    no team of the playbook's department; the owner does the work
    other_brand_team  only another brand's team of that department exists (single-hub
                      models; the dandelion never crosses brands)
    no_hub            no hub team (hub and spoke, dandelion, centralized)
    no_central_hub    dandelion: no hub team without a brand
    no_brand_hub      dandelion: the mention's brand has no hub team
    no_customer_service  decentralized/honeycomb: no customer service team either
    no_teams          the organisation has no team

Crisis (`Facts.is_crisis`, or a playbook with `escalate`): PR / community and the
director's team are notified at once (`also_notify`), besides any team the playbook
connects (`Playbook.also`, e.g. sales for a question). Notified teams also see the mention.
The director's team is the one given to `Teams(director_team_id=...)`, else the central
hub, else any hub, else marketing.

Visibility here is about queues ("whose work this is"); everyone with read access still
reads listening results through their roles, which this layer does not decide. Likewise
approvals (agency staff, new staff) are checked when a reply is sent, not here.

Pure and deterministic: plain dataclasses, no database, no I/O; the order in which teams
are given does not matter (ties are broken by slug, then id). Build `Teams` once per
organisation and reuse it: a decision is then a few dictionary lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .playbooks import Playbook, Playbooks

CUSTOMER_SERVICE = "customer_service"
PR = "pr"
MARKETING = "marketing"


class _All:
    """Every team of the organisation (honeycomb's audience)."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"

    def __reduce__(self) -> str:
        return "ALL"


ALL = _All()
TeamIds = frozenset[int] | _All
_NOBODY: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """What routing needs to know of a team (panal.org.models.Team)."""

    id: int
    slug: str
    department: str
    brand_id: int | None = None
    is_hub: bool = False

    @classmethod
    def of(cls, team: Any) -> TeamInfo:
        """From a Team row (reads its fields; no query: `brand_id`, not `brand`)."""
        return cls(team.id, team.slug, team.department, team.brand_id, team.is_hub)


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known of a mention when it is routed (its understanding and where it is)."""

    intents: tuple[str, ...] = ()
    sentiment: str = "neutral"
    urgency_level: str = "normal"
    brand_id: int | None = None
    lang: str = ""
    channel: str = ""
    visibility: str = "public"
    is_crisis: bool = False  # crisis words or a surge, decided elsewhere


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a mention goes. Team ids; `ALL` means every team of the organisation."""

    model: str
    intent: str  # the playbook applied
    owner_team_id: int | None  # owns the case now
    domain_team_id: int | None  # should do the domain work (may be the owner)
    visible_to: TeamIds
    may_answer: TeamIds
    also_notify: frozenset[int]
    reason: str
    shared: bool = False  # several teams may answer at once: collision detection needed
    fallbacks: tuple[str, ...] = ()

    def can_see(self, team_id: int) -> bool:
        return team_id in self.visible_to

    def can_answer(self, team_id: int) -> bool:
        return team_id in self.may_answer

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (audit trail, simulate reports): sets as sorted lists or "all"."""

        def ids(value: TeamIds) -> list[int] | str:
            return "all" if value is ALL else sorted(value)  # type: ignore[arg-type]

        return {
            "model": self.model,
            "intent": self.intent,
            "owner_team_id": self.owner_team_id,
            "domain_team_id": self.domain_team_id,
            "visible_to": ids(self.visible_to),
            "may_answer": ids(self.may_answer),
            "also_notify": sorted(self.also_notify),
            "reason": self.reason,
            "shared": self.shared,
            "fallbacks": list(self.fallbacks),
        }


def _order(team: TeamInfo) -> tuple[str, int]:
    return (team.slug, team.id)


class Teams:
    """An organisation's teams, indexed once for routing (immutable)."""

    __slots__ = (
        "_brand_hubs",
        "_by_department",
        "_by_id",
        "all",
        "central_hub",
        "director_team",
        "hubs",
    )

    def __init__(self, teams: Iterable[TeamInfo], *, director_team_id: int | None = None):
        ordered = tuple(sorted(teams, key=_order))
        self.all: tuple[TeamInfo, ...] = ordered
        self._by_id = {t.id: t for t in ordered}
        by_department: dict[str, list[TeamInfo]] = {}
        for team in ordered:
            by_department.setdefault(team.department, []).append(team)
        self._by_department = {d: tuple(ts) for d, ts in by_department.items()}
        self.hubs = tuple(t for t in ordered if t.is_hub)
        brandless_hubs = [t for t in self.hubs if t.brand_id is None]
        self.central_hub: TeamInfo | None = brandless_hubs[0] if brandless_hubs else None
        brand_hubs: dict[int, TeamInfo] = {}
        for hub in self.hubs:
            if hub.brand_id is not None:
                brand_hubs.setdefault(hub.brand_id, hub)
        self._brand_hubs = brand_hubs
        director = self._by_id.get(director_team_id) if director_team_id is not None else None
        if director is None:
            director = self.central_hub or (self.hubs[0] if self.hubs else None)
        if director is None:
            director = self.department(MARKETING, None)
        self.director_team: TeamInfo | None = director

    @classmethod
    def of(cls, teams: Teams | Iterable[TeamInfo]) -> Teams:
        return teams if isinstance(teams, Teams) else cls(teams)

    def __len__(self) -> int:
        return len(self.all)

    def __iter__(self) -> Iterator[TeamInfo]:
        return iter(self.all)

    def get(self, team_id: int) -> TeamInfo | None:
        return self._by_id.get(team_id)

    def brand_hub(self, brand_id: int | None) -> TeamInfo | None:
        return None if brand_id is None else self._brand_hubs.get(brand_id)

    def department(
        self, department: str | None, brand_id: int | None, *, other_brands: bool = True
    ) -> TeamInfo | None:
        """The team of a department for a brand: the brand's own, else one without a brand,
        else (if `other_brands`) another brand's. Within each, a non-hub team first."""
        if department is None:
            return None
        candidates = self._by_department.get(department)
        if not candidates:
            return None
        best: dict[int, TeamInfo] = {}  # 0: the brand's own, 1: no brand, 2: another brand
        for team in candidates:
            slot = 1 if team.brand_id is None else (0 if team.brand_id == brand_id else 2)
            current = best.get(slot)
            if current is None or (current.is_hub and not team.is_hub):
                best[slot] = team
        for slot in (0, 1, 2) if other_brands else (0, 1):
            if slot in best:
                return best[slot]
        return None


@runtime_checkable
class EngagementModel(Protocol):
    """One engagement model: from a mention's facts, the teams and the chosen playbook,
    where the mention goes. Implementations are pure and must not raise on missing teams."""

    name: str
    label: str

    def decide(
        self, facts: Facts, teams: Teams | Iterable[TeamInfo], playbook: Playbook
    ) -> Decision: ...


# --- shared steps ------------------------------------------------------------------------


@dataclass(slots=True)
class _Notes:
    """Fallback codes and the reason's clauses, collected while deciding."""

    fallbacks: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)

    def fell_back(self, code: str, clause: str) -> None:
        self.fallbacks.append(code)
        self.clauses.append(clause)


def _name(team: TeamInfo) -> str:
    return f"the {_department_label(team.department)} team ({team.slug})"


def _slug(team: TeamInfo) -> str:
    return f"({team.slug})"


def _department_label(department: str) -> str:
    return department.replace("_", " ")


def _is_crisis(facts: Facts, playbook: Playbook) -> bool:
    return facts.is_crisis or playbook.escalate


def _domain(
    teams: Teams,
    playbook: Playbook,
    brand_id: int | None,
    notes: _Notes,
    *,
    other_brands: bool = True,
) -> TeamInfo | None:
    """The team for the playbook's department, noting why there is none."""
    if playbook.department is None:
        notes.fallbacks.append("no_department")
        return None
    team = teams.department(playbook.department, brand_id, other_brands=False)
    if team is None and other_brands:
        team = teams.department(playbook.department, brand_id)
        if team is not None:
            notes.fell_back(
                "other_brand_team",
                f"only another brand's {_department_label(playbook.department)} team exists",
            )
            return team
    if team is None:
        notes.fallbacks.append("no_domain_team")
    return team


def _front_line(teams: Teams, brand_id: int | None, notes: _Notes) -> TeamInfo:
    """Customer service, else any team (the first hub, else the first by slug): who owns
    what no department claims (`teams` is not empty)."""
    team = teams.department(CUSTOMER_SERVICE, brand_id)
    if team is not None:
        return team
    team = teams.hubs[0] if teams.hubs else teams.all[0]
    notes.fell_back(
        "no_customer_service", f"no customer service team: {_name(team)} stands in as front line"
    )
    return team


def _notify(
    teams: Teams,
    facts: Facts,
    playbook: Playbook,
    owner: TeamInfo | None,
    brand_id: int | None,
    *,
    other_brands: bool = True,
) -> frozenset[int]:
    ids: set[int] = set()
    for department in playbook.also:
        team = teams.department(department, brand_id, other_brands=other_brands)
        if team is not None:
            ids.add(team.id)
    if _is_crisis(facts, playbook):
        pr = teams.department(PR, brand_id, other_brands=other_brands)
        if pr is not None:
            ids.add(pr.id)
        if teams.director_team is not None:
            ids.add(teams.director_team.id)
    if owner is not None:
        ids.discard(owner.id)
    return frozenset(ids)


def _ids(*teams: TeamInfo | None) -> frozenset[int]:
    return frozenset(t.id for t in teams if t is not None)


def _reason(label: str, first: str, notes: _Notes, facts: Facts, playbook: Playbook) -> str:
    parts = [first, *notes.clauses]
    if _is_crisis(facts, playbook):
        parts.append("crisis: PR / community and the director's team are notified at once")
    return f"{label}: " + "; ".join(parts)


def _nobody(model: str, playbook: Playbook) -> Decision:
    return Decision(
        model=model,
        intent=playbook.intent,
        owner_team_id=None,
        domain_team_id=None,
        visible_to=_NOBODY,
        may_answer=_NOBODY,
        also_notify=_NOBODY,
        reason=f"{model.replace('_', ' ')}: the organisation has no team; nobody owns it",
        fallbacks=("no_teams",),
    )


def _domain_clause(playbook: Playbook, domain: TeamInfo | None, owner: TeamInfo) -> str:
    """What happened to the domain work when the owner does it."""
    if playbook.department is None:
        return f"the {playbook.intent} playbook names no department, so {_name(owner)} owns it"
    return (
        f"no {_department_label(playbook.department)} team, so {_name(owner)} owns it"
        if domain is None
        else f"{_name(owner)} owns it"
    )


# --- the five models -----------------------------------------------------------------------


class Decentralized:
    """Each department handles what concerns it; no central triage."""

    name = "decentralized"
    label = "decentralized"

    def decide(
        self, facts: Facts, teams: Teams | Iterable[TeamInfo], playbook: Playbook
    ) -> Decision:
        teams = Teams.of(teams)
        if not teams.all:
            return _nobody(self.name, playbook)
        notes = _Notes()
        brand = facts.brand_id
        domain = _domain(teams, playbook, brand, notes)
        owner = domain or _front_line(teams, brand, notes)
        first = _domain_clause(playbook, domain, owner)
        notify = _notify(teams, facts, playbook, owner, brand)
        return Decision(
            model=self.name,
            intent=playbook.intent,
            owner_team_id=owner.id,
            domain_team_id=owner.id,
            visible_to=_ids(owner) | notify,
            may_answer=_ids(owner),
            also_notify=notify,
            reason=_reason(self.label, first + " and answers; no triage", notes, facts, playbook),
            fallbacks=tuple(notes.fallbacks),
        )


def _central(teams: Teams, brand_id: int | None, notes: _Notes) -> TeamInfo:
    """The central team: the hub without a brand, else the mention's brand hub, else the
    first hub, else customer service, else any team (`teams` is not empty)."""
    if teams.central_hub is not None:
        return teams.central_hub
    if teams.hubs:
        hub = teams.brand_hub(brand_id) or teams.hubs[0]
        notes.fell_back(
            "no_central_hub", f"no hub without a brand: the hub {_slug(hub)} stands in for it"
        )
        return hub
    notes.fallbacks.append("no_hub")
    team = teams.department(CUSTOMER_SERVICE, brand_id)
    if team is not None:
        notes.clauses.append(f"no hub team: {_name(team)} stands in for it")
        return team
    notes.fallbacks.append("no_customer_service")
    team = teams.all[0]
    notes.clauses.append(f"no hub or customer service team: {_name(team)} stands in")
    return team


class Centralized:
    """One central team triages and answers everything; departments only see."""

    name = "centralized"
    label = "centralized"

    def decide(
        self, facts: Facts, teams: Teams | Iterable[TeamInfo], playbook: Playbook
    ) -> Decision:
        teams = Teams.of(teams)
        if not teams.all:
            return _nobody(self.name, playbook)
        notes = _Notes()
        brand = facts.brand_id
        central = _central(teams, brand, notes)
        domain = _domain(teams, playbook, brand, notes) or central
        if domain is central:
            first = f"the central team {_slug(central)} owns, answers and does the work"
        else:
            first = (
                f"the central team {_slug(central)} owns and answers; {_name(domain)} only sees it"
            )
        notify = _notify(teams, facts, playbook, central, brand)
        return Decision(
            model=self.name,
            intent=playbook.intent,
            owner_team_id=central.id,
            domain_team_id=domain.id,
            visible_to=_ids(central, domain) | notify,
            may_answer=_ids(central),
            also_notify=notify,
            reason=_reason(self.label, first, notes, facts, playbook),
            fallbacks=tuple(notes.fallbacks),
        )


class HubAndSpoke:
    """The hub triages and hands domain work to the spoke of that department."""

    name = "hub_and_spoke"
    label = "hub and spoke"

    def decide(
        self, facts: Facts, teams: Teams | Iterable[TeamInfo], playbook: Playbook
    ) -> Decision:
        teams = Teams.of(teams)
        if not teams.all:
            return _nobody(self.name, playbook)
        notes = _Notes()
        brand = facts.brand_id
        hub = _central(teams, brand, notes)
        spoke = _domain(teams, playbook, brand, notes)
        if spoke is None:
            if playbook.department is None:
                first = f"the hub {_slug(hub)} triages and handles it (no domain department)"
            else:
                first = (
                    f"the hub {_slug(hub)} triages; no "
                    f"{_department_label(playbook.department)} team, so the hub does the work"
                )
            spoke = hub
        elif spoke is hub:
            first = f"the hub {_slug(hub)} triages and is itself the team for this intent"
        else:
            first = f"the hub {_slug(hub)} triages; {_name(spoke)} is the spoke for this intent"
        notify = _notify(teams, facts, playbook, hub, brand)
        return Decision(
            model=self.name,
            intent=playbook.intent,
            owner_team_id=hub.id,
            domain_team_id=spoke.id,
            visible_to=_ids(hub, spoke) | notify,
            may_answer=_ids(hub, spoke),
            also_notify=notify,
            reason=_reason(self.label, first, notes, facts, playbook),
            fallbacks=tuple(notes.fallbacks),
        )


class MultipleHubAndSpoke:
    """Dandelion: a central hub over brand hubs, each with its own spokes."""

    name = "multiple_hub_and_spoke"
    label = "dandelion"

    def decide(
        self, facts: Facts, teams: Teams | Iterable[TeamInfo], playbook: Playbook
    ) -> Decision:
        teams = Teams.of(teams)
        if not teams.all:
            return _nobody(self.name, playbook)
        notes = _Notes()
        brand = facts.brand_id
        crisis = _is_crisis(facts, playbook)
        central = _central(teams, None, notes)
        brand_hub = teams.brand_hub(brand)
        if crisis:
            owner = central
            first = f"crisis, so the central hub {_slug(central)} owns it"
        elif brand is None:
            owner = central
            first = f"no brand, so the central hub {_slug(central)} owns it"
        elif brand_hub is None:
            owner = central
            notes.fallbacks.append("no_brand_hub")
            first = f"brand {brand} has no hub, so the central hub {_slug(central)} owns it"
        else:
            owner = brand_hub
            first = f"the hub of brand {brand} {_slug(brand_hub)} owns it"
        spoke = _domain(teams, playbook, brand, notes, other_brands=False)
        if spoke is None:
            spoke = owner
            if playbook.department is not None:
                first += (
                    f"; no {_department_label(playbook.department)} team for this brand, "
                    "so the owner does the work"
                )
        elif spoke is not owner:
            first += f"; {_name(spoke)} is the spoke for this intent"
        notify = _notify(teams, facts, playbook, owner, brand, other_brands=False)
        if crisis and brand_hub is not None and brand_hub is not owner:
            notify |= {brand_hub.id}
        return Decision(
            model=self.name,
            intent=playbook.intent,
            owner_team_id=owner.id,
            domain_team_id=spoke.id,
            visible_to=_ids(central, owner, spoke) | notify,
            may_answer=_ids(owner, spoke),
            also_notify=notify,
            reason=_reason(self.label, first, notes, facts, playbook),
            fallbacks=tuple(notes.fallbacks),
        )


class Honeycomb:
    """Every department may answer; everyone sees who is answering."""

    name = "honeycomb"
    label = "honeycomb"

    def decide(
        self, facts: Facts, teams: Teams | Iterable[TeamInfo], playbook: Playbook
    ) -> Decision:
        teams = Teams.of(teams)
        if not teams.all:
            return _nobody(self.name, playbook)
        notes = _Notes()
        brand = facts.brand_id
        domain = _domain(teams, playbook, brand, notes)
        owner = domain or _front_line(teams, brand, notes)
        first = _domain_clause(playbook, domain, owner)
        first += "; every team sees it and may answer (collision detection on)"
        notify = _notify(teams, facts, playbook, owner, brand)
        return Decision(
            model=self.name,
            intent=playbook.intent,
            owner_team_id=owner.id,
            domain_team_id=owner.id,
            visible_to=ALL,
            may_answer=ALL,
            also_notify=notify,
            reason=_reason(self.label, first, notes, facts, playbook),
            shared=True,
            fallbacks=tuple(notes.fallbacks),
        )


# --- in the reader's language ----------------------------------------------------------------

# The first sentence of an explanation, by model: (the owner also does the work, a
# different team does the domain work). `%(owner)s` and `%(domain)s` are team names.
_OWNS = {
    "decentralized": (
        gettext_lazy("%(owner)s owns it and answers; there is no triage."),
        gettext_lazy("%(owner)s owns it and answers; there is no triage."),
    ),
    "centralized": (
        gettext_lazy("The central team, %(owner)s, owns it, answers and does the work."),
        gettext_lazy("The central team, %(owner)s, owns it and answers; %(domain)s only sees it."),
    ),
    "hub_and_spoke": (
        gettext_lazy("The hub, %(owner)s, triages it and does the work."),
        gettext_lazy("The hub, %(owner)s, triages it; %(domain)s is the spoke for this intent."),
    ),
    "multiple_hub_and_spoke": (
        gettext_lazy("%(owner)s owns it and does the work."),
        gettext_lazy("%(owner)s owns it; %(domain)s is the spoke for this intent."),
    ),
    "honeycomb": (
        gettext_lazy(
            "%(owner)s owns it; every team sees it and may answer (collision detection on)."
        ),
        gettext_lazy(
            "%(owner)s owns it; every team sees it and may answer (collision detection on)."
        ),
    ),
}
_OWNS_ANY = gettext_lazy("%(owner)s owns it.")  # a model registered by a plugin
_FALLBACKS = {
    "no_department": gettext_lazy("The playbook names no department."),
    "no_domain_team": gettext_lazy("The playbook's department has no team."),
    "other_brand_team": gettext_lazy("Only another brand's team of that department exists."),
    "no_hub": gettext_lazy("There is no hub team."),
    "no_central_hub": gettext_lazy("There is no hub without a brand."),
    "no_brand_hub": gettext_lazy("The mention's brand has no hub team."),
    "no_customer_service": gettext_lazy("There is no customer service team."),
}


def explain(data: Mapping[str, Any], team_name: Callable[[int], str]) -> str:
    """A routing decision in words, in the active language, from what `Decision.as_dict`
    stored (the routed event of a case's history: codes and team ids, so it reads in
    each reader's language, where `reason` is the audit's English). `data["owner_team"]`,
    when present, is the team that owned the case once the rules had run."""
    owner = data.get("owner_team_id")
    if owner is None:
        return _("The organisation has no team, so nobody owns it.")
    domain = data.get("domain_team_id")
    names = {"owner": team_name(owner), "domain": team_name(domain if domain else owner)}
    same, different = _OWNS.get(str(data.get("model") or ""), (_OWNS_ANY, _OWNS_ANY))
    parts = [str(same if domain in (None, owner) else different) % names]
    parts += [str(_FALLBACKS[code]) for code in data.get("fallbacks") or () if code in _FALLBACKS]
    final = data.get("owner_team")
    if final is not None and final != owner:
        parts.append(_("A rule gave it to %(team)s.") % {"team": team_name(final)})
    told = [team_name(t) for t in data.get("also_notify") or () if isinstance(t, int)]
    if told:
        parts.append(_("Told at once: %(teams)s.") % {"teams": ", ".join(told)})
    return " ".join(parts)


# --- the registry ----------------------------------------------------------------------------

MODELS: dict[str, EngagementModel] = {}
DEFAULT_MODEL = "hub_and_spoke"  # PRODUCT.md section 4: the recommended default


class UnknownModel(LookupError):
    """No engagement model is registered under this name."""


def register(model: EngagementModel, *, replace: bool = False) -> EngagementModel:
    """Add a model under its `name` (built-ins use this too); refuses a taken name."""
    if model.name in MODELS and not replace:
        raise ValueError(f"engagement model {model.name!r} is already registered")
    MODELS[model.name] = model
    return model


_DEFAULT_PLAYBOOKS = Playbooks()

for _model in (Decentralized(), Centralized(), HubAndSpoke(), MultipleHubAndSpoke(), Honeycomb()):
    register(_model)


def for_organisation(model_name: str) -> EngagementModel:
    """The model an organisation has chosen (`Organisation.engagement_model`)."""
    try:
        return MODELS[model_name]
    except KeyError:
        raise UnknownModel(f"unknown engagement model {model_name!r}") from None


def route(
    model_name: str,
    facts: Facts,
    teams: Teams | Iterable[TeamInfo],
    playbooks: Playbooks | None = None,
) -> Decision:
    """Choose the playbook for the facts and let the organisation's model decide."""
    playbook = (playbooks or _DEFAULT_PLAYBOOKS).choose(facts)
    return for_organisation(model_name).decide(facts, teams, playbook)
