"""Following Jetstream v1: which posts of the whole network to keep, fast.

Jetstream (github.com/bluesky-social/jetstream) sends every commit of the network as
one JSON text frame: `{"did", "time_us", "kind": "commit", "commit": {"operation",
"collection", "rkey", "record", "cid"}}`, plus `identity` and `account` events. Bluesky
carries hundreds of posts a second and a busy day many more, of which an account wants
a handful, so the frame is judged on its bytes before it is parsed:

- a frame that holds our DID may mention us, reply to us or quote us: parse it;
- a pure-ASCII frame without `\\u` escapes cannot hold an accented or non-Latin form
  of a term, so it is kept only when its lower-cased bytes contain a word of a term;
- any other frame (non-ASCII text) is parsed and its folded text matched.

Only then is the record checked for real (`Relevance.relevant`). A delete has nothing
to match on: it is kept, like an update that no longer matches, only when Panal already
stores the post (`known`). Creates replayed in the rewound overlap after a reconnect
are kept only when Panal does not (README.md, "Cursor and overlap").
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

import orjson
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, WebSocketException
from websockets.sync.client import connect

from panal.channels.base import Page, Unavailable
from panal.listening.normalise import ItemError

from . import wire

log = logging.getLogger(__name__)

REWIND_US = 5_000_000  # on reconnect, start this much before the stored cursor
PAGE_ITEMS = 500  # yield a page at this many items...
PAGE_SECONDS = 0.2  # ...or when its first item is this old, or when the socket is drained
IDLE_SECONDS = 0.2  # recv timeout: how often `stop` is looked at when nothing comes
CURSOR_SECONDS = 5.0  # a busy stream with nothing for us still saves its cursor this often
MAX_ERRORS = 50  # errors kept per page (the rest are counted)

# Scripts written without spaces between words: a term in them matches inside words.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_WORD = re.compile(r"\w")
_ASCII_WORDS = re.compile(rb"[a-z0-9_]+")


@functools.cache
def _marks() -> re.Pattern:
    """Combining marks of the Basic Multilingual Plane (accents, Arabic and Hebrew points).

    Built once from `unicodedata.combining`. The few combining marks of historic
    scripts beyond U+FFFF are left out: a class with them is several times slower.
    """
    ranges: list[list[int]] = []
    for cp in range(0x0300, 0x10000):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]+")


def fold(text: str) -> str:
    """`panal.core.text.fold` (lower case, no accents), made fast for emoji and CJK text."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():
        return decomposed
    return _marks().sub("", decomposed)


def _edge(ch: str) -> bool:
    """Whether a term starting or ending with `ch` must stop at a word boundary there."""
    return bool(_WORD.match(ch)) and not _UNSPACED.match(ch)


class Relevance:
    """Which posts an account keeps: about us (DID), or holding a tracked term.

    Terms match whole words, in any case and with or without accents (`cafe` matches
    `Café`), a phrase's words separated by any spaces. Terms in scripts without spaces
    (Chinese, Japanese, Thai...) match anywhere.
    """

    def __init__(self, did: str | None, terms: Iterable[str]):
        self.did = did or None
        self.did_bytes = did.encode("ascii") if did else None
        pieces, tokens = [], []
        for term in terms:
            folded = fold(str(term)).strip()
            words = folded.split()
            if not words:
                continue
            body = r"\s+".join(re.escape(w) for w in words)
            left = r"(?<!\w)" if _edge(folded[0]) else ""
            right = r"(?!\w)" if _edge(folded[-1]) else ""
            pieces.append((len(folded), left + body + right))
            if folded.isascii():
                runs = _ASCII_WORDS.findall(folded.encode("ascii"))
                tokens.append(max(runs, key=len) if runs else folded.encode("ascii"))
        pieces.sort(reverse=True)  # longer terms first in the alternation
        self.pattern = re.compile("|".join(p for _, p in pieces)) if pieces else None
        self.tokens = tuple(dict.fromkeys(tokens))

    def maybe(self, frame: bytes) -> bool:
        """Cheap test on a frame's bytes: False only when the post cannot be relevant."""
        if self.did_bytes is not None and self.did_bytes in frame:
            return True
        if self.pattern is None:
            return False
        if frame.isascii() and b"\\u" not in frame:
            # No term can hide in pure ASCII without `\u` escapes, but in plain sight.
            lowered = frame.lower()
            return any(token in lowered for token in self.tokens)
        return True

    def matches(self, text: str) -> bool:
        return self.pattern is not None and self.pattern.search(fold(text)) is not None

    def relevant(self, record: dict, frame: bytes | None = None) -> str:
        """Why the parsed record is kept: mention / reply / quote / term, or "" (not kept).

        With its `frame`, the DID checks are skipped when the bytes lack our DID.
        """
        if self.did and (frame is None or self.did_bytes in frame):
            reason = wire.about_us(record, self.did)
            if reason:
                return reason
        if self.pattern is None:
            return ""
        text = record.get("text")
        if isinstance(text, str) and self.matches(text):
            return "term"
        has_links = "facets" in record or "embed" in record
        if has_links and any(self.matches(url) for url in wire.links(text or "", record)):
            return "term"
        return ""


