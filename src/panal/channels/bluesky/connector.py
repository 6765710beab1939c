"""Bluesky: Jetstream streamed, search and notifications polled, replies (README.md here)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.utils.translation import gettext as _

from panal.channels.base import (
    AccountCheck,
    AuthFailed,
    Capability,
    Connector,
    Page,
    Rejected,
    Sent,
    Setting,
    Unavailable,
    register,
)
from panal.channels.http import BLUESKY, Http
from panal.core import clock
from panal.listening.choices import Channel
from panal.listening.normalise import ItemError, parse_time

from . import jetstream, wire

# Errors after which signing in again may help; any other auth error is final.
RENEWABLE = {"ExpiredToken", "InvalidToken"}
AUTH_ERRORS = RENEWABLE | {
    "AuthenticationRequired", "AuthMissing", "AccountTakedown", "AccountDeactivated",
    "AuthFactorTokenRequired", "InvalidEmail",
}  # fmt: skip
WANTED_REASONS = ("mention", "reply", "quote")
SEARCH_LIMIT = 100
NOTIFICATION_LIMIT = 50
MAX_SEEN = 500  # boundary URIs remembered per source, to drop repeats of `since`


def xrpc_error(response: httpx.Response) -> tuple[str, str]:
    """(`error`, `message`) of an XRPC error body `{"error", "message"}`."""
    try:
        data = response.json()
    except ValueError:
        return "", response.text.strip()[:200]
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("error") or "")[:100], str(data.get("message") or "")[:300]


def body_error(response: httpx.Response, now) -> Exception | None:
    """Our error for an XRPC error answer (called for every status >= 400 but 429)."""
    status = response.status_code
    if status < 400:
        return None
    error, message = xrpc_error(response)
    text = f"Bluesky: {error or f'HTTP {status}'}" + (f": {message}" if message else "")
    if status == 401 or error in AUTH_ERRORS:
        return AuthFailed(text)
    if status >= 500:
        return Unavailable(text)
    return Rejected(text)


# --- sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    did: str
    handle: str
    access: str
    refresh: str


_SESSIONS: dict[tuple, Session] = {}
_LOCKS: dict[tuple, threading.Lock] = {}
_GUARD = threading.Lock()


def _lock(key: tuple) -> threading.Lock:
    with _GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def forget_sessions() -> None:
    """Drop every cached session (tests; a changed app password needs no call)."""
    with _GUARD:
        _SESSIONS.clear()


def _session_of(data) -> Session:
    if not isinstance(data, dict):
        raise Unavailable("Bluesky: the session answer is not a JSON object")
    values = [data.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt")]
    if not all(isinstance(v, str) and v for v in values) or not wire.is_did(values[0]):
        raise Unavailable("Bluesky: the session answer lacks did, handle or tokens")
    return Session(*values)


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise Unavailable(f"Bluesky: not JSON: {response.text[:200]}") from None
    if not isinstance(data, dict):
        raise Unavailable("Bluesky: the answer is not a JSON object")
    return data


def _when(value) -> datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ItemError:
        return None


def _xrpc_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class BlueskyConnector(Connector):
    kind = Channel.BLUESKY
    label = "Bluesky"
    capabilities = frozenset({Capability.POLL, Capability.STREAM, Capability.REPLY})
    reply_limit = wire.MAX_GRAPHEMES
    poll_interval = 60.0
    rate_scheme = BLUESKY
    settings = (
        Setting(
            "base_url",
            "PDS or entryway for sign-in, search and replies (XRPC).",
            default="https://bsky.social",
            kind="url",
        ),
        Setting(
            "jetstream_url",
            "Jetstream server to stream posts from.",
            default="wss://jetstream2.us-east.bsky.network",
            kind="url",
        ),
        Setting("identifier", "The account's handle (or its DID) to sign in.", required=True),
        Setting(
            "app_password",
            "An app password of the account (Settings > Privacy and security > App passwords).",
            required=True,
            secret=True,
        ),
        Setting(
            "track",
            "Words or phrases kept from the Jetstream stream (whole words, any case, any accents).",
            default=(),
            kind="list",
        ),
        Setting(
            "search_queries",
            "Queries for searchPosts when polling (default: the track terms).",
            default=(),
            kind="list",
        ),
        Setting(
            "stream",
            "Follow Jetstream (true) or poll search and notifications.",
            default=True,
            kind="bool",
        ),
    )

    # -- http and sessions ---------------------------------------------------------
    def make_http(self, account) -> Http:
        return Http(self.setting(account, "base_url"), rate=BLUESKY, body_error=body_error)

    def _key(self, account, http: Http) -> tuple:
        password = str(self.setting(account, "app_password") or "")
        digest = hashlib.sha256(password.encode("utf-8")).hexdigest()[:16]
        return (account.pk, str(http.client.base_url), self.setting(account, "identifier"), digest)

    def _create_session(self, account, http: Http) -> Session:
        identifier = self.setting(account, "identifier")
        password = self.setting(account, "app_password")
        if not identifier or not password:
            raise AuthFailed("Bluesky: the account needs identifier and app_password")
        response = http.post(
            "xrpc/com.atproto.server.createSession",
            json={"identifier": identifier, "password": password},
        )
        return _session_of(_json(response))

    def session(self, account, http: Http, *, fresh: bool = False) -> Session:
        """The account's cached session, signing in when there is none (or `fresh`)."""
        key = self._key(account, http)
        with _lock(key):
            current = None if fresh else _SESSIONS.get(key)
            if current is None:
                current = self._create_session(account, http)
                _SESSIONS[key] = current
            return current

    def _renew(self, account, http: Http, stale: Session) -> Session:
        """A new session after `stale` was refused: refreshSession, else sign in again."""
        key = self._key(account, http)
        with _lock(key):
            current = _SESSIONS.get(key)
            if current is not None and current.access != stale.access:
                return current  # another thread renewed it meanwhile
            response = http.request(
                "POST",
                "xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {stale.refresh}"},
                ok=(400, 401),
            )
            if response.status_code < 400:
                current = _session_of(_json(response))
            else:
                current = self._create_session(account, http)
            _SESSIONS[key] = current
            return current

    def xrpc(self, account, http: Http, method: str, nsid: str, **kwargs) -> dict:
        """One authenticated XRPC call; an expired token is renewed once, then AuthFailed."""
        session = self.session(account, http)
        for attempt in range(2):
            response = http.request(
                method,
                f"xrpc/{nsid}",
                headers={"Authorization": f"Bearer {session.access}"},
                ok=(400, 401),
                **kwargs,
            )
            if response.status_code < 400:
                return _json(response)
            error, _message = xrpc_error(response)
            if error in RENEWABLE and attempt == 0:
                session = self._renew(account, http, session)
                continue
            raise body_error(response, clock.now()) or Rejected(f"HTTP {response.status_code}")
        raise AssertionError("unreachable")

    def _own_did(self, account, http: Http) -> str | None:
        for value in account.self_ids or []:
            if wire.is_did(value):
                return value
        if self.setting(account, "identifier") and self.setting(account, "app_password"):
            return self.session(account, http).did
        return None

    def _terms(self, account) -> list[str]:
        return [str(t) for t in self.setting(account, "track") or () if str(t).strip()]

    # -- stream --------------------------------------------------------------------
    def stream(self, account, http: Http, cursor: dict, stop: threading.Event) -> Iterator[Page]:
        relevance = jetstream.Relevance(self._own_did(account, http), self._terms(account))
        stored = cursor.get("time_us")
        resume = stored if isinstance(stored, int) and stored > 0 else None
        start = max(resume - jetstream.REWIND_US, 0) if resume else None
        url = jetstream.subscribe_url(self.setting(account, "jetstream_url"), start)
        reader = jetstream.Reader(
            relevance, lambda uris: _stored(account, uris), resume_us=resume, cursor=cursor
        )
        yield from jetstream.pages(url, reader, stop)

    # -- poll ----------------------------------------------------------------------
    def poll(self, account, http: Http, cursor: dict) -> Page:
        """One page of each search query and of notifications (mentions, replies, quotes).

        Each source keeps `since` (the newest time seen), the URIs seen at that time,
        and while it catches up on more than one page, the XRPC `cursor` of the next.
        """
        queries = [str(q) for q in self.setting(account, "search_queries") or () if str(q).strip()]
        queries = queries or self._terms(account)
        old_search = cursor.get("search") if isinstance(cursor.get("search"), dict) else {}
        search = {q: dict(old_search.get(q) or {}) for q in queries}
        notes = dict(cursor.get("notifications") or {})
        catching_up = any(s.get("page") for s in [*search.values(), notes])
        page = Page()
        for query, state in search.items():
            if not catching_up or state.get("page"):
                search[query] = self._search(account, http, query, state, page)
        if not catching_up or notes.get("page"):
            notes = self._notifications(account, http, notes, page)
        page.cursor = {**cursor, "search": search, "notifications": notes}
        page.more = any(s.get("page") for s in [*search.values(), notes])
        return page

    def _search(self, account, http: Http, query: str, state: dict, page: Page) -> dict:
        params: dict = {"q": query, "sort": "latest", "limit": SEARCH_LIMIT}
        since = _when(state.get("since"))
        if since is not None:
            params["since"] = _xrpc_time(since)  # inclusive: the boundary comes again
        if state.get("page"):
            params["cursor"] = state["page"]
        data = self.xrpc(account, http, "GET", "app.bsky.feed.searchPosts", params=params)
        posts = [p for p in data.get("posts") or [] if isinstance(p, dict)]
        did = self.session(account, http).did

        def item_of(post: dict):
            return wire.item_of_view(post, self_did=did)

        return _advance(state, posts, data.get("cursor"), page, _sort_at, item_of)

    def _notifications(self, account, http: Http, state: dict, page: Page) -> dict:
        params: dict = {"limit": NOTIFICATION_LIMIT, "reasons": list(WANTED_REASONS)}
        if state.get("page"):
            params["cursor"] = state["page"]
        data = self.xrpc(
            account, http, "GET", "app.bsky.notification.listNotifications", params=params
        )
        notes = [n for n in data.get("notifications") or [] if isinstance(n, dict)]
        next_page = data.get("cursor")
        since = _when(state.get("since"))
        if since is not None:  # no `since` parameter here: stop at the first older one
            newer = [n for n in notes if (_when(n.get("indexedAt")) or since) >= since]
            if len(newer) < len(notes):
                notes, next_page = newer, None
        return _advance(state, notes, next_page, page, _indexed_at, _notification_item)

    # -- replies -------------------------------------------------------------------
    def reply_refusal(self, account, mention, now) -> str | None:
        parsed = wire.parse_uri(mention.external_id)
        if parsed is None or parsed[1] != wire.POST:
            return _("This Bluesky item has no post address (at:// URI) to reply to.")
        return None

    def reply_length(self, text: str) -> int:
        return wire.graphemes(text)

    def _refs(self, account, http: Http, mention) -> tuple[dict, dict]:
        """(root, parent) strong references for a reply to `mention`."""
        raw = mention.raw if isinstance(mention.raw, dict) else {}
        parent = wire.strong_ref({"uri": mention.external_id, "cid": raw.get("cid")})
        reply = raw.get("reply") if isinstance(raw.get("reply"), dict) else {}
        root = wire.strong_ref(reply.get("root"))
        if parent is None:  # stored without its cid: ask the AppView for the post
            data = self.xrpc(
                account, http, "GET", "app.bsky.feed.getPosts", params={"uris": mention.external_id}
            )
            posts = [p for p in data.get("posts") or [] if isinstance(p, dict)]
            if not posts:
                raise Rejected("Bluesky: the post no longer exists")
            parent = wire.strong_ref(posts[0])
            record = posts[0].get("record") if isinstance(posts[0].get("record"), dict) else {}
            reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
            root = wire.strong_ref(reply.get("root"))
            if parent is None:
                raise Rejected("Bluesky: the post has no usable uri and cid")
        return root or parent, parent

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        if len(text.encode("utf-8")) > wire.MAX_BYTES:
            raise Rejected(f"Bluesky: a post holds at most {wire.MAX_BYTES} bytes of UTF-8 text")
        session = self.session(account, http)
        root, parent = self._refs(account, http, mention)
        now = clock.now()
        record: dict = {
            "$type": wire.POST,
            "text": text,
            "createdAt": _xrpc_time(now),
            "reply": {"root": root, "parent": parent},
        }
        if mention.lang:
            record["langs"] = [mention.lang]
        facets = wire.link_facets(text)
        if facets:
            record["facets"] = facets
        data = self.xrpc(
            account,
            http,
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": session.did, "collection": wire.POST, "record": record},
        )
        uri = data.get("uri")
        parsed = wire.parse_uri(uri)
        if parsed is None:
            raise Unavailable(f"Bluesky: createRecord answered no post URI: {str(uri)[:100]!r}")
        return Sent(
            uri,
            wire.web_url(session.handle or parsed[0], parsed[2]),
            {"uri": uri, "cid": data.get("cid", ""), "record": record},
        )

    # -- health --------------------------------------------------------------------------
    def check(self, account, http: Http) -> AccountCheck:
        session = self.session(account, http, fresh=True)
        return AccountCheck(handle=session.handle, self_ids=(session.did,))


