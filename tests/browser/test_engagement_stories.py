"""In a real browser, in Spanish and in English: the acceptance stories of engagement
(docs/engagement.md). What customers write goes through the real ingest service and
pipeline, so the built-in models understand it and routing opens the cases.

1. Service: a question on Mastodon becomes a case; the agent inserts the suggested
   knowledge-base answer, sends it on the same channel, and it shows on the case.
2. Sales: purchase intent becomes a lead for a salesperson, who moves it to "contacted".
3. Collaboration: notes with @mentions, followed from the notifications; a curator
   publishes the solution from the case, and it is suggested on a new case.
4. Authority: goodwill above the agent's limit waits for the area manager's approval;
   within the limit it is granted at once.
"""

from __future__ import annotations

import copy
import html
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from panal.channels import replies
from panal.channels.models import OutboundMessage
from panal.channels.runner import poll_once
from panal.engagement import knowledge
from panal.engagement.models import Approval, Article, Goodwill, Lead, Notification
from tests.channels.contract import stored
from tests.channels.test_mastodon import PollingHarness, load
from tests.fakes.mastodon import iso

from .engagement_helpers import (
    LANGS,
    case_of,
    ingest,
    intents,
    login,
    money,
    move_to_team,
    salesperson,
    say,
    seasoned,
    speaking,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Looked at by a person after a change to the pages (both languages).
SCREENSHOTS = Path(tempfile.gettempdir()) / "panal-screenshots"

# The knowledge base the organisation already had: other problems, so that the words of
# each article are rare among them, as in a real knowledge base.
SHELF = {
    "es": [
        ("Cómo pagar una factura con tarjeta", "Entra en Mi cuenta > Facturas y elige Pagar."),
        ("Usar el móvil en el extranjero", "Activa el roaming en Ajustes > Red móvil."),
        ("Cambiar la contraseña de la wifi", "Entra en 192.168.1.1 con la clave de la etiqueta."),
        ("Traer tu número de otra compañía", "Pide la portabilidad en tienda con tu DNI."),
    ],
    "en": [
        ("How to pay a bill by card", "Go to My account > Bills and choose Pay."),
        ("Using your phone abroad", "Turn roaming on in Settings > Mobile network."),
        ("Changing the wifi password", "Open 192.168.1.1 with the key on the label."),
        ("Bringing your number from another company", "Ask for it in a shop with your ID."),
    ],
}
ROUTER = {
    "es": {
        "title": "La luz de internet del router parpadea en rojo",
        "body": "Apaga el router, espera 30 segundos y vuelve a encenderlo. Si la luz de "
        "internet sigue en rojo, comprueba que el cable de fibra está bien encajado.",
        "question": "Hola, ¿alguien sabe cómo arreglar el router de Acme Hogar? La luz de "
        "internet parpadea en rojo y no conecta.",
        "greeting": "¡Hola, Lucía! ",
    },
    "en": {
        "title": "The router's internet light blinks red",
        "body": "Switch the router off, wait 30 seconds and switch it on again. If the "
        "internet light is still red, check that the fibre cable is firmly plugged in.",
        "question": "Hi, does anyone know how to fix the Acme Hogar router? The internet "
        "light blinks red and it won't connect.",
        "greeting": "Hi Lucía! ",
    },
}
PURCHASE = {
    "es": "¿Alguien me recomienda qué tarifa de fibra de Acme Móvil comprar? Quiero "
    "contratar una ya.",
    "en": "Can anyone recommend which Acme Móvil fibre plan to buy? I want to sign up today.",
}
RECURRING = {
    "es": {
        "first": "Acme Hogar: otra vez se me ha caído la fibra, el router se reinicia solo "
        "cada hora",
        "ask": "@area_manager es el tercer router que se reinicia solo cada hora esta "
        "semana. ¿Sabemos qué lo arregla?",
        "answer": "Es el firmware 2.1: se arregla actualizando a la 2.3 desde Ajustes > "
        "Sistema. @curator ¿lo publicas en la base de conocimiento?",
        "title": "El router se reinicia solo cada hora",
        "body": "Si el router de Acme Hogar se reinicia solo cada hora, actualiza el "
        "firmware a la versión 2.3 desde Ajustes > Sistema.",
        "again": "Mi router de Acme Hogar se reinicia solo cada hora, ¿qué hago?",
    },
    "en": {
        "first": "Acme Hogar: my fibre dropped again, the router restarts by itself every hour",
        "ask": "@area_manager that's the third router this week restarting by itself every "
        "hour. Do we know what fixes it?",
        "answer": "It's firmware 2.1: updating to 2.3 from Settings > System fixes it. "
        "@curator could you publish it in the knowledge base?",
        "title": "The router restarts by itself every hour",
        "body": "If your Acme Hogar router restarts by itself every hour, update its "
        "firmware to version 2.3 from Settings > System.",
        "again": "My Acme Hogar router restarts by itself every hour, what can I do?",
    },
}
OUTAGE = {
    "es": "Acme Hogar: tres semanas sin internet y el soporte no me lo arregla. Es una vergüenza.",
    "en": "Acme Hogar: three weeks without internet and your support is useless. This is a "
    "disgrace.",
}
OUTAGE_AGAIN = {
    "es": "Acme Hogar: otra mañana sin internet y el soporte no me lo arregla. Es una vergüenza.",
    "en": "Acme Hogar: another morning without internet and your support is useless. This "
    "is a disgrace.",
}
STATUS_IDS = 113700000000000000


@pytest.fixture
def new_page(browser):
    """Another person's browser (their own cookies), in Spanish like `page`."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="es-ES")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def masto(org, users):
    """Acme's Mastodon account on a fake instance, polled as `panal listen` does."""
    harness = PollingHarness(org)
    harness.start()
    yield harness
    harness.stop()


def toot(number: int, text: str, lang: str, author: str) -> dict:
    """A public status naming @acme_soporte, written just now by the author of the status
    in the fixture `author`."""
    status = copy.deepcopy(load("notification__es.json")["status"])
    status["account"] = copy.deepcopy(load(author)["status"]["account"])
    status_id = str(STATUS_IDS + number)
    named = (
        '<span class="h-card" translate="no"><a href="https://mastodon.example/@acme_soporte" '
        'class="u-url mention">@<span>acme_soporte</span></a></span>'
    )
    status.update(
        id=status_id,
        created_at=iso(datetime.now(UTC)),
        language=lang,
        content=f"<p>{named} {html.escape(text)}</p>",
        card=None,
        tags=[],
        url=f"{status['account']['url']}/{status_id}",
        uri=f"{status['account']['uri']}/statuses/{status_id}",
    )
    return status


def hear(masto, number: int, text: str, lang: str, author: str = "notification__es.json"):
    """A customer names us on Mastodon; Panal polls the instance, and the pipeline
    understands and routes the status. Returns the stored mention."""
    masto.fake.mention(toot(number, text, lang, author))
    masto.account.refresh_from_db()
    assert poll_once(masto.account) == 1
    return stored(masto.account, str(STATUS_IDS + number))


def shelve(org, users, lang: str) -> None:
    """The knowledge base the organisation already had, published."""
    for title, body in SHELF[lang]:
        knowledge.create_article(
            users["community_manager"], org.pk, title=title, body=body, lang=lang, publish=True
        )


def row(external_id: str, text: str, lang: str, author: str) -> dict:
    return {
        "external_id": external_id,
        "text": text,
        "lang": lang,
        "author": {"id": author, "handle": author, "display_name": author.title()},
    }


def follow_notification(page, lang: str, text: str, case_id: int) -> None:
    """From the top bar's unread count to the notification, and on to its case."""
    link = page.locator(".notif-link")
    expect(link.locator(".count")).to_have_text(re.compile(r"^[1-9]\d*$"))
    link.click()
    expect(page.get_by_role("heading", name=say(lang, "Notifications"))).to_be_visible()
    page.locator(".notification--unread").get_by_role("link", name=text).click()
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}/$"))


