"""Playbooks: what to do with a mention, by its intent (docs/engagement.md#playbooks).

A playbook says, for one intent, which department should do the domain work, the action
words the rest of engagement acts on, whether a case opens and its default priority.
`DEFAULT_PLAYBOOKS` follows the seeds (PRODUCT.md section 5); an organisation overrides any
of them with a plain dict (`Playbooks.from_dict`, the shape a JSONField stores), validated
so that a typo is refused with its name instead of silently routing mentions nowhere.

Two playbooks are not intents: `crisis` (crisis words or a surge, decided elsewhere and
given as `Facts.is_crisis`) overrides everything, and `none` applies when a mention has no
intent at all.

Choosing among several intents (`Playbooks.choose`): a mention may have several ("a
complaint about billing that threatens a lawsuit"). The playbook with the lowest `rank`
wins - the defaults rank the intents owned by one specialist department (legal, billing,
technical support, PR, sales, HR, product) before the general ones (complaint, question,
competitor, praise) and spam last - ties go to the intent listed first (most probable).
The chosen playbook keeps its department and actions, but takes the highest priority of
all the mention's playbooks, and opens a case if any of them would.

Pure: no database, no I/O, no Django settings; `choose` runs for every mention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from panal.org.choices import Department

# Kept equal to panal.understanding.intent.LABELS (a test checks); not imported from there
# because that module loads the classifier engine (numpy), and this one must stay light.
INTENTS = (
    "praise", "complaint", "question", "purchase_intent", "technical_support", "billing",
    "media_opportunity", "product_idea", "competitor", "recruiting_hr", "legal_risk", "spam",
)  # fmt: skip
CRISIS = "crisis"  # not an intent: crisis words or a surge (Facts.is_crisis)
NO_INTENT = "none"  # the mention has no intent (panal.understanding.intent.NONE)
KEYS = (*INTENTS, CRISIS, NO_INTENT)

# The action words the rest of engagement (rules, cases, CRM) acts on.
ACTIONS = (
    "thank",
    "apologise_and_open_case",
    "answer_and_connect_sales",
    "route_to_billing",
    "hand_to_pr",
    "create_lead",
    "send_to_product",
    "legal_review",
    "crisis_escalation",
    "open_case",  # technical support: a case for the front line, no apology implied
    "route_to_department",  # hand to the playbook's department (HR, competitor watch)
)
# Same words as the urgency levels (panal.understanding.urgency.LEVELS), lowest first.
PRIORITIES = ("low", "normal", "high", "critical")
_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
DEPARTMENTS = tuple(Department.values)
FIELDS = ("department", "actions", "opens_case", "priority", "also", "escalate", "rank")


class PlaybookError(ValueError):
    """An override that cannot be used; the message names the offending key or value."""


@dataclass(frozen=True, slots=True)
class Playbook:
    """What to do with a mention of one intent.

    department: who should do the domain work (None: nobody in particular, e.g. spam).
    also: departments to connect as well (a question connects sales); they are notified.
    escalate: notify PR / community and the director at once (the crisis playbook).
    rank: lower wins when a mention has several intents.
    """

    intent: str
    department: str | None
    actions: tuple[str, ...] = ()
    opens_case: bool = False
    priority: str = "normal"
    also: tuple[str, ...] = ()
    escalate: bool = False
    rank: int = 100

    def to_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "actions": list(self.actions),
            "opens_case": self.opens_case,
            "priority": self.priority,
            "also": list(self.also),
            "escalate": self.escalate,
            "rank": self.rank,
        }


def _seed(intent: str, department: str | None, actions: tuple[str, ...], **kw: Any) -> Playbook:
    return Playbook(intent=intent, department=department, actions=actions, **kw)


DEFAULT_PLAYBOOKS: dict[str, Playbook] = {
    p.intent: p
    for p in (
        _seed(CRISIS, "pr", ("crisis_escalation",), opens_case=True, priority="critical",
              escalate=True, rank=0),
        _seed("legal_risk", "legal", ("legal_review",), opens_case=True, priority="high",
              rank=10),
        _seed("billing", "billing", ("route_to_billing",), opens_case=True, rank=20),
        _seed("technical_support", "customer_service", ("open_case",), opens_case=True,
              rank=30),
        _seed("media_opportunity", "pr", ("hand_to_pr",), opens_case=True, priority="high",
              rank=40),
        _seed("purchase_intent", "sales", ("create_lead",), opens_case=True, priority="high",
              rank=50),
        _seed("recruiting_hr", "hr", ("route_to_department",), priority="low", rank=60),
        _seed("product_idea", "product", ("send_to_product",), priority="low", rank=70),
        _seed("complaint", "customer_service", ("apologise_and_open_case",), opens_case=True,
              priority="high", rank=80),
        _seed("question", "customer_service", ("answer_and_connect_sales",), opens_case=True,
              also=("sales",), rank=90),
        _seed("competitor", "marketing", ("route_to_department",), priority="low", rank=100),
        _seed("praise", "marketing", ("thank",), priority="low", rank=110),
        _seed("spam", None, (), priority="low", rank=1000),
        _seed(NO_INTENT, None, (), rank=2000),
    )
}  # fmt: skip


def _fail(key: str, message: str) -> PlaybookError:
    return PlaybookError(f"playbook {key!r}: {message}")


def _department(key: str, value: Any) -> str:
    if not isinstance(value, str) or value not in DEPARTMENTS:
        raise _fail(key, f"unknown department {value!r}")
    return value


def _strings(key: str, field: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _fail(key, f"{field!r} must be a list, not {value!r}")
    return list(value)


def _parse(key: str, data: Any, base: Playbook) -> Playbook:
    if not isinstance(data, Mapping):
        raise _fail(key, f"must be a mapping of fields, not {data!r}")
    unknown = sorted(str(f) for f in data if f not in FIELDS)
    if unknown:
        raise _fail(key, f"unknown field {unknown[0]!r}")
    changes: dict[str, Any] = {}
    if "department" in data:
        department = data["department"]
        changes["department"] = None if department is None else _department(key, department)
    if "actions" in data:
        actions = _strings(key, "actions", data["actions"])
        for action in actions:
            if action not in ACTIONS:
                raise _fail(key, f"unknown action {action!r}")
        changes["actions"] = tuple(dict.fromkeys(actions))
    if "also" in data:
        also = _strings(key, "also", data["also"])
        changes["also"] = tuple(dict.fromkeys(_department(key, d) for d in also))
    if "priority" in data:
        if data["priority"] not in PRIORITIES:
            raise _fail(key, f"unknown priority {data['priority']!r}")
        changes["priority"] = data["priority"]
    for flag in ("opens_case", "escalate"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise _fail(key, f"{flag!r} must be true or false, not {data[flag]!r}")
            changes[flag] = data[flag]
    if "rank" in data:
        rank = data["rank"]
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise _fail(key, f"'rank' must be a whole number, not {rank!r}")
        changes["rank"] = rank
    return replace(base, **changes)


class Playbooks:
    """An organisation's playbooks: the defaults with its overrides applied."""

    __slots__ = ("_by_key",)

    def __init__(self, playbooks: Mapping[str, Playbook] | None = None) -> None:
        by_key = dict(DEFAULT_PLAYBOOKS)
        by_key.update(playbooks or {})
        self._by_key: dict[str, Playbook] = by_key

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Playbooks:
        """Overrides by intent key (any subset of fields); missing ones keep the defaults.

        `{"complaint": {"department": "crm_call_center", "priority": "critical"}}`.
        Raises PlaybookError naming the first unknown intent, department, action, priority
        or field, or a value of the wrong type.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise PlaybookError(f"playbooks must be a mapping by intent, not {data!r}")
        overrides: dict[str, Playbook] = {}
        for key in sorted(data, key=str):
            if key not in DEFAULT_PLAYBOOKS:
                raise PlaybookError(f"unknown intent {key!r}")
            overrides[key] = _parse(key, data[key], DEFAULT_PLAYBOOKS[key])
        return cls(overrides)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Every playbook, in `from_dict`'s shape (`from_dict(to_dict())` is the same)."""
        return {key: self._by_key[key].to_dict() for key in KEYS}

    def overrides(self) -> dict[str, dict[str, Any]]:
        """Only the playbooks that differ from the defaults (what an organisation stores)."""
        return {
            key: self._by_key[key].to_dict()
            for key in KEYS
            if self._by_key[key] != DEFAULT_PLAYBOOKS[key]
        }

    def __getitem__(self, key: str) -> Playbook:
        return self._by_key[key]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Playbooks) and self._by_key == other._by_key

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container: not hashable

    def choose(self, facts: Any) -> Playbook:
        """The playbook for a mention's facts (anything with `is_crisis` and `intents`).

        Crisis overrides everything; otherwise the lowest-ranked of the mention's known
        intents (ties: the first listed), raised to the highest priority among them and
        opening a case if any of them would; no known intent: the `none` playbook.
        """
        by_key = self._by_key
        if facts.is_crisis:
            return by_key[CRISIS]
        best: Playbook | None = None
        top = -1
        opens = False
        for intent in facts.intents:
            playbook = by_key.get(intent)
            if playbook is None or intent in (CRISIS, NO_INTENT):
                continue
            if best is None or playbook.rank < best.rank:
                best = playbook
            top = max(top, _PRIORITY_RANK[playbook.priority])
            opens = opens or playbook.opens_case
        if best is None:
            return by_key[NO_INTENT]
        if _PRIORITY_RANK[best.priority] == top and best.opens_case == opens:
            return best
        return replace(best, priority=PRIORITIES[top], opens_case=opens)


def choose(facts: Any, playbooks: Playbooks | None = None) -> Playbook:
    """`Playbooks.choose` with the organisation's playbooks, or the defaults."""
    return (playbooks or _DEFAULTS).choose(facts)


_DEFAULTS = Playbooks()
