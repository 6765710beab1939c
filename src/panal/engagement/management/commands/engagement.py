"""`panal engagement`: diagnose the model practised, simulate another, offboard a person,
run the SLA clock (docs/engagement.md, docs/cli.md).

- `diagnose --org SLUG [--days N] [--json]`: which engagement model the cases show;
- `simulate --org SLUG --model NAME --days N [--json]`: each team's load and SLA under a
  proposed model, beside the current one;
- `offboard --org SLUG --user USERNAME [--by USERNAME]`: hand a leaving person's work
  back to their team;
- `tick [--org SLUG]`: move SLA clocks (warnings, breaches) now.

Exit codes: 0 done; 1 the offboarding was refused (the message says why); 2 an unknown
organisation, model or user, or days out of range (the message names what is wrong).
Nothing is changed on an error. Messages are in English.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from rich.console import Console
from rich.table import Table
from rich.text import Text

from panal.engagement import diagnose as diagnosing
from panal.engagement import simulate as simulating
from panal.org.models import Organisation

EXIT_REFUSED = 1
EXIT_UNKNOWN = 2


class Command(BaseCommand):
    help = "Diagnose the engagement model practised, simulate another, offboard, tick SLAs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        diagnose = sub.add_parser("diagnose", help="Which model the cases show.")
        diagnose.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        diagnose.add_argument("--days", default="90", metavar="N", help="period (90)")
        diagnose.add_argument("--json", action="store_true", help="print JSON")
        simulate = sub.add_parser("simulate", help="Replay mentions through another model.")
        simulate.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        simulate.add_argument(
            "--model", required=True, metavar="NAME", help=", ".join(sorted(simulating.MODELS))
        )
        simulate.add_argument("--days", required=True, metavar="N", help="the last N days")
        simulate.add_argument("--json", action="store_true", help="print JSON")
        offboard = sub.add_parser("offboard", help="Hand a leaving person's work to their team.")
        offboard.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        offboard.add_argument("--user", required=True, metavar="USERNAME", help="who leaves")
        offboard.add_argument("--by", metavar="USERNAME", help="who does it (for the history)")
        tick = sub.add_parser("tick", help="Move the SLA clocks now.")
        tick.add_argument("--org", metavar="SLUG", help="one organisation (default: all)")

    @no_translations  # the CLI speaks English, whatever the language setting (docs/cli.md)
    def handle(self, *args, **options) -> None:
        getattr(self, f"do_{options['action']}")(options)

    # --- diagnose ---------------------------------------------------------------------

    def do_diagnose(self, options: dict) -> None:
        organisation = _organisation(options["org"])
        days = _days(options["days"], diagnosing.MAX_DAYS)
        result = diagnosing.diagnose(organisation, days=days)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
            return
        console = Console(file=self.stdout, width=120, highlight=False)
        console.print(f"[bold]{organisation.slug}[/bold]: the last {days} days", markup=True)
        console.print(f"configured model: {result.configured}", markup=False)
        if result.model is None:
            console.print("practised model: no verdict (too little data)", markup=False)
        else:
            match = "matches" if result.matches else "differs from the configured one"
            console.print(
                f"practised model: {result.model} (fit {result.fit:.2f}, "
                f"confidence {result.confidence:.2f} {result.level}; {match})",
                markup=False,
            )
        signals = Table("signal", "value", title="Signals")
        for name in diagnosing.SIGNALS:
            value = result.signals.get(name)
            signals.add_row(name, "—" if value is None else f"{value:.2f}")
        console.print(signals)
        if result.scores:
            scores = Table("model", "score", title="Fit of each model")
            for name, value in result.ranking:
                scores.add_row(name, f"{value:.2f}")
            console.print(scores)
        for sentence in result.sentences:
            console.print(sentence, markup=False)

    # --- simulate ---------------------------------------------------------------------

    def do_simulate(self, options: dict) -> None:
        organisation = _organisation(options["org"])
        try:
            simulating.check_model(options["model"])
        except LookupError as exc:
            raise CommandError(str(exc.args[0]), returncode=EXIT_UNKNOWN) from None
        days = _days(options["days"], simulating.MAX_DAYS)
        result = simulating.simulate(organisation, options["model"], days=days)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
            return
        console = Console(file=self.stdout, width=160, highlight=False)
        console.print(
            f"{organisation.slug}: {result.mentions} mentions in the last {days} days: "
            f"{result.cases} cases, {result.joined} joined a conversation's case, "
            f"{result.no_case} no case ({result.not_understood} not understood yet)",
            markup=False,
        )
        for problem in result.problems:
            console.print(f"warning: {problem}", markup=False)
        proposed, current = result.proposed, result.current
        table = Table(title="Proposed and current model, per team")
        table.add_column("team", no_wrap=True)
        for header in ("members", "rate/h"):
            table.add_column(header)
        for run in (proposed, current):
            table.add_column(f"{run.model}\ncases", no_wrap=True)
            for header in ("per day", "SLA met", "median", "p90"):
                table.add_column(header)
        for new, old in result.rows():
            team = new or old
            rate = f"{team.rate:.1f} ({team.rate_source})" if team.team_id else "—"
            label = team.slug or team.name
            table.add_row(
                Text(label), str(team.members), rate, *_cells(new, days), *_cells(old, days)
            )
        table.add_row(
            "all teams", "", "", *_cells(proposed, days), *_cells(current, days), style="bold"
        )
        console.print(table)

    # --- offboard and tick (their logic lives in continuity.py and sla.py) -------------

    def do_offboard(self, options: dict) -> None:
        from panal.engagement import continuity

        organisation = _organisation(options["org"])
        user = _user(options["user"])
        actor = _user(options["by"]) if options["by"] else None
        try:
            counts = continuity.offboard(user, organisation, actor=actor)
        except (PermissionDenied, ValueError) as exc:  # refused: nothing was changed
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from None
        self._counts(counts)

    def do_tick(self, options: dict) -> None:
        from panal.engagement import sla

        organisation = _organisation(options["org"]) if options["org"] else None
        counts = sla.tick(organisation=organisation)
        self._counts(counts)

    def _counts(self, counts: dict) -> None:
        for key, value in (counts or {}).items():
            self.stdout.write(f"{key}: {value}")


def _organisation(slug: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no organisation {slug!r}", returncode=EXIT_UNKNOWN)
    return found


def _user(username: str):
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise CommandError(f"no user {username!r}", returncode=EXIT_UNKNOWN)
    return found


def _days(value: str, limit: int) -> int:
    text = str(value).strip()
    days = int(text) if text.isdigit() and len(text) < 6 else None
    if days is None or not 1 <= days <= limit:
        raise CommandError(
            f"--days {value!r} must be a whole number from 1 to {limit}", returncode=EXIT_UNKNOWN
        )
    return days


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _cells(load, days: int) -> list[str]:
    """cases (share), per day, SLA met, median, p90 of a TeamLoad or a Run (None: none)."""
    if load is None:
        return ["0", "0", "—", "—", "—"]
    share = getattr(load, "share", None)
    cases = f"{load.cases} ({round(share * 100)} %)" if share is not None else str(load.cases)
    met = "—" if load.met_share is None else f"{round(load.met_share * 100)} %"
    if getattr(load, "unserved", 0):
        met += f", {load.unserved} unserved"
    return [cases, f"{load.cases / days:.1f}", met, _duration(load.median), _duration(load.p90)]