# --- 1. service ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_question_on_a_public_channel_is_answered_from_the_knowledge_base(
    lang, live_server, org, users, masto, page
):
    seasoned(org)
    speaking(lang, users["agent"])
    words = ROUTER[lang]
    shelve(org, users, lang)
    article = knowledge.create_article(
        users["community_manager"], org.pk, title=words["title"], body=words["body"],
        lang=lang, publish=True,
    )  # fmt: skip
    mention = hear(masto, 1, words["question"], lang)
    assert "technical_support" in intents(mention)
    case = case_of(mention)
    assert case.assignee == users["agent"]

    # The agent finds the case among theirs and opens it.
    login(page, live_server, "agent", lang)
    page.get_by_role("link", name=say(lang, "Cases"), exact=True).click()
    page.locator(".case-row").filter(has_text=words["question"][:40]).locator(".case-link").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    expect(page.get_by_role("heading", name=say(lang, "Conversation"))).to_be_visible()
    expect(page.locator(".thread-in .thread-text")).to_have_text(
        f"@acme_soporte {words['question']}"
    )

    # The knowledge base's answer is suggested; the agent greets and inserts it.
    composer = page.locator("#composer")
    expect(composer.get_by_role("heading", name=say(lang, "Reply"))).to_be_visible()
    expect(composer.locator(".composer-to")).to_contain_text(say(lang, "This reply is public."))
    expect(composer.locator(".composer-suggestions summary")).to_have_text(
        say(lang, "From the knowledge base")
    )
    suggestion = composer.locator(f'.composer-suggestion-list li[data-article="{article.pk}"]')
    expect(suggestion.get_by_role("link", name=words["title"])).to_be_visible()
    box = composer.get_by_role("textbox", name=say(lang, "Your reply"))
    box.fill(words["greeting"])
    suggestion.get_by_role("button", name=say(lang, "Insert answer")).click()
    text = words["greeting"] + words["body"]
    expect(box).to_have_value(text)
    page.screenshot(path=f"{SCREENSHOTS}/story-service-{lang}.png", full_page=True)
    composer.get_by_role("button", name=say(lang, "Send"), exact=True).click()

    # The reply is on the case's thread ...
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    sent = page.locator(".case-thread .thread-out")
    expect(sent).to_have_count(1)
    expect(sent.locator(".thread-text")).to_have_text(text)

    # ... and delivered on the same channel, as an answer to the customer's status.
    outbound = OutboundMessage.objects.get(mention=mention)
    assert replies.deliver(outbound.pk) == "sent"
    [posted] = masto.fake.posted
    assert posted["payload"]["in_reply_to_id"] == mention.external_id
    assert posted["payload"]["status"] == f"@lucia_v {text}"
    outbound.refresh_from_db()
    assert outbound.url == posted["status"]["url"]
    page.reload()
    expect(sent.locator(".tag-sent")).to_have_text(say(lang, "Sent"))
    network = sent.get_by_role("link", name=re.compile(re.escape(say(lang, "On the network"))))
    expect(network).to_have_attribute("href", outbound.url)


