"""Mastodon: mentions and hashtags polled and streamed, replies posted (README.md here)."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from django.utils.translation import gettext as _

from panal.channels.base import (
    AccountCheck,
    BadPayload,
    Capability,
    ChannelError,
    Connector,
    Page,
    Rejected,
    Sent,
    Setting,
    Unavailable,
    register,
)
from panal.channels.http import MASTODON, Http
from panal.channels.wire import json_body
from panal.listening.choices import Channel, Kind, Visibility
from panal.listening.normalise import ItemError

from . import wire

NOTIFICATIONS = "notifications"
USER = "user"
NOTIFICATIONS_MAX = 80  # the API's largest page
TAG_MAX = 40
BATCH = 50  # stream events per page at most
READ_TIMEOUT = 90.0  # Mastodon sends a heartbeat every 15 s or so
GRACE = 0.5  # after one stream ends, how long the others may finish what they hold
_END = object()


def tag_of(value: str) -> str:
    """A hashtag as the API takes it: no "#", no spaces."""
    return str(value).strip().lstrip("#").strip()


class MastodonConnector(Connector):
    kind = Channel.MASTODON
    label = "Mastodon"
    capabilities = frozenset({Capability.POLL, Capability.STREAM, Capability.REPLY})
    reply_limit = 500
    rate_scheme = MASTODON
    settings = (
        Setting(
            "base_url", "The instance the account is on, e.g. https://mastodon.social.",
            required=True, kind="url",
        ),
        Setting(
            "access_token",
            "An access token of the account (read:accounts, read:notifications, "
            "read:statuses, write:statuses).",
            required=True, secret=True,
        ),
        Setting(
            "hashtags", "Public hashtags to listen to, comma-separated (without #).",
            default=(), kind="list",
        ),
        Setting("stream", "Hold a streaming connection (else poll).", default=True, kind="bool"),
        Setting(
            "streaming_url",
            "The streaming server when it is not the instance itself "
            "(asked from the instance when blank).",
            default="", kind="url",
        ),
        Setting("poll_interval", "Seconds between polls.", default=60.0, kind="float"),
        Setting("page_size", "Items per request (at most 80, 40 for hashtags).", default=40,
                kind="int"),
        Setting(
            "max_characters", "The instance's post length limit.", default=500, kind="int"
        ),
    )  # fmt: skip

    def auth_headers(self, account) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.setting(account, 'access_token') or ''}"}

    # -- sources -----------------------------------------------------------------------
    def tags(self, account) -> list[str]:
        found = []
        for value in self.setting(account, "hashtags") or ():
            tag = tag_of(value)
            if tag and tag.lower() not in (t.lower() for t in found):
                found.append(tag)
        return found

    def sources(self, account) -> list[str]:
        return [NOTIFICATIONS] + [f"tag:{t.lower()}" for t in self.tags(account)]

    def _me(self, account) -> tuple[set[str], str]:
        ids = {str(i) for i in account.self_ids or [] if i not in (None, "")}
        return ids, (account.handle or "").lstrip("@").lower()

    def _limit(self, account, most: int) -> int:
        try:
            size = int(self.setting(account, "page_size"))
        except (TypeError, ValueError):
            size = 40
        return max(1, min(size, most))

    # -- poll --------------------------------------------------------------------------
    def poll(self, account, http: Http, cursor: dict) -> Page:
        """One page per source, each read forwards from its own `min_id`.

        The cursor holds the newest id read per source ("notifications", "tag:<name>")
        and the sources with more pages waiting ("behind"); `more` asks for the next
        page at once. On the very first poll a source has no id yet: its newest page is
        read and nothing older (no history backfill).
        """
        cursor = {k: (list(v) if isinstance(v, list) else v) for k, v in cursor.items()}
        page = Page(cursor=cursor)
        sources = self.sources(account)
        behind = [s for s in cursor.get("behind") or [] if s in sources] or sources
        still = []
        tags = {f"tag:{t.lower()}": t for t in self.tags(account)}
        for source in behind:
            if source == NOTIFICATIONS:
                path = "api/v1/notifications"
                params = [("types[]", "mention")]
                limit = self._limit(account, NOTIFICATIONS_MAX)
            else:
                path = f"api/v1/timelines/tag/{quote(tags[source], safe='')}"
                params = []
                limit = self._limit(account, TAG_MAX)
            if self._poll_source(account, http, source, path, params, limit, page):
                still.append(source)
        if still:
            cursor["behind"] = still
        else:
            cursor.pop("behind", None)
        page.more = bool(still)
        return page

    def _poll_source(self, account, http, source, path, params, limit, page: Page) -> bool:
        """Read one page of `source` into `page`; True when a further page waits."""
        since = page.cursor.get(source)
        me = self._me(account)
        query = [*params, ("limit", str(limit))]
        if since:
            query.append(("min_id", since))
        response = http.get(path, params=query)
        try:
            entries = response.json()
        except ValueError:
            raise Unavailable(f"Mastodon: {path} answered something that is not JSON") from None
        if not isinstance(entries, list):
            raise Unavailable(f"Mastodon: {path} answered {type(entries).__name__}, not a list")
        newest = None
        for entry in reversed(entries):  # oldest first
            if not isinstance(entry, dict):
                page.errors.append(f"{source}: an entry is not an object")
                continue
            newest = wire.newer(newest, str(entry.get("id", "")) or None)
            try:
                if source == NOTIFICATIONS:
                    self._take_notification(entry, page, via=NOTIFICATIONS, me=me)
                else:
                    self._take_status(entry, page, via=source, me=me)
            except ItemError as exc:
                page.errors.append(f"{source} {str(entry.get('id', ''))[:40]}: {exc}")
        # Mastodon's "prev" link asks for what is newer than this page: its min_id is
        # where the next poll starts. Only the id is taken from the link; the request is
        # built again against our own base URL, so the token never goes elsewhere.
        prev = _link_param(response, "prev", "min_id")
        if prev and wire.is_id(prev):
            newest = wire.newer(newest, prev)
        if newest and wire.is_id(newest):
            page.cursor[source] = wire.newer(since, newest)
        return bool(since) and len(entries) >= limit

    def _take_notification(self, notification: dict, page: Page, *, via: str, me) -> None:
        if notification.get("type") != "mention" or not isinstance(
            notification.get("status"), dict
        ):
            return
        status = notification["status"]
        page.items.append(wire.item_of(status, via=via, me=me, notification=notification))

    def _take_status(self, status: dict, page: Page, *, via: str, me, event: str = "created"):
        # A boost is not something its booster said: the boosted post reaches us by its
        # own way (a notification, the hashtag's timeline) if it concerns us.
        if status.get("reblog"):
            return
        page.items.append(wire.item_of(status, via=via, me=me, event=event))

    # -- stream ------------------------------------------------------------------------
    def stream(self, account, http: Http, cursor: dict, stop: threading.Event) -> Iterator[Page]:
        """The user stream (mentions, edits, deletes) and one stream per hashtag.

        The connections are opened first, then what came since the stored cursor is
        read by polling, then the streamed events follow: nothing falls between the
        two. Only polls move the cursor (they read every id in order); the stream adds
        speed, edits and deletes, and a poll every `poll_interval` finds what a stream
        lost. When one connection ends the session ends (the runner reconnects and
        catches up again); a broken one raises `Unavailable` after the events already
        received are handed over.
        """
        inbox: queue.Queue = queue.Queue()
        readers: list[tuple[httpx.Response, threading.Thread]] = []
        try:
            base = self._streaming_base(account, http)
            targets = [(USER, f"{base}/api/v1/streaming/user", {})]
            for tag in self.tags(account):
                targets.append(
                    (f"tag:{tag.lower()}", f"{base}/api/v1/streaming/hashtag", {"tag": tag})
                )
            for source, url, params in targets:
                response = _open(http, url, params)
                reader = threading.Thread(
                    target=_read, args=(response, source, inbox), daemon=True,
                    name=f"mastodon-{account.pk}-{source}",
                )  # fmt: skip
                readers.append((response, reader))
                reader.start()
            yield from self._follow(account, http, inbox, readers, dict(cursor), stop)
        finally:
            for response, _reader in readers:
                _hang_up(response)

    def _catch_up(self, account, http, cursor: dict, stop) -> Iterator[Page]:
        """Poll until every source is read up to now; the last page holds the cursor."""
        while not stop.is_set():
            page = self.poll(account, http, cursor)
            changed = page.cursor != cursor
            cursor = page.cursor
            if page.items or page.errors or changed:
                yield page
            if not page.more:
                return

    def _follow(self, account, http, inbox, readers, cursor, stop) -> Iterator[Page]:
        me = self._me(account)
        interval = max(float(self.setting(account, "poll_interval") or 60.0), 1.0)
        polled = time.monotonic()
        for page in self._catch_up(account, http, cursor, stop):
            cursor = page.cursor
            yield page
        while not stop.is_set():
            if time.monotonic() - polled >= interval:
                polled = time.monotonic()
                for page in self._catch_up(account, http, cursor, stop):
                    cursor = page.cursor
                    yield page
            try:
                batch = [inbox.get(timeout=0.25)]
            except queue.Empty:
                continue
            while len(batch) < BATCH:
                try:
                    batch.append(inbox.get_nowait())
                except queue.Empty:
                    break
            page, failure, ended = self._events(batch, me)
            if ended:
                # Let the other connections hand over what they already hold, then stop.
                deadline = time.monotonic() + GRACE
                for response, reader in readers:
                    reader.join(max(0.0, deadline - time.monotonic()))
                    _hang_up(response)
                rest = []
                with contextlib.suppress(queue.Empty):
                    while True:
                        rest.append(inbox.get_nowait())
                # Errors there are mostly the connections just hung up on: not failures.
                more, _failure, _ended = self._events(rest, me)
                page.items += more.items
                page.errors += more.errors
            if page.items or page.errors:
                yield page
            if failure is not None:
                raise failure
            if ended:
                return

    def _events(self, batch, me) -> tuple[Page, ChannelError | None, bool]:
        """A page of what the stream said; its cursor is left empty (not stored)."""
        page = Page()
        failure: ChannelError | None = None
        ended = False
        for source, payload in batch:
            if payload is _END:
                ended = True
            elif isinstance(payload, ChannelError):
                ended, failure = True, failure or payload
            else:
                try:
                    self._event(source, payload, page, me)
                except (ItemError, ValueError, BadPayload) as exc:
                    page.errors.append(f"{source} {payload.name}: {str(exc)[:300]}")
        return page, failure, ended

    def _event(self, source: str, event: wire.Event, page: Page, me) -> None:
        name = event.name
        if name == "delete":
            page.items.append(wire.deleted(event.data.strip()))
            return
        if name not in ("update", "status.update", "notification"):
            return  # filters_changed, conversation, announcement...: nothing for us
        data = json_body(event.data.encode("utf-8"), what=f"{name} payload")
        if not isinstance(data, dict):
            raise ValueError("the payload is not a JSON object")
        if name == "notification":
            if source == USER:
                self._take_notification(data, page, via=f"stream:{USER}", me=me)
            return
        # The home timeline carries everyone we follow: only what names us counts there.
        if source == USER and not wire.mentions_account(data, *me):
            return
        event_kind = "edited" if name == "status.update" else "created"
        self._take_status(data, page, via=f"stream:{source}", me=me, event=event_kind)

    def _streaming_base(self, account, http: Http) -> str:
        """The streaming server: the setting, else what the instance says, else itself."""
        configured = (self.setting(account, "streaming_url") or "").rstrip("/")
        if configured:
            return configured
        base = str(http.client.base_url).rstrip("/")
        try:
            response = http.get("api/v2/instance", ok=(404, 410))
            data = response.json() if response.status_code == 200 else {}
            found = ((data.get("configuration") or {}).get("urls") or {}).get("streaming")
        except (ChannelError, ValueError, AttributeError):
            return base
        if not isinstance(found, str) or not found:
            return base
        parts = urlsplit(found)
        scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
        if scheme not in ("http", "https") or not parts.netloc:
            return base
        return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")

    # -- replies -----------------------------------------------------------------------
    def reply_length(self, text: str) -> int:
        return wire.status_length(text)

    def reply_refusal(self, account, mention, now) -> str | None:
        if _visibility_of(mention, (mention.raw or {}).get("status") or {}) == "direct" and (
            not wire.valid_acct(_acct_of(mention))
        ):
            # A direct reply reaches only the accounts it names.
            return _("The author of this direct message cannot be named in a reply.")
        return None

    def reply_limit_for(self, mention) -> int | None:
        return self._max_characters(mention.account)

    def reply_length_for(self, mention, text: str) -> int:
        """As Mastodon will count it: with the "@acct " we put in front."""
        return wire.status_length(wire.addressed(text, _acct_of(mention)))

    def _max_characters(self, account) -> int:
        try:
            return int(self.setting(account, "max_characters") or 500)
        except (TypeError, ValueError):
            return 500

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        status = (mention.raw or {}).get("status") or {}
        acct = _acct_of(mention)
        body = wire.addressed(text, acct)
        limit = self._max_characters(account)
        length = wire.status_length(body)
        if length > limit:
            raise Rejected(
                _(
                    "The reply, with the mention of @%(acct)s in front, is %(length)d "
                    "characters long; the instance takes at most %(limit)d."
                )
                % {"acct": acct, "length": length, "limit": limit}
            )
        payload = {
            "status": body,
            "in_reply_to_id": mention.external_id,
            "visibility": _visibility_of(mention, status),
        }
        if mention.lang:
            payload["language"] = mention.lang
        response = http.post("api/v1/statuses", json=payload, headers={"Idempotency-Key": key})
        try:
            data = response.json()
        except ValueError:
            raise Unavailable("Mastodon: the new status is not JSON") from None
        if not isinstance(data, dict) or not wire.is_id(str(data.get("id", ""))):
            raise Unavailable("Mastodon: the answer names no status id")
        url = data.get("url") if isinstance(data.get("url"), str) else ""
        return Sent(str(data["id"]), url or "", data)

    # -- health ------------------------------------------------------------------------
    def check(self, account, http: Http) -> AccountCheck:
        me = http.get("api/v1/accounts/verify_credentials").json()
        if not isinstance(me, dict):
            raise Unavailable("Mastodon: verify_credentials answered no account")
        return AccountCheck(handle=str(me.get("acct") or ""), self_ids=(str(me.get("id", "")),))


def _acct_of(mention) -> str:
    """The author's acct as our instance knows it ("user" here, "user@host" elsewhere)."""
    status = (mention.raw or {}).get("status") or {}
    author = status.get("account") if isinstance(status, dict) else None
    if isinstance(author, dict) and author.get("acct"):
        return str(author["acct"])
    return mention.author_handle or ""


