"""API tokens: create, revoke, authenticate (docs/api.md).

A token is `pnl_` + 43 URL-safe characters (32 random bytes). Only its SHA-256 is
stored; the raw token is shown once, to whoever created it. A token acts as its
user with that user's current roles, so revoking a membership also narrows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from panal.core import clock

from .models import TOKEN_PREFIX, ApiToken, hash_token

# Characters of the raw token kept in clear to tell tokens apart ("pnl_" + 8).
PREFIX_CHARS = 12
# last_used_at is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Longer than any token we make; anything longer is refused without hashing.
_MAX_RAW_CHARS = 100


class TokenNotFound(LookupError):
    """No token, or more than one, matches the prefix given."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


def create_token(user, name: str, *, expires_at: datetime | None = None) -> NewToken:
    """Make a token for `user`; the caller shows `raw` once and forgets it."""
    name = name.strip()
    if not name:
        raise ValueError("A token needs a name saying what it is for.")
    if expires_at is not None and expires_at <= clock.now():
        raise ValueError("The expiry date is in the past.")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:PREFIX_CHARS],
        key_hash=hash_token(raw),
        expires_at=expires_at,
    )
    return NewToken(token=token, raw=raw)


def revoke_token(token: ApiToken) -> bool:
    """Refuse the token from now on. Returns False if it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    return True


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke every token of `tokens` not yet revoked; returns how many."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=clock.now())


def token_by_prefix(prefix: str) -> ApiToken:
    """The one token whose prefix starts with `prefix` (at least the `pnl_` and 4 more)."""
    prefix = prefix.strip().rstrip("…")
    if len(prefix) < len(TOKEN_PREFIX) + 4:
        raise TokenNotFound("Give at least the first 8 characters of the token.")
    matches = list(ApiToken.objects.filter(prefix__startswith=prefix[:PREFIX_CHARS])[:2])
    if not matches:
        raise TokenNotFound(f"No token starts with {prefix!r}.")
    if len(matches) > 1:
        raise TokenNotFound(f"More than one token starts with {prefix!r}; give more characters.")
    return matches[0]


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def authenticate(raw: str):
    """The active user a raw token acts as, or None (unknown, revoked, expired, inactive)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > _MAX_RAW_CHARS:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    now = clock.now()
    if token is None or not is_usable(token, now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def status(token: ApiToken, now: datetime | None = None) -> str:
    """The token's state for lists: active, revoked or expired."""
    if token.revoked_at is not None:
        return "revoked"
    if not is_usable(token, now):
        return "expired"
    return "active"
