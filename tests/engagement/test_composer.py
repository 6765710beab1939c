"""Replies from a case: templates, drafts, approval, the one-reply guarantee and the
channel's refusals, driven through the real reply service and the Telegram and WhatsApp
fakes (tests/fakes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from panal.channels.models import OutboundMessage
from panal.core import clock
from panal.demo import builders
from panal.engagement import authority, cases, composer
from panal.engagement.models import (
    Approval,
    Case,
    CaseAccess,
    CaseEvent,
    CaseMention,
    Draft,
    Notification,
    ReplyTemplate,
)
from panal.org.models import Membership, Organisation, Team
from tests.channels.contract import stored
from tests.channels.test_telegram import TelegramHarness
from tests.channels.test_whatsapp import WhatsAppHarness, received

Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- builders shared with the page tests -------------------------------------------------


def team(org, department: str) -> Team:
    return Team.objects.get(organisation=org, department=department)


def open_case(org, mention, *, teams=("customer_service",), **fields) -> Case:
    """A case on `mention` owned by the first of `teams`, seen and answered by all of them
    (the case routing opened, if it did, is set up the same way)."""
    now = clock.now()
    ids = [team(org, d).pk for d in teams]
    values = {
        "organisation": org, "subject": cases.subject_of(mention), "owner_team_id": ids[0],
        "visible_team_ids": ids, "answer_team_ids": ids, "visible_to_all": False,
        "answer_all": False, "shared": False, "opened_at": now, "updated_at": now,
        "channel": mention.channel, "account_id": mention.account_id,
        "contact_id": mention.author_id, "first_mention": mention, "lang": mention.lang,
        "assignee": None, **fields,
    }  # fmt: skip
    link = CaseMention.objects.filter(mention=mention).select_related("case").first()
    if link is None:
        case = Case.objects.create(**values)
        CaseMention.objects.create(case=case, mention=mention, added_at=now)
    else:
        case = link.case
        for key, value in values.items():
            setattr(case, key, value)
        case.save()
        CaseAccess.objects.filter(case=case).delete()
    CaseAccess.objects.bulk_create([CaseAccess(case=case, team_id=t) for t in ids])
    return Case.objects.get(pk=case.pk)


def make_seasoned(org) -> None:
    """Everyone joined a year ago: nobody is new staff."""
    Membership.objects.filter(organisation=org).update(joined_at=clock.now() - timedelta(days=365))


@pytest.fixture
def seasoned(org, users):
    make_seasoned(org)
    return users


@pytest.fixture
def tg(org, users):
    harness = TelegramHarness(org)
    harness.start()
    harness.users = users
    yield harness
    harness.stop()


def telegram_mention(tg, index: int = 0):
    """0: Ana's private message (es); 4: a public channel post."""
    sample = tg.samples()[index]
    tg.publish(sample)
    tg.collect()
    return stored(tg.account, sample.external_id)


@pytest.fixture
def dm(tg):
    return telegram_mention(tg, 0)


@pytest.fixture
def dm_case(org, dm):
    return open_case(org, dm)


@pytest.fixture
def public_case(org, tg):
    return open_case(org, telegram_mention(tg, 4))


@pytest.fixture
def agency_case(org, dm):
    return open_case(org, dm, teams=("customer_service", "agency"))


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- templates -----------------------------------------------------------------------------


def test_a_template_is_filled_from_the_case_contact_and_agent(org, users, dm_case, dm):
    agent = users["agent"]
    agent.first_name = "Marta"
    agent.save()
    text = composer.render(
        "Hola {first_name} ({handle}), soy {agent} de {brand}. Caso {case} · {organisation} "
        "· {{literal}}",
        dm_case, dm, agent,
    )  # fmt: skip
    assert text == (
        f"Hola Ana (@anaruiz), soy Marta de Acme. Caso {dm_case.pk} · Acme · {{literal}}"
    )


def test_hostile_contact_names_are_inserted_as_text_never_formatted(org, users, add):
    (mention,) = add(
        {
            "external_id": "h1",
            "text": "Hola",
            "author": {
                "id": "u9",
                "handle": "{agent}",
                "display_name": "{agent.__class__.__mro__} {0} {{ }} %(x)s <b>",
            },
        }
    )
    case = open_case(org, mention)
    text = composer.render("Hola {name} / {handle} / {agent}", case, mention, users["agent"])
    assert text == ("Hola {agent.__class__.__mro__} {0} {{ }} %(x)s <b> / @{agent} / agent")


