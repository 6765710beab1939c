"""The approvals page, the goodwill form of a case and the goodwill ledger, through HTTP."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from panal.core import clock
from panal.demo import builders
from panal.engagement import authority
from panal.engagement.approval_views import goodwill_panel
from panal.engagement.models import Approval, Case, Goodwill
from panal.org.choices import Role
from panal.org.models import Team
from panal.org.services import add_member

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def as_role(users):
    """A logged-in client that reads the pages in English."""

    def make(role: str, user=None) -> Client:
        client = Client()
        client.force_login(user or users[role])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def make_case(org, department: str = "customer_service", **fields) -> Case:
    team = Team.objects.get(organisation=org, department=department)
    now = clock.now()
    return Case.objects.create(
        organisation=org, subject="The router is broken", status=Case.Status.OPEN,
        owner_team=team, visible_team_ids=[team.pk], answer_team_ids=[team.pk],
        opened_at=now, updated_at=now, **fields,
    )  # fmt: skip


@pytest.fixture
def case(org):
    return make_case(org)


@pytest.fixture
def pending(users, case):
    """An agent's 200 refund waiting for an area manager."""
    return authority.grant(users[Role.AGENT], case, "refund", "200", HOSTILE).approval


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who may see what ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["approvals", "goodwill-ledger", "goodwill-ledger-export"])
def test_anonymous_users_are_sent_to_login(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_anonymous_posts_change_nothing(pending, case):
    client = Client()
    client.post(reverse("approval-decide", args=[pending.pk]), {"decision": "approve"})
    client.post(reverse("case-goodwill", args=[case.pk]), {"kind": "gift", "amount": "5"})
    assert Approval.objects.get().status == Approval.Status.PENDING
    assert Goodwill.objects.count() == 1


@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST, Role.COMMUNITY_MANAGER, Role.EVERYONE])
def test_people_who_may_not_decide_get_403(as_role, pending, role):
    client = as_role(role)
    assert client.get(reverse("approvals")).status_code == 403
    response = client.post(reverse("approval-decide", args=[pending.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert Approval.objects.get().status == Approval.Status.PENDING


def test_another_organisations_request_is_404(as_role, other_org):
    elsewhere = builders.member(other_org, Role.AGENT, username="agent-elsewhere")
    their_case = make_case(other_org)
    theirs = authority.grant(elsewhere, their_case, "refund", "200").approval
    client = as_role(Role.DIRECTOR)
    response = client.post(reverse("approval-decide", args=[theirs.pk]), {"decision": "approve"})
    assert response.status_code == 404
    assert (
        client.post(reverse("approval-decide", args=[99]), {"decision": "approve"}).status_code
        == 404
    )
    assert Approval.objects.get().status == Approval.Status.PENDING


def test_the_ledger_needs_reports_or_approvals(as_role):
    assert as_role(Role.ADVOCATE).get(reverse("goodwill-ledger")).status_code == 403
    assert as_role(Role.ADVOCATE).get(reverse("goodwill-ledger-export")).status_code == 403
    # Amounts per person are for managers, the director, analysts: not every agent.
    assert as_role(Role.AGENT).get(reverse("goodwill-ledger")).status_code == 403
    assert as_role(Role.EVERYONE).get(reverse("goodwill-ledger")).status_code == 403
    assert as_role(Role.ANALYST).get(reverse("goodwill-ledger")).status_code == 200
    assert as_role(Role.AREA_MANAGER).get(reverse("goodwill-ledger")).status_code == 200


# --- the approvals page ------------------------------------------------------------------


def test_the_page_lists_what_to_decide_first_then_own_requests_then_decisions(
    org, users, as_role, case, pending
):
    manager = users[Role.AREA_MANAGER]
    own = authority.grant(manager, case, "gift", "1000").approval  # 1,200 on the case: director
    done = authority.grant(users[Role.AGENT], make_case(org), "credit", "160").approval
    authority.decide(users[Role.DIRECTOR], done, True, "Fine")
    above = authority.grant(users[Role.AGENT], make_case(org), "refund", "2000").approval
    response = as_role(Role.AREA_MANAGER).get(reverse("approvals"))
    assert response.status_code == 200
    assert [a.pk for a in response.context["to_decide"]] == [pending.pk]  # not `above`
    assert [a.pk for a in response.context["mine"]] == [own.pk]
    assert [a.pk for a in response.context["recent"]] == [done.pk]
    html = response.content.decode()
    assert html.index(f'id="approval-{pending.pk}"') < html.index(f'id="approval-{own.pk}"')
    assert html.index(f'id="approval-{own.pk}"') < html.index(f'id="approval-{done.pk}"')
    assert f'id="approval-{above.pk}"' not in html
    assert reverse("approval-decide", args=[pending.pk]) in html
    assert reverse("approval-decide", args=[own.pk]) not in html
    # The director sees both requests that wait, the oldest first.
    director_page = as_role(Role.DIRECTOR).get(reverse("approvals"))
    assert [a.pk for a in director_page.context["to_decide"]] == [pending.pk, own.pk, above.pk]


def test_hostile_text_is_escaped_on_the_approvals_page(as_role, pending):
    html = as_role(Role.AREA_MANAGER).get(reverse("approvals")).content.decode()
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_approving_through_the_page(users, as_role, pending):
    client = as_role(Role.AREA_MANAGER)
    response = client.post(
        reverse("approval-decide", args=[pending.pk]), {"decision": "approve", "note": "Once"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals")
    assert flashes(response) == [f"Approved: case #{pending.case_id}."]
    stored = Approval.objects.get()
    assert stored.status == Approval.Status.APPROVED and stored.decision_note == "Once"
    assert Goodwill.objects.get().status == Goodwill.Status.GRANTED


def test_a_second_decision_is_refused_with_409_and_the_reason(org, users, as_role, pending):
    as_role(Role.AREA_MANAGER).post(
        reverse("approval-decide", args=[pending.pk]), {"decision": "reject"}
    )
    response = as_role(Role.DIRECTOR).post(
        reverse("approval-decide", args=[pending.pk]), {"decision": "approve"}
    )
    assert response.status_code == 409
    assert "already rejected by area_manager" in response.content.decode()
    assert Approval.objects.get().status == Approval.Status.REJECTED
    assert Goodwill.objects.get().status == Goodwill.Status.REJECTED


def test_a_lower_role_gets_403_with_the_reason(users, as_role, case):
    above = authority.grant(users[Role.AGENT], case, "refund", "1200").approval
    response = as_role(Role.AREA_MANAGER).post(
        reverse("approval-decide", args=[above.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert "Social media director" in response.content.decode()
    assert Approval.objects.get().status == Approval.Status.PENDING


def test_the_requester_gets_403(org, users, as_role, case):
    manager = users[Role.AREA_MANAGER]
    own = authority.request_approval(manager, case, "reply", "My reply", Role.AREA_MANAGER)
    response = as_role(Role.AREA_MANAGER).post(
        reverse("approval-decide", args=[own.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert "your own request" in response.content.decode()


def test_bad_decisions_are_400_and_keep_the_note(as_role, pending):
    client = as_role(Role.AREA_MANAGER)
    response = client.post(
        reverse("approval-decide", args=[pending.pk]), {"decision": "maybe", "note": HOSTILE}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose to approve or to reject" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html  # the note, kept and escaped
    long_note = client.post(
        reverse("approval-decide", args=[pending.pk]), {"decision": "approve", "note": "n" * 2001}
    )
    assert long_note.status_code == 400
    assert "2000" in long_note.content.decode()
    assert Approval.objects.get().status == Approval.Status.PENDING


# --- goodwill on a case ------------------------------------------------------------------


def test_granting_within_authority_redirects_to_the_case(as_role, case):
    response = as_role(Role.AGENT).post(
        reverse("case-goodwill", args=[case.pk]), {"kind": "refund", "amount": "150", "reason": "x"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert flashes(response) == ["Granted: Refund of 150.00\u00a0EUR."]
    assert Goodwill.objects.get().status == Goodwill.Status.GRANTED


def test_above_authority_says_to_whom_it_went(as_role, case):
    response = as_role(Role.AGENT).post(
        reverse("case-goodwill", args=[case.pk]), {"kind": "gift", "amount": "150.01"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert flashes(response) == [
        "Above your limit: the gift of 150.01\u00a0EUR was sent for approval to: Area manager."
    ]
    assert Goodwill.objects.get().status == Goodwill.Status.PENDING


def test_a_bad_amount_is_400_and_keeps_what_was_typed(as_role, case):
    response = as_role(Role.AGENT).post(
        reverse("case-goodwill", args=[case.pk]),
        {"kind": "credit", "amount": "12.345", "reason": HOSTILE},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not an amount" in html
    assert 'value="12.345"' in html
    assert HOSTILE not in html
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in html
    assert '<option value="credit" selected>' in html
    assert not Goodwill.objects.exists()


def test_goodwill_on_a_case_one_may_not_see_is_404_and_without_work_403(
    org, other_org, as_role, case
):
    their_case = make_case(other_org)
    client = as_role(Role.DIRECTOR)
    url = reverse("case-goodwill", args=[their_case.pk])
    assert client.post(url, {"kind": "gift", "amount": "5"}).status_code == 404
    everyone_sees = make_case(org, visible_to_all=True)
    agency = as_role(Role.AGENCY)  # sees cases, may not work them
    url = reverse("case-goodwill", args=[everyone_sees.pk])
    assert agency.post(url, {"kind": "gift", "amount": "5"}).status_code == 403
    assert not Goodwill.objects.exists()


def test_the_goodwill_panel_shows_the_limit_what_is_left_and_escapes(users, case):
    authority.grant(users[Role.AGENT], case, "refund", "100.50", HOSTILE)
    request = RequestFactory().get("/")
    request.user = users[Role.AGENT]
    with translation.override("en"):
        panel = goodwill_panel(request, case)
        html = render_to_string("engagement/case/_goodwill.html", {"goodwill": panel}, request)
    assert panel["can_grant"] is True
    assert panel["limit"] == "150.00\u00a0EUR"
    assert panel["left"] == "49.50\u00a0EUR"
    assert "100.50\u00a0EUR" in html
    assert "49.50\u00a0EUR is left" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert f'action="/cases/{case.pk}/goodwill/"' in html
    request.user = users[Role.AGENCY]
    assert goodwill_panel(request, case)["can_grant"] is False


# --- the ledger page and its export --------------------------------------------------------


@pytest.fixture
def ledger_data(org, users, case):
    sneaky = builders.member(org, Role.AGENT, username="sneaky", first_name="=HYPERLINK(1)")
    add_member(org, sneaky, [Role.AGENT, Role.EVERYONE], Team.objects.get(
        organisation=org, department="billing"))  # fmt: skip
    authority.grant(users[Role.AGENT], case, "refund", "40.10")
    authority.grant(users[Role.AGENT], case, "refund", "9.90")
    billing = make_case(org, "billing")
    authority.grant(sneaky, billing, "gift", "25")
    clock.set_now(NOW - timedelta(days=20))
    authority.grant(users[Role.AGENT], make_case(org), "credit", "70")
    clock.set_now(NOW)


def test_the_ledger_page_sums_per_agent_and_team(org, users, as_role, ledger_data):
    response = as_role(Role.ANALYST).get(reverse("goodwill-ledger"), {"days": 7})
    assert response.status_code == 200
    book = response.context["book"]
    agent = next(r for r in book.agents if r.key == users[Role.AGENT].pk)
    assert agent.totals[0].amount == Decimal("50.00") and agent.totals[0].count == 2
    html = response.content.decode()
    assert "50.00\u00a0EUR" in html
    month = as_role(Role.ANALYST).get(reverse("goodwill-ledger"), {"days": 30}).context["book"]
    agent = next(r for r in month.agents if r.key == users[Role.AGENT].pk)
    assert agent.totals[0].amount == Decimal("120.00")
    billing = Team.objects.get(organisation=org, department="billing")
    only = as_role(Role.ANALYST).get(reverse("goodwill-ledger"), {"days": 30, "team": billing.pk})
    assert [r.key for r in only.context["book"].teams] == [billing.pk]


def test_an_unknown_team_is_400(other_org, as_role):
    theirs = Team.objects.filter(organisation=other_org).first()
    response = as_role(Role.ANALYST).get(reverse("goodwill-ledger"), {"team": theirs.pk})
    assert response.status_code == 400
    assert "no such team" in response.content.decode()
    assert (
        as_role(Role.ANALYST).get(reverse("goodwill-ledger-export"), {"team": "x"}).status_code
        == 400
    )


def test_the_export_is_formula_safe(org, as_role, ledger_data):
    response = as_role(Role.AREA_MANAGER).get(reverse("goodwill-ledger-export"), {"days": 30})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="panal-acme-goodwill-2026-03-02-2026-03-31.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["scope", "name", "kind", "status", "count", "amount", "currency"]
    assert ["agent", "'=HYPERLINK(1)", "gift", "granted", "1", "25.00", "EUR"] in lines
    assert ["agent", "agent", "refund", "granted", "2", "50.00", "EUR"] in lines
    service = Team.objects.get(organisation=org, department="customer_service").name
    assert ["team", service, "credit", "granted", "1", "70.00", "EUR"] in lines
    assert not any(cell.startswith("=") for line in lines for cell in line)


def test_the_approvals_page_queries_do_not_grow_with_the_list(org, users, as_role, pending):
    client = as_role(Role.DIRECTOR)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("approvals")).status_code == 200
    for _ in range(4):
        authority.grant(users[Role.AGENT], make_case(org), "gift", "400", "again")
    authority.decide(users[Role.DIRECTOR], Approval.objects.filter(status="pending").last(), True)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(reverse("approvals")).context["to_decide"]) == 4
    assert len(five) == len(one)
