"""Routing through the real pipeline reader: understanding → playbook → engagement model
→ cases, with assignment, thread joining, crises, leads and idempotence."""

from datetime import UTC, datetime, timedelta

import pytest

from panal.engagement.models import Case, CaseEvent, CaseMention, Lead, Notification
from panal.engagement.routing import Router
from panal.listening import pipeline
from panal.listening.pipeline import read_batch
from panal.org.models import Organisation, Team
from panal.understanding.models import Understanding

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def manual_routing(monkeypatch):
    """Ingest without the routing stage, so each test sets the understanding it routes."""
    monkeypatch.delitem(pipeline._STAGES, "route", raising=False)


def understood(mention, *intents, urgency="normal", reasons=(), lang="es"):
    Understanding.objects.filter(mention=mention).update(
        intents=[{"label": i, "confidence": 0.9 - n / 10} for n, i in enumerate(intents)],
        urgency_level=urgency, urgency_reasons=list(reasons), lang=lang,
    )  # fmt: skip
    return mention


def route(org, *mentions):
    return Router.for_org(org.pk).route(read_batch([m.pk for m in mentions]))


def team(org, department):
    return Team.objects.get(organisation=org, department=department)


def row(n, text, **extra):
    return {"external_id": f"r{n}", "text": text, "created_at": NOW.isoformat(),
            "author": {"id": f"a{n}", "handle": f"persona{n}"}, **extra}  # fmt: skip


def test_a_complaint_opens_a_case_for_the_hub_assigned_to_an_agent(org, users, add, manual_routing):
    (m,) = add(row(1, "Llevo tres días sin internet y nadie me responde"))
    understood(m, "complaint")
    (plan,) = route(org, m)
    case = Case.objects.get(first_mention=m)
    service = team(org, "customer_service")
    assert plan.decision.model == "hub_and_spoke"
    assert case.owner_team == service  # the hub triages
    assert case.priority == "high"
    assert case.status == "new"
    assert case.intent == "complaint"
    assert case.assignee == users["agent"]  # the hub's only case worker
    assert case.first_response_due == NOW + timedelta(hours=1)
    assert case.contact_id == m.author_id
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["opened", "routed", "assigned"]
    assert Notification.objects.filter(user=users["agent"], case=case, kind="assigned").exists()


def test_routing_twice_changes_nothing(org, users, add, manual_routing):
    (m,) = add(row(1, "No me llega la factura"))
    understood(m, "billing")
    route(org, m)
    assert route(org, m) == []
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind="opened").count() == 1


def test_a_reply_in_the_conversation_joins_its_case(org, users, add, manual_routing):
    first, later = add(
        row(1, "El router no enciende"),
        row(2, "Sigue igual, ¿alguna novedad?", in_reply_to_external_id="r1"),
    )
    understood(first, "technical_support")
    route(org, first)
    understood(later, "complaint")
    route(org, later)
    case = Case.objects.get()
    assert set(CaseMention.objects.filter(case=case).values_list("mention_id", flat=True)) == {
        first.pk, later.pk}  # fmt: skip
    assert case.events.filter(kind="mention").count() == 1


def test_one_batch_with_a_conversation_opens_one_case(org, users, add, manual_routing):
    first, later = add(
        row(1, "El router no enciende"),
        row(2, "Sigue igual", in_reply_to_external_id="r1"),
    )
    understood(first, "technical_support")
    understood(later, "technical_support")
    route(org, first, later)
    assert Case.objects.count() == 1
    assert CaseMention.objects.count() == 2


def test_a_resolved_case_reopens_on_a_new_message(org, users, add, manual_routing):
    from panal.engagement import cases

    first, later = add(
        row(1, "El router no enciende"),
        row(2, "Vuelve a fallar", in_reply_to_external_id="r1"),
    )
    understood(first, "technical_support")
    route(org, first)
    case = Case.objects.get()
    cases.apply_status(case, "resolved")
    route(org, understood(later, "complaint"))
    case.refresh_from_db()
    assert case.status == "open"
    assert case.resolved_at is None


def test_praise_opens_no_case(org, users, add, manual_routing):
    (m,) = add(row(1, "¡Qué buen servicio!"))
    understood(m, "praise")
    (plan,) = route(org, m)
    assert plan.opens is False
    assert Case.objects.count() == 0


