"""One HTTP client for every connector: base URL from the account, rate limits honoured.

Networks say how long to wait in different ways (docs/channels.md, "Rate limits"):
Mastodon sends `X-RateLimit-Reset` as an ISO time, X and Bluesky as epoch seconds,
Reddit as seconds left in the window, most send `Retry-After` on a 429, Telegram puts
`retry_after` in the JSON body. Each connector names its scheme; this client reads it
and raises `RateLimited(retry_at)` — on a 429, and before the next call when the last
answer said nothing is left — so the runner pauses the account instead of sleeping
in a request thread.
"""

from __future__ import annotations

import email.utils
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from panal import __version__
from panal.core import clock

from .base import AuthFailed, RateLimited, Rejected, Unavailable

USER_AGENT = f"Panal/{__version__} (self-hosted social CRM)"
DEFAULT_WAIT = timedelta(seconds=60)  # when a 429 says nothing about how long


def _to_float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def retry_after(response: httpx.Response, now: datetime) -> datetime | None:
    """`Retry-After`: seconds, or an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    seconds = _to_float(value)
    if seconds is not None:
        return now + timedelta(seconds=max(seconds, 0))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _epoch(value: str | None) -> datetime | None:
    seconds = _to_float(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class RateScheme:
    """How one network reports its budget: header names and the reset's unit."""

    def __init__(self, remaining: str, reset: str, unit: str):
        self.remaining, self.reset, self.unit = remaining, reset, unit  # unit: iso|epoch|seconds

    def reset_at(self, response: httpx.Response, now: datetime) -> datetime | None:
        value = response.headers.get(self.reset)
        if self.unit == "iso":
            return _iso(value)
        if self.unit == "epoch":
            return _epoch(value)
        seconds = _to_float(value)
        return None if seconds is None else now + timedelta(seconds=max(seconds, 0))

    def exhausted(self, response: httpx.Response) -> bool:
        remaining = _to_float(response.headers.get(self.remaining))
        return remaining is not None and remaining <= 0


MASTODON = RateScheme("x-ratelimit-remaining", "x-ratelimit-reset", "iso")
X_API = RateScheme("x-rate-limit-remaining", "x-rate-limit-reset", "epoch")
BLUESKY = RateScheme("ratelimit-remaining", "ratelimit-reset", "epoch")
REDDIT = RateScheme("x-ratelimit-remaining", "x-ratelimit-reset", "seconds")
NONE = None


class Http:
    """An `httpx.Client` for one account that turns a network's answers into our errors.

    - 429, or a budget at zero → `RateLimited(retry_at)` (header time, else 60 s);
    - 401 → `AuthFailed` (403 too when `forbidden_is_auth`);
    - 5xx, timeouts, dropped connections → `Unavailable`;
    - other 4xx → `Rejected` with the network's message, unless the status is in `ok`.
    `body_error` lets a connector read errors the network puts in a 200 body.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        rate: RateScheme | None = None,
        timeout: float = 20.0,
        forbidden_is_auth: bool = False,
        body_error: Callable[[httpx.Response, datetime], Exception | None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        all_headers = {"User-Agent": USER_AGENT}
        all_headers.update(headers or {})
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/" if base_url else "",
            headers=all_headers,
            auth=auth,
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
        )
        self.rate = rate
        self.forbidden_is_auth = forbidden_is_auth
        self.body_error = body_error
        self._blocked_until: datetime | None = None
        self._lock = threading.Lock()
        self.calls = 0

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def url(self, path: str) -> str:
        return str(self.client.base_url.join(path.lstrip("/")))

    def request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (), **kwargs
    ) -> httpx.Response:
        now = clock.now()
        with self._lock:
            blocked = self._blocked_until
        if blocked is not None and blocked > now:
            raise RateLimited("the network's rate limit is used up", blocked)
        try:
            response = self.client.request(method, path.lstrip("/"), **kwargs)
        except httpx.TimeoutException as exc:
            raise Unavailable(f"timed out: {exc}") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"connection failed: {exc}") from exc
        self.calls += 1
        return self.judge(response, ok=ok)

    def judge(self, response: httpx.Response, *, ok: tuple[int, ...] = ()) -> httpx.Response:
        """Raise our error for a failed answer; remember an exhausted budget."""
        now = clock.now()
        status = response.status_code
        if status == 429:
            # A network that explains its 429 in the body (Meta's usage headers and codes,
            # Telegram's retry_after) knows best how long to wait.
            error = self.body_error(response, now) if self.body_error is not None else None
            if isinstance(error, RateLimited):
                raise error
            when = self._reset_of(response, now) or now + DEFAULT_WAIT
            raise RateLimited(f"HTTP 429 {_short(response)}", when)
        if self.rate is not None and self.rate.exhausted(response):
            reset = self.rate.reset_at(response, now)
            if reset is not None and reset > now:
                with self._lock:
                    self._blocked_until = reset
        if status in ok:
            return response
        if self.body_error is not None:
            error = self.body_error(response, now)
            if error is not None:
                raise error
        if status == 401 or (status == 403 and self.forbidden_is_auth):
            raise AuthFailed(f"HTTP {status} {_short(response)}")
        if status >= 500:
            raise Unavailable(f"HTTP {status} {_short(response)}")
        if status >= 400:
            raise Rejected(f"HTTP {status} {_short(response)}")
        return response

    def _reset_of(self, response: httpx.Response, now: datetime) -> datetime | None:
        when = retry_after(response, now)
        if when is None and self.rate is not None:
            when = self.rate.reset_at(response, now)
        return when

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)


class RefreshingBearer(httpx.Auth):
    """A bearer token on every request; on a 401, one fresh token and one more try.

    `token(stale)` returns a token, a new one when `stale` (the token just refused) is
    given. `skip(request)` leaves a request alone (e.g. one signed by an API key).
    """

    requires_request_body = True  # the retry sends the same body again

    def __init__(self, token, *, scheme: str = "Bearer", skip=None):
        self.token, self.scheme, self.skip = token, scheme, skip

    def auth_flow(self, request: httpx.Request):
        if self.skip is not None and self.skip(request):
            yield request
            return
        current = self.token("")
        request.headers["Authorization"] = f"{self.scheme} {current}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"{self.scheme} {self.token(current)}"
            yield request


def _short(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300]
