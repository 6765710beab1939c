"""`diagnose`: which engagement model case histories show, and the /engagement/ page.

Each history is built from Case and CaseEvent rows the way people would leave them
working under one model, with the `org` fixture's teams (one per department, customer
service the hub).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import cycle

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from panal.engagement.diagnose import MIN_CASES, diagnose
from panal.engagement.models import Case, CaseEvent
from panal.org.models import Membership, Team

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
Kind = CaseEvent.Kind
SPOKES = ("billing", "legal", "sales", "product")


# --- building histories -------------------------------------------------------------------


def teams_of(org) -> dict[str, Team]:
    return {t.department: t for t in Team.objects.filter(organisation=org)}


def person(org, team: Team, name: str):
    user, created = get_user_model().objects.get_or_create(username=name)
    if created:
        Membership.objects.create(user=user, organisation=org, team=team, roles=["agent"])
    return user


def staff(org) -> dict[str, object]:
    """One person per department, named after it."""
    return {d: person(org, team, f"p-{d}") for d, team in teams_of(org).items()}


def case(org, domain: Team, events, *, days_ago: float = 3, owner: Team | None = None) -> Case:
    """A case opened `days_ago` days before NOW; events are (kind, actor, data), a minute
    apart."""
    opened = NOW - timedelta(days=days_ago)
    row = Case.objects.create(
        organisation=org, opened_at=opened, updated_at=opened, domain_team=domain,
        owner_team=owner or domain,
    )  # fmt: skip
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=row, kind=kind, actor=actor, at=opened + timedelta(minutes=i + 1), data=data
            )
            for i, (kind, actor, data) in enumerate(events)
        ]
    )
    return row


def hub_and_spoke(org, n: int = 24) -> None:
    """The hub's person moves each case to the spoke, whose person answers."""
    t, p = teams_of(org), staff(org)
    hub = t["customer_service"]
    for _i, spoke in zip(range(n), cycle(SPOKES), strict=False):
        case(org, t[spoke], [
            (Kind.OPENED, None, {}),
            (Kind.TEAM, p["customer_service"], {"before": hub.pk, "after": t[spoke].pk}),
            (Kind.REPLY, p[spoke], {"outbound": 1}),
        ], owner=hub)  # fmt: skip


def centralized(org, n: int = 24) -> None:
    """The hub's person takes every case and answers it; departments never act."""
    t, p = teams_of(org), staff(org)
    hub, agent = t["customer_service"], p["customer_service"]
    for _i, spoke in zip(range(n), cycle(SPOKES), strict=False):
        case(org, t[spoke], [
            (Kind.ASSIGNED, agent, {"before": None, "after": agent.pk}),
            (Kind.REPLY, agent, {"outbound": 1}),
            (Kind.REPLY, agent, {"outbound": 2}),
        ], owner=hub)  # fmt: skip
    for _i in range(10):  # complaints: the hub's own work, the same under every model
        case(org, hub, [(Kind.REPLY, agent, {"outbound": 3})])


def decentralized(org, n: int = 24) -> None:
    """Each department takes and answers its own cases."""
    t, p = teams_of(org), staff(org)
    for _i, spoke in zip(range(n), cycle(SPOKES), strict=False):
        case(org, t[spoke], [
            (Kind.ASSIGNED, p[spoke], {"before": None, "after": p[spoke].pk}),
            (Kind.REPLY, p[spoke], {"outbound": 1}),
        ])  # fmt: skip


def honeycomb(org, n: int = 24) -> None:
    """Several departments answer the same cases; nobody triages."""
    t, p = teams_of(org), staff(org)
    helpers = cycle(("marketing", "pr", "sales"))
    for _i, spoke in zip(range(n), cycle(SPOKES), strict=False):
        helper = next(helpers)
        helper = "marketing" if helper == spoke else helper
        case(org, t[spoke], [
            (Kind.REPLY, p[spoke], {"outbound": 1}),
            (Kind.REPLY, p[helper], {"outbound": 2}),
            (Kind.NOTE, p[helper], {}),
        ])  # fmt: skip


def dandelion(org, n: int = 24) -> None:
    """A brand hub per brand takes its brand's cases and hands them to the spokes."""
    t, p = teams_of(org), staff(org)
    hubs = []
    for brand in org.brands.all():
        team = Team.objects.create(
            organisation=org, brand=brand, slug=f"hub-{brand.slug}", name=f"Hub {brand.name}",
            department="customer_service", is_hub=True,
        )  # fmt: skip
        hubs.append((team, person(org, team, f"hub-{brand.slug}")))
    for (_i, spoke), (hub, agent) in zip(
        zip(range(n), cycle(SPOKES), strict=False), cycle(hubs), strict=False
    ):
        case(org, t[spoke], [
            (Kind.TEAM, agent, {"before": hub.pk, "after": t[spoke].pk}),
            (Kind.REPLY, p[spoke], {"outbound": 1}),
        ], owner=hub)  # fmt: skip


# --- the verdicts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (hub_and_spoke, "hub_and_spoke"),
        (centralized, "centralized"),
        (decentralized, "decentralized"),
        (honeycomb, "honeycomb"),
        (dandelion, "multiple_hub_and_spoke"),
    ],
)
def test_each_practice_is_recognised(org, build, expected):
    build(org)
    result = diagnose(org, days=90)
    assert result.model == expected
    assert result.scores[expected] == 1.0
    assert result.level == "high"
    assert result.measured == 24


