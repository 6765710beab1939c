"""A fake Reddit: OAuth tokens, Listings, the inbox, `/api/info` and `/api/comment`.

It answers what the Reddit connector calls, the way Reddit does:
- `POST /api/v1/access_token` with HTTP Basic `client_id:client_secret`: `grant_type=password`
  (a user token; a wrong password is a 200 `{"error": "invalid_grant"}`) or
  `client_credentials` (read-only); a wrong client is a 401;
- every other call wants `Authorization: bearer <token>` (401 otherwise) and a User-Agent
  of the form `<platform>:<app id>:<version> (by /u/<name>)` (429 otherwise), and answers
  with `X-Ratelimit-Used`, `X-Ratelimit-Remaining` and `X-Ratelimit-Reset` (seconds);
- Listings (`/r/<sub>/comments`, `/r/<sub>/new`, `/search`, `/message/inbox|unread|mentions`)
  newest first, `limit` up to 100, `after=` older and `before=` newer than a fullname; a
  `before`/`after` anchor that is no longer in the listing gives an empty listing;
  without `raw_json=1` strings come HTML-escaped (`&amp;`, `&lt;`, `&gt;`);
- `/api/info?id=t1_a,t3_b` (at most 100) returns comments and posts even when deleted;
- `POST /api/comment` (`api_type=json`) answers `{"json": {"errors": [], "data": {"things":
  [...]}}}` and lists the new comment in its subreddit; refusals are `json.errors` triples.

The test tells it what happens on Reddit: `publish`, `edit`, `delete`, `remove`,
`make_private` (its listings answer 403), and
faults: `rate_limit_next`, `ratelimit_comment_next`, `overlap_next` (the next listing
ignores `before`/`after`, as a re-poll of the same page would), `revoke_tokens`.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import secrets
import threading
import time
from pathlib import Path

from .server import FakeServer, Request, Response

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/reddit/fixtures"
USER_AGENT = re.compile(r"^[^\s:]+:[^\s:]+:[^\s:]+ \(by /u/[A-Za-z0-9_-]{3,20}\)")
INBOX_FIELDS = ("type", "context", "subject", "was_comment", "new", "dest")
WINDOW = 600  # seconds of Reddit's rate-limit window
BUDGET = 1000  # requests per window (100 a minute, averaged over ten)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def _escape(value):
    """What Reddit does to every string when `raw_json=1` is missing."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, list):
        return [_escape(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


def _error(status: int, message: str) -> Response:
    return Response.json({"message": message, "error": status}, status)


class FakeReddit(FakeServer):
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        username: str = "acme_support",
        password: str = "",
        user_id: str = "1acme",
        token_lifetime: int = 3600,
    ):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password, self.user_id = username, password, user_id
        self.token_lifetime = token_lifetime
        self.data_lock = threading.RLock()
        self.things: dict[str, dict] = {}  # fullname -> thing, as /api/info shows it
        self.inbox_extra: dict[str, dict] = {}  # fullname -> the fields inbox items add
        self.listings: dict[str, list[str]] = {}  # "r/acme/comments", "inbox"... newest first
        self.order: list[str] = []  # every fullname, newest first (search)
        self.tokens: dict[str, dict] = {}  # token -> {"user": bool, "expires": epoch}
        self.token_requests: list[dict] = []
        self.sent: list[dict] = []
        self.overlap = 0
        self.used = 0
        self.window_start = time.time()
        self.numbers = itertools.count(int("lx0000", 36))
        self.subreddits: set[str] = set()
        self.comment_errors: list[dict] = []
        self.private: set[str] = set()
        self.route("POST", r"/api/v1/access_token")(self.access_token)
        self.route("GET", r"/r/(?P<sub>[A-Za-z0-9_+]+)/(?P<listing>comments|new)")(self.subreddit)
        self.route("GET", r"/r/(?P<sub>[A-Za-z0-9_]+)/about")(self.about)
        self.route("GET", r"/search")(self.search)
        self.route("GET", r"/message/(?P<box>inbox|unread|mentions)")(self.message)
        self.route("GET", r"/api/info")(self.info)
        self.route("POST", r"/api/comment")(self.comment)
        self.route("GET", r"/api/v1/me")(self.me)

    # -- what happens on Reddit -------------------------------------------------------
    def publish(self, thing: dict) -> str:
        """Put a thing where Reddit lists it: comments, new posts, the inbox."""
        thing = copy.deepcopy(thing)
        kind, data = thing["kind"], thing["data"]
        name = data["name"]
        extra = {k: data.pop(k) for k in INBOX_FIELDS if k in data}
        with self.data_lock:
            self.things[name] = thing
            self.order.insert(0, name)
            sub = str(data.get("subreddit") or "").lower()
            if sub:
                self.subreddits.add(sub)
            if kind == "t4":
                self.inbox_extra[name] = {"was_comment": False, "new": True, **extra}
                self._list("inbox", name)
            elif kind == "t3":
                self._list(f"r/{sub}/new", name)
            else:
                self._list(f"r/{sub}/comments", name)
                if extra.get("type"):
                    self.inbox_extra[name] = extra
                    self._list("inbox", name)
                    if extra["type"] == "username_mention":
                        self._list("mentions", name)
        return name

    def _list(self, key: str, name: str) -> None:
        self.listings.setdefault(key, []).insert(0, name)

    def edit(self, name: str, text: str) -> None:
        with self.data_lock:
            data = self.things[name]["data"]
            data["selftext" if self.things[name]["kind"] == "t3" else "body"] = text
            data["edited"] = float(time.time())

    def delete(self, name: str, marker: str = "[deleted]") -> None:
        """The author deletes it (or, with "[removed]", a moderator removes it)."""
        with self.data_lock:
            thing = self.things[name]
            data = thing["data"]
            if thing["kind"] == "t3":
                data["selftext"] = marker
                data["removed_by_category"] = "deleted" if marker == "[deleted]" else "moderator"
            else:
                data["body"] = marker
            if marker == "[deleted]":
                data["author"] = "[deleted]"
                data.pop("author_fullname", None)
            for key, names in self.listings.items():
                if key.startswith("r/") and name in names:
                    names.remove(name)

    def remove(self, name: str) -> None:
        self.delete(name, "[removed]")

    def make_private(self, sub: str) -> None:
        self.private.add(sub.lower())

    def overlap_next(self, times: int = 1) -> None:
        self.overlap += times

    def revoke_tokens(self) -> None:
        with self.data_lock:
            self.tokens.clear()

    def rate_limit_next(self, seconds: int) -> None:
        self.fail_next(
            429,
            path=r"^/(?!api/v1/access_token)",
            headers={
                "Content-Type": "application/json; charset=UTF-8",
                "x-ratelimit-used": str(BUDGET),
                "x-ratelimit-remaining": "0.0",
                "x-ratelimit-reset": str(seconds),
            },
            body={"message": "Too Many Requests", "error": 429},
        )

    def ratelimit_comment_next(self) -> None:
        self.comment_errors.append(fixture("api_comment__ratelimit.json"))

    def spend_budget(self, remaining: int = 0) -> None:
        """Use the window's budget up to `remaining` requests."""
        self.used = BUDGET - remaining

    # -- plumbing ---------------------------------------------------------------------
    def _rate_headers(self) -> dict[str, str]:
        now = time.time()
        if now - self.window_start >= WINDOW:
            self.window_start, self.used = now, 0
        self.used += 1
        return {
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-remaining": f"{max(BUDGET - self.used, 0):.1f}",
            "x-ratelimit-reset": str(int(WINDOW - (now - self.window_start))),
        }

    def _answer(self, request: Request, data, status: int = 200) -> Response:
        if request.arg("raw_json") != "1":
            data = _escape(data)
        return Response.json(data, status, self._rate_headers())

    def _caller(self, request: Request, *, user: bool = False) -> Response | None:
        """None when the request may go on, else Reddit's refusal."""
        if not USER_AGENT.match(request.headers.get("user-agent", "")):
            return _error(429, "Too Many Requests")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        grant = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if grant is None or grant["expires"] < time.time():
            response = _error(401, "Unauthorized")
            response.headers["www-authenticate"] = 'Bearer realm="reddit", error="invalid_token"'
            return response
        if user and not grant["user"]:
            return _error(403, "Forbidden")
        return None

    def _thing(self, name: str, *, inbox: bool = False) -> dict:
        thing = copy.deepcopy(self.things[name])
        if inbox and name in self.inbox_extra:
            thing["data"].update(self.inbox_extra[name])
        return thing

    def _listing(self, request: Request, names: list[str], *, inbox: bool = False) -> Response:
        try:
            limit = max(1, min(int(request.arg("limit", "25")), 100))
        except ValueError:
            limit = 25
        after, before = request.arg("after"), request.arg("before")
        with self.data_lock:
            if self.overlap:
                self.overlap -= 1
                after = before = None
            if before:
                index = names.index(before) if before in names else -1
                chosen = names[max(0, index - limit) : index] if index > 0 else []
            elif after:
                index = names.index(after) if after in names else len(names)
                chosen = names[index + 1 : index + 1 + limit]
            else:
                chosen = names[:limit]
            last = names.index(chosen[-1]) if chosen else len(names)
            first = names.index(chosen[0]) if chosen else 0
            body = {
                "kind": "Listing",
                "data": {
                    "after": chosen[-1] if chosen and last + 1 < len(names) else None,
                    "before": chosen[0] if chosen and first > 0 else None,
                    "dist": len(chosen),
                    "modhash": None,
                    "geo_filter": "",
                    "children": [self._thing(n, inbox=inbox) for n in chosen],
                },
            }
        return self._answer(request, body)

    # -- routes -----------------------------------------------------------------------
    def access_token(self, request: Request) -> Response:
        if not USER_AGENT.match(request.headers.get("user-agent", "")):
            return _error(429, "Too Many Requests")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            client, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            client = secret = ""
        if scheme.lower() != "basic" or (client, secret) != (self.client_id, self.client_secret):
            return _error(401, "Unauthorized")
        form = request.form()
        self.token_requests.append(form)
        if form.get("grant_type") == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                return Response.json({"error": "invalid_grant"})
            user = True
        elif form.get("grant_type") == "client_credentials":
            user = False
        else:
            return Response.json({"error": "unsupported_grant_type"}, 400)
        token = f"{secrets.randbelow(10**7)}-{secrets.token_urlsafe(20)}"
        with self.data_lock:
            self.tokens[token] = {"user": user, "expires": time.time() + self.token_lifetime}
        return Response.json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "scope": "*",
            }
        )

    def subreddit(self, request: Request) -> Response:
        refused = self._caller(request)
        if refused:
            return refused
        listing = request.match["listing"]
        names: list[str] = []
        subs = [s.lower() for s in request.match["sub"].split("+")]
        if self.private & set(subs):
            return Response.json({"reason": "private", "message": "Forbidden", "error": 403}, 403)
        with self.data_lock:
            for name in self.order:  # a multireddit merges its parts, newest first
                if any(name in self.listings.get(f"r/{s}/{listing}", []) for s in subs):
                    names.append(name)
        return self._listing(request, names)

    def about(self, request: Request) -> Response:
        refused = self._caller(request)
        if refused:
            return refused
        sub = request.match["sub"]
        if sub.lower() not in self.subreddits:
            return _error(404, "Not Found")
        return self._answer(
            request, {"kind": "t5", "data": {"display_name": sub, "name": f"t5_{sub.lower()}"}}
        )

    def search(self, request: Request) -> Response:
        refused = self._caller(request)
        if refused:
            return refused
        query = (request.arg("q") or "").lower()
        with self.data_lock:
            names = [
                n
                for n in self.order
                if self.things[n]["kind"] == "t3"
                and not self.things[n]["data"].get("removed_by_category")
                and query
                in (
                    str(self.things[n]["data"].get("title", ""))
                    + " "
                    + str(self.things[n]["data"].get("selftext", ""))
                ).lower()
            ]
        return self._listing(request, names)

    def message(self, request: Request) -> Response:
        refused = self._caller(request, user=True)
        if refused:
            return refused
        box = request.match["box"]
        with self.data_lock:
            names = list(self.listings.get("mentions" if box == "mentions" else "inbox", []))
        return self._listing(request, names, inbox=True)

    def info(self, request: Request) -> Response:
        refused = self._caller(request)
        if refused:
            return refused
        wanted = [n for n in (request.arg("id") or "").split(",") if n]
        if len(wanted) > 100:
            return _error(400, "Bad Request")
        with self.data_lock:
            found = [
                self._thing(n) for n in wanted if n in self.things and n.startswith(("t1_", "t3_"))
            ]
        body = {
            "kind": "Listing",
            "data": {"after": None, "before": None, "dist": len(found), "children": found},
        }
        return self._answer(request, body)

    def me(self, request: Request) -> Response:
        refused = self._caller(request, user=True)
        if refused:
            return refused
        me = fixture("me.json")
        me.update(name=self.username, id=self.user_id)
        return self._answer(request, me)

    def comment(self, request: Request) -> Response:
        refused = self._caller(request, user=True)
        if refused:
            return refused
        form = request.form()
        if self.comment_errors:
            return self._answer(request, self.comment_errors.pop(0))
        parent_name, text = form.get("thing_id", ""), form.get("text", "")

        def refuse(code: str, message: str, field: str) -> Response:
            return self._answer(request, {"json": {"errors": [[code, message, field]]}})

        if form.get("api_type") != "json":
            return _error(400, "Bad Request")
        if not text.strip():
            return refuse("NO_TEXT", "we need something here", "text")
        if len(text) > 10_000:
            return refuse("TOO_LONG", "this is too long (max: 10000)", "text")
        with self.data_lock:
            parent = self.things.get(parent_name)
            if parent is None:
                return refuse("INVALID_THING", "that thing does not exist", "parent")
            pdata = parent["data"]
            if pdata.get("body") in ("[deleted]", "[removed]") or pdata.get("removed_by_category"):
                return self._answer(request, fixture("api_comment__deleted_parent.json"))
            number = next(self.numbers)
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"
            id36 = ""
            while number:
                number, rest = divmod(number, 36)
                id36 = digits[rest] + id36
            if parent["kind"] == "t4":
                kind = "t4"
                data = {
                    "id": id36,
                    "name": f"t4_{id36}",
                    "author": self.username,
                    "author_fullname": f"t2_{self.user_id}",
                    "body": text,
                    "parent_id": parent_name,
                    "first_message_name": pdata.get("first_message_name") or parent_name,
                    "dest": pdata.get("author"),
                    "created_utc": float(int(time.time())),
                }
            else:
                kind = "t1"
                link = pdata.get("link_id") or parent_name
                sub = pdata.get("subreddit")
                post = link.removeprefix("t3_")
                data = {
                    "id": id36,
                    "name": f"t1_{id36}",
                    "author": self.username,
                    "author_fullname": f"t2_{self.user_id}",
                    "body": text,
                    "parent_id": parent_name,
                    "link_id": link,
                    "subreddit": sub,
                    "subreddit_id": pdata.get("subreddit_id"),
                    "created_utc": float(int(time.time())),
                    "edited": False,
                    "permalink": f"/r/{sub}/comments/{post}/_/{id36}/",
                    "score": 1,
                    "replies": "",
                }
            thing = {"kind": kind, "data": data}
            self.things[data["name"]] = copy.deepcopy(thing)
            self.order.insert(0, data["name"])
            if kind == "t1":
                self._list(f"r/{str(data['subreddit']).lower()}/comments", data["name"])
            self.sent.append({"thing_id": parent_name, "text": text, "name": data["name"]})
        return self._answer(request, {"json": {"errors": [], "data": {"things": [thing]}}})
