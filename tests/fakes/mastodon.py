"""A fake Mastodon instance: notifications, hashtag timelines, statuses and event streams.

What it speaks, as Mastodon does (docs.joinmastodon.org):
- `Authorization: Bearer <token>` on every call, else 401
  `{"error": "The access token is invalid"}`;
- `X-RateLimit-Limit/Remaining/Reset` (reset as an ISO 8601 time) on REST answers,
  429 `{"error": "Too many requests"}` when the budget is spent;
- `GET /api/v1/notifications` (`types[]`, `limit` <= 80) and
  `GET /api/v1/timelines/tag/:tag` (`limit` <= 40) with `max_id` / `since_id` / `min_id`
  and a `Link` header (`rel="next"` older, `rel="prev"` newer) on the instance's public
  host, not the address we called;
- `POST /api/v1/statuses` honouring `Idempotency-Key` (the same key answers the same
  status, nothing is posted twice), `GET /api/v1/statuses/:id` (404 once deleted),
  `GET /api/v1/accounts/verify_credentials`, `GET /api/v2/instance`;
- server-sent events on `/api/v1/streaming/user` and `/api/v1/streaming/hashtag?tag=`:
  a `:)` greeting, `:thump` heartbeats, `event: <name>` + `data: <payload>` where the
  payload of `update`, `status.update` and `notification` is JSON as a string and that
  of `delete` the bare id. Who hears what follows Mastodon's fan-out: mentions reach the
  user stream as `notification` (and as `update` when we follow the author); edits reach
  it only when we follow the author; deletes reach the accounts mentioned and followers;
  public tagged posts, their edits and deletes reach the hashtag's stream.

Two conveniences for tests, both on by default: `buffer_when_closed` keeps events
emitted while nobody listens for the next connection (as if it had been open), and
`hang_up_when_idle` ends a stream once it has sent what was waiting. Turn both off for a
live stream with heartbeats, where events emitted with nobody listening are lost, as on
the real server. `drop_streams()` breaks open connections mid-stream.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import re
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from .server import FakeServer, Request, Response

PUBLIC = "https://mastodon.example"  # the instance's own name for itself (Link headers)
BUDGET = 300  # requests per 5 minutes per account
_DROP = object()


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}Z"


def _key(value: str) -> tuple[int, str]:
    return (len(value), value)


class FakeMastodon(FakeServer):
    def __init__(self, token: str, me: dict):
        super().__init__()
        self.token = token
        self.me = copy.deepcopy(me)
        self.cond = threading.Condition()
        self.statuses: dict[str, dict] = {}
        self.notifications: list[dict] = []  # {id, type, created_at, account, status_id}
        self.tagged: dict[str, set[str]] = defaultdict(set)
        self.following: set[str] = set()  # account ids we follow
        self.posted: list[dict] = []  # {"payload", "key", "status"} for every status created
        self.idempotency: dict[str, str] = {}
        self.pending: dict[str, list] = defaultdict(list)  # stream key -> chunks to send
        self.listeners: dict[str, int] = defaultdict(int)
        self.connections: dict[str, int] = defaultdict(int)  # ever opened
        self.last_emitted: list[tuple[str, bytes]] = []
        self.buffer_when_closed = True
        self.hang_up_when_idle = True
        self.heartbeat = 0.05
        self.lose_next_answer = False
        self.used = 0
        self.window_end = datetime.now(UTC) + timedelta(minutes=5)
        self.status_ids = itertools.count(113600000000000001)
        self.notification_ids = itertools.count(40001)
        self.route("GET", r"/api/v1/accounts/verify_credentials")(self.verify_credentials)
        self.route("GET", r"/api/v2/instance")(self.instance)
        self.route("GET", r"/api/v1/notifications")(self.list_notifications)
        self.route("GET", r"/api/v1/timelines/tag/(?P<tag>[^/]+)")(self.tag_timeline)
        self.route("POST", r"/api/v1/statuses")(self.create_status)
        self.route("GET", r"/api/v1/statuses/(?P<id>\d+)")(self.get_status)
        self.route("GET", r"/api/v1/streaming/user")(self.stream_user)
        self.route("GET", r"/api/v1/streaming/hashtag")(self.stream_hashtag)

    # -- what the network does (driven by tests) ---------------------------------------
    def mention(self, status: dict) -> dict:
        """Someone posts `status` naming us: a notification, and the fan-out."""
        st = self._store(status)
        with self.cond:
            number = str(next(self.notification_ids))
            self.notifications.append(
                {
                    "id": number,
                    "type": "mention",
                    "created_at": iso(datetime.now(UTC)),
                    "account": st["account"],
                    "status_id": st["id"],
                }
            )
            self.last_emitted = []
        notification = self._notification(self.notifications[-1])
        self._emit("user", "notification", notification)
        if st["account"]["id"] in self.following:
            self._emit("user", "update", st)
        self._emit_tags(st, "update")
        return notification

    def notify(self, kind: str, account: dict, status: dict | None = None) -> None:
        """A notification of another type (favourite, follow...)."""
        st = self._store(status) if status else None
        with self.cond:
            self.notifications.append(
                {
                    "id": str(next(self.notification_ids)),
                    "type": kind,
                    "created_at": iso(datetime.now(UTC)),
                    "account": account,
                    "status_id": st["id"] if st else None,
                }
            )

    def post(self, status: dict) -> dict:
        """Someone posts `status` without naming us (hashtags, home timeline)."""
        st = self._store(status)
        with self.cond:
            self.last_emitted = []
        if st["account"]["id"] in self.following:
            self._emit("user", "update", st)
        self._emit_tags(st, "update")
        return st

    def edit(self, status_id: str, text: str) -> dict:
        with self.cond:
            st = self.statuses[status_id]
            st["content"] = f"<p>{html.escape(text)}</p>"
            st["edited_at"] = iso(datetime.now(UTC))
            self.last_emitted = []
        if self._home_of_ours(st, deleting=False):
            self._emit("user", "status.update", st)
        self._emit_tags(st, "status.update")
        return st

    def delete(self, status_id: str) -> None:
        with self.cond:
            st = self.statuses.pop(status_id)
            self.notifications = [n for n in self.notifications if n["status_id"] != status_id]
            for ids in self.tagged.values():
                ids.discard(status_id)
            self.last_emitted = []
        if self._home_of_ours(st, deleting=True):
            self._emit("user", "delete", status_id)
        for tag in self._tags(st):
            self._emit(f"hashtag:{tag}", "delete", status_id)

    def tag(self, status_id: str, tag: str) -> None:
        """Make one of the stored statuses carry `tag` (and reach that hashtag's stream)."""
        with self.cond:
            st = self.statuses[status_id]
            st["tags"] = [*st.get("tags", []), {"name": tag, "url": f"{PUBLIC}/tags/{tag}"}]
            if st.get("visibility") == "public":
                self.tagged[tag.lower()].add(status_id)
            self.last_emitted = []
        self._emit_tags(st, "update")

    def redeliver(self) -> None:
        """Send the last action's stream events again (an overlap after a reconnect)."""
        with self.cond:
            for key, chunk in self.last_emitted:
                self.pending[key].append(chunk)
            self.cond.notify_all()

    def send_raw(self, key: str, data: bytes) -> None:
        """Put bytes on a stream as they are (heartbeats, odd framing, half events)."""
        with self.cond:
            self.pending[key].append(data)
            self.cond.notify_all()

    def drop_streams(self) -> None:
        """Break every open stream after what it has waiting (no clean end of the body)."""
        with self.cond:
            for key, count in self.listeners.items():
                if count:
                    self.pending[key].append(_DROP)
            self.cond.notify_all()

    def wait_for_listener(self, key: str, connections: int = 1, timeout: float = 5.0) -> bool:
        """Wait until `key` has been opened `connections` times in all and is open now."""
        with self.cond:
            return self.cond.wait_for(
                lambda: self.connections[key] >= connections and self.listeners[key] > 0,
                timeout,
            )

    def wait_until_sent(self, key: str, timeout: float = 5.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: not self.pending[key], timeout)

    def rate_limit_next(self, seconds: int) -> None:
        reset = iso(datetime.now(UTC) + timedelta(seconds=seconds))
        self.fail_next(
            429,
            path=r"^/api/v1/(notifications|timelines|statuses|accounts)",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-RateLimit-Limit": str(BUDGET),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset,
            },
            body={"error": "Too many requests"},
        )

    # -- internals ---------------------------------------------------------------------
    def _store(self, status: dict) -> dict:
        st = copy.deepcopy(status)
        with self.cond:
            self.statuses[st["id"]] = st
            if st.get("visibility") == "public":
                for tag in self._tags(st):
                    self.tagged[tag].add(st["id"])
        return st

    @staticmethod
    def _tags(st: dict) -> list[str]:
        if st.get("visibility") != "public":
            return []
        return [t["name"].lower() for t in st.get("tags") or []]

    def _mentions_me(self, st: dict) -> bool:
        return any(m.get("id") == self.me["id"] for m in st.get("mentions") or [])

    def _home_of_ours(self, st: dict, *, deleting: bool) -> bool:
        author = st["account"]["id"]
        if author == self.me["id"] or author in self.following:
            return True
        return deleting and self._mentions_me(st)  # deletes also go to those mentioned

    def _emit_tags(self, st: dict, event: str) -> None:
        for tag in self._tags(st):
            self._emit(f"hashtag:{tag}", event, st)

    def _emit(self, key: str, event: str, payload) -> None:
        data = payload if isinstance(payload, str) else _dumps(payload)
        chunk = f"event: {event}\ndata: {data}\n\n".encode()
        with self.cond:
            self.last_emitted.append((key, chunk))
            if self.listeners[key] or self.buffer_when_closed:
                self.pending[key].append(chunk)
            self.cond.notify_all()

    def _notification(self, n: dict) -> dict:
        out = {
            "id": n["id"],
            "type": n["type"],
            "created_at": n["created_at"],
            "group_key": f"ungrouped-{n['id']}",
            "account": n["account"],
        }
        if n["status_id"]:
            out["status"] = copy.deepcopy(self.statuses[n["status_id"]])
        return out

    def _unauthorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response.json(
                {"error": "The access token is invalid"},
                401,
                {
                    "WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", '
                    'error_description="The access token is invalid"'
                },
            )
        return None

    def _budget(self) -> dict[str, str]:
        with self.cond:
            now = datetime.now(UTC)
            if now >= self.window_end:
                self.used, self.window_end = 0, now + timedelta(minutes=5)
            self.used += 1
            left = BUDGET - self.used
        return {
            "X-RateLimit-Limit": str(BUDGET),
            "X-RateLimit-Remaining": str(max(left, 0)),
            "X-RateLimit-Reset": iso(self.window_end),
        }

    def _rest(self, request: Request, answer) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        headers = self._budget()
        if headers["X-RateLimit-Remaining"] == "0" and self.used > BUDGET:
            return Response.json({"error": "Too many requests"}, 429, headers)
        response = answer()
        response.headers.update(headers)
        return response

    def _paginate(self, request, rows, path, default, most, keep) -> Response:
        """Mastodon's id pagination over `rows` (newest first) with its Link header."""
        try:
            limit = max(1, min(int(request.arg("limit") or default), most))
        except ValueError:
            limit = default
        max_id, since_id, min_id = (request.arg(k) for k in ("max_id", "since_id", "min_id"))
        if max_id:
            rows = [r for r in rows if _key(r[0]) < _key(max_id)]
        if min_id:
            chosen = [r for r in rows if _key(r[0]) > _key(min_id)][-limit:]
        else:
            if since_id:
                rows = [r for r in rows if _key(r[0]) > _key(since_id)]
            chosen = rows[:limit]
        headers = {}
        if chosen:
            extra = ("&" + urlencode(keep)) if keep else ""
            headers["Link"] = (
                f'<{PUBLIC}{path}?max_id={chosen[-1][0]}{extra}>; rel="next", '
                f'<{PUBLIC}{path}?min_id={chosen[0][0]}{extra}>; rel="prev"'
            )
        return Response.json([obj for _, obj in chosen], headers=headers)

    # -- REST --------------------------------------------------------------------------
    def verify_credentials(self, request: Request) -> Response:
        return self._rest(request, lambda: Response.json(self.me))

    def instance(self, request: Request) -> Response:
        streaming = self.base_url.replace("http://", "ws://", 1)
        return Response.json(
            {
                "domain": "mastodon.example",
                "title": "Mastodon Example",
                "version": "4.3.2",
                "configuration": {
                    "urls": {"streaming": streaming},
                    "statuses": {"max_characters": 500, "characters_reserved_per_url": 23},
                },
            }
        )

    def list_notifications(self, request: Request) -> Response:
        def answer():
            types = request.query.get("types[]") or []
            with self.cond:
                rows = [
                    (n["id"], self._notification(n))
                    for n in reversed(self.notifications)
                    if (not types or n["type"] in types)
                    and (n["status_id"] is None or n["status_id"] in self.statuses)
                ]
            keep = [("types[]", t) for t in types]
            return self._paginate(request, rows, "/api/v1/notifications", 40, 80, keep)

        return self._rest(request, answer)

    def tag_timeline(self, request: Request) -> Response:
        def answer():
            tag = request.match["tag"].lower()
            with self.cond:
                ids = sorted(self.tagged.get(tag, ()), key=_key, reverse=True)
                rows = [(i, copy.deepcopy(self.statuses[i])) for i in ids]
            path = f"/api/v1/timelines/tag/{request.match['tag']}"
            return self._paginate(request, rows, path, 20, 40, [])

        return self._rest(request, answer)

    def get_status(self, request: Request) -> Response:
        def answer():
            with self.cond:
                st = self.statuses.get(request.match["id"])
            if st is None:
                return Response.json({"error": "Record not found"}, 404)
            return Response.json(st)

        return self._rest(request, answer)

    def create_status(self, request: Request) -> Response:
        return self._rest(request, lambda: self._create_status(request))

    def _create_status(self, request: Request) -> Response:
        kind = request.headers.get("content-type", "")
        data = request.json() if kind.startswith("application/json") else request.form()
        key = request.headers.get("idempotency-key")
        with self.cond:
            if key and key in self.idempotency:
                return Response.json(self.statuses[self.idempotency[key]])
        text = data.get("status")
        if not isinstance(text, str) or not text.strip():
            return Response.json({"error": "Validation failed: Text can't be blank"}, 422)
        countable = re.sub(r"https?://\S+", "x" * 23, text)
        countable = re.sub(r"@(\w+)@[\w.-]+\w", r"@\1", countable)
        if len(countable) > 500:
            return Response.json(
                {"error": "Validation failed: Text character limit of 500 exceeded"}, 422
            )
        visibility = data.get("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Response.json({"error": "Validation failed: Visibility is invalid"}, 422)
        parent_id = data.get("in_reply_to_id")
        with self.cond:
            parent = self.statuses.get(parent_id) if parent_id else None
        if parent_id and parent is None:
            return Response.json({"error": "Record not found"}, 404)
        mentioned = []
        with self.cond:
            known = {s["account"]["acct"].lower(): s["account"] for s in self.statuses.values()}
        for acct in re.findall(r"(?<![\w/])@(\w+(?:@[\w.-]+\w)?)", text):
            account = known.get(acct.lower())
            if account and account["id"] not in {m["id"] for m in mentioned}:
                mentioned.append(
                    {
                        "id": account["id"],
                        "username": account["username"],
                        "url": account["url"],
                        "acct": account["acct"],
                    }
                )
        with self.cond:
            number = str(next(self.status_ids))
        st = {
            "id": number,
            "created_at": iso(datetime.now(UTC)),
            "in_reply_to_id": parent_id,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "sensitive": False,
            "spoiler_text": data.get("spoiler_text") or "",
            "visibility": visibility,
            "language": data.get("language"),
            "uri": f"{PUBLIC}/users/{self.me['username']}/statuses/{number}",
            "url": f"{PUBLIC}/@{self.me['username']}/{number}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": "<p>" + html.escape(text).replace("\n", "<br />") + "</p>",
            "reblog": None,
            "account": self.me,
            "media_attachments": [],
            "mentions": mentioned,
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        self._store(st)
        with self.cond:
            self.posted.append({"payload": data, "key": key, "status": st})
            if key:
                self.idempotency[key] = number
            self.last_emitted = []
        self._emit("user", "update", st)  # our own post reaches our home timeline
        if self.lose_next_answer:
            # The status was created, but the proxy in front gave up waiting.
            self.lose_next_answer = False
            page = b"<html><body>504 Gateway Time-out</body></html>"
            return Response(504, page, {"Content-Type": "text/html"})
        return Response.json(st)

    # -- streaming ---------------------------------------------------------------------
    def stream_user(self, request: Request) -> Response:
        return self._stream(request, "user")

    def stream_hashtag(self, request: Request) -> Response:
        tag = request.arg("tag")
        if not tag:
            return Response.json({"error": "Missing tag name parameter"}, 400)
        return self._stream(request, f"hashtag:{tag.lower()}")

    def _stream(self, request: Request, key: str) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        with self.cond:
            self.listeners[key] += 1
            self.connections[key] += 1
            self.cond.notify_all()
        return Response.stream(
            self._events(key), "text/event-stream", {"Cache-Control": "private, no-store"}
        )

    def _events(self, key: str):
        try:
            yield b":)\n"
            while not self.closing.is_set():
                with self.cond:
                    if self.pending[key]:
                        chunk = self.pending[key].pop(0)
                        self.cond.notify_all()
                    elif self.hang_up_when_idle:
                        return
                    else:
                        self.cond.wait(self.heartbeat)
                        chunk = None if self.pending[key] else b":thump\n"
                if chunk is _DROP:
                    raise ConnectionResetError("the fake dropped the stream")
                if chunk:
                    yield chunk
        finally:
            with self.cond:
                self.listeners[key] -= 1
                self.cond.notify_all()


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
