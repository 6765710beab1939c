"""Read CSV and JSON Lines history files, streaming, with no database (docs/channels.md).

`read_records(stream, fmt)` is a generator of `(line number, Item or ItemError)`: one
record per mention, the number of the line where it starts, and the reason when a
line cannot be used. Problems with the whole file (unknown format or encoding, a
missing required column, a damaged gzip stream) raise `FileFormatError`.

Every read is bounded: a line (JSONL) or a record (CSV) longer than `max_bytes` is
skipped without being held in memory and reported as one bad line.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gzip
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from panal.listening.normalise import Item, ItemError, parse_item

from .incoming import JSON_DECODER

FORMATS = ("csv", "jsonl")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
}
REQUIRED_COLUMNS = ("external_id", "text")
# Column names other tools export, mapped to ours (the full list is in docs/channels.md).
COLUMN_ALIASES = {
    **dict.fromkeys(["id", "post_id", "tweet_id", "message_id", "item_id"], "external_id"),
    **dict.fromkeys(["content", "body", "message", "full_text", "mention"], "text"),
    **dict.fromkeys(["subject", "headline"], "title"),
    **dict.fromkeys(["language", "lang_code"], "lang"),
    **dict.fromkeys(["date", "timestamp", "time", "created", "published_at"], "created_at"),
    **dict.fromkeys(["link", "permalink", "post_url"], "url"),
    **dict.fromkeys(["author", "user", "username", "screen_name"], "author_handle"),
    **dict.fromkeys(["author_name", "user_name", "display_name"], "author_display_name"),
    **dict.fromkeys(["author_id", "user_id"], "author_external_id"),
    **dict.fromkeys(["followers", "followers_count"], "author_followers"),
    **dict.fromkeys(["verified", "user_verified"], "author_verified"),
    **dict.fromkeys(["description", "user_description", "bio"], "author_description"),
    **dict.fromkeys(["country_code", "territory", "location_country"], "country"),
    **dict.fromkeys(["parent_id", "in_reply_to", "in_reply_to_id"], "in_reply_to_external_id"),
    **dict.fromkeys(["thread_id", "conversation_id"], "thread_external_id"),
    **dict.fromkeys(["stars", "star_rating"], "rating"),
}
COLUMNS = tuple(f.name for f in dataclasses.fields(Item) if f.name != "content_hash")
_READ_ERRORS = (OSError, EOFError, zlib.error)  # a damaged or truncated .gz
_SKIP_CHUNK = 1 << 20

Record = tuple[int, Item | ItemError]


class FileFormatError(Exception):
    """The whole file cannot be imported; the message says why."""


def default_max_bytes() -> int:
    """Longest line or record accepted: room for a maximal text, title and HTML, escaped."""
    return max(1 << 20, 32 * settings.PANAL_MAX_TEXT_CHARS)


def detect_format(path: str | Path) -> tuple[str, bool]:
    """(format, gzipped) from the file name: .csv/.tsv, .jsonl/.ndjson/.jsonlines, + .gz."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes.pop()
    fmt = EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise FileFormatError(
            f"cannot tell the format of {Path(path).name!r} from its name; "
            "pass --format csv or --format jsonl"
        )
    return fmt, compressed


@contextmanager
def open_file(path: str | Path, *, compressed: bool) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """Yield (raw file, byte stream to read): the raw file's position measures progress."""
    with open(path, "rb") as raw:
        if compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield raw, unpacked  # type: ignore[misc] - GzipFile is a binary stream
        else:
            yield raw, raw


