"""`panal query check "QUERY"` and `panal query match --query "QUERY" FILE.jsonl`
(docs/query.md#panal-query).

Exit codes: 0 done; 1 (match) some lines were not JSON objects or not UTF-8 and were
skipped, the rest matched; 2 the query does not parse (`error at column N: …` on stderr)
or the file cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panal.channels.files import COLUMN_ALIASES
from panal.listening.query import Doc, Query, QueryError

EXIT_BAD_LINES = 1
EXIT_BAD_QUERY = 2


class Command(BaseCommand):
    help = "Check a listening query, or find the lines of a JSON Lines file that match it."
    requires_system_checks: list[str] = []  # reads no database

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        check = sub.add_parser("check", help="Parse a query; print its normalised form.")
        check.add_argument("query", metavar="QUERY")
        match = sub.add_parser("match", help="Print the id (or line number) of matching lines.")
        match.add_argument("--query", required=True, metavar="QUERY")
        match.add_argument("file", type=Path, metavar="FILE.jsonl")
        match.add_argument("--count", action="store_true", help="print only how many match")

    def handle(self, *args, **options) -> None:
        try:
            query = Query(options["query"])
        except QueryError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(EXIT_BAD_QUERY) from None
        if options["action"] == "check":
            self.stdout.write(str(query))
            for warning in query.lint():
                self.stdout.write(str(warning))
            return
        self.match(query, options["file"], count_only=options["count"])

    def match(self, query: Query, path: Path, *, count_only: bool) -> None:
        matched = bad = 0
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}", returncode=EXIT_BAD_QUERY) from None
        with stream:
            for lineno, raw in enumerate(stream, 1):
                try:
                    data = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    bad += 1
                    self.stderr.write(f"line {lineno}: not UTF-8 text (byte {exc.start + 1})")
                    continue
                except (ValueError, RecursionError) as exc:
                    if not raw.strip():
                        continue
                    bad += 1
                    reason = (
                        exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                    )
                    self.stderr.write(f"line {lineno}: not valid JSON: {reason}")
                    continue
                if not isinstance(data, dict):
                    bad += 1
                    self.stderr.write(f"line {lineno}: not a JSON object")
                    continue
                if not query.matches(Doc.from_dict(_canonical(data))):
                    continue
                matched += 1
                if not count_only:
                    self.stdout.write(_label(data, lineno))
        if count_only:
            self.stdout.write(str(matched))
        if bad:
            raise CommandError(f"{bad} bad line(s) skipped", returncode=EXIT_BAD_LINES)


def _canonical(data: dict) -> dict:
    """The names `panal ingest` also accepts (`content`, `language`, `user`…) as ours."""
    out = dict(data)
    for alias, name in COLUMN_ALIASES.items():
        if alias in data and name not in data and not (alias == "author" and data[alias]):
            out[name] = data[alias]
    return out


def _label(data: dict, lineno: int) -> str:
    for key in ("id", "external_id"):
        value = data.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).replace("\n", " ").replace("\r", " ")
    return str(lineno)
