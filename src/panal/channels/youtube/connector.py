"""YouTube comments: comment threads polled, replies with `comments.insert` (README.md
here, docs/channels/youtube.md).

YouTube pushes nothing about comments, so each poll reads `commentThreads.list` newest
first (`order=time`) for the channel or for each configured video, until it meets a
thread it has seen. Replies come inside their thread (a few) or from `comments.list
?parentId=` (the rest). Edits show as a new text (and `updatedAt`); a deleted comment
simply disappears, so recent comments are read again with `comments.list?id=` and a
missing one is a delete.

Every call costs quota units (list 1, insert 50) out of a daily budget per Google
project that resets at midnight Pacific time. The connector counts the units per
account and day, in memory and in the cursor, and stops calling (`RateLimited` until
midnight Pacific) before the budget is spent; YouTube's own `quotaExceeded` does the same.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from django.utils.translation import gettext as _

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
from panal.channels.http import Http, RefreshingBearer, retry_after
from panal.channels.wire import recent_within, seen_at, seen_digest
from panal.core import clock
from panal.listening.choices import Channel
from panal.listening.normalise import ItemError, parse_time

from . import wire

log = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")
PAGE = 100  # threads or comments per page (YouTube's maximum)
MAX_PAGES = 5  # thread pages per source and poll
MAX_REPLY_PAGES = 3  # pages of further replies per thread
EXTRA_REPLY_THREADS = 10  # threads per poll whose further replies are fetched
SEEN_MAX = 500  # comment ids remembered per source
COUNTS_MAX = 500  # threads whose reply count is remembered
RECONCILE_MAX = 100  # recent comments read again per poll (two calls)
ID_BATCH = 50  # ids per comments.list?id= call
SLACK = timedelta(hours=1)  # how late a comment may show up after newer ones
TOKEN_MARGIN = timedelta(minutes=2)
LIST_COST, INSERT_COST = 1, 50
DEFAULT_WAIT = timedelta(seconds=60)

QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
# Credentials or project set-up an administrator must fix. (A token without the
# force-ssl scope, `insufficientPermissions`, only fails the reply: reads go on.)
AUTH_REASONS = {
    "authError", "keyInvalid", "keyExpired", "API_KEY_INVALID", "accessNotConfigured",
    "SERVICE_DISABLED", "ipRefererBlocked",
}  # fmt: skip
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


# --- time and quota --------------------------------------------------------------------


def pacific_day(now: datetime) -> str:
    """The day YouTube's quota counts in: the date in California."""
    return now.astimezone(PACIFIC).date().isoformat()


def next_pacific_midnight(now: datetime) -> datetime:
    tomorrow = now.astimezone(PACIFIC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=PACIFIC).astimezone(UTC)


class QuotaExceeded(RateLimited):
    """The day's quota units are spent: nothing more until midnight Pacific time."""


class Quota:
    """Units spent per account and Pacific day, shared by the account's polls and replies.

    `exhaust` records YouTube's own `quotaExceeded`: nothing is called until the next
    Pacific day, whatever our count says.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spent: dict[str, tuple[str, int, bool]] = {}  # key -> (day, units, exhausted)

    def _today(self, key: str, now: datetime) -> tuple[str, int, bool]:
        day = pacific_day(now)
        spent = self._spent.get(key)
        return spent if spent and spent[0] == day else (day, 0, False)

    def used(self, key: str, now: datetime) -> int:
        with self._lock:
            return self._today(key, now)[1]

    def seed(self, key: str, now: datetime, used: int) -> None:
        """Take the count stored with the cursor (after a restart) when it is higher."""
        with self._lock:
            day, known, exhausted = self._today(key, now)
            self._spent[key] = (day, max(known, used), exhausted)

    def spend(self, key: str, cost: int, budget: int, now: datetime) -> None:
        with self._lock:
            day, used, exhausted = self._today(key, now)
            if exhausted:
                raise QuotaExceeded(
                    "YouTube said today's quota is spent; it resets at midnight Pacific time",
                    next_pacific_midnight(now),
                )
            if budget > 0 and used + cost > budget:
                raise QuotaExceeded(
                    f"YouTube quota: {used} of {budget} units used today, a call costs {cost}; "
                    "it resets at midnight Pacific time",
                    next_pacific_midnight(now),
                )
            self._spent[key] = (day, used + cost, False)

    def exhaust(self, key: str, now: datetime) -> None:
        with self._lock:
            day, used, _exhausted = self._today(key, now)
            self._spent[key] = (day, used, True)


# --- errors ----------------------------------------------------------------------------


def google_error(response: httpx.Response) -> tuple[dict, set[str]]:
    """Google's `{"error": {"code", "message", "errors": [{"reason"}], "details"}}`."""
    try:
        data = response.json()
    except ValueError:
        return {}, set()
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return {}, set()
    reasons = set()
    for entry in (error.get("errors") or []) + (error.get("details") or []):
        if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
            reasons.add(entry["reason"])
    return error, reasons


