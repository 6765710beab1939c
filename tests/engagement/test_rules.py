"""The rules engine: the line syntax and its errors, each field on real mentions, order and
stop processing, the index against a naive evaluation, queries, the audit rows, the dry
run and the services that change rules (docs/engagement.md#rules)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.core import clock
from panal.core.db import insert_rows
from panal.core.text import fold
from panal.engagement import rules
from panal.engagement.models import Case, CaseMention, ReplyTemplate, Rule, RuleFire
from panal.engagement.models_of_engagement import MODELS
from panal.engagement.playbooks import INTENTS, PRIORITIES, Playbooks
from panal.listening.models import Mention
from panal.listening.query import Doc, Query
from panal.org.models import Team
from panal.understanding.models import Understanding

DOCS = Path(__file__).resolve().parents[2] / "docs" / "engagement.md"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

BRIEF_CONDITIONS = """\
intent = complaint
sentiment in negative, neutral
author.followers >= 10000
text contains "reembolso"
case.tags has vip
channel != rss
urgency_level in high, critical
author.verified is true
case.priority is set"""

BRIEF_ACTIONS = """\
assign team:billing
tag vip, refund
priority high
escalate
notify team:pr
notify user:ana
auto_reply template:thanks
open_case
create_lead
hand_to_crm"""


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the source language)."""
    with translation.override("en"):
        yield


def problems_of(fn, text, names=None) -> list[rules.Problem]:
    with pytest.raises(rules.RuleError) as caught:
        fn(text, names)
    return caught.value.problems


def one_problem(fn, text, names=None) -> rules.Problem:
    found = problems_of(fn, text, names)
    assert len(found) == 1, found
    return found[0]


def rule(id_, conditions="", *, query="", actions=None, position=None, stop=False, name=None):
    return Rule(
        id=id_,
        name=name or f"rule {id_}",
        position=id_ if position is None else position,
        enabled=True,
        conditions=rules.parse_conditions(conditions)
        if isinstance(conditions, str)
        else conditions,
        query=query,
        actions=actions or [{"type": "tag", "tags": [f"r{id_}"]}],
        stop_processing=stop,
        updated_at=NOW,
    )


def fired_ids(fired: list[rules.Fired]) -> list[int]:
    return [f.rule_id for f in fired]


# --- the line syntax --------------------------------------------------------------------------


def test_the_brief_examples_parse_to_the_stored_form():
    assert rules.parse_conditions(BRIEF_CONDITIONS) == [
        {"field": "intent", "op": "=", "value": "complaint"},
        {"field": "sentiment", "op": "in", "value": ["negative", "neutral"]},
        {"field": "author.followers", "op": ">=", "value": 10000},
        {"field": "text", "op": "contains", "value": "reembolso"},
        {"field": "case.tags", "op": "has", "value": "vip"},
        {"field": "channel", "op": "!=", "value": "rss"},
        {"field": "urgency_level", "op": "in", "value": ["high", "critical"]},
        {"field": "author.verified", "op": "is", "value": True},
        {"field": "case.priority", "op": "is set", "value": None},
    ]
    assert rules.parse_actions(BRIEF_ACTIONS) == [
        {"type": "assign", "team": "billing"},
        {"type": "tag", "tags": ["vip", "refund"]},
        {"type": "priority", "value": "high"},
        {"type": "escalate"},
        {"type": "notify", "team": "pr"},
        {"type": "notify", "user": "ana"},
        {"type": "auto_reply", "template": "thanks"},
        {"type": "open_case"},
        {"type": "create_lead"},
        {"type": "hand_to_crm"},
    ]


def test_the_brief_examples_round_trip():
    conditions = rules.parse_conditions(BRIEF_CONDITIONS)
    assert rules.format_conditions(conditions) == BRIEF_CONDITIONS
    actions = rules.parse_actions(BRIEF_ACTIONS)
    assert rules.format_actions(actions) == BRIEF_ACTIONS


def test_spellings_people_use_are_read_and_written_back_in_one_form():
    text = """\
# complaints from big accounts
INTENT IS Legal-Risk

Sentiment is not positive
author.followers>=1.5k
author.followers < 10_000
lang = es-MX
country = es
author.handle = @Ana_R
text contains "a, \\"b\\""
case.is_new is false
intents has any billing, complaint"""
    conditions = rules.parse_conditions(text)
    assert conditions == [
        {"field": "intent", "op": "=", "value": "legal_risk"},
        {"field": "sentiment", "op": "!=", "value": "positive"},
        {"field": "author.followers", "op": ">=", "value": 1500},
        {"field": "author.followers", "op": "<", "value": 10000},
        {"field": "lang", "op": "=", "value": "es"},
        {"field": "country", "op": "=", "value": "ES"},
        {"field": "author.handle", "op": "=", "value": "ana_r"},
        {"field": "text", "op": "contains", "value": 'a, "b"'},
        {"field": "case.is_new", "op": "is", "value": False},
        {"field": "intents", "op": "has any", "value": ["billing", "complaint"]},
    ]
    written = rules.format_conditions(conditions)
    assert 'text contains "a, \\"b\\""' in written
    assert rules.parse_conditions(written) == conditions
    actions = rules.parse_actions("Auto-Reply template:thanks\nASSIGN user:@maria team:billing")
    assert actions == [
        {"type": "auto_reply", "template": "thanks"},
        {"type": "assign", "user": "maria", "team": "billing"},
    ]
    assert rules.parse_actions(rules.format_actions(actions)) == actions


