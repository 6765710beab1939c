"""The cases API as a client uses it: list, read (mentions, notes, history, ideas), change,
notes, goodwill and approvals, with the same refusals as the pages."""

import json

from panal.engagement import cases, ideas
from panal.engagement.models import Approval, Case, CaseMention

from .conftest import bearer


def open_case(org, add, text="Me cobraron dos veces la factura", n=1):
    """A mention through the real pipeline, and the case routing opened for it (made
    visible to every team, so each role's view depends only on its permissions)."""
    (m,) = add({"external_id": f"c{n}", "text": text, "created_at": "2026-11-24T10:00:00+00:00",
                "author": {"id": f"a{n}", "handle": f"persona{n}"}})  # fmt: skip
    link = CaseMention.objects.filter(mention=m).select_related("case").first()
    if link is None:
        case = Case.objects.create(
            organisation=org, subject=text[:40], opened_at=m.created_at, updated_at=m.created_at,
            first_mention=m, contact_id=m.author_id, intent="billing",
        )  # fmt: skip
        CaseMention.objects.create(case=case, mention=m, added_at=m.created_at)
    else:
        case = link.case
    Case.objects.filter(pk=case.pk).update(visible_to_all=True)
    case.refresh_from_db()
    return case, m


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_a_case_reads_with_its_mentions_notes_history_and_ideas(org, add, users, api_for):
    case, m = open_case(org, add)
    cases.add_note(users["agent"], case, "Revisad el cobro <b>duplicado</b>, @director")
    idea = ideas.create_idea(users["agent"], org, "Aviso antes de cobrar", case=case)
    agent = api_for("agent")
    listed = agent.get("/api/v1/cases?view=all")
    assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [str(case.pk)]
    got = agent.get(f"/api/v1/cases/{case.pk}")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["mentions"] == [str(m.pk)]
    assert body["ideas"] == [str(idea.pk)]
    (note,) = body["notes"]
    assert note["author"] == "agent" and "<b>duplicado</b>" in note["body"]
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[-2:] == ["note", "idea"]
    assert agent.get("/api/v1/cases/12345").status_code == 404
    assert agent.get("/api/v1/cases/not-a-number").status_code == 404


def test_a_case_changes_and_refusals(org, other_org, add, users, api_for):
    from panal.demo import builders

    case, _m = open_case(org, add)
    agent = api_for("agent")
    changed = send(agent, "patch", f"/api/v1/cases/{case.pk}",
                   {"status": "pending", "priority": "high", "tags": ["vip"]})  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert (changed.json()["status"], changed.json()["priority"]) == ("pending", "high")
    assert changed.json()["tags"] == ["vip"]
    refused = send(agent, "patch", f"/api/v1/cases/{case.pk}", {"assignee": "nobody-here"})
    assert refused.status_code == 409 and "nobody-here" in refused.json()["detail"]
    note = send(agent, "post", f"/api/v1/cases/{case.pk}/notes", {"body": "Hola @director"})
    assert note.status_code == 201 and note.json()["mentioned"] == ["director"]
    assert send(agent, "post", f"/api/v1/cases/{case.pk}/notes", {"body": ""}).status_code == 422
    assert send(api_for("agency"), "patch", f"/api/v1/cases/{case.pk}",
                {"status": "closed"}).status_code == 403  # fmt: skip
    outsider = builders.member(other_org, "director", username="outsider")
    from panal.api import services as tokens

    stranger = bearer(tokens.create_token(outsider, "t").raw)
    assert stranger.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert bearer("not-a-token").get("/api/v1/cases").status_code == 401


def test_goodwill_above_the_limit_waits_for_an_approval_decided_through_the_api(
    org, add, users, api_for
):
    case, _m = open_case(org, add)
    agent, manager = api_for("agent"), api_for("area_manager")
    small = send(agent, "post", f"/api/v1/cases/{case.pk}/goodwill",
                 {"kind": "refund", "amount": "20.00", "reason": "cobro doble"})  # fmt: skip
    assert small.status_code == 201, small.content
    assert small.json()["status"] == "granted" and small.json()["approval_id"] is None
    big = send(agent, "post", f"/api/v1/cases/{case.pk}/goodwill",
               {"kind": "refund", "amount": "400.00", "reason": "compensación"})  # fmt: skip
    assert big.status_code == 201 and big.json()["status"] == "pending"
    approval_id = big.json()["approval_id"]
    pending = manager.get("/api/v1/approvals").json()
    assert [a["id"] for a in pending] == [approval_id]
    own = send(agent, "post", f"/api/v1/approvals/{approval_id}/decision", {"approve": True})
    assert own.status_code == 403
    decided = send(manager, "post", f"/api/v1/approvals/{approval_id}/decision",
                   {"approve": True, "note": "ok"})  # fmt: skip
    assert decided.status_code == 200, decided.content
    assert Approval.objects.get(pk=approval_id).status == "approved"
    again = send(manager, "post", f"/api/v1/approvals/{approval_id}/decision", {"approve": False})
    assert again.status_code == 409
    assert send(agent, "post", f"/api/v1/cases/{case.pk}/goodwill",
                {"kind": "cash", "amount": "5"}).status_code == 422  # fmt: skip


def test_a_case_says_how_it_was_routed_in_the_requests_language(org, add, api_for):
    from panal.org.models import Team

    case, _m = open_case(org, add)
    hub = Team.objects.get(organisation=org, department="customer_service")
    Case.objects.filter(pk=case.pk).update(model="hub_and_spoke", owner_team=hub, domain_team=hub)
    case.events.filter(kind="routed").delete()  # from the case's own record
    agent = api_for("agent")
    spanish = agent.get(f"/api/v1/cases/{case.pk}", HTTP_ACCEPT_LANGUAGE="es").json()
    assert spanish["routing"] == f"El centro, {hub.name}, hace el triaje y el trabajo."
    english = agent.get(f"/api/v1/cases/{case.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["routing"] == f"The hub, {hub.name}, triages it and does the work."