def body_error(response: httpx.Response, now: datetime) -> Exception | None:
    if response.status_code < 400:
        return None
    error, reasons = google_error(response)
    if not error:
        return None  # not Google's JSON: the generic mapping applies
    message = f"YouTube: {str(error.get('message') or 'error')[:300]}"
    if reasons:
        message += f" ({', '.join(sorted(reasons))})"
    if reasons & QUOTA_REASONS:
        return QuotaExceeded(message, next_pacific_midnight(now))
    if response.status_code == 429 or reasons & RATE_REASONS:
        return RateLimited(message, retry_after(response, now) or now + DEFAULT_WAIT)
    if response.status_code == 401 or reasons & AUTH_REASONS:
        return AuthFailed(message)
    if response.status_code >= 500:
        return Unavailable(message)
    return Rejected(message)  # commentsDisabled, forbidden, processingFailure, not found...


# --- tokens ----------------------------------------------------------------------------


class TokenCache:
    """Access tokens per account in memory, renewed shortly before they expire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._tokens: dict[str, tuple[str, datetime]] = {}

    def get(self, key: str, fetch: Callable[[], tuple[str, float]], stale: str = "") -> str:
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


# --- the connector ---------------------------------------------------------------------


class YouTubeConnector(Connector):
    kind = Channel.YOUTUBE
    label = "YouTube comments"
    capabilities = frozenset({Capability.POLL, Capability.REPLY})
    reply_limit = 10_000
    # Each poll costs 1 to 4 units: every 5 minutes is at most ~1,150 of the 10,000 a day.
    poll_interval = 300.0
    settings = (
        Setting(
            "base_url",
            "Data API root.",
            default="https://www.googleapis.com/youtube/v3",
            kind="url",
        ),
        Setting(
            "token_url",
            "OAuth token endpoint.",
            default="https://oauth2.googleapis.com/token",
            kind="url",
        ),
        Setting("channel_id", "Our channel (UC...): its videos' comments are read.", required=True),
        Setting("video_ids", "Only these videos' comments (11-character ids).", kind="list"),
        Setting("api_key", "API key for reading public comments.", secret=True),
        Setting("client_id", "OAuth client id (for replies and owner reads)."),
        Setting("client_secret", "OAuth client secret.", secret=True),
        Setting("refresh_token", "OAuth refresh token, scope youtube.force-ssl.", secret=True),
        Setting("daily_quota", "Quota units Panal may spend a day.", default=10_000, kind="int"),
        Setting(
            "reconcile_hours",
            "How long after first seeing a comment its edits and deletion are looked for.",
            default=24,
            kind="int",
        ),
        Setting("poll_interval", "Seconds between polls.", default=300, kind="int"),
    )

    def __init__(self) -> None:
        self.tokens = TokenCache()
        self.quota = Quota()

    # -- credentials ------------------------------------------------------------------------
    def has_oauth(self, account) -> bool:
        return all(
            self.setting(account, name) for name in ("client_id", "client_secret", "refresh_token")
        )

    def _quota_key(self, account) -> str:
        return f"{account.pk}:{account.created_at}"

    def _token_key(self, account) -> str:
        parts = [
            str(self.setting(account, name) or "")
            for name in ("token_url", "client_id", "client_secret", "refresh_token")
        ]
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
        return f"{self._quota_key(account)}:{digest}"

    def _fetch_token(self, account) -> tuple[str, float]:
        if not self.has_oauth(account):
            raise AuthFailed(
                "no api_key for reading, and no OAuth client_id, client_secret and refresh_token"
            )
        form = {
            "grant_type": "refresh_token",
            "client_id": self.setting(account, "client_id"),
            "client_secret": self.setting(account, "client_secret"),
            "refresh_token": self.setting(account, "refresh_token"),
        }
        with Http("") as client:
            try:
                response = client.post(self.setting(account, "token_url"), data=form)
            except Rejected as exc:
                raise AuthFailed(f"Google refused the refresh token: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            raise Unavailable("Google's token answer is not JSON") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthFailed("Google's token answer has no access_token")
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return token, lifetime

    def token(self, account, stale: str = "") -> str:
        return self.tokens.get(self._token_key(account), lambda: self._fetch_token(account), stale)

    def make_http(self, account) -> Http:
        return Http(
            self.setting(account, "base_url"),
            auth=RefreshingBearer(
                lambda stale: self.token(account, stale),
                skip=lambda request: "key" in request.url.params,
            ),
            body_error=body_error,
        )

    def _reading(self, account) -> dict:
        """How reads authenticate: the API key when there is one, else the OAuth token."""
        key = self.setting(account, "api_key")
        return {"key": key} if key else {}

    def _call(self, account, http: Http, method: str, path: str, *, cost: int, **kwargs) -> dict:
        """One API call, its units counted first; Google's errors mapped to ours."""
        budget = int(self.setting(account, "daily_quota") or 0)
        key = self._quota_key(account)
        self.quota.spend(key, cost, budget, clock.now())
        try:
            response = http.request(method, path, **kwargs)
        except QuotaExceeded:
            self.quota.exhaust(key, clock.now())
            raise
        try:
            data = response.json()
        except ValueError:
            raise Unavailable(f"YouTube answered {path} with something that is not JSON") from None
        if not isinstance(data, dict):
            raise Unavailable(f"YouTube answered {path} with something that is not an object")
        return data

    # -- polling ----------------------------------------------------------------------------
    def sources(self, account, errors: list[str]) -> list[tuple[str, dict]]:
        videos = []
        for value in self.setting(account, "video_ids") or []:
            value = str(value).strip()
            if VIDEO_ID.match(value):
                videos.append(value)
            else:
                errors.append(f"not a YouTube video id: {value[:40]!r}")
        if videos:
            return [(f"video:{v}", {"videoId": v}) for v in videos]
        channel = str(self.setting(account, "channel_id") or "").strip()
        if not CHANNEL_ID.match(channel):
            errors.append(f"not a YouTube channel id: {channel[:40]!r}")
            return []
        return [(f"channel:{channel}", {"allThreadsRelatedToChannelId": channel})]

    def poll(self, account, http: Http, cursor: dict) -> Page:
        now = clock.now()
        page = Page()
        key = self._quota_key(account)
        stored_quota = cursor.get("quota")
        if isinstance(stored_quota, dict) and stored_quota.get("day") == pacific_day(now):
            self.quota.seed(key, now, _int(stored_quota.get("used")))
        sources = self.sources(account, page.errors)
        stored = cursor.get("sources") if isinstance(cursor.get("sources"), dict) else {}
        hours = int(self.setting(account, "reconcile_hours") or 0)
        recent = cursor.get("recent")
        counts = cursor.get("counts")
        state = {
            "sources": {
                k: dict(stored[k]) if isinstance(stored.get(k), dict) else {} for k, _p in sources
            },
            "recent": recent_within(
                recent if isinstance(recent, dict) else {}, now, hours, RECONCILE_MAX
            ),
            "counts": {
                t: n
                for t, n in (counts.items() if isinstance(counts, dict) else ())
                if isinstance(n, int)
            },
        }
        if hours > 0 and state["recent"]:
            self._reconcile(account, http, state, page)
        extra = [EXTRA_REPLY_THREADS]
        refused: list[Rejected] = []
        for source_key, params in sources:
            try:
                self._read(account, http, source_key, params, state, page, now, extra)
            except Rejected as exc:  # a video with comments off, or gone: skip it
                refused.append(exc)
                page.errors.append(f"{source_key}: {exc}")
                log.warning("%s: %s refused: %s", account.slug, source_key, exc)
        if sources and len(refused) == len(sources):
            raise refused[0]  # nothing could be read: the account's health must say so
        state["recent"] = recent_within(state["recent"], now, hours, RECONCILE_MAX)
        state["counts"] = dict(list(state["counts"].items())[-COUNTS_MAX:])
        page.cursor = {
            "v": 1,
            **state,
            "quota": {"day": pacific_day(now), "used": self.quota.used(key, now)},
        }
        return page

    def _read(self, account, http, source_key, params, state, page, now, extra) -> None:
        mine = state["sources"][source_key]
        seen = [c for c in mine.get("seen") or [] if isinstance(c, str)]
        known = set(seen) | set(state["recent"])
        try:
            mark = parse_time(mine.get("newest"), "newest")
        except ItemError:
            mark = None
        floor = mark - SLACK if mark else None
        own = str(self.setting(account, "channel_id") or "")
        taken: list[str] = []
        newest = mark
        token = None
        for _number in range(MAX_PAGES):
            query = {
                "part": "snippet,replies",
                **params,
                "order": "time",
                "maxResults": PAGE,
                "textFormat": "plainText",
                **self._reading(account),
            }
            if token:
                query["pageToken"] = token
            data = self._call(account, http, "GET", "commentThreads", cost=LIST_COST, params=query)
            met = False
            for thread in data.get("items") or []:
                if not isinstance(thread, dict):
                    continue
                top = wire.top_comment(thread)
                tid = str(thread.get("id") or top.get("id") or "")
                if not tid:
                    continue
                when = wire.published(top)
                if tid in known or (mark is not None and when is not None and when <= mark):
                    met = True
                info = wire.snippet(thread)
                can_reply = info.get("canReply") is not False
                total = info.get("totalReplyCount")
                total = total if isinstance(total, int) else 0
                video = str(info.get("videoId") or "")
                comments = [(top, total)] + [(c, None) for c in wire.embedded_replies(thread)]
                if total > len(comments) - 1 and state["counts"].get(tid) != total:
                    if extra[0] > 0:
                        extra[0] -= 1
                        comments += [(c, None) for c in self._more_replies(account, http, tid)]
                        state["counts"][tid] = total
                else:
                    state["counts"][tid] = total
                for comment, replies in comments:
                    taken_id = self._take(
                        comment, state, page, known, floor, own, now,
                        video=video, can_reply=can_reply, replies=replies,
                    )  # fmt: skip
                    if taken_id:
                        taken.append(taken_id)
                        posted = wire.published(comment)
                        if posted and (newest is None or posted > newest):
                            newest = posted
            token = data.get("nextPageToken")
            if met or not seen or not token:
                break  # met what we had, or a first run (one page), or the end
        mine["seen"] = (taken + seen)[:SEEN_MAX]
        if newest is not None:
            mine["newest"] = wire.iso(newest)

    def _more_replies(self, account, http: Http, thread_id: str) -> list[dict]:
        """Replies beyond the few a thread carries: `comments.list?parentId=`."""
        found: list[dict] = []
        token = None
        for _number in range(MAX_REPLY_PAGES):
            query = {
                "part": "snippet",
                "parentId": thread_id,
                "maxResults": PAGE,
                "textFormat": "plainText",
                **self._reading(account),
            }
            if token:
                query["pageToken"] = token
            data = self._call(account, http, "GET", "comments", cost=LIST_COST, params=query)
            found += [c for c in data.get("items") or [] if isinstance(c, dict)]
            token = data.get("nextPageToken")
            if not token:
                break
        return found

    @staticmethod
    def _take(
        comment, state, page, known, floor, own, now, *, video, can_reply, replies
    ) -> str | None:
        """Add a new or changed comment to the page; returns its id when it was new."""
        cid = str(comment.get("id") or "")
        if not cid:
            return None
        if own and wire.author_channel(comment) == own:
            return None  # our own comment or reply: not a mention
        recent = state["recent"]
        try:
            entry = recent.get(cid)
            if entry is not None:
                if wire.digest(comment) != seen_digest(entry):
                    page.items.append(
                        wire.item_of(
                            comment, "edited", video_id=video, can_reply=can_reply, replies=replies
                        )
                    )
                    recent[cid] = [seen_at(entry), wire.digest(comment)]
                return None
            if cid in known:
                return None
            posted = wire.published(comment)
            if floor is not None and posted is not None and posted < floor:
                return None  # read long ago, forgotten since: not new
            page.items.append(
                wire.item_of(comment, video_id=video, can_reply=can_reply, replies=replies)
            )
        except ItemError as exc:
            page.errors.append(f"{cid}: {exc}")
            return None
        known.add(cid)
        recent[cid] = [int(now.timestamp()), wire.digest(comment)]
        return cid

    def _reconcile(self, account, http: Http, state: dict, page: Page) -> None:
        """Read recent comments again by id: a missing one was deleted, a new text is an edit."""
        recent = state["recent"]
        ids = list(recent)[:RECONCILE_MAX]
        for start in range(0, len(ids), ID_BATCH):
            batch = ids[start : start + ID_BATCH]
            query = {
                "part": "snippet",
                "id": ",".join(batch),
                "textFormat": "plainText",
                **self._reading(account),
            }
            data = self._call(account, http, "GET", "comments", cost=LIST_COST, params=query)
            found = {str(c.get("id")): c for c in data.get("items") or [] if isinstance(c, dict)}
            for cid in batch:
                comment = found.get(cid)
                try:
                    if comment is None:
                        page.items.append(wire.item_of({"id": cid}, "deleted"))
                        recent.pop(cid, None)
                    elif wire.digest(comment) != seen_digest(recent[cid]):
                        page.items.append(wire.item_of(comment, "edited"))
                        recent[cid] = [seen_at(recent[cid]), wire.digest(comment)]
                except ItemError as exc:
                    page.errors.append(f"{cid}: {exc}")

    # -- replies ----------------------------------------------------------------------------
    def reply_refusal(self, account, mention, now) -> str | None:
        if not self.has_oauth(account):
            return _(
                "Replying on YouTube needs OAuth: set client_id, client_secret and "
                "refresh_token on the channel account."
            )
        return None

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        # Threads are one level deep: a reply to a reply goes to its top-level comment.
        parent = mention.thread_external_id or mention.external_id.partition(".")[0]
        data = self._call(
            account,
            http,
            "POST",
            "comments",
            cost=INSERT_COST,
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent, "textOriginal": text}},
        )
        cid = data.get("id")
        if not isinstance(cid, str) or not cid:
            raise Rejected("YouTube did not say which comment the reply became")
        raw = mention.raw if isinstance(getattr(mention, "raw", None), dict) else {}
        video = wire.snippet(data).get("videoId") or raw.get("videoId") or ""
        url = f"{wire.WATCH}?v={video}&lc={cid}" if video else ""
        return Sent(cid, url, {"id": cid, "parentId": parent})

    # -- health -----------------------------------------------------------------------------
    def check(self, account, http: Http) -> AccountCheck:
        configured = str(self.setting(account, "channel_id") or "")
        if self.has_oauth(account):
            query = {"part": "snippet", "mine": "true"}
        else:
            query = {"part": "snippet", "id": configured, **self._reading(account)}
        data = self._call(account, http, "GET", "channels", cost=LIST_COST, params=query)
        items = [i for i in data.get("items") or [] if isinstance(i, dict)]
        if not items:
            raise Rejected(f"YouTube knows no channel {configured!r}")
        channel = items[0]
        found = str(channel.get("id") or "")
        if configured and found != configured:
            raise Rejected(
                f"the OAuth token is for channel {found}, but channel_id is {configured}"
            )
        info = wire.snippet(channel)
        handle = str(info.get("customUrl") or info.get("title") or "").lstrip("@")
        return AccountCheck(handle=handle, self_ids=(found,))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


connector = register(YouTubeConnector())
