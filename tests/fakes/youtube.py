"""A fake YouTube Data API v3 for comments, with Google's OAuth token endpoint and quota.

It answers what the YouTube connector calls, the way Google does:
- `POST /token` (`grant_type=refresh_token`): `{"access_token", "expires_in", ...}`; a
  revoked refresh token is `400 {"error": "invalid_grant", ...}`, a wrong client `401
  {"error": "invalid_client"}`;
- `GET /youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=|videoId=`
  newest first, `maxResults` 1-100 (20 by default), opaque `pageToken`/`nextPageToken`,
  at most 5 replies inside a thread, `textFormat=html` (the default) or `plainText`;
- `GET /youtube/v3/comments?id=a,b` (deleted ones are simply missing) and `?parentId=`;
- `POST /youtube/v3/comments?part=snippet` with `{"snippet": {"parentId", "textOriginal"}}`
  (OAuth only): the new reply, whose id is `<parent id>.<reply id>`;
- `GET /youtube/v3/channels?part=snippet&mine=true|id=`;
- reads take `key=<API key>` or `Authorization: Bearer`; errors are Google's JSON
  `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`;
- quota: list calls cost 1 unit, inserts 50; over `daily_limit` every call is
  `403 quotaExceeded`. `textOriginal` is only shown to OAuth callers.

The test tells it what happens on YouTube: `publish`, `edit`, `delete`,
`disable_comments`, and faults: `rate_limit_next`, `error_next`, `revoke`.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from .server import FakeServer, Request, Response

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/youtube/fixtures"
API = "/youtube/v3"
COSTS = {"list": 1, "insert": 50}
EMBEDDED = 5  # replies a thread carries


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_error(code: int, message: str, reason: str, domain: str = "global") -> Response:
    status = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
    }.get(code, "UNKNOWN")
    body = {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": status,
        }
    }
    return Response.json(body, code)


class FakeYouTube(FakeServer):
    def __init__(
        self,
        *,
        api_key: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        channel_id: str = "UCacmeMovil0000000000001",
        handle: str = "acmemovil",
        daily_limit: int = 10_000,
        token_lifetime: int = 3599,
    ):
        super().__init__()
        self.api_key = api_key
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token = refresh_token
        self.channel_id, self.handle = channel_id, handle
        self.daily_limit = daily_limit
        self.token_lifetime = token_lifetime
        self.data_lock = threading.RLock()
        self.threads: dict[str, dict] = {}  # thread id -> thread without replies
        self.replies: dict[str, list[dict]] = {}  # thread id -> replies, oldest first
        self.order: list[str] = []  # thread ids, newest first
        self.disabled_videos: set[str] = set()
        self.tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.units = 0
        self.calls: list[tuple[str, int]] = []  # (method name, units)
        self.sent: list[dict] = []
        self.numbers = itertools.count(1)
        self.page_tokens: dict[str, int] = {}
        self.route("POST", r"/token")(self.token)
        self.route("GET", API + r"/commentThreads")(self.comment_threads)
        self.route("GET", API + r"/comments")(self.comments_list)
        self.route("POST", API + r"/comments")(self.comments_insert)
        self.route("GET", API + r"/channels")(self.channels)

    # -- what happens on YouTube --------------------------------------------------------
    def publish(self, obj: dict) -> str:
        """A new thread (`youtube#commentThread`) or a reply (`youtube#comment` with parentId)."""
        obj = copy.deepcopy(obj)
        with self.data_lock:
            if obj["kind"] == "youtube#commentThread":
                replies = (obj.pop("replies", None) or {}).get("comments", [])
                self.threads[obj["id"]] = obj
                self.replies[obj["id"]] = replies
                self.order.insert(0, obj["id"])
            else:
                parent = obj["snippet"]["parentId"]
                self.replies[parent].append(obj)
            return obj["id"]

    def _find(self, cid: str) -> dict | None:
        if cid in self.threads:
            return self.threads[cid]["snippet"]["topLevelComment"]
        parent = cid.partition(".")[0]
        return next((r for r in self.replies.get(parent, []) if r["id"] == cid), None)

    def edit(self, cid: str, text: str) -> None:
        with self.data_lock:
            snippet = self._find(cid)["snippet"]
            snippet["textOriginal"] = snippet["textDisplay"] = text
            snippet["updatedAt"] = now_iso()

    def delete(self, cid: str) -> None:
        with self.data_lock:
            if cid in self.threads:
                del self.threads[cid]
                self.replies.pop(cid, None)
                self.order.remove(cid)
            else:
                parent = cid.partition(".")[0]
                self.replies[parent] = [r for r in self.replies[parent] if r["id"] != cid]

    def disable_comments(self, video_id: str) -> None:
        self.disabled_videos.add(video_id)

    def revoke(self) -> None:
        """The channel owner revoked our access: tokens and the refresh token stop working."""
        with self.data_lock:
            self.tokens.clear()
            self.refresh_token = "revoked"

    def rate_limit_next(self, seconds: int) -> None:
        body = fixture("error__rate_limit.json")
        self.fail_next(
            429,
            path=r"^/youtube/v3/",
            headers={
                "Content-Type": "application/json; charset=UTF-8",
                "Retry-After": str(seconds),
            },
            body=body,
        )

    def error_next(self, name: str, *, path: str = r"^/youtube/v3/") -> None:
        """Answer the next API call with the fixture `error__<name>.json`."""
        body = fixture(f"error__{name}.json")
        self.fail_next(
            body["error"]["code"],
            path=path,
            headers={"Content-Type": "application/json; charset=UTF-8"},
            body=body,
        )

    # -- plumbing -----------------------------------------------------------------------
    def _caller(self, request: Request, *, oauth: bool = False) -> tuple[bool, Response | None]:
        """(is OAuth, refusal or None)."""
        key = request.arg("key")
        if key is not None and not oauth:
            if key != self.api_key:
                refusal = fixture("error__key_invalid.json")
                return False, Response.json(refusal, 400)
            return False, None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token in self.tokens:
            return True, None
        if not scheme and key is None:
            return False, google_error(
                403, "The request is missing a valid API key.", "forbidden", "global"
            )
        return False, Response.json(fixture("error__auth.json"), 401)

    def _charge(self, method: str) -> Response | None:
        cost = COSTS["insert" if method.endswith("insert") else "list"]
        with self.data_lock:
            if self.units + cost > self.daily_limit:
                return Response.json(fixture("error__quota_exceeded.json"), 403)
            self.units += cost
            self.calls.append((method, cost))
        return None

    def _shown(self, comment: dict, request: Request, oauth: bool) -> dict:
        comment = copy.deepcopy(comment)
        snippet = comment["snippet"]
        if request.arg("textFormat", "html") == "html":
            snippet["textDisplay"] = html.escape(snippet["textOriginal"]).replace("\n", "<br>")
        if not oauth:
            snippet.pop("textOriginal", None)  # only guaranteed to the comment's author
        return comment

    def _page(self, request: Request, items: list, default: int = 20) -> tuple[list, str | None]:
        try:
            size = int(request.arg("maxResults", str(default)))
        except ValueError:
            size = -1
        if not 1 <= size <= 100:
            return [], "bad"
        token = request.arg("pageToken")
        start = self.page_tokens.get(token, -1) if token else 0
        if start < 0:
            return [], "bad"
        chosen = items[start : start + size]
        following = None
        if start + size < len(items):
            following = f"QURTSl9p{secrets.token_hex(6)}"
            self.page_tokens[following] = start + size
        return chosen, following

    def _bad(self, message: str, reason: str) -> Response:
        return google_error(400, message, reason, "youtube.parameter")

    # -- routes ---------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = request.form()
        self.token_requests.append(form)
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return Response.json(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                401,
            )
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != (
            self.refresh_token
        ):
            return Response.json(fixture("token__invalid_grant.json"), 400)
        token = f"ya29.a0{secrets.token_urlsafe(24)}"
        with self.data_lock:
            self.tokens.add(token)
        return Response.json(
            {
                "access_token": token,
                "expires_in": self.token_lifetime,
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                "token_type": "Bearer",
            }
        )

    def comment_threads(self, request: Request) -> Response:
        oauth, refused = self._caller(request)
        if refused:
            return refused
        parts = set((request.arg("part") or "").split(","))
        if "snippet" not in parts:
            return self._bad(
                "No filter selected. Expected one of: snippet, replies", "missingRequiredParameter"
            )
        channel, video = request.arg("allThreadsRelatedToChannelId"), request.arg("videoId")
        if bool(channel) == bool(video):
            return self._bad("No filter selected.", "missingRequiredParameter")
        if video in self.disabled_videos:
            return Response.json(fixture("error__comments_disabled.json"), 403)
        charged = self._charge("commentThreads.list")
        if charged:
            return charged
        with self.data_lock:
            threads = [
                self.threads[t]
                for t in self.order
                if (video and self.threads[t]["snippet"]["videoId"] == video)
                or (channel and self.threads[t]["snippet"]["channelId"] == channel)
            ]
            chosen, following = self._page(request, threads)
            if following == "bad":
                return self._bad(
                    "The pageToken or maxResults parameter is invalid.", "invalidPageToken"
                )
            items = []
            for thread in chosen:
                thread = copy.deepcopy(thread)
                snippet = thread["snippet"]
                snippet["topLevelComment"] = self._shown(snippet["topLevelComment"], request, oauth)
                replies = self.replies.get(thread["id"], [])
                snippet["totalReplyCount"] = len(replies)
                if "replies" in parts and replies:
                    thread["replies"] = {
                        "comments": [self._shown(r, request, oauth) for r in replies[:EMBEDDED]]
                    }
                items.append(thread)
        body = {
            "kind": "youtube#commentThreadListResponse",
            "etag": secrets.token_hex(8),
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            "items": items,
        }
        if following:
            body["nextPageToken"] = following
        return Response.json(body)

    def comments_list(self, request: Request) -> Response:
        oauth, refused = self._caller(request)
        if refused:
            return refused
        ids, parent = request.arg("id"), request.arg("parentId")
        if bool(ids) == bool(parent):
            return self._bad("No filter selected.", "missingRequiredParameter")
        charged = self._charge("comments.list")
        if charged:
            return charged
        following = None
        with self.data_lock:
            if ids:
                wanted = ids.split(",")
                if len(wanted) > 50:
                    return self._bad("Too many ids.", "invalidParameter")
                found = [c for c in (self._find(i) for i in wanted) if c is not None]
            else:
                found, following = self._page(request, self.replies.get(parent, []))
                if following == "bad":
                    return self._bad("The pageToken parameter is invalid.", "invalidPageToken")
            items = [self._shown(c, request, oauth) for c in found]
        body = {"kind": "youtube#commentListResponse", "etag": secrets.token_hex(8), "items": items}
        if following:
            body["nextPageToken"] = following
        return Response.json(body)

    def comments_insert(self, request: Request) -> Response:
        oauth, refused = self._caller(request, oauth=True)
        if refused:
            return refused
        if not oauth:
            return Response.json(fixture("error__auth.json"), 401)
        try:
            snippet = request.json()["snippet"]
            parent, text = snippet["parentId"], snippet["textOriginal"]
        except (ValueError, KeyError, TypeError):
            return self._bad("The request metadata is invalid.", "invalidCommentMetadata")
        with self.data_lock:
            thread = self.threads.get(parent)
            if thread is None:
                return google_error(
                    404, "The parent comment could not be found.", "parentCommentNotFound",
                    "youtube.comment",
                )  # fmt: skip
            if thread["snippet"]["videoId"] in self.disabled_videos:
                return Response.json(fixture("error__comments_disabled.json"), 403)
            if not isinstance(text, str) or not text.strip() or len(text) > 10_000:
                return self._bad("The comment text is empty or too long.", "commentTextTooLong")
            charged = self._charge("comments.insert")
            if charged:
                return charged
            at = now_iso()
            reply = {
                "kind": "youtube#comment",
                "etag": secrets.token_hex(8),
                "id": f"{parent}.{next(self.numbers):04d}{secrets.token_hex(9)}",
                "snippet": {
                    "channelId": thread["snippet"]["channelId"],
                    "videoId": thread["snippet"]["videoId"],
                    "textDisplay": text,
                    "textOriginal": text,
                    "parentId": parent,
                    "authorDisplayName": f"@{self.handle}",
                    "authorProfileImageUrl": "https://yt3.ggpht.com/ytc/acme=s48",
                    "authorChannelUrl": f"http://www.youtube.com/@{self.handle}",
                    "authorChannelId": {"value": self.channel_id},
                    "canRate": True,
                    "viewerRating": "none",
                    "likeCount": 0,
                    "publishedAt": at,
                    "updatedAt": at,
                },
            }
            self.replies[parent].append(reply)
            self.sent.append({"parentId": parent, "text": text, "id": reply["id"]})
        return Response.json(copy.deepcopy(reply))

    def channels(self, request: Request) -> Response:
        mine = request.arg("mine") == "true"
        oauth, refused = self._caller(request, oauth=mine)
        if refused:
            return refused
        if mine and not oauth:
            return Response.json(fixture("error__auth.json"), 401)
        charged = self._charge("channels.list")
        if charged:
            return charged
        body = fixture("channels__mine.json")
        body["items"][0]["id"] = self.channel_id
        if not mine and request.arg("id") != self.channel_id:
            body["items"] = []
        return Response.json(body)