def test_unknown_variables_and_bad_braces_are_refused_at_save():
    assert composer.validate_template("Hola {first_name}, soy {agent}. {{ok}}") == []
    for body, expected in [
        ("Hola {nombre}", "Unknown variable {nombre}"),
        ("{first_name.__class__}", "Unknown variable {first_name.__class__}"),
        ("{agent[0]}", "Unknown variable {agent[0]}"),
        ("Hola {}", "Write a variable name inside the braces"),
        ("Hola {0}", "Write a variable name inside the braces"),
        ("{name!r}", "nothing after the name"),
        ("{name:>40}", "nothing after the name"),
        ("Hola {first_name", "not opened or not closed"),
        ("Hola first_name}", "not opened or not closed"),
    ]:
        errors = composer.validate_template(body)
        assert errors, body
        assert expected in " ".join(errors), (body, errors)


def test_a_template_with_an_unknown_variable_is_not_saved(org, users):
    with pytest.raises(composer.TemplateError, match="Unknown variable") as error:
        composer.save_template(
            users["area_manager"], org, name="Hola", shortcut="hola", lang="es",
            body="Hola {x.__init__}", intents=[],
        )  # fmt: skip
    assert error.value.field == "body"
    assert not ReplyTemplate.objects.exists()


def test_only_those_who_manage_rules_change_templates(org, users):
    fields = {"name": "Hola", "shortcut": "hola", "lang": "es", "body": "Hola", "intents": []}
    with pytest.raises(PermissionDenied):
        composer.save_template(users["agent"], org, **fields)
    saved = composer.save_template(users["area_manager"], org, **fields)
    with pytest.raises(composer.TemplateError, match="already uses the shortcut"):
        composer.save_template(users["community_manager"], org, **fields)
    composer.save_template(users["community_manager"], org, **{**fields, "lang": "en"})
    with pytest.raises(PermissionDenied):
        composer.delete_template(users["agent"], saved)
    composer.delete_template(users["area_manager"], saved)
    assert list(ReplyTemplate.objects.values_list("lang", flat=True)) == ["en"]


def template(org, name, lang, intents=(), body=None) -> ReplyTemplate:
    return ReplyTemplate.objects.create(
        organisation=org, name=name, shortcut=name.lower().replace(" ", "-"), lang=lang,
        body=body or f"{name} {{first_name}}", intents=list(intents),
    )  # fmt: skip


def test_templates_come_in_the_customers_language_with_the_cases_intent_first(
    org, other_org, users, add
):
    template(org, "A thanks", "es")
    template(org, "B apology", "es", intents=["complaint"])
    template(org, "C english", "en")
    template(org, "D brazil", "pt-BR")
    template(other_org, "E other", "es")
    (mention,) = add({"external_id": "t1", "text": "Hola", "lang": "es"})
    case = open_case(org, mention, intent="complaint")
    assert [t.name for t in composer.templates_for(case)] == ["B apology", "A thanks"]
    # The case's language wins over the mention's; then the organisation's default.
    case.lang = "en"
    assert [t.name for t in composer.templates_for(case)] == ["C english"]
    case.lang = "pt"
    assert [t.name for t in composer.templates_for(case)] == ["D brazil"]
    (unknown,) = add({"external_id": "t2", "text": "?"})
    case = open_case(org, unknown, lang="")
    assert Organisation.objects.get(pk=org.pk).default_language == "es"
    assert [t.name for t in composer.templates_for(case)] == ["A thanks", "B apology"]


# --- who must ask for approval ------------------------------------------------------------------


def test_agency_and_new_staff_must_submit_and_seasoned_agents_send(org, users, dm_case):
    assert "submit them for approval" in composer.needs_approval(users["agency"], dm_case)
    # Everyone in the fixtures joined just now: new staff.
    assert "joined less than 30 days ago" in composer.needs_approval(users["agent"], dm_case)
    # Approvers themselves are not held back.
    assert composer.needs_approval(users["area_manager"], dm_case) is None
    make_seasoned(org)
    assert composer.needs_approval(users["agent"], dm_case) is None
    assert composer.needs_approval(users["agency"], dm_case) is not None
    config = cases.config_for(org)
    config.new_staff_days = 400
    config.save()
    assert "400 days" in composer.needs_approval(users["agent"], dm_case)


