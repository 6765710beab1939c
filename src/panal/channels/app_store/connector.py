"""App Store Connect customer reviews: ES256 JWT, polled pages, responses (README.md here)."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from urllib.parse import quote, urlsplit

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
    Rejected,
    Sent,
    Setting,
    Unavailable,
    register,
)
from panal.channels.http import DEFAULT_WAIT, Http, RateScheme
from panal.channels.wire import iso_time
from panal.core import clock
from panal.listening.choices import Channel
from panal.listening.normalise import ItemError

from . import wire

AUDIENCE = "appstoreconnect-v1"
LIFETIME = 19 * 60  # seconds; Apple refuses tokens that live longer than 20 minutes
RENEW_BEFORE = 120  # seconds before expiry when a cached token is replaced
SEEN = 2000  # reviews whose content digest is remembered (edits are found among them)


# --- auth --------------------------------------------------------------------------------

_TOKENS: dict[tuple[str, str, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def pem(value: str) -> str:
    """The key as PEM text; `\\n` typed on a command line becomes a line break."""
    return (value or "").replace("\\n", "\n").strip()


def token(issuer_id: str, key_id: str, private_key: str) -> str:
    """A signed App Store Connect token, reused until shortly before it expires."""
    key = pem(private_key)
    cache_key = (issuer_id, key_id, hashlib.sha256(key.encode()).hexdigest())
    now = clock.now().timestamp()
    with _TOKENS_LOCK:
        cached = _TOKENS.get(cache_key)
        if cached and cached[1] - RENEW_BEFORE > now:
            return cached[0]
        issued = int(now)
        claims = {"iss": issuer_id, "iat": issued, "exp": issued + LIFETIME, "aud": AUDIENCE}
        try:
            signed = jwt.encode(
                claims, key, algorithm="ES256", headers={"kid": key_id, "typ": "JWT"}
            )
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthFailed(
                _("the private key is not a usable .p8 (EC P-256) key: %(error)s")
                % {"error": str(exc)[:200]}
            ) from None
        _TOKENS[cache_key] = (signed, issued + LIFETIME)
        return signed


class AppStoreAuth(httpx.Auth):
    """Puts a fresh or cached bearer token on every request."""

    def __init__(self, issuer_id: str, key_id: str, private_key: str):
        self.issuer_id, self.key_id, self.private_key = issuer_id, key_id, private_key

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = (
            f"Bearer {token(self.issuer_id, self.key_id, self.private_key)}"
        )
        yield request


# --- limits and errors -----------------------------------------------------------------


def rate_budget(value: str | None) -> dict[str, int]:
    """`X-Rate-Limit: user-hour-lim:3600;user-hour-rem:0;` as {"user-hour-lim": 3600, …}."""
    found: dict[str, int] = {}
    for part in (value or "").split(";"):
        name, sep, number = part.partition(":")
        if sep and number.strip().lstrip("-").isdigit():
            found[name.strip().lower()] = int(number.strip())
    return found


class AppleRate(RateScheme):
    """Apple states an hourly budget and what is left of it, but no reset time."""

    def __init__(self) -> None:
        super().__init__("x-rate-limit", "x-rate-limit", "seconds")

    def exhausted(self, response: httpx.Response) -> bool:
        left = rate_budget(response.headers.get("x-rate-limit")).get("user-hour-rem")
        return left is not None and left <= 0

    def reset_at(self, response: httpx.Response, now: datetime) -> datetime | None:
        # The hour is rolling: try again after the default wait when nothing is left.
        return now + DEFAULT_WAIT if self.exhausted(response) else None


def body_error(response: httpx.Response, now: datetime):
    """JSON:API errors: `{"errors": [{"status", "code", "title", "detail"}]}`."""
    if response.status_code < 400:
        return None
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return None
    text = " ".join(str(first.get(k) or "") for k in ("title", "detail")).strip()[:300]
    message = f"App Store Connect: {text} ({first.get('code', response.status_code)})"
    if response.status_code == 401:
        return AuthFailed(message)
    if response.status_code >= 500:
        return Unavailable(message)
    return Rejected(message)


class AppStoreConnector(Connector):
    kind = Channel.APP_STORE
    label = "App Store reviews"
    capabilities = frozenset({Capability.POLL, Capability.REPLY})
    reply_limit = 5970
    poll_interval = 600.0
    rate_scheme = AppleRate()
    settings = (
        Setting(
            "base_url",
            "App Store Connect API.",
            default="https://api.appstoreconnect.apple.com",
            kind="url",
        ),
        Setting("app_id", "The app's Apple ID (a number, in App Store Connect).", required=True),
        Setting("issuer_id", "Issuer ID of the API key (Users and Access).", required=True),
        Setting("key_id", "Key ID of the API key.", required=True),
        Setting(
            "private_key",
            "The API key's .p8 file (PEM text, EC P-256).",
            required=True,
            secret=True,
        ),
        Setting("poll_interval", "Seconds between polls.", default=600, kind="int"),
    )

    def make_http(self, account) -> Http:
        auth = AppStoreAuth(
            str(self.setting(account, "issuer_id") or ""),
            str(self.setting(account, "key_id") or ""),
            str(self.setting(account, "private_key") or ""),
        )
        return Http(
            self.setting(account, "base_url"),
            auth=auth,
            rate=self.rate_scheme,
            body_error=body_error,
            headers={"Accept": "application/json"},
        )

    def _reviews_path(self, account) -> str:
        app_id = quote(str(self.setting(account, "app_id") or ""), safe="")
        return f"v1/apps/{app_id}/customerReviews"

    def _next(self, account, link: str) -> str:
        """`links.next` is an absolute URL: only ever follow it to the account's own host."""
        base, target = urlsplit(self.setting(account, "base_url")), urlsplit(link)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise Rejected(_("App Store Connect's next page points to another host"))
        return link

    # -- poll ---------------------------------------------------------------------------
    def poll(self, account, http: Http, cursor: dict) -> Page:
        """Newest first; page on until the reviews are older than the newest stored one.

        Every review on a fetched page is compared with its remembered digest, so a review
        the author rewrote (same id, new text) is recorded as an edit.
        """
        run = cursor.get("run") if isinstance(cursor.get("run"), dict) else None
        response = None
        if run and run.get("next"):
            link = self._next(account, str(run["next"]))
            try:
                response = http.get(link)
            except Rejected:
                response = None  # the page link expired: start again from the newest
        if response is None:
            newest = cursor.get("newest", "")
            run = {"until": newest, "head": newest}
            response = http.get(
                self._reviews_path(account),
                params={"sort": "-createdDate", "limit": "200", "include": "response"},
            )
        try:
            data = common.json_body(response.content, what="a customerReviews page")
        except BadPayload as exc:
            raise Unavailable(str(exc)) from None
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise Unavailable("App Store Connect sent a page without a data list")
        until, head = iso_time(run.get("until")), iso_time(run.get("head"))
        known = {
            r[0]: r[1] for r in cursor.get("seen") or [] if isinstance(r, list) and len(r) == 2
        }
        answers = wire.responses(data)
        page = Page()
        fresh: list[list[str]] = []
        oldest = None
        for review in data["data"]:
            if not isinstance(review, dict):
                continue
            ident, when = str(review.get("id", "")), wire.created(review)
            if when is not None:
                oldest = when if oldest is None or when < oldest else oldest
                head = when if head is None or when > head else head
            digest = wire.version(review)
            fresh.append([ident, digest])
            if known.get(ident) == digest:
                continue
            try:
                page.items.append(wire.item_of(review, response=answers.get(ident)))
            except ItemError as exc:
                page.errors.append(f"review {ident[:80]}: {exc}")
        ids = {row[0] for row in fresh}
        seen = (fresh + [[k, v] for k, v in known.items() if k not in ids])[:SEEN]
        link = (data.get("links") or {}).get("next")
        # Older than the newest review stored means everything after it is known too.
        more = bool(link and data["data"]) and (until is None or bool(oldest and oldest > until))
        if more:
            page.cursor = {
                "newest": cursor.get("newest", ""),
                "seen": seen,
                "run": {
                    "next": link,
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
        payload = {
            "data": {
                "type": "customerReviewResponses",
                "attributes": {"responseBody": text},
                "relationships": {
                    "review": {"data": {"type": "customerReviews", "id": mention.external_id}}
                },
            }
        }
        response = http.post("v1/customerReviewResponses", json=payload)
        try:
            data = (response.json() or {}).get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        if not data.get("id"):
            raise Rejected("App Store Connect accepted the response but sent no id")
        attributes = data.get("attributes") or {}
        return Sent(
            f"response:{data['id']}",
            "",
            {"id": str(data["id"]), "state": str(attributes.get("state", ""))},
        )

    def check(self, account, http: Http) -> AccountCheck:
        app_id = quote(str(self.setting(account, "app_id") or ""), safe="")
        http.get(f"v1/apps/{app_id}")
        return AccountCheck()


connector = register(AppStoreConnector())
