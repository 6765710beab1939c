"""Authority limits, goodwill and approvals through the services the pages and API call."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from panal.core import clock
from panal.demo import builders
from panal.engagement import authority
from panal.engagement.authority import AuthorityError
from panal.engagement.cases import config_for
from panal.engagement.models import Approval, Case, CaseEvent, Goodwill, Notification
from panal.org.choices import Role
from panal.org.models import Team
from panal.org.services import add_member

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def team_of(org, department: str) -> Team:
    return Team.objects.get(organisation=org, department=department)


def make_case(org, department: str = "customer_service", **fields) -> Case:
    team = team_of(org, department)
    now = clock.now()
    return Case.objects.create(
        organisation=org, subject="The router is broken", status=Case.Status.OPEN,
        owner_team=team, visible_team_ids=[team.pk], answer_team_ids=[team.pk],
        opened_at=now, updated_at=now, **fields,
    )  # fmt: skip


@pytest.fixture
def case(org):
    return make_case(org)


def events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("at", "id"))


def notified(kind=Notification.Kind.APPROVAL) -> set[str]:
    return {n.user.username for n in Notification.objects.filter(kind=kind)}


# --- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "limit"),
    [
        (Role.AGENT, Decimal("150")),
        (Role.CRM_CALL_CENTER, Decimal("150")),
        (Role.COMMUNITY_MANAGER, Decimal("300")),
        (Role.AREA_MANAGER, Decimal("1000")),
        (Role.DIRECTOR, None),
        (Role.AGENCY, Decimal("0")),
        (Role.CURATOR, Decimal("0")),
        (Role.EVERYONE, Decimal("0")),
        (Role.ANALYST, Decimal("0")),
        (Role.TOOL_ADMIN, Decimal("0")),
    ],
)
def test_default_limits_per_role(org, users, role, limit):
    assert authority.limit_for(users[role], org) == limit


def test_the_organisation_overrides_a_role_and_keeps_the_other_defaults(org, users):
    config = config_for(org)
    config.authority = {"agent": "200", "director": 5000, "area_manager": "oops"}
    config.save()
    assert authority.limit_for(users[Role.AGENT], org) == Decimal("200")
    assert authority.limit_for(users[Role.DIRECTOR], org) == Decimal("5000")
    # A stored value that no longer validates falls back to the default.
    assert authority.limit_for(users[Role.AREA_MANAGER], org) == Decimal("1000")
    assert authority.limit_for(users[Role.CRM_CALL_CENTER], org) == Decimal("150")


def test_the_highest_of_a_users_roles_counts(org):
    person = builders.member(org, Role.AGENT, username="both", extra_roles=(Role.AREA_MANAGER,))
    assert authority.limit_for(person, org) == Decimal("1000")


def test_a_stranger_has_no_authority(org, other_org):
    stranger = builders.member(other_org, Role.DIRECTOR, username="boss-elsewhere")
    assert authority.limit_for(stranger, org) == Decimal("0")


def test_parse_limits_accepts_amounts_and_no_limit():
    parsed = authority.parse_limits({"agent": "175.50", "area_manager": 2000, "director": None})
    assert parsed == {"agent": Decimal("175.50"), "area_manager": Decimal("2000"), "director": None}
    assert authority.limits_json(parsed) == {
        "agent": "175.50", "area_manager": "2000.00", "director": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"wizard": 10}, "wizard"),
        ({"agent": -1}, "agent"),
        ({"agent": "lots"}, "lots"),
        ({"agent": True}, "agent"),
        ({"agent": [1]}, "agent"),
        ({"curator": "1.234"}, "curator"),
        ({"agent": "NaN"}, "agent"),
        ({"agent": 2_000_000}, "agent"),
        (["agent", 10], "map"),
    ],
)
def test_parse_limits_refuses_bad_entries_by_name(data, words):
    with pytest.raises(AuthorityError, match=words):
        authority.parse_limits(data)


def test_required_role_is_the_lowest_role_above_the_front_line_that_covers_the_total(org):
    assert authority.required_role_for(Decimal("150.01")) == Role.AREA_MANAGER
    assert authority.required_role_for(Decimal("1000")) == Role.AREA_MANAGER
    assert authority.required_role_for(Decimal("1000.01")) == Role.DIRECTOR
    config = config_for(org)
    config.authority = {"area_manager": 2000}
    config.save()
    assert authority.required_role_for(Decimal("1200"), org) == Role.AREA_MANAGER
    # Never the requester's own level or below.
    assert authority.required_role_for(Decimal("1200"), org, ["area_manager"]) == Role.DIRECTOR


def test_promises_above_authority(org, users):
    agent = users[Role.AGENT]
    amounts = [Decimal("100"), Decimal("200"), Decimal("150.01")]
    assert authority.promises_above_authority(agent, org, amounts) == Decimal("200")
    assert authority.promises_above_authority(agent, org, [Decimal("150")]) is None
    assert authority.promises_above_authority(agent, org, []) is None
    assert authority.promises_above_authority(users[Role.DIRECTOR], org, amounts) is None


def test_money_follows_the_language():
    with translation.override("en"):
        assert authority.money(Decimal("1200.5"), "EUR") == "1,200.50\u00a0EUR"
    with translation.override("es"):
        assert authority.money(Decimal("1200.5"), "EUR") == "1\u00a0200,50\u00a0EUR"


# --- granting --------------------------------------------------------------------------


def test_an_agent_grants_150_within_authority(org, users, case):
    goodwill = authority.grant(users[Role.AGENT], case, "refund", "150", "Late delivery")
    assert goodwill.status == Goodwill.Status.GRANTED
    assert goodwill.amount == Decimal("150.00")
    assert goodwill.currency == "EUR"
    assert goodwill.approval is None
    assert goodwill.team == team_of(org, "customer_service")
    [event] = events(case, CaseEvent.Kind.GOODWILL)
    assert event.actor == users[Role.AGENT]
    assert event.data["amount"] == "150.00" and event.data["status"] == "granted"
    assert not Approval.objects.exists()


def test_150_01_goes_to_the_area_manager_and_directors(org, users, case):
    goodwill = authority.grant(users[Role.AGENT], case, "credit", "150.01", "Two outages")
    assert goodwill.status == Goodwill.Status.PENDING
    approval = goodwill.approval
    assert approval.kind == Approval.Kind.GOODWILL
    assert approval.status == Approval.Status.PENDING
    assert approval.required_role == Role.AREA_MANAGER
    assert approval.requested_by == users[Role.AGENT]
    assert "150.01" in approval.summary and "Two outages" in approval.summary
    [event] = events(case, CaseEvent.Kind.APPROVAL)
    assert event.data["approval"] == approval.pk
    assert event.data["required_role"] == Role.AREA_MANAGER
    assert not events(case, CaseEvent.Kind.GOODWILL)
    assert notified() == {"area_manager", "director"}


def test_the_limit_is_per_case_and_cumulative(org, users, case):
    agent = users[Role.AGENT]
    assert authority.grant(agent, case, "gift", "100").status == Goodwill.Status.GRANTED
    second = authority.grant(agent, case, "refund", "60")
    assert second.status == Goodwill.Status.PENDING
    assert "160.00" in second.approval.summary
    # Pending counts too: nothing more fits until it is decided.
    assert authority.grant(agent, case, "gift", "0.01").status == Goodwill.Status.PENDING
    # Another case starts from zero.
    other = make_case(org)
    assert authority.grant(agent, other, "refund", "150").status == Goodwill.Status.GRANTED
    assert authority.committed_on_case(case) == Decimal("160.01")


def test_1200_on_a_case_goes_to_the_director_not_the_area_manager(org, users, case):
    goodwill = authority.grant(users[Role.AGENT], case, "refund", "1200")
    assert goodwill.approval.required_role == Role.DIRECTOR
    assert notified() == {"director"}


def test_area_managers_of_the_case_team_are_told_first(org, users, case):
    elsewhere = builders.member(org, Role.AREA_MANAGER, username="am-sales")
    add_member(org, elsewhere, [Role.AREA_MANAGER], team_of(org, "sales"))
    authority.grant(users[Role.AGENT], case, "refund", "200")
    assert notified() == {"area_manager", "director"}
    # A case of a team without its own area manager: every area manager is told.
    billing_case = make_case(org, "billing", visible_to_all=True)
    Notification.objects.all().delete()
    authority.grant(users[Role.AGENT], billing_case, "refund", "200")
    assert notified() == {"area_manager", "am-sales", "director"}


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("", "Enter an amount"),
        ("0", "more than zero"),
        ("-5", "not an amount"),
        ("abc", "not an amount"),
        ("1.234", "not an amount"),
        ("1,000.50", "not an amount"),
        ("1e3", "not an amount"),
        ("1000000.01", "more than 1,000,000"),
        (Decimal("10.001"), "two decimals"),
        (Decimal("Infinity"), "two decimals"),
        (True, "Enter an amount"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(users, case, amount, words):
    with pytest.raises(AuthorityError, match=words):
        authority.grant(users[Role.AGENT], case, "refund", amount)
    assert not Goodwill.objects.exists()


def test_a_decimal_comma_is_accepted(users, case):
    goodwill = authority.grant(users[Role.AGENT], case, "refund", " 120,50 ")
    assert goodwill.amount == Decimal("120.50")


def test_unknown_kind_and_long_reason_are_refused(users, case):
    with pytest.raises(AuthorityError, match="bribe"):
        authority.grant(users[Role.AGENT], case, "bribe", "10")
    with pytest.raises(AuthorityError, match="500 characters"):
        authority.grant(users[Role.AGENT], case, "refund", "10", "x" * 501)
    assert not Goodwill.objects.exists()


def test_granting_needs_work_on_the_case(org, other_org, users, case):
    with pytest.raises(PermissionDenied):
        authority.grant(users[Role.AGENCY], case, "refund", "10")  # sees cases, works none
    with pytest.raises(PermissionDenied):
        authority.grant(users[Role.CRM_CALL_CENTER], case, "refund", "10")  # another team
    stranger = builders.member(other_org, Role.DIRECTOR, username="boss-elsewhere")
    with pytest.raises(PermissionDenied):
        authority.grant(stranger, case, "refund", "10")
    assert not Goodwill.objects.exists()


def test_the_director_grants_any_amount(users, case):
    goodwill = authority.grant(users[Role.DIRECTOR], case, "refund", "1000000")
    assert goodwill.status == Goodwill.Status.GRANTED


# --- deciding --------------------------------------------------------------------------


def test_the_area_manager_approves_and_the_goodwill_is_granted(users, case):
    pending = authority.grant(users[Role.AGENT], case, "credit", "200", "Loyal customer")
    Notification.objects.all().delete()
    approval = authority.decide(users[Role.AREA_MANAGER], pending.approval, True, "OK this once")
    assert approval.status == Approval.Status.APPROVED
    stored = Approval.objects.get(pk=approval.pk)
    assert stored.decided_by == users[Role.AREA_MANAGER]
    assert stored.decided_at == NOW
    assert stored.decision_note == "OK this once"
    pending.refresh_from_db()
    assert pending.status == Goodwill.Status.GRANTED
    decision = events(case, CaseEvent.Kind.APPROVAL)[-1]
    assert decision.data["status"] == "approved" and decision.actor == users[Role.AREA_MANAGER]
    assert events(case, CaseEvent.Kind.GOODWILL)[-1].data["status"] == "granted"
    assert notified() == {"agent"}


def test_a_rejection_frees_the_amount_on_the_case(users, case):
    pending = authority.grant(users[Role.AGENT], case, "refund", "200")
    authority.decide(users[Role.DIRECTOR], pending.approval, False, "Too much")
    pending.refresh_from_db()
    assert pending.status == Goodwill.Status.REJECTED
    assert authority.committed_on_case(case) == Decimal("0.00")
    assert authority.grant(users[Role.AGENT], case, "refund", "150").status == "granted"


def test_the_requester_never_decides_their_own_request(org, users, case):
    config = config_for(org)
    config.authority = {"director": 500}
    config.save()
    director = users[Role.DIRECTOR]
    pending = authority.grant(director, case, "refund", "600")
    assert pending.approval.required_role == Role.DIRECTOR
    with pytest.raises(PermissionDenied, match="your own request"):
        authority.decide(director, pending.approval, True)
    second = builders.member(org, Role.DIRECTOR, username="director2")
    authority.decide(second, pending.approval, True)
    pending.refresh_from_db()
    assert pending.status == Goodwill.Status.GRANTED


def test_a_lower_role_cannot_decide(users, case):
    pending = authority.grant(users[Role.AGENT], case, "refund", "1200")
    for role in (Role.AREA_MANAGER, Role.AGENT, Role.COMMUNITY_MANAGER, Role.ANALYST):
        with pytest.raises(PermissionDenied):
            authority.decide(users[role], pending.approval, True)
    assert Approval.objects.get().status == Approval.Status.PENDING
    assert authority.refusal(users[Role.AREA_MANAGER], pending.approval) == (
        "This request needs a decision by the role “Social media director” or a higher one."
    )


def test_the_chain_of_who_decides():
    assert authority.can_decide_role([Role.AREA_MANAGER], Role.AREA_MANAGER)
    assert authority.can_decide_role([Role.DIRECTOR], Role.AREA_MANAGER)
    assert authority.can_decide_role([Role.AREA_MANAGER], Role.COMMUNITY_MANAGER)
    assert not authority.can_decide_role([Role.AGENT], Role.COMMUNITY_MANAGER)
    assert not authority.can_decide_role([Role.AREA_MANAGER], Role.DIRECTOR)
    assert not authority.can_decide_role([Role.ANALYST, Role.EVERYONE], Role.AREA_MANAGER)
    assert authority.decidable_roles([Role.DIRECTOR]) is None
    assert authority.decidable_roles([Role.AREA_MANAGER]) == sorted(
        [Role.AGENT, Role.CRM_CALL_CENTER, Role.COMMUNITY_MANAGER, Role.AREA_MANAGER]
    )


def test_authority_elsewhere_does_not_count_here(org, other_org, users, case):
    """Permissions are global; the role that decides is the one held in the request's
    organisation."""
    person = builders.member(other_org, Role.AREA_MANAGER, username="two-hats")
    add_member(org, person, [Role.AGENT], team_of(org, "customer_service"))
    approval = authority.request_approval(
        users[Role.AGENT], case, Approval.Kind.REPLY, "A reply", Role.COMMUNITY_MANAGER
    )
    assert person.has_perm("engagement.approve_request")
    with pytest.raises(PermissionDenied, match="or a higher one"):
        authority.decide(person, approval, True)
    assert authority.limit_for(person, org) == Decimal("150")


def test_a_director_of_another_organisation_cannot_decide(other_org, users, case):
    pending = authority.grant(users[Role.AGENT], case, "refund", "200")
    stranger = builders.member(other_org, Role.DIRECTOR, username="boss-elsewhere")
    with pytest.raises(PermissionDenied, match="not a member"):
        authority.decide(stranger, pending.approval, True)


def test_a_second_decision_is_refused_with_the_reason(org, users, case):
    pending = authority.grant(users[Role.AGENT], case, "refund", "200")
    stale = Approval.objects.get(pk=pending.approval.pk)  # loaded before anyone decided
    authority.decide(users[Role.AREA_MANAGER], pending.approval, True)
    second = builders.member(org, Role.DIRECTOR, username="director2")
    with pytest.raises(AuthorityError, match="already approved by area_manager"):
        authority.decide(second, stale, False)
    stored = Approval.objects.get(pk=pending.approval.pk)
    assert stored.status == Approval.Status.APPROVED
    assert stored.decided_by == users[Role.AREA_MANAGER]
    decisions = [e for e in events(case, CaseEvent.Kind.APPROVAL) if e.data["status"] != "pending"]
    assert len(decisions) == 1
    pending.refresh_from_db()
    assert pending.status == Goodwill.Status.GRANTED


def test_a_long_note_is_refused_and_nothing_is_decided(users, case):
    pending = authority.grant(users[Role.AGENT], case, "refund", "200")
    with pytest.raises(AuthorityError, match="2000"):
        authority.decide(users[Role.AREA_MANAGER], pending.approval, True, "n" * 2001)
    assert Approval.objects.get().status == Approval.Status.PENDING


@pytest.fixture
def reply_handler():
    calls = []
    before = authority.HANDLERS.get(Approval.Kind.REPLY)
    authority.register_handler(Approval.Kind.REPLY, lambda a, ok, by: calls.append((a.pk, ok, by)))
    yield calls
    if before is None:
        authority.HANDLERS.pop(Approval.Kind.REPLY, None)
    else:
        authority.HANDLERS[Approval.Kind.REPLY] = before


def test_the_registered_handler_runs_with_the_decision(users, case, reply_handler):
    approval = authority.request_approval(
        users[Role.AGENT], case, Approval.Kind.REPLY, "A reply promising a refund", "area_manager"
    )
    assert approval.status == Approval.Status.PENDING
    assert notified() == {"area_manager", "director"}
    authority.decide(users[Role.AREA_MANAGER], approval, False, "Not in writing")
    assert reply_handler == [(approval.pk, False, users[Role.AREA_MANAGER])]


def test_a_failing_handler_undoes_the_decision(users, case):
    before = authority.HANDLERS.get(Approval.Kind.REPLY)

    def broken(approval, approved, decided_by):
        raise RuntimeError("the network is down")

    authority.register_handler(Approval.Kind.REPLY, broken)
    try:
        approval = authority.request_approval(
            users[Role.AGENT], case, Approval.Kind.REPLY, "A reply", "area_manager"
        )
        with pytest.raises(RuntimeError):
            authority.decide(users[Role.AREA_MANAGER], approval, True)
    finally:
        if before is None:
            authority.HANDLERS.pop(Approval.Kind.REPLY, None)
        else:
            authority.HANDLERS[Approval.Kind.REPLY] = before
    assert Approval.objects.get().status == Approval.Status.PENDING
    assert not Notification.objects.filter(user=users[Role.AGENT]).exists()


def test_request_approval_refuses_bad_input(users, case):
    agent = users[Role.AGENT]
    with pytest.raises(AuthorityError, match="wizard"):
        authority.request_approval(agent, case, "reply", "Look", "wizard")
    with pytest.raises(AuthorityError, match="party"):
        authority.request_approval(agent, case, "party", "Look", "director")
    with pytest.raises(AuthorityError, match="Say what"):
        authority.request_approval(agent, case, "reply", "   ", "director")
    with pytest.raises(PermissionDenied):
        authority.request_approval(users[Role.ADVOCATE], case, "reply", "Look", "director")
    assert not Approval.objects.exists()


# --- the ledger ------------------------------------------------------------------------


@pytest.fixture
def book_data(org, users, case):
    """Goodwill of two agents in two teams, some outside the period."""
    agent, crm, manager = users[Role.AGENT], users[Role.CRM_CALL_CENTER], users[Role.AREA_MANAGER]
    shared = make_case(org, visible_to_all=True)
    authority.grant(agent, case, "refund", "0.10")
    authority.grant(agent, case, "refund", "0.20")
    authority.grant(agent, case, "gift", "99.99")
    rejected = authority.grant(agent, case, "credit", "500")
    authority.decide(manager, rejected.approval, False)
    authority.grant(crm, shared, "refund", "151")  # pending
    clock.set_now(NOW - timedelta(days=40))
    authority.grant(crm, make_case(org, visible_to_all=True), "gift", "10")  # too old
    clock.set_now(NOW)


def cell(row, kind, status):
    return row.cells.get((kind, status), authority.Cell(row.currency))


def test_the_ledger_sums_per_agent_and_team_in_decimals(org, users, book_data):
    with CaptureQueriesContext(connection) as queries:
        book = authority.ledger(org, since=NOW - timedelta(days=30), until=NOW + timedelta(1))
    assert len(queries) == 1
    agents = {r.key: r for r in book.agents}
    agent = agents[users[Role.AGENT].pk]
    refunds = cell(agent, "refund", "granted")
    assert refunds.count == 2
    assert refunds.amount == Decimal("0.30")
    assert isinstance(refunds.amount, Decimal)
    assert cell(agent, "gift", "granted").amount == Decimal("99.99")
    assert cell(agent, "credit", "rejected").count == 1
    assert cell(agent, "credit", "rejected").amount == Decimal("500.00")
    granted, pending, rejected = agent.totals
    assert (granted.count, granted.amount) == (3, Decimal("100.29"))
    assert (pending.count, pending.amount) == (0, Decimal("0.00"))
    assert (rejected.count, rejected.amount) == (1, Decimal("500.00"))
    crm = agents[users[Role.CRM_CALL_CENTER].pk]
    assert crm.totals[1].amount == Decimal("151.00")
    assert crm.totals[0].count == 0  # the old gift is outside the period
    teams = {r.key: r for r in book.teams}
    assert teams[team_of(org, "customer_service").pk].totals[0].amount == Decimal("100.29")
    assert teams[team_of(org, "crm_call_center").pk].totals[1].amount == Decimal("151.00")


def test_the_ledger_filters_by_team_and_person(org, users, book_data):
    since, until = NOW - timedelta(days=90), NOW + timedelta(1)
    by_team = authority.ledger(org, since=since, until=until, team=team_of(org, "crm_call_center"))
    assert [r.key for r in by_team.agents] == [users[Role.CRM_CALL_CENTER].pk]
    assert by_team.agents[0].totals[0].amount == Decimal("10.00")  # 90 days: the old gift
    by_person = authority.ledger(org, since=since, until=until, user=users[Role.AGENT])
    assert [r.key for r in by_person.agents] == [users[Role.AGENT].pk]
    assert [r.label for r in by_person.teams] == [team_of(org, "customer_service").name]


def test_the_ledger_leaves_other_organisations_out(org, other_org, users, book_data):
    book = authority.ledger(other_org, since=NOW - timedelta(days=90), until=NOW + timedelta(1))
    assert book.agents == [] and book.teams == []
