"""`panal ingest FILE [FILE...] --account SLUG`: import CSV / JSON Lines history.

Exit codes (docs/channels.md): 0 every line imported; 1 some lines were bad and
skipped, the rest imported; 2 nothing imported (unknown account, unreadable file,
unknown format or encoding, missing required column).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from panal.channels import files, services
from panal.channels.services import ImportReport

EXIT_BAD_LINES = 1
EXIT_NOTHING_IMPORTED = 2


def _summary(report: ImportReport) -> str:
    return (
        f"{report.created:,} created, {report.edited:,} edited, {report.deleted:,} deleted, "
        f"{report.unchanged:,} unchanged, {report.bad_lines:,} bad lines"
    )


class Command(BaseCommand):
    help = "Import mentions from CSV or JSON Lines files into a channel account."
    # An import needs no system checks; skipping them saves about half a second a run.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="CSV or JSONL, maybe .gz")
        parser.add_argument(
            "--account",
            metavar="SLUG",
            help="channel account (default: the one account of kind 'file', if there is one)",
        )
        parser.add_argument(
            "--format", choices=files.FORMATS, help="instead of guessing from the extension"
        )
        parser.add_argument("--encoding", default="utf-8", help="text encoding (default utf-8)")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            metavar="N",
            help="mentions per transaction (default PANAL_INGEST_BATCH)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        batch_size = options["batch_size"]
        if batch_size is None:
            batch_size = settings.PANAL_INGEST_BATCH
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1", returncode=EXIT_NOTHING_IMPORTED)
        try:
            account = services.import_account(options["account"])
        except services.AccountNotFound as exc:
            raise CommandError(str(exc), returncode=EXIT_NOTHING_IMPORTED) from None
        plan = [self._check(Path(name), options) for name in options["files"]]

        out = getattr(self.stdout, "_out", sys.stdout)
        show_progress = not options["no_progress"] and out.isatty()
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[mentions]:,} mentions"),
            TimeRemainingColumn(),
            console=Console(file=out),
            disable=not show_progress,
        )
        # Bad lines go above a live bar when both streams are the terminal, else to stderr.
        err = getattr(self.stderr, "_out", sys.stderr)
        on_terminal = show_progress and err.isatty()
        total = ImportReport()
        with progress:
            for path, fmt, compressed in plan:

                def bad_line(line: int, reason: str, name: str = path.name) -> None:
                    message = f"{name}: line {line}: {reason}"
                    if on_terminal:
                        progress.console.print(message, style="red", markup=False, highlight=False)
                    else:
                        self.stderr.write(message)

                report = self._import(
                    account, path, fmt, compressed, options, batch_size, progress, bad_line
                )
                summary = f"{path.name}: {_summary(report)}"
                if show_progress:  # above the live bar, on the same terminal
                    progress.console.print(summary, markup=False, highlight=False)
                else:
                    self.stdout.write(summary)
                total.add(report)
        if len(plan) > 1:
            self.stdout.write(f"total: {_summary(total)}")
        if total.bad_lines:
            raise CommandError(
                f"{total.bad_lines:,} bad lines were skipped (listed above); the rest was imported",
                returncode=EXIT_BAD_LINES,
            )

    def _check(self, path: Path, options: dict) -> tuple[Path, str, bool]:
        """Everything about a file that can fail before anything is imported."""
        try:
            if not path.is_file():
                raise files.FileFormatError("no such file")
            if options["format"]:
                fmt, compressed = options["format"], path.suffix.lower() == ".gz"
            else:
                fmt, compressed = files.detect_format(path)
            ignored = files.check_file(
                path, fmt, compressed=compressed, encoding=options["encoding"]
            )
        except files.FileFormatError as exc:
            raise CommandError(f"{path}: {exc}", returncode=EXIT_NOTHING_IMPORTED) from None
        except OSError as exc:
            raise CommandError(
                f"{path}: {exc.strerror or exc}", returncode=EXIT_NOTHING_IMPORTED
            ) from None
        if ignored:
            names = ", ".join(map(repr, ignored))
            self.stderr.write(f"{path.name}: ignoring unknown columns {names}")
        return path, fmt, compressed

    def _import(self, account, path, fmt, compressed, options, batch_size, progress, bad_line):
        task = progress.add_task(path.name, total=path.stat().st_size, mentions=0)
        with files.open_file(path, compressed=compressed) as (raw, stream):

            def advance(report: ImportReport) -> None:
                done = report.created + report.edited + report.deleted + report.unchanged
                progress.update(task, completed=raw.tell(), mentions=done)

            records = files.read_records(stream, fmt, encoding=options["encoding"])
            try:
                report = services.import_records(
                    account,
                    records,
                    batch_size=batch_size,
                    on_bad_line=bad_line,
                    on_batch=advance,
                )
            except files.FileFormatError as exc:
                raise CommandError(f"{path}: {exc}", returncode=EXIT_BAD_LINES) from None
            advance(report)
        return report
