"""Engagement models and playbooks: the pure routing decision (no database)."""

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.engagement import models_of_engagement as moe
from panal.engagement.models_of_engagement import (
    ALL,
    MODELS,
    Decision,
    EngagementModel,
    Facts,
    TeamInfo,
    Teams,
    UnknownModel,
    for_organisation,
    route,
)
from panal.engagement.playbooks import (
    ACTIONS,
    CRISIS,
    DEFAULT_PLAYBOOKS,
    INTENTS,
    NO_INTENT,
    PRIORITIES,
    Playbook,
    PlaybookError,
    Playbooks,
    choose,
)
from panal.org.choices import Department
from panal.org.choices import EngagementModel as ModelChoice
from panal.org.models import Team

# --- a realistic organisation: one brand, a social hub and seven departments ---------------

HUB, CARE, SALES, BILLING, PRODUCT, LEGAL, PR, MARKETING = range(1, 9)
ORG = [
    TeamInfo(HUB, "social-hub", "marketing", None, True),
    TeamInfo(CARE, "care", "customer_service"),
    TeamInfo(SALES, "sales", "sales"),
    TeamInfo(BILLING, "billing", "billing"),
    TeamInfo(PRODUCT, "product", "product"),
    TeamInfo(LEGAL, "legal", "legal"),
    TeamInfo(PR, "press", "pr"),
    TeamInfo(MARKETING, "marketing", "marketing"),
]
ORG_IDS = frozenset(t.id for t in ORG)

# --- a two-brand dandelion: a central hub over the hubs of Acme Movil and Acme Hogar ------

MOVIL, HOGAR, NEWCO = 10, 20, 30
CENTRAL, MOVIL_HUB, HOGAR_HUB, MOVIL_BILLING, SHARED_BILLING, HOGAR_SALES = range(100, 106)
SHARED_PR, SHARED_LEGAL, MOVIL_CARE = 106, 107, 108
DANDELION = [
    TeamInfo(CENTRAL, "central-hub", "marketing", None, True),
    TeamInfo(MOVIL_HUB, "movil-hub", "customer_service", MOVIL, True),
    TeamInfo(HOGAR_HUB, "hogar-hub", "customer_service", HOGAR, True),
    TeamInfo(MOVIL_BILLING, "movil-billing", "billing", MOVIL),
    TeamInfo(SHARED_BILLING, "billing", "billing", None),
    TeamInfo(HOGAR_SALES, "hogar-sales", "sales", HOGAR),
    TeamInfo(SHARED_PR, "press", "pr", None),
    TeamInfo(SHARED_LEGAL, "legal", "legal", None),
    TeamInfo(MOVIL_CARE, "movil-care", "customer_service", MOVIL),
]


def facts(*intents, **kw):
    return Facts(intents=tuple(intents), **kw)


def decide(model, teams, *intents, playbooks=None, **kw):
    return route(model, facts(*intents, **kw), teams, playbooks)


def without(teams, *ids):
    return [t for t in teams if t.id not in ids]


# --- the registry ------------------------------------------------------------------------


def test_one_model_per_engagement_model_choice():
    assert set(MODELS) == set(ModelChoice.values)
    for name, model in MODELS.items():
        assert model.name == name
        assert isinstance(model, EngagementModel)
        assert for_organisation(name) is model


def test_unknown_model_is_refused_by_name():
    with pytest.raises(UnknownModel, match="'wheel'"):
        for_organisation("wheel")


def test_register_refuses_a_taken_name_and_accepts_a_new_model():
    class Everyone:
        name = "test_everyone"
        label = "everyone"

        def decide(self, facts, teams, playbook):
            teams = Teams.of(teams)
            owner = teams.all[0].id
            return Decision(self.name, playbook.intent, owner, owner, ALL, ALL, frozenset(), "x")

    with pytest.raises(ValueError, match="already registered"):
        moe.register(MODELS["honeycomb"])
    everyone = Everyone()
    assert moe.register(everyone) is everyone
    try:
        assert for_organisation("test_everyone") is everyone
        assert route("test_everyone", facts("praise"), ORG).owner_team_id == BILLING  # by slug
    finally:
        del MODELS["test_everyone"]


