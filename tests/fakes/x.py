"""A fake X API v2, and a signer for Account Activity deliveries, for the X connector's tests.

Endpoints, with X's auth rules, answers and headers:

- `GET /2/tweets/search/recent` (app-only or user token): newest first, `since_id`
  exclusive, `max_results` 10..100, opaque `next_token` pages, `includes.users` when
  `expansions=author_id`, only the fields named in `tweet.fields` / `user.fields`, and
  `meta {newest_id, oldest_id, result_count, next_token}`; a `since_id` older than the
  search window is a 400 "Invalid Request".
- `GET /2/users/:id/mentions` (`pagination_token`, `max_results` 5..100).
- `GET|POST /2/tweets/search/stream/rules` (add with tags, delete by ids, duplicates
  refused) and `GET /2/tweets/search/stream` (app-only only): one JSON object per line
  with `matching_rules`, `\\r\\n` keep-alives, in-band `{"errors": [...]}`, and a
  connection dropped in the middle of a line.
- `POST /2/tweets` and `POST /2/dm_conversations/with/:id/messages` (user token only),
  `GET /2/users/me` (user token), `GET /2/users/:id`.
- 401 `{"title": "Unauthorized", "type": "about:blank", "status": 401, "detail":
  "Unauthorized"}` for an unknown token; `x-rate-limit-limit/remaining/reset` (epoch)
  on every answer; `rate_limit_next` queues a 429 with them.

The signer (`sign`, `crc_response_token`) is written here from X's description rather
than imported from the connector, so the tests check one implementation against another.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import queue
import time
from datetime import UTC, datetime

from .server import FakeServer, Request, Response

OUR_ID = "1500000000000000001"
OUR_USERNAME = "acme_soporte"
FIRST_NEW_ID = 1800000000000000000  # above every fixture's id: new posts are newer
DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
APP_ONLY_FORBIDDEN = {
    "title": "Unsupported Authentication",
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
    "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    "status": 403,
}
USER_FORBIDDEN = {
    "title": "Unsupported Authentication",
    "detail": "Authenticating with OAuth 2.0 User Context is forbidden for this endpoint.  "
    "Supported authentication types are [OAuth 2.0 Application-Only].",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    "status": 403,
}
DROP = object()  # in the stream queue: close the connection in the middle of a line
END = object()  # in the stream queue: end the connection cleanly


def sign(consumer_secret: str, body: bytes) -> str:
    """`x-twitter-webhooks-signature` as X computes it."""
    mac = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    mac = hmac.new(consumer_secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def escape(text: str) -> str:
    """X escapes these three in tweet text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def v1_time(iso: str) -> str:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    # C-locale names, whatever the machine's locale.
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[when.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{day} {month[when.month - 1]} {when.day:02d} {when:%H:%M:%S} +0000 {when.year}"


class FakeX(FakeServer):
    def __init__(self, *, bearer: str, user_token: str, consumer_secret: str):
        super().__init__()
        self.bearer, self.user_token, self.consumer_secret = bearer, user_token, consumer_secret
        self.tweets: dict[str, dict] = {}  # id -> stored v2 tweet (text unescaped)
        self.users: dict[str, dict] = {
            OUR_ID: {
                "id": OUR_ID,
                "username": OUR_USERNAME,
                "name": "Acme Soporte",
                "verified": True,
                "profile_image_url": "https://pbs.twimg.com/profile_images/1/acme_normal.png",
                "public_metrics": {"followers_count": 15400, "following_count": 120},
            }
        }
        self.ids = itertools.count(FIRST_NEW_ID)
        self.sent: list[dict] = []  # replies accepted by POST /2/tweets
        self.dms: list[dict] = []
        self.rules: dict[str, dict] = {}
        self.rule_ids = itertools.count(1700000000000000000)
        self.stream_queue: queue.Queue = queue.Queue()
        self.connections = 0
        self.live_streams = 0  # stream answers still being written
        self.page_size: int | None = None  # fewer per page than max_results, as X may do
        self.oldest_since_id = 0  # since_id below this is outside the search window
        self.replay_next = False  # the next search ignores since_id (an overlap)
        self.remaining = 450
        self.route("GET", r"/2/tweets/search/recent")(self.search_recent)
        self.route("GET", r"/2/users/(?P<id>\d+)/mentions")(self.mentions)
        self.route("GET", r"/2/tweets/search/stream/rules")(self.list_rules)
        self.route("POST", r"/2/tweets/search/stream/rules")(self.change_rules)
        self.route("GET", r"/2/tweets/search/stream")(self.filtered_stream)
        self.route("POST", r"/2/tweets")(self.create_tweet)
        self.route("POST", r"/2/dm_conversations/with/(?P<id>\d+)/messages")(self.send_dm)
        self.route("GET", r"/2/users/me")(self.me)
        self.route("GET", r"/2/users/(?P<id>\d+)")(self.user)

    # -- the network's content ---------------------------------------------------------
    def add(self, tweet: dict, user: dict | None = None) -> dict:
        """Publish a v2 tweet (text unescaped, as typed) by `user`."""
        tweet = copy.deepcopy(tweet)
        tweet.setdefault("edit_history_tweet_ids", [tweet["id"]])
        if user:
            self.users[str(user["id"])] = copy.deepcopy(user)
        self.tweets[str(tweet["id"])] = tweet
        return tweet

    def add_wire(self, message: dict) -> dict:
        """Publish a tweet given as X sends it (`{"data", "includes"}`, text escaped)."""
        tweet = copy.deepcopy(message["data"])
        tweet["text"] = unescape(tweet.get("text", ""))
        if isinstance(tweet.get("note_tweet"), dict):
            tweet["note_tweet"]["text"] = unescape(tweet["note_tweet"].get("text", ""))
        users = (message.get("includes") or {}).get("users") or []
        author = next((u for u in users if u["id"] == tweet.get("author_id")), None)
        return self.add(tweet, author)

    def edit(self, tweet_id: str, new_text: str) -> dict:
        """An edit is a new post; every version's chain names them all, oldest first."""
        old = self.tweets[tweet_id]
        new = copy.deepcopy(old)
        new_id = str(next(self.ids))
        chain = [*old["edit_history_tweet_ids"], new_id]
        new.update(id=new_id, text=new_text, created_at=_now_iso(), edit_history_tweet_ids=chain)
        new.pop("note_tweet", None)
        for version in chain[:-1]:
            if version in self.tweets:
                self.tweets[version]["edit_history_tweet_ids"] = list(chain)
        self.tweets[new_id] = new
        return new

    def delete(self, tweet_id: str) -> dict:
        tweet = self.tweets.pop(tweet_id)
        return {
            "status": {"id": tweet_id, "user_id": tweet.get("author_id")},
            "timestamp_ms": str(int(time.time() * 1000)),
        }

    def wire_tweet(self, tweet: dict, fields: set[str] | None = None) -> dict:
        """The tweet as the API sends it: text escaped, only the fields asked for."""
        out = copy.deepcopy(tweet)
        out["text"] = escape(out.get("text", ""))
        if isinstance(out.get("note_tweet"), dict):
            out["note_tweet"]["text"] = escape(out["note_tweet"].get("text", ""))
        if fields is not None:
            out = {k: v for k, v in out.items() if k in DEFAULT_FIELDS or k in fields}
        return out

    def wire_user(self, user_id: str, fields: set[str]) -> dict | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        return {k: v for k, v in user.items() if k in DEFAULT_USER_FIELDS or k in fields}

    def v1_tweet(self, tweet: dict) -> dict:
        """The v1.1 shape Account Activity delivers for a v2 tweet."""
        user = self.users.get(str(tweet.get("author_id")), {})
        text = (tweet.get("note_tweet") or {}).get("text") or tweet.get("text", "")
        out = {
            "created_at": v1_time(tweet.get("created_at") or _now_iso()),
            "id": int(tweet["id"]),
            "id_str": tweet["id"],
            "text": escape(text[:140]),
            "truncated": len(text) > 140,
            "in_reply_to_status_id_str": next(
                (r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"),
                None,
            ),
            "in_reply_to_user_id_str": tweet.get("in_reply_to_user_id"),
            "user": {
                "id": int(user.get("id", 0)),
                "id_str": str(user.get("id", "")),
                "name": user.get("name", ""),
                "screen_name": user.get("username", ""),
                "followers_count": (user.get("public_metrics") or {}).get("followers_count", 0),
                "verified": bool(user.get("verified")),
                "profile_image_url_https": user.get("profile_image_url", ""),
            },
            "entities": {
                "urls": [
                    {"url": u.get("url"), "expanded_url": u.get("expanded_url")}
                    for u in (tweet.get("entities") or {}).get("urls", [])
                ],
                "user_mentions": [
                    {"id_str": m.get("id"), "screen_name": m.get("username")}
                    for m in (tweet.get("entities") or {}).get("mentions", [])
                ],
            },
            "lang": tweet.get("lang", "und"),
            "edit_history": {
                "initial_tweet_id": tweet["edit_history_tweet_ids"][0],
                "edit_tweet_ids": list(tweet["edit_history_tweet_ids"]),
            },
        }
        if len(text) > 140:
            out["extended_tweet"] = {
                "full_text": escape(text),
                "entities": out["entities"],
            }
        return out

    def activity(self, **events) -> bytes:
        """An Account Activity delivery body for our subscribed user."""
        return json.dumps({"for_user_id": OUR_ID, **events}, ensure_ascii=False).encode()

    # -- auth and headers --------------------------------------------------------------
    def _token(self, request: Request) -> str:
        value = request.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else ""

    def _auth(self, request: Request, *, app: bool = True, user: bool = True) -> Response | None:
        token = self._token(request)
        if token not in (self.bearer, self.user_token) or not token:
            return Response.json(UNAUTHORIZED, 401, self._rate())
        if token == self.bearer and not app:
            return Response.json(APP_ONLY_FORBIDDEN, 403, self._rate())
        if token == self.user_token and not user:
            return Response.json(USER_FORBIDDEN, 403, self._rate())
        return None

    def _rate(self) -> dict[str, str]:
        self.remaining = max(self.remaining - 1, 1)
        return {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }

    def rate_limit_next(self, seconds: int) -> None:
        self.fail_next(
            429,
            path=r"^/2/",
            headers={
                "Content-Type": "application/json",
                "x-rate-limit-limit": "450",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(time.time()) + seconds),
            },
            body={
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
        )

    def _invalid(self, parameter: str, message: str) -> Response:
        return Response.json(
            {
                "errors": [{"parameters": {parameter: [message]}, "message": message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            400,
            self._rate(),
        )

    # -- reading -----------------------------------------------------------------------
    def _timeline(
        self, request: Request, tweets: list[dict], token_name: str, low: int
    ) -> Response:
        try:
            size = int(request.arg("max_results", "10"))
        except ValueError:
            size = 0
        if not low <= size <= 100:
            return self._invalid(
                "max_results",
                f"The `max_results` query parameter value [{size}] is not between {low} and 100",
            )
        since = request.arg("since_id")
        if since and int(since) < self.oldest_since_id:
            return self._invalid(
                "since_id",
                f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after"
                " the start of the search window.",
            )
        if self.replay_next:
            self.replay_next, since = False, None
        until = request.arg(token_name)
        chosen = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)
        if since:
            chosen = [t for t in chosen if int(t["id"]) > int(since)]
        if until:
            chosen = [t for t in chosen if int(t["id"]) < int(until.removeprefix("b26v89c19z"))]
        size = min(size, self.page_size or size)
        page, rest = chosen[:size], chosen[size:]
        fields = set((request.arg("tweet.fields") or "").split(","))
        user_fields = set((request.arg("user.fields") or "").split(","))
        body: dict = {}
        if page:
            body["data"] = [self.wire_tweet(t, fields) for t in page]
            if "author_id" in (request.arg("expansions") or "").split(","):
                authors = dict.fromkeys(str(t.get("author_id")) for t in page)
                users = [u for a in authors if (u := self.wire_user(a, user_fields))]
                body["includes"] = {"users": users}
        meta: dict = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if rest:
            meta["next_token"] = "b26v89c19z" + page[-1]["id"]
        body["meta"] = meta
        return Response.json(body, headers=self._rate())

    def search_recent(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        if not request.arg("query"):
            return self._invalid("query", "The `query` query parameter can not be empty")
        return self._timeline(request, list(self.tweets.values()), "next_token", 10)

    def mentions(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        uid = request.match["id"]
        found = [
            t
            for t in self.tweets.values()
            if any(m.get("id") == uid for m in (t.get("entities") or {}).get("mentions", []))
        ]
        return self._timeline(request, found, "pagination_token", 5)

    def me(self, request: Request) -> Response:
        refused = self._auth(request, app=False)
        if refused:
            return refused
        return Response.json({"data": self.wire_user(OUR_ID, set())}, headers=self._rate())

    def user(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        found = self.wire_user(request.match["id"], set())
        if found is None:
            return Response.json(
                {
                    "errors": [
                        {
                            "value": request.match["id"],
                            "detail": "Could not find user.",
                            "title": "Not Found Error",
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
                headers=self._rate(),
            )
        return Response.json({"data": found}, headers=self._rate())

    # -- posting -----------------------------------------------------------------------
    def create_tweet(self, request: Request) -> Response:
        refused = self._auth(request, app=False)
        if refused:
            return refused
        data = request.json() or {}
        text = data.get("text")
        if not isinstance(text, str) or not text:
            return self._invalid("text", "text must not be empty")
        if any(t["text"] == text and t.get("author_id") == OUR_ID for t in self.tweets.values()):
            return Response.json(
                {
                    "detail": "You are not allowed to create a Tweet with duplicate content.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
                403,
                self._rate(),
            )
        parent_id = (data.get("reply") or {}).get("in_reply_to_tweet_id")
        parent = self.tweets.get(str(parent_id)) if parent_id else None
        if parent_id and parent is None:
            return Response.json(
                {
                    "detail": "You attempted to reply to a Tweet that is deleted or not visible"
                    " to you.",
                    "type": "about:blank",
                    "title": "Invalid Request",
                    "status": 400,
                },
                400,
                self._rate(),
            )
        tweet_id = str(next(self.ids))
        tweet = {
            "id": tweet_id,
            "text": text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": OUR_ID,
            "created_at": _now_iso(),
            "conversation_id": (parent or {}).get("conversation_id") or tweet_id,
            "lang": "es",
        }
        if parent:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
            tweet["in_reply_to_user_id"] = parent.get("author_id")
        self.tweets[tweet_id] = tweet
        self.sent.append({"payload": data, "tweet": tweet})
        answer = {"id": tweet_id, "text": escape(text), "edit_history_tweet_ids": [tweet_id]}
        return Response.json({"data": answer}, 201, self._rate())

    def send_dm(self, request: Request) -> Response:
        refused = self._auth(request, app=False)
        if refused:
            return refused
        data = request.json() or {}
        other = request.match["id"]
        event_id = str(next(self.ids))
        low, high = sorted((OUR_ID, other), key=int)
        self.dms.append({"to": other, "text": data.get("text"), "id": event_id})
        return Response.json(
            {"data": {"dm_conversation_id": f"{low}-{high}", "dm_event_id": event_id}},
            201,
            self._rate(),
        )

    # -- filtered stream ---------------------------------------------------------------
    def list_rules(self, request: Request) -> Response:
        refused = self._auth(request, user=False)
        if refused:
            return refused
        rules = list(self.rules.values())
        meta = {"sent": _now_iso(), "result_count": len(rules)}
        return Response.json(
            {"data": rules, "meta": meta} if rules else {"meta": meta}, headers=self._rate()
        )

    def change_rules(self, request: Request) -> Response:
        refused = self._auth(request, user=False)
        if refused:
            return refused
        data = request.json() or {}
        meta: dict = {"sent": _now_iso()}
        if "delete" in data:
            ids = [str(i) for i in (data["delete"] or {}).get("ids", [])]
            deleted = [i for i in ids if self.rules.pop(i, None) is not None]
            meta["summary"] = {"deleted": len(deleted), "not_deleted": len(ids) - len(deleted)}
            return Response.json({"meta": meta}, headers=self._rate())
        created, errors = [], []
        for rule in data.get("add") or []:
            value = str(rule.get("value") or "")
            if any(r["value"] == value for r in self.rules.values()):
                errors.append(
                    {
                        "value": value,
                        "id": next(r["id"] for r in self.rules.values() if r["value"] == value),
                        "title": "DuplicateRule",
                        "type": "https://api.twitter.com/2/problems/duplicate-rules",
                    }
                )
                continue
            if not value or len(value) > 1024 or value.count("(") != value.count(")"):
                errors.append(
                    {
                        "value": value,
                        "details": [
                            "Rules must contain a non-stopword keyword and balanced parentheses."
                        ],
                        "title": "UnprocessableEntity",
                        "type": "https://api.twitter.com/2/problems/invalid-rules",
                    }
                )
                continue
            stored = {"id": str(next(self.rule_ids)), "value": value}
            if rule.get("tag"):
                stored["tag"] = rule["tag"]
            self.rules[stored["id"]] = stored
            created.append(stored)
        meta["summary"] = {
            "created": len(created),
            "not_created": len(errors),
            "valid": len(created),
            "invalid": len(errors),
        }
        body: dict = {"meta": meta}
        if created:
            body["data"] = created
        if errors:
            body["errors"] = errors
        return Response.json(body, 201 if created else 200, self._rate())

    def filtered_stream(self, request: Request) -> Response:
        refused = self._auth(request, user=False)
        if refused:
            return refused
        fields = set((request.arg("tweet.fields") or "").split(","))
        user_fields = set((request.arg("user.fields") or "").split(","))
        expand = "author_id" in (request.arg("expansions") or "").split(",")
        with self.lock:
            self.connections += 1
            mine = self.connections

        def lines():
            with self.lock:
                self.live_streams += 1
            try:
                yield from self._lines(mine, fields, user_fields, expand)
            finally:
                with self.lock:
                    self.live_streams -= 1

        return Response.stream(lines(), "application/json", self._rate())

    def _lines(self, mine: int, fields: set, user_fields: set, expand: bool):
        # One connection at a time: a newer one ends this one (X allows one per app).
        while not self.closing.is_set() and mine == self.connections:
            try:
                entry = self.stream_queue.get(timeout=0.02)
            except queue.Empty:
                yield b"\r\n"  # keep-alive
                continue
            if entry is END:
                return
            if entry is DROP:
                yield b'{"data":{"id":"1799'
                return
            if isinstance(entry, bytes):
                yield entry
                continue
            message: dict = {"data": self.wire_tweet(entry, fields)}
            if expand:
                user = self.wire_user(str(entry.get("author_id")), user_fields)
                message["includes"] = {"users": [user] if user else []}
            message["matching_rules"] = [
                {"id": r["id"], "tag": r.get("tag", "")} for r in self.rules.values()
            ]
            yield json.dumps(message, ensure_ascii=False).encode() + b"\r\n"

    def stream_tweet(self, tweet: dict) -> None:
        """Send a stored tweet down the open (or next) stream connection."""
        self.stream_queue.put(tweet)

    def stream_error(self, title: str = "operational-disconnect") -> None:
        error = {
            "errors": [
                {
                    "title": title,
                    "disconnect_type": "OperationalDisconnect",
                    "detail": "This stream has been disconnected for operational reasons.",
                    "type": "https://api.twitter.com/2/problems/operational-disconnect",
                }
            ]
        }
        self.stream_queue.put(json.dumps(error).encode() + b"\r\n")
        self.stream_queue.put(END)  # X closes the connection after telling why

    def stream_drop(self) -> None:
        self.stream_queue.put(DROP)

    def stream_end(self) -> None:
        self.stream_queue.put(END)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
