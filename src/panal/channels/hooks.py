"""What a network's webhook request gets, decided without the database.

Both ways a hook request is served use `decide`: the Django view (`views.receive`,
under any WSGI/ASGI server and the test client) and the fast ASGI path
(`channels.fastpath`, in front of Django under `panal run`). The caller then does what
the decision says — store the raw delivery, keep a malformed one — and answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson

from . import wire
from .base import BadPayload, Connector, PushRequest, Refused

log = logging.getLogger(__name__)

OK_BODY = orjson.dumps({"ok": True})


@dataclass(frozen=True)
class Decision:
    status: int
    body: bytes
    content_type: str = "application/json"
    store: tuple[str, bytes] | None = None  # (delivery id, raw body): keep, drain later
    malformed: tuple[str, bytes, str] | None = None  # (delivery id, raw body, reason)


def _refused(refusal: Refused) -> Decision:
    return Decision(refusal.status, orjson.dumps(refusal.as_dict()))


def decide(connector: Connector, account, push: PushRequest, slug: str) -> Decision:
    """Handshake on GET; on POST verify on the raw bytes, check the shape, then store."""
    if push.method == "GET":
        try:
            answer = connector.handshake(account, push)
        except Refused as refusal:
            log.warning("Refused a handshake for %s (%s): %s", slug, refusal.status, refusal)
            return _refused(refusal)
        if answer is None:
            return Decision(405, orjson.dumps({"error": "this webhook takes POST requests"}))
        return Decision(answer.status, answer.body, answer.content_type)
    try:
        delivery_id = connector.verify_request(account, push)
    except BadPayload as refusal:
        # The signature passed, then reading the body to find its id failed.
        log.info("Kept a malformed delivery for %s: %s", slug, refusal)
        return Decision(
            refusal.status,
            orjson.dumps(refusal.as_dict()),
            malformed=(wire.body_id(push.body), push.body, str(refusal)),
        )
    except Refused as refusal:
        # Forged, tampered or replayed: logged, never stored.
        log.warning("Refused a delivery for %s (%s): %s", slug, refusal.status, refusal)
        return _refused(refusal)
    try:
        connector.check_body(account, push.body)
    except BadPayload as refusal:
        log.info("Kept a malformed delivery for %s: %s", slug, refusal)
        return Decision(
            refusal.status,
            orjson.dumps(refusal.as_dict()),
            malformed=(delivery_id, push.body, str(refusal)),
        )
    return Decision(200, OK_BODY, store=(delivery_id, push.body))
