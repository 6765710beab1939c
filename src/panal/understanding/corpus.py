"""Labelled examples in JSON Lines: reading with per-line errors, splitting (docs/understanding.md).

A file holds one JSON object per line with a string `text` and either a string `label` or
a list `labels` of one or more distinct strings (a text with several labels: the first is
its main one, unless `label` names another of the list); other fields (`lang`, `id`, …)
are ignored and blank lines are skipped. A line that is not valid UTF-8 or JSON, or lacks
or mangles those fields, raises `DataError` naming the file and line number: a model is
never trained or scored on a file that was half read.
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
    """A labelled text: `label` is its main label, `labels` all of them (main first) when
    the line gave several; single-label code reads `label` only."""

    text: str
    label: str
    labels: tuple[str, ...] = ()

    @property
    def label_set(self) -> tuple[str, ...]:
        """Every label of the text, the main one first."""
        return self.labels or (self.label,)


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
    if not isinstance(text, str):
        raise DataError(path, 'no "text" string', number)
    if "labels" in obj:
        return _multi(path, number, text, obj["labels"], label)
    if label is None and fallback_label:
        label = obj.get(fallback_label)
    label = _label(path, number, label, '"label"')
    return Example(text, label)


def _label(path: Path, number: int, value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DataError(path, f"no {where} string", number)
    label = str(value).strip()
    if not label:
        raise DataError(path, f"an empty {where}", number)
    return label


def _multi(path: Path, number: int, text: str, values: object, main: object) -> Example:
    if not isinstance(values, list) or not values:
        raise DataError(path, '"labels" is not a list of one or more label strings', number)
    labels = [_label(path, number, v, '"labels" item') for v in values]
    if len(set(labels)) != len(labels):
        raise DataError(path, 'a label repeated in "labels"', number)
    if main is not None:
        first = _label(path, number, main, '"label"')
        if first not in labels:
            raise DataError(path, f'"label" {first!r} is not one of "labels"', number)
        labels.remove(first)
        labels.insert(0, first)
    return Example(text, labels[0], tuple(labels) if len(labels) > 1 else ())


def write_rows(path: Path | str, rows: Sequence[dict]) -> int:
    """Write dict rows as JSON Lines (UTF-8, not ASCII-escaped); returns how many."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def write_splits(
    directory: Path, prefix: str, splits: dict[str, tuple[list[dict], list[dict]]]
) -> dict[str, tuple[int, int]]:
    """Each language's (train, dev) rows to PREFIX_LANG.jsonl and PREFIX_LANG_dev.jsonl;
    returns how many of each were written."""
    return {
        lang: (
            write_rows(directory / f"{prefix}_{lang}.jsonl", train),
            write_rows(directory / f"{prefix}_{lang}_dev.jsonl", dev),
        )
        for lang, (train, dev) in splits.items()
    }


def write_examples(path: Path | str, examples: Sequence[Example]) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for e in examples:
            row: dict = {"text": e.text, "label": e.label}
            if len(e.label_set) > 1:
                row["labels"] = list(e.label_set)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
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
