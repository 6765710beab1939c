"""In a real browser: an agent answers a Telegram message from its page; the reply is sent
through the (fake) Bot API and shows as sent; a disconnected channel says why it cannot."""

import re

import pytest
from playwright.sync_api import expect

from panal.channels import deliveries
from panal.channels.models import Health, OutboundMessage
from tests.channels.contract import stored
from tests.channels.test_telegram import TelegramHarness
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tg(org, users):
    harness = TelegramHarness(org)
    harness.start()
    yield harness
    harness.stop()


def login(page, live_server, path: str) -> None:
    page.goto(f"{live_server.url}/login/?next={path}")
    page.fill("#id_username", "agent")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))


def test_an_agent_replies_from_the_mention_page(live_server, tg, page):
    sample = tg.samples()[0]
    tg.publish(sample)
    deliveries.drain_all()
    mention = stored(tg.account, sample.external_id)
    login(page, live_server, f"/mentions/{mention.id}/")
    page.fill("#reply-text", "¡Hola Ana! Ya lo estamos mirando. <b>no es HTML</b>")
    page.get_by_role("button", name="Enviar respuesta").click()
    replies = page.locator(".replies .thread-item")
    expect(replies).to_have_count(1)
    # The worker runs the task at commit here: by the time the page shows, it went out.
    expect(replies.first).to_have_attribute("data-status", "sent")
    expect(replies.first.locator(".thread-text")).to_have_text(
        "¡Hola Ana! Ya lo estamos mirando. <b>no es HTML</b>"
    )
    assert tg.fake.sent[0]["payload"]["text"].endswith("<b>no es HTML</b>")
    assert OutboundMessage.objects.get().status == "sent"


def test_a_disconnected_channel_says_why_it_cannot_reply(live_server, tg, page):
    sample = tg.samples()[0]
    tg.publish(sample)
    deliveries.drain_all()
    mention = stored(tg.account, sample.external_id)
    tg.account.health, tg.account.health_reason = Health.DISCONNECTED, "token revocado"
    tg.account.save()
    login(page, live_server, f"/mentions/{mention.id}/")
    expect(page.locator(".reply-refusal")).to_contain_text("token revocado")
    expect(page.locator("#reply-text")).to_have_count(0)
    page.goto(f"{live_server.url}/")
    expect(page.locator(".banner-warning")).to_contain_text("Acme bot")