def test_history_older_than_a_week_opens_no_case(org, users, add, manual_routing):
    (m,) = add(row(1, "No funciona nada", created_at=(NOW - timedelta(days=30)).isoformat()))
    understood(m, "complaint")
    route(org, m)
    assert Case.objects.count() == 0


def test_changing_the_model_changes_routing_from_the_next_mention(org, users, add, manual_routing):
    first, second = add(row(1, "Quiero la factura de octubre"), row(2, "Cobro duplicado"))
    understood(first, "billing")
    understood(second, "billing")
    route(org, first)
    Organisation.objects.filter(pk=org.pk).update(engagement_model="decentralized")
    route(org, second)
    billing = team(org, "billing")
    assert Case.objects.get(first_mention=first).owner_team == team(org, "customer_service")
    later = Case.objects.get(first_mention=second)
    assert later.owner_team == billing
    assert later.model == "decentralized"


def test_honeycomb_cases_are_shared_with_every_team(org, users, add, manual_routing):
    Organisation.objects.filter(pk=org.pk).update(engagement_model="honeycomb")
    (m,) = add(row(1, "¿Tenéis fibra en Sevilla?"))
    understood(m, "question")
    route(org, m)
    case = Case.objects.get()
    assert case.shared
    assert case.visible_to_all
    assert case.answer_all


def test_a_crisis_goes_to_pr_and_the_director_at_once(org, users, add, manual_routing):
    (m,) = add(row(1, "Explotó una batería en la tienda, hay heridos"))
    understood(m, "complaint", urgency="critical", reasons=[{"reason": "crisis", "weight": 1}])
    (plan,) = route(org, m)
    case = Case.objects.get()
    assert case.priority == "critical"
    assert case.intent == "crisis"
    pr = team(org, "pr")
    notified = set(
        Notification.objects.filter(case=case, kind="crisis").values_list(
            "user__username", flat=True
        )
    )
    assert pr.pk in plan.decision.also_notify
    pr_members = {m.user.username for m in pr.memberships.filter(is_active=True)}
    assert pr_members
    assert pr_members <= notified


def test_purchase_intent_creates_a_lead_with_the_conversation(org, users, add, manual_routing):
    (m,) = add(row(1, "¿Quién me recomienda un plan con 5G para comprar hoy?"))
    understood(m, "purchase_intent")
    route(org, m)
    case = Case.objects.get()
    lead = Lead.objects.get()
    assert lead.case == case
    assert lead.team == team(org, "sales")
    assert lead.contact_id == m.author_id


@pytest.mark.routes
def test_the_pipeline_routes_what_it_understood(org, users, add):
    (m,) = add(row(1, "Quiero un reembolso ya, el cobro de este mes es un robo"))
    m.refresh_from_db()
    assert "route" in m.stages_done
    case = Case.objects.get(first_mention=m)
    intents = [i["label"] for i in m.understanding.intents]
    assert case.intent in intents
    assert case.events.filter(kind="routed").exists()


def test_a_rule_that_fires_is_in_the_audit_once_and_in_the_case_history(
    org, users, add, manual_routing, client_en
):
    from panal.engagement import cases, rules
    from panal.engagement.models import RuleFire

    rules.create_rule(users["director"], org, name="Fibra <lenta>", conditions="intent = complaint",
                      actions="tag fibra")  # fmt: skip
    (m,) = add(row(1, "La fibra va lentísima desde ayer"))
    understood(m, "complaint")
    route(org, m)
    case = Case.objects.get(first_mention=m)
    fire = RuleFire.objects.get()
    assert (fire.case_id, fire.mention_id, fire.rule_name) == (case.pk, m.pk, "Fibra <lenta>")
    assert fire.actions == [{"type": "tag", "tags": ["fibra"]}]
    assert not case.events.filter(kind="rule").exists()  # written once: in the audit
    history = cases.history(case)
    assert [e.kind for e in history] == ["opened", "routed", "assigned", "rule"]
    assert history[-1].data == {"rule": fire.rule_id, "name": "Fibra <lenta>",
                                "actions": fire.actions, "mention": m.pk}  # fmt: skip
    body = client_en("director").get(f"/cases/{case.pk}/").content.decode()
    assert "Rule applied" in body
    assert "Hub and spoke · The hub, " in body  # the model's name, the decision in words
    assert "By skill and language, then load" in body  # how the assignee was chosen
    assert "Fibra &lt;lenta&gt;" in body and "Fibra <lenta>" not in body


