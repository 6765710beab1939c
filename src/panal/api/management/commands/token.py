"""`panal token create|list|revoke`: manage API tokens (docs/api.md)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from panal.api import services
from panal.api.models import ApiToken
from panal.core import clock


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="Make a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--expires-days", type=int, default=None, help="Refuse it after this many days."
        )
        listing = sub.add_parser("list", help="Show tokens (prefix, user, name, status).")
        listing.add_argument("--user", default=None, help="Only this user's tokens.")
        revoke = sub.add_parser("revoke", help="Refuse a token from now on.")
        revoke.add_argument("prefix", help="The token's first characters, e.g. pnl_Ab12Cd34.")

    def handle(self, *args, **options):
        getattr(self, "_" + options["action"])(options)

    def _create(self, options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is inactive.")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = clock.now() + timedelta(days=days) if days else None
        try:
            new = services.create_token(user, options["name"], expires_at=expires_at)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Token {new.token.prefix}… for {user.username} ({new.token.name}). "
            "It is shown once; store it now."
        )
        self.stdout.write(new.raw)

    def _list(self, options):
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at")
        if options["user"]:
            tokens = tokens.filter(user__username=options["user"])
        now = clock.now()
        rows = [("PREFIX", "USER", "NAME", "STATUS", "CREATED", "LAST USED", "EXPIRES")]
        for t in tokens:
            rows.append(
                (
                    t.prefix,
                    t.user.username,
                    t.name,
                    services.status(t, now),
                    _day(t.created_at),
                    _day(t.last_used_at),
                    _day(t.expires_at),
                )
            )
        if len(rows) == 1:
            self.stdout.write("No tokens.")
            return
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )

    def _revoke(self, options):
        try:
            token = services.token_by_prefix(options["prefix"])
        except services.TokenNotFound as exc:
            raise CommandError(str(exc)) from exc
        if services.revoke_token(token):
            self.stdout.write(f"Revoked {token.prefix}… ({token.user.username}, {token.name}).")
        else:
            self.stdout.write(f"{token.prefix}… was already revoked.")


def _day(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
