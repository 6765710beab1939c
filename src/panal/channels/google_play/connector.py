"""Google Play reviews: service-account JWT grant, polled reviews, replies (README.md here)."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import jwt
from django.utils.translation import gettext as _

from panal.channels import wire as common
from panal.channels.base import (
    AccountCheck,
    AuthFailed,
    BadPayload,
    Capability,
    Connector,
    Page,
    RateLimited,
    Rejected,
    Sent,
    Setting,
    Unavailable,
    register,
)
from panal.channels.http import DEFAULT_WAIT, Http, RefreshingBearer, retry_after
from panal.channels.wire import iso_time
from panal.core import clock
from panal.listening.choices import Channel
from panal.listening.normalise import ItemError

from . import wire

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # seconds: Google's maximum for the signed assertion
RENEW_BEFORE = 60  # seconds before expiry when a cached access token is replaced
SEEN = 2000  # reviews whose content digest is remembered
PACIFIC = ZoneInfo("America/Los_Angeles")  # Google's daily quotas restart at its midnight
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
QUOTA_REASONS = {"quotaExceeded"}
DAILY_REASONS = {"dailyLimitExceeded"}


# --- auth --------------------------------------------------------------------------------

_TOKENS: dict[tuple[str, str, str], tuple[str, float]] = {}
_LOCKS: dict[tuple[str, str, str], threading.Lock] = {}  # one per service account
_LOCKS_LOCK = threading.Lock()


def pem(value: str) -> str:
    """The key as PEM text; `\\n` typed on a command line becomes a line break."""
    return (value or "").replace("\\n", "\n").strip()


def token_error(response: httpx.Response, now: datetime):
    """OAuth errors: `{"error": "invalid_grant", "error_description": "…"}`."""
    if response.status_code < 400:
        return None
    try:
        data = response.json()
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    reason = str(data.get("error") or "")[:80]
    text = f"Google sign-in: {reason} {str(data.get('error_description') or '')[:200]}".strip()
    if response.status_code >= 500:
        return Unavailable(text)
    if response.status_code in (400, 401, 403):
        return AuthFailed(text)
    return None


class TokenSource:
    """Access tokens for one service account: a JWT bearer grant, cached until expiry."""

    def __init__(self, token_url: str, client_email: str, private_key: str):
        self.token_url, self.client_email = token_url, client_email
        self.private_key = pem(private_key)
        digest = hashlib.sha256(self.private_key.encode()).hexdigest()
        self.key = (token_url, client_email, digest)

    def assertion(self, now: int) -> str:
        claims = {
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        try:
            return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"typ": "JWT"})
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthFailed(
                _("the service account's private key is not a usable RSA key: %(error)s")
                % {"error": str(exc)[:200]}
            ) from None

    def token(self, *, stale: str | None = None) -> str:
        """A valid access token; `stale` is one the API refused, which is not reused."""
        with _LOCKS_LOCK:
            lock = _LOCKS.setdefault(self.key, threading.Lock())
        with lock:  # one grant at a time per account; other accounts are not held up
            now = clock.now().timestamp()
            cached = _TOKENS.get(self.key)
            if cached and cached[0] != stale and cached[1] - RENEW_BEFORE > now:
                return cached[0]
            _TOKENS.pop(self.key, None)
            assertion = self.assertion(int(now))
            with Http("", body_error=token_error) as http:
                response = http.post(
                    self.token_url, data={"grant_type": GRANT, "assertion": assertion}
                )
            try:
                data = response.json()
                access, lifetime = str(data["access_token"]), float(data.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError, AttributeError):
                raise Unavailable("Google's token endpoint sent no access_token") from None
            _TOKENS[self.key] = (access, now + lifetime)
            return access


def _bearer(source: TokenSource) -> RefreshingBearer:
    return RefreshingBearer(lambda stale: source.token(stale=stale or None))


# --- errors ------------------------------------------------------------------------------


def next_pacific_midnight(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    return datetime.combine(local.date() + timedelta(days=1), time(0, 5), PACIFIC)


def body_error(response: httpx.Response, now: datetime):
    """Google's `{"error": {"code", "message", "status", "errors": [{"reason"}]}}`."""
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    reasons = {str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict)} - {
        "None"
    }
    status = str(error.get("status") or "")
    label = status or ", ".join(sorted(reasons)) or str(response.status_code)
    message = f"Google Play: {str(error.get('message') or 'error')[:300]} ({label})"
    waited = retry_after(response, now)
    if reasons & DAILY_REASONS:
        return RateLimited(message, waited or next_pacific_midnight(now))
    if reasons & QUOTA_REASONS:
        return RateLimited(message, waited or now + timedelta(hours=1))
    if reasons & RATE_REASONS or status == "RESOURCE_EXHAUSTED":
        return RateLimited(message, waited or now + DEFAULT_WAIT)
    if response.status_code == 401:
        return AuthFailed(message)
    if response.status_code >= 500:
        return Unavailable(message)
    return Rejected(message)  # 403 PERMISSION_DENIED, 404, 400 INVALID_ARGUMENT


