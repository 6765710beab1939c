"""The small interface every pushing channel implements, and the registry that finds it.

A connector for a network that pushes to us (our signed webhook today; Telegram, Meta,
WhatsApp later) verifies a request on its raw bytes and turns the body into normalised
items. Built-in connectors register here exactly as a plugin would (docs/channels.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from importlib.metadata import entry_points
from typing import ClassVar, Protocol

from panal.listening.normalise import Item

log = logging.getLogger(__name__)


class Refused(Exception):
    """A delivery we will not take; `status` is the HTTP answer and the message says why."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, details: list | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.details = details or []

    def as_dict(self) -> dict:
        body: dict = {"error": str(self)}
        if self.details:
            body["errors"] = self.details
        return body


class MissingHeader(Refused):
    status = 400


class BadSignature(Refused):
    status = 401


class BadPayload(Refused):
    status = 400


class BadItems(Refused):
    status = 422


class PushConnector(Protocol):
    """What the `/hooks/<kind>/<account>/` view needs from a channel."""

    kind: ClassVar[str]

    def verify_request(
        self, account, headers: Mapping[str, str], raw_body: bytes, now: datetime
    ) -> str:
        """Check the request before anything is parsed; return the delivery id.

        Raises a `Refused` subclass (missing header → 400, bad signature → 401).
        """
        ...

    def parse_push(self, raw_body: bytes) -> list[Item]:
        """The body's items, all valid, or `Refused` naming the first bad one. No I/O."""
        ...


_PUSH: dict[str, PushConnector] = {}


def register_push(connector: PushConnector) -> PushConnector:
    """Make `connector` answer `/hooks/<connector.kind>/…`."""
    _PUSH[connector.kind] = connector
    return connector


def push_connector(kind: str) -> PushConnector | None:
    return _PUSH.get(kind)


def load_plugin_connectors() -> None:
    """Import the modules named in the `panal.connectors` entry-point group (they register)."""
    for ep in entry_points(group="panal.connectors"):
        try:
            ep.load()
        except Exception:
            log.exception("Could not load connector plugin %s", ep.name)
