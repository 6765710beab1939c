"""The rules engine: conditions on a mention, its case and its contact → actions
(docs/engagement.md#rules).

A rule is written one line at a time and stored as JSON. Conditions, one a line, must all
hold (a blank line or one starting with `#` is skipped)::

    intent = complaint                 → {"field": "intent", "op": "=", "value": "complaint"}
    sentiment in negative, neutral     → {"field": "sentiment", "op": "in", "value": [...]}
    author.followers >= 10k            → {"field": "author.followers", "op": ">=", "value": 10000}
    text contains "reembolso"          → {"field": "text", "op": "contains", "value": "reembolso"}
    case.tags has vip                  → {"field": "case.tags", "op": "has", "value": "vip"}
    author.verified is true            → {"field": "author.verified", "op": "is", "value": true}
    case.priority is set               → {"field": "case.priority", "op": "is set", "value": null}

A rule may also hold a query of the listening language (`panal.listening.query`), which
must match too. Actions, one a line::

    assign team:billing user:maria     → {"type": "assign", "team": "billing", "user": "maria"}
    tag vip, refund                    → {"type": "tag", "tags": ["vip", "refund"]}
    priority high                      → {"type": "priority", "value": "high"}
    notify team:pr | notify user:ana   → {"type": "notify", "team": "pr"} / {"user": "ana"}
    auto_reply template:thanks         → {"type": "auto_reply", "template": "thanks"}
    escalate | open_case | create_lead | hand_to_crm   → {"type": "escalate"} …

Fields (each has a type, and the type says which operators it takes):

    field              type    what
    channel            choice  the mention's channel (x, reddit, email, rss, …)
    kind               choice  post, comment, reply, direct_message, review, …
    visibility         choice  public, private, unlisted
    lang               text    language code (es, en, …; es-MX counts as es)
    text               text    the mention's text (contains: accent- and case-blind)
    title              text    its title (articles, reviews, e-mail subjects)
    country            text    two-letter country code, where the network tells it
    rating             number  a review's stars, 1 to 5
    brand              choice  the brand's slug (this organisation's brands)
    author.handle      text    the author's handle, without @
    author.followers   number  followers, as the network delivered them
    author.verified    bool    the network's verified badge
    author.is_bot      bool    the network says it is a bot
    sentiment          choice  negative, neutral, positive
    sentiment_score    number  -1 (negative) to 1 (positive)
    intent             choice  the most probable intent
    intents            list    every intent found
    urgency            number  0 … 1
    urgency_level      choice  low, normal, high, critical
    playbook           choice  the playbook applied (an intent, crisis or none)
    department         choice  the playbook's department
    model              choice  the engagement model that routed it
    owner_team         choice  slug of the team that owns it now
    case.priority      choice  low, normal, high, critical
    case.status        choice  new, open, pending, resolved, closed
    case.tags          list    the case's tags
    case.is_new        bool    false when the mention joins an existing case
    case.assignee      choice  username of the person the case is assigned to
    contact.cases      number  how many earlier cases the author has had
    contact.followers  number  the author's followers, as last seen

    type    operators
    text    = != in "not in" contains "not contains" "is set" "is not set"
    choice  = != in "not in" "is set" "is not set"
    number  = != > >= < <= "is set" "is not set"
    bool    "is true" "is false" "is set" "is not set"
    list    has "has not" "has any" "has none" "is set" "is not set"

A value that is not known (no understanding yet, no case, followers not delivered) only
matches `is not set` and the negative operators (`!=`, `not in`, `not contains`, `has not`,
`has none`); it never matches `>`/`<` nor `is true` / `is false`.

Speed: `RuleSet.for_org` compiles an organisation's enabled rules into closures once;
`evaluate(ctx)` looks the candidates up by the mention's intent, playbook, channel and
language (a rule with `intent = x` or `channel in a, b` is skipped when it cannot match),
keeps the exact position order, and builds the query document only when a rule with a
query is reached.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from panal.core import clock
from panal.core.ids import new_ids
from panal.core.text import canonical_lang, fold
from panal.listening.choices import Channel, Kind, Visibility
from panal.listening.models import Mention
from panal.listening.query import Doc, Query, QueryError
from panal.org.choices import Department
from panal.org.models import Membership, Organisation, Team

from .cases import TAG_RE, CaseError, clean_tags, settings_for
from .models import Case, CaseMention, Priority, ReplyTemplate, Rule
from .models_of_engagement import (
    DEFAULT_MODEL,
    MODELS,
    Decision,
    EngagementModel,
    Facts,
    TeamInfo,
    Teams,
)
from .playbooks import CRISIS, INTENTS, KEYS, PRIORITIES, Playbook, Playbooks

MANAGE = "engagement.manage_rules"
VIEW = "engagement.view_case"
MAX_CONDITIONS = 30
MAX_ACTIONS = 20
MAX_LINE = 1000
MAX_VALUES = 100
MAX_QUERY = 4000
MAX_NAME = 200
EXAMPLES = 20

TEXT, NUMBER, BOOL, CHOICE, LIST = "text", "number", "bool", "choice", "list"
TYPE_OPS: dict[str, tuple[str, ...]] = {
    TEXT: ("=", "!=", "in", "not in", "contains", "not contains", "is set", "is not set"),
    CHOICE: ("=", "!=", "in", "not in", "is set", "is not set"),
    NUMBER: ("=", "!=", ">", ">=", "<", "<=", "is set", "is not set"),
    BOOL: ("is", "is set", "is not set"),
    LIST: ("has", "has not", "has any", "has none", "is set", "is not set"),
}
MANY = frozenset({"in", "not in", "has any", "has none"})  # take a list of values
UNARY = frozenset({"is set", "is not set"})
# How an operator is written → (stored operator, fixed value). Longest first when parsing.
_SPELLINGS: dict[str, tuple[str, Any]] = {
    "is not set": ("is not set", None),
    "is set": ("is set", None),
    "is true": ("is", True),
    "is false": ("is", False),
    "not contains": ("not contains", ...),
    "contains": ("contains", ...),
    "not in": ("not in", ...),
    "has none": ("has none", ...),
    "has any": ("has any", ...),
    "has not": ("has not", ...),
    "has": ("has", ...),
    "is not": ("!=", ...),  # "sentiment is not negative", as people say it
    "is": ("=", ...),
    "in": ("in", ...),
    ">=": (">=", ...),
    "<=": ("<=", ...),
    "!=": ("!=", ...),
    "<>": ("!=", ...),
    "==": ("=", ...),
    "=": ("=", ...),
    ">": (">", ...),
    "<": ("<", ...),
}
_OP_ORDER = sorted(_SPELLINGS, key=len, reverse=True)
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_SLUG_RE = re.compile(r"^[-\w]{1,100}$")
_USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
_NUMBER_RE = re.compile(r"^([+-]?(?:\d[\d_]*(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?)([km]?)$", re.I)
SENTIMENTS = ("negative", "neutral", "positive")
TEMPLATE = "template"


# --- problems ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a rule cannot be saved: which part, which line (1-based; 0: the whole part)."""

    part: str  # "name", "conditions", "query" or "actions"
    line: int
    message: str
    column: int = 0  # the query's column, when about the query

    def __str__(self) -> str:
        if self.line and self.column:
            return _("Line %(line)d, column %(column)d: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        if self.line:
            return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class RuleError(ValueError):
    """A rule that cannot be evaluated; `problems` says every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class RuleNotFound(LookupError):
    """No such rule in the user's organisation (the same answer for both)."""


def _q(value: Any) -> str:
    """A value quoted for a message (shortened)."""
    text = str(value)
    return f"“{text[:60]}{'…' if len(text) > 60 else ''}”"


# --- fields ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A field a condition may test. `choices`: fixed values; `names`: the organisation's
    names it is checked against (teams, brands, members); `low`/`high`: a number's range."""

    name: str
    type: str
    help: Any  # a lazy translation
    choices: tuple[str, ...] = ()
    names: str = ""  # "teams", "brands", "members" (OrgNames attribute)
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def ops(self) -> tuple[str, ...]:
        return TYPE_OPS[self.type]


def _fields() -> dict[str, Field]:
    intents = tuple(INTENTS)
    return {
        f.name: f
        for f in (
            Field("channel", CHOICE, gettext_lazy("the mention's channel"), tuple(Channel.values)),
            Field(
                "kind", CHOICE, gettext_lazy("post, comment, reply, review, …"), tuple(Kind.values)
            ),
            Field(
                "visibility",
                CHOICE,
                gettext_lazy("public, private, unlisted"),
                tuple(Visibility.values),
            ),
            Field("lang", TEXT, gettext_lazy("language code")),
            Field("text", TEXT, gettext_lazy("the mention's text")),
            Field("title", TEXT, gettext_lazy("the mention's title")),
            Field("country", TEXT, gettext_lazy("two-letter country code")),
            Field("rating", NUMBER, gettext_lazy("a review's stars"), low=1, high=5),
            Field("brand", CHOICE, gettext_lazy("the brand's slug"), names="brands"),
            Field("author.handle", TEXT, gettext_lazy("the author's handle")),
            Field(
                "author.followers",
                NUMBER,
                gettext_lazy("the author's followers"),
                low=0,
                integer=True,
            ),
            Field("author.verified", BOOL, gettext_lazy("the network's verified badge")),
            Field("author.is_bot", BOOL, gettext_lazy("the network says it is a bot")),
            Field("sentiment", CHOICE, gettext_lazy("negative, neutral, positive"), SENTIMENTS),
            Field("sentiment_score", NUMBER, gettext_lazy("-1 to 1"), low=-1, high=1),
            Field("intent", CHOICE, gettext_lazy("the most probable intent"), intents),
            Field("intents", LIST, gettext_lazy("every intent found"), intents),
            Field("urgency", NUMBER, gettext_lazy("0 … 1"), low=0, high=1),
            Field("urgency_level", CHOICE, gettext_lazy("low, normal, high, critical"), PRIORITIES),
            Field("playbook", CHOICE, gettext_lazy("the playbook applied"), tuple(KEYS)),
            Field(
                "department",
                CHOICE,
                gettext_lazy("the playbook's department"),
                tuple(Department.values),
            ),
            Field(
                "model", CHOICE, gettext_lazy("the engagement model"), ()
            ),  # MODELS, read when checked
            Field("owner_team", CHOICE, gettext_lazy("slug of the owning team"), names="teams"),
            Field(
                "case.priority", CHOICE, gettext_lazy("the case's priority"), tuple(Priority.values)
            ),
            Field(
                "case.status", CHOICE, gettext_lazy("the case's status"), tuple(Case.Status.values)
            ),
            Field("case.tags", LIST, gettext_lazy("the case's tags")),
            Field("case.is_new", BOOL, gettext_lazy("a new case, not one the mention joined")),
            Field(
                "case.assignee", CHOICE, gettext_lazy("username of the assignee"), names="members"
            ),
            Field(
                "contact.cases",
                NUMBER,
                gettext_lazy("earlier cases of the author"),
                low=0,
                integer=True,
            ),
            Field(
                "contact.followers",
                NUMBER,
                gettext_lazy("the author's followers"),
                low=0,
                integer=True,
            ),
        )
    }


FIELDS: dict[str, Field] = _fields()
# Fields whose equality or `in` condition indexes a rule, in order of preference.
INDEX_FIELDS = ("intent", "playbook", "channel", "lang")


def choices_of(f: Field) -> tuple[str, ...]:
    return tuple(MODELS) if f.name == "model" else f.choices


@dataclass(frozen=True, slots=True)
class OrgNames:
    """An organisation's names a rule may refer to, loaded once for a validation."""

    teams: frozenset[str] = frozenset()  # slugs in lower case
    team_slugs: Mapping[str, str] = field(default_factory=dict)  # lower case → as stored
    brands: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()  # every username with a membership, even past
    active: frozenset[str] = frozenset()  # active members: who may be assigned or notified
    team_of: Mapping[str, str | None] = field(default_factory=dict)  # username → team slug
    templates: frozenset[str] = frozenset()

    @classmethod
    def load(cls, organisation: Organisation | int) -> OrgNames:
        org_id = organisation if isinstance(organisation, int) else organisation.pk
        from panal.org.models import Brand

        members = list(
            Membership.objects.filter(organisation_id=org_id).values_list(
                "user__username", "is_active", "team__slug"
            )
        )
        slugs = list(Team.objects.filter(organisation_id=org_id).values_list("slug", flat=True))
        return cls(
            teams=frozenset(s.lower() for s in slugs),
            team_slugs={s.lower(): s for s in slugs},
            brands=frozenset(
                s.lower()
                for s in Brand.objects.filter(organisation_id=org_id).values_list("slug", flat=True)
            ),
            members=frozenset(u for u, _active, _team in members),
            active=frozenset(u for u, active, _team in members if active),
            team_of={u: (t.lower() if t else None) for u, _active, t in members},
            templates=frozenset(
                ReplyTemplate.objects.filter(organisation_id=org_id).values_list(
                    "shortcut", flat=True
                )
            ),
        )


# --- values: reading and writing a line's values -------------------------------------------


def _split_values(text: str) -> list[str]:
    """Comma-separated values; each may be "quoted" (with \\" and \\\\ inside) to hold
    commas, quotes or outer spaces. Raises ValueError with what is wrong."""
    values: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise ValueError(_("a quote is not closed"))
                c = text[i]
                if c == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    chars.append(text[i + 1])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    chars.append(c)
                    i += 1
            values.append("".join(chars))
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] != ",":
                raise ValueError(_("unexpected text after a closing quote: %s") % _q(text[i:]))
        else:
            j = text.find(",", i)
            raw = (text[i:] if j < 0 else text[i:j]).strip()
            if '"' in raw:
                raise ValueError(_("a quote inside a value: quote the whole value instead"))
            if not raw:
                raise ValueError(_("an empty value (two commas in a row, or one at the end?)"))
            values.append(raw)
            i = n if j < 0 else j
        if i >= n:
            return values
        i += 1  # the comma
        if len(values) >= MAX_VALUES:
            raise ValueError(_("at most %(n)d values") % {"n": MAX_VALUES})