def check_encoding(encoding: str) -> str:
    """The codec name, refusing unknown codecs and those that do not keep ASCII bytes."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise FileFormatError(f"unknown encoding {encoding!r}") from None
    probe = '\n,;\t"{}[]:'
    try:
        ascii_compatible = probe.encode(name) == probe.encode("ascii")
    except (UnicodeError, LookupError, TypeError):
        ascii_compatible = False
    if not ascii_compatible:
        raise FileFormatError(
            f"encoding {encoding!r} is not supported: use utf-8, latin-1, cp1252 or another "
            "encoding that keeps ASCII as it is (convert UTF-16 files to UTF-8 first)"
        )
    return "utf-8" if name == "utf-8-sig" else name  # the BOM is dropped on line 1 anyway


def read_records(
    stream: BinaryIO, fmt: str, *, encoding: str = "utf-8", max_bytes: int | None = None
) -> Iterator[Record]:
    if fmt == "csv":
        return read_csv(stream, encoding=encoding, max_bytes=max_bytes)
    if fmt == "jsonl":
        return read_jsonl(stream, encoding=encoding, max_bytes=max_bytes)
    raise FileFormatError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def check_file(
    path: str | Path, fmt: str, *, compressed: bool, encoding: str = "utf-8"
) -> list[str]:
    """Open `path` and read its header (CSV) before anything is imported.

    Raises FileFormatError; returns the header columns Panal will ignore.
    """
    encoding = check_encoding(encoding)
    with open_file(path, compressed=compressed) as (_, stream):
        if fmt != "csv":
            _readline(stream, 1, 0)  # fails early on a file that is not gzip after all
            return []
        _, _, columns = _open_csv(stream, encoding, default_max_bytes())
    return [c for c in columns if c and c not in COLUMNS]


def _readline(stream: BinaryIO, size: int, lineno: int) -> bytes:
    try:
        return stream.readline(size)
    except _READ_ERRORS as exc:
        raise FileFormatError(f"cannot read the file after line {lineno}: {exc}") from None


def _decode_reason(raw: bytes, exc: UnicodeDecodeError, encoding: str, where: str = "") -> str:
    return f"not valid {encoding} text: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}{where}"


def _skip_rest_of_line(stream: BinaryIO, raw: bytes, lineno: int) -> bytes:
    """Read and drop the rest of a line whose start is `raw`; return the last chunk."""
    while raw and not raw.endswith(b"\n"):
        raw = _readline(stream, _SKIP_CHUNK, lineno)
    return raw


# --- JSON Lines -------------------------------------------------------------------


def read_jsonl(
    stream: BinaryIO, *, encoding: str = "utf-8", max_bytes: int | None = None
) -> Iterator[Record]:
    """One JSON object per line; blank lines are skipped; a BOM on line 1 is dropped."""
    encoding = check_encoding(encoding)
    limit = max_bytes or default_max_bytes()
    decode_json = JSON_DECODER.decode
    lineno = 0
    while True:
        raw = _readline(stream, limit + 1, lineno)
        if not raw:
            return
        lineno += 1
        if len(raw) > limit:
            _skip_rest_of_line(stream, raw, lineno)
            yield lineno, ItemError(f"the line is longer than {limit} bytes")
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            yield lineno, ItemError(_decode_reason(raw, exc, encoding))
            continue
        if lineno == 1 and text.startswith("\ufeff"):
            text = text[1:]
        try:
            data = decode_json(text)
        except ValueError as exc:
            if not text.strip(" \t\r\n"):
                continue  # a blank line
            if isinstance(exc, json.JSONDecodeError):
                reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
            else:
                reason = f"not valid JSON: {exc}"
            yield lineno, ItemError(reason)
            continue
        except RecursionError:
            yield lineno, ItemError("not valid JSON: nested too deeply")
            continue
        try:
            yield lineno, parse_item(data)
        except ItemError as exc:
            yield lineno, exc


# --- CSV ----------------------------------------------------------------------------


class _RecordTooLong(Exception):
    """Raised through csv.reader when a record exceeds the byte budget."""


class _Lines:
    """Physical lines for csv.reader, bounded per record, with the record's line numbers.

    The caller calls `start_record()` after each record csv.reader returns. A record
    over the byte budget is skipped up to where its quotes balance, without keeping
    it, and `_RecordTooLong` is raised through csv.reader.
    """

    def __init__(self, stream: BinaryIO, encoding: str, limit: int) -> None:
        self.stream = stream
        self.encoding = encoding
        self.limit = limit
        self.lineno = 0
        self.pushback: str | None = None
        self.start_record()

    def start_record(self) -> None:
        self.record_start = self.lineno + 1
        self.record_bytes = 0
        self.quotes = 0
        self.bad: str | None = None  # why a line of this record could not be decoded

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pushback is not None:
            text, self.pushback = self.pushback, None
            return text
        raw = _readline(self.stream, self.limit - self.record_bytes + 1, self.lineno)
        if not raw:
            raise StopIteration
        self.lineno += 1
        self.quotes += raw.count(b'"')
        self.record_bytes += len(raw)
        if self.record_bytes > self.limit:
            self._skip_record(raw)
            raise _RecordTooLong
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if self.bad is None:
                where = "" if self.lineno == self.record_start else f" of line {self.lineno}"
                self.bad = _decode_reason(raw, exc, self.encoding, where)
            text = raw.decode(self.encoding, "replace")
        if self.lineno == 1 and text.startswith("\ufeff"):
            text = text[1:]
        return text

    def _skip_record(self, raw: bytes) -> None:
        while True:
            while raw and not raw.endswith(b"\n"):
                raw = _readline(self.stream, _SKIP_CHUNK, self.lineno)
                self.quotes += raw.count(b'"')
            if not raw or self.quotes % 2 == 0:
                return
            raw = _readline(self.stream, _SKIP_CHUNK, self.lineno)
            if not raw:
                return
            self.lineno += 1
            self.quotes += raw.count(b'"')


def _csv_reason(exc: csv.Error) -> str:
    if "new-line character seen in unquoted field" in str(exc):
        # Python's wording assumes the caller opened the file wrongly; say what is in it.
        return "a carriage return (\\r) inside an unquoted cell (old Mac line endings?)"
    return str(exc)


def _delimiter(header_line: str) -> str:
    """Comma, unless the header plainly uses semicolons (Excel in Spanish) or tabs."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def header_columns(header: list[str]) -> list[str]:
    """Normalised column names (trimmed, lower case, aliases applied); checks the header."""
    columns = []
    for cell in header:
        name = cell.strip().lower()
        columns.append(COLUMN_ALIASES.get(name, name))
    seen: set[str] = set()
    for original, name in zip(header, columns, strict=True):
        if name in seen:
            raise FileFormatError(f"the column {name!r} appears twice (as {original.strip()!r})")
        if name:
            seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise FileFormatError(
            f"missing required column{plural} {names} (the header has: "
            f"{', '.join(repr(h.strip()) for h in header)[:300]})"
        )
    return columns