def test_changing_the_model_changes_routing_of_the_next_mention():
    billing_mention = facts("complaint", "billing")
    owners = {name: route(name, billing_mention, ORG).owner_team_id for name in MODELS}
    assert owners == {
        "decentralized": BILLING,
        "centralized": HUB,
        "hub_and_spoke": HUB,
        "multiple_hub_and_spoke": HUB,
        "honeycomb": BILLING,
    }


# --- decentralized -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intents", "owner"),
    [
        (("praise",), MARKETING),  # the non-hub marketing team, not the hub
        (("complaint",), CARE),
        (("question",), CARE),
        (("technical_support",), CARE),
        (("billing",), BILLING),
        (("media_opportunity",), PR),
        (("purchase_intent",), SALES),
        (("product_idea",), PRODUCT),
        (("legal_risk",), LEGAL),
        (("competitor",), MARKETING),
        (("complaint", "legal_risk"), LEGAL),
    ],
)
def test_decentralized_the_playbook_department_owns_and_answers(intents, owner):
    d = decide("decentralized", ORG, *intents)
    assert d.owner_team_id == d.domain_team_id == owner
    assert d.may_answer == {owner}
    assert d.visible_to == {owner} | d.also_notify
    assert not d.shared
    assert d.fallbacks == ()
    assert d.reason.startswith("decentralized: ") and "no triage" in d.reason


def test_decentralized_question_connects_sales():
    d = decide("decentralized", ORG, "question")
    assert d.owner_team_id == CARE
    assert d.also_notify == {SALES}
    assert d.can_see(SALES) and not d.can_answer(SALES)


def test_decentralized_falls_back_to_customer_service_then_any_team():
    d = decide("decentralized", without(ORG, HUB, MARKETING), "recruiting_hr")
    assert d.owner_team_id == CARE
    assert d.fallbacks == ("no_domain_team",)
    assert "no hr team, so the customer service team (care) owns it" in d.reason

    d = decide("decentralized", without(ORG, CARE), "recruiting_hr")
    assert d.owner_team_id == HUB  # the first hub
    assert d.fallbacks == ("no_domain_team", "no_customer_service")
    assert "no customer service team" in d.reason

    two = [TeamInfo(9, "zeta", "sales"), TeamInfo(3, "alpha", "legal")]
    d = decide("decentralized", two, "recruiting_hr")
    assert d.owner_team_id == 3  # no hub: the first team by slug


def test_no_intent_and_spam_go_to_the_front_line():
    for intents in [(), ("spam",), ("not-a-label",)]:
        d = decide("decentralized", ORG, *intents)
        assert d.owner_team_id == CARE
        assert "no_department" in d.fallbacks
        assert "names no department" in d.reason


# --- centralized -------------------------------------------------------------------------


def test_centralized_the_hub_owns_and_answers_departments_only_see():
    d = decide("centralized", ORG, "billing")
    assert d.owner_team_id == HUB
    assert d.domain_team_id == BILLING
    assert d.may_answer == {HUB}
    assert d.visible_to == {HUB, BILLING}
    assert d.reason == (
        "centralized: the central team (social-hub) owns and answers; "
        "the billing team (billing) only sees it"
    )


def test_centralized_without_a_hub_customer_service_is_the_central_team():
    d = decide("centralized", without(ORG, HUB), "legal_risk")
    assert d.owner_team_id == CARE
    assert d.may_answer == {CARE}
    assert d.domain_team_id == LEGAL
    assert d.fallbacks == ("no_hub",)
    assert "no hub team: the customer service team (care) stands in" in d.reason


def test_centralized_without_hub_or_customer_service_the_first_team_stands_in():
    d = decide("centralized", without(ORG, HUB, CARE), "praise")
    assert d.owner_team_id == BILLING  # "billing" is first by slug
    assert d.fallbacks == ("no_hub", "no_customer_service")


# --- hub and spoke -----------------------------------------------------------------------


