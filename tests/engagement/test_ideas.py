"""Ideas: made from a case or on their own, cases linked and unlinked, statuses written in
the linked cases' history, permissions per role, bad input, the pages (es/en) and the API."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from panal.api import services as tokens
from panal.demo import builders
from panal.engagement import ideas
from panal.engagement.models import Case, CaseEvent, Idea
from panal.org.models import Team

from .test_leads import NOW, author, mention

HOSTILE = '<script>alert("x")</script> Modo oscuro'


def a_case(org, account, text="¿Podríais añadir modo oscuro a la app?", subject="Modo oscuro"):
    who = author(org)
    m = mention(account, who, text)
    return Case.objects.create(
        organisation=org, subject=subject, opened_at=NOW, updated_at=NOW, visible_to_all=True,
        intent="product_idea", contact=who, first_mention=m,
    )  # fmt: skip


def history(case):
    return list(case.events.filter(kind=CaseEvent.Kind.IDEA).order_by("at", "id"))


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {tokens.create_token(user, 't').raw}"})


# --- services ----------------------------------------------------------------------------------


def test_an_idea_made_from_a_case_belongs_to_product_and_is_in_the_case_history(
    org, account, users
):
    case = a_case(org, account)
    idea = ideas.create_idea(
        users["agent"], org, "  Modo   oscuro ", "Lo piden en la app", case=case
    )
    assert idea.title == "Modo oscuro" and idea.status == Idea.Status.NEW
    assert idea.team == Team.objects.get(organisation=org, department="product")
    assert idea.created_by == users["agent"]
    assert list(idea.cases.all()) == [case]
    (event,) = history(case)
    assert event.data == {"idea": idea.pk, "action": "linked", "summary": "Modo oscuro"}
    assert event.actor == users["agent"]


def test_several_cases_share_one_idea_linking_twice_changes_nothing_and_unlinking_is_recorded(
    org, account, users
):
    first, second = a_case(org, account), a_case(org, account, "Modo noche, por favor")
    idea = ideas.create_idea(users["agent"], org, "Modo oscuro", case=first)
    assert ideas.link_case(users["agent"], idea, second) is True
    assert ideas.link_case(users["agent"], idea, second) is False
    assert len(history(second)) == 1
    assert ideas.ideas_of(org.pk).get().n_cases == 2
    assert ideas.unlink_case(users["agent"], idea, second) is True
    assert ideas.unlink_case(users["agent"], idea, second) is False
    assert [e.data["action"] for e in history(second)] == ["linked", "unlinked"]
    assert list(idea.cases.all()) == [first]


def test_a_status_change_goes_into_every_linked_cases_history(org, account, users):
    first, second = a_case(org, account), a_case(org, account)
    idea = ideas.create_idea(users["agent"], org, "Modo oscuro", case=first)
    ideas.link_case(users["agent"], idea, second)
    ideas.update_idea(users["area_manager"], idea, status=Idea.Status.PLANNED)
    idea.refresh_from_db()
    assert idea.status == "planned"
    for case in (first, second):
        last = history(case)[-1]
        assert (last.data["action"], last.data["before"], last.data["after"]) == (
            "status", "new", "planned",
        )  # fmt: skip
        assert last.actor == users["area_manager"]
    # The history line reads in its reader's language, whoever made the change.
    from django.utils import translation

    from panal.engagement.templatetags.panal_engagement import event_summary

    with translation.override("es"):
        assert event_summary(last, {}) == "estado: Modo oscuro: Nueva → Planificada"
    with translation.override("en"):
        assert event_summary(last, {}) == "status: Modo oscuro: New → Planned"
    # So does a case's own status or priority change.
    from panal.engagement.models import CaseEvent

    moved = CaseEvent(kind="status", data={"before": "new", "after": "resolved"})
    raised = CaseEvent(kind="priority", data={"before": "normal", "after": "high"})
    with translation.override("es"):
        assert (event_summary(moved, {}), event_summary(raised, {})) == (
            "Nuevo → Resuelto", "Normal → Alta")  # fmt: skip
    with translation.override("en"):
        assert event_summary(moved, {}) == "New → Resolved"
    # The same status again changes nothing and writes nothing.
    ideas.update_idea(users["area_manager"], idea, status=Idea.Status.PLANNED)
    assert len(history(first)) == 2


@pytest.mark.parametrize(
    ("title", "description", "status", "reason"),
    [
        ("   ", "", None, "needs a title"),
        ("x" * 301, "", None, "too long"),
        ("Ok", "y" * 10_001, None, "too long"),
        ("Ok", "", "done", "Unknown status"),
    ],
)
def test_bad_values_are_refused_with_the_reason_and_change_nothing(
    org, account, users, title, description, status, reason
):
    idea = ideas.create_idea(users["agent"], org, "Modo oscuro")
    with pytest.raises(ideas.IdeaError, match=reason):
        ideas.update_idea(users["director"], idea, title=title, description=description,
                          status=status)  # fmt: skip
    idea.refresh_from_db()
    assert (idea.title, idea.description, idea.status) == ("Modo oscuro", "", "new")
    if status is None:
        with pytest.raises(ideas.IdeaError, match=reason):
            ideas.create_idea(users["agent"], org, title, description)
    assert Idea.objects.count() == 1


def test_who_may_do_what(org, other_org, account, users):
    case = a_case(org, account)
    idea = ideas.create_idea(users["agent"], org, "Modo oscuro")
    for role in ("agency", "analyst", "advocate"):  # see cases at most: no linking
        with pytest.raises(PermissionDenied):
            ideas.link_case(users[role], idea, case)
        with pytest.raises(PermissionDenied):
            ideas.create_idea(users[role], org, "Otra")
    for role in ("agent", "crm_call_center", "analyst"):  # no status changes
        with pytest.raises(PermissionDenied):
            ideas.update_idea(users[role], idea, status="planned")
    for role in ("director", "area_manager", "community_manager"):
        ideas.update_idea(users[role], idea, title=f"Modo oscuro ({role})")
    elsewhere = builders.member(other_org, "agent", username="outsider")
    with pytest.raises(ideas.IdeaNotFound):
        ideas.get_idea_for(elsewhere, idea.pk)
    with pytest.raises(PermissionDenied):
        ideas.create_idea(elsewhere, org, "Colado")
    foreign = ideas.create_idea(users["agent"], org, "Otra")
    Idea.objects.filter(pk=foreign.pk).update(organisation=other_org)
    foreign.refresh_from_db()
    with pytest.raises(ideas.IdeaError, match="different organisations"):
        ideas.link_case(users["agent"], foreign, case)


# --- pages -------------------------------------------------------------------------------------


def test_from_the_case_page_an_agent_creates_links_and_unlinks_with_everything_escaped(
    org, account, users, client_en
):
    case = a_case(org, account, subject=HOSTILE)
    client = client_en("agent")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Link to an idea" in page and "&lt;script&gt;" in page
    made = client.post(f"/cases/{case.pk}/ideas/", {"action": "new", "title": HOSTILE})
    assert made.status_code == 302
    idea = Idea.objects.get()
    assert list(idea.cases.all()) == [case]
    for url in (f"/cases/{case.pk}/", "/ideas/", f"/ideas/{idea.pk}/"):
        body = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in body, url
        assert "&lt;script&gt;" in body, url
    other = ideas.create_idea(users["agent"], org, "Exportar a CSV")
    client.post(f"/cases/{case.pk}/ideas/", {"action": "link", "idea": other.pk})
    assert set(case.ideas.values_list("pk", flat=True)) == {idea.pk, other.pk}
    client.post(f"/cases/{case.pk}/ideas/", {"action": "unlink", "idea": idea.pk})
    assert list(case.ideas.values_list("pk", flat=True)) == [other.pk]
    # History lines name what happened.
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "unlinked:" in page and "Exportar a CSV" in page


def test_case_page_refusals(org, other_org, account, users, client_en):
    case = a_case(org, account)
    assert client_en("agency").post(f"/cases/{case.pk}/ideas/", {"action": "new", "title": "X"}
                                    ).status_code == 403  # fmt: skip
    agent = client_en("agent")
    empty = agent.post(f"/cases/{case.pk}/ideas/", {"action": "new", "title": " "}, follow=True)
    assert "An idea needs a title." in empty.content.decode()
    assert not Idea.objects.exists()
    missing = agent.post(f"/cases/{case.pk}/ideas/", {"action": "link", "idea": "99"}, follow=True)
    assert "Choose an idea from the list." in missing.content.decode()
    assert agent.post("/cases/99/ideas/", {"action": "new", "title": "X"}).status_code == 404
    assert agent.get(f"/cases/{case.pk}/ideas/").status_code == 405


def test_ideas_pages_list_filter_create_and_change_status(org, account, users, client_en):
    case = a_case(org, account)
    agent, manager = client_en("agent"), client_en("area_manager")
    created = agent.post("/ideas/", {"title": "Pagar con Bizum", "description": "Varios lo piden"})
    assert created.status_code == 302
    idea = Idea.objects.get()
    ideas.link_case(users["agent"], idea, case)
    ideas.create_idea(users["agent"], org, "Modo oscuro")
    listing = agent.get("/ideas/").content.decode()
    assert "Pagar con Bizum" in listing and "Modo oscuro" in listing
    assert "Put an idea forward" in listing
    bad = agent.post("/ideas/", {"title": "", "description": "se conserva"})
    assert bad.status_code == 400 and "se conserva" in bad.content.decode()
    assert agent.post(f"/ideas/{idea.pk}/", {"status": "planned"}).status_code == 403
    saved = manager.post(
        f"/ideas/{idea.pk}/",
        {"status": "planned", "title": "Pagar con Bizum", "description": "Varios lo piden"},
    )
    assert saved.status_code == 302
    idea.refresh_from_db()
    assert idea.status == "planned"
    planned = agent.get("/ideas/?status=planned").content.decode()
    assert "Pagar con Bizum" in planned and "Modo oscuro" not in planned
    assert "Modo oscuro" in agent.get("/ideas/?q=oscuro").content.decode()
    refused = manager.post(f"/ideas/{idea.pk}/", {"status": "done", "title": "x"})
    assert refused.status_code == 400 and "Unknown status" in refused.content.decode()
    detail = agent.get(f"/ideas/{idea.pk}/").content.decode()
    assert f"/cases/{case.pk}/" in detail and "Planned" in detail
    # A linked case of a team the agent is not in is counted, not shown.
    legal = Team.objects.get(organisation=org, department="legal")
    hidden = Case.objects.create(
        organisation=org, subject="Caso de legal", opened_at=NOW, updated_at=NOW,
        owner_team=legal, visible_team_ids=[legal.pk],
    )  # fmt: skip
    ideas.link_case(users["director"], idea, hidden)
    detail = agent.get(f"/ideas/{idea.pk}/").content.decode()
    assert "Caso de legal" not in detail and "And 1 case you cannot see." in detail
    assert "Caso de legal" in client_en("director").get(f"/ideas/{idea.pk}/").content.decode()


def test_ideas_pages_for_roles_without_them_and_in_spanish(org, other_org, users, client_for):
    idea = ideas.create_idea(users["agent"], org, "Modo oscuro")
    assert client_for("advocate").get("/ideas/").status_code == 403
    assert client_for("everyone").get(f"/ideas/{idea.pk}/").status_code == 403
    outsider = Client()
    outsider.force_login(builders.member(other_org, "agent", username="outsider"))
    assert outsider.get(f"/ideas/{idea.pk}/").status_code == 404
    es = client_for("director")
    es.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = es.get("/ideas/").content.decode()
    assert "En revisión" in page and "Planificada" in page and "Proponer una idea" in page


# --- API -------------------------------------------------------------------------------------


def test_api_create_list_change_link_and_refuse(org, other_org, account, users):
    case = a_case(org, account)
    agent, director = api(users["agent"]), api(users["director"])
    made = agent.post("/api/v1/ideas", json.dumps({"title": HOSTILE, "case": str(case.pk)}),
                      content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["title"] == HOSTILE and body["cases"] == [str(case.pk)]
    assert body["status"] == "new" and body["team"] == "product"
    idea_id = body["id"]
    assert [i["id"] for i in agent.get("/api/v1/ideas").json()] == [idea_id]
    assert agent.get("/api/v1/ideas?status=planned").json() == []
    assert agent.get("/api/v1/ideas?status=nope").status_code == 422
    patch = json.dumps({"status": "shipped"})
    assert agent.patch(f"/api/v1/ideas/{idea_id}", patch, content_type="application/json"
                       ).status_code == 403  # fmt: skip
    shipped = director.patch(f"/api/v1/ideas/{idea_id}", patch, content_type="application/json")
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    bad = director.patch(f"/api/v1/ideas/{idea_id}", json.dumps({"status": "done"}),
                         content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "done" in bad.json()["detail"]  # in the caller's language
    assert agent.post("/api/v1/ideas", json.dumps({"title": ""}),
                      content_type="application/json").status_code == 422  # fmt: skip
    other = a_case(org, account)
    linked = agent.post(f"/api/v1/cases/{other.pk}/ideas", json.dumps({"idea": idea_id}),
                        content_type="application/json")  # fmt: skip
    assert linked.status_code == 200 and str(other.pk) in linked.json()["cases"]
    events = agent.get(f"/api/v1/cases/{other.pk}").json()["events"]
    assert [e["kind"] for e in events] == ["idea"]
    assert agent.delete(f"/api/v1/cases/{other.pk}/ideas/{idea_id}").status_code == 204
    assert agent.get(f"/api/v1/ideas/{idea_id}").json()["cases"] == [str(case.pk)]
    outsider = api(builders.member(other_org, "director", username="outsider"))
    assert outsider.get(f"/api/v1/ideas/{idea_id}").status_code == 404
    assert outsider.get("/api/v1/ideas").json() == []
    assert api(users["advocate"]).get("/api/v1/ideas").status_code == 403
