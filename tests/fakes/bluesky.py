"""A fake Bluesky: an XRPC PDS/AppView and a Jetstream v1 WebSocket, sharing one network.

`FakeBluesky` (HTTP, `tests.fakes.server.FakeServer`) answers what Panal calls:
`com.atproto.server.createSession` / `refreshSession` (app password, access and
refresh tokens that can be expired on demand: 400 `ExpiredToken`),
`app.bsky.feed.searchPosts` (sort latest, inclusive `since`, offset cursors),
`app.bsky.notification.listNotifications` (`reasons`, cursors), `app.bsky.feed.getPosts`
and `com.atproto.repo.createRecord` (checks the repo, the record, the reply refs'
cids and the facets' UTF-8 byte ranges). Errors are XRPC bodies `{"error", "message"}`;
every answer carries `RateLimit-Limit/Remaining/Reset/Policy`, and `rate_limit_next`
makes the next one a 429 `RateLimitExceeded`.

`FakeJetstream` (WebSocket, `tests.fakes.websocket.FakeWebSocketServer`) serves
`/subscribe?wantedCollections=…&cursor=<time_us>`: it replays stored events from the
cursor (or only new ones without a cursor, like the real one), then follows live.
`drop_after(n)` makes the next connection die after n frames. For load tests,
`synthetic_frames(n)` builds n realistic commit frames quickly and `load(frames)` stores
them pre-encoded; a connection then sends them as fast as the socket takes them:

    jet = FakeJetstream().start()
    jet.load(synthetic_frames(100_000, relevant_every=1))
    # point an account's jetstream_url at jet.base_url and stream from cursor 0 ...
    jet.stop()
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import json
import random
import re
import socket
import threading
import time
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.server import ServerConnection

from panal.core.text import fold

from .server import FakeServer, Request, Response
from .websocket import FakeWebSocketServer

OUR_DID = "did:plc:acme4soporte2x7q5w3k6nbz"
OUR_HANDLE = "acme-soporte.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
POST = "app.bsky.feed.post"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"
_WORDS = re.compile(r"\w+")


def cid_of(seed: str | bytes) -> str:
    """A CIDv1 (dag-cbor, sha256) look-alike: `bafyrei` + base32 of a digest."""
    data = seed.encode("utf-8") if isinstance(seed, str) else seed
    digest = hashlib.sha256(data).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")


def tid(micros: int, clock_id: int = 0) -> str:
    """A record key in TID syntax: 13 base32-sortable characters of time and clock id."""
    value = (micros << 10) | (clock_id & 0x3FF)
    out = []
    for _ in range(13):
        out.append(_B32[value & 31])
        value >>= 5
    return "".join(reversed(out))


def now_us() -> int:
    return time.time_ns() // 1000


def iso(micros: int) -> str:
    seconds, rest = divmod(micros, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest // 1000:03d}Z"


def frame_of(event: dict) -> bytes:
    """Encode an event as Jetstream does (Go encoding/json: compact, UTF-8 as is)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def commit(did: str, rkey: str, record: dict | None, operation: str = "create") -> dict:
    """A Jetstream commit event (time_us is set when it is emitted)."""
    body: dict = {"rev": tid(now_us()), "operation": operation, "collection": POST, "rkey": rkey}
    if operation != "delete":
        body["record"] = record
        body["cid"] = cid_of(did + rkey + json.dumps(record, sort_keys=True))
    return {"did": did, "time_us": 0, "kind": "commit", "commit": body}


def grapheme_count(text: str) -> int:
    """The fake's own rough count: code points, minus joiners, selectors and marks."""
    import unicodedata

    count = 0
    glue = False
    for ch in text:
        cp = ord(ch)
        if glue or cp in (0x200D, 0xFE0F) or 0x1F3FB <= cp <= 0x1F3FF:
            glue = cp == 0x200D
            continue
        if unicodedata.combining(ch):
            continue
        count += 1
    return count


# --- Jetstream --------------------------------------------------------------------------


def _text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented WebSocket text frame (server to client, RFC 6455)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + payload