def _open_csv(stream: BinaryIO, encoding: str, limit: int):
    if csv.field_size_limit() <= limit:
        # Our own byte budget ends a long record before csv's per-field limit could.
        csv.field_size_limit(limit + 1)
    lines = _Lines(stream, encoding, limit)
    try:
        first = next(lines)
    except StopIteration:
        raise FileFormatError("the file is empty: a CSV file starts with a header row") from None
    except _RecordTooLong:
        raise FileFormatError(f"the header row is longer than {limit} bytes") from None
    if lines.bad:
        raise FileFormatError(f"line 1 (the header) is {lines.bad}")
    lines.pushback = first
    reader = csv.reader(lines, delimiter=_delimiter(first), strict=False)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileFormatError(f"the header row is not valid CSV: {_csv_reason(exc)}") from None
    columns = header_columns(header)
    lines.start_record()
    return reader, lines, columns


def read_csv(
    stream: BinaryIO, *, encoding: str = "utf-8", max_bytes: int | None = None
) -> Iterator[Record]:
    """A header row naming the fields, then one mention per record.

    Quoted cells may span lines; a record's number is the line where it starts.
    Blank lines are skipped.
    """
    encoding = check_encoding(encoding)
    limit = max_bytes or default_max_bytes()
    reader, lines, columns = _open_csv(stream, encoding, limit)
    width = len(columns)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RecordTooLong:
            yield lines.record_start, ItemError(f"the record is longer than {limit} bytes")
            lines.start_record()
            continue
        except csv.Error as exc:
            yield lines.record_start, ItemError(f"not valid CSV: {_csv_reason(exc)}")
            lines.start_record()
            continue
        start, end, bad = lines.record_start, lines.lineno, lines.bad
        lines.start_record()
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line
        if bad:
            yield start, ItemError(bad)
            continue
        if len(row) != width:
            reason = f"{len(row)} fields where the header has {width}"
            if end > start:
                reason += f" (the record runs to line {end}: is a quote left open?)"
            yield start, ItemError(reason)
            continue
        try:
            yield start, parse_item(dict(zip(columns, row, strict=True)))
        except ItemError as exc:
            yield start, exc