def _visibility_of(mention, status: dict) -> str:
    """The incoming post's own visibility: a direct message is answered directly."""
    given = status.get("visibility")
    if given in wire.REPLY_VISIBILITIES:
        return given
    if mention.kind == Kind.DIRECT_MESSAGE:
        return "direct"
    if mention.visibility == Visibility.PRIVATE:
        return "private"
    if mention.visibility == Visibility.UNLISTED:
        return "unlisted"
    return "public"


def _link_param(response: httpx.Response, rel: str, name: str) -> str | None:
    link = response.links.get(rel) if response.headers.get("link") else None
    if not link or not link.get("url"):
        return None
    values = parse_qs(urlsplit(link["url"]).query).get(name)
    return values[0] if values else None


# --- streaming connections ------------------------------------------------------------


def _open(http: Http, url: str, params: dict) -> httpx.Response:
    """Open one event stream; our errors for a refused one (401, 429, 5xx...)."""
    request = http.client.build_request(
        "GET",
        url,
        params=params,
        headers={"Accept": "text/event-stream", "Cache-Control": "no-store"},
        timeout=httpx.Timeout(20.0, read=READ_TIMEOUT),
    )
    try:
        response = http.client.send(request, stream=True)
    except httpx.TimeoutException as exc:
        raise Unavailable(f"streaming: timed out: {exc}") from exc
    except httpx.TransportError as exc:
        raise Unavailable(f"streaming: connection failed: {exc}") from exc
    if response.status_code != 200:
        try:
            response.read()
        except httpx.HTTPError:
            pass
        finally:
            response.close()
        http.judge(response)
        raise Unavailable(f"streaming: HTTP {response.status_code}")
    return response


def _read(response: httpx.Response, source: str, inbox: queue.Queue) -> None:
    """Decode one stream into `inbox` until it ends; then `_END` (or the error)."""
    decoder = wire.EventDecoder()
    response.encoding = "utf-8"  # server-sent events are always UTF-8
    try:
        for line in response.iter_lines():
            event = decoder.feed(line)
            if event is not None:
                inbox.put((source, event))
    except Exception as exc:  # a thread's end: whatever broke the read, the session ends
        inbox.put((source, Unavailable(f"streaming {source} dropped: {exc}")))
        return
    inbox.put((source, _END))


def _hang_up(response: httpx.Response) -> None:
    """Close a stream now, also waking a reader blocked on the socket."""
    stream = response.extensions.get("network_stream")
    if stream is not None:
        sock = None
        with contextlib.suppress(Exception):
            sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


connector = register(MastodonConnector())
