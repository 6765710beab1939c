"""RSS and Atom feeds: conditional GET polls, safe parsing, no replies (README.md here)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext as _

from panal.channels.base import (
    AccountCheck,
    Capability,
    ChannelError,
    Connector,
    Page,
    RateLimited,
    Rejected,
    Setting,
    Unavailable,
    register,
)
from panal.channels.http import DEFAULT_WAIT, Http, retry_after
from panal.channels.wire import iso_time
from panal.core import clock
from panal.listening.choices import Channel

from . import wire

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
MAX_WAIT = timedelta(hours=6)  # the longest a feed's <ttl> or max-age keeps us away
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)

# Problems met in one poll whose page was still worth storing: the runner's next call
# with the same client (same `poll_once`) raises them, so they reach the account's
# health without losing what the other feeds brought. Keyed by the client object.


class Fetched:
    """A feed's answer: not modified, or a body with its validators."""

    def __init__(self, body: bytes | None, headers: httpx.Headers | None = None):
        self.body = body
        self.headers = headers or httpx.Headers()


def fetch(http: Http, url: str, state: dict) -> Fetched:
    """GET `url` with the stored validators; refuse bodies over `wire.MAX_BYTES`."""
    headers = {"Accept": ACCEPT}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("modified"):
        headers["If-Modified-Since"] = state["modified"]
    now = clock.now()
    try:
        with http.client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 304:
                return Fetched(None, response.headers)
            if 200 <= status < 300:
                size = response.headers.get("content-length", "")
                if size.isdigit() and int(size) > wire.MAX_BYTES:
                    raise Rejected(_too_big())
                chunks, total = [], 0
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > wire.MAX_BYTES:
                        raise Rejected(_too_big())
                    chunks.append(chunk)
                return Fetched(b"".join(chunks), response.headers)
            reason = f"HTTP {status} {response.reason_phrase}".strip()
            if status == 429 or (status == 503 and response.headers.get("retry-after")):
                when = retry_after(response, now) or now + DEFAULT_WAIT
                raise RateLimited(
                    _("the feed asked us to wait (%(reason)s)") % {"reason": reason}, when
                )
            if status >= 500:
                raise Unavailable(reason)
            raise Rejected(_("the feed answered %(reason)s") % {"reason": reason})
    except httpx.TimeoutException as exc:
        raise Unavailable(f"timed out: {exc}") from exc
    except httpx.TransportError as exc:
        raise Unavailable(f"connection failed: {exc}") from exc


def _too_big() -> str:
    return _("the feed is larger than %(size)d MB; it was not read") % {
        "size": wire.MAX_BYTES // (1024 * 1024)
    }


def _wait_of(headers: httpx.Headers, ttl: int) -> int:
    """Seconds the feed asks us not to fetch again: its `<ttl>` or `Cache-Control: max-age`."""
    found = _MAX_AGE.search(headers.get("cache-control", ""))
    max_age = int(found.group(1)) if found else 0
    return min(max(ttl, max_age), int(MAX_WAIT.total_seconds()))


class RssConnector(Connector):
    kind = Channel.RSS
    label = "RSS / Atom feeds"
    capabilities = frozenset({Capability.POLL})
    poll_interval = 900.0
    settings = (
        Setting(
            "feeds",
            "Feed URLs (RSS 2.0, RSS 1.0 or Atom), separated by commas.",
            required=True,
            kind="list",
        ),
        Setting("poll_interval", "Seconds between polls.", default=900, kind="int"),
    )

    def feeds(self, account) -> list[str]:
        value = self.setting(account, "feeds") or []
        if isinstance(value, str):
            value = value.split(",")
        urls: list[str] = []
        for raw in value:
            url = str(raw).strip()
            if not url or url in urls:
                continue
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise Rejected(_("%(url)s is not an http(s) feed URL") % {"url": url[:200]})
            urls.append(url)
        if not urls:
            raise Rejected(_("no feed URLs are configured (setting “feeds”)"))
        return urls

    def make_http(self, account) -> Http:
        return Http("")

    def poll(self, account, http: Http, cursor: dict) -> Page:
        """Ask every feed that is due; one page holds what all of them brought."""
        old = cursor.get("feeds") if isinstance(cursor.get("feeds"), dict) else {}
        now = clock.now()
        page = Page(cursor={"feeds": {}})
        limited: list[datetime] = []
        problems: list[tuple[str, ChannelError]] = []
        answered = 0  # feeds that answered (200 or 304) or are resting by their own <ttl>
        for url in self.feeds(account):
            state = dict(old.get(url) or {})
            page.cursor["feeds"][url] = state
            waiting = iso_time(state.get("retry_at"))
            if waiting is not None and waiting > now:
                limited.append(waiting)
                continue
            state.pop("retry_at", None)
            due = iso_time(state.get("next_at"))
            if due is not None and due > now:
                answered += 1
                continue
            try:
                page.cursor["feeds"][url] = self._poll_feed(http, url, state, page, now)
                answered += 1
            except RateLimited as exc:
                state["retry_at"] = exc.retry_at.isoformat()
                limited.append(exc.retry_at)
            except (Rejected, Unavailable) as exc:
                problems.append((url, exc))
        if problems:
            error = _combined(problems)
            if not page.items:
                raise error
            page.problem = error  # stored first, then recorded on the account's health
            return page
        if limited and not answered:
            # Every feed is rate limited: pause the account until the first may be asked.
            raise RateLimited(_("every feed asked us to wait"), min(limited))
        return page

    def _poll_feed(self, http: Http, url: str, state: dict, page: Page, now) -> dict:
        fetched = fetch(http, url, state)
        if fetched.body is None:  # 304 Not Modified
            state.pop("next_at", None)
            wait = _wait_of(fetched.headers, 0)
            if wait:
                state["next_at"] = (now + timedelta(seconds=wait)).isoformat()
            return state
        document = wire.parse(
            fetched.body, url=url, content_type=fetched.headers.get("content-type", "")
        )
        read = wire.read(document, feed_url=url, seen=state.get("seen") or [])
        page.items.extend(read.items)
        page.errors.extend(read.errors)
        fresh = {"seen": read.seen}
        etag = fetched.headers.get("etag", "")
        modified = fetched.headers.get("last-modified", "")
        if etag and len(etag) <= 256:
            fresh["etag"] = etag
        if modified and len(modified) <= 64:
            fresh["modified"] = modified
        wait = _wait_of(fetched.headers, read.ttl)
        if wait:
            fresh["next_at"] = (now + timedelta(seconds=wait)).isoformat()
        return fresh

    def check(self, account, http: Http) -> AccountCheck:
        """Fetch and read every feed once, without validators."""
        for url in self.feeds(account):
            fetched = fetch(http, url, {})
            wire.parse(fetched.body or b"", url=url)
        return AccountCheck()


def _combined(problems: list[tuple[str, ChannelError]]) -> ChannelError:
    """One error for the account's health naming each feed that failed and why."""
    message = "; ".join(f"{url}: {exc}" for url, exc in problems)[:450]
    if any(isinstance(exc, Rejected) for _url, exc in problems):
        return Rejected(message)
    return Unavailable(message)


connector = register(RssConnector())