# --- 2. sales ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_purchase_intent_becomes_a_lead_the_salesperson_contacts(
    lang, live_server, org, users, account, page
):
    ventas = salesperson(org, lang)
    [mention] = ingest(account, row("buy-1", PURCHASE[lang], lang, "carmen"))
    assert "purchase_intent" in intents(mention)
    lead = Lead.objects.get(case=case_of(mention))
    assert (lead.owner, lead.team.department, lead.stage) == (ventas, "sales", "new")

    # The salesperson is told, and finds the lead first among theirs.
    login(page, live_server, "ventas", lang)
    page.locator(".notif-link").click()
    expect(page.locator(".notification--unread").filter(has_text=PURCHASE[lang])).to_have_count(1)
    page.get_by_role("link", name=say(lang, "Leads"), exact=True).click()
    expect(page.get_by_role("heading", name=say(lang, "Leads"), level=1)).to_be_visible()
    mine = page.locator(f'tr.mine[data-lead="{lead.pk}"]')
    expect(mine.locator(".tag-stage-new")).to_have_text(say(lang, "New"))
    mine.get_by_role("link", name=PURCHASE[lang]).click()

    # The conversation is attached; they contacted the customer.
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.get_by_role("heading", name=say(lang, "Conversation"))).to_be_visible()
    expect(page.locator(".lead-message .mention-text")).to_have_text(PURCHASE[lang])
    expect(page.locator(".lead-message .author")).to_have_text("Carmen")
    page.get_by_label(say(lang, "Stage"), exact=True).select_option(label=say(lang, "Contacted"))
    page.get_by_role("button", name=say(lang, "Set stage")).click()

    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.locator("#lead-stage")).to_have_value("contacted")
    expect(page.locator(".facts-list")).to_contain_text(say(lang, "Contacted"))
    page.screenshot(path=f"{SCREENSHOTS}/story-lead-{lang}.png", full_page=True)
    lead.refresh_from_db()
    assert lead.stage == "contacted"
    page.locator(".crumbs a").click()
    expect(page.locator(f'tr[data-lead="{lead.pk}"] .tag-stage-contacted')).to_have_text(
        say(lang, "Contacted")
    )


