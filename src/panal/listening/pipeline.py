"""The processing pipeline: registered stages run in order over a batch of mentions.

Built-in stages register with `@stage(...)` exactly as a plugin would; third-party
packages add stages through the `panal.pipeline_stages` entry-point group (each
entry point is a module imported for its `@stage` side effects). See docs/pipeline.md.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from django.db import transaction

from panal.core import clock
from panal.core.db import read_instances, update_ids, update_rows

from .models import Mention

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    name: str
    order: int
    run: Callable[[list[Mention]], None]
    doc: str


_STAGES: dict[str, Stage] = {}


def stage(name: str, order: int) -> Callable:
    """Register `func(mentions)` as a pipeline stage. Lower `order` runs first."""

    def register(func: Callable[[list[Mention]], None]) -> Callable:
        _STAGES[name] = Stage(name, order, func, (func.__doc__ or "").strip().split("\n")[0])
        return func

    return register


def stages() -> list[Stage]:
    return sorted(_STAGES.values(), key=lambda s: (s.order, s.name))


def load_plugin_stages() -> None:
    for ep in entry_points(group="panal.pipeline_stages"):
        try:
            ep.load()
        except Exception:
            log.exception("Could not load pipeline stage plugin %s", ep.name)


# The fields the built-in stages read of every mention; the others (the raw payload, the
# HTML, media, metrics, the received/edited/processed times, …) stay in the
# database: decoding a thousand JSON payloads and timestamps nobody reads was most of
# reading a batch. A stage that wants one reads it for the whole batch in one query with
# `read_deferred` (reading it mention by mention would cost one query each).
READ = (
    "id", "organisation", "account", "brand", "channel", "external_id", "kind", "visibility",
    "text", "title", "lang", "lang_source", "created_at", "deleted_at", "url", "author",
    "author_external_id", "author_handle", "author_display_name", "author_followers",
    "author_avatar_url", "author_is_bot", "author_verified", "author_description", "country",
    "thread_external_id", "in_reply_to_external_id", "parent", "thread_root", "rating", "urls",
)  # fmt: skip


# While a batch runs: mention id → {field: new value} of what its stages changed on the
# mentions' own rows (`save`), written by the batch's last UPDATE.
_changes: ContextVar[dict[int, dict[str, Any]] | None] = ContextVar("changes", default=None)


def run(mention_ids: Sequence[int]) -> int:
    """Run every stage over these mentions (skipping deleted ones). Returns how many ran."""
    with collector_paused(), transaction.atomic():
        mentions = read_batch(mention_ids)
        if not mentions:
            return 0
        attach_accounts(mentions)
        names = []
        changes: dict[int, dict[str, Any]] = {}
        token = _changes.set(changes)
        try:
            for s in stages():
                started, started_cpu = time.perf_counter(), time.process_time()
                s.run(mentions)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - started_cpu
                log.debug(
                    "stage %s: %d mentions in %.4f s (%.4f s CPU)",
                    s.name, len(mentions), elapsed, cpu,
                )  # fmt: skip
                names.append(s.name)
        finally:
            _changes.reset(token)
        now = clock.now()
        for m in mentions:
            m.stages_done = names
            m.processed_at = now
        _write(mentions, changes, stages_done=names, processed_at=now)
    return len(mentions)


def save(fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Store new values of mentions' own fields: `rows` are (id, value, …) in `fields`
    order, the objects already holding them.

    While a batch runs, the write waits for the batch's last UPDATE, which marks each
    mention done: a mention's row is written once a batch, where one UPDATE per stage
    that changed it (its language, author, brand, thread links) wrote it up to five
    times, and on PostgreSQL each write of a row is a new version of it in every index.
    A stage that queries the mentions table reads, for the batch's own mentions, their
    values from before the batch: it reads the objects instead. Outside a batch (a stage
    called alone) the rows are written at once.
    """
    if not rows:
        return
    changes = _changes.get()
    if changes is None:
        update_rows(Mention, fields, rows)
        return
    for pk, *values in rows:
        changes.setdefault(pk, {}).update(zip(fields, values, strict=True))


def _write(mentions: Sequence[Mention], changes: dict[int, dict[str, Any]], **done: Any) -> None:
    """The batch's last write: `done` (the stages run, the time) on every mention with
    the changes its stages saved, one UPDATE per set of changed fields (a handful a
    batch), and the changes of mentions outside the batch (earlier replies a stage
    linked) on their own."""
    changed = [(m.id, changes.pop(m.id)) for m in mentions if changes.get(m.id)]
    for fields, rows in _by_fields(changed).items():
        update_rows(Mention, fields, rows, **done)
    # The rows without a change of their own: the same values for each, one UPDATE …
    # WHERE id IN (…), where bulk_update would build a CASE over every row.
    done_ids = {pk for pk, _ in changed}
    update_ids(Mention, [m.id for m in mentions if m.id not in done_ids], **done)
    for fields, rows in _by_fields(changes.items()).items():
        update_rows(Mention, fields, rows)


def _by_fields(changes: Iterable[tuple[int, dict[str, Any]]]) -> dict[tuple, list[tuple]]:
    """(fields changed, sorted) → rows of (id, value, …) in those fields' order."""
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for pk, changed in changes:
        fields = tuple(sorted(changed))
        groups[fields].append((pk, *(changed[f] for f in fields)))
    return groups


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch runs.

    A batch's thousand mentions and what the stages build of them outlive the collector's
    young generations, so they kept triggering full collections of the whole process
    (models and all: about 50 ms each, every few batches), though reference counting
    frees them anyway when the batch ends. The collector resumes (if it was on) after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_batch(mention_ids: Sequence[int]) -> list[Mention]:
    """The live mentions among these ids, oldest id first, with the `READ` fields loaded
    and the others deferred (`core.db.read_instances`)."""
    rows = Mention.objects.filter(id__any=mention_ids, deleted_at__isnull=True).order_by("id")
    return read_instances(rows, READ)


def read_deferred(mentions: Sequence[Mention], field: str) -> None:
    """Read a field the batch left out (not in `READ`) for these mentions, in one query:
    reading it on each mention would cost one query each."""
    attname = Mention._meta.get_field(field).attname
    missing = [m for m in mentions if attname not in m.__dict__]
    if not missing:
        return
    rows = Mention.objects.filter(id__any=[m.id for m in missing]).values_list("id", attname)
    values = dict(rows)
    for m in missing:
        setattr(m, attname, values.get(m.id))


def attach_accounts(mentions: list[Mention]) -> None:
    """Each mention's `account`, read once per batch: a batch has a few accounts, and
    select_related would build one copy of the account per mention."""
    field = Mention._meta.get_field("account")
    accounts = field.related_model.objects.in_bulk({m.account_id for m in mentions})
    for m in mentions:
        field.set_cached_value(m, accounts[m.account_id])
