"""Reddit: subreddits, searches and the account's inbox polled; replies through
`/api/comment` (README.md here, docs/channels/reddit.md).

Reddit pushes nothing, so every poll reads newest-first Listings. Each source (a
subreddit's comments, its new posts, a search, the inbox, the mentions) keeps its own
newest fullname and a bounded set of the fullnames it has seen, in the cursor stored with
the page. Subreddit listings walk forward from the stored newest with `before=`; when
that anchor has been deleted or removed (Reddit then answers an empty listing forever),
the source scans from the top with `after=` until it meets what it has seen. Edits and
deletes are only visible on a re-fetch: recent items are read again with `/api/info`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.utils.translation import gettext as _

from panal import __version__
from panal.channels import http as rates
from panal.channels.base import (
    AccountCheck,
    AuthFailed,
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
from panal.channels.http import Http, RefreshingBearer
from panal.channels.wire import recent_within, seen_at, seen_digest
from panal.core import clock
from panal.listening.choices import Channel
from panal.listening.normalise import ItemError

from . import wire

log = logging.getLogger(__name__)

LIMIT = 100  # things per Listing page (Reddit's maximum)
MAX_PAGES = 10  # pages per source and poll: a Listing is at most ~1,000 deep anyway
SEEN_MAX = 250  # fullnames remembered per source
RECONCILE_MAX = 300  # recent items read again per poll (three /api/info calls)
INFO_BATCH = 100  # fullnames per /api/info call
TOKEN_MARGIN = timedelta(minutes=2)  # renew a token this long before it expires
DEFAULT_WAIT = timedelta(seconds=60)

USER_AGENT = re.compile(r"^[^\s:]+:[^\s:]+:[^\s:]+ \(by /u/[A-Za-z0-9_-]{3,20}\)$")
SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_WAIT = re.compile(r"(\d+)\s*(millisecond|second|minute|hour)s?", re.IGNORECASE)
_UNIT = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}


# --- tokens ----------------------------------------------------------------------------


class TokenCache:
    """Access tokens per account in memory, renewed shortly before they expire.

    One lock per account: a renewal fetches once while the account's other threads
    wait; other accounts are not held up.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._tokens: dict[str, tuple[str, datetime]] = {}

    def get(self, key: str, fetch: Callable[[], tuple[str, float]], stale: str = "") -> str:
        """A valid token; `stale` is one the network just refused (fetch a new one)."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            now = clock.now()
            cached = self._tokens.get(key)
            if cached and cached[0] != stale and cached[1] - TOKEN_MARGIN > now:
                return cached[0]
            token, lifetime = fetch()
            self._tokens[key] = (token, now + timedelta(seconds=max(lifetime, 0)))
            return token

    def forget(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)


# --- errors in bodies ------------------------------------------------------------------


def wait_of(message: str, seconds: float | None, now: datetime) -> datetime:
    """When a RATELIMIT error says to try again: its `ratelimit` seconds, else its words."""
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return now + timedelta(seconds=float(seconds))
    match = _WAIT.search(message or "")
    if match:
        return now + timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2).lower()])
    return now + DEFAULT_WAIT


def body_error(response: httpx.Response, now: datetime) -> Exception | None:
    """`api_type=json` answers put refusals in a 200 body: `{"json": {"errors": [...]}}`,
    each error `[CODE, message, field]`."""
    if response.request.method != "POST" or "json" not in response.headers.get("content-type", ""):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    envelope = data.get("json") if isinstance(data, dict) else None
    errors = envelope.get("errors") if isinstance(envelope, dict) else None
    if not errors or not isinstance(errors, list):
        return None
    for error in errors:
        parts = [str(p) for p in error] if isinstance(error, list) else [str(error)]
        code, message = parts[0], parts[1] if len(parts) > 1 else ""
        if code == "RATELIMIT":
            return RateLimited(
                f"Reddit: {message[:300]}", wait_of(message, envelope.get("ratelimit"), now)
            )
    described = "; ".join(
        ": ".join(str(p) for p in error[:2]) if isinstance(error, list) else str(error)
        for error in errors[:3]
    )
    return Rejected(f"Reddit: {described[:400]}")


# --- sources ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One newest-first Listing we follow."""

    key: str
    path: str
    params: dict = field(default_factory=dict)
    forward: bool = False  # walk newer pages with `before=<newest>` (subreddit listings)


