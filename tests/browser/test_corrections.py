"""In a real browser: an agent corrects a mention's sentiment; it sticks."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from panal.listening import services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.understanding.models import Correction, Understanding
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir()) / "panal-screenshots"
TEXT = "Tercer día sin internet y nadie me responde. Pésimo servicio."


def test_an_agent_corrects_the_sentiment_and_it_sticks(live_server, users, account, page):
    # Outside a test transaction, so the pipeline runs at commit like in production.
    services.ingest(account, [parse_item({"external_id": "m1", "text": TEXT, "lang": "es"})])
    mention = Mention.objects.get(external_id="m1")
    assert Understanding.objects.get(mention=mention).sentiment == "negative"

    page.goto(f"{live_server.url}/login/?next=/mentions/{mention.id}/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page).to_have_url(re.compile(rf"/mentions/{mention.id}/$"))
    card = page.locator(".understanding")
    expect(card.locator(".tag-sentiment")).to_have_text("Negativo")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    page.get_by_text("Corregir lo que dijeron los modelos").click()
    page.select_option("#fix-sentiment-after", "positive")
    page.screenshot(path=f"{SCREENSHOTS}/correction-form-es.png", full_page=True)
    page.get_by_role("button", name="Guardar sentimiento").click()

    # HTMX swaps the side panel in place: the new value, who said it, and the history.
    expect(card.locator(".tag-sentiment")).to_have_text("Positivo")
    expect(card).to_contain_text("agent:agent")
    history = card.locator(".corrections-history li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Negativo")
    expect(history.first.locator(".correction-after")).to_have_text("Positivo")
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(path=f"{SCREENSHOTS}/correction-es.png", full_page=True)

    page.reload()
    expect(page.locator(".understanding .tag-sentiment")).to_have_text("Positivo")
    expect(page.locator(".corrections-history li")).to_have_count(1)
    correction = Correction.objects.get()
    assert (correction.field, correction.before, correction.after) == (
        "sentiment",
        "negative",
        "positive",
    )
    assert correction.corrected_by == users["agent"]


def test_an_analyst_finds_the_model_page(live_server, users, page):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.get_by_role("link", name="Modelos").click()
    expect(page.get_by_role("heading", name="Modelos", exact=True)).to_be_visible()
    expect(page.locator('[data-task="sentiment"]')).to_contain_text("El modelo incluido")
    # No corrections yet: nothing to retrain on.
    expect(
        page.locator('[data-task="sentiment"]').get_by_role("button", name="Reentrenar")
    ).to_be_disabled()
    page.screenshot(path=f"{SCREENSHOTS}/models-es.png", full_page=True)