def test_rules_on_a_contacts_earlier_cases_see_them_counted_far_enough(
    org, users, add, manual_routing
):
    from panal.engagement import rules
    from panal.engagement.routing import cases_of_contacts

    (first,) = add(row(1, "Otra vez sin servicio"))
    for n in range(6):  # six earlier cases of the same contact
        Case.objects.create(
            organisation=org, contact_id=first.author_id, subject=f"#{n}", opened_at=NOW,
            updated_at=NOW, is_open=False, status="closed",
        )  # fmt: skip
    assert cases_of_contacts([first.author_id], 100) == {first.author_id: 6}
    assert cases_of_contacts([first.author_id], 4) == {first.author_id: 4}
    assert cases_of_contacts([first.author_id, first.author_id + 999], 4) == {first.author_id: 4}
    assert cases_of_contacts([], 4) == {}
    director = users["director"]
    conditions = [
        ("repeat", "contact.cases >= 3"), ("exactly 6", "contact.cases = 6"),
        ("over 2", "contact.cases > 2"), ("new", "contact.cases < 1"),
    ]  # fmt: skip
    for name, condition in conditions:
        rules.create_rule(director, org, name=name, conditions=condition, actions="tag seen")
    ruleset = rules.RuleSet.for_org(org.pk)
    assert ruleset.count_limit("contact.cases") == 7  # the largest value compared, plus one
    assert ruleset.count_limit("author.followers") == 1  # no rule compares it
    understood(first, "complaint")
    route(org, first)
    from panal.engagement.models import RuleFire

    assert set(RuleFire.objects.values_list("rule_name", flat=True)) == {
        "repeat", "exactly 6", "over 2",
    }  # fmt: skip


def test_the_audit_keeps_the_mention_a_rule_fired_on_after_the_mention_is_deleted(
    org, users, add, manual_routing, client_en
):
    from panal.engagement import rules
    from panal.engagement.models import RuleFire

    rule = rules.create_rule(users["director"], org, name="Fibra", conditions="intent = complaint",
                             actions="tag fibra")  # fmt: skip
    (m,) = add(row(1, "La fibra va lentísima"))
    understood(m, "complaint")
    route(org, m)
    mention_id = m.pk
    m.delete()  # the admin's delete: Django's own cascade
    fire = RuleFire.objects.get()
    assert fire.mention_id == mention_id  # an audit is not rewritten
    assert not CaseMention.objects.filter(mention_id=mention_id).exists()
    page = client_en("director").get(f"/rules/{rule.pk}/")
    assert page.status_code == 200 and "Fibra" in page.content.decode()


def test_the_case_page_explains_the_routing_in_the_readers_language(
    org, users, add, manual_routing, client_for
):
    service = team(org, "customer_service")
    service.name = "<b>Atención</b>"
    service.save()
    (m,) = add(row(1, "Me cobraron dos veces la factura de octubre"))
    understood(m, "billing")
    route(org, m)
    case = Case.objects.get(first_mention=m)
    billing = team(org, "billing")
    assert case.owner_team == service and case.domain_team == billing
    client = client_for("agent")
    spanish = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    said = (
        f"El centro, &lt;b&gt;Atención&lt;/b&gt;, hace el triaje; {billing.name} es el radio "
        "para esta intención."
    )
    assert spanish.count(said) == 2  # the case's facts and its history's routed line
    assert "<b>Atención</b>" not in spanish
    assert "triages" not in spanish
    english = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        f"The hub, &lt;b&gt;Atención&lt;/b&gt;, triages it; {billing.name} is the spoke for "
        "this intent." in english
    )