def _value(draw, f: rules.Field):
    if f.type == rules.BOOL:
        return draw(st.booleans())
    if f.type == rules.NUMBER:
        low = -1e6 if f.low is None else f.low
        high = 1e9 if f.high is None else f.high
        if f.integer:
            return draw(st.integers(int(low), int(high)))
        return draw(st.one_of(st.integers(int(low), int(high)), st.floats(low, high)))
    if f.name in ("text", "title"):
        text = st.text(st.characters(blacklist_characters="\n\r\x00"), min_size=1, max_size=30)
        return draw(text.map(str.strip).filter(bool))
    if f.name == "lang":
        return draw(st.sampled_from(["es", "en", "pt", "ast"]))
    if f.name == "country":
        return draw(st.sampled_from(["ES", "MX", "AR", "PT"]))
    if f.name == "case.tags":
        return draw(st.from_regex(r"[a-z][a-z0-9 .:/+-]{0,20}[a-z0-9]", fullmatch=True)).strip()
    choices = rules.choices_of(f)
    if choices:
        return draw(st.sampled_from(choices))
    return draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True))


@st.composite
def conditions_strategy(draw):
    out = []
    for _ in range(draw(st.integers(0, 6))):
        f = draw(st.sampled_from(list(rules.FIELDS.values())))
        op = draw(st.sampled_from(f.ops))
        if op in rules.UNARY:
            value = None
        elif op in rules.MANY:
            value = [_value(draw, f) for _ in range(draw(st.integers(1, 4)))]
        else:
            value = _value(draw, f)
        try:
            out.append(rules.check_condition({"field": f.name, "op": op, "value": value}))
        except ValueError:
            continue  # e.g. a text whose folded form is empty
    return out


@given(conditions_strategy())
@settings(max_examples=300, deadline=None)
def test_any_stored_conditions_round_trip_through_their_text(conditions):
    assert rules.parse_conditions(rules.format_conditions(conditions)) == conditions


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[a-z][a-z0-9 .:/+-]{0,15}[a-z0-9]", fullmatch=True).map(
                lambda t: {"type": "tag", "tags": [t, t + "x"]}
            ),
            st.sampled_from(PRIORITIES).map(lambda p: {"type": "priority", "value": p}),
            st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).map(
                lambda t: {"type": "untag", "tags": [t]}
            ),
            st.sampled_from(rules.RULE_STATUSES).map(lambda v: {"type": "status", "value": v}),
            st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).map(
                lambda s: {"type": "notify", "team": s}
            ),
            st.sampled_from([{"type": t} for t in ("escalate", "open_case", "create_lead")]),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda a: a["type"] if a["type"] != "notify" else repr(a),
    )
)
@settings(max_examples=200, deadline=None)
def test_any_stored_actions_round_trip_through_their_text(actions):
    checked = [rules.check_action(a) for a in actions]
    assert rules.parse_actions(rules.format_actions(checked)) == checked


# --- errors name the line and what is wrong ---------------------------------------------------

CONDITION_ERRORS = [
    ("intnet = complaint", "unknown field “intnet” (did you mean “intent”?)"),
    ("sentiment > 3", "“>” cannot be used with sentiment (a choice field)"),
    ("author.verified = true", "cannot be used with author.verified (a yes/no field)"),
    ("rating in 1, 2", "“in” cannot be used with rating (a number field)"),
    ("intents = billing", "“=” cannot be used with intents (a list field)"),
    ("text > 3", "“>” cannot be used with text (a text field)"),
    ("author.followers >= lots", "“lots” is not a number"),
    ("author.followers >= 10,000", "“10,000” is not a number"),
    ("author.followers > 1.5", "author.followers takes a whole number"),
    ("author.followers > -5", "author.followers cannot be below 0"),
    ("urgency > 2", "urgency goes from 0 to 1; 2 is out of range"),
    ("rating = 0", "rating goes from 1 to 5; 0 is out of range"),
    ("channel = twitter", "“twitter” is not a value of channel"),
    ("sentiment = negativ", "(did you mean “negative”?)"),
    ("intent", "an operator is needed after “intent”"),
    ("intent ~ complaint", "“~” is not an operator"),
    ("intent =", "a value is needed after “=”"),
    ("case.priority is set high", "“is set” takes no value"),
    ("author.verified is maybe", "author.verified is true or false"),
    ("intent = complaint, praise", "takes one value; for several, use “in”"),
    ("case.tags has vip, gold", "takes one value; for several, use “has any”"),
    ('text contains "abc', "a quote is not closed"),
    ('text contains "a" b', "unexpected text after a closing quote"),
    ('text contains a"b', "a quote inside a value"),
    ("sentiment in negative,,neutral", "an empty value"),
    ("sentiment in negative,", "an empty value"),
    ("lang = 123", "“123” is not a language code"),
    ("country = ESP", "“ESP” is not a two-letter country code"),
    ("case.tags has ¡vip!", "“¡vip!” is not a valid tag"),
    ("= complaint", "a condition starts with a field name"),
    ("x" * 1001, "a line takes at most 1000 characters"),
]


@pytest.mark.parametrize(("line", "message"), CONDITION_ERRORS)
def test_a_bad_condition_is_refused_with_its_line_and_reason(line, message):
    text = f"# first a comment\nintent = complaint\n\n{line}\nchannel = x"
    problem = one_problem(rules.parse_conditions, text)
    assert problem.part == "conditions"
    assert problem.line == 4
    assert message in problem.message
    assert str(problem).startswith("Line 4: ")


def test_every_bad_line_is_reported_not_only_the_first():
    found = problems_of(rules.parse_conditions, "foo = 1\nintent = complaint\nbar = 2")
    assert [p.line for p in found] == [1, 3]


def test_at_most_thirty_conditions():
    text = "\n".join(["channel = x"] * 31)
    problem = one_problem(rules.parse_conditions, text)
    assert problem.line == 31
    assert "at most 30 conditions" in problem.message