def test_a_promise_above_the_authors_authority_needs_approval(seasoned, dm_case):
    agent = seasoned["agent"]  # may grant 150 per case
    assert composer.needs_approval(agent, dm_case, text="Te abonamos 100 €") is None
    reason = composer.needs_approval(agent, dm_case, text="Te abonamos 300 €")
    assert "300 €" in reason and "150" in reason
    with pytest.raises(composer.ReplyConflict, match="150"):
        composer.send(agent, dm_case, "Te abonamos 300 €", seen_seq=0)
    assert not OutboundMessage.objects.exists()


def test_agency_staff_cannot_send_directly(users, agency_case):
    with pytest.raises(composer.ReplyConflict, match="submit them for approval"):
        composer.send(users["agency"], agency_case, "Hola Ana", seen_seq=0)
    assert not OutboundMessage.objects.exists()
    assert fresh(agency_case).reply_seq == 0


# --- sending ------------------------------------------------------------------------------------


def test_a_reply_goes_through_the_worker_to_the_network_and_onto_the_thread(
    tg, seasoned, dm_case, dm, django_capture_on_commit_callbacks
):
    agent = seasoned["agent"]
    with django_capture_on_commit_callbacks(execute=True):
        message = composer.send(
            agent, dm_case, "Hola Ana,\r\nya lo miramos.", seen_seq=0,
            status_after=Case.Status.PENDING,
        )  # fmt: skip
    message.refresh_from_db()
    assert message.status == Status.SENT and message.external_id
    assert tg.fake.sent[0]["payload"]["text"] == "Hola Ana,\nya lo miramos."
    assert tg.fake.sent[0]["payload"]["reply_parameters"]["message_id"] == int(
        dm.external_id.split(":")[1]
    )
    assert composer.replies_of(dm_case) == [message]
    case = fresh(dm_case)
    assert case.reply_seq == 1 and case.first_response_at is not None
    assert case.status == Case.Status.PENDING
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.REPLY)
    assert event.actor == agent and event.data["outbound"] == message.pk
    assert event.data["text"] == "Hola Ana,\nya lo miramos."


def test_send_and_resolve(tg, seasoned, dm_case):
    composer.send(seasoned["agent"], dm_case, "Resuelto", seen_seq=0, status_after="resolved")
    assert fresh(dm_case).status == Case.Status.RESOLVED
    with pytest.raises(cases.CaseError, match="nothing else"):
        composer.send(seasoned["agent"], dm_case, "Otra", seen_seq=1, status_after="closed")