class FakeJetstream:
    """Jetstream v1 on 127.0.0.1: stored events replayed from a cursor, then live ones."""

    def __init__(self) -> None:
        self.times: list[int] = []
        self.collections: list[str] = []
        self.frames: list[bytes] = []
        self.cond = threading.Condition()
        self.closing = threading.Event()
        self.drops: list[int] = []
        self.sent = 0
        self._clock = 0
        self.server = FakeWebSocketServer(self._serve)

    # -- set-up ----------------------------------------------------------------------
    def start(self) -> FakeJetstream:
        self.server.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        with self.cond:
            self.cond.notify_all()
        self.server.stop()

    def __enter__(self) -> FakeJetstream:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    # -- the network's side ----------------------------------------------------------
    def tick(self) -> int:
        """The next time_us: the wall clock, strictly increasing."""
        with self.cond:
            self._clock = max(now_us(), self._clock + 1)
            return self._clock

    def emit(self, event: dict) -> int:
        """Send `event` (with a fresh time_us) to every subscriber; returns its time_us."""
        event = dict(event, time_us=self.tick())
        collection = (event.get("commit") or {}).get("collection", "")
        self._append([(event["time_us"], collection, frame_of(event))])
        return event["time_us"]

    def emit_raw(self, frame: bytes, collection: str = POST) -> int:
        """Send bytes as they are (malformed frames); stored with a fresh time."""
        time_us = self.tick()
        self._append([(time_us, collection, frame)])
        return time_us

    def load(self, frames: Iterable[tuple[int, bytes]], collection: str = POST) -> None:
        """Store pre-encoded `(time_us, frame)` pairs (ascending times) at once."""
        rows = [(t, collection, f) for t, f in frames]
        with self.cond:
            if rows:
                self._clock = max(self._clock, rows[-1][0])
        self._append(rows)

    def _append(self, rows: list[tuple[int, str, bytes]]) -> None:
        with self.cond:
            for time_us, collection, frame in rows:
                self.times.append(time_us)
                self.collections.append(collection)
                self.frames.append(frame)
            self.cond.notify_all()

    def drop_after(self, frames: int) -> None:
        """The next connection is cut (no close frame) after sending `frames` frames."""
        with self.cond:
            self.drops.append(frames)

    @property
    def last_time_us(self) -> int:
        with self.cond:
            return self.times[-1] if self.times else 0

    def cursors(self) -> list[int | None]:
        """The `cursor` each connection asked for, in order (None: live only)."""
        out = []
        for path in self.server.paths:
            value = parse_qs(urlsplit(path).query).get("cursor")
            out.append(int(value[0]) if value else None)
        return out

    # -- serving -----------------------------------------------------------------------
    def _serve(self, connection: ServerConnection) -> None:
        query = parse_qs(urlsplit(connection.request.path).query)
        wanted = set(query.get("wantedCollections", []))
        cursor = query.get("cursor")
        with self.cond:
            drop = self.drops.pop(0) if self.drops else None
            # Without a cursor only what comes next is sent, as on the real server.
            index = bisect.bisect_left(self.times, int(cursor[0])) if cursor else len(self.times)
        sent = 0
        try:
            while not self.closing.is_set():
                with self.cond:
                    if index >= len(self.frames):
                        self.cond.wait(0.05)
                    end = len(self.frames)
                    frames = self.frames[index:end]
                    collections = self.collections[index:end]
                if not frames:
                    if connection.protocol.state is not State.OPEN:
                        return
                    continue
                index = end
                chosen = [
                    frame
                    for frame, collection in zip(frames, collections, strict=True)
                    if not (wanted and collection and collection not in wanted)
                ]  # identity and account events always go out
                if drop is not None:
                    chosen = chosen[: drop - sent]
                for start in range(0, len(chosen), 256):
                    if self.closing.is_set():
                        return
                    batch = chosen[start : start + 256]
                    # Written as ready-made text frames, many per system call, so the fake
                    # costs little CPU in load tests; the connection's lock keeps its own
                    # control frames (pings) from landing in the middle.
                    data = b"".join(_text_frame(frame) for frame in batch)
                    with connection.protocol_mutex:
                        connection.socket.sendall(data)
                    sent += len(batch)
                    self.sent += len(batch)
                if drop is not None and sent >= drop:
                    connection.socket.shutdown(socket.SHUT_RDWR)
                    return
        except (ConnectionClosed, OSError):
            return


