"""The composer on the case page, its live policy check and the reply templates page,
through HTTP: permissions (404 / 403), refusals (409 / 400) and escaping."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from panal.channels.models import OutboundMessage
from panal.core import clock
from panal.engagement.models import Approval, Article, Case, Draft, ReplyTemplate
from panal.org.choices import Role
from tests.channels.test_telegram import TelegramHarness
from tests.channels.test_whatsapp import WhatsAppHarness, received
from tests.engagement.test_composer import make_seasoned, open_case, telegram_mention


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def tg(org, users):
    harness = TelegramHarness(org)
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def case(org, users, tg):
    """Ana's private Telegram message, answered by customer service and the agency."""
    make_seasoned(org)
    return open_case(org, telegram_mention(tg, 0), teams=("customer_service", "agency"))


def reply_url(case) -> str:
    return f"/cases/{case.pk}/reply/"


def html(response) -> str:
    return response.content.decode()


# --- the composer on the case page ------------------------------------------------------------


def test_the_case_page_shows_the_composer_with_templates_in_the_customers_language(
    org, case, client_for
):
    ReplyTemplate.objects.create(
        organisation=org, name="Retraso <i>", shortcut="retraso", lang="es",
        body="Hola {first_name}, sentimos el retraso. Caso {case}.",
    )  # fmt: skip
    ReplyTemplate.objects.create(
        organisation=org, name="Delay", shortcut="delay", lang="en", body="Hi {first_name}"
    )
    page = html(client_for(Role.AGENT).get(f"/cases/{case.pk}/"))
    assert 'id="composer"' in page
    assert f'name="seen_seq" value="{case.reply_seq}"' in page
    assert f'hx-post="/cases/{case.pk}/reply/check/"' in page and "delay:400ms" in page
    assert f"Hola Ana, sentimos el retraso. Caso {case.pk}." in page
    assert "Retraso &lt;i&gt;" in page and "Retraso <i>" not in page
    assert "Hi Ana" not in page  # the customer writes in Spanish
    assert 'value="send_resolve"' in page and 'value="send"' in page


def test_knowledge_suggestions_can_be_inserted(org, case, client_for):
    now = clock.now()
    article = Article.objects.create(
        organisation=org, title="Mi pedido no ha llegado <b>", lang="es",
        body="¿Tu pedido no ha llegado y nadie contesta en soporte? Te lo reenviamos. " * 10,
        status=Article.Status.PUBLISHED, created_at=now, updated_at=now,
    )  # fmt: skip
    for title in ("Cambiar la tarifa de fibra", "Configurar el router", "Descargar la factura"):
        Article.objects.create(
            organisation=org, title=title, body=title, lang="es",
            status=Article.Status.PUBLISHED, created_at=now, updated_at=now,
        )  # fmt: skip
    page = html(client_for(Role.AGENT).get(f"/cases/{case.pk}/"))
    assert f'data-article="{article.pk}"' in page
    assert "Mi pedido no ha llegado &lt;b&gt;" in page
    assert 'data-text="¿Tu pedido no ha llegado y nadie contesta en soporte?' in page
    assert "Insert answer" in page


def test_agency_staff_only_get_submit_for_approval(case, client_for):
    page = html(client_for(Role.AGENCY).get(f"/cases/{case.pk}/"))
    assert 'value="submit"' in page
    assert 'value="send"' not in page and 'value="send_resolve"' not in page


