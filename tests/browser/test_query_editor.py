"""In a real browser: an analyst writes a listening query; the editor checks it as it is
typed, previews what it catches, and saving makes the first version."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from panal.listening import services, topics
from panal.listening.models import ListeningQuery
from panal.listening.normalise import parse_item
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir()) / "panal-screenshots"
BROKEN = 'acme AND (lento OR "caída'
FIXED = "acme AND (lentísimo OR caída)"


def test_the_editor_checks_previews_and_saves(live_server, org, users, account, page):
    services.ingest(
        account,
        [
            parse_item({"external_id": "m1", "text": "Acme anda lentísimo hoy", "lang": "es"}),
            parse_item({"external_id": "m2", "text": "Acme: qué buen servicio", "lang": "es"}),
        ],
    )
    topic = topics.create_topic(org, name="Acme", kind="brand")
    column = topics.check(BROKEN).error.column

    page.goto(f"{live_server.url}/login/?next=/topics/{topic.id}/queries/new/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page).to_have_url(re.compile(rf"/topics/{topic.id}/queries/new/$"))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    editor = page.locator("#id_text")
    editor.press_sequentially(BROKEN)
    error = page.locator("#query-check .query-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(f"columna {column}")
    expect(page.locator("#query-check .query-pointer")).to_contain_text("^")
    page.screenshot(path=f"{SCREENSHOTS}/query-editor-error-es.png", full_page=True)

    editor.fill(FIXED)
    rows = page.locator("#query-check .preview-rows li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("lentísimo")
    expect(page.locator("#query-check svg.sparkline polyline")).to_have_count(1)
    expect(page.locator("#query-check .query-error")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    assert not ListeningQuery.objects.exists()  # checking saves nothing
    page.screenshot(path=f"{SCREENSHOTS}/query-editor-preview-es.png", full_page=True)

    page.fill("#id_name", "Lentitud")
    page.locator(".query-form button[type=submit]").click()
    query = ListeningQuery.objects.get()
    expect(page).to_have_url(re.compile(rf"/queries/{query.id}/\?done=saved$"))
    versions = page.locator(".query-versions li")
    expect(versions).to_have_count(1)
    expect(versions.first.locator(".version-author")).to_have_text("analyst")
    expect(versions.first.locator("ins")).to_have_text(FIXED)
    assert (query.text, query.name, query.updated_by) == (FIXED, "Lentitud", users["analyst"])
    page.screenshot(path=f"{SCREENSHOTS}/query-saved-es.png", full_page=True)
