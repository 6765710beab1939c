"""`simulate`: mentions replayed through a proposed model and the current one, each team's
load and the SLA it would have met; and the page's simulation fragment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.engagement.models import Case, EngagementConfig
from panal.engagement.models_of_engagement import UnknownModel
from panal.engagement.simulate import DEFAULT_RATE, simulate
from panal.listening.models import Mention
from panal.org.models import Membership, Team
from panal.understanding.models import Understanding

# Tuesday noon; the window of one day starts on Monday noon.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 3, 9, tzinfo=UTC)
HOURS = {
    "timezone": "UTC",
    "week": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}
SLA = {
    "priorities": {
        "critical": {"first_response": 15, "resolution": 240},
        "high": {"first_response": 30, "resolution": 480},
        "normal": {"first_response": 60, "resolution": 1440},
        "low": {"first_response": 240, "resolution": 4320},
    }
}
_ids = count()


@pytest.fixture
def calendar(org):
    """Office hours in UTC and SLA targets in minutes, set explicitly."""
    EngagementConfig.objects.update_or_create(
        organisation=org, defaults={"business_hours": HOURS, "sla": SLA}
    )


def teams_of(org) -> dict[str, Team]:
    return {t.department: t for t in Team.objects.filter(organisation=org)}


def members(org, department: str, n: int) -> None:
    team = teams_of(org)[department]
    for i in range(n):
        user = get_user_model().objects.create_user(username=f"{department}-{i}")
        Membership.objects.create(user=user, organisation=org, team=team, roles=["agent"])


def mention(
    account, at: datetime, *intents: str, urgency: str = "normal", understood: bool = True,
    root: Mention | None = None, deleted: bool = False,
) -> Mention:  # fmt: skip
    row = Mention.objects.create(
        organisation_id=account.organisation_id, account=account, channel="api",
        external_id=f"s{next(_ids)}", text="…", created_at=at, received_at=at,
        content_hash="x", thread_root=root, deleted_at=at if deleted else None,
    )  # fmt: skip
    if understood:
        Understanding.objects.create(
            mention=row, intents=[{"label": i, "confidence": 0.9} for i in intents],
            sentiment="negative", urgency_level=urgency, updated_at=at,
        )  # fmt: skip
    return row


def a_week_of_mentions(account) -> None:
    """14 mentions in the window: 9 open cases, 1 joins a case, 4 open none."""
    day = NOW - timedelta(days=2)
    first = mention(account, day, "complaint")
    for i in range(2):
        mention(account, day + timedelta(minutes=i + 1), "complaint")
    mention(account, day, "complaint", root=first)  # the same conversation: joins
    for intents in [("billing",), ("billing", "complaint"), ("legal_risk",), ("question",),
                    ("purchase_intent",), ("praise",), ("praise",), ("spam",)]:  # fmt: skip
        mention(account, day, *intents)
    mention(account, day, "praise", urgency="critical")  # a crisis: PR
    mention(account, day, "complaint", understood=False)  # not understood: no case
    mention(account, NOW - timedelta(days=8), "complaint")  # before the window
    mention(account, day, "complaint", deleted=True)


# --- load ---------------------------------------------------------------------------------


def test_load_per_team_follows_each_models_routing(org, account, calendar):
    a_week_of_mentions(account)
    t = teams_of(org)
    result = simulate(org, "decentralized", days=7)
    assert (result.mentions, result.cases, result.joined) == (14, 9, 1)
    assert (result.no_case, result.not_understood) == (4, 1)
    new, old = result.proposed, result.current
    assert (new.model, old.model) == ("decentralized", "hub_and_spoke")
    # Decentralized: each playbook's department owns its cases.
    assert {load.slug: load.cases for load in new.teams} == {
        "customer-service": 4,  # 3 complaints, 1 question
        "billing": 2,  # billing, and billing with a complaint (billing ranks first)
        "legal": 1,
        "sales": 1,  # purchase intent
        "pr": 1,  # the crisis
    }
    # Hub and spoke: the hub owns everything.
    assert [(load.team_id, load.cases) for load in old.teams] == [(t["customer_service"].pk, 9)]
    hub = new.team(t["customer_service"].pk)
    assert hub.share == pytest.approx(4 / 9)
    assert hub.per_day == pytest.approx(4 / 7)
    assert new.cases == old.cases == 9
    assert [row[1].cases if row[1] else 0 for row in result.rows()] == [9, 0, 0, 0, 0]


def test_a_third_model_routes_by_its_own_rule(org, account, calendar):
    a_week_of_mentions(account)
    org.engagement_model = "honeycomb"
    org.save()
    result = simulate(org, "centralized", days=7)
    assert result.current.model == "honeycomb"
    assert {load.slug: load.cases for load in result.proposed.teams} == {"customer-service": 9}
    assert {load.slug: load.cases for load in result.current.teams} == {
        "customer-service": 4, "billing": 2, "legal": 1, "sales": 1, "pr": 1,
    }  # fmt: skip


def test_the_current_model_proposed_is_run_once(org, account, calendar):
    a_week_of_mentions(account)
    result = simulate(org, "hub_and_spoke", days=7)
    assert result.same_model
    assert result.current is result.proposed


def test_other_organisations_mentions_do_not_count(org, other_org, account, calendar):
    from panal.demo import builders

    theirs = builders.channel_account(other_org, kind="api", slug="other-hooks", name="Other")
    mention(theirs, NOW - timedelta(hours=1), "complaint")
    assert simulate(org, "decentralized", days=7).mentions == 0


# --- SLA ----------------------------------------------------------------------------------


def sla_example(org, account) -> None:
    """Four complaints (high: 30 min) at 17:30-17:33 on Monday, one billing question
    (normal: 60 min) at 08:00 on Tuesday, before opening. One person in customer service,
    nobody in billing, no history: 10 minutes a case."""
    members(org, "customer_service", 1)
    evening = MONDAY + timedelta(hours=17, minutes=30)
    for i in range(4):
        mention(account, evening + timedelta(minutes=i), "complaint")
    mention(account, MONDAY + timedelta(days=1, hours=8), "billing")


def test_sla_met_on_a_hand_checked_example(org, account, calendar):
    sla_example(org, account)
    t = teams_of(org)
    result = simulate(org, "decentralized", days=1)
    hub = result.proposed.team(t["customer_service"].pk)
    assert (hub.members, hub.rate, hub.rate_source) == (1, DEFAULT_RATE, "default")
    # Answered at 17:40, 17:50, 18:00 and (the office closes) 09:10 on Tuesday: waits of
    # 10, 19, 28 and 37 business minutes against a target of 30.
    assert (hub.cases, hub.with_target, hub.met) == (4, 4, 3)
    assert hub.median == timedelta(minutes=23.5)
    assert hub.p90 == timedelta(minutes=37)
    # Billing has nobody: its case is never answered.
    billing = result.proposed.team(t["billing"].pk)
    assert (billing.cases, billing.met, billing.unserved, billing.median) == (1, 0, 1, None)
    assert (result.proposed.met, result.proposed.with_target) == (3, 5)
    # Hub and spoke: the hub also takes the billing case, waiting from 09:00 for the
    # 09:10 answer to finish: answered at 09:20, 20 minutes, within its hour.
    current = result.current.team(t["customer_service"].pk)
    assert (current.cases, current.met) == (5, 4)
    assert current.median == timedelta(minutes=20)
    assert current.p90 == timedelta(minutes=37)
    assert result.current.met_share == pytest.approx(0.8)


def test_the_default_settings_apply_without_configuration(org, account):
    sla_example(org, account)  # default office hours 09:00-18:00; high: 60 minutes
    result = simulate(org, "decentralized", days=1)
    hub = result.proposed.team(teams_of(org)["customer_service"].pk)
    assert result.problems == []
    assert (hub.cases, hub.met, hub.p90) == (4, 4, timedelta(minutes=37))


def test_the_rate_comes_from_the_teams_history(org, account, calendar):
    members(org, "customer_service", 2)
    t = teams_of(org)
    hub = t["customer_service"]
    for i in range(24):  # 24 first responses in 3 distinct hours: 4 per person and hour
        at = NOW - timedelta(days=10, hours=i % 3, minutes=-5)
        Case.objects.create(
            organisation=org, owner_team=hub, opened_at=at, updated_at=at,
            first_response_at=at,
        )  # fmt: skip
    evening = MONDAY + timedelta(hours=17)
    mention(account, evening, "complaint")
    mention(account, evening, "complaint")
    mention(account, evening, "complaint")
    load = simulate(org, "centralized", days=1).proposed.team(hub.pk)
    assert (load.rate, load.rate_source) == (4.0, "history")
    # Two people, 15 minutes a case: two answered at 17:15, the third at 17:30.
    assert load.median == timedelta(minutes=15)
    assert load.p90 == timedelta(minutes=30)
    assert load.met == 3


def test_the_number_of_queries_does_not_grow_with_the_mentions(org, account, calendar):
    a_week_of_mentions(account)
    with CaptureQueriesContext(connection) as few:
        simulate(org, "decentralized", days=7)
    a_week_of_mentions(account)
    a_week_of_mentions(account)
    with CaptureQueriesContext(connection) as many:
        result = simulate(org, "decentralized", days=7)
    assert result.cases == 27
    assert len(many.captured_queries) == len(few.captured_queries)


def test_as_dict_gives_both_runs(org, account, calendar):
    sla_example(org, account)
    data = simulate(org, "decentralized", days=1).as_dict()
    assert data["proposed"]["model"] == "decentralized"
    assert data["current"]["model"] == "hub_and_spoke"
    team = data["proposed"]["teams"][0]
    assert (team["slug"], team["cases"], team["met"], team["median_minutes"]) == (
        "customer-service", 4, 3, 23.5,
    )  # fmt: skip


# --- refusals -----------------------------------------------------------------------------


def test_an_unknown_model_is_refused_naming_the_valid_ones(org):
    with pytest.raises(UnknownModel) as caught:
        simulate(org, "starfish", days=7)
    message = str(caught.value)
    assert "'starfish'" in message
    assert "centralized, decentralized, honeycomb, hub_and_spoke, multiple_hub_and_spoke" in (
        message
    )


@pytest.mark.parametrize("days", [0, -1, 366])
def test_days_out_of_range_are_refused(org, days):
    with pytest.raises(ValueError, match="from 1 to 365"):
        simulate(org, "centralized", days=days)


# --- the page's fragment ------------------------------------------------------------------


def test_the_fragment_shows_both_models_per_team(org, account, calendar, client_for):
    sla_example(org, account)
    Team.objects.filter(organisation=org, department="billing").update(
        name="<script>alert(1)</script> Billing"
    )
    client = client_for("director")
    response = client.get(
        "/engagement/simulate/", {"model": "decentralized", "days": "1"},
        HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "Proposed: Decentralized" in page
    assert "Current: Hub and spoke" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Billing" in page
    assert "<script>alert(1)" not in page
    assert '4 <span class="muted small">(80 %)</span>' in page  # 4 of 5 cases
    assert "1 unanswered" in page  # nobody in billing


def test_the_page_runs_the_simulation_without_htmx(org, account, calendar, client_for):
    sla_example(org, account)
    response = client_for("director").get(
        "/engagement/", {"model": "decentralized", "days": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert 'id="simulation-table"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"model": "starfish", "days": "7"}, "Unknown engagement model. Choose one of:"),
        ({"model": "centralized", "days": "91"}, "from 1 to 90"),
        ({"model": "centralized", "days": "0"}, "from 1 to 90"),
        ({"model": "centralized", "days": "seven"}, "from 1 to 90"),
    ],
)
def test_bad_simulation_input_is_a_400(org, client_for, params, message):
    client = client_for("director")
    response = client.get("/engagement/simulate/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    page = client.get("/engagement/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert message in page.content.decode()


def test_the_fragment_needs_the_permission(org, client_for, client):
    params = {"model": "centralized", "days": "7"}
    assert client_for("advocate").get("/engagement/simulate/", params).status_code == 403
    assert client.get("/engagement/simulate/", params).status_code == 302
    htmx = client.get("/engagement/simulate/", params, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert "/login" in htmx["HX-Redirect"]
