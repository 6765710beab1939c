"""Offboarding: a leaving person's cases, drafts and leads go to their team, history kept."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import translation

from panal.core import clock
from panal.demo import builders
from panal.engagement import cases, continuity
from panal.engagement.models import (
    AgentProfile,
    Case,
    CaseEvent,
    Draft,
    Lead,
    Notification,
)
from panal.org.models import Membership, Team

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(settings):
    """A fixed clock, and pages and messages in English (the installation's default is
    Spanish; the Spanish texts are the translation files' business)."""
    settings.LANGUAGE_CODE = "en"
    clock.set_now(NOW)
    with translation.override("en"):
        yield
    clock.set_now(None)


def team(org, department):
    return Team.objects.get(organisation=org, department=department)


def make_case(org, mention, *, owner=None, assignee=None, status=Case.Status.OPEN):
    return Case.objects.create(
        organisation=org, subject=cases.subject_of(mention), status=status,
        is_open=status in Case.OPEN_STATUSES, owner_team=owner, assignee=assignee,
        channel=mention.channel, first_mention=mention, contact_id=mention.author_id,
        opened_at=NOW, updated_at=NOW,
    )  # fmt: skip


def draft(case, mention, author, status):
    return Draft.objects.create(
        case=case, mention=mention, author=author, text=f"Borrador {status}", status=status,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip


@pytest.fixture
def held(org, users, add):
    """What the agent (customer service) holds, plus things that must not move."""
    agent = users["agent"]
    service = team(org, "customer_service")
    sales = team(org, "sales")
    mentions = add(*[
        {"external_id": f"m{i}", "text": f"Problema {i} <b>grave</b>",
         "author": {"id": f"u{i}", "handle": f"cliente{i}"}}
        for i in range(4)
    ])  # fmt: skip
    own = make_case(org, mentions[0], owner=service, assignee=agent)
    orphan = make_case(org, mentions[1], assignee=agent)  # no owner team
    resolved = make_case(org, mentions[2], owner=service, assignee=agent,
                         status=Case.Status.RESOLVED)  # fmt: skip
    someone_elses = make_case(org, mentions[3], owner=service, assignee=users["area_manager"])
    drafts = {
        "draft": draft(own, mentions[0], agent, Draft.Status.DRAFT),
        "pending": draft(orphan, mentions[1], agent, Draft.Status.PENDING),
        "sent": draft(resolved, mentions[2], agent, Draft.Status.SENT),
    }
    leads = {
        "open": Lead.objects.create(organisation=org, title="Fibra 1 Gb", owner=agent,
                                    team=sales, case=own, created_at=NOW),
        "no_team": Lead.objects.create(organisation=org, title="Móvil", owner=agent,
                                       created_at=NOW),
        "won": Lead.objects.create(organisation=org, title="Ganado", owner=agent,
                                   stage=Lead.Stage.WON, created_at=NOW),
    }  # fmt: skip
    AgentProfile.objects.create(organisation=org, user=agent)
    return {
        "own": own, "orphan": orphan, "resolved": resolved, "other": someone_elses,
        "drafts": drafts, "leads": leads,
    }  # fmt: skip


def test_offboarding_hands_everything_to_the_team(org, users, held):
    agent, director = users["agent"], users["director"]
    service = team(org, "customer_service")
    events_before = CaseEvent.objects.count()
    counts = continuity.offboard(agent, org, actor=director)
    assert (counts["cases"], counts["drafts"], counts["leads"]) == (2, 2, 2)
    assert counts["team"] == service.name

    own, orphan = held["own"], held["orphan"]
    own.refresh_from_db()
    orphan.refresh_from_db()
    assert own.assignee is None
    assert own.owner_team == service  # the owner team is kept
    assert orphan.assignee is None
    assert orphan.owner_team == service  # none before: the person's team
    assert service.pk in orphan.visible_team_ids
    (handover,) = CaseEvent.objects.filter(case=own, kind=CaseEvent.Kind.HANDOVER)
    assert handover.actor == director
    assert handover.data["username"] == "agent"
    assert handover.data["by"] == "director"
    assert handover.data["unassigned"] == 1
    assert handover.data["drafts"] == 1
    assert handover.data["leads"] == 1
    assert CaseEvent.objects.filter(case=orphan, kind=CaseEvent.Kind.TEAM).exists()
    assert CaseEvent.objects.filter(
        case=own, kind=CaseEvent.Kind.ASSIGNED, data__how="offboarding"
    ).exists()

    # Not hers to hand over: a resolved case keeps its history, another's case is untouched.
    held["resolved"].refresh_from_db()
    assert held["resolved"].assignee == agent
    held["other"].refresh_from_db()
    assert held["other"].assignee == users["area_manager"]

    drafts = {k: Draft.objects.get(pk=d.pk) for k, d in held["drafts"].items()}
    assert drafts["draft"].team == service
    assert drafts["draft"].author == agent  # kept for history
    assert drafts["pending"].team == service
    assert drafts["sent"].team is None

    leads = {k: Lead.objects.get(pk=lead.pk) for k, lead in held["leads"].items()}
    assert leads["open"].owner is None
    assert leads["open"].team == team(org, "sales")  # its own team kept
    assert leads["no_team"].owner is None
    assert leads["no_team"].team == service
    assert leads["won"].owner == agent  # closed: who won it stays

    assert not AgentProfile.objects.get(organisation=org, user=agent).available
    membership = Membership.objects.get(organisation=org, user=agent)
    assert not membership.is_active
    agent = type(agent).objects.get(pk=agent.pk)  # permissions are cached per object
    assert not agent.has_perm("engagement.view_case")
    # Nothing deleted: only new events.
    assert CaseEvent.objects.count() > events_before
    assert Draft.objects.count() == 3
    (note,) = Notification.objects.filter(kind=Notification.Kind.HANDOVER)
    assert note.user == users["area_manager"]
    # In the manager's language: the organisation's (Spanish), as they chose none.
    assert "2 casos abiertos, 2 borradores sin enviar y 2 leads abiertos" in note.text


def test_you_cannot_offboard_yourself(org, users, held):
    with pytest.raises(continuity.OffboardError):
        continuity.offboard(users["director"], org, actor=users["director"])
    assert Membership.objects.get(organisation=org, user=users["director"]).is_active


def test_the_service_checks_the_permission(org, users, held):
    with pytest.raises(PermissionDenied):
        continuity.offboard(users["agent"], org, actor=users["area_manager"])
    held["own"].refresh_from_db()
    assert held["own"].assignee == users["agent"]


def test_someone_not_in_the_organisation_cannot_be_offboarded(org, other_org, users):
    stranger = builders.member(other_org, "agent", username="stranger")
    with pytest.raises(continuity.OffboardError):
        continuity.offboard(stranger, org, actor=users["director"])
    assert Membership.objects.get(organisation=other_org, user=stranger).is_active


# --- the page -------------------------------------------------------------------------


URL = "/team/offboard/"


def test_the_page_needs_the_permission(client_for, users):
    assert client_for("agent").get(URL).status_code == 403
    assert client_for("area_manager").post(URL, {"user": users["agent"].pk}).status_code == 403
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]
    assert Membership.objects.get(user=users["agent"]).is_active


def test_the_page_lists_members_but_not_yourself(client_for, users, org):
    builders.member(org, "agent", username="evil", first_name="<script>alert(1)</script>")
    page = client_for("director").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{users["agent"].pk}"' in html
    assert f'value="{users["director"].pk}"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_preview_confirm_and_summary(client_for, users, held):
    client = client_for("director")
    agent = users["agent"]
    preview = client.get(URL, {"user": agent.pk})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2 open cases" in html
    assert "2 unsent drafts" in html
    assert "2 open leads" in html
    assert "&lt;b&gt;grave&lt;/b&gt;" in html  # the case subject, escaped
    # Without the confirmation box nothing happens.
    unconfirmed = client.post(URL, {"user": agent.pk})
    assert unconfirmed.status_code == 400
    assert Membership.objects.get(user=agent).is_active
    done = client.post(URL, {"user": agent.pk, "confirm": "yes"})
    assert done.status_code == 200
    assert b"was offboarded" in done.content
    assert b"2 open cases back to the team" in done.content
    assert not Membership.objects.get(user=agent).is_active
    # Offboarded: no longer an active member, so not found.
    assert client.post(URL, {"user": agent.pk, "confirm": "yes"}).status_code == 404


def test_the_page_refuses_yourself_and_strangers(client_for, users, other_org):
    client = client_for("tool_admin")
    me = client.post(URL, {"user": users["tool_admin"].pk, "confirm": "yes"})
    assert me.status_code == 400
    assert b"cannot offboard yourself" in me.content
    assert Membership.objects.get(user=users["tool_admin"]).is_active
    stranger = builders.member(other_org, "agent", username="stranger")
    assert client.get(URL, {"user": stranger.pk}).status_code == 404
    assert client.post(URL, {"user": stranger.pk, "confirm": "yes"}).status_code == 404
    assert client.get(URL, {"user": "not-a-number"}).status_code == 404
    assert client.get(URL, {"user": str(2**70)}).status_code == 404
    assert Membership.objects.get(user=stranger).is_active