# Entry modes: keep always, keep only if Panal stores the post, keep only if it does not.
KEEP, IF_KNOWN, IF_NEW = 0, 1, 2


class Reader:
    """Turns frames into pages: feed it frames, `take` a page when one is due.

    `known(uris)` returns the subset Panal already stores for the account (one query
    per page); `resume_us` is the stored cursor the connection was rewound from.
    """

    def __init__(
        self,
        relevance: Relevance,
        known: Callable[[set[str]], set[str]],
        *,
        resume_us: int | None = None,
        cursor: dict | None = None,
    ):
        self.relevance = relevance
        self.known = known
        self.resume_us = resume_us
        self.base = dict(cursor or {})
        self.time_us: int | None = None  # of the last frame whose time is known
        self.last: bytes | None = None  # the last frame, its time not read yet
        self.saved_us: int | None = resume_us
        self.entries: list[tuple[int, str, dict, str]] = []  # mode, uri, event, reason
        self.errors: list[str] = []
        self.dropped_errors = 0
        self.first_at = 0.0  # monotonic time of the page's first entry
        self.frames = 0

    # -- frames --------------------------------------------------------------------
    def feed(self, frame: bytes) -> None:
        self.frames += 1
        self.last = frame
        if (
            b'"delete"' not in frame
            and b'"update"' not in frame
            and not self.relevance.maybe(frame)
        ):
            return  # a create (or identity, account) that cannot concern us
        try:
            event = orjson.loads(frame)
        except orjson.JSONDecodeError as exc:
            self._error(f"frame {self.frames}: not JSON ({exc})")
            return
        if not isinstance(event, dict):
            self._error(f"frame {self.frames}: not an object")
            return
        self.last = None
        time_us = event.get("time_us")
        if isinstance(time_us, int) and not isinstance(time_us, bool):
            self.time_us = time_us
        if event.get("kind") != "commit":
            return  # identity and account events: nothing Panal stores (README.md)
        commit = event.get("commit")
        if not isinstance(commit, dict) or commit.get("collection") != wire.POST:
            return
        operation = commit.get("operation")
        try:
            uri = wire.post_uri(event.get("did"), commit.get("rkey"))
            if operation == "delete":
                self._add(IF_KNOWN, uri, event, "")
                return
            if operation not in ("create", "update"):
                return
            record = commit.get("record")
            if not isinstance(record, dict):
                raise ItemError(f"{uri}: the commit has no record")
            overlap = (
                self.resume_us is not None
                and isinstance(time_us, int)
                and time_us <= self.resume_us
            )
            reason = self.relevance.relevant(record, frame)
            if reason:
                self._add(IF_NEW if overlap else KEEP, uri, event, reason)
            elif operation == "update" and not overlap:
                self._add(IF_KNOWN, uri, event, "")  # an edit that dropped the term
        except ItemError as exc:
            self._error(str(exc))

    def _add(self, mode: int, uri: str, event: dict, reason: str) -> None:
        if not self.entries:
            self.first_at = time.monotonic()
        self.entries.append((mode, uri, event, reason))

    def _error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        else:
            self.dropped_errors += 1

    # -- pages ---------------------------------------------------------------------
    def full(self) -> bool:
        return len(self.entries) >= PAGE_ITEMS

    def stale(self, now: float) -> bool:
        return bool(self.entries) and now - self.first_at >= PAGE_SECONDS

    def cursor_moved(self) -> bool:
        return self.last is not None or (self.time_us is not None and self.time_us != self.saved_us)

    def take(self) -> Page:
        """The page of what was fed since the last one, with the cursor after it."""
        if self.last is not None:
            try:
                time_us = orjson.loads(self.last).get("time_us")
            except (orjson.JSONDecodeError, AttributeError):
                time_us = None
            if isinstance(time_us, int) and not isinstance(time_us, bool):
                self.time_us = time_us
            self.last = None
        entries, self.entries = self.entries, []
        check = {uri for mode, uri, _event, _reason in entries if mode != KEEP}
        stored = self.known(check) if check else set()
        page = Page(errors=self.errors)
        seen_here: set[str] = set()
        for mode, uri, event, reason in entries:
            if mode == IF_KNOWN and uri not in stored and uri not in seen_here:
                continue
            if mode == IF_NEW and uri in stored:
                continue
            try:
                page.items.append(wire.item_of_commit(event, self.relevance.did, reason))
            except ItemError as exc:
                page.errors.append(str(exc))
                continue
            seen_here.add(uri)
        if self.dropped_errors:
            page.errors.append(f"{self.dropped_errors} more unreadable frames")
        self.errors, self.dropped_errors = [], 0
        if self.time_us is not None:
            page.cursor = {**self.base, "time_us": self.time_us}
            self.saved_us = self.time_us
        return page