def _sort_at(post: dict) -> datetime | None:
    """The AppView's `sortAt`: the earlier of the author's createdAt and indexedAt."""
    indexed = _when(post.get("indexedAt"))
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    created = _when(record.get("createdAt"))
    if indexed is None or created is None:
        return indexed or created
    return min(indexed, created)


def _indexed_at(note: dict) -> datetime | None:
    return _when(note.get("indexedAt"))


def _notification_item(note: dict):
    reason = note.get("reason")
    return wire.item_of_view(note, reason=reason) if reason in WANTED_REASONS else None


def _advance(state: dict, found: list[dict], next_page, page: Page, sort_at, item_of) -> dict:
    """A source's next state after one answer (newest first); adds what is new to `page`.

    On the first run only the first page is read. Later, pages are followed back to
    `since`; once a round is complete `since` moves to the newest time seen, and the
    URIs seen at exactly that time are remembered, because `since` is inclusive.
    """
    since = _when(state.get("since"))
    seen = set(state.get("seen") or ())
    top = _when(state.get("top")) or since
    fresh = set(state.get("fresh") or ())
    for post in found:
        uri = post.get("uri")
        at = sort_at(post)
        if at is not None and (top is None or at > top):
            top, fresh = at, set()
        if at is not None and at == top and isinstance(uri, str):
            fresh.add(uri)
        if uri in seen:
            continue
        try:
            item = item_of(post)
        except ItemError as exc:
            page.errors.append(f"{str(uri)[:100]}: {exc}")
            continue
        if item is not None:
            page.items.append(item)
    if since is not None and found and isinstance(next_page, str) and next_page:
        return {
            "since": state.get("since"),
            "seen": sorted(seen)[:MAX_SEEN],
            "page": next_page,
            "top": top.isoformat() if top else None,
            "fresh": sorted(fresh)[:MAX_SEEN],
        }
    if top is not None and since is not None and top == since:
        fresh |= seen  # nothing newer: the old boundary still stands
    return {
        "since": top.isoformat() if top else state.get("since"),
        "seen": sorted(fresh)[:MAX_SEEN],
    }


def _stored(account, uris: set[str]) -> set[str]:
    """Which of `uris` Panal stores for `account` (deletes and edits need a known post)."""
    from panal.listening.models import Mention

    found: set[str] = set()
    ordered = sorted(uris)
    for start in range(0, len(ordered), 500):
        found.update(
            Mention.objects.filter(
                account=account, external_id__in=ordered[start : start + 500]
            ).values_list("external_id", flat=True)
        )
    return found


connector = register(BlueskyConnector())