def test_hub_and_spoke_the_hub_triages_and_the_spoke_may_answer():
    d = decide("hub_and_spoke", ORG, "billing")
    assert (d.owner_team_id, d.domain_team_id) == (HUB, BILLING)
    assert d.may_answer == {HUB, BILLING}
    assert d.visible_to == {HUB, BILLING}
    assert d.also_notify == frozenset()
    assert d.reason == (
        "hub and spoke: the hub (social-hub) triages; "
        "the billing team (billing) is the spoke for this intent"
    )


def test_hub_and_spoke_purchase_intent_goes_to_the_sales_spoke():
    d = decide("hub_and_spoke", ORG, "purchase_intent", "question")
    assert (d.owner_team_id, d.domain_team_id) == (HUB, SALES)
    assert d.intent == "purchase_intent"


def test_hub_and_spoke_without_a_spoke_the_hub_does_the_work():
    d = decide("hub_and_spoke", without(ORG, LEGAL), "legal_risk")
    assert d.owner_team_id == d.domain_team_id == HUB
    assert d.may_answer == {HUB}
    assert d.fallbacks == ("no_domain_team",)
    assert "no legal team, so the hub does the work" in d.reason


def test_hub_and_spoke_when_the_hub_is_customer_service():
    teams = [replace(t, is_hub=t.id == CARE) for t in without(ORG, HUB)]
    d = decide("hub_and_spoke", teams, "complaint")
    assert d.owner_team_id == d.domain_team_id == CARE
    assert "is itself the team for this intent" in d.reason


def test_hub_and_spoke_without_any_hub_customer_service_triages():
    d = decide("hub_and_spoke", without(ORG, HUB), "billing")
    assert (d.owner_team_id, d.domain_team_id) == (CARE, BILLING)
    assert "no_hub" in d.fallbacks


# --- honeycomb ---------------------------------------------------------------------------


def test_honeycomb_the_domain_owns_and_everyone_sees_and_may_answer():
    d = decide("honeycomb", ORG, "media_opportunity")
    assert d.owner_team_id == d.domain_team_id == PR
    assert d.visible_to is ALL and d.may_answer is ALL
    assert d.shared
    assert all(d.can_answer(t) and d.can_see(t) for t in ORG_IDS)
    assert "collision detection" in d.reason
    assert d.as_dict()["may_answer"] == "all"


# --- the dandelion -----------------------------------------------------------------------


def test_dandelion_a_brand_mention_goes_to_its_brand_hub_and_brand_spoke():
    d = decide("multiple_hub_and_spoke", DANDELION, "billing", brand_id=MOVIL)
    assert (d.owner_team_id, d.domain_team_id) == (MOVIL_HUB, MOVIL_BILLING)
    assert d.may_answer == {MOVIL_HUB, MOVIL_BILLING}
    assert d.visible_to == {CENTRAL, MOVIL_HUB, MOVIL_BILLING}  # the central hub oversees
    assert d.reason.startswith("dandelion: the hub of brand 10 (movil-hub) owns it")


def test_dandelion_a_brand_without_its_own_spoke_uses_the_brandless_one():
    d = decide("multiple_hub_and_spoke", DANDELION, "billing", brand_id=HOGAR)
    assert (d.owner_team_id, d.domain_team_id) == (HOGAR_HUB, SHARED_BILLING)


def test_dandelion_never_hands_work_to_another_brands_spoke():
    d = decide("multiple_hub_and_spoke", DANDELION, "purchase_intent", brand_id=HOGAR)
    assert (d.owner_team_id, d.domain_team_id) == (HOGAR_HUB, HOGAR_SALES)
    d = decide("multiple_hub_and_spoke", DANDELION, "purchase_intent", brand_id=MOVIL)
    assert d.owner_team_id == d.domain_team_id == MOVIL_HUB
    assert HOGAR_SALES not in d.visible_to
    assert d.fallbacks == ("no_domain_team",)


def test_dandelion_the_brand_own_customer_service_is_preferred_over_its_hub():
    d = decide("multiple_hub_and_spoke", DANDELION, "complaint", brand_id=MOVIL)
    assert (d.owner_team_id, d.domain_team_id) == (MOVIL_HUB, MOVIL_CARE)


