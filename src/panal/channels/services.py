"""State changes of channel accounts: webhook deliveries, secret rotation, file imports.

See docs/channels.md. The view, the admin and the `ingest` command call these; every
mention is stored through `listening.services`, the one ingest service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from panal.core import clock
from panal.listening import services as listening
from panal.listening.normalise import Item, ItemError

from .models import ChannelAccount, InboundDelivery, new_webhook_secret


class AccountNotFound(LookupError):
    """No active channel account answers to this slug (and kind)."""


def hook_account(kind: str, slug: str) -> ChannelAccount:
    """The active account behind /hooks/<kind>/<slug>/; the kind must be the account's own."""
    account = ChannelAccount.objects.filter(kind=kind, slug=slug, is_active=True).first()
    if account is None:
        raise AccountNotFound(slug)
    return account


def import_account(slug: str | None) -> ChannelAccount:
    """The active account a file import goes to, of any kind.

    Without a slug, the one active account of kind "file" (the usual home of history
    imports); when there is none or more than one, the error lists the choices.
    """
    if slug is None:
        candidates = list(ChannelAccount.objects.filter(kind="file", is_active=True)[:2])
        if len(candidates) == 1:
            return candidates[0]
        raise AccountNotFound(f"say which channel account with --account SLUG; {_known()}")
    account = ChannelAccount.objects.filter(slug=slug).first()
    if account is None:
        raise AccountNotFound(f"no channel account with slug {slug!r}; {_known()}")
    if not account.is_active:
        raise AccountNotFound(f"channel account {slug!r} is inactive")
    return account


def _known() -> str:
    slugs = list(
        ChannelAccount.objects.filter(is_active=True)
        .order_by("slug")
        .values_list("slug", flat=True)[:30]
    )
    return f"active accounts: {', '.join(slugs)}" if slugs else "there are no channel accounts yet"


# --- webhook deliveries -----------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: int  # 202 when something changed, 200 when nothing did (or a replay)
    body: dict
    replayed: bool = False


def receive_delivery(
    account: ChannelAccount, delivery_id: str, items: list[Item]
) -> DeliveryOutcome:
    """Store one verified delivery's items, once per delivery id.

    A delivery id seen before stores nothing and answers what it answered the first
    time. A new delivery id carrying known items answers 200 with their existing ids.
    """
    now = clock.now()
    try:
        with transaction.atomic():
            previous = InboundDelivery.objects.filter(
                account=account, delivery_id=delivery_id
            ).first()
            if previous is None:
                result = listening.ingest(account, items)
                body = {
                    **result.as_dict(),
                    # Strings: the ids are 63-bit and JavaScript numbers are not.
                    "ids": {ext: str(pk) for ext, pk in result.ids.items()},
                }
                InboundDelivery.objects.create(
                    account=account,
                    delivery_id=delivery_id,
                    received_at=now,
                    mention_ids=list(result.ids.values()),
                    response=body,
                )
                changed = result.created + result.edited + result.deleted
                outcome = DeliveryOutcome(202 if changed else 200, body)
            else:
                outcome = DeliveryOutcome(200, previous.response, replayed=True)
            ChannelAccount.objects.filter(pk=account.pk).update(last_event_at=now)
    except IntegrityError:
        # The same delivery arrived twice at once and the other copy committed first.
        previous = InboundDelivery.objects.filter(account=account, delivery_id=delivery_id).first()
        if previous is None:
            raise
        return DeliveryOutcome(200, previous.response, replayed=True)
    return outcome


# --- signing secrets ----------------------------------------------------------------


@transaction.atomic
def rotate_secret(account: ChannelAccount) -> str:
    """Put a new signing secret first and keep only the previous one beside it.

    Both verify until `forget_previous_secrets`, so the sender can switch at leisure.
    Returns the new secret (shown once to the administrator).
    """
    from .base import connector_for

    locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
    current = [s for s in (locked.secrets or []) if isinstance(s, str)]
    connector = connector_for(account.kind)
    secret = (connector.new_hook_secret() if connector else None) or new_webhook_secret()
    locked.secrets = [secret, *current[:1]]
    locked.save(update_fields=["secrets"])
    account.secrets = locked.secrets
    return secret


@transaction.atomic
def forget_previous_secrets(account: ChannelAccount) -> int:
    """Keep only the newest secret (the sender has switched). Returns how many were dropped."""
    locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
    current = list(locked.secrets or [])
    locked.secrets = current[:1]
    locked.save(update_fields=["secrets"])
    account.secrets = locked.secrets
    return len(current) - len(locked.secrets)


# --- file imports -------------------------------------------------------------------


@dataclass
class ImportReport(listening.IngestResult):
    """The counts of a file import; ids are not kept, since files can be large."""

    bad_lines: int = 0

    def add(self, other: listening.IngestResult, *, keep_ids: bool = False) -> None:
        super().add(other, keep_ids=keep_ids)
        self.bad_lines += getattr(other, "bad_lines", 0)


def import_records(
    account: ChannelAccount,
    records: Iterable[tuple[int, Item | ItemError]],
    *,
    batch_size: int,
    on_bad_line: Callable[[int, str], None],
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Ingest `(line number, item or error)` records in batches; report bad lines.

    Each batch is one transaction of the ingest service, so an interrupted import
    keeps what it stored and a rerun adds only what is missing.
    """
    report = ImportReport()
    batch: list[Item] = []

    def flush() -> None:
        report.add(listening.ingest_batch(account, batch))
        batch.clear()
        if on_batch is not None:
            on_batch(report)

    iterator = iter(records)
    while True:
        try:
            line, record = next(iterator)
        except StopIteration:
            break
        except Exception:
            if batch:
                flush()  # keep what was read before the reader failed
            raise
        if isinstance(record, ItemError):
            report.bad_lines += 1
            on_bad_line(line, str(record))
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    if report.created or report.edited or report.deleted:
        ChannelAccount.objects.filter(pk=account.pk).update(last_event_at=clock.now())
    return report
