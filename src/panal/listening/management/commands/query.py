"""`panal query`: check and match listening queries, and manage an organisation's topics
(docs/query.md#panal-query, docs/cli.md).

- `check "QUERY"`, `match --query "QUERY" FILE.jsonl` read no database;
- `topics --org SLUG` lists the topics and their queries, tab-separated;
- `add --org SLUG --topic SLUG "QUERY"` adds a query to a topic (made if missing);
- `backfill --org SLUG --topic SLUG | --all [--since DAY]` re-runs topics over stored
  mentions in the foreground, with a progress bar on a terminal.

Exit codes: 0 done; 1 (match) some lines were not JSON objects or not UTF-8 and were
skipped, the rest matched, (backfill) a backfill failed; 2 the query does not parse
(`error at column N: …` on stderr), the file cannot be read, or the organisation, topic
or day is unknown — nothing is saved then. Messages are in English whatever
PANAL_LANGUAGE says.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from panal.channels.files import COLUMN_ALIASES
from panal.listening import topics
from panal.listening.models import Topic
from panal.listening.query import Doc, Query, QueryError
from panal.org.models import Organisation

EXIT_BAD_LINES = 1
EXIT_FAILED = 1
EXIT_BAD_QUERY = 2
EXIT_UNKNOWN = 2


class Command(BaseCommand):
    help = "Check and match listening queries; list, add to and backfill an organisation's topics."
    requires_system_checks: list[str] = []  # check and match read no database

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        check = sub.add_parser("check", help="Parse a query; print its normalised form.")
        check.add_argument("query", metavar="QUERY")
        match = sub.add_parser("match", help="Print the id (or line number) of matching lines.")
        match.add_argument("--query", required=True, metavar="QUERY")
        match.add_argument("file", type=Path, metavar="FILE.jsonl")
        match.add_argument("--count", action="store_true", help="print only how many match")
        listing = sub.add_parser("topics", help="List the topics and their queries (TSV).")
        listing.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        add = sub.add_parser("add", help="Add a query to a topic, made first if missing.")
        add.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        add.add_argument("--topic", required=True, metavar="SLUG", help="the topic's slug")
        add.add_argument(
            "--kind", choices=Topic.Kind.values, default="brand", help="of a new topic (brand)"
        )
        add.add_argument("--name", metavar="NAME", help="of a new topic (default: its slug)")
        add.add_argument("--query-name", metavar="NAME", help="default: the query's start")
        add.add_argument("query", metavar="QUERY")
        backfill = sub.add_parser("backfill", help="Run topics over stored mentions, now.")
        backfill.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        which = backfill.add_mutually_exclusive_group(required=True)
        which.add_argument("--topic", metavar="SLUG", help="one topic")
        which.add_argument("--all", action="store_true", help="every active topic")
        backfill.add_argument("--since", metavar="YYYY-MM-DD", help="only mentions from this day")
        backfill.add_argument("--no-progress", action="store_true", help="no progress bar")

    @no_translations  # the CLI speaks English, whatever the language setting (docs/cli.md)
    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action in ("topics", "add", "backfill"):
            getattr(self, f"do_{action}")(options)
            return
        try:
            query = Query(options["query"])
        except QueryError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(EXIT_BAD_QUERY) from None
        if action == "check":
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

    # --- topics ----------------------------------------------------------------------------

    def do_topics(self, options: dict) -> None:
        """One line per query: topic slug, kind, topic state, topic name, query id, query
        state, query name, query text (a topic without queries: the first four)."""
        organisation = _organisation(options["org"])
        rows = Topic.objects.filter(organisation=organisation).prefetch_related("queries")
        for topic in rows.order_by("kind", "slug"):
            head = [topic.slug, topic.kind, _state(topic.is_active), topic.name]
            queries = sorted(topic.queries.all(), key=lambda q: (q.name, q.id))
            if not queries:
                self.stdout.write(_tsv([*head, "", "", "", ""]))
            for q in queries:
                self.stdout.write(_tsv([*head, str(q.id), _state(q.is_active), q.name, q.text]))

    def do_add(self, options: dict) -> None:
        organisation = _organisation(options["org"])
        try:
            with transaction.atomic():
                topic, created = topics.topic_by_slug(
                    organisation, options["topic"], kind=options["kind"], name=options["name"] or ""
                )
                query = topics.save_query(topic, options["query"], name=options["query_name"] or "")
        except QueryError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(EXIT_BAD_QUERY) from None
        except topics.TopicError as exc:
            raise CommandError(exc.message, returncode=EXIT_BAD_QUERY) from None
        if created:
            self.stdout.write(f"topic {topic.slug} created ({topic.kind}, {topic.name!r})")
        self.stdout.write(f"query {query.id} saved (version {query.version}): {Query(query.text)}")
        for warning in topics.check(query.text).warnings:
            self.stdout.write(str(warning))
        self.stdout.write(
            f"stored mentions: panal query backfill --org {organisation.slug} --topic {topic.slug}"
        )

    def do_backfill(self, options: dict) -> None:
        organisation = _organisation(options["org"])
        since = _since(options["since"])
        chosen = Topic.objects.filter(organisation=organisation)
        if options["all"]:
            chosen = chosen.filter(is_active=True)
        else:
            chosen = chosen.filter(slug=options["topic"])
            if not chosen.exists():
                raise CommandError(
                    f"no topic {options['topic']!r} in organisation {organisation.slug!r}",
                    returncode=EXIT_UNKNOWN,
                )
        out = getattr(self.stdout, "_out", sys.stdout)
        show = not options["no_progress"] and out.isatty()
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("mentions, +{task.fields[added]:,} -{task.fields[removed]:,} matches"),
            TimeRemainingColumn(),
            console=Console(file=out),
            disable=not show,
        )
        with progress:
            for topic in chosen.order_by("kind", "slug"):
                task = progress.add_task(topic.slug, total=None, added=0, removed=0)

                def advance(backfill, task=task) -> None:
                    progress.update(
                        task, total=backfill.total or None, completed=backfill.done,
                        added=backfill.added, removed=backfill.removed,
                    )  # fmt: skip

                try:
                    done = topics.backfill_now(topic, since=since, progress=advance)
                except Exception as exc:  # recorded on the backfill; say so and stop
                    raise CommandError(
                        f"{topic.slug}: the backfill failed: {exc}", returncode=EXIT_FAILED
                    ) from exc
                line = _summary(topic.slug, done)
                if show:
                    progress.console.print(line, markup=False, highlight=False)
                else:
                    self.stdout.write(line)


def _organisation(slug: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no organisation {slug!r}", returncode=EXIT_UNKNOWN)
    return found


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--since {value!r} is not a day (YYYY-MM-DD)", returncode=EXIT_UNKNOWN
        ) from None
    return datetime.combine(day, time.min, tzinfo=UTC)


def _summary(slug: str, backfill) -> str:
    seconds = (backfill.finished_at - backfill.started_at).total_seconds()
    return (
        f"{slug}: {backfill.done:,} mentions looked at, {backfill.added:,} matches added, "
        f"{backfill.removed:,} removed ({seconds:.1f} s)"
    )


def _state(active: bool) -> str:
    return "active" if active else "inactive"


def _tsv(fields: list[str]) -> str:
    """One line of tab-separated fields; tabs and line breaks inside become spaces."""
    return "\t".join(" ".join(f.replace("\t", " ").splitlines()) for f in fields)


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
