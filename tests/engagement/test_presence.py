"""Collision detection: presence, the soft reply lock, and the live panel."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from panal.core import clock
from panal.engagement import presence
from panal.engagement.models import Case, Presence
from panal.engagement.presence_views import presence_panel
from panal.org.models import Team

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>'


def at(seconds):
    clock.set_now(NOW + timedelta(seconds=seconds))


@pytest.fixture
def service(org):
    return Team.objects.get(organisation=org, slug="customer-service")


def make_case(org, team, **kw):
    now = clock.now()
    return Case.objects.create(
        organisation=org, owner_team=team, subject="Help", opened_at=now, updated_at=now,
        visible_team_ids=[team.pk], answer_team_ids=[team.pk], **kw,
    )  # fmt: skip


@pytest.fixture
def case(org, service, frozen):
    return make_case(org, service)


# --- presence ---------------------------------------------------------------------------------


def test_touch_is_one_upsert_per_person_and_case(case, users, django_assert_num_queries):
    agent = users["agent"]
    with django_assert_num_queries(1):
        presence.touch(agent, case)
    at(3)
    with django_assert_num_queries(1):
        presence.touch(agent, case, "typing")
    row = Presence.objects.get(case=case, user=agent)
    assert (row.state, row.seen_at) == ("typing", NOW + timedelta(seconds=3))
    assert Presence.objects.count() == 1


def test_touch_refuses_an_unknown_state(case, users):
    with pytest.raises(presence.PresenceError):
        presence.touch(users["agent"], case, "dancing")
    assert not Presence.objects.exists()


def test_others_shows_people_seen_in_the_last_30_seconds(case, users):
    agent, manager, director = users["agent"], users["area_manager"], users["director"]
    presence.touch(agent, case)
    presence.touch(manager, case)
    at(10)
    presence.touch(director, case, "typing")
    at(29)
    seen = presence.others(case, agent)
    assert [(s.user_id, s.state) for s in seen] == [
        (director.pk, "typing"),  # typists first
        (manager.pk, "viewing"),
    ]
    assert seen[1].name == "area_manager"
    assert seen[1].team == Team.objects.get(pk=manager.memberships.get().team_id).name
    at(31)
    assert [s.user_id for s in presence.others(case, agent)] == [director.pk]
    at(41)
    assert presence.others(case, agent) == []


def test_leave_and_prune_forget_presence(case, users):
    presence.touch(users["agent"], case)
    presence.touch(users["area_manager"], case)
    presence.leave(users["area_manager"], case)
    assert presence.others(case, users["agent"]) == []
    at(3601)
    assert presence.prune() == 1
    assert not Presence.objects.exists()


# --- the reply lock -----------------------------------------------------------------------------


def test_lock_is_taken_refused_to_others_and_renewed_by_its_holder(case, users):
    agent, manager = users["agent"], users["area_manager"]
    assert presence.acquire(agent, case) == (True, agent)
    assert presence.holder(case) == agent
    at(60)
    assert presence.acquire(manager, case) == (False, agent)
    assert presence.acquire(agent, case) == (True, agent)  # renewed to 60 + 120
    lock = presence.lock_of(case)
    assert lock.until == NOW + timedelta(seconds=180)
    assert lock.seconds_left == 120
    case.refresh_from_db()
    assert case.lock_user_id == agent.pk


def test_an_expired_lock_goes_to_the_next_person(case, users):
    agent, manager = users["agent"], users["area_manager"]
    assert presence.acquire(agent, case, seconds=30) == (True, agent)
    at(30)
    assert presence.holder(case) == agent  # still held at its last second
    assert presence.acquire(manager, case) == (False, agent)
    at(31)
    assert presence.holder(case) is None
    assert presence.acquire(manager, case) == (True, manager)
    assert presence.holder(case) == manager


def test_only_the_holder_releases(case, users):
    agent, manager = users["agent"], users["area_manager"]
    presence.acquire(agent, case)
    assert presence.release(manager, case) is False
    assert presence.holder(case) == agent
    assert presence.release(agent, case) is True
    assert presence.holder(case) is None
    assert presence.acquire(manager, case) == (True, manager)


def test_a_lock_needs_the_right_to_answer_and_a_sane_length(case, users):
    with pytest.raises(PermissionDenied):
        presence.acquire(users["analyst"], case)  # sees every case, answers none
    with pytest.raises(PermissionDenied):
        presence.acquire(users["crm_call_center"], case)  # another team's case
    with pytest.raises(presence.PresenceError):
        presence.acquire(users["agent"], case, seconds=0)
    assert presence.holder(case) is None
    presence.acquire(users["agent"], case, seconds=10_000)
    assert presence.lock_of(case).seconds_left == presence.MAX_LOCK_SECONDS


@pytest.mark.django_db(transaction=True)
def test_racing_for_the_lock_gives_it_to_exactly_one(org, users):
    """Several people taking the lock at the same moment, many times: one winner each time."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers (IMMEDIATE transactions); the race needs PostgreSQL")
    team = Team.objects.get(organisation=org, slug="customer-service")
    racers = [users["agent"], users["area_manager"], users["director"], users["community_manager"]]
    for _round in range(15):
        case = make_case(org, team)
        barrier = threading.Barrier(len(racers))
        results = []

        def race(user, case=case, barrier=barrier, results=results):
            try:
                barrier.wait()
                results.append((user.pk, presence.acquire(user, case)))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=race, args=(u,)) for u in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [pk for pk, (ok, _holder) in results if ok]
        assert len(results) == len(racers)
        assert len(winners) == 1
        assert {h.pk for _pk, (_ok, h) in results} == set(winners)
        case.refresh_from_db()
        assert case.lock_user_id == winners[0]