class GooglePlayConnector(Connector):
    kind = Channel.GOOGLE_PLAY
    label = "Google Play reviews"
    capabilities = frozenset({Capability.POLL, Capability.REPLY})
    reply_limit = 350
    poll_interval = 900.0
    settings = (
        Setting(
            "base_url",
            "Android Publisher API.",
            default="https://androidpublisher.googleapis.com/androidpublisher/v3",
            kind="url",
        ),
        Setting(
            "token_url",
            "OAuth token endpoint.",
            default="https://oauth2.googleapis.com/token",
            kind="url",
        ),
        Setting("package_name", "The app's package name (com.example.app).", required=True),
        Setting("client_email", "The service account's e-mail address.", required=True),
        Setting(
            "private_key",
            "The service account's private key (PEM, from its JSON key file).",
            required=True,
            secret=True,
        ),
        Setting(
            "translation_language",
            "Also fetch Google's translation into this language (e.g. es); kept beside the "
            "author's own text.",
            default="",
        ),
        Setting("poll_interval", "Seconds between polls.", default=900, kind="int"),
    )

    def source(self, account) -> TokenSource:
        return TokenSource(
            str(self.setting(account, "token_url")),
            str(self.setting(account, "client_email") or ""),
            str(self.setting(account, "private_key") or ""),
        )

    def make_http(self, account) -> Http:
        return Http(
            self.setting(account, "base_url"),
            auth=_bearer(self.source(account)),
            body_error=body_error,
        )

    def _package(self, account) -> str:
        return str(self.setting(account, "package_name") or "")

    # -- poll ---------------------------------------------------------------------------
    def poll(self, account, http: Http, cursor: dict) -> Page:
        """Most recently changed first; page on until the reviews are older than the newest
        change stored. A review whose user comment changed is an edit."""
        package = self._package(account)
        path = f"applications/{quote(package, safe='')}/reviews"
        params = {"maxResults": "100"}
        language = self.setting(account, "translation_language")
        if language:
            params["translationLanguage"] = str(language)
        run = cursor.get("run") if isinstance(cursor.get("run"), dict) else None
        response = None
        if run and run.get("token"):
            try:
                response = http.get(path, params={**params, "token": str(run["token"])})
            except Rejected:
                response = None  # the page token expired: start again from the newest
        if response is None:
            newest = cursor.get("newest", "")
            run = {"until": newest, "head": newest}
            response = http.get(path, params=params)
        try:
            data = common.json_body(response.content, what="a reviews page")
        except BadPayload as exc:
            raise Unavailable(str(exc)) from None
        if not isinstance(data, dict):
            raise Unavailable("Google Play sent a reviews page that is not an object")
        reviews = data.get("reviews") or []
        until, head = iso_time(run.get("until")), iso_time(run.get("head"))
        known = {
            r[0]: r[1] for r in cursor.get("seen") or [] if isinstance(r, list) and len(r) == 2
        }
        page = Page()
        fresh: list[list[str]] = []
        oldest = None
        for review in reviews if isinstance(reviews, list) else []:
            if not isinstance(review, dict):
                continue
            ident = str(review.get("reviewId") or "")
            when = wire.moment(wire.comment(review, "userComment").get("lastModified"))
            if when is not None:
                oldest = when if oldest is None or when < oldest else oldest
                head = when if head is None or when > head else head
            digest = wire.version(review)
            fresh.append([ident, digest])
            if known.get(ident) == digest:
                continue
            event = "edited" if ident in known else "created"
            try:
                page.items.append(wire.item_of(review, package=package, event=event))
            except ItemError as exc:
                page.errors.append(f"review {ident[:80]}: {exc}")
        ids = {row[0] for row in fresh}
        seen = (fresh + [[k, v] for k, v in known.items() if k not in ids])[:SEEN]
        next_token = (data.get("tokenPagination") or {}).get("nextPageToken")
        more = bool(next_token and reviews) and (until is None or bool(oldest and oldest > until))
        if more:
            page.cursor = {
                "newest": cursor.get("newest", ""),
                "seen": seen,
                "run": {
                    "token": str(next_token),
                    "until": until.isoformat() if until else "",
                    "head": head.isoformat() if head else "",
                },
            }
            page.more = True
        else:
            page.cursor = {"newest": head.isoformat() if head else "", "seen": seen}
        return page

    # -- replies ------------------------------------------------------------------------
    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        package = quote(self._package(account), safe="")
        review = quote(mention.external_id, safe="")
        response = http.post(
            f"applications/{package}/reviews/{review}:reply", json={"replyText": text}
        )
        try:
            result = (response.json() or {}).get("result") or {}
        except (ValueError, AttributeError):
            result = {}
        if not isinstance(result, dict):
            result = {}
        edited = wire.moment(result.get("lastEdited"))
        return Sent(
            f"reply:{mention.external_id}",
            wire.review_url(self._package(account), mention.external_id),
            {
                "reply_text": str(result.get("replyText", ""))[:1000],
                "last_edited": edited.isoformat() if edited else "",
            },
        )

    def check(self, account, http: Http) -> AccountCheck:
        package = quote(self._package(account), safe="")
        http.get(f"applications/{package}/reviews", params={"maxResults": "1"})
        return AccountCheck()


connector = register(GooglePlayConnector())