def test_dandelion_no_brand_or_an_unknown_brand_goes_to_the_central_hub():
    d = decide("multiple_hub_and_spoke", DANDELION, "legal_risk")
    assert (d.owner_team_id, d.domain_team_id) == (CENTRAL, SHARED_LEGAL)
    assert "no brand, so the central hub (central-hub) owns it" in d.reason
    d = decide("multiple_hub_and_spoke", DANDELION, "billing", brand_id=NEWCO)
    assert (d.owner_team_id, d.domain_team_id) == (CENTRAL, SHARED_BILLING)
    assert d.fallbacks == ("no_brand_hub",)


def test_dandelion_crisis_the_central_hub_owns_and_the_brand_hub_is_told():
    d = decide("multiple_hub_and_spoke", DANDELION, "complaint", brand_id=HOGAR, is_crisis=True)
    assert d.intent == CRISIS
    assert (d.owner_team_id, d.domain_team_id) == (CENTRAL, SHARED_PR)
    assert d.also_notify == {SHARED_PR, HOGAR_HUB}
    assert d.visible_to >= {CENTRAL, SHARED_PR, HOGAR_HUB}
    assert d.may_answer == {CENTRAL, SHARED_PR}


def test_dandelion_without_a_central_hub_a_brand_hub_stands_in():
    teams = without(DANDELION, CENTRAL)
    d = decide("multiple_hub_and_spoke", teams, "billing", brand_id=MOVIL)
    assert d.owner_team_id == MOVIL_HUB
    assert "no_central_hub" in d.fallbacks
    d = decide("multiple_hub_and_spoke", teams, "billing")
    assert d.owner_team_id == HOGAR_HUB  # the first hub by slug
    assert d.domain_team_id == SHARED_BILLING


# --- crisis ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "owner"),
    [
        ("decentralized", PR),
        ("centralized", HUB),
        ("hub_and_spoke", HUB),
        ("multiple_hub_and_spoke", HUB),
        ("honeycomb", PR),
    ],
)
def test_crisis_overrides_the_intent_and_tells_pr_and_the_director(model, owner):
    d = decide(model, ORG, "praise", is_crisis=True)
    assert d.intent == CRISIS
    assert d.owner_team_id == owner
    # PR / community and the director's team (the hub) are told at once; never the owner
    assert d.also_notify == {PR, HUB} - {owner}
    assert d.visible_to is ALL or d.visible_to >= {PR, HUB}
    assert "crisis: PR / community and the director's team are notified at once" in d.reason


def test_the_director_team_can_be_named():
    teams = Teams(ORG, director_team_id=MARKETING)
    d = moe.route("hub_and_spoke", facts("praise", is_crisis=True), teams)
    assert d.also_notify == {PR, MARKETING}


def test_the_director_team_without_hubs_is_marketing():
    d = decide("decentralized", without(ORG, HUB), "complaint", is_crisis=True)
    assert d.also_notify == {MARKETING}  # PR owns it


# --- missing teams -----------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(MODELS))
def test_no_teams_never_crashes(model):
    d = decide(model, [], "complaint", is_crisis=True)
    assert d.owner_team_id is None and d.domain_team_id is None
    assert d.may_answer == frozenset() and d.visible_to == frozenset()
    assert d.fallbacks == ("no_teams",)
    assert "no team" in d.reason


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_lone_team_owns_everything(model):
    lone = [TeamInfo(42, "everyone", "agency")]
    for intents in [(), ("billing",), ("question", "praise")]:
        d = decide(model, lone, *intents, brand_id=MOVIL)
        assert d.owner_team_id == d.domain_team_id == 42
        assert d.can_answer(42)


def test_single_hub_models_use_another_brands_team_as_a_last_resort():
    teams = [*without(ORG, BILLING), TeamInfo(77, "hogar-billing", "billing", HOGAR)]
    d = decide("hub_and_spoke", teams, "billing", brand_id=MOVIL)
    assert d.domain_team_id == 77
    assert d.fallbacks == ("other_brand_team",)
    assert "only another brand's billing team exists" in d.reason