# --- 3. collaboration ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_colleagues_discuss_a_recurring_problem_and_its_solution_is_suggested_next_time(
    lang, live_server, org, users, masto, page, new_page
):
    seasoned(org)
    # The curator works with customer service, the case's team: they see its cases.
    move_to_team(org, users["curator"], "customer_service")
    speaking(lang, users["agent"], users["area_manager"], users["curator"])
    words = RECURRING[lang]
    shelve(org, users, lang)
    first = hear(masto, 1, words["first"], lang)
    assert "technical_support" in intents(first)
    case = case_of(first)

    # The agent asks the area manager in an internal note.
    login(page, live_server, "agent", lang, f"/cases/{case.pk}/")
    expect(page.get_by_role("heading", name=say(lang, "Internal notes"))).to_be_visible()
    page.get_by_role("textbox", name=say(lang, "Note"), exact=True).fill(words["ask"])
    page.get_by_role("button", name=say(lang, "Add note")).click()
    notes = page.locator(".notes .note")
    expect(notes).to_have_count(1)
    expect(notes.first.locator(".at")).to_have_text("@area_manager")

    # The area manager follows the notification to the case and answers with the fix.
    manager = new_page()
    login(manager, live_server, "area_manager", lang)
    mentioned = "%(who)s mentioned you on case #%(id)s"
    follow_notification(manager, lang, say(lang, mentioned, who="agent", id=case.pk), case.pk)
    expect(manager.locator(".notes .note-body")).to_have_text([words["ask"]])
    manager.get_by_role("textbox", name=say(lang, "Note"), exact=True).fill(words["answer"])
    manager.get_by_role("button", name=say(lang, "Add note")).click()
    expect(manager.locator(".notes .note")).to_have_count(2)
    page.reload()
    expect(notes.nth(1).locator(".note-body")).to_have_text(words["answer"])

    # The curator, mentioned in turn, writes the solution up from the case and publishes it.
    curator = new_page()
    login(curator, live_server, "curator", lang)
    follow_notification(
        curator, lang, say(lang, mentioned, who="area_manager", id=case.pk), case.pk
    )
    curator.get_by_role("link", name=say(lang, "Write an article from this case")).click()
    expect(curator).to_have_url(re.compile(rf"/kb/new/\?case={case.pk}$"))
    title = curator.get_by_role("textbox", name=say(lang, "Title"), exact=True)
    body = curator.get_by_role("textbox", name=say(lang, "Text"), exact=True)
    expect(title).to_have_value(case.subject)
    expect(body).to_have_value(f"{words['ask']}\n\n{words['answer']}")
    expect(curator.get_by_role("textbox", name=say(lang, "Language"), exact=True)).to_have_value(
        lang
    )
    title.fill(words["title"])
    body.fill(words["body"])
    curator.screenshot(path=f"{SCREENSHOTS}/story-article-{lang}.png", full_page=True)
    curator.get_by_role("button", name=say(lang, "Save and publish")).click()
    article = Article.objects.get(source_case=case)
    expect(curator).to_have_url(re.compile(rf"/kb/{article.pk}/$"))
    expect(curator.get_by_role("heading", name=words["title"])).to_be_visible()
    assert article.status == Article.Status.PUBLISHED

    # Another customer, the same problem: their case suggests the article.
    again = hear(masto, 2, words["again"], lang, author="notification__en.json")
    assert "technical_support" in intents(again)
    other = case_of(again)
    assert other.pk != case.pk
    page.goto(f"{live_server.url}/cases/{other.pk}/")
    suggestion = page.locator(f'.composer-suggestion-list li[data-article="{article.pk}"]')
    expect(suggestion.get_by_role("link", name=words["title"])).to_be_visible()
    expect(suggestion.locator(".muted")).to_have_text(words["body"])


