"""The ASGI fast path for the networks' webhooks (`channels.fastpath`), as `panal run` serves it.

These tests go through the real ASGI application (Django behind the fast path) with
httpx's ASGI transport; the writer thread commits with its own connection, so the
database is really committed (transactional tests).
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from panal.asgi import application
from panal.channels import deliveries
from panal.channels.models import InboundDelivery
from panal.demo import builders
from panal.listening.models import Mention

SECRET = "fast-path-secret_1"


def run_async(coroutine):
    """Run `coroutine` on its own loop in a thread: the browser tests leave a loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bot(org):
    application.accounts.clear()  # each test makes its own account under the same slug
    yield builders.channel_account(
        org, kind="telegram", slug="fast-bot", name="Fast bot", secrets=[SECRET]
    )
    run_async(application.writer.submit("close"))  # the test database can then be dropped


def update(number: int, text: str = "Hola, ¿me ayudáis? 🙏") -> bytes:
    message = {
        "message_id": number,
        "from": {"id": 42, "is_bot": False, "first_name": "Ana", "username": "ana"},
        "chat": {"id": 42, "type": "private"},
        "date": 1795000000 + number,
        "text": text,
    }
    return json.dumps({"update_id": number, "message": message}, ensure_ascii=False).encode()


async def post_all(
    bodies: list[bytes], secret: str = SECRET, path: str = "/hooks/telegram/fast-bot/"
):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await asyncio.gather(
            *(
                client.post(path, content=body, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
                for body in bodies
            )
        )


async def get(path: str):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get(path)


def test_concurrent_deliveries_are_all_committed_before_their_answer(bot):
    bodies = [update(n) for n in range(1, 61)]
    answers = run_async(post_all(bodies + bodies[:10]))  # with retries of ten
    assert {a.status_code for a in answers} == {200}
    assert answers[0].json() == {"ok": True}
    assert InboundDelivery.objects.filter(account=bot).count() == 60
    deliveries.drain_all()  # the tests' inline task backend may have drained already
    assert Mention.objects.filter(account=bot).count() == 60


def test_forged_malformed_and_unknown(bot):
    (forged,) = run_async(post_all([update(1)], secret="wrong"))
    assert forged.status_code == 401 and "does not match" in forged.json()["error"]
    assert not InboundDelivery.objects.exists()
    (broken,) = run_async(post_all([b'{"update_id": 3, "message": ']))
    assert broken.status_code == 400
    kept = InboundDelivery.objects.get()
    assert kept.status == "malformed" and bytes(kept.body).startswith(b'{"update_id"')
    (nowhere,) = run_async(post_all([update(1)], path="/hooks/telegram/no-such-bot/"))
    assert nowhere.status_code == 404
    assert run_async(get("/hooks/telegram/fast-bot/")).status_code == 405


def test_everything_else_goes_to_django(bot, account):
    page = run_async(get("/api/v1/openapi.json"))
    assert page.status_code == 200 and page.json()["info"]["title"] == "Panal API"
    # Our own signed webhook answers with the stored ids, so Django serves it.
    (refused,) = run_async(post_all([b"{}"], path="/hooks/api/acme-hooks/"))
    assert refused.status_code == 400 and "webhook-id" in refused.json()["error"].lower()
