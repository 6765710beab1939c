"""Labelled examples in JSON Lines: reading with per-line errors, splitting (docs/understanding.md).

A file holds one JSON object per line with a string `text` and a string `label`; other
fields (`lang`, `id`, …) are ignored and blank lines are skipped. A line that is not valid
UTF-8 or JSON, or lacks either field, raises `DataError` naming the file and line number:
a model is never trained or scored on a file that was half read.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class DataError(ValueError):
    """A labelled-data file that cannot be read, with the line at fault."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class Corpus:
    path: Path
    examples: list[Example]
    sha256: str
    lines: int

    def describe(self) -> dict:
        """What a model card records about the file it learned from."""
        return {"file": self.path.name, "sha256": self.sha256, "lines": self.lines}


def read_examples(path: Path | str, fallback_label: str | None = None) -> Corpus:
    """The examples of a file; a line without `label` takes its `fallback_label` field
    (`lang` when scoring language identification), if given."""
    path = Path(path)
    digest = hashlib.sha256()
    examples: list[Example] = []
    lines = 0
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise DataError(path, f"cannot open ({exc.strerror or exc})") from None
    with fh:
        for number, raw in enumerate(fh, start=1):
            digest.update(raw)
            lines = number
            if not raw.strip():
                continue
            examples.append(_example(path, number, raw, fallback_label))
    if not examples:
        raise DataError(path, "no examples in the file")
    return Corpus(path, examples, digest.hexdigest(), lines)


def _example(path: Path, number: int, raw: bytes, fallback_label: str | None = None) -> Example:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(path, f"not valid UTF-8 (byte {exc.start})", number) from None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON ({exc.msg}, column {exc.colno})", number) from None
    if not isinstance(obj, dict):
        raise DataError(path, "not a JSON object", number)
    text, label = obj.get("text"), obj.get("label")
    if label is None and fallback_label:
        label = obj.get(fallback_label)
    if not isinstance(text, str):
        raise DataError(path, 'no "text" string', number)
    if isinstance(label, bool) or not isinstance(label, str | int):
        raise DataError(path, 'no "label" string', number)
    label = str(label).strip()
    if not label:
        raise DataError(path, 'an empty "label"', number)
    return Example(text, label)


def write_examples(path: Path | str, examples: Sequence[Example]) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for e in examples:
            out.write(json.dumps({"text": e.text, "label": e.label}, ensure_ascii=False) + "\n")
    return path


def stratified_split(
    examples: Sequence[Example], fraction: float, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """(kept, held out): about `fraction` of each label's examples held out, drawn with `seed`.

    A label with a single example is always kept. The order within each part follows the
    labels' sorted order, then the draw.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    by_label: dict[str, list[Example]] = {}
    for e in examples:
        by_label.setdefault(e.label, []).append(e)
    kept: list[Example] = []
    held: list[Example] = []
    for label in sorted(by_label):
        items = list(by_label[label])
        rng.shuffle(items)
        n = min(round(len(items) * fraction), len(items) - 1)
        held += items[:n]
        kept += items[n:]
    return kept, held