ACTION_ERRORS = [
    ("asign team:billing", "unknown action “asign”"),
    ("asign team:billing", "(did you mean “assign”?)"),
    ("assign", "“assign” needs team:… / user:…"),
    ("assign group:x", "“assign” takes team:… / user:…, not “group:x”"),
    ("assign team:", "not “team:”"),
    ("assign team:a team:b", "“assign” names team twice"),
    ("notify team:pr user:ana", "notify one team or one person a line"),
    ("priority urgent", "unknown priority “urgent”; use one of: low, normal, high, critical"),
    ("priority", "“priority” needs low / normal / high / critical"),
    ("tag", "“tag” needs one or more tags"),
    ("tag ¡vip!", "is not a valid tag"),
    ('tag "vip', "a quote is not closed"),
    ("escalate now", "“escalate” takes nothing after it"),
    ("untag", "“untag” needs one or more tags"),
    ("status new", "a rule cannot set the status “new”; use one of: open, pending, resolved"),
    ("status", "“status” needs open / pending / resolved / closed"),
    ("auto_reply thanks", "“auto_reply” takes template:…, not “thanks”"),
    ("auto_reply template:no way", "takes template:…, not “way”"),
]


@pytest.mark.parametrize(("line", "message"), ACTION_ERRORS)
def test_a_bad_action_is_refused_with_its_line_and_reason(line, message):
    problem = one_problem(rules.parse_actions, f"open_case\n# note\n{line}")
    assert problem.part == "actions"
    assert problem.line == 3
    assert message in problem.message


def test_an_action_twice_is_refused_but_notify_may_repeat():
    problem = one_problem(rules.parse_actions, "priority high\ntag a\npriority low")
    assert (problem.line, problem.message) == (3, "“priority” is already on line 1")
    problem = one_problem(rules.parse_actions, "notify team:pr\nnotify team:pr")
    assert problem.line == 2
    assert len(rules.parse_actions("notify team:pr\nnotify user:ana\nnotify team:hr")) == 3


def test_a_rule_needs_an_action():
    for text in ("", "  \n# only a comment\n"):
        problem = one_problem(rules.parse_actions, text)
        assert (problem.part, problem.line) == ("actions", 0)
        assert problem.message == "A rule needs at least one action."


@pytest.fixture
def template(org):
    return ReplyTemplate.objects.create(
        organisation=org, name="Thanks", shortcut="thanks", lang="es", body="¡Gracias!"
    )


def test_names_are_checked_in_the_organisation(org, other_org, users, template):
    Team.objects.create(organisation=other_org, slug="secret", name="Secret", department="pr")
    conditions = (
        "brand = acme-movil\nbrand = other\nowner_team = secret\n"
        "owner_team = billing\ncase.assignee = agent\ncase.assignee = ghost"
    )
    actions = (
        "assign team:secret user:ghost\nnotify user:agent\nnotify team:nope\n"
        "auto_reply template:thanks\ncreate_lead\nhand_to_crm\nescalate\nopen_case\n"
        "tag a\npriority low\n"
    )
    _c, _a, found = rules.validate(org, conditions, "", actions)
    assert [(p.part, p.line, p.message) for p in found] == [
        ("conditions", 2, "no brand with the slug “other” in this organisation"),
        ("conditions", 3, "no team with the slug “secret” in this organisation"),
        ("conditions", 6, "nobody with the username “ghost” in this organisation"),
        ("actions", 1, "no team with the slug “secret” in this organisation"),
        ("actions", 3, "no team with the slug “nope” in this organisation"),
    ]
    _c, _a, found = rules.validate(org, "", "", "auto_reply template:bye\nassign user:ghost")
    assert [p.message for p in found] == [
        "no reply template with the shortcut “bye” in this organisation",
        "nobody with the username “ghost” is an active member of this organisation",
    ]
    # An agent works in customer service, not billing.
    _c, _a, found = rules.validate(org, "", "", "assign team:billing user:agent")
    assert [p.message for p in found] == ["“agent” is not in the team “billing”"]
    _c, parsed_actions, found = rules.validate(
        org, "", "", "assign team:Customer-Service user:agent"
    )
    assert found == []
    assert parsed_actions == [{"type": "assign", "team": "customer-service", "user": "agent"}]


def test_a_query_error_names_its_line_and_column(org):
    _c, _a, found = rules.validate(org, "", "acme\nAND (lento OR", "open_case")
    assert len(found) == 1
    problem = found[0]
    assert (problem.part, problem.line) == ("query", 2)
    assert problem.column > 1
    assert str(problem).startswith(f"Line 2, column {problem.column}: ")
    _c, _a, found = rules.validate(org, "", "x" * 4001, "open_case")
    assert [p.message for p in found] == ["The query takes at most 4000 characters."]


def test_validate_gathers_the_problems_of_every_part(org):
    conditions, actions, found = rules.validate(org, "foo = 1", '"unclosed', "frobnicate")
    assert [p.part for p in found] == ["conditions", "query", "actions"]
    conditions, actions, found = rules.validate(
        org, "intent = complaint", "reembolso*", "priority high"
    )
    assert found == []
    assert conditions == [{"field": "intent", "op": "=", "value": "complaint"}]
    assert actions == [{"type": "priority", "value": "high"}]


# --- operators by type ------------------------------------------------------------------------

ALL_OPS = sorted({op for ops in rules.TYPE_OPS.values() for op in ops})


def _sample_value(f: rules.Field, op: str):
    if op in rules.UNARY:
        return None
    if op == "is":
        return True
    one = {
        rules.NUMBER: 1,
        rules.BOOL: True,
        rules.LIST: "billing" if f.name == "intents" else "vip",
    }.get(f.type)
    if one is None:
        one = (
            rules.choices_of(f)
            or ("es" if f.name == "lang" else "ES" if f.name == "country" else "abc",)
        )[0]
    return [one] if op in rules.MANY else one


@pytest.mark.parametrize("name", sorted(rules.FIELDS))
def test_each_field_takes_exactly_its_types_operators(name):
    f = rules.FIELDS[name]
    for op in ALL_OPS:
        data = {"field": name, "op": op, "value": _sample_value(f, op)}
        if op in f.ops:
            assert rules.check_condition(data)["op"] == op
        else:
            with pytest.raises(ValueError, match="cannot be used with"):
                rules.check_condition(data)