_TEXTS = [
    "Mi {brand} Móvil no tiene cobertura desde ayer 😡 ¿alguien más?",
    "Loving the new {brand} fibre plan, setup took 5 minutes 🙌",
    "¿Alguien sabe si {brand} abre el domingo? Necesito cambiar el router",
    "Worst support ever from {brand}. Three calls and still no refund 👎 #fail",
    "Atención al cliente de {brand}: 40 minutos en espera ⏳⏳",
    "Just switched to {brand} and my bill dropped by half, no complaints",
]
_NOISE = [
    "Qué buen día hace hoy en Madrid ☀️",
    "Reading a great book about bees 🐝 and hives",
    "Nuevo vídeo en mi canal: cómo hacer pan de masa madre",
    "anyone else watching the game tonight? ⚽",
    "👨‍👩‍👧‍👦 fin de semana en familia 🇪🇸",
    "Coffee first, then emails. Then more coffee.",
]


def synthetic_frames(
    n: int,
    *,
    relevant_every: int = 1,
    term: str = "Acme",
    start_us: int | None = None,
    authors: int = 5000,
    seed: int = 7,
    mention_did: str | None = None,
) -> list[tuple[int, bytes]]:
    """`n` Jetstream post-create frames, one every 10 µs of time_us, ready for `load`.

    Every `relevant_every`-th post contains `term` (1: all of them; 0: none); the rest
    are ordinary chatter. With `mention_did`, relevant posts also carry a mention facet
    of that DID. Texts mix Spanish and English, accents and emoji.
    """
    rng = random.Random(seed)
    start = start_us if start_us is not None else now_us() - n * 10
    dids = [f"did:plc:{tid(i * 7919 + 13)}synthaaaaaa" for i in range(authors)]
    out = []
    for i in range(n):
        time_us = start + i * 10
        did = dids[rng.randrange(authors)]
        relevant = relevant_every > 0 and i % relevant_every == 0
        text = (
            rng.choice(_TEXTS).format(brand=term) if relevant else rng.choice(_NOISE)
        ) + f" #{i}"
        record: dict = {
            "$type": POST,
            "text": text,
            "createdAt": iso(time_us),
            "langs": ["es" if "ñ" in text or "¿" in text or "ó" in text else "en"],
        }
        if relevant and mention_did:
            handle = "@acme.bsky.social "
            record["text"] = handle + text
            record["facets"] = [
                {
                    "index": {"byteStart": 0, "byteEnd": len(handle) - 1},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention_did}],
                }
            ]
        rkey = tid(time_us, i)
        event = {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": rkey,
                "operation": "create",
                "collection": POST,
                "rkey": rkey,
                "record": record,
                "cid": cid_of(f"{did}{rkey}"),
            },
        }
        out.append((time_us, orjson.dumps(event)))
    return out


# --- XRPC -----------------------------------------------------------------------------


def _xrpc_error(error: str, message: str, status: int = 400) -> Response:
    return Response.json({"error": error, "message": message}, status)