def _quote(value: str, *, always: bool = False) -> str:
    """A value as written in a line: bare when that reads back the same, else quoted."""
    if (
        not always
        and value
        and value == value.strip()
        and not any(c in value for c in ',"\\\n\r')
        and value.lower() not in ("true", "false")
    ):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value)


def _parse_number(raw: str) -> float | int:
    match = _NUMBER_RE.match(raw.strip())
    try:
        number = float(match.group(1)) if match else math.nan
    except ValueError:  # "1__0", "1_"
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(_("%s is not a number") % _q(raw))
    number *= {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if not math.isfinite(number):
        raise ValueError(_("%s is not a number") % _q(raw))
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


# --- checking one condition (the parser and the compiler both use this) --------------------


def _normal(f: Field, raw: str) -> str:
    """A text or choice value as compared (and stored)."""
    value = raw.strip()
    if f.name == "lang":
        return canonical_lang(value)
    if f.name == "country":
        return value.upper()
    if f.name == "author.handle":
        return value.lstrip("@").lower()
    if f.name == "case.assignee":
        return value.lstrip("@")
    if f.name in ("text", "title"):
        return value
    return value.lower()


def _check_value(f: Field, raw: Any, names: OrgNames | None) -> Any:
    """One value of a condition, normalised; raises ValueError saying what is wrong."""
    if f.type == NUMBER:
        number = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        if number is None:
            if not isinstance(raw, str):
                raise ValueError(_("%s is not a number") % _q(raw))
            number = _parse_number(raw)
        if not math.isfinite(number):
            raise ValueError(_("%s is not a number") % _q(raw))
        if f.integer and not float(number).is_integer():
            raise ValueError(_("%(field)s takes a whole number") % {"field": f.name})
        if (f.low is not None and number < f.low) or (f.high is not None and number > f.high):
            if f.high is None:
                message = _("%(field)s cannot be below %(low)s")
            else:
                message = _("%(field)s goes from %(low)s to %(high)s; %(value)s is out of range")
            raise ValueError(
                message
                % {
                    "field": f.name,
                    "low": _number_text(f.low or 0),
                    "high": _number_text(f.high or 0),
                    "value": _number_text(number),
                }
            )
        return int(number) if float(number).is_integer() and abs(number) < 1e15 else number
    if not isinstance(raw, str):
        raise ValueError(_("%s is not a text") % _q(raw))
    if "\x00" in raw or "\n" in raw or "\r" in raw:
        raise ValueError(_("a value cannot hold a line break or a NUL character"))
    value = _normal(f, raw)
    if not value:
        if f.name == "lang":
            raise ValueError(_("%s is not a language code (es, en, pt-BR, …)") % _q(raw))
        raise ValueError(_("a value is needed"))
    if f.name == "country" and not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise ValueError(_("%s is not a two-letter country code (ES, MX, …)") % _q(raw))
    if f.name == "case.tags":
        value = " ".join(value.split())
        if not TAG_RE.match(value):
            raise ValueError(_("%s is not a valid tag") % _q(value))
    choices = choices_of(f)
    if choices and value not in choices:
        alternative = value.replace("-", "_").replace(" ", "_")
        if alternative in choices:
            return alternative
        hint = difflib.get_close_matches(value, choices, n=1)
        message = _("%(value)s is not a value of %(field)s; it takes one of: %(choices)s") % {
            "value": _q(value),
            "field": f.name,
            "choices": ", ".join(choices),
        }
        if hint:
            message += " " + _("(did you mean %s?)") % _q(hint[0])
        raise ValueError(message)
    if f.names and names is not None:
        known = getattr(names, f.names)
        if value not in known:
            messages = {
                "teams": _("no team with the slug %s in this organisation"),
                "brands": _("no brand with the slug %s in this organisation"),
                "members": _("nobody with the username %s in this organisation"),
            }
            raise ValueError(messages[f.names] % _q(value))
    return value


def check_condition(data: Any, names: OrgNames | None = None) -> dict[str, Any]:
    """A stored condition, checked and normalised; raises ValueError saying why not."""
    if not isinstance(data, Mapping) or set(data) - {"field", "op", "value"}:
        raise ValueError(_("a condition is an object with field, op and value"))
    name, op, value = data.get("field"), data.get("op"), data.get("value")
    f = FIELDS.get(name) if isinstance(name, str) else None
    if f is None:
        hint = difflib.get_close_matches(str(name), FIELDS, n=1)
        message = _("unknown field %s") % _q(name)
        if hint:
            message += " " + _("(did you mean %s?)") % _q(hint[0])
        raise ValueError(message)
    if op not in f.ops:
        raise ValueError(
            _("%(op)s cannot be used with %(field)s (a %(type)s field); use %(ops)s")
            % {
                "op": _q(op if op != "is" else "is true/false"),
                "field": f.name,
                "type": type_label(f.type),
                "ops": ", ".join(op_labels(f)),
            }
        )
    if op in UNARY:
        if value is not None:
            raise ValueError(_("%s takes no value") % _q(op))
        return {"field": f.name, "op": op, "value": None}
    if op == "is":
        if not isinstance(value, bool):
            raise ValueError(_("%(field)s is true or false") % {"field": f.name})
        return {"field": f.name, "op": op, "value": value}
    if op in MANY:
        if not isinstance(value, list) or not value:
            raise ValueError(_("%s takes one or more values, separated by commas") % _q(op))
        if len(value) > MAX_VALUES:
            raise ValueError(_("at most %(n)d values") % {"n": MAX_VALUES})
        checked = list(dict.fromkeys(_check_value(f, v, names) for v in value))
        return {"field": f.name, "op": op, "value": checked}
    if isinstance(value, list):
        raise ValueError(
            _("%(op)s takes one value; for several, use %(many)s")
            % {
                "op": _q(op),
                "many": _q("has any" if f.type == LIST else "in"),
            }
        )
    if value is None:
        raise ValueError(_("a value is needed after %s") % _q(op))
    return {"field": f.name, "op": op, "value": _check_value(f, value, names)}


def type_label(kind: str) -> str:
    return {
        TEXT: _("text"),
        NUMBER: _("number"),
        BOOL: _("yes/no"),
        CHOICE: _("choice"),
        LIST: _("list"),
    }[kind]


def op_labels(f: Field) -> list[str]:
    return [label for op in f.ops for label in (("is true", "is false") if op == "is" else (op,))]


# --- conditions: text ⇄ JSON --------------------------------------------------------------


def _lines(text: str) -> list[tuple[int, str]]:
    """(line number, stripped line) of each line that is not blank nor a # comment."""
    out = []
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def _read_condition(line: str) -> dict[str, Any]:
    """One condition line as stored (not checked yet); raises ValueError."""
    match = _FIELD_RE.match(line)
    if not match:
        raise ValueError(_("a condition starts with a field name, such as intent or channel"))
    name = match.group(0).lower()
    rest = line[match.end() :].lstrip()
    lowered = rest.lower()
    for spelling in _OP_ORDER:
        if not lowered.startswith(spelling):
            continue
        after = rest[len(spelling) :]
        if spelling[-1].isalpha() and after and not after[0].isspace():
            continue  # "intent isnt…", "channel inbox": not this operator
        op, fixed = _SPELLINGS[spelling]
        after = after.strip()
        f = FIELDS.get(name)
        if op == "=" and spelling == "is" and f is not None and f.type == BOOL:
            fixed = _bool_word(after, name)
            op, after = "is", ""
        if fixed is not ... and op in UNARY | {"is"}:
            if after:
                raise ValueError(_("%s takes no value") % _q(spelling))
            return {"field": name, "op": op, "value": fixed}
        if not after:
            raise ValueError(_("a value is needed after %s") % _q(spelling))
        many = op in MANY
        if f is not None and f.type == NUMBER and not many:
            return {"field": name, "op": op, "value": after}  # the checker reads "1.5k"
        values = _split_values(after)
        return {"field": name, "op": op, "value": values if many else _one(values, op, f)}
    if not rest:
        raise ValueError(_("an operator is needed after %s") % _q(name))
    raise ValueError(
        _("%(found)s is not an operator; write one of: %(ops)s")
        % {
            "found": _q(rest.split()[0]),
            "ops": "= != in, not in, contains, > >= < <=, has, "
            "has any, is true, is set, is not set",
        }
    )


def _bool_word(word: str, name: str) -> bool:
    lowered = word.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    raise ValueError(_("%(field)s is true or false") % {"field": name})


def _one(values: list[str], op: str, f: Field | None) -> str:
    if len(values) > 1:
        many = "has any" if f is not None and f.type == LIST else "in"
        raise ValueError(
            _(
                "%(op)s takes one value; for several, use %(many)s (or quote a value that "
                "holds a comma)"
            )
            % {"op": _q(op), "many": _q(many)}
        )
    return values[0]


def parse_conditions(text: str, names: OrgNames | None = None) -> list[dict[str, Any]]:
    """The conditions of a text, one a line, as stored. Raises RuleError naming the line
    and what is wrong with each bad line. `names`: also check the organisation's names."""
    conditions: list[dict[str, Any]] = []
    problems: list[Problem] = []
    lines = _lines(text)
    if len(lines) > MAX_CONDITIONS:
        problems.append(
            Problem(
                "conditions",
                lines[MAX_CONDITIONS][0],
                _("a rule takes at most %(n)d conditions") % {"n": MAX_CONDITIONS},
            )
        )
        lines = lines[:MAX_CONDITIONS]
    for number, line in lines:
        try:
            if len(line) > MAX_LINE:
                raise ValueError(_("a line takes at most %(n)d characters") % {"n": MAX_LINE})
            conditions.append(check_condition(_read_condition(line), names))
        except ValueError as exc:
            problems.append(Problem("conditions", number, str(exc)))
    if problems:
        raise RuleError(problems)
    return conditions


def format_condition(condition: Mapping[str, Any]) -> str:
    name, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    if op in UNARY:
        return f"{name} {op}"
    if op == "is":
        return f"{name} is {'true' if value else 'false'}"
    quoted = name in ("text", "title")  # words people search for read better in quotes
    if isinstance(value, list):
        written = ", ".join(_value_text(v, quoted) for v in value)
    else:
        written = _value_text(value, quoted)
    return f"{name} {op} {written}"


def _value_text(value: Any, quoted: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value)
    return _quote(str(value), always=quoted)


def format_conditions(conditions: Iterable[Mapping[str, Any]]) -> str:
    """The text form of stored conditions (`parse_conditions` reads it back the same)."""
    return "\n".join(format_condition(c) for c in conditions or ())


# --- actions: text ⇄ JSON --------------------------------------------------------------------

ACTION_TYPES = (
    "assign",
    "tag",
    "untag",
    "priority",
    "status",
    "escalate",
    "notify",
    "auto_reply",
    "open_case",
    "create_lead",
    "hand_to_crm",
)
_BARE = frozenset({"escalate", "open_case", "create_lead", "hand_to_crm"})
_ONCE = frozenset(  # at most one a rule
    {"assign", "tag", "untag", "priority", "status", "auto_reply", *_BARE}
)
# What a rule may set a case's status to (`new` is only where a case starts).
RULE_STATUSES = ("open", "pending", "resolved", "closed")


def _targets(words: list[str], allowed: tuple[str, ...], verb: str) -> dict[str, str]:
    """`team:x`, `user:y`, `template:z` words → {"team": "x", …}."""
    out: dict[str, str] = {}
    for word in words:
        kind, sep, value = word.partition(":")
        kind = kind.lower()
        if not sep or kind not in allowed or not value:
            raise ValueError(
                _("%(verb)s takes %(what)s, not %(word)s")
                % {
                    "verb": _q(verb),
                    "what": " / ".join(f"{a}:…" for a in allowed),
                    "word": _q(word),
                }
            )
        if kind in out:
            raise ValueError(_("%(verb)s names %(kind)s twice") % {"verb": _q(verb), "kind": kind})
        out[kind] = value
    return out


def _read_action(line: str) -> dict[str, Any]:
    verb, _sep, rest = line.partition(" ")
    kind = verb.lower().replace("-", "_")
    rest = rest.strip()
    if kind not in ACTION_TYPES:
        hint = difflib.get_close_matches(kind, ACTION_TYPES, n=1)
        message = _("unknown action %(verb)s; the actions are: %(all)s") % {
            "verb": _q(verb),
            "all": ", ".join(ACTION_TYPES),
        }
        if hint:
            message += " " + _("(did you mean %s?)") % _q(hint[0])
        raise ValueError(message)
    if kind in _BARE:
        if rest:
            raise ValueError(_("%s takes nothing after it") % _q(kind))
        return {"type": kind}
    if not rest:
        needs = {
            "assign": "team:… / user:…",
            "tag": _("one or more tags"),
            "untag": _("one or more tags"),
            "priority": " / ".join(PRIORITIES),
            "status": " / ".join(RULE_STATUSES),
            "notify": "team:… / user:…",
            "auto_reply": "template:…",
        }[kind]
        raise ValueError(_("%(verb)s needs %(what)s") % {"verb": _q(kind), "what": needs})
    if kind in ("tag", "untag"):
        return {"type": kind, "tags": _split_values(rest)}
    if kind in ("priority", "status"):
        return {"type": kind, "value": rest.lower()}
    words = rest.split()
    if kind == "assign":
        return {"type": kind, **_targets(words, ("team", "user"), kind)}
    if kind == "notify":
        targets = _targets(words, ("team", "user"), kind)
        if len(targets) > 1:
            raise ValueError(_("notify one team or one person a line"))
        return {"type": kind, **targets}
    return {"type": kind, **_targets(words, (TEMPLATE,), kind)}


def check_action(data: Any, names: OrgNames | None = None) -> dict[str, Any]:
    """A stored action, checked and normalised; raises ValueError saying why not."""
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        raise ValueError(_("an action is an object with a type"))
    kind = data["type"]
    allowed = {
        "assign": {"team", "user"},
        "tag": {"tags"},
        "untag": {"tags"},
        "priority": {"value"},
        "status": {"value"},
        "notify": {"team", "user"},
        "auto_reply": {TEMPLATE},
    }.get(kind, set())
    if kind not in ACTION_TYPES:
        raise ValueError(_("unknown action %s") % _q(kind))
    extra = set(data) - {"type"} - allowed
    if extra:
        raise ValueError(
            _("%(verb)s does not take %(key)s") % {"verb": _q(kind), "key": _q(sorted(extra)[0])}
        )
    for key in allowed:
        if key in data and key != "tags" and not isinstance(data[key], str):
            raise ValueError(_("%(key)s must be a text") % {"key": key})
    if kind in _BARE:
        return {"type": kind}
    if kind in ("tag", "untag"):
        tags = data.get("tags")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            raise ValueError(_("%s needs one or more tags") % _q(kind))
        try:
            return {"type": kind, "tags": clean_tags(tags)}
        except CaseError as exc:
            raise ValueError(str(exc)) from None
    if kind == "priority":
        priority = data.get("value", "").strip().lower()
        if priority not in PRIORITIES:
            raise ValueError(
                _("unknown priority %(p)s; use one of: %(all)s")
                % {"p": _q(priority), "all": ", ".join(PRIORITIES)}
            )
        return {"type": kind, "value": priority}
    if kind == "status":
        status = data.get("value", "").strip().lower()
        if status not in RULE_STATUSES:
            raise ValueError(
                _("a rule cannot set the status %(s)s; use one of: %(all)s")
                % {"s": _q(status), "all": ", ".join(RULE_STATUSES)}
            )
        return {"type": kind, "value": status}
    if kind == "auto_reply":
        template = data.get(TEMPLATE, "")
        if not _SLUG_RE.match(template):
            raise ValueError(_("%s is not a template shortcut") % _q(template))
        if names is not None and template not in names.templates:
            raise ValueError(
                _("no reply template with the shortcut %s in this organisation") % _q(template)
            )
        return {"type": kind, TEMPLATE: template}
    out: dict[str, Any] = {"type": kind}
    if "team" in data:
        team = data["team"]
        if not _SLUG_RE.match(team):
            raise ValueError(_("%s is not a team slug") % _q(team))
        if names is not None:
            if team.lower() not in names.team_slugs:
                raise ValueError(_("no team with the slug %s in this organisation") % _q(team))
            team = names.team_slugs[team.lower()]  # the routing stage looks it up as stored
        out["team"] = team
    if "user" in data:
        user = data["user"].lstrip("@")
        if not _USERNAME_RE.match(user):
            raise ValueError(_("%s is not a username") % _q(user))
        if names is not None and user not in names.active:
            raise ValueError(
                _("nobody with the username %s is an active member of this organisation") % _q(user)
            )
        out["user"] = user
    if len(out) == 1:
        raise ValueError(
            _("%(verb)s needs %(what)s") % {"verb": _q(kind), "what": "team:… / user:…"}
        )
    if kind == "notify" and len(out) > 2:
        raise ValueError(_("notify one team or one person a line"))
    if (
        kind == "assign"
        and names is not None
        and "team" in out
        and "user" in out
        and names.team_of.get(out["user"]) != out["team"].lower()
    ):
        raise ValueError(
            _("%(user)s is not in the team %(team)s")
            % {"user": _q(out["user"]), "team": _q(out["team"])}
        )
    return out


def parse_actions(text: str, names: OrgNames | None = None) -> list[dict[str, Any]]:
    """The actions of a text, one a line, as stored. Raises RuleError naming the line and
    what is wrong; a rule needs at least one action, and each kind but `notify` once."""
    actions: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    lines = _lines(text)
    if len(lines) > MAX_ACTIONS:
        problems.append(
            Problem(
                "actions",
                lines[MAX_ACTIONS][0],
                _("a rule takes at most %(n)d actions") % {"n": MAX_ACTIONS},
            )
        )
        lines = lines[:MAX_ACTIONS]
    for number, line in lines:
        try:
            if len(line) > MAX_LINE:
                raise ValueError(_("a line takes at most %(n)d characters") % {"n": MAX_LINE})
            action = check_action(_read_action(line), names)
            kind = action["type"]
            key = kind if kind in _ONCE else repr(sorted(action.items()))
            if key in seen:
                raise ValueError(
                    _("%(verb)s is already on line %(line)d")
                    % {"verb": _q(kind), "line": seen[key]}
                )
            seen[key] = number
            actions.append(action)
        except ValueError as exc:
            problems.append(Problem("actions", number, str(exc)))
    if not lines and not problems:
        problems.append(Problem("actions", 0, _("A rule needs at least one action.")))
    if problems:
        raise RuleError(problems)
    return actions


def format_action(action: Mapping[str, Any]) -> str:
    kind = action.get("type")
    if kind in ("tag", "untag"):
        return f"{kind} " + ", ".join(_quote(str(t)) for t in action.get("tags") or ())
    if kind in ("priority", "status"):
        return f"{kind} {action.get('value', '')}"
    if kind in ("assign", "notify"):
        targets = [f"{k}:{action[k]}" for k in ("team", "user") if action.get(k)]
        return " ".join([str(kind), *targets])
    if kind == "auto_reply":
        return f"auto_reply template:{action.get(TEMPLATE, '')}"
    return str(kind)


def format_actions(actions: Iterable[Mapping[str, Any]]) -> str:
    """The text form of stored actions (`parse_actions` reads it back the same)."""
    return "\n".join(format_action(a) for a in actions or () if isinstance(a, Mapping))


# --- the query ------------------------------------------------------------------------------


@lru_cache(maxsize=1024)  # the same rule texts are compiled again for every batch
def _query(text: str) -> Query:
    return Query(text)


def check_query(text: str) -> Problem | None:
    """None when `text` (blank: no query) is a listening query, else where it is wrong."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_QUERY:
        return Problem(
            "query", 0, _("The query takes at most %(n)d characters.") % {"n": MAX_QUERY}
        )
    try:
        _query(text)
    except QueryError as error:
        before = text[: max(error.column - 1, 0)]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        message = error.message + (f" ({error.hint})" if error.hint else "")
        return Problem("query", line, message, column=column)
    return None


def validate(
    organisation: Organisation | int | None,
    conditions_text: str,
    query_text: str,
    actions_text: str,
    *,
    names: OrgNames | None = None,
) -> tuple[list[dict], list[dict], list[Problem]]:
    """(conditions, actions, problems): the parsed rule and every reason it cannot be
    evaluated. A rule is saved only when `problems` is empty. With an organisation (or
    `names`), team slugs, usernames, brands and template shortcuts are checked in it."""
    if names is None and organisation is not None:
        names = OrgNames.load(organisation)
    problems: list[Problem] = []
    conditions: list[dict] = []
    actions: list[dict] = []
    try:
        conditions = parse_conditions(conditions_text, names)
    except RuleError as error:
        problems += error.problems
    query_problem = check_query(query_text)
    if query_problem is not None:
        problems.append(query_problem)
    try:
        actions = parse_actions(actions_text, names)
    except RuleError as error:
        problems += error.problems
    if not problems:
        try:
            compile_rule(0, "", conditions, query_text, actions)
        except RuleError as error:  # a safety net: what parses must compile
            problems += error.problems
    return conditions, actions, problems


# --- evaluation context ---------------------------------------------------------------------

_PENDING = object()  # a value read from the database only if a rule asks for it
_NOT_UNDERSTOOD = SimpleNamespace(sentiment="", intents=())


def _labels(understanding: Any) -> tuple[str, ...]:
    """Intent labels, the most probable first."""
    items = [
        (i.get("confidence") or 0, n, i["label"])
        for n, i in enumerate(getattr(understanding, "intents", None) or ())
        if isinstance(i, Mapping) and isinstance(i.get("label"), str) and i["label"]
    ]
    items.sort(key=lambda t: (-t[0], t[1]))
    return tuple(dict.fromkeys(label.lower() for _c, _n, label in items))


def _or_none(value: Any) -> Any:
    return value if value not in ("", None) else None


def _slug_of(thing: Any) -> str | None:
    slug = getattr(thing, "slug", thing)
    return slug.lower() if isinstance(slug, str) and slug else None


def _cached(descriptor: Any, instance: Any) -> bool:
    return descriptor.is_cached(instance)


def context(
    mention: Any,
    understanding: Any,
    *,
    playbook: Playbook | None = None,
    decision: Decision | None = None,
    case: Case | None = None,
    is_new_case: bool = True,
    contact_cases: int = 0,
    teams_by_id: Mapping[int, Any] | None = None,
    brands_by_id: Mapping[int, Any] | None = None,
) -> dict[str, Any]:
    """What the rules read of one mention: a plain dict by field name.

    `understanding` may be None (not understood yet). `teams_by_id` / `brands_by_id`
    (id → TeamInfo / Brand / slug) spare a query for the owner team's and the brand's
    slugs; else they are read when a rule first asks (load the mention with
    select_related("brand", "author") and the case with "assignee" to spare those too).
    `case` is the case the mention joins (None: none yet, so the case fields are unset);
    `case.is_new` is `is_new_case`: the mention does not join an existing case.
    """
    u = understanding
    intents = _labels(u) if u is not None else ()
    brand: Any = None
    if mention.brand_id is not None:
        if brands_by_id is not None:
            brand = _slug_of(brands_by_id.get(mention.brand_id))
        elif _cached(Mention.brand, mention):
            brand = _slug_of(mention.brand)
        else:
            brand = _PENDING
    owner_team: Any = None
    if decision is not None and decision.owner_team_id is not None:
        if teams_by_id is not None:
            owner_team = _slug_of(teams_by_id.get(decision.owner_team_id))
        else:
            owner_team = _PENDING
    contact_followers: Any = None
    if mention.author_id is not None:
        if _cached(Mention.author, mention):
            contact_followers = getattr(mention.author, "followers", None)
        else:
            contact_followers = _PENDING
    ctx: dict[str, Any] = {
        "channel": _or_none(mention.channel),
        "kind": _or_none(mention.kind),
        "visibility": _or_none(mention.visibility),
        "lang": canonical_lang(mention.lang) or None,
        "text": mention.text or None,
        "title": mention.title or None,
        "country": (mention.country or "").upper() or None,
        "rating": mention.rating,
        "brand": brand,
        "author.handle": (mention.author_handle or "").lstrip("@").lower() or None,
        "author.followers": mention.author_followers,
        "author.verified": mention.author_verified,
        "author.is_bot": mention.author_is_bot,
        "sentiment": _or_none(getattr(u, "sentiment", None)),
        "sentiment_score": getattr(u, "sentiment_score", None),
        "intent": intents[0] if intents else None,
        "intents": intents,
        "urgency": getattr(u, "urgency", None),
        "urgency_level": _or_none(getattr(u, "urgency_level", None)),
        "playbook": playbook.intent if playbook is not None else None,
        "department": playbook.department if playbook is not None else None,
        "model": decision.model if decision is not None else None,
        "owner_team": owner_team,
        "case.priority": None,
        "case.status": None,
        "case.tags": (),
        "case.is_new": bool(is_new_case),
        "case.assignee": None,
        "contact.cases": contact_cases,
        "contact.followers": contact_followers,
        "_mention": mention,
        "_understanding": u,
        "_decision": decision,
        "_case": case,
    }
    if case is not None:
        ctx["case.priority"] = _or_none(case.priority)
        ctx["case.status"] = _or_none(case.status)
        ctx["case.tags"] = tuple(str(t).lower() for t in case.tags or ())
        if case.assignee_id is not None:
            ctx["case.assignee"] = (
                case.assignee.get_username() if _cached(Case.assignee, case) else _PENDING
            )
    return ctx


def _resolve_brand(ctx: dict) -> str | None:
    return _slug_of(ctx["_mention"].brand)


def _resolve_owner_team(ctx: dict) -> str | None:
    team_id = ctx["_decision"].owner_team_id
    return _slug_of(Team.objects.filter(pk=team_id).values_list("slug", flat=True).first())


def _resolve_assignee(ctx: dict) -> str | None:
    assignee = ctx["_case"].assignee
    return assignee.get_username() if assignee is not None else None


def _resolve_contact_followers(ctx: dict) -> int | None:
    author = ctx["_mention"].author
    return getattr(author, "followers", None)


_RESOLVERS: dict[str, Callable[[dict], Any]] = {
    "brand": _resolve_brand,
    "owner_team": _resolve_owner_team,
    "case.assignee": _resolve_assignee,
    "contact.followers": _resolve_contact_followers,
}


def _folded(value: str) -> str:
    return " ".join(fold(value).split())


def _getter(name: str) -> Callable[[dict], Any]:
    """How a compiled condition reads its field from a context."""
    if name in ("text", "title"):
        cache = f"_{name}_folded"

        def folded(ctx: dict) -> str | None:
            value = ctx.get(cache, _PENDING)
            if value is _PENDING:
                raw = ctx[name]
                value = ctx[cache] = _folded(raw) if raw else None
            return value

        return folded
    resolver = _RESOLVERS.get(name)
    if resolver is not None:

        def lazy(ctx: dict) -> Any:
            value = ctx[name]
            if value is _PENDING:
                value = ctx[name] = resolver(ctx)
            return value

        return lazy
    return operator.itemgetter(name)


def _query_test(query: Query) -> Test:
    """A rule's query as a test. Rules often share a query: each is matched once per
    mention (the answers are kept in the context)."""
    match = query.test

    def test(ctx: dict) -> bool:
        answers = ctx.get("_queries")
        if answers is None:
            answers = ctx["_queries"] = {}
        found = answers.get(query)
        if found is None:
            found = answers[query] = match(_doc(ctx))
        return found

    return test


def _doc(ctx: dict) -> Doc:
    doc = ctx.get("_doc")
    if doc is None:
        mention = ctx["_mention"]
        doc = ctx["_doc"] = Doc.from_mention(
            mention,
            understanding=ctx["_understanding"] or _NOT_UNDERSTOOD,
            country=mention.country or "",
        )
    return doc


# --- compiling ------------------------------------------------------------------------------

Test = Callable[[dict], bool]


def _compile_condition(cond: dict[str, Any]) -> tuple[int, Test]:
    """(cost, test) for a checked condition: cheap tests run first."""
    name, op, value = cond["field"], cond["op"], cond["value"]
    get = _getter(name)
    f = FIELDS[name]
    if f.type == TEXT and name in ("text", "title") and isinstance(value, str):
        value = _folded(value)
    elif f.type == TEXT and isinstance(value, list) and name in ("text", "title"):
        value = [_folded(v) for v in value]
    cost = 1 if name in ("text", "title") or name in _RESOLVERS else 0
    tests: dict[str, Test]
    if op in MANY:
        values = frozenset(value)
        tests = {
            "in": lambda c: get(c) in values,
            "not in": lambda c: get(c) not in values,
            "has any": lambda c: not values.isdisjoint(get(c)),
            "has none": lambda c: values.isdisjoint(get(c)),
        }
    else:
        tests = {
            "=": lambda c: get(c) == value,
            "!=": lambda c: get(c) != value,
            "contains": lambda c: (x := get(c)) is not None and value in x,
            "not contains": lambda c: (x := get(c)) is None or value not in x,
            ">": lambda c: (x := get(c)) is not None and x > value,
            ">=": lambda c: (x := get(c)) is not None and x >= value,
            "<": lambda c: (x := get(c)) is not None and x < value,
            "<=": lambda c: (x := get(c)) is not None and x <= value,
            "is": lambda c: get(c) is value,
            "has": lambda c: value in get(c),
            "has not": lambda c: value not in get(c),
            "is set": (lambda c: bool(get(c)))
            if f.type == LIST
            else (lambda c: get(c) is not None),
            "is not set": (lambda c: not get(c)) if f.type == LIST else (lambda c: get(c) is None),
        }
    return cost, tests[op]


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired on a mention, and its actions (do not change the dicts)."""

    rule_id: int
    rule_name: str
    actions: tuple[dict, ...]


@dataclass(slots=True)
class Compiled:
    """A rule ready to evaluate."""

    rule_id: int
    name: str
    tests: tuple[Test, ...]
    stop: bool
    fired: Fired
    index: tuple[str, frozenset] | None  # (field, values) one of which the mention must have
    full_tests: tuple[Test, ...] = ()  # with the index condition (for unindexed evaluation)
    reads: frozenset[str] = frozenset()  # the fields its conditions read; "query" for a query
    highest: tuple[tuple[str, float], ...] = ()  # (number field, the largest value compared)

    def matches(self, ctx: dict) -> bool:
        return all(test(ctx) for test in self.full_tests)


def compile_rule(
    rule_id: int,
    name: str,
    conditions: Any,
    query: str,
    actions: Any,
    *,
    stop: bool = False,
) -> Compiled:
    """Check a stored rule again and compile it. Raises RuleError when it cannot be
    evaluated (a stored value edited by hand, a field that no longer exists)."""
    problems: list[Problem] = []
    checked: list[dict] = []
    if not isinstance(conditions, list):
        problems.append(Problem("conditions", 0, _("The conditions must be a list.")))
        conditions = []
    for number, cond in enumerate(conditions, 1):
        try:
            checked.append(check_condition(cond))
        except ValueError as exc:
            problems.append(Problem("conditions", number, str(exc)))
    if not isinstance(actions, list) or not actions:
        problems.append(Problem("actions", 0, _("A rule needs at least one action.")))
        actions = []
    checked_actions: list[dict] = []
    for number, action in enumerate(actions, 1):
        try:
            checked_actions.append(check_action(action))
        except ValueError as exc:
            problems.append(Problem("actions", number, str(exc)))
    query_problem = check_query(query)
    if query_problem is not None:
        problems.append(query_problem)
    if problems:
        raise RuleError(problems)
    index: tuple[str, frozenset] | None = None
    index_at = -1
    for wanted in INDEX_FIELDS:
        for n, cond in enumerate(checked):
            if cond["field"] == wanted and cond["op"] in ("=", "in"):
                value = cond["value"]
                index = (wanted, frozenset(value if isinstance(value, list) else [value]))
                index_at = n
                break
        if index is not None:
            break
    compiled = [(*_compile_condition(c), n) for n, c in enumerate(checked)]
    text = (query or "").strip()
    if text:
        q = _query(text)
        compiled.append((2, _query_test(q), len(checked)))
    compiled.sort(key=lambda t: (t[0], t[2]))
    fired = Fired(rule_id, name, tuple(checked_actions))
    return Compiled(
        rule_id=rule_id,
        name=name,
        tests=tuple(t for _cost, t, n in compiled if n != index_at),
        stop=bool(stop),
        fired=fired,
        index=index,
        full_tests=tuple(t for _cost, t, _n in compiled),
        reads=frozenset(c["field"] for c in checked) | ({"query"} if text else set()),
        highest=_highest(checked),
    )


def _highest(checked: list[dict]) -> tuple[tuple[str, float], ...]:
    """For each number field the conditions compare, the largest value compared with."""
    found: dict[str, float] = {}
    for cond in checked:
        if FIELDS[cond["field"]].type == NUMBER and cond["op"] not in UNARY:
            found[cond["field"]] = max(found.get(cond["field"], cond["value"]), cond["value"])
    return tuple(sorted(found.items()))


_COMPILED: dict[tuple, Compiled] = {}  # compiled rules by their stored content
_COMPILED_MAX = 10_000


def _compiled(rule: Rule) -> Compiled:
    """`compile_rule` for a stored rule, reusing the last compilation of the same content
    (the routing stage builds a RuleSet for every batch)."""
    key = (
        rule.id,
        rule.name,
        bool(rule.stop_processing),
        rule.query,
        repr(rule.conditions),
        repr(rule.actions),
    )
    found = _COMPILED.get(key)
    if found is None:
        found = compile_rule(
            rule.id, rule.name, rule.conditions, rule.query, rule.actions, stop=rule.stop_processing
        )
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


_SETS: dict[tuple[int, bool], tuple[tuple, RuleSet]] = {}  # RuleSet.for_org's, with stamps


def forget_rules(sender: Any, instance: Rule, **kwargs: Any) -> None:
    """Signal receiver (post_save / post_delete of Rule): drop the organisation's kept set."""
    for key in [k for k in _SETS if k[0] == instance.organisation_id]:
        _SETS.pop(key, None)


class RuleSet:
    """An organisation's enabled rules, compiled, in firing order (position, then id)."""

    MEMO = 4096  # candidate lists kept, by (intent, playbook, channel, lang)

    def __init__(self, rules: Iterable[Rule], *, index: bool = True) -> None:
        self.rules: list[Compiled] = []
        self.broken: list[tuple[int, str, str]] = []  # (rule id, name, reason)
        ordered = sorted(rules, key=lambda r: (r.position, r.id or 0))
        for rule in ordered:
            try:
                self.rules.append(_compiled(rule))
            except RuleError as error:
                self.broken.append((rule.id, rule.name, str(error)))
        self.indexed = index
        self._memo: dict[tuple, tuple[Compiled, ...]] = {}
        self._positions = {name: n for n, name in enumerate(INDEX_FIELDS)}
        self._stops = {r.rule_id for r in self.rules if r.stop}
        # What any rule reads: routing loads the costlier facts only when one does.
        self.reads: frozenset[str] = frozenset().union(*(r.reads for r in self.rules))
        highest: dict[str, float] = {}
        for rule in self.rules:
            for name, value in rule.highest:
                highest[name] = max(highest.get(name, value), value)
        self.highest = highest

    def count_limit(self, name: str) -> int:
        """How far a count read by the number field `name` (say `contact.cases`) needs
        counting: every condition on it gives the same answer for any count from this one
        up (it is one more than the largest value compared), so counting can stop there."""
        return math.floor(self.highest.get(name, 0)) + 1

    @classmethod
    def for_org(cls, organisation_id: int, *, index: bool = True) -> RuleSet:
        """The enabled rules of an organisation. The set is kept between calls (routing asks
        for it every batch) while the rules' ids, positions and edit times stay the same:
        one small query; a saved or deleted rule also drops it in this process."""
        enabled = Rule.objects.filter(organisation_id=organisation_id, enabled=True)
        ordered = enabled.order_by("position", "id")
        stamp = tuple(ordered.values_list("id", "position", "updated_at"))
        key = (organisation_id, index)
        kept = _SETS.get(key)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        ruleset = cls(ordered, index=index)
        _SETS[key] = (stamp, ruleset)
        return ruleset

    def __len__(self) -> int:
        return len(self.rules)

    def _candidates(self, key: tuple) -> tuple[Compiled, ...]:
        where = self._positions
        found = tuple(
            r for r in self.rules if r.index is None or key[where[r.index[0]]] in r.index[1]
        )
        if len(self._memo) >= self.MEMO:
            self._memo.clear()
        self._memo[key] = found
        return found

    def stopped(self, fired: list[Fired]) -> bool:
        """Did evaluation stop at the last of `fired` (a rule that stops processing)?"""
        return bool(fired) and fired[-1].rule_id in self._stops

    def evaluate(self, ctx: dict) -> list[Fired]:
        """The rules that fire on `ctx` (from `context`), in order; after a rule that stops
        processing, no later rule is looked at."""
        fired: list[Fired] = []
        if not self.indexed:
            for rule in self.rules:
                if rule.matches(ctx):
                    fired.append(rule.fired)
                    if rule.stop:
                        break
            return fired
        key = (ctx["intent"], ctx["playbook"], ctx["channel"], ctx["lang"])
        candidates = self._memo.get(key)
        if candidates is None:
            candidates = self._candidates(key)
        for rule in candidates:
            for test in rule.tests:
                if not test(ctx):
                    break
            else:
                fired.append(rule.fired)
                if rule.stop:
                    break
        return fired


# --- the audit ------------------------------------------------------------------------------


FIRE_FIELDS = ("id", "organisation", "rule", "rule_name", "mention", "case", "actions", "at")


def record_fires(
    organisation_id: int,
    fires: Iterable[tuple[int | None, int | None, Sequence[Fired]]],
    at,
) -> list[tuple]:
    """Audit rows, one per fired rule, from (mention id, case id, the rules that fired)
    items, as `RuleFire` values in `FIRE_FIELDS` order (the caller inserts them with
    `core.db.insert_rows`). A batch's rows get their ids in one go."""
    flat = [(mention_id, case_id, f) for mention_id, case_id, fired in fires for f in fired]
    return [
        (pk, organisation_id, f.rule_id or None, f.rule_name[:200], mention_id, case_id,
         f.actions, at)  # a tuple of dicts: stored as a JSON array
        for pk, (mention_id, case_id, f) in zip(new_ids(len(flat)), flat, strict=True)
    ]  # fmt: skip


# --- routing facts (dry runs; the routing stage may use them too) ---------------------------


def facts_of(mention: Any, understanding: Any, *, is_crisis: bool = False) -> Facts:
    """The routing facts of a mention (`understanding` may be None)."""
    return Facts(
        intents=_labels(understanding) if understanding is not None else (),
        sentiment=getattr(understanding, "sentiment", "") or "neutral",
        urgency_level=getattr(understanding, "urgency_level", "") or "normal",
        brand_id=mention.brand_id,
        lang=canonical_lang(mention.lang),
        channel=mention.channel or "",
        visibility=mention.visibility or "public",
        is_crisis=is_crisis,
    )


@dataclass
class OrgRouting:
    """An organisation's engagement model, playbooks and teams, loaded once."""

    model: EngagementModel
    playbooks: Playbooks
    teams: Teams
    teams_by_id: dict[int, TeamInfo]

    @classmethod
    def load(cls, organisation: Organisation) -> OrgRouting:
        """Reads only: the playbooks come from `cases.settings_for` when the organisation
        has engagement settings, else the defaults (nothing is created)."""
        from .models import EngagementConfig

        config = EngagementConfig.objects.filter(organisation=organisation).first()
        playbooks = settings_for(organisation).playbooks if config else Playbooks()
        infos = [TeamInfo.of(t) for t in Team.objects.filter(organisation=organisation)]
        director = config.director_team_id if config else None
        model = MODELS.get(organisation.engagement_model) or MODELS[DEFAULT_MODEL]
        teams = Teams(infos, director_team_id=director)
        return cls(model, playbooks, teams, {t.id: t for t in infos})

    def route(
        self, mention: Any, understanding: Any, *, is_crisis: bool = False
    ) -> tuple[Playbook, Decision]:
        facts = facts_of(mention, understanding, is_crisis=is_crisis)
        playbook = self.playbooks.choose(facts)
        return playbook, self.model.decide(facts, self.teams, playbook)


# --- dry run --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Example:
    mention_id: int
    excerpt: str
    case_id: int | None
    actions: tuple[dict, ...]


@dataclass(frozen=True, slots=True)
class DryRun:
    """What a rule would have done to the organisation's recent mentions."""

    examined: int
    matched: int
    examples: tuple[Example, ...]
    days: int
    limit: int
    preempted: int = 0  # matches an earlier rule that stops processing would have taken

    @property
    def truncated(self) -> bool:
        return self.examined >= self.limit


def excerpt(mention: Any, length: int = 160) -> str:
    text = " ".join((mention.text or mention.title or "").split())
    return text[:length] + ("…" if len(text) > length else "")


def dry_run(
    organisation: Organisation,
    conditions: list[dict],
    query: str,
    actions: list[dict],
    *,
    limit: int = 500,
    days: int = 30,
    rule: Rule | None = None,
) -> DryRun:
    """Evaluate one unsaved rule against the organisation's newest `limit` mentions of the
    last `days` days, with their understanding, case, contact and routing. Writes nothing.

    Each mention is seen as the routing stage saw it: routed afresh with today's teams
    and playbooks, with the case it joined (today's state of it) or none if it opened
    one, and the contact's cases opened before it.

    `rule`: the stored rule being edited; the enabled rules before it (before the end for
    a new rule) tell how many matches a rule that stops processing would take first.
    Raises RuleError when the rule cannot be evaluated."""
    draft = compile_rule(0, "", conditions, query, actions)
    since = clock.now() - timedelta(days=days)
    mentions = list(
        Mention.objects.filter(
            organisation=organisation, deleted_at__isnull=True, created_at__gte=since
        )
        .select_related("brand", "author", "understanding")
        .order_by("-created_at", "-id")[: max(limit, 0)]
    )
    ids = [m.id for m in mentions]
    links = {
        link.mention_id: link.case
        for link in CaseMention.objects.filter(mention_id__in=ids).select_related(
            "case", "case__assignee"
        )
    }
    contacts = {m.author_id for m in mentions if m.author_id is not None}
    history: dict[int, list[tuple[int, Any]]] = {}
    for contact_id, case_id, opened_at in Case.objects.filter(
        organisation=organisation, contact_id__in=contacts
    ).values_list("contact_id", "id", "opened_at"):
        history.setdefault(contact_id, []).append((case_id, opened_at))
    routing = OrgRouting.load(organisation)
    earlier = _earlier_rules(organisation, rule)
    matched = preempted = 0
    examples: list[Example] = []
    for mention in mentions:
        try:
            understanding = mention.understanding
        except ObjectDoesNotExist:
            understanding = None
        case = links.get(mention.id)
        crisis = case is not None and case.intent == CRISIS
        playbook, decision = routing.route(mention, understanding, is_crisis=crisis)
        # As the routing stage sees it: the case a later message joins; none for the
        # message that opened its case (the case did not exist yet).
        joined = case if case is not None and case.first_mention_id != mention.id else None
        before = [
            c
            for c, opened in history.get(mention.author_id, ())
            if opened < mention.created_at and (case is None or c != case.id)
        ]
        ctx = context(
            mention,
            understanding,
            playbook=playbook,
            decision=decision,
            case=joined,
            is_new_case=joined is None,
            contact_cases=len(before),
            teams_by_id=routing.teams_by_id,
        )
        if not draft.matches(ctx):
            continue
        matched += 1
        if earlier is not None and earlier.stopped(earlier.evaluate(ctx)):
            preempted += 1
        if len(examples) < EXAMPLES:
            case_id = case.id if case is not None else None
            examples.append(Example(mention.id, excerpt(mention), case_id, draft.fired.actions))
    return DryRun(len(mentions), matched, tuple(examples), days, limit, preempted)


def _earlier_rules(organisation: Organisation, rule: Rule | None) -> RuleSet | None:
    """The enabled rules that fire before `rule` (all of them for a new rule), if any of
    them stops processing."""
    rules = list(Rule.objects.filter(organisation=organisation, enabled=True))
    if rule is not None and rule.pk:
        rules = [r for r in rules if (r.position, r.id) < (rule.position, rule.id)]
    if not any(r.stop_processing for r in rules):
        return None
    return RuleSet(rules)


# --- changes (every one checks the permission) -------------------------------------------------


def _require_manage(actor, organisation_id: int) -> None:
    if not actor.is_authenticated or not actor.has_perm(MANAGE):
        raise PermissionDenied(_("Your role cannot change rules."))
    if not Membership.objects.filter(
        user=actor, organisation_id=organisation_id, is_active=True
    ).exists():
        raise PermissionDenied(_("You are not a member of this organisation."))


def rules_of(organisation: Organisation | int):
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return Rule.objects.filter(organisation_id=org_id).order_by("position", "id")


def get_rule_for(user, organisation: Organisation | None, rule_id: Any) -> Rule:
    """A rule of the user's current organisation; RuleNotFound otherwise. Reading needs
    `engagement.view_case` (PermissionDenied)."""
    if not user.is_authenticated or not user.has_perm(VIEW):
        raise PermissionDenied(_("Your role cannot see rules."))
    if organisation is None:
        raise RuleNotFound(_("Rule not found."))
    try:
        return Rule.objects.select_related("created_by").get(
            pk=int(rule_id), organisation=organisation
        )
    except (Rule.DoesNotExist, ValueError, TypeError, OverflowError):
        raise RuleNotFound(_("Rule not found.")) from None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RuleError([Problem("name", 0, _("Give the rule a name."))])
    if len(name) > MAX_NAME:
        raise RuleError(
            [Problem("name", 0, _("A name takes at most %(n)d characters.") % {"n": MAX_NAME})]
        )
    return name


def _checked(organisation, name, conditions, query, actions) -> tuple:
    problems: list[Problem] = []
    try:
        name = _clean_name(name)
    except RuleError as error:
        problems += error.problems
    parsed_conditions, parsed_actions, found = validate(organisation, conditions, query, actions)
    problems += found
    if problems:
        raise RuleError(problems)
    return name, parsed_conditions, (query or "").strip(), parsed_actions


@transaction.atomic
def create_rule(
    actor,
    organisation: Organisation,
    *,
    name: str,
    conditions: str = "",
    query: str = "",
    actions: str,
    stop_processing: bool = False,
    enabled: bool = True,
) -> Rule:
    """A new rule at the end of the order, from its text form. Raises RuleError with
    every problem (nothing saved) or PermissionDenied."""
    _require_manage(actor, organisation.pk)
    name, parsed_conditions, query, parsed_actions = _checked(
        organisation, name, conditions, query, actions
    )
    last = rules_of(organisation).order_by("-position").values_list("position", flat=True)
    return Rule.objects.create(
        organisation=organisation,
        name=name,
        position=(last.first() or 0) + 1,
        enabled=enabled,
        conditions=parsed_conditions,
        query=query,
        actions=parsed_actions,
        stop_processing=stop_processing,
        created_by=actor,
        updated_at=clock.now(),
    )


@transaction.atomic
def update_rule(
    actor,
    rule: Rule,
    *,
    name: str,
    conditions: str = "",
    query: str = "",
    actions: str,
    stop_processing: bool = False,
    enabled: bool = True,
) -> Rule:
    """Save a rule's new text; on any problem nothing changes (RuleError)."""
    _require_manage(actor, rule.organisation_id)
    name, parsed_conditions, query, parsed_actions = _checked(
        rule.organisation, name, conditions, query, actions
    )
    rule.name, rule.conditions, rule.query, rule.actions = (
        name,
        parsed_conditions,
        query,
        parsed_actions,
    )
    rule.stop_processing, rule.enabled, rule.updated_at = stop_processing, enabled, clock.now()
    rule.save()
    return rule


@transaction.atomic
def delete_rule(actor, rule: Rule) -> None:
    """Delete a rule; its audit stays, under the rule's name."""
    _require_manage(actor, rule.organisation_id)
    rule.delete()


@transaction.atomic
def set_enabled(actor, rule: Rule, enabled: bool) -> Rule:
    _require_manage(actor, rule.organisation_id)
    if rule.enabled != enabled:
        rule.enabled = enabled
        rule.updated_at = clock.now()
        rule.save(update_fields=["enabled", "updated_at"])
    return rule


@transaction.atomic
def move_rule(actor, rule: Rule, direction: str) -> Rule:
    """Move a rule one place up or down in the firing order (positions become 1…n)."""
    _require_manage(actor, rule.organisation_id)
    if direction not in ("up", "down"):
        raise ValueError(_("Move a rule up or down."))
    ordered = list(rules_of(rule.organisation_id).select_for_update())
    at = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = at - 1 if direction == "up" else at + 1
    if 0 <= other < len(ordered):
        ordered[at], ordered[other] = ordered[other], ordered[at]
    changed = []
    for position, item in enumerate(ordered, 1):
        if item.position != position:
            item.position = position
            changed.append(item)
    Rule.objects.bulk_update(changed, ["position"])
    rule.position = next(r.position for r in ordered if r.pk == rule.pk)
    return rule
