"""`panal demo`: load Ceibo Telecom, the demo company, and print its logins (docs/demo.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from panal.demo import content, loader
from panal.org.choices import Role


class Command(BaseCommand):
    help = "Load the demo company (idempotent): people for every role, accounts, topics, mentions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mentions", type=int, default=3000, metavar="N", help="mentions to load (3000)"
        )
        parser.add_argument(
            "--days", type=float, default=30, metavar="D", help="spread over the last D days (30)"
        )
        parser.add_argument(
            "--seed", type=int, default=content.DEFAULT_SEED, help="another seed, other mentions"
        )
        parser.add_argument(
            "--bare", action="store_true", help="only the company, people and accounts"
        )

    def handle(self, *args, **options) -> None:
        if options["mentions"] < 0 or options["days"] <= 0:
            raise CommandError("--mentions must be 0 or more and --days more than 0")
        result = loader.load(
            options["mentions"], days=options["days"], seed=options["seed"], bare=options["bare"]
        )
        console = Console(file=self.stdout, highlight=False, soft_wrap=True)
        console.print(self._logins(result))
        org = result.organisation
        topics = f"{result.topics} topics, " if result.topics else ""
        console.print(
            f"{org.name}: {org.brands.count()} brands, {result.accounts} channel accounts, "
            f"{topics}{result.created:,} new mentions ({result.unchanged:,} already there"
            f"{f', {result.edited:,} updated' if result.edited else ''}), "
            f"{result.processed:,} processed, {result.cases:,} cases open or handled, "
            f"in {result.seconds:.1f} s.",
            markup=False,
        )
        if not settings.DEBUG:
            self.stderr.write(
                "Warning: PANAL_DEBUG is off; these logins share a published password."
            )

    @staticmethod
    def _logins(result: loader.LoadResult) -> Table:
        labels = dict(Role.choices)
        table = Table(title=f"{result.organisation.name} — password: {loader.PASSWORD}")
        for column in ("user", "name", "role", "team"):
            table.add_column(column)
        for login, user in result.users:
            membership = user.memberships.filter(organisation=result.organisation).first()
            role = str(labels[login.role]) if login.role else "superuser (Django admin)"
            team = membership.team.name if membership and membership.team else "—"
            table.add_row(login.username, f"{login.first_name} {login.last_name}", role, team)
        return table
