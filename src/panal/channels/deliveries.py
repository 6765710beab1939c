"""Pushed deliveries: store the verified raw body at once, parse it in the background.

Meta, Telegram and X retry a delivery that is not answered quickly, so the hook view
only verifies the signature, checks the body's shape, stores the bytes and answers
200 (`store`). `drain` (the `channels.tasks.drain_deliveries` task and a thread of
`panal listen`) parses stored deliveries in batches through their connector and
`intake.accept`. A delivery id seen before stores nothing; a signed body that cannot
be read is kept as "malformed" for inspection; one unreadable entry inside a readable
delivery is recorded on it and skipped, and the rest is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from panal.core import clock

from . import intake
from .base import BadPayload, Parsed, connector_for
from .models import ChannelAccount, InboundDelivery

log = logging.getLogger(__name__)

Status = InboundDelivery.Status
DRAIN_BATCH = 500
_last_enqueue = 0.0
_enqueue_lock = threading.Lock()


def store(account: ChannelAccount, delivery_id: str, body: bytes) -> bool:
    """Keep a verified delivery for the drain; False when its id was stored before."""
    return store_many([(account.pk, delivery_id, body)]) == 1


def store_many(rows: list[tuple[int, str, bytes]]) -> int:
    """Keep `(account id, delivery id, body)` deliveries; how many were new (-1: unknown).

    One statement for all of them: concurrent deliveries share one commit.
    """
    now = clock.now()
    table = InboundDelivery._meta.db_table
    params = [
        (account_id, delivery_id[:255], now, "[]", "{}", Status.STORED, body, "")
        for account_id, delivery_id, body in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (account_id, delivery_id, received_at, mention_ids, response,"  # noqa: S608
            " status, body, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (account_id, delivery_id) DO NOTHING",
            params,
        )
        return cursor.rowcount


def keep_malformed(account: ChannelAccount, delivery_id: str, body: bytes, error: str) -> None:
    """A signed delivery we cannot read: kept for an administrator, never parsed."""
    try:
        with transaction.atomic():
            InboundDelivery.objects.create(
                account=account,
                delivery_id=delivery_id[:255],
                received_at=clock.now(),
                status=Status.MALFORMED,
                body=body,
                error=error[:2000],
            )
    except IntegrityError:
        pass  # the same bad delivery again: one copy is enough


def schedule_drain() -> None:
    """Ask the worker to drain soon; at most one request per second per process."""
    global _last_enqueue
    inline = settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")
    with _enqueue_lock:
        now = time.monotonic()
        if not inline and now - _last_enqueue < 1.0:
            return
        _last_enqueue = now
    from .tasks import drain_deliveries

    drain_deliveries.enqueue()


def drain(limit: int = DRAIN_BATCH) -> int:
    """Parse and store up to `limit` stored deliveries; returns how many were handled."""
    with transaction.atomic():
        rows = list(
            InboundDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.STORED)
            .select_related("account")
            .order_by("id")[:limit]
        )
        if not rows:
            return 0
        by_account: dict[int, list[InboundDelivery]] = defaultdict(list)
        for row in rows:
            by_account[row.account_id].append(row)
        now = clock.now()
        parts: dict[int, Parsed] = {}
        for deliveries in by_account.values():
            account = deliveries[0].account
            connector = connector_for(account.kind)
            merged = parts.setdefault(account.pk, Parsed())
            for row in deliveries:
                row.processed_at = now
                if connector is None:
                    row.status, row.error = Status.FAILED, f"no connector for {account.kind!r}"
                    continue
                try:
                    parsed = connector.parse_push(account, bytes(row.body or b""))
                except BadPayload as exc:
                    row.status, row.error = Status.MALFORMED, str(exc)[:2000]
                    continue
                except Exception as exc:  # a connector bug must not block the queue
                    log.exception("Could not parse delivery %s", row.pk)
                    row.status, row.error = Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
                    continue
                row.status = Status.DONE
                row.error = "\n".join(parsed.errors)[:2000]
                _merge(merged, parsed)
                for other_id, part in parsed.elsewhere.items():
                    _merge(parts.setdefault(other_id, Parsed()), part)
        accounts = {a.pk: a for a in ChannelAccount.objects.filter(pk__in=list(parts))}
        for account_id, part in parts.items():
            if (part.items or part.statuses) and account_id in accounts:
                intake.accept(accounts[account_id], part)
        InboundDelivery.objects.bulk_update(rows, ["status", "error", "processed_at"])
    return len(rows)


def _merge(into: Parsed, part: Parsed) -> None:
    into.items.extend(part.items)
    into.statuses.extend(part.statuses)


def drain_all(limit: int = DRAIN_BATCH) -> int:
    """Drain until nothing is stored; returns how many deliveries were handled."""
    total = 0
    while handled := drain(limit):
        total += handled
    return total