def test_hub_and_spoke_signals_and_match_with_the_configuration(org):
    hub_and_spoke(org)
    result = diagnose(org)
    assert result.configured == "hub_and_spoke"
    assert result.matches is True
    assert result.signals["hub_first"] == 1.0
    assert result.signals["domain_replies"] == 1.0
    assert result.signals["handoffs"] == 1.0
    assert result.counts["hub_to_spoke"] == 24
    assert result.counts["spoke_to_hub"] == 0
    assert any("which is the model configured" in s for s in result.sentences)


def test_a_different_practice_is_said_to_differ_from_the_configuration(org):
    centralized(org)
    with translation.override("en"):
        result = diagnose(org)
    assert (result.model, result.matches) == ("centralized", False)
    assert result.hub_own == 10  # counted, not measured
    assert result.total_cases == 34
    assert result.signals["hub_replies"] == 1.0
    assert result.counts["replies"] == 48
    assert result.sentences[-1] == (
        "The cases look most like Centralized (fit 1.00, high confidence), but the "
        "organisation is configured for Hub and spoke."
    )


def test_honeycomb_counts_teams_per_case(org):
    honeycomb(org)
    result = diagnose(org)
    assert result.signals["multi_team"] == 1.0
    assert result.signals["hub_first"] == 0.0
    assert result.signals["domain_replies"] == 0.5


def test_dandelion_scores_nothing_without_brand_hubs(org):
    hub_and_spoke(org)
    result = diagnose(org)
    assert result.scores["multiple_hub_and_spoke"] == 0.0
    assert result.brand_hubs == []


def test_hub_assigning_to_a_spoke_member_is_a_handoff(org):
    t, p = teams_of(org), staff(org)
    for _i, spoke in zip(range(MIN_CASES), cycle(SPOKES), strict=False):
        case(org, t[spoke], [
            (Kind.ASSIGNED, p["customer_service"], {"before": None, "after": p[spoke].pk}),
            (Kind.REPLY, p[spoke], {"outbound": 1}),
        ])  # fmt: skip
    result = diagnose(org)
    assert result.counts["hub_assigned_to_spoke"] == MIN_CASES
    assert result.signals["handoffs"] == 1.0
    assert result.model == "hub_and_spoke"


def test_too_little_data_gives_no_verdict(org):
    decentralized(org, n=MIN_CASES - 1)
    case(org, teams_of(org)["billing"], [])  # nobody handled it: not measured
    result = diagnose(org)
    assert result.model is None
    assert result.matches is None
    assert result.scores == {}
    assert (result.total_cases, result.measured, result.unhandled) == (MIN_CASES, 19, 1)
    assert result.sentences[-1].startswith(
        "Too little data for a verdict: 19 cases show how the work is shared, and at least 20"
    )


def test_twenty_measured_cases_are_enough(org):
    decentralized(org, n=MIN_CASES)
    assert diagnose(org).model == "decentralized"


def test_only_cases_of_the_period_count(org, other_org):
    decentralized(org)
    t = teams_of(org)
    p = person(org, t["customer_service"], "late")
    for _i in range(30):  # long ago, and another organisation's
        case(org, t["billing"], [(Kind.REPLY, p, {})], days_ago=120)
    other = Team.objects.get(organisation=other_org, department="billing")
    for _i in range(30):
        case(other_org, other, [(Kind.REPLY, p, {})])
    result = diagnose(org, days=90)
    assert (result.total_cases, result.measured) == (24, 24)
    assert result.model == "decentralized"
    assert diagnose(org, days=1).total_cases == 0


def test_the_number_of_queries_does_not_grow_with_the_cases(org):
    decentralized(org, n=MIN_CASES)
    with CaptureQueriesContext(connection) as few:
        diagnose(org)
    decentralized(org, n=3 * MIN_CASES)
    with CaptureQueriesContext(connection) as many:
        result = diagnose(org)
    assert result.measured == 4 * MIN_CASES
    assert len(many.captured_queries) == len(few.captured_queries)


def test_days_out_of_range_are_refused(org):
    with pytest.raises(ValueError, match="between 1 and 365"):
        diagnose(org, days=0)
    with pytest.raises(ValueError, match="between 1 and 365"):
        diagnose(org, days=366)


def test_as_dict_is_plain_data(org):
    hub_and_spoke(org)
    data = diagnose(org).as_dict()
    assert data["model"] == "hub_and_spoke"
    assert data["cases"]["measured"] == 24
    assert data["signals"]["hub_first"] == 1.0
    assert data["evidence"]


# --- the page -----------------------------------------------------------------------------


def test_the_page_shows_configured_and_practised_models(org, client_for):
    centralized(org)
    response = client_for("director").get("/engagement/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="configured-model">Hub and spoke<' in page
    assert 'id="practised-model">Centralized<' in page
    assert "but the organisation is configured for Hub and spoke" in page
    assert 'name="model"' in page


@pytest.mark.parametrize("role", ["director", "analyst", "agent", "tool_admin"])
def test_roles_that_read_reports_or_manage_engagement_see_the_page(org, client_for, role):
    assert client_for(role).get("/engagement/").status_code == 200


def test_a_role_without_either_permission_is_refused(org, client_for):
    response = client_for("advocate").get("/engagement/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "cannot see how the organisation engages" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(org, client):
    response = client.get("/engagement/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_too_little_data_on_the_page(org, client_for):
    response = client_for("director").get("/engagement/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "No verdict: too little data." in page
    assert "Too little data for a verdict" in page
