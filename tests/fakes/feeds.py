"""A fake feed host: RSS and Atom documents with ETag / Last-Modified validators.

Each feed lives at `/feeds/<name>`: a document head and tail (from a fixture) around
the items published so far, or raw bytes set as they are (the XML bomb, the external
entity). Conditional GET follows RFC 9110: `If-None-Match` is compared with the ETag
(weak comparison) and, only when it is absent, `If-Modified-Since` with Last-Modified;
a match answers 304 with no body. Last-Modified moves one minute per change on the
fake's own clock, so second-resolution dates never hide a change. `/secret` is a
file an external entity might point at: any request to it is recorded.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .server import FakeServer, Request, Response

EPOCH = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
ITEM = re.compile(r"<(item|entry)[\s>].*?</\1>\s*", re.S)


def split(document: str) -> tuple[str, list[str], str]:
    """(head, items, tail) of a fixture document: the raw text of each item or entry."""
    found = list(ITEM.finditer(document))
    if not found:
        close = document.rfind("</channel>")
        close = close if close >= 0 else document.rfind("</feed>")
        return document[:close], [], document[close:]
    return (
        document[: found[0].start()],
        [m.group(0) for m in found],
        document[found[-1].end() :],
    )


@dataclass
class Feed:
    head: str = ""
    tail: str = ""
    items: list[str] = field(default_factory=list)
    raw: bytes | None = None
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: bool = True
    last_modified: bool = True
    version: int = 0
    extra_headers: dict = field(default_factory=dict)

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return (self.head + "".join(self.items) + self.tail).encode("utf-8")

    def modified(self) -> datetime:
        return EPOCH + timedelta(minutes=self.version)


class FakeFeeds(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.feeds: dict[str, Feed] = {}
        self.ignore_validators = 0  # answer the next N requests in full (a re-poll overlap)
        self.route("GET", r"/feeds/(?P<name>[^/]+)")(self.serve)
        self.route("GET", r"/secret")(self.secret)

    def url(self, name: str) -> str:
        return f"{self.base_url}/feeds/{name}"

    # -- set-up ---------------------------------------------------------------------
    def add(self, name: str, document: str, *, with_items: bool = False, **options) -> Feed:
        """A feed from a fixture document; its items only once published (`with_items`)."""
        head, items, tail = split(document)
        content_type = (
            "application/atom+xml; charset=utf-8"
            if "<feed" in head
            else "application/rss+xml; charset=utf-8"
        )
        feed = Feed(head, tail, items if with_items else [], content_type=content_type)
        for key, value in options.items():
            setattr(feed, key, value)
        with self.lock:
            self.feeds[name] = feed
        return feed

    def set_raw(self, name: str, body: bytes, content_type: str = "application/xml") -> Feed:
        feed = Feed(raw=body, content_type=content_type)
        with self.lock:
            self.feeds[name] = feed
        return feed

    def publish(self, name: str, item: str) -> None:
        with self.lock:
            feed = self.feeds[name]
            feed.items.insert(0, item)
            feed.version += 1

    def replace(self, name: str, old: str, new: str) -> None:
        with self.lock:
            feed = self.feeds[name]
            feed.items = [new if i == old else i for i in feed.items]
            feed.version += 1

    def remove(self, name: str, item: str) -> None:
        with self.lock:
            feed = self.feeds[name]
            feed.items = [i for i in feed.items if i != item]
            feed.version += 1

    # -- serving --------------------------------------------------------------------
    def serve(self, request: Request) -> Response:
        with self.lock:
            feed = self.feeds.get(request.match["name"])
            ignore = self.ignore_validators > 0
            if ignore:
                self.ignore_validators -= 1
        if feed is None:
            return Response(
                404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"}
            )
        body = feed.body()
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = email.utils.format_datetime(feed.modified(), usegmt=True)
        headers = {"Content-Type": feed.content_type, **feed.extra_headers}
        if feed.etag:
            headers["ETag"] = tag
        if feed.last_modified:
            headers["Last-Modified"] = modified
        if not ignore and self._not_modified(request, feed, tag):
            headers.pop("Content-Type")
            return Response(304, b"", headers)
        return Response(200, body, headers)

    def _not_modified(self, request: Request, feed: Feed, tag: str) -> bool:
        match = request.headers.get("if-none-match")
        if match is not None:
            if not feed.etag:
                return False
            given = [t.strip().removeprefix("W/") for t in match.split(",")]
            return "*" in given or tag in given
        since = request.headers.get("if-modified-since")
        if since and feed.last_modified:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return feed.modified() <= when
        return False

    def secret(self, request: Request) -> Response:
        return Response(200, b"root:x:0:0:TOP SECRET", {"Content-Type": "text/plain"})

    # -- faults ---------------------------------------------------------------------
    def rate_limit_next(self, seconds: int, times: int = 1, status: int = 429) -> None:
        self.fail_next(
            status,
            path=r"/feeds/",
            headers={"Retry-After": str(seconds), "Content-Type": "text/plain"},
            body=b"Too Many Requests",
            times=times,
        )
