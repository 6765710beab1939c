"""The rules pages through HTTP: who may read and change them, the editor's inline errors,
the order, the dry run, the audit, another organisation's rules and hostile text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from panal.core import clock
from panal.engagement import rules
from panal.engagement.models import Case, Rule, RuleFire

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MANAGERS = ["director", "area_manager", "community_manager"]
READERS = ["agent", "analyst", "crm_call_center"]  # engagement.view_case, not manage_rules
NOBODY = ["everyone", "advocate", "tool_admin"]  # no engagement.view_case
XSS = "<script>alert(1)</script>"
ROW_RE = re.compile(r'<tr data-rule="(\d+)"')


def text(response) -> str:
    return response.content.decode()


def english(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def as_role(client_for):
    return lambda role: english(client_for(role))


@pytest.fixture
def stored(org, users):
    return rules.create_rule(
        users["director"], org, name="VIP complaints", conditions="intent = complaint",
        actions="priority high", stop_processing=True,
    )  # fmt: skip


@pytest.fixture
def foreign(other_org):
    return Rule.objects.create(
        organisation=other_org, name="Secreto", actions=[{"type": "escalate"}], updated_at=NOW
    )


def form(**overrides) -> dict:
    data = {
        "name": "Refunds",
        "conditions": "sentiment in negative, neutral\nchannel != rss",
        "query": "reembolso*",
        "actions": "tag refund\npriority high",
        "enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def case_url(case_id: int) -> str:
    try:
        return reverse("case", args=[case_id])
    except NoReverseMatch:
        return f"/cases/{case_id}/"


# --- who may do what --------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(db):
    for url in [reverse("rules"), reverse("rule-new"), reverse("rule", args=[1])]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", NOBODY)
def test_without_view_case_nothing_is_shown(as_role, stored, role):
    client = as_role(role)
    for url in [reverse("rules"), reverse("rule", args=[stored.id]), reverse("rule-new")]:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", READERS)
def test_readers_see_rules_but_cannot_change_them(as_role, stored, org, role):
    client = as_role(role)
    listing = client.get(reverse("rules"))
    assert listing.status_code == 200
    assert "VIP complaints" in text(listing)
    assert reverse("rule-new") not in text(listing)
    assert reverse("rule-move", args=[stored.id]) not in text(listing)
    page = client.get(reverse("rule", args=[stored.id]))
    assert page.status_code == 200
    assert "intent = complaint" in text(page)
    assert "readonly" in text(page)
    assert reverse("rule-dry-run") not in text(page)
    denied = [
        client.get(reverse("rule-new")),
        client.post(reverse("rule-new"), form()),
        client.post(reverse("rule", args=[stored.id]), form(name="Hijacked")),
        client.post(reverse("rule-move", args=[stored.id]), {"direction": "down"}),
        client.post(reverse("rule-enabled", args=[stored.id]), {"enabled": "0"}),
        client.get(reverse("rule-delete", args=[stored.id])),
        client.post(reverse("rule-delete", args=[stored.id])),
        client.post(reverse("rule-dry-run"), form()),
    ]
    assert [r.status_code for r in denied] == [403] * len(denied)
    stored.refresh_from_db()
    assert (stored.name, stored.enabled) == ("VIP complaints", True)
    assert Rule.objects.filter(organisation=org).count() == 1


def test_another_organisations_rule_is_not_found(as_role, foreign):
    client = as_role("director")
    for response in [
        client.get(reverse("rule", args=[foreign.id])),
        client.post(reverse("rule", args=[foreign.id]), form(name="Mine")),
        client.get(reverse("rule-delete", args=[foreign.id])),
        client.post(reverse("rule-delete", args=[foreign.id])),
        client.post(reverse("rule-move", args=[foreign.id]), {"direction": "up"}),
        client.post(reverse("rule-enabled", args=[foreign.id]), {"enabled": "0"}),
        client.post(reverse("rule-dry-run"), form(rule=str(foreign.id))),
        client.get(reverse("rule", args=[10**12])),
    ]:
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.name, foreign.enabled) == ("Secreto", True)
    assert "Secreto" not in text(client.get(reverse("rules")))


# --- the editor -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_a_manager_creates_a_rule_from_its_text(as_role, org, users, role):
    client = as_role(role)
    assert client.get(reverse("rule-new")).status_code == 200
    response = client.post(reverse("rule-new"), form(stop_processing="on"))
    assert response.status_code == 302
    saved = Rule.objects.get(organisation=org)
    assert response["Location"] == reverse("rule", args=[saved.id]) + "?done=created"
    assert saved.conditions == [
        {"field": "sentiment", "op": "in", "value": ["negative", "neutral"]},
        {"field": "channel", "op": "!=", "value": "rss"},
    ]
    assert saved.query == "reembolso*"
    assert saved.actions == [
        {"type": "tag", "tags": ["refund"]},
        {"type": "priority", "value": "high"},
    ]
    assert (saved.stop_processing, saved.enabled, saved.created_by) == (True, True, users[role])
    page = client.get(response["Location"])
    assert "The rule was created" in text(page)
    assert "sentiment in negative, neutral" in text(page)


def test_errors_are_shown_under_their_box_and_nothing_is_saved(as_role, stored):
    client = as_role("director")
    response = client.post(
        reverse("rule", args=[stored.id]),
        form(
            name="Changed",
            conditions="intent = complaint\n\nfoo = 1\nauthor.followers >= lots",
            query="acme AND (",
            actions="assign team:nowhere\npriority urgent",
        ),
    )
    assert response.status_code == 400
    page = text(response)
    conditions = re.search(r'data-part="conditions">(.*?)</div>', page, re.S).group(1)
    assert "Line 3: unknown field “foo”" in conditions
    assert "Line 4: “lots” is not a number" in conditions
    query = re.search(r'data-part="query">(.*?)</div>', page, re.S).group(1)
    assert "Line 1, column" in query
    actions = re.search(r'data-part="actions">(.*?)</div>', page, re.S).group(1)
    assert "Line 1: no team with the slug “nowhere” in this organisation" in actions
    assert "Line 2: unknown priority “urgent”" in actions
    assert "foo = 1" in page  # what was typed is kept
    stored.refresh_from_db()
    assert stored.name == "VIP complaints"
    assert stored.conditions == [{"field": "intent", "op": "=", "value": "complaint"}]
    missing = client.post(reverse("rule-new"), form(name="", actions=""))
    assert missing.status_code == 400
    assert "Give the rule a name." in text(missing)
    assert "A rule needs at least one action." in text(missing)
    assert Rule.objects.count() == 1


def test_a_manager_edits_a_rule(as_role, stored):
    client = as_role("community_manager")
    response = client.post(
        reverse("rule", args=[stored.id]),
        form(name="Renamed", conditions="", query="", actions="escalate", enabled=None),
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.name, stored.conditions, stored.query) == ("Renamed", [], "")
    assert (stored.actions, stored.enabled, stored.stop_processing) == (
        [{"type": "escalate"}],
        False,
        False,
    )


def test_a_rule_that_names_what_is_gone_is_flagged(as_role, org, stored):
    team = org.teams.get(slug="billing")
    stored.actions = [{"type": "assign", "team": "billing"}]
    stored.save()
    team.delete()
    page = text(as_role("director").get(reverse("rule", args=[stored.id])))
    assert "no longer exists" in page
    assert "no team with the slug “billing” in this organisation" in page


# --- the list: order and state ----------------------------------------------------------------


def test_the_list_shows_rules_in_order_and_moves_them(as_role, org, users):
    director = users["director"]
    names = ["first", "second", "third"]
    made = [rules.create_rule(director, org, name=n, actions="escalate") for n in names]
    client = as_role("area_manager")
    assert ROW_RE.findall(text(client.get(reverse("rules")))) == [str(r.id) for r in made]
    response = client.post(reverse("rule-move", args=[made[2].id]), {"direction": "up"})
    assert response.status_code == 302
    order = [made[0].id, made[2].id, made[1].id]
    assert ROW_RE.findall(text(client.get(reverse("rules")))) == [str(i) for i in order]
    assert client.post(reverse("rule-move", args=[made[0].id]), {"direction": "sideways"}
                       ).status_code == 400  # fmt: skip


def test_rules_are_enabled_and_disabled_from_the_list(as_role, stored):
    client = as_role("director")
    response = client.post(reverse("rule-enabled", args=[stored.id]), {"enabled": "0"})
    assert response.status_code == 302
    stored.refresh_from_db()
    assert not stored.enabled
    assert "Disabled" in text(client.get(reverse("rules")))
    client.post(reverse("rule-enabled", args=[stored.id]), {"enabled": "1"})
    stored.refresh_from_db()
    assert stored.enabled
    assert (
        client.post(reverse("rule-enabled", args=[stored.id]), {"enabled": "x"}).status_code == 400
    )


def test_the_list_costs_the_same_queries_for_many_rules(as_role, org, users):
    client = as_role("director")
    rules.create_rule(users["director"], org, name="one", actions="escalate")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("rules"))
    for n in range(8):
        rules.create_rule(users["director"], org, name=f"more {n}", actions="escalate")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("rules"))
    assert len(many) == len(few)


def test_a_stored_rule_that_cannot_be_evaluated_is_marked(as_role, stored):
    stored.conditions = [{"field": "gone", "op": "=", "value": 1}]
    stored.save()
    page = text(as_role("agent").get(reverse("rules")))
    assert "Cannot be evaluated" in page
    assert "unknown field “gone”" in page


# --- delete -----------------------------------------------------------------------------------


def test_deleting_keeps_the_audit(as_role, org, stored):
    RuleFire.objects.create(
        organisation=org, rule=stored, rule_name=stored.name, actions=stored.actions, at=NOW
    )
    client = as_role("director")
    confirm = client.get(reverse("rule-delete", args=[stored.id]))
    assert confirm.status_code == 200
    assert "It fired once" in text(confirm)
    response = client.post(reverse("rule-delete", args=[stored.id]))
    assert response["Location"] == reverse("rules") + "?done=deleted"
    assert not Rule.objects.filter(pk=stored.pk).exists()
    fire = RuleFire.objects.get()
    assert (fire.rule_id, fire.rule_name) == (None, "VIP complaints")


# --- the dry run ------------------------------------------------------------------------------


def test_the_dry_run_shows_matches_and_saves_nothing(as_role, org, add, stored):
    clock.set_now(NOW)
    mentions = add(
        *[
            {"external_id": f"m{n}", "text": f"quiero un reembolso {n}" if n < 3 else "hola",
             "created_at": "2026-11-19T10:00:00Z"}
            for n in range(5)
        ]
    )  # fmt: skip
    counts = (Rule.objects.count(), RuleFire.objects.count(), Case.objects.count())
    response = as_role("director").post(
        reverse("rule-dry-run"),
        form(conditions="channel = api", query="reembolso", actions="open_case\ntag refund",
             rule=str(stored.id)),
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    page = text(response)
    assert "3 of 5 recent mentions match." in page
    assert "Nothing was saved or done." in page
    shown = re.findall(r'data-mention="(\d+)"', page)
    assert sorted(shown) == sorted(str(m.id) for m in mentions[:3])
    assert reverse("mention-detail", args=[mentions[0].id]) in page
    assert "open_case\ntag refund" in page
    assert "<html" not in page
    assert (Rule.objects.count(), RuleFire.objects.count(), Case.objects.count()) == counts
    stored.refresh_from_db()
    assert stored.query == ""


def test_the_dry_run_lists_problems_with_status_400(as_role):
    response = as_role("director").post(
        reverse("rule-dry-run"), form(conditions="intnet = complaint", actions="")
    )
    assert response.status_code == 400
    page = text(response)
    assert "Line 1: unknown field “intnet”" in page
    assert "A rule needs at least one action." in page
    assert (
        as_role("director")
        .post(reverse("rule-dry-run"), form(conditions="channel = x\n" * 40_000))
        .status_code
        == 400
    )


# --- the audit --------------------------------------------------------------------------------


def test_the_rule_page_lists_its_last_fires_with_links(as_role, org, add, stored):
    (mention,) = add({"external_id": "a1", "text": "Quiero un reembolso"})
    case = Case.objects.create(organisation=org, opened_at=NOW, updated_at=NOW)
    fires = [
        RuleFire(
            organisation=org,
            rule=stored,
            rule_name=stored.name,
            mention=mention,
            case=case if n % 2 else None,
            actions=[{"type": "priority", "value": "high"}],
            at=NOW.replace(minute=n),
        )
        for n in range(55)
    ]
    RuleFire.objects.bulk_create(fires)
    page = text(as_role("agent").get(reverse("rule", args=[stored.id])))
    shown = re.findall(r'<tr data-fire="(\d+)"', page)
    newest = sorted(fires, key=lambda f: f.at, reverse=True)[:50]
    assert shown == [str(f.id) for f in newest]
    assert reverse("mention-detail", args=[mention.id]) in page
    assert f'href="{case_url(case.id)}"' in page
    assert "priority high" in page


# --- hostile text -----------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere(as_role, org, add, users):
    clock.set_now(NOW)
    (mention,) = add({"external_id": "x1", "text": f"reembolso {XSS}",
                      "created_at": "2026-11-19T10:00:00Z"})  # fmt: skip
    hostile = rules.create_rule(
        users["director"], org, name=XSS, conditions=f'text contains "{XSS}"', query="reembolso",
        actions="tag refund",
    )  # fmt: skip
    RuleFire.objects.create(organisation=org, rule=hostile, rule_name=XSS, mention=mention,
                            actions=[{"type": "tag", "tags": [XSS]}], at=NOW)  # fmt: skip
    client = as_role("director")
    pages = [
        client.get(reverse("rules")),
        client.get(reverse("rule", args=[hostile.id])),
        client.get(reverse("rule-delete", args=[hostile.id])),
        client.post(reverse("rule-dry-run"), form(conditions="", query="reembolso")),
        client.post(reverse("rule-new"), form(name=XSS, conditions=f"{XSS} = 1", query=XSS)),
    ]
    for response in pages:
        assert response.status_code in (200, 400)
        assert "<script>alert" not in text(response)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(pages[1])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(pages[3])