# --- 4. authority --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_goodwill_above_the_limit_waits_for_the_area_manager(
    lang, live_server, org, users, account, page, new_page
):
    speaking(lang, users["agent"], users["area_manager"])
    [mention] = ingest(account, row("gw-1", OUTAGE[lang], lang, "rosa"))
    assert "complaint" in intents(mention)
    case = case_of(mention)

    # The agent grants a 200 refund; their limit is 150 a case.
    login(page, live_server, "agent", lang, f"/cases/{case.pk}/")
    goodwill = page.locator("#goodwill")
    expect(goodwill.get_by_role("heading", name=say(lang, "Goodwill"))).to_be_visible()
    expect(goodwill.locator(".goodwill-authority")).to_contain_text(money(lang, 150))
    goodwill.get_by_label(say(lang, "Kind")).select_option(label=say(lang, "Refund"))
    goodwill.locator("#goodwill-amount").fill("200")
    goodwill.get_by_label(say(lang, "Reason")).fill("3 semanas" if lang == "es" else "3 weeks")
    goodwill.get_by_role("button", name=say(lang, "Grant")).click()

    # It waits for approval.
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    waiting = goodwill.locator('tr[data-status="pending"]')
    expect(waiting).to_contain_text(say(lang, "Waiting for approval"))
    expect(waiting.locator(".num")).to_have_text(money(lang, 200))
    approval = Approval.objects.get(case=case)
    assert (approval.kind, approval.required_role) == ("goodwill", "area_manager")

    # The area manager approves it from Approvals.
    manager = new_page()
    login(manager, live_server, "area_manager", lang)
    manager.get_by_role("link", name=say(lang, "Approvals"), exact=True).click()
    expect(
        manager.get_by_role("heading", name=say(lang, "Waiting for your decision"))
    ).to_be_visible()
    item = manager.locator(f".approvals-to-decide #approval-{approval.pk}")
    expect(item.get_by_role("link", name=f"#{case.pk}")).to_be_visible()
    expect(item).to_contain_text(money(lang, 200))
    manager.screenshot(path=f"{SCREENSHOTS}/story-approval-{lang}.png", full_page=True)
    item.get_by_role("button", name=say(lang, "Approve")).click()
    expect(manager.locator(".flash")).to_contain_text(
        say(lang, "Approved: case #%(id)s.", id=case.pk)
    )
    expect(manager.locator(f".approvals-recent #approval-{approval.pk}")).to_have_attribute(
        "data-status", "approved"
    )

    # The agent sees it granted on the case.
    page.reload()
    granted = goodwill.locator('tr[data-status="granted"]')
    expect(granted).to_contain_text(say(lang, "Granted"))
    expect(granted).to_contain_text(say(lang, "decided by %(who)s", who="area_manager"))
    expect(goodwill.locator('tr[data-status="pending"]')).to_have_count(0)
    assert Goodwill.objects.get(case=case).status == "granted"
    assert Notification.objects.filter(user=users["agent"], kind="approval", case=case).exists()


@pytest.mark.parametrize("lang", LANGS)
def test_goodwill_within_the_limit_is_granted_at_once(lang, live_server, org, users, account, page):
    speaking(lang, users["agent"])
    [mention] = ingest(account, row("gw-2", OUTAGE_AGAIN[lang], lang, "tomas"))
    assert "complaint" in intents(mention)
    case = case_of(mention)

    login(page, live_server, "agent", lang, f"/cases/{case.pk}/")
    goodwill = page.locator("#goodwill")
    goodwill.get_by_label(say(lang, "Kind")).select_option(label=say(lang, "Credit"))
    goodwill.locator("#goodwill-amount").fill("50")
    goodwill.get_by_role("button", name=say(lang, "Grant")).click()

    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    granted = goodwill.locator('tr[data-status="granted"]')
    expect(granted).to_contain_text(say(lang, "Granted"))
    expect(granted).to_contain_text(say(lang, "Credit"))
    expect(granted.locator(".num")).to_have_text(money(lang, 50))
    expect(page.locator(".flash")).to_contain_text(money(lang, 50))
    assert not Approval.objects.filter(case=case).exists()