# --- teams -------------------------------------------------------------------------------


def test_team_info_from_an_unsaved_team_row():
    team = Team(id=5, slug="care", name="Care", department="customer_service", is_hub=True)
    assert TeamInfo.of(team) == TeamInfo(5, "care", "customer_service", None, True)


def test_a_prebuilt_index_and_a_plain_list_decide_the_same():
    index = Teams(ORG)
    for model in MODELS:
        for intents in [("billing",), ("question",), ()]:
            f = facts(*intents)
            assert route(model, f, index) == route(model, f, ORG)
    assert len(index) == len(ORG) and next(iter(index)).slug == "billing"
    assert index.get(PR).slug == "press" and index.get(999) is None


def test_decision_as_dict_is_json():
    d = decide("hub_and_spoke", ORG, "question")
    data = json.loads(json.dumps(d.as_dict()))
    assert data["visible_to"] == [HUB, CARE, SALES]
    assert data["also_notify"] == [SALES]
    assert data["model"] == "hub_and_spoke" and data["intent"] == "question"


# --- playbooks ---------------------------------------------------------------------------


def test_intents_and_priorities_match_the_understanding_app():
    from panal.understanding import intent, urgency

    assert list(INTENTS) == intent.LABELS
    assert NO_INTENT == intent.NONE
    assert PRIORITIES == urgency.LEVELS


def test_default_playbooks_follow_the_seeds():
    seeds = {
        "praise": ("marketing", ("thank",), False),
        "complaint": ("customer_service", ("apologise_and_open_case",), True),
        "question": ("customer_service", ("answer_and_connect_sales",), True),
        "technical_support": ("customer_service", ("open_case",), True),
        "billing": ("billing", ("route_to_billing",), True),
        "media_opportunity": ("pr", ("hand_to_pr",), True),
        "purchase_intent": ("sales", ("create_lead",), True),
        "product_idea": ("product", ("send_to_product",), False),
        "recruiting_hr": ("hr", ("route_to_department",), False),
        "legal_risk": ("legal", ("legal_review",), True),
        "competitor": ("marketing", ("route_to_department",), False),
        "spam": (None, (), False),
        CRISIS: ("pr", ("crisis_escalation",), True),
        NO_INTENT: (None, (), False),
    }
    assert set(DEFAULT_PLAYBOOKS) == set(seeds)
    for intent, (department, actions, opens) in seeds.items():
        p = DEFAULT_PLAYBOOKS[intent]
        assert (p.intent, p.department, p.actions, p.opens_case) == (
            intent,
            department,
            actions,
            opens,
        )
        assert p.department is None or p.department in Department.values
        assert set(p.actions) <= set(ACTIONS) and p.priority in PRIORITIES
    assert DEFAULT_PLAYBOOKS["question"].also == ("sales",)
    assert DEFAULT_PLAYBOOKS[CRISIS].escalate and DEFAULT_PLAYBOOKS[CRISIS].priority == "critical"


def test_choose_the_most_specific_intent_with_the_highest_priority():
    p = choose(facts("complaint", "billing"))
    assert p.intent == "billing" and p.department == "billing"
    assert p.priority == "high"  # the complaint's
    assert p.opens_case
    assert choose(facts("billing")).priority == "normal"
    assert choose(facts("praise", "product_idea")).intent == "product_idea"
    assert choose(facts("spam", "praise")).intent == "praise"
    assert choose(facts("legal_risk", "complaint", "billing")).intent == "legal_risk"
    assert choose(facts("praise")) is DEFAULT_PLAYBOOKS["praise"]


def test_choose_no_intent_unknown_labels_and_crisis():
    assert choose(facts()).intent == NO_INTENT
    assert choose(facts("none", "crisis", "made-up")).intent == NO_INTENT
    assert choose(facts("praise", is_crisis=True)).intent == CRISIS
    assert choose(facts(is_crisis=True)).intent == CRISIS


def test_ties_go_to_the_intent_listed_first():
    playbooks = Playbooks.from_dict({"praise": {"rank": 5}, "competitor": {"rank": 5}})
    assert playbooks.choose(facts("competitor", "praise")).intent == "competitor"
    assert playbooks.choose(facts("praise", "competitor")).intent == "praise"