def test_rules_on_a_reply_change_the_case_it_joins_and_its_history(org, users, add, manual_routing):
    from panal.engagement import rules

    first, later = add(
        row(1, "El router no enciende"),
        row(2, "Sigue igual. ¿Tienen fibra?", in_reply_to_external_id="r1"),
    )
    understood(first, "technical_support")
    route(org, first)
    case = Case.objects.get()
    assert case.priority == "normal" and case.tags == []
    billing = team(org, "billing")
    director = users["director"]
    actions = "tag follow-up, vip\npriority high\nassign team:billing\ncreate_lead"
    rules.create_rule(
        director, org, name="Follow-up", conditions="case.is_new is false", actions=actions
    )
    rules.create_rule(director, org, name="Lower", conditions="case.is_new is false",
                      actions="priority low")  # fmt: skip
    understood(later, "purchase_intent")
    route(org, later)
    case.refresh_from_db()
    assert case.tags == ["follow-up", "vip"]
    assert case.priority == "high"  # raised by one rule, not lowered by the next
    assert case.owner_team == billing
    assert billing.pk in case.visible_team_ids and billing.pk in case.answer_team_ids
    assert case.access.filter(team=billing).exists()
    kinds = list(case.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-5:] == ["mention", "tags", "priority", "team", "lead"]
    assert case.events.get(kind="priority").data == {
        "before": "normal", "after": "high", "reason": "rule"}  # fmt: skip
    assert Lead.objects.filter(case=case).count() == 1
    # Again: nothing more to add, nothing changes and no second lead.
    (again,) = add(row(3, "¿Hola?", in_reply_to_external_id="r2"))
    understood(again, "question")
    route(org, again)
    case.refresh_from_db()
    assert case.tags == ["follow-up", "vip"] and case.priority == "high"
    assert case.events.filter(kind__in=["tags", "priority", "team"]).count() == 3
    assert Lead.objects.filter(case=case).count() == 1


def test_rules_on_a_later_message_of_the_same_batch_change_the_case_it_opens(
    org, users, add, manual_routing
):
    from panal.engagement import rules

    rules.create_rule(users["director"], org, name="Angry reply", conditions="sentiment = negative",
                      actions="tag angry\nescalate")  # fmt: skip
    first, later = add(
        row(1, "El router no enciende"),
        row(2, "Sigue igual", in_reply_to_external_id="r1"),
    )
    understood(first, "technical_support")
    understood(later, "technical_support")
    Understanding.objects.filter(mention=later).update(sentiment="negative")
    Understanding.objects.filter(mention=first).update(sentiment="neutral")
    route(org, first, later)
    case = Case.objects.get()
    assert case.tags == ["angry"]
    assert case.priority == "high"  # the playbook's normal, escalated one step
    assert case.events.filter(kind="priority").get().data["after"] == "high"


def test_rules_take_tags_off_and_set_the_status(org, users, add, manual_routing):
    from panal.engagement import rules

    director = users["director"]
    rules.create_rule(director, org, name="Spam", conditions="intent = spam",
                      actions="open_case\nstatus closed\ntag spam")  # fmt: skip
    rules.create_rule(director, org, name="Thanks",
                      conditions="sentiment = positive\ncase.is_new is false",
                      actions="untag waiting\nstatus resolved")  # fmt: skip
    spam, first, thanks = add(
        row(1, "Gana dinero rápido en este enlace"),
        row(2, "El router no enciende"),
        row(3, "¡Ya funciona, gracias!", in_reply_to_external_id="r2"),
    )
    understood(spam, "spam")
    route(org, spam)
    closed = Case.objects.get(first_mention=spam)
    assert (closed.status, closed.is_open, closed.tags) == ("closed", False, ["spam"])
    assert closed.closed_at == NOW and closed.assignee is None  # nobody works a closed case
    assert closed.events.filter(kind="status").get().data["after"] == "closed"
    understood(first, "technical_support")
    route(org, first)
    case = Case.objects.get(first_mention=first)
    case.tags = ["waiting", "router"]
    case.save()
    understood(thanks, "praise")
    Understanding.objects.filter(mention=thanks).update(sentiment="positive")
    route(org, thanks)
    case.refresh_from_db()
    assert case.tags == ["router"]
    assert (case.status, case.is_open, case.resolved_at) == ("resolved", False, NOW)
    tags = case.events.filter(kind="tags").get()
    assert tags.data == {"added": [], "removed": ["waiting"]}
    assert case.events.filter(kind="status").get().data["after"] == "resolved"
