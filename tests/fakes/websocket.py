"""A WebSocket server on 127.0.0.1 for fake streams (Jetstream, Mastodon streaming)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from websockets.sync.server import ServerConnection, serve


class FakeWebSocketServer:
    """Calls `handler(connection)` for each client; `connections` records request paths."""

    def __init__(self, handler: Callable[[ServerConnection], None]):
        self.handler = handler
        self.paths: list[str] = []
        self._server = None
        self._thread: threading.Thread | None = None

    def _serve(self, connection: ServerConnection) -> None:
        self.paths.append(connection.request.path)
        self.handler(connection)

    @property
    def base_url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def start(self) -> FakeWebSocketServer:
        self._server = serve(self._serve, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def __enter__(self) -> FakeWebSocketServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
