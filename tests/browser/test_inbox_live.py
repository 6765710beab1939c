"""In a real browser: log in, watch a mention arrive without reloading, open it, switch language."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from panal.listening import services
from panal.listening.normalise import parse_item
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Looked at by a person after a change to the pages (both languages).
SCREENSHOTS = Path(tempfile.gettempdir()) / "panal-screenshots"


def ingest(account, *rows):
    # Outside a test transaction, so the pipeline runs at commit like in production.
    services.ingest(account, [parse_item(r) for r in rows])


def test_a_new_mention_appears_live_and_opens(live_server, settings, users, account, page):
    settings.PANAL_INBOX_POLL_SECONDS = 1
    ingest(
        account,
        {
            "external_id": "old",
            "text": "Mi Acme Hogar llegó con una semana de retraso",
            "lang": "es",
            "created_at": "2026-11-01T08:15:00Z",
            "author": {"id": "u1", "handle": "lu", "display_name": "Lucía"},
        },
    )

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.screenshot(path=f"{SCREENSHOTS}/login-es.png")
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()

    expect(page.get_by_role("heading", name="Bandeja de entrada")).to_be_visible()
    rows = page.locator("#inbox-rows > .row")
    expect(rows).to_have_count(1)
    # The page's own stylesheet is served and applied.
    expect(page.locator(".topbar")).to_have_css("background-color", "rgb(29, 35, 48)")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    ingest(
        account,
        {
            "external_id": "live",
            "text": "¡Mi Acme Móvil no tiene cobertura en Sevilla! 🐝",
            "lang": "es",
            "url": "https://social.example/@marta/42",
            "author": {
                "id": "u2",
                "handle": "marta",
                "display_name": "Marta Gil",
                "followers": 4210,
            },
        },
    )

    fresh = rows.filter(has_text="no tiene cobertura en Sevilla")
    expect(fresh).to_be_visible()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Marta Gil")  # put on top
    expect(rows.first.locator(".tag-brand")).to_have_text("Acme Móvil")
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(path=f"{SCREENSHOTS}/inbox-es.png", full_page=True)

    fresh.click()
    expect(page).to_have_url(re.compile(r"/mentions/\d+/$"))
    expect(page.locator(".mention-text")).to_have_text(
        "¡Mi Acme Móvil no tiene cobertura en Sevilla! 🐝"
    )
    expect(page.locator(".mention-head .author")).to_have_text("Marta Gil")
    expect(page.locator(".author-name")).to_have_text("Marta Gil")
    original = page.get_by_role("link", name=re.compile("Abrir el original"))
    expect(original).to_have_attribute("rel", "noopener noreferrer nofollow")
    page.screenshot(path=f"{SCREENSHOTS}/detail-es.png", full_page=True)

    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Conversation")).to_be_visible()
    expect(page.locator(".mention-text")).to_contain_text("no tiene cobertura")  # same page
    page.screenshot(path=f"{SCREENSHOTS}/detail-en.png", full_page=True)

    page.get_by_role("link", name="Inbox", exact=True).first.click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(rows).to_have_count(2)
    page.screenshot(path=f"{SCREENSHOTS}/inbox-en.png", full_page=True)


def test_filters_apply_to_the_live_list(live_server, settings, users, account, page):
    settings.PANAL_INBOX_POLL_SECONDS = 1
    ingest(account, {"external_id": "a", "text": "Acme Hogar: la caldera otra vez", "lang": "es"})
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.select_option("#f-brand", label="Acme Móvil")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"brand=\d+"))
    rows = page.locator("#inbox-rows > .row")
    expect(rows).to_have_count(0)
    expect(page.locator(".empty")).to_be_visible()

    ingest(
        account,
        {"external_id": "b", "text": "Acme Hogar: sin agua caliente", "lang": "es"},
        {"external_id": "c", "text": "Acme Móvil: fibra caída en Bilbao", "lang": "es"},
    )
    expect(rows.filter(has_text="fibra caída en Bilbao")).to_be_visible()
    expect(page.locator(".empty")).to_be_hidden()
    # The non-matching mention never shows up: another poll later still gives one row.
    ingest(account, {"external_id": "d", "text": "Acme Móvil: vuelve la fibra", "lang": "es"})
    expect(rows.filter(has_text="vuelve la fibra")).to_be_visible()
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="sin agua caliente")).to_have_count(0)
