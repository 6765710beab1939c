"""Leads from purchase intent: one open lead per case, the sales team of the brand, the
owner by load, the case's history, notifications, the batch version, stage and owner."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.core.ids import new_id
from panal.demo import builders
from panal.engagement import cases, leads
from panal.engagement.models import (
    Case,
    CaseEvent,
    CaseMention,
    EngagementConfig,
    Lead,
    Notification,
)
from panal.listening.models import Author, Mention
from panal.org import services as org_services
from panal.org.models import Brand, Team

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# --- builders shared with the other knowledge-base and lead tests -------------------------------


def author(org, handle="ana", name="Ana"):
    return Author.objects.create(
        organisation=org, channel="api", external_id=f"{handle}-{new_id()}", handle=handle,
        display_name=name, first_seen_at=NOW, last_seen_at=NOW,
    )  # fmt: skip


def mention(account, who, text, *, brand=None, lang="es", minutes=0):
    at = NOW + timedelta(minutes=minutes)
    return Mention.objects.create(
        organisation_id=account.organisation_id, account=account, channel="api",
        external_id=f"m-{new_id()}", text=text, lang=lang, author=who,
        author_handle=who.handle, author_display_name=who.display_name, brand=brand,
        created_at=at, received_at=at, content_hash=f"h{new_id()}",
    )  # fmt: skip


def open_case(org, messages=(), *, subject="Quiero comprar", team=None, assignee=None,
              visible_to_all=False, lang="es", contact=None):  # fmt: skip
    """A case with its mentions linked in order (the first one is `first_mention`)."""
    case = Case.objects.create(
        organisation=org, subject=subject, opened_at=NOW, updated_at=NOW, owner_team=team,
        assignee=assignee, visible_to_all=visible_to_all, lang=lang, intent="purchase_intent",
        contact=contact or (messages[0].author if messages else None),
        first_mention=messages[0] if messages else None,
        visible_team_ids=[team.pk] if team else [],
    )  # fmt: skip
    for m in messages:
        CaseMention.objects.create(case=case, mention=m, added_at=NOW)
    return case


def seller(org, username, team=None, role="agent"):
    """A member of the sales team (an agent's permissions: see and work cases)."""
    user = builders.member(org, role, username=username)
    team = team or sales_team(org)
    org_services.add_member(org, user, [role, "everyone"], team)
    return user


def sales_team(org):
    """The sales team every test organisation starts with."""
    return Team.objects.get(organisation=org, slug="sales")


# --- create_lead ----------------------------------------------------------------------------------


@pytest.fixture
def buyer_case(org, account):
    ana = author(org)
    first = mention(account, ana, "¿Alguien me recomienda qué router comprar? Quiero fibra en casa")
    second = mention(account, ana, "Mejor si tiene wifi 6", minutes=5)
    return open_case(org, [first, second], subject="Recomendación de router")


def test_a_lead_goes_to_the_least_loaded_seller_with_the_conversation(org, buyer_case):
    busy = seller(org, "busy")
    free = seller(org, "free")
    for _ in range(2):
        Lead.objects.create(organisation=org, title="x", owner=busy, created_at=NOW)
    Lead.objects.create(organisation=org, title="won", owner=free, stage="won", created_at=NOW)

    lead = leads.create_lead(buyer_case)

    assert lead.owner == free  # won and lost leads are no load
    assert lead.team == sales_team(org)
    assert lead.case == buyer_case
    assert lead.contact == buyer_case.contact
    assert lead.title == "Recomendación de router"
    assert lead.stage == Lead.Stage.NEW
    event = CaseEvent.objects.get(case=buyer_case, kind=CaseEvent.Kind.LEAD)
    assert event.data["lead"] == lead.pk
    assert event.data["how"] == "load"
    notices = Notification.objects.filter(user=free)
    assert [n.kind for n in notices] == [Notification.Kind.ASSIGNED]
    assert "Recomendación de router" in notices[0].text
    assert not Notification.objects.filter(user=busy).exists()


def test_create_lead_is_idempotent_per_case(org, buyer_case):
    seller(org, "solo")
    first = leads.create_lead(buyer_case, title="Router para casa")
    again = leads.create_lead(buyer_case, title="Otro título")
    assert again.pk == first.pk
    assert Lead.objects.filter(case=buyer_case).count() == 1
    assert CaseEvent.objects.filter(case=buyer_case, kind="lead").count() == 1
    assert Notification.objects.count() == 1
    # Once it is won, a new interest opens a new lead.
    Lead.objects.filter(pk=first.pk).update(stage="won")
    third = leads.create_lead(buyer_case)
    assert third.pk != first.pk


def test_the_case_assignee_keeps_it_when_they_are_in_sales(org, buyer_case):
    seller(org, "free")
    mine = seller(org, "mine")
    Lead.objects.create(organisation=org, title="x", owner=mine, created_at=NOW)
    buyer_case.assignee = mine
    buyer_case.save()
    assert leads.create_lead(buyer_case).owner == mine


def test_an_assignee_outside_sales_does_not_get_it(org, users, buyer_case):
    s = seller(org, "s1")
    buyer_case.assignee = users["agent"]  # customer service
    buyer_case.save()
    assert leads.create_lead(buyer_case).owner == s


def test_inactive_sellers_get_nothing(org, buyer_case):
    gone = seller(org, "gone")
    org_services.deactivate_member(gone.memberships.get(organisation=org))
    stays = seller(org, "stays")
    Lead.objects.create(organisation=org, title="x", owner=stays, created_at=NOW)
    assert leads.create_lead(buyer_case).owner == stays


def test_a_sales_team_without_members_gets_the_lead_in_its_queue(org, buyer_case):
    lead = leads.create_lead(buyer_case)
    assert lead.owner is None
    assert lead.team == sales_team(org)
    assert CaseEvent.objects.get(case=buyer_case, kind="lead").data["how"] == "team_queue"
    assert not Notification.objects.exists()


def test_a_manual_organisation_puts_it_in_the_team_queue_and_tells_the_team(org, buyer_case):
    config = cases.config_for(org)
    config.assignment = EngagementConfig.Strategy.MANUAL
    config.save()
    a, b = seller(org, "a"), seller(org, "b")
    lead = leads.create_lead(buyer_case, a)
    assert lead.owner is None
    assert lead.team == sales_team(org)
    # The actor knows already; the rest of the team is told.
    notices = list(Notification.objects.all())
    assert [(n.user, n.kind) for n in notices] == [(b, Notification.Kind.NOTIFY)]
    assert notices[0].case == buyer_case


def test_a_manual_organisation_still_gives_it_to_a_selling_assignee(org, buyer_case):
    config = cases.config_for(org)
    config.assignment = EngagementConfig.Strategy.MANUAL
    config.save()
    seller(org, "a")
    b = seller(org, "b")
    buyer_case.assignee = b
    buyer_case.save()
    assert leads.create_lead(buyer_case).owner == b


def test_the_first_sales_team_by_name_when_there_are_several(org, buyer_case):
    first = Team.objects.create(organisation=org, slug="sales-2", name="AAA Sales",
                                department="sales")  # fmt: skip
    assert leads.create_lead(buyer_case).team == first


def test_the_brand_of_the_first_mention_chooses_the_sales_team(org, account):
    movil = Brand.objects.get(organisation=org, slug="acme-movil")
    movil_sales = Team.objects.create(organisation=org, slug="sales-movil", name="Ventas Móvil",
                                      department="sales", brand=movil)  # fmt: skip
    s = seller(org, "movil-seller", team=movil_sales)
    seller(org, "general-seller")
    ana = author(org)
    case = open_case(
        org, [mention(account, ana, "¿Qué móvil de Acme Móvil me compro?", brand=movil)]
    )
    lead = leads.create_lead(case)
    assert lead.team == movil_sales
    assert lead.owner == s
    # Without a brand, the sales team without one.
    plain = open_case(org, [mention(account, ana, "¿Qué me compro?")])
    assert leads.create_lead(plain).team == sales_team(org)


def test_routing_gives_the_brands_it_knows_and_asks_for_no_open_lead(org, account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    movil = Brand.objects.get(organisation=org, slug="acme-movil")
    movil_sales = Team.objects.create(organisation=org, slug="sales-movil", name="Ventas Móvil",
                                      department="sales", brand=movil)  # fmt: skip
    seller(org, "movil-seller", team=movil_sales)
    seller(org, "general-seller")
    ana = author(org)
    cases = [open_case(org, [mention(account, ana, "¿Qué móvil me compro?", minutes=n)])
             for n in range(3)]  # fmt: skip
    given = {cases[0].pk: movil.pk, cases[1].pk: None, cases[2].pk: movil.pk}
    with CaptureQueriesContext(connection) as told:
        made = leads.bulk_create_for(cases, brands=given, opened=True)
    assert [lead.team for lead in made] == [movil_sales, sales_team(org), movil_sales]
    another = open_case(org, [mention(account, ana, "¿Y un router?")])
    with CaptureQueriesContext(connection) as asked:
        leads.bulk_create_for([another])
    assert len(told) == len(asked) - 2  # neither the open leads nor the brands are read


def test_no_sales_team_still_makes_a_lead_for_the_assignee(org, account, users):
    Team.objects.filter(organisation=org, department="sales").delete()
    case = open_case(org, [mention(account, author(org), "Quiero comprar")],
                     assignee=users["agent"])  # fmt: skip
    lead = leads.create_lead(case, users["director"])
    assert lead.team is None
    assert lead.owner == users["agent"]
    event = CaseEvent.objects.get(case=case, kind="lead")
    assert event.data["how"] == "no_sales_team"
    assert event.actor == users["director"]


# --- the batch -------------------------------------------------------------------------------


def test_bulk_create_spreads_a_batch_and_costs_the_same_for_any_size(org, account):
    a, b = seller(org, "a"), seller(org, "b")
    ana = author(org)

    def batch(n):
        return [open_case(org, [mention(account, ana, f"Quiero comprar {i}")]) for i in range(n)]

    small, large = batch(2), batch(8)
    with CaptureQueriesContext(connection) as few:
        made = leads.bulk_create_for(small)
    with CaptureQueriesContext(connection) as many:
        made_large = leads.bulk_create_for(large)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert [lead.case_id for lead in made] == [c.pk for c in small]
    assert [lead.case_id for lead in made_large] == [c.pk for c in large]
    owners = [lead.owner_id for lead in [*made, *made_large]]
    assert owners.count(a.pk) == 5
    assert owners.count(b.pk) == 5
    assert CaseEvent.objects.filter(kind="lead").count() == 10
    assert Notification.objects.count() == 10
    assert Lead.objects.filter(pk__in=[lead.pk for lead in made_large]).count() == 8


def test_bulk_create_returns_existing_leads_and_ignores_repeats(org, buyer_case, account):
    seller(org, "s")
    existing = leads.create_lead(buyer_case)
    fresh = open_case(org, [mention(account, author(org, "bea"), "Busco un portátil")])
    out = leads.bulk_create_for([buyer_case, fresh, fresh])
    assert out[0].pk == existing.pk
    assert out[1].case == fresh
    assert len(out) == 2
    assert Lead.objects.count() == 2
    assert leads.bulk_create_for([]) == []


# --- stage and owner -----------------------------------------------------------------------


def test_set_stage_and_owner_record_on_the_case(org, buyer_case, users):
    s = seller(org, "s")
    other = seller(org, "other")
    lead = leads.create_lead(buyer_case)
    leads.set_stage(s, lead, "contacted")
    leads.set_owner(s, lead, other)
    lead.refresh_from_db()
    assert lead.stage == "contacted"
    assert lead.owner == other
    data = [e.data for e in CaseEvent.objects.filter(case=buyer_case, kind="lead")]
    assert [d["action"] for d in data] == ["created", "stage", "owner"]
    assert data[1]["before"] == "new"
    assert data[1]["after"] == "contacted"
    assert data[2]["after"] == other.pk
    assert Notification.objects.filter(user=other, kind="assigned").exists()


def test_bad_stage_and_owner_are_refused(org, buyer_case, other_org):
    s = seller(org, "s")
    lead = leads.create_lead(buyer_case)
    with pytest.raises(leads.LeadError):
        leads.set_stage(s, lead, "sold")
    outsider = builders.member(other_org, "agent", username="outsider")
    with pytest.raises(leads.LeadError):
        leads.set_owner(s, lead, outsider)
    lead.refresh_from_db()
    assert lead.stage == "new"
    assert lead.owner == s


def test_who_may_see_and_change_a_lead(org, buyer_case, users):
    s = seller(org, "s")
    lead = leads.create_lead(buyer_case)
    # Customer service cannot see the case (owned by nobody, not shared) nor is in sales.
    assert not leads.can_see(users["agent"], lead)
    with pytest.raises(PermissionDenied):
        leads.set_stage(users["agent"], lead, "won")
    # The director sees everything; the analyst sees but may not work cases.
    assert leads.can_see(users["director"], lead)
    assert leads.can_see(users["analyst"], lead)
    assert not leads.can_work(users["analyst"], lead)
    with pytest.raises(PermissionDenied):
        leads.set_owner(users["analyst"], lead, None)
    assert leads.can_work(s, lead)
    assert not leads.can_see(users["advocate"], lead)


def test_visible_leads_put_mine_first_then_my_teams(org, users, account):
    me = seller(org, "me")
    mate = seller(org, "mate")
    ana = author(org)
    cases_ = [open_case(org, [mention(account, ana, f"compra {i}")]) for i in range(3)]
    team = sales_team(org)
    theirs = Lead.objects.create(organisation=org, case=cases_[0], title="theirs", team=team,
                                 owner=mate, created_at=NOW + timedelta(hours=2))  # fmt: skip
    mine = Lead.objects.create(organisation=org, case=cases_[1], title="mine", team=team,
                               owner=me, created_at=NOW)  # fmt: skip
    hidden = Lead.objects.create(organisation=org, case=cases_[2], title="hidden",
                                 created_at=NOW + timedelta(hours=3))  # fmt: skip
    assert list(leads.visible_leads(me, org.pk)) == [mine, theirs]
    assert hidden in leads.visible_leads(users["director"], org.pk)
    with pytest.raises(PermissionDenied):
        leads.visible_leads(users["advocate"], org.pk)