def test_two_agents_sending_at_once_make_one_reply_never_two(org, tg, seasoned, dm_case):
    first = seasoned["agent"]
    first.first_name, first.last_name = "Marta", "Gil"
    first.save()
    second = builders.member(org, "agent", username="agent2")
    make_seasoned(org)
    seen = dm_case.reply_seq
    composer.send(first, cases.get_case_for(first, dm_case.pk), "Hola, soy Marta", seen_seq=seen)
    with pytest.raises(composer.ReplyConflict) as refused:
        composer.send(
            second, cases.get_case_for(second, dm_case.pk), "Hola, soy otra", seen_seq=seen
        )
    assert "replied to this case while you were writing" in str(refused.value)
    assert "Marta Gil" in str(refused.value)
    assert OutboundMessage.objects.count() == 1
    assert OutboundMessage.objects.get().author == first
    assert fresh(dm_case).reply_seq == seen + 1
    # Having read it, the second agent answers from the new number.
    composer.send(second, dm_case, "Añado algo", seen_seq=seen + 1)
    assert OutboundMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_make_one_reply(org, tg, seasoned, dm_case):
    """Two transactions at once with the same `seen_seq`: the row update lets one through."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    second = builders.member(org, "agent", username="agent2")
    make_seasoned(org)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reply(user, text):
        try:
            with translation.override("en"):
                barrier.wait()
                composer.send(user, Case.objects.get(pk=dm_case.pk), text, seen_seq=0)
            outcomes.append("sent")
        except composer.ReplyConflict as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=reply, args=(seasoned["agent"], "Soy la primera")),
        threading.Thread(target=reply, args=(second, "Soy el segundo")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[1] == "sent"
    assert "replied to this case while you were writing" in sorted(outcomes)[0]
    assert OutboundMessage.objects.count() == 1
    assert fresh(dm_case).reply_seq == 1
    assert CaseEvent.objects.filter(case=dm_case, kind=CaseEvent.Kind.REPLY).count() == 1


def test_a_closed_whatsapp_window_refuses_the_reply_with_the_reason(org, seasoned):
    wa = WhatsAppHarness(org)
    wa.start()
    wa.users = seasoned
    try:
        mention = received(wa, "message__es.json", ago=25 * 3600)
        case = open_case(org, mention)
        with pytest.raises(composer.ReplyConflict, match="24-hour"):
            composer.send(seasoned["agent"], case, "Hola", seen_seq=0)
        assert not OutboundMessage.objects.exists()
        assert fresh(case).reply_seq == 0 and fresh(case).first_response_at is None
        assert not wa.fake.sent
    finally:
        wa.stop()


def test_personal_data_is_refused_in_public_and_allowed_in_private(org, tg, seasoned, dm_case):
    public = open_case(org, telegram_mention(tg, 4))
    agent = seasoned["agent"]
    text = "Escríbenos a soporte.vip@acme.es o al +34 612 345 678"
    with pytest.raises(cases.CaseError, match="never be published in a public reply"):
        composer.send(agent, public, text, seen_seq=0)
    assert not OutboundMessage.objects.exists() and fresh(public).reply_seq == 0
    message = composer.send(agent, dm_case, text, seen_seq=0)
    assert message.text == text


def test_an_empty_or_oversized_reply_is_refused(tg, seasoned, dm_case):
    agent = seasoned["agent"]
    with pytest.raises(cases.CaseError, match="empty"):
        composer.send(agent, dm_case, " \n ", seen_seq=0)
    with pytest.raises(cases.CaseError, match="4096"):
        composer.send(agent, dm_case, "x" * 4097, seen_seq=0)
    with pytest.raises(cases.CaseError, match="Reload"):
        composer.send(agent, dm_case, "Hola", seen_seq="abc")
    assert not OutboundMessage.objects.exists()


def test_someone_who_may_not_answer_is_refused(tg, seasoned, dm_case, add):
    with pytest.raises(PermissionDenied):
        composer.send(seasoned["crm_call_center"], dm_case, "Hola", seen_seq=0)
    with pytest.raises(composer.NotAllowed):
        composer.save_draft(seasoned["analyst"], dm_case, "Hola")
    (elsewhere,) = add({"external_id": "x1", "text": "otro"})
    with pytest.raises(cases.CaseError, match="not part of this case"):
        composer.send(seasoned["agent"], dm_case, "Hola", seen_seq=0, mention=elsewhere)
    assert not OutboundMessage.objects.exists()


def test_sending_releases_the_soft_lock(tg, seasoned, dm_case, django_capture_on_commit_callbacks):
    agent = seasoned["agent"]
    Case.objects.filter(pk=dm_case.pk).update(
        lock_user=agent, lock_until=clock.now() + timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        composer.send(agent, fresh(dm_case), "Hola", seen_seq=0)
    assert fresh(dm_case).lock_user is None


# --- drafts and approval ----------------------------------------------------------------------


def test_a_draft_is_kept_and_updated_per_author(tg, users, dm_case):
    draft = composer.save_draft(users["agent"], dm_case, "Hola {Ana}")
    again = composer.save_draft(users["agent"], dm_case, "Hola Ana, ¿me pasas tu DNI?")
    assert again.pk == draft.pk and Draft.objects.count() == 1
    assert again.status == Draft.Status.DRAFT and again.lang == "es"
    assert again.mention == dm_case.first_mention
    assert composer.drafts_of(dm_case) == [again]


def test_an_agency_reply_is_approved_and_sent_by_the_manager(
    tg, users, agency_case, django_capture_on_commit_callbacks
):
    agency, manager = users["agency"], users["area_manager"]
    draft = composer.save_draft(agency, agency_case, "Hola Ana, lo revisamos hoy.")
    composer.submit(agency, draft)
    draft.refresh_from_db()
    assert draft.status == Draft.Status.PENDING
    approval = draft.approval
    assert approval.kind == Approval.Kind.REPLY and approval.required_role == "area_manager"
    assert "lo revisamos hoy" in approval.summary
    assert CaseEvent.objects.filter(case=agency_case, kind=CaseEvent.Kind.DRAFT).exists()
    assert Notification.objects.filter(user=manager, kind=Notification.Kind.APPROVAL).exists()
    assert not OutboundMessage.objects.exists()
    with pytest.raises(composer.ReplyConflict, match="already submitted"):
        composer.submit(agency, draft)
    with django_capture_on_commit_callbacks(execute=True):
        authority.decide(manager, approval, True)
    draft.refresh_from_db()
    message = draft.outbound
    assert draft.status == Draft.Status.SENT and message is not None
    message.refresh_from_db()
    assert message.author == manager and message.status == Status.SENT
    assert tg.fake.sent[0]["payload"]["text"] == "Hola Ana, lo revisamos hoy."
    assert composer.replies_of(agency_case) == [message]
    assert fresh(agency_case).reply_seq == 1
    told = Notification.objects.filter(user=agency, kind=Notification.Kind.APPROVAL)
    # In the requester's language, the organisation's as they chose none (Spanish).
    assert [n.text.split(" en el caso")[0] for n in told] == ["area_manager aprobó tu solicitud"]


def test_a_rejected_reply_is_not_sent(tg, users, agency_case):
    draft = composer.submit(
        users["agency"], composer.save_draft(users["agency"], agency_case, "Hola")
    )
    authority.decide(users["area_manager"], draft.approval, False, "Demasiado seco")
    draft.refresh_from_db()
    assert draft.status == Draft.Status.REJECTED and draft.outbound is None
    assert not OutboundMessage.objects.exists()
    # Rewritten and submitted again.
    again = composer.save_draft(users["agency"], agency_case, "Hola Ana, gracias por escribir")
    assert again.pk != draft.pk
    assert composer.submit(users["agency"], again).status == Draft.Status.PENDING


def test_an_approved_reply_the_channel_can_no_longer_take_stays_waiting(tg, users, agency_case):
    draft = composer.submit(
        users["agency"], composer.save_draft(users["agency"], agency_case, "Hola")
    )
    tg.account.is_active = False
    tg.account.save()
    with pytest.raises(authority.AuthorityError, match="inactive"):
        authority.decide(users["area_manager"], Approval.objects.get(pk=draft.approval_id), True)
    assert Approval.objects.get(pk=draft.approval_id).status == Approval.Status.PENDING
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.PENDING
    assert not OutboundMessage.objects.exists()


def test_a_draft_is_not_sent_on_approval_when_someone_replied_after_it_was_submitted(
    tg, users, agency_case
):
    make_seasoned(agency_case.organisation)
    draft = composer.submit(
        users["agency"], composer.save_draft(users["agency"], agency_case, "Hola, lo miramos")
    )
    assert draft.seen_seq == 0
    agent = users["agent"]
    agent.first_name, agent.last_name = "Marta", "Gil"
    agent.save()
    composer.send(agent, cases.get_case_for(agent, agency_case.pk), "Ya está resuelto",
                  seen_seq=0)  # fmt: skip
    approval = Approval.objects.get(pk=draft.approval_id)
    with pytest.raises(authority.AuthorityError, match="Marta Gil"):
        authority.decide(users["area_manager"], approval, True)
    assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.PENDING
    assert [m.text for m in OutboundMessage.objects.all()] == ["Ya está resuelto"]  # one voice
    authority.decide(users["area_manager"], approval, False, "Ya respondió Marta")
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.REJECTED


def test_a_promise_above_authority_goes_out_once_approved(tg, seasoned, dm_case):
    agent, manager = seasoned["agent"], seasoned["area_manager"]
    draft = composer.submit(agent, composer.save_draft(agent, dm_case, "Te abonamos 300 €."))
    event = CaseEvent.objects.get(case=dm_case, kind=CaseEvent.Kind.DRAFT)
    assert "150" in event.data["reason"]
    authority.decide(manager, draft.approval, True)
    assert OutboundMessage.objects.get().text == "Te abonamos 300 €."


def test_personal_data_in_public_cannot_even_be_submitted(tg, users, org):
    case = open_case(org, telegram_mention(tg, 4), teams=("customer_service", "agency"))
    draft = composer.save_draft(users["agency"], case, "Mi móvil es 612 345 678")
    assert draft.flags[0]["code"] == "personal_data" and draft.flags[0]["severity"] == "block"
    with pytest.raises(cases.CaseError, match="public reply"):
        composer.submit(users["agency"], draft)
    assert not Approval.objects.exists()


def test_only_the_author_submits_a_draft(tg, users, org, dm):
    case = open_case(org, dm, teams=("customer_service", "agency"))
    draft = composer.save_draft(users["agency"], case, "Hola")
    with pytest.raises(composer.NotAllowed):
        composer.submit(users["agent"], draft)


def test_replies_of_lists_only_the_cases_replies(tg, seasoned, dm_case, org):
    other_case = open_case(org, telegram_mention(tg, 1))
    composer.send(seasoned["agent"], dm_case, "Para Ana", seen_seq=0)
    composer.send(seasoned["agent"], other_case, "Para el otro", seen_seq=0)
    assert [m.text for m in composer.replies_of(dm_case)] == ["Para Ana"]
    assert [m.text for m in composer.replies_of(other_case)] == ["Para el otro"]
