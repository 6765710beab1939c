"""Chromium through Playwright's sync API, for tests marked `browser`.

Debian's Chromium at /usr/bin/chromium is used as installed; a missing browser is
an error, never a skip (`make test` installs it).
"""

import os

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
# the test itself (ingesting mentions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PANAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
