"""`panal listen`: keep the streaming and polling channels flowing (docs/channels.md)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from panal.channels import runner
from panal.channels.base import ChannelError


class Command(BaseCommand):
    help = (
        "Listen on the streaming and polling channel accounts, checkpointing cursors in the "
        "database; drain pushed deliveries and send due replies. Stops on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--account", action="append", default=[], help="Only this account (slug); repeatable."
        )
        parser.add_argument(
            "--kind", action="append", default=[], help="Only accounts of this kind; repeatable."
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Poll each account once, drain deliveries, then exit (for cron or a check).",
        )
        parser.add_argument(
            "--no-housekeeping",
            action="store_true",
            help="Do not drain deliveries or send replies here (another process does).",
        )

    def handle(self, *args, **options):
        skipped: list = []
        accounts = runner.pulling_accounts(options["account"], options["kind"], skipped=skipped)
        for account, missing in skipped:
            self.stdout.write(f"{account.slug}: not configured (missing {', '.join(missing)})")
        if options["account"] and not accounts:
            raise CommandError(
                "no active polling or streaming account matches " + ", ".join(options["account"])
            )
        if options["once"]:
            self.once(accounts)
            return
        stop = threading.Event()

        def ask_to_stop(signum, frame):
            self.stdout.write("Stopping…")
            stop.set()

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        names = ", ".join(a.slug for a in accounts) or "no pulling accounts yet"
        self.stdout.write(f"Listening: {names}. SIGTERM or Ctrl-C stops.")
        runner.listen(
            stop,
            slugs=options["account"],
            kinds=options["kind"],
            housekeeping=not options["no_housekeeping"],
        )
        self.stdout.write("Stopped; cursors are saved.")

    def once(self, accounts) -> None:
        failed = 0
        for account in accounts:
            connector = runner.connector_for(account.kind)
            if (
                not runner.uses_stream(connector, account)
                or runner.Capability.POLL in connector.capabilities
            ):
                try:
                    stored = runner.poll_once(account, connector=connector)
                except ChannelError as exc:
                    failed += 1
                    self.stderr.write(f"{account.slug}: {exc}")
                    continue
                self.stdout.write(f"{account.slug}: {stored} new or changed")
            else:
                self.stdout.write(f"{account.slug}: streams only; run `panal listen` to follow it")
        drained = runner.deliveries.drain_all()
        sent = runner.replies.send_due()
        self.stdout.write(f"Deliveries processed: {drained}; replies sent: {sent}")
        if failed:
            raise CommandError(f"{failed} account(s) failed")
