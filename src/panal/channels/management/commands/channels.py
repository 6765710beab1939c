"""`panal channels`: add, list and check channel accounts (docs/channels.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify
from rich.console import Console
from rich.table import Table

from panal.channels import health, services
from panal.channels.base import AuthFailed, Capability, ChannelError, all_connectors, connector_for
from panal.channels.configure import SettingError, apply_settings, parse_pairs
from panal.channels.models import ChannelAccount, Health
from panal.core import clock
from panal.org.models import Brand, Organisation


class Command(BaseCommand):
    help = "Add, list and check channel accounts; `panal channels kinds` lists the networks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Configure a new account.")
        add.add_argument("kind")
        add.add_argument("name")
        add.add_argument("--org", required=True, help="Organisation slug.")
        add.add_argument("--slug", help="Account slug (URLs); made from the name by default.")
        add.add_argument("--brand", help="Brand name or id the account belongs to.")
        add.add_argument("--handle", default="", help="Our own handle on the network.")
        add.add_argument(
            "--self-id", action="append", default=[], help="Our own id there; repeatable."
        )
        add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
        add.add_argument("--check", action="store_true", help="Test the credentials after adding.")
        change = sub.add_parser("set", help="Change settings of an account.")
        change.add_argument("slug")
        change.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
        sub.add_parser("list", help="Accounts with their health.")
        check = sub.add_parser("check", help="Test an account's credentials against the network.")
        check.add_argument("slug")
        sub.add_parser("kinds", help="The networks and their settings.")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            getattr(self, f"do_{action}")(options)
        except SettingError as exc:
            raise CommandError(str(exc)) from None

    def do_kinds(self, options) -> None:
        console = Console(file=self.stdout, width=120)
        for kind, connector in all_connectors().items():
            caps = ", ".join(sorted(c.value for c in connector.capabilities))
            console.print(f"[bold]{kind}[/bold] — {connector.label or kind} ({caps})")
            for spec in connector.settings:
                flags = "required" if spec.required else f"default {spec.default!r}"
                secret = ", secret" if spec.secret else ""
                console.print(f"    {spec.name} ({spec.kind}, {flags}{secret}): {spec.help}")

    def do_add(self, options) -> None:
        kind = options["kind"]
        connector = connector_for(kind)
        if connector is None:
            raise CommandError(f"unknown kind {kind!r}; known: {', '.join(all_connectors())}")
        org = Organisation.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        slug = options["slug"] or slugify(options["name"])[:50]
        if not slug:
            raise CommandError("give --slug: the name makes no slug")
        if ChannelAccount.objects.filter(slug=slug).exists():
            raise CommandError(f"an account with slug {slug!r} exists already")
        brand = None
        if options["brand"]:
            brands = Brand.objects.filter(organisation=org)
            brand = (
                brands.filter(pk=options["brand"]).first()
                if options["brand"].isdigit()
                else brands.filter(name__iexact=options["brand"]).first()
            )
            if brand is None:
                raise CommandError(f"no brand {options['brand']!r} in {org.slug}")
        settings, credentials = apply_settings(connector, parse_pairs(options["set"]))
        with transaction.atomic():
            account = ChannelAccount.objects.create(
                organisation=org,
                brand=brand,
                kind=kind,
                slug=slug,
                name=options["name"],
                handle=options["handle"],
                settings=settings,
                credentials=credentials,
                self_ids=options["self_id"],
                secrets=[],
            )
            secret = services.rotate_secret(account) if connector.new_hook_secret() else None
        self.stdout.write(f"Added {account.slug} ({kind}).")
        if Capability.PUSH in connector.capabilities:
            self.stdout.write(f"Webhook URL path: {account.hook_path}")
        if secret:
            self.stdout.write(f"Signing secret (shown once): {secret}")
        if options["check"]:
            self.do_check({"slug": slug})

    def do_set(self, options) -> None:
        account = self._account(options["slug"])
        connector = connector_for(account.kind)
        settings, credentials = apply_settings(
            connector,
            parse_pairs(options["set"]),
            settings=account.settings,
            credentials=account.credentials,
        )
        account.settings, account.credentials = settings, credentials
        account.health, account.health_reason, account.failures = Health.UNKNOWN, "", 0
        account.save()
        self.stdout.write(f"Updated {account.slug}.")

    def do_list(self, options) -> None:
        table = Table(
            "slug", "kind", "organisation", "health", "last event", "token expires", "reason"
        )
        for account in ChannelAccount.objects.select_related("organisation").order_by("slug"):
            table.add_row(
                account.slug,
                account.kind,
                account.organisation.slug,
                account.health if account.is_active else "inactive",
                account.last_event_at.strftime("%Y-%m-%d %H:%M") if account.last_event_at else "—",
                account.token_expires_at.strftime("%Y-%m-%d") if account.token_expires_at else "—",
                account.health_reason[:60],
            )
        Console(file=self.stdout, width=160).print(table)

    def do_check(self, options) -> None:
        account = self._account(options["slug"])
        connector = connector_for(account.kind)
        http = connector.make_http(account)
        try:
            found = connector.check(account, http)
        except ChannelError as exc:
            health.record_failure(account, exc)
            kind = "rejected" if isinstance(exc, AuthFailed) else "failed"
            raise CommandError(f"{account.slug}: check {kind}: {exc}") from None
        finally:
            http.close()
        fields = ["health", "health_reason", "health_changed_at", "failures"]
        account.health, account.health_reason = Health.CONNECTED, ""
        account.health_changed_at, account.failures = clock.now(), 0
        if found.handle:
            account.handle = found.handle
            fields.append("handle")
        if found.self_ids:
            account.self_ids = sorted(set(account.self_ids or []) | set(found.self_ids))
            fields.append("self_ids")
        if found.token_expires_at:
            account.token_expires_at = found.token_expires_at
            fields.append("token_expires_at")
        account.save(update_fields=fields)
        self.stdout.write(
            f"{account.slug}: connected"
            + (f" as {account.handle}" if account.handle else "")
            + (
                f"; token expires {account.token_expires_at:%Y-%m-%d}"
                if account.token_expires_at
                else ""
            )
        )

    def _account(self, slug: str) -> ChannelAccount:
        account = ChannelAccount.objects.filter(slug=slug).first()
        if account is None:
            raise CommandError(f"no channel account with slug {slug!r}")
        return account