class FakeBluesky(FakeServer):
    """The XRPC side; `jetstream` (optional) receives the commits of every change."""

    def __init__(
        self,
        *,
        did: str = OUR_DID,
        handle: str = OUR_HANDLE,
        password: str = APP_PASSWORD,
        jetstream: FakeJetstream | None = None,
    ):
        super().__init__()
        self.did, self.handle, self.password = did, handle, password
        self.jetstream = jetstream
        self.posts: dict[str, dict] = {}  # uri -> PostView
        self.order: list[str] = []  # uris in the order they were indexed
        self.notifications: list[dict] = []
        self.profiles: dict[str, dict] = {did: {"did": did, "handle": handle}}
        self.access: dict[str, bool] = {}  # access token -> still valid
        self.refresh: set[str] = set()
        self.created: list[dict] = []  # createRecord: {"body", "uri", "cid", "anchors"}
        self.tokens = itertools.count(1)
        self.remaining = 3000
        x = "xrpc/"
        self.route("POST", rf"/{x}com\.atproto\.server\.createSession")(self.create_session)
        self.route("POST", rf"/{x}com\.atproto\.server\.refreshSession")(self.refresh_session)
        self.route("GET", rf"/{x}app\.bsky\.feed\.searchPosts")(self.search_posts)
        self.route("GET", rf"/{x}app\.bsky\.notification\.listNotifications")(self.notifications_)
        self.route("GET", rf"/{x}app\.bsky\.feed\.getPosts")(self.get_posts)
        self.route("POST", rf"/{x}com\.atproto\.repo\.createRecord")(self.create_record)

    # -- helpers -------------------------------------------------------------------
    def limits(self, remaining: int | None = None, reset_in: int = 300) -> dict[str, str]:
        with self.lock:
            if remaining is None:
                self.remaining = max(self.remaining - 1, 1)
                remaining = self.remaining
        return {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(int(time.time()) + reset_in),
            "RateLimit-Policy": "3000;w=300",
        }

    def answer(self, data: dict, status: int = 200) -> Response:
        response = Response.json(data, status)
        response.headers.update(self.limits())
        return response

    def _tokens(self) -> dict:
        number = next(self.tokens)
        access, refresh = f"access-{number}-{self.did}", f"refresh-{number}-{self.did}"
        with self.lock:
            self.access[access] = True
            self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh}

    def _authorised(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return _xrpc_error("AuthMissing", "Authentication Required", 401)
        valid = self.access.get(header[7:])
        if valid is None:
            return _xrpc_error("InvalidToken", "Token could not be verified", 401)
        if not valid:
            return _xrpc_error("ExpiredToken", "Token has expired", 400)
        return None

    def expire_tokens(self, *, refresh_too: bool = False) -> None:
        """Every access token issued so far expires (and the refresh tokens, if asked)."""
        with self.lock:
            for token in self.access:
                self.access[token] = False
            if refresh_too:
                self.refresh.clear()

    def rate_limit_next(self, seconds: int) -> None:
        self.fail_next(
            429,
            path=r"/xrpc/",
            headers={
                "Content-Type": "application/json",
                **self.limits(remaining=0, reset_in=seconds),
            },
            body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )

    # -- the network's side ----------------------------------------------------------
    def add_profiles(self, profiles: Iterable[dict]) -> None:
        for profile in profiles:
            self.profiles[profile["did"]] = profile

    def publish(self, event: dict, *, indexed_us: int | None = None) -> int:
        """Apply a Jetstream commit event to the network: index it, notify, stream it."""
        body = event["commit"]
        uri = f"at://{event['did']}/{body['collection']}/{body['rkey']}"
        operation = body["operation"]
        time_us = self.jetstream.emit(event) if self.jetstream else (indexed_us or now_us())
        with self.lock:
            if operation == "delete":
                self.posts.pop(uri, None)
                self.notifications = [n for n in self.notifications if n["uri"] != uri]
            else:
                author = self.profiles.get(event["did"], {"did": event["did"], "handle": ""})
                view = {
                    "uri": uri,
                    "cid": body["cid"],
                    "author": {**author, "labels": []},
                    "record": body["record"],
                    "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
                    "indexedAt": iso(indexed_us or time_us),
                    "labels": [],
                }  # fmt: skip
                if uri not in self.posts:
                    self.order.append(uri)
                self.posts[uri] = view
                reason = self._reason(body["record"])
                if reason and operation == "create" and event["did"] != self.did:
                    self.notifications.append({**view, "reason": reason, "isRead": False})
        return time_us

    def _reason(self, record: dict) -> str:
        for facet in record.get("facets") or []:
            features = facet.get("features") if isinstance(facet, dict) else None
            for feature in features if isinstance(features, list) else []:
                if isinstance(feature, dict) and feature.get("did") == self.did:
                    return "mention"
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri", "")
        if parent.startswith(f"at://{self.did}/"):
            return "reply"
        return ""

    # -- XRPC endpoints ----------------------------------------------------------------
    def create_session(self, request: Request) -> Response:
        data = request.json() or {}
        if (
            data.get("identifier") not in (self.handle, self.did)
            or data.get("password") != self.password
        ):
            return _xrpc_error("AuthenticationRequired", "Invalid identifier or password", 401)
        body = {"did": self.did, "handle": self.handle, "email": "soporte@acme.example"}
        return self.answer({**body, **self._tokens(), "active": True})

    def refresh_session(self, request: Request) -> Response:
        token = request.headers.get("authorization", "")[7:]
        with self.lock:
            known = token in self.refresh
            self.refresh.discard(token)
        if not known:
            return _xrpc_error("ExpiredToken", "Token has expired", 400)
        return self.answer({"did": self.did, "handle": self.handle, **self._tokens()})

    def _sort_at(self, view: dict) -> str:
        created = view["record"].get("createdAt", "")
        return min(created, view["indexedAt"]) if created[:2] == "20" else view["indexedAt"]

    def search_posts(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        query = request.arg("q")
        if not query:
            return _xrpc_error("InvalidRequest", 'Error: Params must have the property "q"')
        limit = int(request.arg("limit", "25"))
        if not 1 <= limit <= 100:
            return _xrpc_error("InvalidRequest", "Error: limit must be between 1 and 100")
        words = set(_WORDS.findall(fold(query)))
        since = request.arg("since")
        with self.lock:
            views = [
                v
                for v in (self.posts[u] for u in self.order if u in self.posts)
                if words <= set(_WORDS.findall(fold(v["record"].get("text", ""))))
                and (not since or self._sort_at(v) >= since)
            ]
        views.sort(key=lambda v: (self._sort_at(v), v["uri"]), reverse=True)
        offset = int(request.arg("cursor") or 0)
        page = views[offset : offset + limit]
        body: dict = {"posts": page, "hitsTotal": len(views)}
        if offset + limit < len(views):
            body["cursor"] = str(offset + limit)
        return self.answer(body)

    def notifications_(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        limit = int(request.arg("limit", "50"))
        reasons = set(request.query.get("reasons", []))
        with self.lock:
            notes = [n for n in self.notifications if not reasons or n["reason"] in reasons]
        notes.sort(key=lambda n: n["indexedAt"], reverse=True)
        offset = int(request.arg("cursor") or 0)
        body: dict = {"notifications": notes[offset : offset + limit], "priority": False}
        if offset + limit < len(notes):
            body["cursor"] = str(offset + limit)
        return self.answer(body)

    def get_posts(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        uris = request.query.get("uris", [])
        with self.lock:
            posts = [self.posts[u] for u in uris if u in self.posts]
        return self.answer({"posts": posts})

    def create_record(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused:
            return refused
        data = request.json() or {}
        if data.get("repo") not in (self.did, self.handle):
            return _xrpc_error("InvalidRequest", "Input/repo must be the authenticated account")
        record = data.get("record") or {}
        if data.get("collection") != POST or record.get("$type") != POST:
            return _xrpc_error("InvalidRequest", "Invalid collection or $type")
        text = record.get("text")
        if not isinstance(text, str) or not isinstance(record.get("createdAt"), str):
            return _xrpc_error("InvalidRecord", "Record/text and Record/createdAt are required")
        encoded = text.encode("utf-8")
        if len(encoded) > 3000 or grapheme_count(text) > 300:
            return _xrpc_error("InvalidRecord", "Record/text must not be longer than 300 graphemes")
        reply = record.get("reply")
        if reply is not None:
            for name in ("root", "parent"):
                ref = reply.get(name) or {}
                known = self.posts.get(ref.get("uri", ""))
                if known is not None and known["cid"] != ref.get("cid"):
                    return _xrpc_error("InvalidRequest", f"Record/reply/{name} has a stale cid")
                if not ref.get("uri", "").startswith("at://") or not ref.get("cid"):
                    return _xrpc_error("InvalidRecord", f"Record/reply/{name} must be a strongRef")
        anchors = []
        for facet in record.get("facets") or []:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            if not 0 <= start < end <= len(encoded):
                return _xrpc_error("InvalidRecord", "Record/facets has an index out of range")
            anchors.append(encoded[start:end].decode("utf-8"))
        rkey = tid(now_us(), len(self.created))
        uri = f"at://{self.did}/{POST}/{rkey}"
        cid = cid_of(uri + text)
        with self.lock:
            self.created.append(
                {"body": data, "uri": uri, "cid": cid, "rkey": rkey, "anchors": anchors}
            )
        return self.answer(
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": cid_of("commit" + uri), "rev": tid(now_us())},
                "validationStatus": "valid",
            }
        )

    def echo_created(self) -> None:
        """Our created records come back through the network (index, Jetstream)."""
        for made in list(self.created):
            event = {
                "did": self.did,
                "time_us": 0,
                "kind": "commit",
                "commit": {
                    "rev": tid(now_us()),
                    "operation": "create",
                    "collection": POST,
                    "rkey": made["rkey"],
                    "record": made["body"]["record"],
                    "cid": made["cid"],
                },
            }
            self.publish(event)
