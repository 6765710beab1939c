"""Case services: who sees and changes a case, and the history every change leaves."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied

from panal.core import clock
from panal.engagement import cases
from panal.engagement.models import Case, CaseAccess, CaseEvent, CaseMention, Notification
from panal.org.models import Team


@pytest.fixture(autouse=True)
def frozen():
    clock.set_now(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    yield
    clock.set_now(None)


def team(org, department):
    return Team.objects.get(organisation=org, department=department)


def open_case(org, mention, owner, *, visible=(), answer=(), shared=False, **fields):
    now = clock.now()
    case = Case.objects.create(
        organisation=org, subject=cases.subject_of(mention), owner_team=owner,
        visible_team_ids=[owner.pk, *[t.pk for t in visible]],
        answer_team_ids=[owner.pk, *[t.pk for t in answer]], visible_to_all=shared,
        answer_all=shared, shared=shared, opened_at=now, updated_at=now,
        channel=mention.channel, contact_id=mention.author_id, first_mention=mention, **fields,
    )  # fmt: skip
    CaseAccess.objects.bulk_create(
        [CaseAccess(case=case, team_id=t) for t in case.visible_team_ids]
    )
    CaseMention.objects.create(case=case, mention=mention, added_at=now)
    return case


@pytest.fixture
def mentions(add):
    return add(
        {"external_id": "c1", "text": "Mi router no conecta desde ayer",
         "author": {"id": "u1", "handle": "lucia", "display_name": "Lucía <b>"}},
        {"external_id": "c2", "text": "Sigo sin conexión", "in_reply_to_id": "c1",
         "author": {"id": "u1", "handle": "lucia"}},
        {"external_id": "c3", "text": "¿Tenéis fibra en Sevilla?",
         "author": {"id": "u2", "handle": "pepe"}},
    )  # fmt: skip


def test_a_team_sees_its_cases_and_not_others(org, users, mentions):
    service = team(org, "customer_service")
    case = open_case(org, mentions[0], service)
    agent = users["agent"]  # customer service
    sales = users["crm_call_center"]  # CRM & call center team
    assert list(cases.visible_cases(agent)) == [case]
    assert list(cases.visible_cases(sales)) == []
    with pytest.raises(cases.CaseNotFound):
        cases.get_case_for(sales, case.pk)
    # The director sees every case of the organisation.
    assert cases.get_case_for(users["director"], case.pk) == case


def test_shared_cases_are_seen_and_answered_by_every_team(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"), shared=True)
    sales = users["crm_call_center"]
    assert cases.get_case_for(sales, case.pk) == case
    assert cases.can_answer(sales, case)


def test_a_visible_team_that_may_not_answer(org, users, mentions):
    crm = team(org, "crm_call_center")
    case = open_case(org, mentions[0], team(org, "customer_service"), visible=[crm])
    assert cases.can_see(users["crm_call_center"], case)
    assert not cases.can_answer(users["crm_call_center"], case)
    assert cases.can_answer(users["agent"], case)


def test_no_case_permission_no_list(users):
    with pytest.raises(PermissionDenied):
        cases.visible_cases(users["advocate"])


def test_status_changes_keep_clocks_and_history(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    agent = users["agent"]
    cases.set_status(agent, case, "pending")
    assert case.waiting_since == clock.now()
    clock.set_now(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    cases.set_status(agent, case, "open")
    assert case.waiting_since is None
    assert case.pauses == [["2026-11-24T10:00:00+00:00", "2026-11-24T12:00:00+00:00"]]
    cases.set_status(agent, case, "closed")
    case.refresh_from_db()
    assert case.is_open is False
    assert case.closed_at is not None
    kinds = list(case.events.values_list("kind", "data"))
    assert kinds[0] == ("status", {"before": "new", "after": "pending"})
    assert kinds[-1] == ("status", {"before": "open", "after": "closed"})
    with pytest.raises(cases.CaseError):
        cases.set_status(agent, case, "bogus")


def test_someone_without_the_case_may_not_change_it(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    with pytest.raises(PermissionDenied):
        cases.set_priority(users["crm_call_center"], case, "high")
    with pytest.raises(PermissionDenied):  # an analyst sees every case but does not work them
        cases.set_priority(users["analyst"], case, "high")


def test_priority_recomputes_the_deadlines(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    cases.set_priority(users["agent"], case, "critical")
    # Tuesday 10:00, 30 business minutes with the default Monday-to-Friday 9-18 calendar.
    assert case.first_response_due == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert case.priority_rank == 0


def test_tags_are_cleaned_and_refused_when_bad(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    cases.set_tags(users["agent"], case, ["  VIP ", "vip", "router caído"])
    assert case.tags == ["vip", "router caído"]
    with pytest.raises(cases.CaseError, match="valid tag"):
        cases.set_tags(users["agent"], case, ["=cmd|' /c calc'!A0"])
    case.refresh_from_db()
    assert case.tags == ["vip", "router caído"]


def test_assigning_notifies_and_refuses_strangers(
    org, other_org, users, mentions, django_user_model
):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    cases.assign(users["area_manager"], case, users["agent"])
    assert case.assignee == users["agent"]
    assert Notification.objects.filter(user=users["agent"], case=case, kind="assigned").exists()
    stranger = django_user_model.objects.create_user("stranger")
    with pytest.raises(cases.CaseError):
        cases.assign(users["agent"], case, stranger)
    event = case.events.get(kind="assigned")
    assert event.actor == users["area_manager"]


def test_moving_to_a_team_opens_it_to_that_team(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    cases.assign(users["agent"], case, users["agent"])
    billing = team(org, "billing")
    cases.move_to_team(users["agent"], case, billing, reason="factura")
    case.refresh_from_db()
    assert case.owner_team == billing
    assert case.assignee is None  # the agent is not in billing
    assert CaseAccess.objects.filter(case=case, team=billing).exists()
    event = case.events.get(kind="team")
    assert event.data["reason"] == "factura"


def test_notes_notify_the_people_mentioned(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    note = cases.add_note(
        users["agent"], case, "Tercera vez esta semana, @area_manager y @nadie. ¿@agent?"
    )
    assert {u.username for u in note.mentioned.all()} == {"area_manager", "agent"}
    notified = Notification.objects.filter(case=case, kind="mentioned")
    assert [n.user.username for n in notified] == ["area_manager"]  # not the author
    with pytest.raises(cases.CaseError):
        cases.add_note(users["agent"], case, "   ")


def test_merge_moves_everything_and_closes_the_source(org, users, mentions):
    service = team(org, "customer_service")
    first = open_case(org, mentions[0], service, tags=["router"])
    second = open_case(org, mentions[1], service, tags=["fibra"])
    cases.add_note(users["agent"], second, "duplicado")
    cases.merge(users["agent"], second, first)
    second.refresh_from_db()
    assert second.merged_into == first
    assert second.status == "closed"
    assert set(CaseMention.objects.filter(case=first).values_list("mention_id", flat=True)) == {
        mentions[0].pk, mentions[1].pk}  # fmt: skip
    assert first.notes.count() == 1
    assert first.tags == ["router", "fibra"]
    with pytest.raises(cases.CaseError):
        cases.merge(users["agent"], first, first)


def test_split_makes_a_new_case_with_the_chosen_mentions(org, users, mentions):
    service = team(org, "customer_service")
    case = open_case(org, mentions[0], service)
    CaseMention.objects.create(case=case, mention=mentions[2], added_at=clock.now())
    with pytest.raises(cases.CaseError):
        cases.split(users["agent"], case, [mentions[0].pk, mentions[2].pk])
    new = cases.split(users["agent"], case, [mentions[2].pk])
    assert new.owner_team == service
    assert list(CaseMention.objects.filter(case=new).values_list("mention_id", flat=True)) == [
        mentions[2].pk]  # fmt: skip
    assert CaseEvent.objects.filter(case=case, kind="split").exists()
    assert new.subject.startswith("¿Tenéis fibra")


def test_someone_mentioned_in_a_note_can_read_the_case(org, users, mentions):
    case = open_case(org, mentions[0], team(org, "customer_service"))
    curator = users["curator"]  # product team: not a team of this case
    assert not cases.can_see(curator, case)
    cases.add_note(users["agent"], case, "@curator ¿publicamos la solución?")
    assert cases.can_see(curator, case)
    assert list(cases.visible_cases(curator)) == [case]
    assert not cases.can_work(curator, case)  # reading, not handling


def test_notifications_are_written_in_each_readers_language(org, users):
    from django.utils import translation

    from panal.org.models import Membership, UserPreference

    chose_en, speaks_en, nothing = users["agent"], users["director"], users["area_manager"]
    UserPreference.objects.create(user=chose_en, language="en")
    Membership.objects.filter(user=speaks_en, organisation=org).update(language="en-GB")
    case = Case.objects.create(organisation=org, subject="Cobro doble", opened_at=clock.now(),
                               updated_at=clock.now(), visible_to_all=True)  # fmt: skip
    assert cases.languages_of([chose_en.pk, speaks_en.pk, nothing.pk], org.pk) == {
        chose_en.pk: "en", speaks_en.pk: "en", nothing.pk: "es",  # the organisation's
    }  # fmt: skip
    with translation.override("es"):  # whoever acts writes in Spanish
        cases.add_note(users["community_manager"], case,
                       "Mirad esto @agent @director @area_manager")  # fmt: skip
    texts = dict(Notification.objects.filter(case=case).values_list("user__username", "text"))
    assert texts["agent"].startswith("community_manager mentioned you on case")
    assert texts["director"].startswith("community_manager mentioned you on case")
    assert texts["area_manager"].startswith("community_manager te mencionó en el caso")
    # A plain text is written as it is, for everyone.
    cases.notify([chose_en, nothing], org.pk, Notification.Kind.NOTIFY, "#1 hola", case)
    assert set(Notification.objects.filter(text="#1 hola").values_list("user", flat=True)) == {
        chose_en.pk, nothing.pk,
    }  # fmt: skip