def subreddit_name(value: str) -> str | None:
    """`r/Python`, `/r/python/`, `python+django` -> the name; None when it is not one."""
    name = value.strip().strip("/")
    name = name[2:] if name.lower().startswith("r/") else name
    parts = name.split("+")
    return name if parts and all(SUBREDDIT.match(p) for p in parts) else None


# --- the connector ---------------------------------------------------------------------


class RedditConnector(Connector):
    kind = Channel.REDDIT
    label = "Reddit"
    capabilities = frozenset({Capability.POLL, Capability.REPLY})
    reply_limit = 10_000
    rate_scheme = rates.REDDIT
    settings = (
        Setting("base_url", "OAuth API server.", default="https://oauth.reddit.com", kind="url"),
        Setting(
            "token_url",
            "Where OAuth tokens come from.",
            default="https://www.reddit.com/api/v1/access_token",
            kind="url",
        ),
        Setting("client_id", "The app's client id (reddit.com/prefs/apps).", required=True),
        Setting("client_secret", "The app's secret.", required=True, secret=True),
        Setting("username", "The account the script app acts as; empty: read-only."),
        Setting("password", "That account's password.", secret=True),
        Setting("subreddits", "Subreddits whose comments and new posts are read.", kind="list"),
        Setting("search_queries", "Searches of all of Reddit, newest first.", kind="list"),
        Setting(
            "user_agent",
            "<platform>:<app id>:<version> (by /u/<name>); built from the settings if empty.",
        ),
        Setting(
            "reconcile_hours",
            "How long after first seeing an item its edits and deletion are looked for.",
            default=24,
            kind="int",
        ),
        Setting("poll_interval", "Seconds between polls.", default=60, kind="int"),
    )

    def __init__(self) -> None:
        self.tokens = TokenCache()

    # -- http ---------------------------------------------------------------------------
    def user_agent(self, account) -> tuple[str, str]:
        """The User-Agent to send, and what is wrong with it ("" when nothing)."""
        given = str(self.setting(account, "user_agent") or "").strip()
        if given:
            if USER_AGENT.match(given):
                return given, ""
            return given, (
                "user_agent must look like <platform>:<app id>:<version> (by /u/<name>), "
                f"not {given[:80]!r}"
            )
        username = self.setting(account, "username")
        app = re.sub(r"[^A-Za-z0-9_.-]", "", str(self.setting(account, "client_id") or "app"))
        if not username:
            return f"server:panal.{app}:v{__version__}", (
                "set user_agent: without a username Panal cannot say whose app this is "
                "(Reddit asks for <platform>:<app id>:<version> (by /u/<name>))"
            )
        return f"server:panal.{app}:v{__version__} (by /u/{username})", ""

    def _token_key(self, account) -> str:
        parts = [
            str(self.setting(account, name) or "")
            for name in (
                "token_url",
                "client_id",
                "client_secret",
                "username",
                "password",
                "user_agent",
            )
        ]
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
        return f"{account.pk}:{account.created_at}:{digest}"

    def _fetch_token(self, account) -> tuple[str, float]:
        agent, problem = self.user_agent(account)
        if problem:
            raise AuthFailed(problem)
        username = self.setting(account, "username")
        if username:
            form = {
                "grant_type": "password",
                "username": username,
                "password": self.setting(account, "password") or "",
            }
        else:
            form = {"grant_type": "client_credentials"}
        basic = (self.setting(account, "client_id") or "", self.setting(account, "client_secret"))
        with Http("", headers={"User-Agent": agent}, auth=(basic[0], basic[1] or "")) as client:
            try:
                response = client.post(self.setting(account, "token_url"), data=form)
            except Rejected as exc:
                raise AuthFailed(f"Reddit refused the token request: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            raise Unavailable("Reddit's token answer is not JSON") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            error = body.get("error") if isinstance(body, dict) else None
            raise AuthFailed(f"Reddit refused the token request: {error or 'no access_token'}")
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return token, lifetime

    def token(self, account, stale: str = "") -> str:
        return self.tokens.get(self._token_key(account), lambda: self._fetch_token(account), stale)

    def make_http(self, account) -> Http:
        agent, _problem = self.user_agent(account)  # a bad one is refused with the token
        return Http(
            self.setting(account, "base_url"),
            headers={"User-Agent": agent},
            auth=RefreshingBearer(lambda stale: self.token(account, stale), scheme="bearer"),
            rate=self.rate_scheme,
            body_error=body_error,
        )

    @staticmethod
    def _get(http: Http, path: str, params: dict) -> dict:
        response = http.get(path, params={**params, "raw_json": 1})
        try:
            data = response.json()
        except ValueError:
            raise Unavailable(f"Reddit answered {path} with something that is not JSON") from None
        if not isinstance(data, dict):
            raise Unavailable(f"Reddit answered {path} with something that is not a Listing")
        return data

    # -- polling ------------------------------------------------------------------------
    def sources(self, account, errors: list[str]) -> list[Source]:
        found: list[Source] = []
        for value in self.setting(account, "subreddits") or []:
            name = subreddit_name(str(value))
            if name is None:
                errors.append(f"not a subreddit name: {str(value)[:60]!r}")
                continue
            for listing in ("comments", "new"):
                found.append(
                    Source(f"r/{name.lower()}/{listing}", f"/r/{name}/{listing}", forward=True)
                )
        for query in self.setting(account, "search_queries") or []:
            query = str(query).strip()
            if not query or len(query) > 512:
                errors.append(f"not a usable search: {query[:60]!r}")
                continue
            found.append(Source(f"search:{query}", "/search", {"q": query, "sort": "new"}))
        if self.setting(account, "username"):
            found.append(Source("inbox", "/message/inbox"))
            found.append(Source("mentions", "/message/mentions"))
        return found

    def poll(self, account, http: Http, cursor: dict) -> Page:
        now = clock.now()
        page = Page()
        sources = self.sources(account, page.errors)
        stored = cursor.get("sources") if isinstance(cursor.get("sources"), dict) else {}
        state = {
            "sources": {
                s.key: dict(stored[s.key]) if isinstance(stored.get(s.key), dict) else {}
                for s in sources
            },
        }
        hours = int(self.setting(account, "reconcile_hours") or 0)
        recent = cursor.get("recent")
        state["recent"] = recent_within(
            recent if isinstance(recent, dict) else {}, now, hours, RECONCILE_MAX
        )
        if hours > 0:
            self._reconcile(http, state, sources, page)
        refused: list[Rejected] = []
        for source in sources:
            try:
                self._read(http, source, state, page, now)
            except Rejected as exc:  # a private, banned or missing subreddit: skip it
                refused.append(exc)
                page.errors.append(f"{source.key}: {exc}")
                log.warning("%s: %s refused: %s", account.slug, source.key, exc)
        if sources and len(refused) == len(sources):
            raise refused[0]  # nothing could be read: the account's health must say so
        state["recent"] = recent_within(state["recent"], now, hours, RECONCILE_MAX)
        page.cursor = {"v": 1, **state}
        return page

    def _read(self, http: Http, source: Source, state: dict, page: Page, now: datetime) -> None:
        mine = state["sources"][source.key]
        seen = [n for n in mine.get("seen") or [] if isinstance(n, str)]
        known = set(seen)
        newest = mine.get("newest") if isinstance(mine.get("newest"), str) else None
        if source.forward and newest and not mine.get("lost"):
            anchor = newest
            for _ in range(MAX_PAGES):
                params = {"limit": LIMIT, **source.params, "before": anchor}
                things = wire.children(self._get(http, source.path, params))
                if not things:
                    break
                seen = self._take(things, known, state, page, now) + seen
                anchor = wire.fullname(things[0])
                if len(things) < LIMIT:
                    break
            else:
                page.more = True  # still full after MAX_PAGES: poll again at once
            mine["newest"] = anchor
        else:
            after, names = None, []
            for number in range(MAX_PAGES):
                params = {"limit": LIMIT, **source.params}
                if after:
                    params["after"] = after
                listing = self._get(http, source.path, params)
                things = wire.children(listing)
                if number == 0:
                    mine["newest"] = wire.fullname(things[0]) if things else None
                met = any(wire.fullname(t) in known or wire.fullname(t) == newest for t in things)
                names += self._take(things, known, state, page, now)
                after = wire.after_of(listing)
                if met or not seen or not after:
                    break  # met what we had, or a first run (one page), or the end
            seen = names + seen
            mine["lost"] = False
        mine["seen"] = seen[:SEEN_MAX]

    @staticmethod
    def _take(things: list, known: set, state: dict, page: Page, now: datetime) -> list[str]:
        """Add the things not seen before to the page; returns their fullnames."""
        recent = state["recent"]
        names = []
        for thing in things:
            name = wire.fullname(thing)
            if name in known:
                continue
            known.add(name)
            names.append(name)
            kind, data = thing["kind"], thing["data"]
            try:
                if wire.is_gone(kind, data):
                    if name in recent:  # we have it: it was deleted since
                        page.items.append(wire.item_of(thing, "deleted"))
                        recent.pop(name, None)
                    continue
                page.items.append(wire.item_of(thing))
            except ItemError as exc:
                page.errors.append(f"{name}: {exc}")
                continue
            if kind in ("t1", "t3"):  # /api/info reads comments and posts, not messages
                recent[name] = [int(now.timestamp()), wire.digest(kind, data)]
        return names

    def _reconcile(self, http: Http, state: dict, sources, page: Page) -> None:
        """Read recent items again: a changed text is an edit, `[deleted]` a delete.

        `state["recent"]` holds only items inside the window. The forward anchors are
        read too: one that is gone makes its source scan again.
        """
        recent = state["recent"]
        names = list(recent)
        anchors: dict[str, list[dict]] = {}
        for source in sources:
            mine = state["sources"][source.key]
            if source.forward and isinstance(mine.get("newest"), str) and not mine.get("lost"):
                anchors.setdefault(mine["newest"], []).append(mine)
        chosen = set(names)
        wanted = names + [a for a in anchors if a not in chosen]
        for start in range(0, len(wanted), INFO_BATCH):
            batch = wanted[start : start + INFO_BATCH]
            listing = self._get(http, "/api/info", {"id": ",".join(batch)})
            found = {wire.fullname(t): t for t in wire.children(listing)}
            for name in batch:
                thing = found.get(name)
                gone = thing is None or wire.is_gone(thing["kind"], thing["data"])
                if gone:
                    for mine in anchors.get(name, ()):
                        mine["lost"] = True
                if thing is None or name not in recent:
                    continue
                try:
                    if gone:
                        page.items.append(wire.item_of(thing, "deleted"))
                        recent.pop(name, None)
                    elif wire.digest(thing["kind"], thing["data"]) != seen_digest(recent[name]):
                        page.items.append(wire.item_of(thing, "edited"))
                        recent[name] = [
                            seen_at(recent[name]),
                            wire.digest(thing["kind"], thing["data"]),
                        ]
                except ItemError as exc:
                    page.errors.append(f"{name}: {exc}")

    # -- replies ------------------------------------------------------------------------
    def reply_refusal(self, account, mention, now) -> str | None:
        if not self.setting(account, "username"):
            return _(
                "This Reddit account reads only (it has no username and password), "
                "so it cannot reply."
            )
        if not str(mention.external_id).startswith(("t1_", "t3_", "t4_")):
            return _("Only Reddit comments, posts and messages can be answered.")
        return None

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        response = http.post(
            "/api/comment",
            params={"raw_json": 1},
            data={"api_type": "json", "thing_id": mention.external_id, "text": text},
        )
        try:
            data = response.json()
        except ValueError:
            raise Rejected("Reddit's answer to the reply is not JSON") from None
        envelope = (data.get("json") or {}) if isinstance(data, dict) else {}
        things = ((envelope.get("data") or {}).get("things")) or []
        if not things or not isinstance(things[0], dict) or not things[0].get("data"):
            # Posted or not, we cannot tell: refuse for good rather than post twice.
            raise Rejected("Reddit did not say which comment the reply became")
        thing = things[0]
        name = wire.fullname(thing)
        permalink = thing["data"].get("permalink")
        url = f"{wire.WEB}{permalink}" if isinstance(permalink, str) and permalink else ""
        return Sent(name, url, {"kind": thing.get("kind"), "name": name})

    # -- health -------------------------------------------------------------------------
    def check(self, account, http: Http) -> AccountCheck:
        if self.setting(account, "username"):
            me = self._get(http, "/api/v1/me", {})
            name = str(me.get("name") or "")
            ids = tuple(i for i in (f"t2_{me['id']}" if me.get("id") else "", name) if i)
            return AccountCheck(handle=name, self_ids=ids)
        for value in self.setting(account, "subreddits") or []:
            name = subreddit_name(str(value))
            if name:
                self._get(http, f"/r/{name.split('+')[0]}/about", {})
                break
        else:
            self.token(account)
        return AccountCheck()


connector = register(RedditConnector())
