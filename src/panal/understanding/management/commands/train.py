"""`panal train`: rebuild every shipped model from the repository's data (docs/cli.md).

Runs each registered recipe (`panal.understanding.builtin`) into `models/NAME/`, or into
`--out DIR/NAME`, and prints its dev scores. Deterministic: the same data, the same
predictions.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panal.understanding import builtin, engine
from panal.understanding.corpus import DataError


class Command(BaseCommand):
    help = "Rebuild every model shipped with Panal from the repository's data."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            metavar="DIR",
            help=f"write DIR/NAME instead of the shipped {engine.BUILTIN_DIR}/NAME",
        )
        parser.add_argument(
            "--only", action="append", metavar="NAME", help="rebuild only this model (repeatable)"
        )

    def handle(self, *args, **options) -> None:
        out = options["out"] or engine.BUILTIN_DIR
        chosen = [r for r in builtin.recipes() if not options["only"] or r.name in options["only"]]
        unknown = set(options["only"] or []) - {r.name for r in builtin.recipes()}
        if unknown:
            raise CommandError(f"no recipe for {', '.join(sorted(unknown))}", returncode=1)
        for recipe in chosen:
            try:
                scores = recipe.build(out / recipe.name)
            except (DataError, engine.ModelError, engine.TrainingError) as exc:
                raise CommandError(f"{recipe.name}: {exc}", returncode=1) from None
            self.stdout.write(f"{recipe.name} → {out / recipe.name}: {json.dumps(scores)}")