def test_sending_redirects_to_the_case_and_the_reply_is_on_the_thread(
    case, client_for, tg, django_capture_on_commit_callbacks
):
    client = client_for(Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reply_url(case),
            {"text": "<script>alert(1)</script> Ya está", "seen_seq": "0",
             "action": "send_resolve"},
        )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    message = OutboundMessage.objects.get(author__username=Role.AGENT)  # (and the CSAT survey)
    assert message.status == OutboundMessage.Status.SENT
    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED
    page = html(client.get(f"/cases/{case.pk}/"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ya está" in page
    assert "<script>alert(1)</script>" not in page
    assert tg.fake.sent[0]["payload"]["text"] == "<script>alert(1)</script> Ya está"


def test_a_stale_seen_seq_is_a_409_with_the_reason_and_the_text_kept(org, case, client_for, users):
    users[Role.AGENT].first_name = "Marta"
    users[Role.AGENT].save()
    first = client_for(Role.AGENT).post(
        reply_url(case), {"text": "Hola Ana", "seen_seq": "0", "action": "send"}
    )
    assert first.status_code == 302
    second = client_for(Role.AREA_MANAGER).post(
        reply_url(case), {"text": "Hola <b>Ana</b>, te escribo yo", "seen_seq": "0"}
    )
    assert second.status_code == 409
    page = html(second)
    assert "replied to this case while you were writing" in page and "Marta" in page
    assert "Hola &lt;b&gt;Ana&lt;/b&gt;, te escribo yo</textarea>" in page
    assert 'name="seen_seq" value="1"' in page  # now up to date
    assert "Hola Ana" in page  # their reply, to read first
    assert OutboundMessage.objects.count() == 1


def test_a_closed_window_is_a_409_and_the_panel_says_why(org, users, client_for):
    make_seasoned(org)
    wa = WhatsAppHarness(org)
    wa.start()
    try:
        case = open_case(org, received(wa, "message__es.json", ago=25 * 3600))
        now = clock.now()
        article = Article.objects.create(
            organisation=org, title="Sin internet en casa", lang="es",
            body="¿Llevas días sin internet en casa y nadie te da una solución? Reinicia el "
            "router; si sigue sin conexión, te ayudamos por teléfono.",
            status=Article.Status.PUBLISHED, created_at=now, updated_at=now,
        )  # fmt: skip
        for title in ("Cambiar la tarifa de fibra", "Descargar la factura"):
            Article.objects.create(
                organisation=org, title=title, body=title, lang="es",
                status=Article.Status.PUBLISHED, created_at=now, updated_at=now,
            )  # fmt: skip
        client = client_for(Role.AGENT)
        page = html(client.get(f"/cases/{case.pk}/"))
        assert "You cannot reply through this channel now" in page and "24-hour" in page
        assert 'name="seen_seq"' not in page
        # The knowledge base still helps (to read, or to send another way); nothing to
        # insert the answer into.
        assert f'data-article="{article.pk}"' in page and "Sin internet en casa" in page
        assert "Insert answer" not in page
        response = client.post(reply_url(case), {"text": "Hola", "seen_seq": "0"})
        assert response.status_code == 409
        assert "24-hour" in html(response) and ">Hola</textarea>" in html(response)
        assert not OutboundMessage.objects.exists()
    finally:
        wa.stop()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"text": "   ", "seen_seq": "0"}, "The reply is empty."),
        ({"text": "Hola", "seen_seq": "abc"}, "Reload the case"),
        ({"text": "Hola", "seen_seq": "0", "action": "publish"}, "Unknown action."),
        ({"text": "Hola", "seen_seq": "0", "mention": "123"}, "not part of this case"),
        ({"text": "x" * 4097, "seen_seq": "0"}, "4096"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(case, client_for, data, reason):
    response = client_for(Role.AGENT).post(reply_url(case), data)
    assert response.status_code == 400
    assert reason in html(response)
    assert not OutboundMessage.objects.exists()


def test_personal_data_in_a_public_reply_is_refused(org, tg, client_for):
    make_seasoned(org)
    public = open_case(org, telegram_mention(tg, 4))
    response = client_for(Role.AGENT).post(
        reply_url(public), {"text": "Mi DNI es 12345678Z", "seen_seq": "0"}
    )
    assert response.status_code == 400
    assert "never be published in a public reply" in html(response)
    assert not OutboundMessage.objects.exists()


def test_a_promise_above_authority_is_a_409_then_goes_for_approval(case, client_for):
    client = client_for(Role.AGENT)
    data = {"text": "Te abonamos 300 €", "seen_seq": "0"}
    refused = client.post(reply_url(case), data)
    assert refused.status_code == 409 and "150.00" in html(refused)
    submitted = client.post(reply_url(case), {**data, "action": "submit"})
    assert submitted.status_code == 302
    assert Draft.objects.get().status == Draft.Status.PENDING
    assert Approval.objects.get().kind == Approval.Kind.REPLY
    assert not OutboundMessage.objects.exists()


def test_agency_staff_submit_and_cannot_send(case, client_for):
    client = client_for(Role.AGENCY)
    refused = client.post(reply_url(case), {"text": "Hola Ana", "seen_seq": "0"})
    assert refused.status_code == 409 and "submit them for approval" in html(refused)
    response = client.post(
        reply_url(case), {"text": "Hola Ana", "seen_seq": "0", "action": "submit"}
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    page = html(client.get(f"/cases/{case.pk}/"))
    assert "sent for approval" in page
    assert 'data-status="pending"' in page
    assert not OutboundMessage.objects.exists()


def test_a_saved_draft_comes_back_in_the_textarea(case, client_for):
    client = client_for(Role.AGENT)
    response = client.post(
        reply_url(case), {"text": "Hola <b>Ana</b>", "seen_seq": "0", "action": "save"}
    )
    assert response.status_code == 302
    page = html(client.get(f"/cases/{case.pk}/"))
    assert ">Hola &lt;b&gt;Ana&lt;/b&gt;</textarea>" in page
    assert "Draft saved." in page
    # Someone else's page does not start from it.
    other = html(client_for(Role.AREA_MANAGER).get(f"/cases/{case.pk}/"))
    assert "></textarea>" in other


def test_an_htmx_refusal_returns_the_panel_alone(case, client_for):
    response = client_for(Role.AGENT).post(
        reply_url(case), {"text": "", "seen_seq": "0"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    page = html(response)
    assert 'id="composer"' in page and "<html" not in page


# --- the live check ----------------------------------------------------------------------------


def test_the_live_check_returns_the_flags(case, client_for):
    client = client_for(Role.AGENT)
    url = f"/cases/{case.pk}/reply/check/"
    response = client.post(url, {"text": "Escríbeme a ana@acme.example, 100% seguro"})
    assert response.status_code == 200
    page = html(response)
    assert 'data-code="personal_data" data-severity="warn"' in page  # a private chat
    assert 'data-code="regulated"' in page
    assert "ana@acme.example" in page
    blank = html(client.post(url, {"text": ""}))
    assert 'data-flags="0"' in blank and "Nothing risky" not in blank
    fine = html(client.post(url, {"text": "Hola Ana"}))
    assert "Nothing risky found." in fine
    over = html(client.post(url, {"text": "Te abonamos 900 €"}))
    assert 'data-code="authority"' in over and 'data-needs-approval="1"' in over


def test_the_live_check_escapes_what_it_quotes(org, tg, client_for):
    make_seasoned(org)
    public = open_case(org, telegram_mention(tg, 4))
    page = html(
        client_for(Role.AGENT).post(
            f"/cases/{public.pk}/reply/check/", {"text": "<b>garantizado</b> <i>612345678"}
        )
    )
    assert 'data-severity="block"' in page and 'data-code="regulated"' in page
    assert "&lt;b&gt;garantizado&lt;/b&gt;" in page
    assert "<b>garantizado" not in page and "<i>" not in page


# --- permissions ---------------------------------------------------------------------------------


def test_a_case_the_user_cannot_see_is_a_404(case, client_for, other_org):
    from panal.demo import builders

    stranger = builders.member(other_org, Role.AGENT, username="stranger")
    client = Client()
    client.force_login(stranger)
    for url in (reply_url(case), f"/cases/{case.pk}/reply/check/"):
        assert client.post(url, {"text": "Hola", "seen_seq": "0"}).status_code == 404
    # CRM & call center may answer cases, but this one is not their team's.
    crm = client_for(Role.CRM_CALL_CENTER)
    assert crm.post(reply_url(case), {"text": "Hola", "seen_seq": "0"}).status_code == 404
    assert client_for(Role.AGENT).post("/cases/99999999/reply/", {"text": "x"}).status_code == 404
    assert not OutboundMessage.objects.exists()


def test_a_case_the_user_sees_but_may_not_answer_is_a_403(case, client_for):
    analyst = client_for(Role.ANALYST)  # sees every case, answers none
    assert analyst.get(f"/cases/{case.pk}/").status_code == 200
    assert analyst.post(reply_url(case), {"text": "Hola", "seen_seq": "0"}).status_code == 403
    check = analyst.post(f"/cases/{case.pk}/reply/check/", {"text": "Hola"})
    assert check.status_code == 403
    assert not OutboundMessage.objects.exists() and not Draft.objects.exists()


def test_anonymous_users_are_sent_to_log_in(case):
    response = Client().post(reply_url(case), {"text": "Hola", "seen_seq": "0"})
    assert response.status_code == 302 and "/login" in response["Location"]


# --- the reply templates page -------------------------------------------------------------------


def test_agents_see_templates_and_cannot_change_them(org, client_for):
    ReplyTemplate.objects.create(
        organisation=org, name="Gracias <script>", shortcut="gracias", lang="es", body="Gracias"
    )
    client = client_for(Role.AGENT)
    page = client.get("/reply-templates/")
    assert page.status_code == 200
    assert "Gracias &lt;script&gt;" in html(page) and 'name="body"' not in html(page)
    created = client.post(
        "/reply-templates/",
        {"name": "X", "shortcut": "x", "lang": "es", "body": "Hola"},
    )
    assert created.status_code == 403
    template = ReplyTemplate.objects.get()
    assert client.post(f"/reply-templates/{template.pk}/delete/").status_code == 403
    assert ReplyTemplate.objects.count() == 1
    # Without case work there is no templates page at all.
    assert client_for(Role.AGENCY).get("/reply-templates/").status_code == 403


def test_managers_create_edit_and_delete_templates(org, client_for):
    client = client_for(Role.AREA_MANAGER)
    assert 'name="body"' in html(client.get("/reply-templates/"))
    data = {
        "name": "Retraso", "shortcut": "retraso", "lang": "es",
        "body": "Hola {first_name}, lo siento. {agent}", "intents": ["complaint", "billing"],
    }  # fmt: skip
    response = client.post("/reply-templates/", data)
    assert response.status_code == 302 and response["Location"] == "/reply-templates/"
    template = ReplyTemplate.objects.get()
    assert template.intents == ["complaint", "billing"] and template.organisation == org
    edit = client.get(f"/reply-templates/{template.pk}/")
    assert edit.status_code == 200 and "Hola {first_name}, lo siento." in html(edit)
    changed = client.post(f"/reply-templates/{template.pk}/", {**data, "body": "Hola {name}"})
    assert changed.status_code == 302
    template.refresh_from_db()
    assert template.body == "Hola {name}"
    assert client.post(f"/reply-templates/{template.pk}/delete/").status_code == 302
    assert not ReplyTemplate.objects.exists()


def test_a_bad_template_is_a_400_and_nothing_is_saved(org, client_for):
    client = client_for(Role.AREA_MANAGER)
    data = {"name": "Mal", "shortcut": "mal", "lang": "es", "body": "Hola {x.__class__}"}
    response = client.post("/reply-templates/", data)
    assert response.status_code == 400
    assert "Unknown variable {x.__class__}" in html(response)
    assert not ReplyTemplate.objects.exists()
    braces = client.post("/reply-templates/", {**data, "body": "Hola {first_name"})
    assert braces.status_code == 400 and "not opened or not closed" in html(braces)
    lang = client.post("/reply-templates/", {**data, "body": "Hola", "lang": "español"})
    assert lang.status_code == 400 and not ReplyTemplate.objects.exists()
    ReplyTemplate.objects.create(organisation=org, name="A", shortcut="mal", lang="es", body="A")
    clash = client.post("/reply-templates/", {**data, "body": "Hola"})
    assert clash.status_code == 400 and "already uses the shortcut" in html(clash)


def test_another_organisations_template_is_a_404(other_org, client_for):
    theirs = ReplyTemplate.objects.create(
        organisation=other_org, name="Theirs", shortcut="t", lang="es", body="T"
    )
    client = client_for(Role.AREA_MANAGER)
    assert client.get(f"/reply-templates/{theirs.pk}/").status_code == 404
    assert client.post(f"/reply-templates/{theirs.pk}/delete/").status_code == 404
    assert ReplyTemplate.objects.filter(pk=theirs.pk).exists()
