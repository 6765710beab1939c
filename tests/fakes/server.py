"""A small threaded HTTP server on 127.0.0.1 for fake networks, with fault injection.

A fake registers routes (`@fake.route("GET", r"/api/v1/notifications")`); a handler gets
a `Request` and returns a `Response` (or `Response.stream(chunks)` for long-lived
answers such as SSE or a filtered stream). Every request is recorded. Faults are
queued per path pattern: `fail_next(429, headers=…)` answers the next matching
request with that status; `drop_next()` closes the connection without answering.
The real networks' headers, signatures and pagination are the fake's job; this module
only moves bytes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    match: re.Match | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {
            k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()
        }


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None  # a streamed answer, written as it is produced

    @classmethod
    def json(cls, data, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status,
            json.dumps(data, ensure_ascii=False).encode("utf-8"),
            {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )

    @classmethod
    def stream(
        cls, chunks: Iterable[bytes], content_type: str, headers: dict | None = None
    ) -> Response:
        return cls(200, b"", {"Content-Type": content_type, **(headers or {})}, chunks)


@dataclass
class Fault:
    pattern: re.Pattern
    response: Response | None  # None = drop the connection
    times: int = 1


Handler = Callable[[Request], Response]


class FakeServer:
    """Routes, a request log and queued faults, served on 127.0.0.1:<free port>."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -------------------------------------------------------------------
    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))
            return handler

        return register

    def fail_next(
        self,
        status: int,
        *,
        path: str = r".*",
        headers: dict | None = None,
        body=b"",
        times: int = 1,
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self.lock:
            self.faults.append(
                Fault(re.compile(path), Response(status, data, headers or {}), times)
            )

    def drop_next(self, *, path: str = r".*", times: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(re.compile(path), None, times))

    # -- running ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.pattern.search(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = Request(
            method=http.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=body,
        )
        with self.lock:
            self.requests.append(request)
        fault = self._take_fault(parts.path)
        if fault is not None:
            if fault.response is None:
                http.close_connection = True
                return
            self._write(http, fault.response)
            return
        for method, pattern, handler in self.routes:
            if method == http.command and (match := pattern.match(parts.path)):
                request.match = match
                try:
                    response = handler(request)
                except Exception as exc:  # a fake's bug shows as a 500, like a real outage
                    response = Response.json({"error": f"fake failed: {exc!r}"}, 500)
                self._write(http, response)
                return
        self._write(http, Response.json({"error": f"no route {http.command} {parts.path}"}, 404))

    def _write(self, http: BaseHTTPRequestHandler, response: Response) -> None:
        try:
            http.send_response(response.status)
            for name, value in response.headers.items():
                http.send_header(name, value)
            if response.chunks is None:
                http.send_header("Content-Length", str(len(response.body)))
                http.end_headers()
                http.wfile.write(response.body)
                return
            http.send_header("Transfer-Encoding", "chunked")
            http.send_header("Connection", "close")
            http.end_headers()
            http.close_connection = True
            for chunk in response.chunks:
                if self.closing.is_set():
                    break
                if chunk:
                    http.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    http.wfile.flush()
            http.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- reading the log ----------------------------------------------------------
    def seen(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method)
                and (path is None or re.search(path, r.path))
            ]


def until_closed(fake: FakeServer, items: Iterator[bytes], idle: float = 0.05) -> Iterator[bytes]:
    """Yield `items`, then keep-alive nothing until the server closes (for streams)."""
    yield from items
    while not fake.closing.wait(idle):
        yield b""
