"""Where every channel's items enter: echo guard, idempotent ingest, statuses, cursor.

`accept` is the one call for pushed deliveries and pulled pages alike. In one
transaction it drops our own posts and replies (their authors are the account's
`self_ids`, or their ids are those of our sent `OutboundMessage`s), stores the rest
through `listening.services.ingest_batch` (idempotent on the external id; edits make
versions, deletes tombstones), applies the statuses of our outgoing messages and saves
the cursor, so a restart resumes exactly after what was stored.
"""

from __future__ import annotations

from django.db import transaction

from panal.core import clock
from panal.listening import services as listening

from . import health
from .base import Parsed, StatusUpdate
from .models import ChannelAccount, Cursor, OutboundMessage

MAIN = "main"


def load_cursor(account: ChannelAccount, key: str = MAIN) -> dict:
    row = Cursor.objects.filter(account=account, key=key).values_list("value", flat=True).first()
    return dict(row) if isinstance(row, dict) else {}


def save_cursor(account: ChannelAccount, value: dict, key: str = MAIN) -> None:
    Cursor.objects.update_or_create(
        account=account, key=key, defaults={"value": value, "updated_at": clock.now()}
    )


def drop_echoes(account: ChannelAccount, items: list) -> list:
    """Items that are not ours: not by the account itself, not one of our replies."""
    own = {str(i) for i in (account.self_ids or []) if i not in (None, "")}
    if account.handle:
        own.add(account.handle.lstrip("@").lower())
    kept = [
        i
        for i in items
        if not (
            (i.author_external_id and i.author_external_id in own)
            or (i.author_handle and i.author_handle.lstrip("@").lower() in own)
        )
    ]
    ids = [i.external_id for i in kept]
    if not ids:
        return kept
    sent: set[str] = set()
    for start in range(0, len(ids), 500):
        sent.update(
            OutboundMessage.objects.filter(
                account=account, external_id__in=ids[start : start + 500]
            ).values_list("external_id", flat=True)
        )
    return [i for i in kept if i.external_id not in sent] if sent else kept


def apply_statuses(account: ChannelAccount, statuses: list[StatusUpdate]) -> int:
    """Record what the network says about our outgoing messages (delivered, read, failed)."""
    changed = 0
    rank = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}
    for status in statuses:
        message = OutboundMessage.objects.filter(
            account=account, external_id=status.external_id
        ).first()
        if message is None:
            continue
        if rank.get(status.state, 0) <= rank.get(message.delivery_state, 0):
            continue
        message.delivery_state = status.state
        fields = ["delivery_state"]
        if status.state == "failed":
            message.status = OutboundMessage.Status.FAILED
            message.error = status.error or "the network reported the message as not delivered"
            fields += ["status", "error"]
        message.save(update_fields=fields)
        changed += 1
    return changed


def in_order(items: list) -> list[list]:
    """Batches in which no external id repeats, keeping each id's events in order.

    A delivery (or a drain of many) can hold an item and its later edit or delete; the
    ingest service keeps only the last copy of an id per batch, so the k-th event of an
    id goes in the k-th batch and the original is stored before its edit is applied.
    """
    rounds: list[list] = []
    seen: dict[str, int] = {}
    for item in items:
        k = seen.get(item.external_id, 0)
        seen[item.external_id] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(item)
    return rounds


def accept(
    account: ChannelAccount,
    parsed: Parsed,
    *,
    cursor: dict | None = None,
    cursor_key: str = MAIN,
) -> listening.IngestResult:
    """Store one delivery's or page's content and its cursor, all or nothing."""
    with transaction.atomic():
        items = drop_echoes(account, parsed.items) if parsed.items else []
        result = listening.IngestResult()
        for rounds in in_order(items):
            result.add(listening.ingest_batch(account, rounds))
        result.unchanged += len(parsed.items) - len(items)
        if parsed.statuses:
            apply_statuses(account, parsed.statuses)
        if cursor is not None:
            save_cursor(account, cursor, cursor_key)
        if parsed.items or parsed.statuses:
            health.record_event(account)
    return result