def test_stored_conditions_of_the_wrong_shape_are_refused():
    for data in (
        "intent = complaint",
        {"field": "intent", "op": "=", "value": "complaint", "extra": 1},
        {"field": "intent", "op": "=", "value": ["complaint"]},
        {"field": "intent", "op": "in", "value": []},
        {"field": "intent", "op": "in", "value": "complaint"},
        {"field": "rating", "op": ">", "value": float("nan")},
        {"field": "rating", "op": ">", "value": True},
        {"field": "case.is_new", "op": "is", "value": "yes"},
        {"field": "case.priority", "op": "is set", "value": "high"},
        {"field": "text", "op": "contains", "value": "a\nb"},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - each shape fails with its own message
            rules.check_condition(data)


# --- each field, on real mentions -------------------------------------------------------------


@pytest.fixture
def real(org, add, users):
    """Two mentions through the real pipeline, routed as the routing stage would."""
    clock.set_now(NOW)
    complaint, bare = add(
        {
            "external_id": "c1",
            "kind": "review",
            "title": "Cobro doble",
            "text": "Quiero un reembolso YA: Acme Móvil me cobró dos veces, llamaré a mi abogado",
            "lang": "es-ES",
            "country": "es",
            "rating": 1,
            "created_at": "2026-11-20T10:00:00Z",
            "author": {
                "id": "u1",
                "handle": "Ana_R",
                "followers": 12000,
                "verified": True,
                "is_bot": False,
            },
        },
        {"external_id": "c2", "text": "hola", "created_at": "2026-11-20T11:00:00Z"},
    )
    routing = rules.OrgRouting.load(org)
    case = Case.objects.create(
        organisation=org,
        subject="s",
        status="open",
        priority="high",
        tags=["vip", "refund"],
        assignee=users["agent"],
        opened_at=NOW,
        updated_at=NOW,
    )
    return complaint, bare, routing, case


def _ctx(mention, routing, **kw):
    mention = Mention.objects.select_related("brand", "author", "understanding").get(pk=mention.pk)
    try:
        understanding = mention.understanding
    except Understanding.DoesNotExist:
        understanding = None
    playbook, decision = routing.route(mention, understanding)
    return rules.context(
        mention,
        understanding,
        playbook=playbook,
        decision=decision,
        teams_by_id=routing.teams_by_id,
        **kw,
    )


def holds(condition: str, ctx: dict) -> bool:
    return rules.compile_rule(
        1, "r", rules.parse_conditions(condition), "", [{"type": "escalate"}]
    ).matches(ctx)


def test_each_field_is_read_from_a_real_mention(real):
    complaint, _bare, routing, case = real
    u = Understanding.objects.get(mention=complaint)
    labels = [i["label"] for i in sorted(u.intents, key=lambda i: -i["confidence"])]
    playbook, decision = routing.route(complaint, u)
    owner = routing.teams_by_id[decision.owner_team_id].slug
    followers = complaint.author.followers
    ctx = _ctx(complaint, routing, case=case, is_new_case=False, contact_cases=3)
    other_intent = next(i for i in INTENTS if i not in labels)
    table = {
        "channel": ("channel = api", "channel in rss, x"),
        "kind": ("kind = review", "kind != review"),
        "visibility": ("visibility = public", "visibility = private"),
        "lang": ("lang = es", "lang in en, pt"),
        "text": ('text contains "REEMBOLSO ya"', "text contains devolución"),
        "title": ("title = cobro DOBLE", "title contains triple"),
        "country": ("country = ES", "country != es"),
        "rating": ("rating <= 2", "rating > 1"),
        "brand": ("brand = acme-movil", "brand = acme-hogar"),
        "author.handle": ("author.handle = ana_r", "author.handle in bea, carla"),
        "author.followers": ("author.followers >= 12k", "author.followers < 12000"),
        "author.verified": ("author.verified is true", "author.verified is false"),
        "author.is_bot": ("author.is_bot is false", "author.is_bot is not set"),
        "sentiment": (f"sentiment = {u.sentiment}", f"sentiment != {u.sentiment}"),
        "sentiment_score": (
            f"sentiment_score <= {u.sentiment_score}",
            f"sentiment_score > {u.sentiment_score}",
        ),
        "intent": (f"intent = {labels[0]}", f"intent = {other_intent}"),
        "intents": (f"intents has {labels[-1]}", f"intents has {other_intent}"),
        "urgency": (f"urgency >= {u.urgency}", f"urgency > {u.urgency}"),
        "urgency_level": (
            f"urgency_level = {u.urgency_level}",
            f"urgency_level != {u.urgency_level}",
        ),
        "playbook": (f"playbook = {playbook.intent}", f"playbook != {playbook.intent}"),
        "department": (f"department = {playbook.department}", "department is not set"),
        "model": ("model = hub_and_spoke", "model = honeycomb"),
        "owner_team": (f"owner_team = {owner}", "owner_team = agency"),
        "case.priority": ("case.priority = high", "case.priority in low, normal"),
        "case.status": ("case.status = open", "case.status = closed"),
        "case.tags": ("case.tags has any gold, vip", "case.tags has none refund, vip"),
        "case.is_new": ("case.is_new is false", "case.is_new is true"),
        "case.assignee": ("case.assignee = agent", "case.assignee != agent"),
        "contact.cases": ("contact.cases = 3", "contact.cases > 3"),
        "contact.followers": (f"contact.followers = {followers}", "contact.followers is not set"),
    }
    assert set(table) == set(rules.FIELDS)
    assert followers == 12000
    for name, (yes, no) in table.items():
        assert holds(yes, ctx), (name, yes, ctx[name])
        assert not holds(no, ctx), (name, no, ctx[name])


def test_unknown_values_only_match_is_not_set_and_the_negative_operators(real):
    _complaint, bare, routing, _case = real
    ctx = _ctx(bare, routing)
    for yes in [
        "author.followers is not set",
        "author.followers != 5",
        "rating is not set",
        "country not in ES, MX",
        "title not contains x",
        "case.tags has not vip",
        "case.tags has none vip",
        "case.tags is not set",
        "case.priority is not set",
        "case.assignee is not set",
        "author.verified is not set",
        "brand is not set",
        "contact.followers is not set",
        "case.is_new is true",
        "contact.cases = 0",
    ]:
        assert holds(yes, ctx), yes
    for no in [
        "author.followers < 100",
        "author.followers >= 0",
        "author.followers = 0",
        "author.verified is false",
        "author.verified is true",
        "rating < 5",
        "title contains x",
        "country = ES",
        "case.tags has vip",
        "case.priority is set",
    ]:
        assert not holds(no, ctx), no


def test_a_mention_not_understood_yet_has_no_understanding_fields(real):
    complaint, _bare, _routing, _case = real
    ctx = rules.context(complaint, None)
    for condition in (
        "sentiment is not set",
        "intent is not set",
        "intents is not set",
        "urgency is not set",
        "playbook is not set",
        "owner_team is not set",
    ):
        assert holds(condition, ctx), condition
    assert not holds("urgency < 1", ctx)


def test_what_the_context_does_not_hold_is_read_only_when_a_rule_asks(
    real, django_assert_num_queries
):
    complaint, _bare, routing, case = real
    mention = Mention.objects.get(pk=complaint.pk)  # brand and author not loaded
    understanding = Understanding.objects.get(mention=mention)
    playbook, decision = routing.route(mention, understanding)
    case = Case.objects.get(pk=case.pk)  # assignee not loaded
    with django_assert_num_queries(0):
        ctx = rules.context(mention, understanding, playbook=playbook, decision=decision, case=case)
        assert holds("channel = api", ctx)
    with django_assert_num_queries(4):
        assert holds("brand = acme-movil", ctx)
        assert holds("contact.followers = 12000", ctx)
        assert holds("case.assignee = agent", ctx)
        assert holds(f"owner_team = {routing.teams_by_id[decision.owner_team_id].slug}", ctx)
    with django_assert_num_queries(0):  # read once
        assert holds("brand != acme-hogar", ctx)


# --- order, stop processing, the index --------------------------------------------------------


def _plain_ctx(**values):
    """A context from unsaved objects (no database)."""
    mention = Mention(
        channel=values.get("channel", "x"),
        kind="post",
        visibility="public",
        lang=values.get("lang", "es"),
        text=values.get("text", "hola"),
        title="",
        country="",
        author_handle="ana",
        author_followers=values.get("followers"),
        author_verified=values.get("verified"),
        url="",
        urls=[],
    )
    intents = values.get("intents", ["complaint"])
    understanding = Understanding(
        sentiment=values.get("sentiment", "negative"),
        sentiment_score=-0.5,
        intents=[{"label": label, "confidence": 0.9 - n / 10} for n, label in enumerate(intents)],
        urgency=values.get("urgency", 0.5),
        urgency_level=values.get("urgency_level", "normal"),
    )
    playbooks = Playbooks()
    facts = rules.facts_of(mention, understanding)
    playbook = playbooks.choose(facts)
    decision = MODELS[values.get("model", "hub_and_spoke")].decide(facts, [], playbook)
    case = None
    if "tags" in values:
        case = Case(priority="normal", status="open", tags=values["tags"])
    ctx = rules.context(mention, understanding, playbook=playbook, decision=decision, case=case)
    return ctx, (mention, understanding, playbook, decision, case)


def test_rules_fire_in_position_order_and_stop_processing_ends_the_list():
    ruleset = rules.RuleSet(
        [
            rule(5, "channel = x", position=3),
            rule(2, "intent = complaint", position=1),
            rule(9, "sentiment = negative", position=2, stop=True),
            rule(1, "intent = complaint", position=1),
            rule(4, "", position=9),
        ]
    )
    ctx, _objects = _plain_ctx()
    fired = ruleset.evaluate(ctx)
    assert fired_ids(fired) == [1, 2, 9]  # ties by id; 9 stops; 5 and 4 never looked at
    assert fired[0] == rules.Fired(1, "rule 1", ({"type": "tag", "tags": ["r1"]},))
    assert ruleset.stopped(fired)
    ctx, _objects = _plain_ctx(sentiment="positive")
    assert fired_ids(ruleset.evaluate(ctx)) == [1, 2, 5, 4]


def test_a_stop_that_does_not_fire_stops_nothing():
    ruleset = rules.RuleSet([rule(1, "intent = praise", stop=True), rule(2, "")])
    ctx, _objects = _plain_ctx()
    assert fired_ids(ruleset.evaluate(ctx)) == [2]


def test_for_org_reads_enabled_rules_in_order_and_skips_broken_ones(org, other_org):
    Rule.objects.bulk_create(
        [
            Rule(
                organisation=org,
                name="b",
                position=2,
                conditions=[],
                actions=[{"type": "escalate"}],
                updated_at=NOW,
            ),
            Rule(
                organisation=org,
                name="a",
                position=1,
                conditions=[],
                actions=[{"type": "open_case"}],
                updated_at=NOW,
            ),
            Rule(
                organisation=org,
                name="off",
                position=0,
                enabled=False,
                conditions=[],
                actions=[{"type": "escalate"}],
                updated_at=NOW,
            ),
            Rule(
                organisation=org,
                name="broken",
                position=0,
                conditions=[{"field": "gone", "op": "=", "value": 1}],
                actions=[{"type": "escalate"}],
                updated_at=NOW,
            ),
            Rule(
                organisation=other_org,
                name="other",
                position=0,
                conditions=[],
                actions=[{"type": "escalate"}],
                updated_at=NOW,
            ),
        ]
    )
    ruleset = rules.RuleSet.for_org(org.id)
    ctx, _objects = _plain_ctx()
    assert [f.rule_name for f in ruleset.evaluate(ctx)] == ["a", "b"]
    assert [(name, "unknown field “gone”" in reason) for _id, name, reason in ruleset.broken] == [
        ("broken", True)
    ]


def test_the_query_document_is_built_only_when_a_query_rule_is_reached():
    ruleset = rules.RuleSet(
        [
            rule(1, "intent = praise", query="hola"),
            rule(2, "channel = rss", query="hola"),
            rule(3, "", stop=True),
            rule(4, "", query="hola"),
        ]
    )
    ctx, _objects = _plain_ctx()
    assert fired_ids(ruleset.evaluate(ctx)) == [3]
    assert "_doc" not in ctx
    ruleset = rules.RuleSet([rule(1, "channel = x", query="hola OR adios")])
    assert fired_ids(ruleset.evaluate(ctx)) == [1]
    assert isinstance(ctx["_doc"], Doc)


def test_query_conditions_use_the_listening_language():
    ctx, _objects = _plain_ctx(text="Quiero un REEMBOLSO, ya", lang="es")
    for query, expected in [
        ("reembolso", True),
        ("reembols*", True),
        ('"un reembolso"', True),
        ("reembolso AND NOT lang:es", False),
        ("sentiment:negative AND intent:complaint", True),
        ("devolución OR refund", False),
    ]:
        ruleset = rules.RuleSet([rule(1, "", query=query)])
        assert bool(ruleset.evaluate(dict(ctx))) is expected, query


VOCABULARY = ["reembolso", "cobro", "hola", "app", "lento", "gracias"]
TEXT_FIELDS_FOR_RANDOM = {
    "channel": ["x", "rss", "reddit", "email"],
    "lang": ["es", "en", "pt"],
    "intent": ["complaint", "praise", "billing", "question"],
    "playbook": ["complaint", "praise", "billing", "question", "none"],
    "sentiment": ["negative", "neutral", "positive"],
    "urgency_level": ["low", "normal", "high", "critical"],
}


def _random_condition(rnd: random.Random) -> dict:
    kind = rnd.choice(["choice", "choice", "choice", "number", "bool", "list", "text"])
    if kind == "choice":
        name = rnd.choice(sorted(TEXT_FIELDS_FOR_RANDOM))
        op = rnd.choice(["=", "!=", "in", "not in", "is set", "is not set"])
        pool = TEXT_FIELDS_FOR_RANDOM[name]
        value = (
            None
            if op in rules.UNARY
            else (rnd.sample(pool, rnd.randint(1, 2)) if op in rules.MANY else rnd.choice(pool))
        )
    elif kind == "number":
        name = rnd.choice(["author.followers", "urgency"])
        op = rnd.choice(["=", "!=", ">", ">=", "<", "<=", "is set", "is not set"])
        value = (
            None
            if op in rules.UNARY
            else (
                rnd.choice([0, 100, 10000])
                if name == "author.followers"
                else rnd.choice([0, 0.5, 1])
            )
        )
    elif kind == "bool":
        name, op = "author.verified", rnd.choice(["is", "is set", "is not set"])
        value = rnd.choice([True, False]) if op == "is" else None
    elif kind == "list":
        name = rnd.choice(["intents", "case.tags"])
        pool = ["complaint", "billing", "praise"] if name == "intents" else ["vip", "gold"]
        op = rnd.choice(["has", "has not", "has any", "has none", "is set", "is not set"])
        value = (
            None
            if op in rules.UNARY
            else (rnd.sample(pool, rnd.randint(1, 2)) if op in rules.MANY else rnd.choice(pool))
        )
    else:
        name, op = "text", rnd.choice(["contains", "not contains"])
        value = rnd.choice(VOCABULARY).upper()
    return rules.check_condition({"field": name, "op": op, "value": value})


def _naive_value(name: str, objects) -> object:
    """The field's value read straight from the objects (the oracle's own reading)."""
    mention, understanding, playbook, _decision, case = objects
    intents = [i["label"] for i in sorted(understanding.intents, key=lambda i: -i["confidence"])]
    return {
        "channel": mention.channel,
        "lang": mention.lang,
        "intent": intents[0] if intents else None,
        "playbook": playbook.intent,
        "sentiment": understanding.sentiment,
        "urgency_level": understanding.urgency_level,
        "author.followers": mention.author_followers,
        "urgency": understanding.urgency,
        "author.verified": mention.author_verified,
        "intents": intents,
        "case.tags": list(case.tags) if case else [],
        "text": " ".join(fold(mention.text).split()),
    }[name]


def _naive_holds(cond: dict, objects) -> bool:
    value, op, wanted = _naive_value(cond["field"], objects), cond["op"], cond["value"]
    if cond["field"] == "text" and wanted is not None:
        wanted = fold(wanted)
    known = value not in (None, "", [])
    positive = {
        "=": lambda: known and value == wanted,
        "in": lambda: known and value in wanted,
        "contains": lambda: known and wanted in value,
        "has": lambda: wanted in value,
        "has any": lambda: any(w in value for w in wanted),
        ">": lambda: known and value > wanted,
        ">=": lambda: known and value >= wanted,
        "<": lambda: known and value < wanted,
        "<=": lambda: known and value <= wanted,
        "is": lambda: value is wanted,
        "is set": lambda: known,
    }
    negative = {
        "!=": "=",
        "not in": "in",
        "not contains": "contains",
        "has not": "has",
        "has none": "has any",
        "is not set": "is set",
    }
    if op in negative:
        return not positive[negative[op]]()
    return positive[op]()


def _naive(rule_rows: list[Rule], objects) -> list[int]:
    mention, understanding = objects[0], objects[1]
    fired = []
    for row in sorted(rule_rows, key=lambda r: (r.position, r.id)):
        ok = all(_naive_holds(c, objects) for c in row.conditions)
        if ok and row.query:
            ok = Query(row.query).matches(Doc.from_mention(mention, understanding=understanding))
        if ok:
            fired.append(row.id)
            if row.stop_processing:
                break
    return fired


@given(st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None)
def test_the_index_never_changes_what_fires_nor_its_order(rnd):
    rule_rows = [
        rule(
            n,
            [_random_condition(rnd) for _ in range(rnd.randint(0, 3))],
            query=rnd.choice(["", "", "", "", "reembolso OR cobro", "NOT hola"]),
            position=rnd.randint(0, 10),
            stop=rnd.random() < 0.1,
        )
        for n in range(1, 61)
    ]
    indexed = rules.RuleSet(rule_rows)
    plain = rules.RuleSet(rule_rows, index=False)
    for _ in range(25):
        values = {
            "channel": rnd.choice(TEXT_FIELDS_FOR_RANDOM["channel"]),
            "lang": rnd.choice(TEXT_FIELDS_FOR_RANDOM["lang"]),
            "intents": rnd.sample(
                ["complaint", "praise", "billing", "question"], rnd.randint(0, 2)
            ),
            "sentiment": rnd.choice(TEXT_FIELDS_FOR_RANDOM["sentiment"]),
            "urgency": rnd.choice([0.0, 0.5, 0.9, None]),
            "urgency_level": rnd.choice(TEXT_FIELDS_FOR_RANDOM["urgency_level"]),
            "followers": rnd.choice([None, 0, 50, 10000, 99999]),
            "verified": rnd.choice([None, True, False]),
            "text": " ".join(rnd.choices(VOCABULARY, k=4)),
        }
        if rnd.random() < 0.5:
            values["tags"] = rnd.sample(["vip", "gold", "x"], rnd.randint(0, 2))
        ctx, objects = _plain_ctx(**values)
        expected = _naive(rule_rows, objects)
        assert fired_ids(indexed.evaluate(dict(ctx))) == expected
        assert fired_ids(plain.evaluate(dict(ctx))) == expected
        assert fired_ids(indexed.evaluate(dict(ctx))) == expected  # the memo gives the same


def test_rules_are_indexed_by_an_equality_on_intent_playbook_channel_or_lang():
    ruleset = rules.RuleSet(
        [
            rule(1, "lang = es\nchannel in x, rss\nintent in billing, complaint"),
            rule(2, "lang = es\nchannel = rss"),
            rule(3, "lang in es, pt"),
            rule(4, "intent != complaint\nsentiment = negative"),
        ]
    )
    assert [r.index for r in ruleset.rules] == [
        ("intent", frozenset({"billing", "complaint"})),
        ("channel", frozenset({"rss"})),
        ("lang", frozenset({"es", "pt"})),
        None,
    ]


# --- the audit rows ---------------------------------------------------------------------------


def test_record_fires_builds_rows_for_a_bulk_insert(org, add):
    (mention,) = add({"external_id": "a1", "text": "hola"})
    stored = Rule.objects.create(
        organisation=org, name="VIP", conditions=[], actions=[{"type": "escalate"}], updated_at=NOW
    )
    case = Case.objects.create(organisation=org, opened_at=NOW, updated_at=NOW)
    fired = rules.RuleSet.for_org(org.id).evaluate(rules.context(mention, None))
    rows = rules.record_fires(org.id, [(mention.id, case.id, fired)], NOW)
    assert RuleFire.objects.count() == 0
    assert insert_rows(RuleFire, rules.FIRE_FIELDS, rows, ignore_conflicts=False) == 1
    fire = RuleFire.objects.get()
    assert (fire.rule_id, fire.rule_name, fire.mention_id, fire.case_id, fire.at) == (
        stored.id,
        "VIP",
        mention.id,
        case.id,
        NOW,
    )
    assert fire.actions == [{"type": "escalate"}]
    stored.delete()
    fire.refresh_from_db()
    assert (fire.rule_id, fire.rule_name) == (None, "VIP")


# --- dry run ----------------------------------------------------------------------------------


def test_a_dry_run_examines_recent_mentions_and_writes_nothing(org, add, users):
    clock.set_now(NOW)
    old, *recent = add(
        {"external_id": "old", "text": "reembolso antiguo", "created_at": "2026-10-01T10:00:00Z"},
        *[
            {
                "external_id": f"m{n}",
                "text": f"quiero un reembolso {n}" if n % 2 else "hola",
                "created_at": f"2026-11-{10 + n:02d}T10:00:00Z",
            }
            for n in range(8)
        ],
    )
    conditions, actions, found = rules.validate(org, "channel = api", "reembolso", "priority high")
    assert found == []
    counts = (Rule.objects.count(), RuleFire.objects.count(), Case.objects.count())
    with CaptureQueriesContext(connection) as queries:
        result = rules.dry_run(org, conditions, "reembolso", actions)
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert (Rule.objects.count(), RuleFire.objects.count(), Case.objects.count()) == counts
    assert (result.examined, result.matched) == (8, 4)
    assert [e.mention_id for e in result.examples] == [
        m.id for m in reversed(recent) if "reembolso" in m.text
    ]
    assert result.examples[0].actions == ({"type": "priority", "value": "high"},)
    assert "reembolso" in result.examples[0].excerpt
    assert old.id not in {e.mention_id for e in result.examples}
    assert not result.truncated
    limited = rules.dry_run(org, conditions, "reembolso", actions, limit=3)
    assert (limited.examined, limited.truncated) == (3, True)
    wider = rules.dry_run(org, conditions, "reembolso", actions, days=60)
    assert (wider.examined, wider.matched) == (9, 5)


def test_a_dry_run_computes_routing_and_case_fields(org, add):
    clock.set_now(NOW)
    first, reply = add(
        {
            "external_id": "r1",
            "text": "La app no funciona, ayuda",
            "created_at": "2026-11-19T10:00:00Z",
        },
        {"external_id": "r2", "text": "¿alguien?", "created_at": "2026-11-19T11:00:00Z"},
    )
    case = Case.objects.create(
        organisation=org,
        status="open",
        priority="critical",
        tags=["vip"],
        first_mention=first,
        opened_at=NOW,
        updated_at=NOW,
    )
    CaseMention.objects.create(case=case, mention=first, added_at=NOW)
    CaseMention.objects.create(case=case, mention=reply, added_at=NOW)
    result = rules.dry_run(
        org,
        rules.parse_conditions("model = hub_and_spoke\nowner_team is set"),
        "",
        [{"type": "escalate"}],
    )
    assert result.matched == 2
    joined = rules.dry_run(
        org,
        rules.parse_conditions("case.is_new is false\ncase.tags has vip"),
        "",
        [{"type": "escalate"}],
    )
    assert [(e.mention_id, e.case_id) for e in joined.examples] == [(reply.id, case.id)]
    opened = rules.dry_run(
        org, rules.parse_conditions("case.is_new is true"), "", [{"type": "escalate"}]
    )
    assert [(e.mention_id, e.case_id) for e in opened.examples] == [(first.id, case.id)]


def test_a_dry_run_counts_matches_an_earlier_stopping_rule_takes(org, add, users):
    clock.set_now(NOW)
    add(
        *[
            {
                "external_id": f"m{n}",
                "text": "hola" if n < 3 else "adiós",
                "created_at": "2026-11-19T10:00:00Z",
            }
            for n in range(5)
        ]
    )
    stopper = rules.create_rule(
        users["director"],
        org,
        name="stop hola",
        query="hola",
        actions="tag hola",
        stop_processing=True,
    )
    editing = rules.create_rule(users["director"], org, name="later", actions="escalate")
    draft = rules.parse_actions("open_case")
    result = rules.dry_run(org, [], "", draft)  # a new rule goes last
    assert (result.matched, result.preempted) == (5, 3)
    result = rules.dry_run(org, [], "", draft, rule=editing)
    assert result.preempted == 3
    result = rules.dry_run(org, [], "", draft, rule=stopper)  # nothing before it
    assert result.preempted == 0


def test_a_dry_run_refuses_a_rule_that_cannot_be_evaluated(org):
    with pytest.raises(rules.RuleError):
        rules.dry_run(org, [{"field": "nope", "op": "=", "value": 1}], "", [{"type": "escalate"}])


# --- changing rules ---------------------------------------------------------------------------


def test_new_rules_go_last_and_can_be_moved(org, users):
    director = users["director"]
    a = rules.create_rule(
        director, org, name="  A  rule ", conditions="intent = complaint", actions="escalate"
    )
    b = rules.create_rule(director, org, name="B", actions="open_case", enabled=False)
    c = rules.create_rule(director, org, name="C", query="hola", actions="create_lead")
    assert a.name == "A rule"
    assert a.created_by == director
    assert [r.name for r in rules.rules_of(org)] == ["A rule", "B", "C"]
    rules.move_rule(director, c, "up")
    assert [r.name for r in rules.rules_of(org)] == ["A rule", "C", "B"]
    rules.move_rule(director, a, "up")  # already first: nothing moves
    rules.move_rule(director, a, "down")
    assert [r.name for r in rules.rules_of(org)] == ["C", "A rule", "B"]
    assert [r.position for r in rules.rules_of(org)] == [1, 2, 3]
    rules.set_enabled(director, b, True)
    assert [
        f.rule_name for f in rules.RuleSet.for_org(org.id).evaluate(_plain_ctx(text="hola")[0])
    ] == ["C", "A rule", "B"]


def test_an_invalid_change_saves_nothing(org, users):
    director = users["director"]
    stored = rules.create_rule(
        director, org, name="Keep", conditions="channel = x", actions="escalate"
    )
    with pytest.raises(rules.RuleError) as caught:
        rules.update_rule(
            director, stored, name="", conditions="channel = nowhere", query="(", actions=""
        )
    assert [p.part for p in caught.value.problems] == ["name", "conditions", "query", "actions"]
    stored.refresh_from_db()
    assert (stored.name, stored.conditions) == (
        "Keep",
        [{"field": "channel", "op": "=", "value": "x"}],
    )
    with pytest.raises(rules.RuleError):
        rules.create_rule(director, org, name="x" * 201, actions="escalate")
    assert Rule.objects.count() == 1


@pytest.mark.parametrize("role", ["agent", "analyst", "tool_admin", "everyone"])
def test_only_rule_managers_change_rules(org, users, role):
    stored = rules.create_rule(users["area_manager"], org, name="R", actions="escalate")
    user = users[role]
    for change in (
        lambda: rules.create_rule(user, org, name="X", actions="escalate"),
        lambda: rules.update_rule(user, stored, name="X", actions="escalate"),
        lambda: rules.move_rule(user, stored, "down"),
        lambda: rules.set_enabled(user, stored, False),
        lambda: rules.delete_rule(user, stored),
    ):
        with pytest.raises(PermissionDenied):
            change()
    stored.refresh_from_db()
    assert (stored.name, stored.enabled) == ("R", True)


def test_a_manager_of_one_organisation_cannot_change_anothers_rules(org, other_org, users):
    foreign = Rule.objects.create(
        organisation=other_org, name="F", actions=[{"type": "escalate"}], updated_at=NOW
    )
    with pytest.raises(PermissionDenied):
        rules.update_rule(users["director"], foreign, name="mine", actions="escalate")
    with pytest.raises(PermissionDenied):
        rules.create_rule(users["director"], other_org, name="mine", actions="escalate")
    with pytest.raises(rules.RuleNotFound):
        rules.get_rule_for(users["director"], org, foreign.id)


# --- docs -------------------------------------------------------------------------------------


def test_every_field_and_action_is_documented():
    docs = DOCS.read_text()
    assert "\n## Rules\n" in docs
    docs = "## Rules\n" + docs.split("\n## Rules\n", 1)[1].split("\n## ", 1)[0]
    for name in rules.FIELDS:
        assert f"| `{name}` |" in docs, name
    for kind in rules.ACTION_TYPES:
        assert f'"type": "{kind}"' in docs, kind
    for ops in rules.TYPE_OPS.values():
        for op in ops:
            assert f"`{'is true' if op == 'is' else op}`" in docs, op
    assert all(name in (rules.__doc__ or "") for name in rules.FIELDS)
