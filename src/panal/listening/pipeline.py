"""The processing pipeline: registered stages run in order over a batch of mentions.

Built-in stages register with `@stage(...)` exactly as a plugin would; third-party
packages add stages through the `panal.pipeline_stages` entry-point group (each
entry point is a module imported for its `@stage` side effects). See docs/pipeline.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from django.db import transaction

from panal.core import clock
from panal.core.db import update_ids

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


# Fields no built-in stage reads on every mention: Django reads one when a stage asks for
# it (the normalise stage's HTML fallback, say), and the batch skips decoding the JSON of
# a thousand raw payloads.
_READ_LATER = ("raw", "text_html", "media", "metrics", "urls", "stages_done")


def run(mention_ids: Sequence[int]) -> int:
    """Run every stage over these mentions (skipping deleted ones). Returns how many ran."""
    with transaction.atomic():
        mentions = list(
            Mention.objects.filter(id__in=list(mention_ids), deleted_at__isnull=True)
            .defer(*_READ_LATER)
            .order_by("id")
        )
        if not mentions:
            return 0
        _attach_accounts(mentions)
        names = []
        for s in stages():
            started = time.perf_counter()
            s.run(mentions)
            elapsed = time.perf_counter() - started
            log.debug("stage %s: %d mentions in %.4f s", s.name, len(mentions), elapsed)
            names.append(s.name)
        now = clock.now()
        ids = []
        for m in mentions:
            m.stages_done = names
            m.processed_at = now
            ids.append(m.id)
        # Every row gets the same values: one UPDATE … WHERE id IN (…), where bulk_update
        # would build a CASE over every row.
        update_ids(Mention, ids, stages_done=names, processed_at=now)
    return len(mentions)


def _attach_accounts(mentions: list[Mention]) -> None:
    """Each mention's `account`, read once per batch: a batch has a few accounts, and
    select_related would build one copy of the account per mention."""
    field = Mention._meta.get_field("account")
    accounts = field.related_model.objects.in_bulk({m.account_id for m in mentions})
    for m in mentions:
        field.set_cached_value(m, accounts[m.account_id])