# --- the panel ----------------------------------------------------------------------------------


def test_panel_context_records_the_viewer_and_renders_the_poller(case, users):
    request = RequestFactory().get("/")
    request.user = users["agent"]
    presence.touch(users["area_manager"], case, "typing")
    context = presence_panel(request, case)
    assert Presence.objects.get(user=users["agent"], case=case).state == "viewing"
    assert [s.user_id for s in context["others"]] == [users["area_manager"].pk]
    with translation.override("en"):
        html = render_to_string(
            "engagement/case/_presence.html", {"presence": context}, request=request
        )
    url = reverse("case-presence", args=[case.pk])
    assert f'hx-post="{url}"' in html
    assert 'hx-trigger="every 5s"' in html
    assert 'name="state" id="case-presence-state" value="viewing"' in html
    assert "area_manager</bdi> is typing a reply" in html
    assert "csrfmiddlewaretoken" in html


def test_post_records_the_state_and_shows_the_others(case, users, client_en):
    manager = users["area_manager"]
    manager.first_name = HOSTILE
    manager.save()
    presence.touch(manager, case)
    presence.acquire(manager, case)
    at(20)
    response = client_en("agent").post(
        reverse("case-presence", args=[case.pk]), {"state": "typing"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert Presence.objects.get(user=users["agent"], case=case).state == "typing"
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</bdi> is viewing" in html
    assert "is writing the reply (held for 100 more seconds)" in html
    assert 'value="typing"' in html


def test_the_holder_sees_their_own_lock(case, users, client_en):
    presence.acquire(users["agent"], case, seconds=1)
    response = client_en("agent").post(reverse("case-presence", args=[case.pk]))
    html = response.content.decode()
    assert "You are writing the reply (held for 1 more second)." in html
    assert "Nobody else has this case open." in html


def test_a_shared_case_shows_people_of_every_team(org, service, users, client_en, frozen):
    crm = Team.objects.get(organisation=org, slug="crm-call-center")
    crm.name = "CRM & <i>calls</i>"
    crm.save()
    shared = make_case(org, service, shared=True, visible_to_all=True, answer_all=True)
    client_en("crm_call_center").post(reverse("case-presence", args=[shared.pk]))
    html = client_en("agent").post(reverse("case-presence", args=[shared.pk])).content.decode()
    assert "crm_call_center</bdi> is viewing" in html
    assert '<span class="tag"><bdi>CRM &amp; &lt;i&gt;calls&lt;/i&gt;</bdi></span>' in html


def test_a_case_the_user_cannot_see_is_a_404(case, org, client_en):
    response = client_en("crm_call_center").post(reverse("case-presence", args=[case.pk]))
    assert response.status_code == 404
    response = client_en("agent").post(reverse("case-presence", args=[case.pk + 1]))
    assert response.status_code == 404
    assert not Presence.objects.exists()


def test_a_role_without_view_case_is_a_403(case, client_en):
    response = client_en("advocate").post(reverse("case-presence", args=[case.pk]))
    assert response.status_code == 403
    assert not Presence.objects.exists()


def test_typing_needs_the_right_to_answer(case, client_en):
    # The analyst sees every case but answers none: viewing yes, typing no.
    client = client_en("analyst")
    assert client.post(reverse("case-presence", args=[case.pk])).status_code == 200
    response = client.post(reverse("case-presence", args=[case.pk]), {"state": "typing"})
    assert response.status_code == 403
    assert Presence.objects.get(case=case).state == "viewing"


def test_a_bad_state_is_a_400_and_get_is_refused(case, users, client_en):
    presence.touch(users["agent"], case)
    client = client_en("agent")
    at(5)
    response = client.post(reverse("case-presence", args=[case.pk]), {"state": "<b>"})
    assert response.status_code == 400
    assert "viewing" in response.content.decode()
    assert client.get(reverse("case-presence", args=[case.pk])).status_code == 405
    assert Presence.objects.get(case=case).seen_at == NOW  # unchanged


def test_presence_needs_a_login(case, client):
    response = client.post(reverse("case-presence", args=[case.pk]))
    assert response.status_code == 302


def test_the_case_page_shows_the_panel_and_counts_as_viewing(case, users, client_en):
    presence.touch(users["area_manager"], case, "typing")
    response = client_en("agent").get(reverse("case", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-post="{reverse("case-presence", args=[case.pk])}"' in html
    assert "area_manager</bdi> is typing a reply" in html
    assert Presence.objects.get(case=case, user=users["agent"]).state == "viewing"


def test_typing_takes_the_reply_lock_when_it_is_free(case, users, client_en):
    client_en("agent").post(reverse("case-presence", args=[case.pk]), {"state": "typing"})
    assert presence.holder(case) == users["agent"]
    # Someone else typing now sees who holds it and does not take it.
    client_en("area_manager").post(reverse("case-presence", args=[case.pk]), {"state": "typing"})
    assert presence.holder(case) == users["agent"]