def test_overrides_change_routing():
    playbooks = Playbooks.from_dict(
        {"complaint": {"department": "crm_call_center", "priority": "critical"}}
    )
    teams = [*ORG, TeamInfo(50, "call-center", "crm_call_center")]
    d = decide("decentralized", teams, "complaint", playbooks=playbooks)
    assert d.owner_team_id == 50
    p = playbooks["complaint"]
    assert p.priority == "critical"
    assert p.actions == ("apologise_and_open_case",)  # untouched fields keep the default
    assert playbooks["praise"] is DEFAULT_PLAYBOOKS["praise"]


def test_an_override_can_make_any_intent_escalate():
    playbooks = Playbooks.from_dict({"legal_risk": {"escalate": True, "also": ["pr"]}})
    d = decide("hub_and_spoke", ORG, "legal_risk", playbooks=playbooks)
    assert d.domain_team_id == LEGAL
    assert d.also_notify == {PR}  # the director's team is the hub, which owns it
    assert "crisis" in d.reason


def test_playbooks_round_trip_and_store_only_overrides():
    assert Playbooks.from_dict(None) == Playbooks() == Playbooks.from_dict({})
    assert Playbooks().overrides() == {}
    data = {"spam": {"department": "marketing", "actions": ["thank", "thank"]}}
    playbooks = Playbooks.from_dict(data)
    assert playbooks["spam"].actions == ("thank",)
    assert Playbooks.from_dict(playbooks.to_dict()) == playbooks
    assert Playbooks.from_dict(json.loads(json.dumps(playbooks.overrides()))) == playbooks
    assert set(playbooks.overrides()) == {"spam"}
    assert set(playbooks.to_dict()) == {*INTENTS, CRISIS, NO_INTENT}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gossip": {}}, "unknown intent 'gossip'"),
        ({"billing": {"department": "accounting"}}, "unknown department 'accounting'"),
        ({"billing": {"also": ["sales", "finance"]}}, "unknown department 'finance'"),
        ({"billing": {"actions": ["route_to_billing", "refund"]}}, "unknown action 'refund'"),
        ({"billing": {"priority": "urgent"}}, "unknown priority 'urgent'"),
        ({"billing": {"owner": "x"}}, "unknown field 'owner'"),
        ({"billing": {"actions": "thank"}}, "'actions' must be a list"),
        ({"billing": {"opens_case": "yes"}}, "'opens_case' must be true or false"),
        ({"billing": {"rank": True}}, "'rank' must be a whole number"),
        ({"billing": ["thank"]}, "must be a mapping"),
        (["billing"], "must be a mapping by intent"),
    ],
)
def test_invalid_overrides_are_refused_naming_the_culprit(data, message):
    with pytest.raises(PlaybookError, match=message.replace("(", r"\(")):
        Playbooks.from_dict(data)


def test_playbook_error_names_the_intent():
    with pytest.raises(PlaybookError, match="playbook 'question'"):
        Playbooks.from_dict({"question": {"department": None, "also": [7]}})


# --- properties --------------------------------------------------------------------------

