"""The networks' webhooks served in front of Django, with group commit.

Meta, X and Telegram retry deliveries that are not answered fast, and they send
many at once. Under `panal run` (ASGI), `HookApp` answers `/hooks/<kind>/<account>/`
for the networks whose deliveries are stored raw and parsed later: the decision is
the same as the Django view's (`hooks.decide`: handshake, signature on the raw bytes,
shape, all in the event loop), and the store is handed to one writer thread that
commits every waiting delivery in one transaction and only then lets their 200s go.
Nothing is answered 200 before it is committed; a thousand concurrent deliveries
cost a few commits instead of a thousand. Everything else — our own signed webhook,
pages, the API — goes to Django unchanged.

Accounts are read through the writer's connection and cached for `ACCOUNT_TTL`
seconds, so a rotated secret or a deactivated account is honoured within that time.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from django.conf import settings
from django.utils.datastructures import CaseInsensitiveMapping

from panal.core import clock

from .base import PushRequest, push_connector
from .hooks import decide

log = logging.getLogger(__name__)

PATH = re.compile(r"^/hooks/(?P<kind>[-a-zA-Z0-9_]+)/(?P<slug>[-a-zA-Z0-9_]+)/$")
ACCOUNT_TTL = 5.0
BATCH = 1000  # deliveries per transaction at most
IDLE_CLOSE = 30.0  # seconds without work before the writer closes its connection


@dataclass
class _Job:
    kind: str  # "store" | "account" | "malformed"
    args: tuple
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    result: object = None
    error: BaseException | None = field(default=None)


class Writer:
    """One thread, one database connection: group commits of stored deliveries."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name="hook-writer", daemon=True)
                self.thread.start()

    async def submit(self, kind: str, *args):
        self.start()
        loop = asyncio.get_running_loop()
        job = _Job(kind, args, loop, loop.create_future())
        self.jobs.put(job)
        return await job.future

    def run(self) -> None:
        from django.db import close_old_connections, connection

        while True:
            try:
                first = self.jobs.get(timeout=IDLE_CLOSE)
            except queue.Empty:
                connection.close()  # idle: give the connection back
                first = self.jobs.get()
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            close_old_connections()
            try:
                self.handle(batch)
            except BaseException as exc:  # answer every waiting request, whatever happened
                log.exception("The hook writer failed")
                for job in batch:
                    if job.error is None and job.result is None:
                        job.error = exc
            for job in batch:
                job.loop.call_soon_threadsafe(_settle, job)

    def handle(self, batch: list[_Job]) -> None:
        from django.db import transaction

        from . import deliveries
        from .models import ChannelAccount

        for job in batch:
            if job.kind == "close":
                from django.db import connection

                connection.close()
                job.result = True
            elif job.kind == "account":
                kind, slug = job.args
                job.result = (
                    ChannelAccount.objects.filter(kind=kind, slug=slug, is_active=True).first()
                    or False
                )
            elif job.kind == "malformed":
                deliveries.keep_malformed(*job.args)
                job.result = True
        stores = [job for job in batch if job.kind == "store"]
        if not stores:
            return
        with transaction.atomic():
            new = deliveries.store_many([job.args for job in stores])
        for job in stores:
            job.result = True
        if new:
            try:
                deliveries.schedule_drain()
            except Exception:  # the drain also runs in `panal listen`
                log.exception("Could not queue the drain of stored deliveries")


def _settle(job: _Job) -> None:
    if job.future.done():
        return
    if job.error is not None:
        job.future.set_exception(job.error)
    else:
        job.future.set_result(job.result)


class HookApp:
    """ASGI: network webhooks here, everything else to `django_app`."""

    def __init__(self, django_app):
        self.django_app = django_app
        self.writer = Writer()
        self.accounts: dict[tuple[str, str], tuple[float, object]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/hooks/"):
            match = PATH.match(scope["path"])
            connector = push_connector(match["kind"]) if match else None
            if (
                connector is not None
                and not connector.synchronous_push
                and scope["method"] in ("GET", "POST")
            ):
                return await self.hook(
                    scope, receive, send, connector, match["kind"], match["slug"]
                )
        return await self.django_app(scope, receive, send)

    async def account(self, kind: str, slug: str):
        key = (kind, slug)
        cached = self.accounts.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < ACCOUNT_TTL:
            return cached[1]
        account = await self.writer.submit("account", kind, slug)
        self.accounts[key] = (now, account)
        return account

    async def hook(self, scope, receive, send, connector, kind: str, slug: str) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                await _answer(send, 413, b'{"error": "body is too large"}')
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        account = await self.account(kind, slug)
        if not account:
            await _answer(send, 404, b'{"error": "no such webhook"}')
            return
        headers = CaseInsensitiveMapping(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        )
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        push = PushRequest(scope["method"], headers, query, b"".join(chunks), clock.now())
        decision = decide(connector, account, push, slug)
        try:
            if decision.malformed:
                await self.writer.submit("malformed", account, *decision.malformed)
            if decision.store:
                await self.writer.submit("store", account.pk, *decision.store)
        except Exception:
            log.exception("Could not store a delivery for %s", slug)
            await _answer(send, 503, b'{"error": "could not store the delivery; send it again"}')
            return
        await _answer(send, decision.status, decision.body, decision.content_type)


async def _answer(send, status: int, body: bytes, content_type: str = "application/json") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode("latin-1")),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