def subscribe_url(base: str, cursor_us: int | None) -> str:
    """`<base>/subscribe?wantedCollections=app.bsky.feed.post[&cursor=<time_us>]`."""
    query = [("wantedCollections", wire.POST)]
    if cursor_us is not None:
        query.append(("cursor", str(cursor_us)))
    base = base.rstrip("/")
    if not base.endswith("/subscribe"):
        base += "/subscribe"
    return f"{base}?{urlencode(query)}"


def pages(
    url: str, reader: Reader, stop: threading.Event, *, open_timeout: float = 10.0
) -> Iterator[Page]:
    """Hold the WebSocket and yield the reader's pages until `stop` or a drop.

    A page is due at `PAGE_ITEMS` entries, when its oldest entry is `PAGE_SECONDS`
    old, or as soon as the socket has nothing more queued; a page holding only a
    cursor is due after `IDLE_SECONDS` of silence or every `CURSOR_SECONDS`. A dropped
    connection yields what was read, then raises `Unavailable`; a clean close returns.
    """
    try:
        socket = connect(
            url,
            open_timeout=open_timeout,
            close_timeout=2,
            compression=None,  # frames are small; deflate costs more CPU than it saves here
            max_size=4 * 2**20,
            max_queue=4096,
            user_agent_header="Panal (self-hosted social CRM)",
        )
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise Unavailable(f"Jetstream: could not connect to {url}: {exc}") from exc
    clean = False
    with socket:  # closes the connection however the loop ends
        try:
            last_yield = time.monotonic()
            while not stop.is_set():
                try:
                    frame = socket.recv(timeout=0 if reader.entries else IDLE_SECONDS, decode=False)
                except TimeoutError:
                    if reader.entries or reader.cursor_moved():
                        last_yield = time.monotonic()
                        yield reader.take()
                    continue
                reader.feed(frame if isinstance(frame, bytes) else frame.encode("utf-8"))
                now = time.monotonic()
                if reader.full() or reader.stale(now) or (now - last_yield >= CURSOR_SECONDS):
                    last_yield = now
                    yield reader.take()
            clean = True
        except ConnectionClosedOK:
            clean = True
        except ConnectionClosed as exc:
            log.info("Jetstream %s dropped: %s", url, exc)
    if reader.entries or reader.cursor_moved():
        yield reader.take()
    if not clean:
        raise Unavailable("Jetstream dropped the connection")