BRANDS = st.sampled_from([None, MOVIL, HOGAR])
team_lists = st.lists(
    st.builds(
        TeamInfo,
        id=st.integers(1, 60),
        slug=st.sampled_from(["a", "b", "care", "hub", "press", "z"]),
        department=st.sampled_from(Department.values),
        brand_id=BRANDS,
        is_hub=st.booleans(),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda t: t.id,
)
fact_sets = st.builds(
    Facts,
    intents=st.lists(st.sampled_from([*INTENTS, "none", "other"]), max_size=4).map(tuple),
    sentiment=st.sampled_from(["negative", "neutral", "positive"]),
    urgency_level=st.sampled_from(PRIORITIES),
    brand_id=st.sampled_from([None, MOVIL, HOGAR, NEWCO]),
    lang=st.sampled_from(["es", "en", ""]),
    channel=st.sampled_from(["telegram", "x", "email"]),
    visibility=st.sampled_from(["public", "private"]),
    is_crisis=st.booleans(),
)
override_sets = st.dictionaries(
    st.sampled_from([*INTENTS, CRISIS, NO_INTENT]),
    st.fixed_dictionaries(
        {},
        optional={
            "department": st.none() | st.sampled_from(Department.values),
            "also": st.lists(st.sampled_from(Department.values), max_size=2),
            "escalate": st.booleans(),
            "rank": st.integers(0, 50),
        },
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(teams=team_lists, f=fact_sets, overrides=override_sets, data=st.data())
def test_every_model_gives_a_coherent_decision(teams, f, overrides, data):
    ids = {t.id for t in teams}
    playbooks = Playbooks.from_dict(overrides)
    playbook = playbooks.choose(f)
    shuffled = data.draw(st.permutations(teams))
    for name, model in MODELS.items():
        d = model.decide(f, teams, playbook)
        assert d.model == name and d.intent == playbook.intent
        assert d.owner_team_id in ids and d.domain_team_id in ids
        assert d.can_answer(d.owner_team_id) and d.can_see(d.owner_team_id)
        assert d.can_see(d.domain_team_id)
        assert d.owner_team_id not in d.also_notify and d.also_notify <= ids
        assert all(d.can_see(t) for t in d.also_notify)
        if d.may_answer is not ALL:
            assert d.may_answer <= d.visible_to
        if d.visible_to is not ALL:
            assert d.visible_to <= ids
        assert d.reason.startswith(f"{model.label}: ")
        json.dumps(d.as_dict())
        assert model.decide(f, shuffled, playbook) == d  # the order of teams is irrelevant


@settings(max_examples=200, deadline=None)
@given(teams=team_lists, f=fact_sets)
def test_honeycomb_lets_every_team_see_and_answer(teams, f):
    d = route("honeycomb", f, teams)
    assert d.shared
    assert all(d.can_answer(t.id) and d.can_see(t.id) for t in teams)


@settings(max_examples=200, deadline=None)
@given(teams=team_lists, f=fact_sets, other=fact_sets)
def test_centralized_never_lets_a_non_central_team_own_or_answer(teams, f, other):
    d = route("centralized", f, teams)
    owner = next(t for t in teams if t.id == d.owner_team_id)
    assert d.may_answer == {owner.id}
    if any(t.is_hub for t in teams):
        assert owner.is_hub
    if any(t.is_hub and t.brand_id is None for t in teams):
        assert owner.brand_id is None
        # one central team for every mention, whatever it is about
        assert route("centralized", other, teams).owner_team_id == owner.id
    elif not any(t.is_hub for t in teams) and any(
        t.department == "customer_service" for t in teams
    ):
        assert owner.department == "customer_service"


@settings(max_examples=200, deadline=None)
@given(teams=team_lists, f=fact_sets)
def test_hub_and_spoke_the_hub_owns_and_may_always_answer(teams, f):
    d = route("hub_and_spoke", f, teams)
    owner = next(t for t in teams if t.id == d.owner_team_id)
    if any(t.is_hub for t in teams):
        assert owner.is_hub
    assert d.may_answer == {d.owner_team_id, d.domain_team_id}


@settings(max_examples=200, deadline=None)
@given(teams=team_lists, f=fact_sets)
def test_decentralized_the_domain_department_owns_when_it_has_a_team(teams, f):
    playbook = choose(f)
    d = route("decentralized", f, teams)
    owner = next(t for t in teams if t.id == d.owner_team_id)
    assert d.may_answer == {owner.id} and d.domain_team_id == owner.id
    if any(t.department == playbook.department for t in teams):
        assert owner.department == playbook.department
        assert "no_domain_team" not in d.fallbacks


@settings(max_examples=200, deadline=None)
@given(teams=team_lists, f=fact_sets)
def test_dandelion_stays_within_the_brand_when_there_is_a_central_hub(teams, f):
    d = route("multiple_hub_and_spoke", f, teams)
    by_id = {t.id: t for t in teams}
    owner, domain = by_id[d.owner_team_id], by_id[d.domain_team_id]
    central = [t for t in teams if t.is_hub and t.brand_id is None]
    if central:
        assert owner.is_hub and owner.brand_id in (None, f.brand_id)
        assert domain.brand_id in (None, f.brand_id)
        if f.is_crisis or f.brand_id is None:
            assert owner.brand_id is None
        assert d.can_see(min(central, key=lambda t: (t.slug, t.id)).id)


@settings(max_examples=200, deadline=None)
@given(teams=team_lists, f=fact_sets)
def test_crisis_always_reaches_pr_and_the_director(teams, f):
    f = replace(f, is_crisis=True)
    index = Teams(teams)
    for model in MODELS.values():
        d = model.decide(f, index, choose(f))
        told = d.also_notify | {d.owner_team_id}
        if index.director_team is not None:
            assert index.director_team.id in told
        if any(t.department == "pr" and t.brand_id in (None, f.brand_id) for t in teams):
            assert any(by.department == "pr" for by in teams if by.id in told)


@settings(max_examples=200, deadline=None)
@given(f=fact_sets, overrides=override_sets)
def test_choose_returns_a_playbook_of_one_of_the_intents(f, overrides):
    playbooks = Playbooks.from_dict(overrides)
    p = playbooks.choose(f)
    assert isinstance(p, Playbook)
    known = [i for i in f.intents if i in INTENTS]
    if f.is_crisis:
        assert p.intent == CRISIS
    elif not known:
        assert p.intent == NO_INTENT
    else:
        assert p.intent in known
        assert p.rank == min(playbooks[i].rank for i in known)
        top = max(PRIORITIES.index(playbooks[i].priority) for i in known)
        assert p.priority == PRIORITIES[top]
        assert p.opens_case == any(playbooks[i].opens_case for i in known)


# --- the decision in the reader's language ---------------------------------------------------

NAMES = {HUB: "Social hub", CARE: "Care", SALES: "Sales", BILLING: "Billing", PR: "Press",
         LEGAL: "Legal", PRODUCT: "Product", MARKETING: "Marketing"}  # fmt: skip


def explained(decision, lang, **extra):
    from django.utils import translation

    with translation.override(lang):
        return moe.explain({**decision.as_dict(), **extra}, NAMES.__getitem__)


def test_a_decision_is_explained_from_its_codes_in_each_readers_language():
    d = decide("hub_and_spoke", ORG, "billing")
    assert explained(d, "en") == (
        "The hub, Social hub, triages it; Billing is the spoke for this intent."
    )
    assert explained(d, "es") == (
        "El centro, Social hub, hace el triaje; Billing es el radio para esta intención."
    )
    d = decide("centralized", ORG, "billing")
    assert explained(d, "es") == (
        "El equipo central, Social hub, es el responsable y responde; Billing solo lo ve."
    )
    d = decide("honeycomb", ORG, "billing")
    assert explained(d, "en") == (
        "Billing owns it; every team sees it and may answer (collision detection on)."
    )


def test_an_explanation_gives_the_fallbacks_the_rules_and_who_was_told():
    d = decide("decentralized", without(ORG, HUB, MARKETING), "recruiting_hr")
    assert explained(d, "en") == (
        "Care owns it and answers; there is no triage. The playbook's department has no team."
    )
    assert explained(d, "es") == (
        "Care es el responsable y responde; no hay triaje. "
        "El departamento del protocolo no tiene equipo."
    )
    crisis = decide("hub_and_spoke", ORG, "complaint", is_crisis=True)
    assert crisis.also_notify
    told = ", ".join(NAMES[t] for t in sorted(crisis.also_notify))
    assert explained(crisis, "en", owner_team=LEGAL).endswith(
        f"A rule gave it to Legal. Told at once: {told}."
    )
    assert "Avisados al momento: " + told in explained(crisis, "es")


def test_a_decision_without_teams_says_nobody_owns_it():
    d = decide("honeycomb", [], "complaint")
    assert explained(d, "en") == "The organisation has no team, so nobody owns it."
    assert explained(d, "es") == "La organización no tiene equipos, así que nadie es responsable."
