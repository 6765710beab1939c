"""Which model answers for an organisation: its own promoted version of a task, or the
shipped one (docs/understanding.md#corrections-and-your-own-models).

The stages ask `for_org(task, organisation_id)` once per batch and organisation. Each
call costs one small query (which version is promoted); the promoted model is unpacked
from its `OrgModel.archive` into `<PANAL_DATA_DIR>/models/` and loaded once per process,
and again only when another version is promoted. Its name says which organisation's
version made a prediction, e.g. `panal-sentiment@1a2b3c4d5e6f+acme.v3`: the shipped
model's version it was trained from, the organisation's slug and its own version.

A promoted model that cannot be unpacked or loaded is logged as an error and the
shipped model answers instead (under its own name, so no label is ever credited to a
model that did not make it).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings

from . import engine

logger = logging.getLogger(__name__)

TASKS = ("sentiment", "intent")
MEMBERS = (engine.CARD, engine.WEIGHTS)  # what an archive holds; nothing else is read

_lock = threading.Lock()
# (task, organisation id) → (OrgModel id, its model, or None when it could not load)
_loaded: dict[tuple[str, int], tuple[int, Any]] = {}


def shipped(task: str) -> Any:
    """The model shipped with Panal for `task`."""
    from . import intent, sentiment

    if task == "sentiment":
        return sentiment.shipped()
    if task == "intent":
        return intent.load()
    raise ValueError(f"no model for task {task!r}")


def for_org(task: str, organisation_id: int | None) -> Any:
    """The model for `task` ("sentiment" or "intent") that `organisation_id` uses: a
    `sentiment.SentimentModel` or an `engine.Model`, like the shipped ones."""
    from .models import OrgModel

    if task not in TASKS:
        raise ValueError(f"no model for task {task!r}")
    if organisation_id is None:
        return shipped(task)
    promoted = (
        OrgModel.objects.filter(
            organisation_id=organisation_id, task=task, status=OrgModel.Status.PROMOTED
        )
        .order_by("-promoted_at", "-version")
        .values_list("id", flat=True)
        .first()
    )
    if promoted is None:
        return shipped(task)
    key = (task, organisation_id)
    with _lock:
        cached = _loaded.get(key)
        if cached is None or cached[0] != promoted:
            cached = (promoted, _load_row(promoted))
            _loaded[key] = cached
    return cached[1] if cached[1] is not None else shipped(task)


def forget() -> None:
    """Drop every loaded organisation model (tests; a process that wants the memory back)."""
    with _lock:
        _loaded.clear()


def _load_row(row_id: int) -> Any:
    from .models import OrgModel

    row = (
        OrgModel.objects.select_related("organisation")
        .only("id", "task", "version", "archive", "organisation__slug")
        .get(id=row_id)
    )
    data = bytes(row.archive or b"")
    # Named by content: a directory never stands for another archive (a restored database).
    digest = hashlib.sha256(data).hexdigest()[:16]
    try:
        return load_archive(
            data,
            row.task,
            cache_dir() / f"org-{row.organisation_id}" / f"{row.task}-{digest}",
            version_tag(row.organisation.slug, row.version),
        )
    except (engine.ModelError, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        logger.error(
            "organisation %s: its %s model v%s cannot be loaded (%s); the shipped model answers",
            row.organisation.slug, row.task, row.version, exc,
        )  # fmt: skip
        return None


def cache_dir() -> Path:
    return Path(settings.DATA_DIR) / "models"


def version_tag(slug: str, version: int) -> str:
    return f"{slug}.v{version}"


def pack(directory: Path) -> bytes:
    """A model directory as the zip stored in `OrgModel.archive`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in MEMBERS:
            archive.write(directory / member, member)
    return buffer.getvalue()


def unpack(data: bytes, directory: Path) -> Path:
    """Write an archive's model files to `directory` (kept when it is already there).
    Only the two known members are read, by name: no path in the zip is trusted."""
    if (directory / engine.CARD).is_file() and (directory / engine.WEIGHTS).is_file():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in MEMBERS:
                (staging / member).write_bytes(archive.read(member))
        try:
            os.replace(staging, directory)
        except OSError:
            if not (directory / engine.CARD).is_file():  # not another process's copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def load_archive(data: bytes, task: str, directory: Path, tag: str) -> Any:
    """The model an archive holds, named after the shipped version it was trained from
    and `tag` (the organisation's slug and version)."""
    from . import sentiment

    path = unpack(data, directory)
    model = sentiment.load(str(path)) if task == "sentiment" else engine.load(path)
    base = (model.card.get("base") or {}).get("version") or model.card.get("version", "?")
    model.card["version"] = f"{base}+{tag}"
    return model
