"""One CSV writer for every export, safe against formula injection."""

import csv
from collections.abc import Iterable
from typing import IO, Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def neutralise(value: Any) -> Any:
    """Prefix a quote to strings a spreadsheet would run as a formula (spaces before the
    `=` do not stop a spreadsheet, so they do not stop this either)."""
    if isinstance(value, str) and value.lstrip(" \u00a0").startswith(_FORMULA_START):
        return "'" + value
    return value


def write_rows(stream: IO[str], header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
