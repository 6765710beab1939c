"""`panal classify FILE.jsonl [--out FILE.jsonl] [--org SLUG]`: the default path on a file
(docs/understanding.md#panal-classify).

Each line is a JSON object with at least a string "text"; it is written back with its
fields and the predictions added; urgency also reads the line's author and visibility
fields, and with `--org` the organisation's own models and catalogue answer. A bad line
is reported on stderr with its number and left out; the rest goes on. Exit codes: 0
done; 1 a bad line, a missing input file or a broken model, with the reason on stderr;
2 an unknown organisation.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panal.understanding import annotate
from panal.understanding.engine import ModelError
from panal.understanding.language import LanguageModelError

BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (
        "Add language, sentiment, intents, urgency and entities to every line of a JSON Lines file."
    )
    # Classifying reads files only; the system checks would cost half a second.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE.jsonl", help="lines with a text")
        parser.add_argument(
            "--out", type=Path, metavar="FILE.jsonl", help="where to write (default: stdout)"
        )
        parser.add_argument(
            "--org", metavar="SLUG",
            help="use this organisation's own models and catalogue (default: the shipped ones)",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        source: Path = options["file"]
        organisation_id = None
        if options["org"]:
            from panal.org.models import Organisation

            found = Organisation.objects.filter(slug=options["org"]).values_list("id", flat=True)
            if not found:
                raise CommandError(f"no organisation {options['org']!r}", returncode=2)
            organisation_id = found[0]
        try:
            loaded = annotate.load(organisation_id)
            models = annotate.model_names(loaded)
        except (ModelError, LanguageModelError) as exc:
            raise CommandError(str(exc), returncode=1) from None
        try:
            lines = source.open("rb")
        except OSError as exc:
            raise CommandError(f"{source}: {exc.strerror}", returncode=1) from None
        out = options["out"].open("w", encoding="utf-8") if options["out"] else None
        write = out.write if out else self.stdout.write
        err = getattr(self.stderr, "_out", sys.stderr)
        bad = done = 0
        seconds = 0.0
        batch: list[dict] = []

        def flush() -> None:
            nonlocal seconds, done
            start = time.perf_counter()
            found = annotate.annotate([record["text"] for record in batch], loaded, batch)
            seconds += time.perf_counter() - start
            for record, added in zip(batch, found, strict=True):
                record.update(added, models=models)
                write(json.dumps(record, ensure_ascii=False) + "\n")
            done += len(batch)
            batch.clear()

        try:
            with lines:
                for number, raw in enumerate(lines, start=1):
                    if not raw.strip():
                        continue
                    record, reason = _parse(raw)
                    if reason:
                        bad += 1
                        err.write(f"{source.name}, line {number}: {reason}\n")
                        continue
                    batch.append(record)
                    if len(batch) >= BATCH_SIZE:
                        flush()
                if batch:
                    flush()
        finally:
            if out:
                out.close()
        rate = done / seconds if seconds else 0.0
        err.write(f"classified {done} texts ({bad} bad lines) at {rate:,.0f} texts/s\n")
        if bad:
            raise CommandError(f"{bad} bad line(s) in {source.name}", returncode=1)


def _parse(raw: bytes) -> tuple[dict, str]:
    """(the line's object, "") or ({}, why it is bad)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return {}, "not UTF-8"
    except ValueError:
        return {}, "not JSON"
    if not isinstance(record, dict):
        return {}, "not a JSON object"
    if not isinstance(record.get("text"), str):
        return {}, 'no "text" string'
    return record, ""
