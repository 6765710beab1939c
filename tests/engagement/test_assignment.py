"""Assignment: the pool's strategies, its bounded queries, auto-assignment and availability."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from panal.core import clock
from panal.engagement import assignment
from panal.engagement.assignment import Pool
from panal.engagement.models import AgentProfile, Case, CaseEvent, EngagementConfig, Notification
from panal.org import services as org_services
from panal.org.models import Membership, Team

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
User = get_user_model()


@pytest.fixture
def team(org):
    return Team.objects.get(organisation=org, slug="billing")


@pytest.fixture
def other_team(org):
    return Team.objects.get(organisation=org, slug="sales")


def person(org, username, team, roles=("agent",), language="", **profile):
    user = User.objects.create_user(username=username, first_name=username.title())
    org_services.add_member(org, user, list(roles), team)
    if language:
        Membership.objects.filter(user=user, organisation=org).update(language=language)
    if profile:
        AgentProfile.objects.create(organisation=org, user=user, **profile)
    return user


def make_case(org, team, *, assignee=None, status=Case.Status.NEW, intent="", lang="", **kw):
    now = clock.now()
    return Case.objects.create(
        organisation=org, owner_team=team, assignee=assignee, status=status,
        is_open=status in Case.OPEN_STATUSES, intent=intent, lang=lang, opened_at=now,
        updated_at=now, visible_team_ids=[team.pk] if team else [],
        answer_team_ids=[team.pk] if team else [], subject=kw.pop("subject", "Help"), **kw,
    )  # fmt: skip


def hours_ago(n):
    return NOW - timedelta(hours=n)


# --- strategies ------------------------------------------------------------------------------


def test_round_robin_takes_the_least_recently_assigned_and_cycles(org, team):
    a = person(org, "ana", team, last_assigned_at=hours_ago(1))
    b = person(org, "bea", team, last_assigned_at=hours_ago(2))
    c = person(org, "cai", team)  # never assigned: first
    pool = Pool.for_org(org.pk)
    order = []
    for _ in range(6):
        chosen = pool.choose(team.pk, strategy="round_robin")
        pool.took(chosen)
        order.append(chosen)
    assert order == [c.pk, b.pk, a.pk, c.pk, b.pk, a.pk]
    assert pool.agent(c.pk).load == 2


def test_only_available_active_working_members_of_the_team_are_chosen(org, team, other_team):
    person(org, "away", team, available=False)
    full = person(org, "full", team, capacity=1)
    make_case(org, team, assignee=full)
    gone = person(org, "gone", team)
    org_services.deactivate_member(Membership.objects.get(user=gone, organisation=org))
    person(org, "elsewhere", other_team)
    person(org, "watcher", team, roles=("analyst",))  # sees cases, does not work them
    retired = person(org, "retired", team)
    User.objects.filter(pk=retired.pk).update(is_active=False)
    ready = person(org, "ready", team, last_assigned_at=hours_ago(1))

    pool = Pool.for_org(org.pk)

    for strategy in ("round_robin", "load", "skill"):
        assert pool.choose(team.pk, strategy=strategy) == ready.pk
    pool.took(ready.pk)
    assert pool.choose(team.pk, strategy="round_robin") == ready.pk  # still the only one


def test_nobody_with_room_leaves_the_case_in_the_queue(org, team):
    solo = person(org, "solo", team, capacity=2)
    pool = Pool.for_org(org.pk)
    picks = []
    for _ in range(3):
        chosen = pool.choose(team.pk, strategy="load")
        if chosen is not None:
            pool.took(chosen)
        picks.append(chosen)
    assert picks == [solo.pk, solo.pk, None]
    assert pool.choose(None, strategy="load") is None


def test_load_prefers_the_lowest_share_of_capacity(org, team):
    busy = person(org, "busy", team, capacity=10, last_assigned_at=hours_ago(5))
    light = person(org, "light", team, capacity=4, last_assigned_at=hours_ago(1))
    for _ in range(5):
        make_case(org, team, assignee=busy)  # 5/10 = 0.5
    make_case(org, team, assignee=light)  # 1/4 = 0.25
    make_case(org, team, assignee=light, status=Case.Status.RESOLVED)  # closed: no load
    pool = Pool.for_org(org.pk)
    assert pool.agent(busy.pk).load == 5
    assert pool.agent(light.pk).load == 1
    assert pool.choose(team.pk, strategy="load") == light.pk
    pool.took(light.pk)  # 2/4 = 0.5: a tie, the least recently assigned wins
    assert pool.choose(team.pk, strategy="load") == busy.pk


def test_load_counts_the_persons_open_cases_in_every_organisation(org, other_org, team):
    both = person(org, "both", team, capacity=10)
    alone = person(org, "alone", team, capacity=10)
    elsewhere = Team.objects.filter(organisation=other_org).first()
    org_services.add_member(other_org, both, ["agent"], elsewhere)
    make_case(org, team, assignee=both)
    make_case(other_org, elsewhere, assignee=both)  # the same person's attention
    make_case(org, team, assignee=alone)
    make_case(org, team, assignee=alone, status=Case.Status.CLOSED)
    assert assignment.open_cases_of([both.pk, alone.pk]) == {both.pk: 2, alone.pk: 1}
    assert assignment.open_cases_of([]) == {}
    pool = Pool.for_org(org.pk)
    assert (pool.agent(both.pk).load, pool.agent(alone.pk).load) == (2, 1)
    assert pool.choose(team.pk, strategy="load") == alone.pk


def test_load_fills_capacities_in_proportion(org, team):
    big = person(org, "big", team, capacity=2)
    small = person(org, "small", team, capacity=1)
    pool = Pool.for_org(org.pk)
    picks = []
    for _ in range(4):
        chosen = pool.choose(team.pk, strategy="load")
        if chosen is not None:
            pool.took(chosen)
        picks.append(chosen)
    assert picks == [big.pk, small.pk, big.pk, None]


def test_skill_filters_by_intent_no_skills_means_any(org, team):
    billing = person(org, "billy", team, skills=["billing"])
    anyone = person(org, "any", team, capacity=20)
    complaints = person(org, "carla", team, skills=["Complaint"])
    for _ in range(3):
        make_case(org, team, assignee=anyone)
    pool = Pool.for_org(org.pk)
    assert pool.choose(team.pk, intent="complaint", strategy="skill") == complaints.pk
    assert pool.choose(team.pk, intent="billing", strategy="skill") == billing.pk
    assert pool.choose(team.pk, intent="praise", strategy="skill") == anyone.pk
    # With no intent nobody is filtered out: the lightest load.
    assert pool.choose(team.pk, strategy="skill") in {billing.pk, complaints.pk}


def test_skill_without_a_skilled_person_leaves_the_case_in_the_queue(org, team):
    person(org, "billy", team, skills=["billing"])
    pool = Pool.for_org(org.pk)
    assert pool.choose(team.pk, intent="legal_risk", strategy="skill") is None
    # The other strategies do not look at skills.
    assert pool.choose(team.pk, intent="legal_risk", strategy="load") is not None


def test_skill_prefers_a_speaker_of_the_language_and_falls_back(org, team):
    english = person(org, "eve", team, languages=["en"], last_assigned_at=hours_ago(1))
    spanish = person(org, "sol", team)  # no profile: the organisation's language (es)
    portuguese = person(org, "rui", team, language="pt-BR")  # the membership's language
    make_case(org, team, assignee=english)
    pool = Pool.for_org(org.pk)
    assert pool.agent(spanish.pk).languages == {"es"}
    assert pool.agent(portuguese.pk).languages == {"pt"}
    assert pool.choose(team.pk, lang="en-GB", strategy="skill") == english.pk
    assert pool.choose(team.pk, lang="es", strategy="skill") == spanish.pk
    assert pool.choose(team.pk, lang="pt", strategy="skill") == portuguese.pk
    # Nobody speaks French: the lightest load of everyone skilled.
    assert pool.choose(team.pk, lang="fr", strategy="skill") in {spanish.pk, portuguese.pk}
    # A speaker without the skill is not chosen over the skill.
    AgentProfile.objects.filter(user=english).update(skills=["billing"])
    pool = Pool.for_org(org.pk)
    assert pool.choose(team.pk, intent="complaint", lang="en", strategy="skill") != english.pk


def test_the_organisations_strategy_applies_and_manual_assigns_nobody(org, team):
    first = person(org, "first", team)
    person(org, "second", team)
    assert Pool.for_org(org.pk).strategy == "skill"  # the default, with no settings row
    EngagementConfig.objects.create(organisation=org, assignment="manual")
    pool = Pool.for_org(org.pk)
    assert pool.choose(team.pk) is None
    assert pool.choose(team.pk, strategy="manual") is None
    assert pool.choose(team.pk, strategy="round_robin") == first.pk


# --- bounded queries ------------------------------------------------------------------------


def bulk_agents(org, team, start, count):
    users = User.objects.bulk_create(
        [User(username=f"bulk{i}", first_name=f"Bulk {i}") for i in range(start, start + count)]
    )
    users = list(User.objects.filter(username__in=[u.username for u in users]))
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=org, team=team, roles=["agent", "everyone"])
            for u in users
        ]
    )
    AgentProfile.objects.bulk_create(
        [AgentProfile(organisation=org, user=u, capacity=5 + i % 7) for i, u in enumerate(users)
         if i % 2]
    )  # fmt: skip
    now = clock.now()
    Case.objects.bulk_create(
        [Case(organisation=org, owner_team=team, assignee=u, opened_at=now, updated_at=now)
         for u in users[::3]]
    )  # fmt: skip
    return users


def test_loading_the_pool_takes_the_same_queries_for_5_or_200_people(
    org, team, django_assert_max_num_queries
):
    bulk_agents(org, team, 0, 5)
    with django_assert_max_num_queries(4) as small:
        pool = Pool.for_org(org.pk)
    assert len(pool.by_team[team.pk]) == 5

    bulk_agents(org, team, 5, 195)
    with django_assert_max_num_queries(4) as large:
        pool = Pool.for_org(org.pk)
    assert len(pool.by_team[team.pk]) == 200
    assert len(large) == len(small)
    assert sum(a.load for a in pool.agents.values()) == 67


def test_choosing_for_a_thousand_cases_makes_no_query(org, team, django_assert_num_queries):
    bulk_agents(org, team, 0, 60)
    pool = Pool.for_org(org.pk)
    given = 0
    with django_assert_num_queries(0):
        for i in range(1000):
            chosen = pool.choose(team.pk, intent="complaint", lang="es",
                                 strategy=("round_robin", "load", "skill")[i % 3])  # fmt: skip
            if chosen is not None:
                pool.took(chosen)
                given += 1
    room = sum(a.capacity for a in pool.agents.values())
    assert given == min(1000, room - 20)  # 20 open cases existed before
    assert all(a.load <= a.capacity for a in pool.agents.values())


def test_flush_persists_assignment_times_and_creates_missing_profiles(
    org, team, django_assert_max_num_queries
):
    with_profile = person(org, "kept", team, capacity=7, skills=["billing"], languages=["en"])
    without = person(org, "fresh", team)
    untouched = person(org, "idle", team, last_assigned_at=hours_ago(3))
    pool = Pool.for_org(org.pk)
    pool.took(with_profile.pk)
    pool.took(without.pk)
    with django_assert_max_num_queries(1):
        assert pool.flush() == 2
    kept = AgentProfile.objects.get(user=with_profile)
    assert kept.last_assigned_at == NOW
    assert (kept.capacity, kept.skills, kept.languages) == (7, ["billing"], ["en"])
    fresh = AgentProfile.objects.get(user=without)
    assert fresh.last_assigned_at == NOW
    assert (fresh.available, fresh.capacity) == (True, 20)
    assert AgentProfile.objects.get(user=untouched).last_assigned_at == hours_ago(3)
    assert pool.flush() == 0  # nothing new to write


# --- auto_assign -------------------------------------------------------------------------------


def test_auto_assign_records_the_event_and_notifies(org, team, users):
    EngagementConfig.objects.create(organisation=org, assignment="load")
    chosen = person(org, "ana", team)
    case = make_case(org, team)
    assert assignment.auto_assign(case, actor=users["area_manager"]) == chosen.pk
    case.refresh_from_db()
    assert case.assignee_id == chosen.pk
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ASSIGNED)
    assert event.actor == users["area_manager"]
    assert event.data == {"before": None, "after": chosen.pk, "how": "load"}
    assert Notification.objects.filter(user=chosen, case=case).count() == 1
    assert AgentProfile.objects.get(user=chosen).last_assigned_at == NOW


def test_auto_assign_after_a_move_picks_someone_of_the_new_team(org, team, other_team, users):
    from panal.engagement import cases

    EngagementConfig.objects.create(organisation=org, assignment="round_robin")
    old = person(org, "old", team)
    new = person(org, "new", other_team)
    case = make_case(org, team, assignee=old)
    cases.apply_team(case, other_team, actor=users["area_manager"])
    assert case.assignee_id is None  # the old assignee is not of the new team
    assert assignment.auto_assign(case) == new.pk
    case.refresh_from_db()
    assert case.assignee_id == new.pk


def test_auto_assign_leaves_the_case_alone_when_manual_or_nobody(org, team):
    case = make_case(org, team)
    assert assignment.auto_assign(case) is None  # nobody in the team
    person(org, "ana", team)
    EngagementConfig.objects.create(organisation=org, assignment="manual")
    assert assignment.auto_assign(case) is None
    assert not CaseEvent.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.assignee_id is None


def test_auto_assign_does_not_count_the_case_twice_against_its_holder(org, team):
    EngagementConfig.objects.create(organisation=org, assignment="load")
    holder = person(org, "holder", team, capacity=1)
    case = make_case(org, team, assignee=holder)
    # Its holder is full only because of this very case: they may keep it.
    assert assignment.auto_assign(case) == holder.pk
    assert not CaseEvent.objects.filter(case=case).exists()


# --- availability ------------------------------------------------------------------------------


def test_becoming_unavailable_requeues_only_untouched_cases(org, team):
    EngagementConfig.objects.create(organisation=org, assignment="load")
    leaving = person(org, "leaving", team)
    colleague = person(org, "colleague", team)
    new_cases = [make_case(org, team, assignee=leaving) for _ in range(2)]
    started = make_case(org, team, assignee=leaving, status=Case.Status.OPEN)
    waiting = make_case(org, team, assignee=leaving, status=Case.Status.PENDING)

    moved = assignment.set_available(leaving, org, False)

    assert sorted(moved) == sorted(c.pk for c in new_cases)
    assert AgentProfile.objects.get(user=leaving).available is False
    for case in new_cases:
        case.refresh_from_db()
        assert case.assignee_id == colleague.pk
        event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ASSIGNED)
        assert (event.actor_id, event.data["how"]) == (leaving.pk, "load")
    for case in (started, waiting):
        case.refresh_from_db()
        assert case.assignee_id == leaving.pk
    assert Pool.for_org(org.pk).choose(team.pk, strategy="load") == colleague.pk


def test_becoming_unavailable_with_nobody_else_puts_cases_in_the_team_queue(org, team):
    leaving = person(org, "leaving", team)
    case = make_case(org, team, assignee=leaving)
    assert assignment.set_available(leaving, org, False) == [case.pk]
    case.refresh_from_db()
    assert case.assignee_id is None
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ASSIGNED)
    assert event.data == {"before": leaving.pk, "after": None, "how": "unavailable"}
    # Coming back changes no case.
    assert assignment.set_available(leaving, org, True) == []
    assert AgentProfile.objects.get(user=leaving).available is True


def test_only_case_workers_of_the_organisation_set_availability(org, other_org, users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        assignment.set_available(users["analyst"], org, False)
    with pytest.raises(PermissionDenied):
        assignment.set_available(users["agent"], other_org, False)
    assert not AgentProfile.objects.exists()


def test_availability_page_shows_the_profile_and_load(org, users, client_en):
    agent = users["agent"]
    AgentProfile.objects.create(
        organisation=org, user=agent, capacity=9, skills=["complaint", "<b>x</b>"],
        languages=["es", "en"],
    )  # fmt: skip
    make_case(org, Team.objects.get(organisation=org, slug="customer-service"), assignee=agent)
    response = client_en("agent").get(reverse("availability"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-available="1"' in html
    assert "1 of 9" in html
    assert "complaint" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>x</b>" not in html
    assert 'name="available" value="0"' in html


def test_availability_post_switches_off_and_requeues(org, users, client_en):
    service = Team.objects.get(organisation=org, slug="customer-service")
    case = make_case(org, service, assignee=users["agent"])
    # The area manager takes cases automatically once they opt in with a profile.
    AgentProfile.objects.create(organisation=org, user=users["area_manager"])
    client = client_en("agent")
    response = client.post(reverse("availability"), {"available": "0"})
    assert response.status_code == 302
    assert response["Location"] == reverse("availability")
    assert AgentProfile.objects.get(user=users["agent"]).available is False
    case.refresh_from_db()
    assert case.assignee_id == users["area_manager"].pk  # the team's other case worker
    page = client.get(reverse("availability")).content.decode()
    assert 'data-available="0"' in page
    assert "Untouched cases sent back to assignment: 1." in page


def test_availability_rejects_a_bad_value_and_changes_nothing(org, users, client_en):
    AgentProfile.objects.create(organisation=org, user=users["agent"], available=True)
    response = client_en("agent").post(reverse("availability"), {"available": "maybe"})
    assert response.status_code == 400
    assert "Choose" in response.content.decode()
    assert AgentProfile.objects.get(user=users["agent"]).available is True


@pytest.mark.parametrize("role", ["analyst", "advocate", "agency"])
def test_availability_needs_a_case_working_role(role, users, client_en):
    client = client_en(role)
    assert client.get(reverse("availability")).status_code == 403
    assert client.post(reverse("availability"), {"available": "0"}).status_code == 403
    assert not AgentProfile.objects.exists()


def test_availability_needs_a_login(db, client):
    response = client.get(reverse("availability"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_routing_assigns_new_cases_through_the_pool(org, users, add):
    from panal.engagement.routing import route_mentions

    EngagementConfig.objects.create(organisation=org, assignment="round_robin")
    AgentProfile.objects.create(organisation=org, user=users["area_manager"])  # opted in
    rows = [
        {"external_id": f"r{i}", "text": f"Quiero un reembolso ya, el cobro {i} es un robo",
         "author": {"id": f"u{i}", "handle": f"cliente{i}"}, "lang": "es"}
        for i in range(4)
    ]  # fmt: skip
    route_mentions(add(*rows))  # (the pipeline's stage runs the same function)
    opened = list(Case.objects.filter(organisation=org).exclude(owner_team=None))
    assert opened
    pool = Pool.for_org(org.pk)
    for case in opened:
        assert case.assignee_id in {a.user_id for a in pool.by_team[case.owner_team_id]}
    stamped = AgentProfile.objects.filter(organisation=org, last_assigned_at=NOW)
    assert set(stamped.values_list("user_id", flat=True)) == {c.assignee_id for c in opened}
    # Round robin over the customer service team's two case workers: two cases each.
    # (Without a profile the area manager would not be one: see the next test.)
    service = Team.objects.get(organisation=org, slug="customer-service")
    assert {c.owner_team_id for c in opened} == {service.pk}
    given = Counter(c.assignee_id for c in opened)
    assert given == {users["agent"].pk: 2, users["area_manager"].pk: 2}


def test_managers_take_cases_automatically_only_once_they_opt_in(org, users):
    service = Team.objects.get(organisation=org, slug="customer-service")
    workers = {a.user_id for a in Pool.for_org(org.pk).by_team[service.pk]}
    assert workers == {users["agent"].pk}
    AgentProfile.objects.create(organisation=org, user=users["area_manager"])
    workers = {a.user_id for a in Pool.for_org(org.pk).by_team[service.pk]}
    assert workers == {users["agent"].pk, users["area_manager"].pk}


def test_odd_profile_values_are_read_safely(org, team):
    odd = person(org, "odd", team, skills="billing", languages={"es": True})
    agent = Pool.for_org(org.pk).agent(odd.pk)
    assert agent.skills == {"billing"}
    assert agent.languages == {"es"}  # junk: the organisation's language
