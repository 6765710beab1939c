"""Meta webhooks: the verification handshake and `X-Hub-Signature-256`.

- Subscribing: Meta sends `GET <url>?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>`;
  we answer the challenge as plain text when the verify token is ours, else 403.
- Every POST carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
  Checked on the untouched bytes in constant time, against the current and the
  previous app secret (rotation), before anything is parsed.
- Meta sends no delivery id: a retried delivery repeats the same bytes, so the body's
  hash is the id.
"""

from __future__ import annotations

from panal.channels import wire
from panal.channels.base import BadSignature, Forbidden, Handshake, PushRequest

SIGNATURE_HEADER = "X-Hub-Signature-256"


def handshake(request: PushRequest, verify_tokens: list[str]) -> Handshake | None:
    """The answer to Meta's subscription check, or None when the GET is not one."""
    mode = request.query.get("hub.mode")
    if mode is None:
        return None
    if mode != "subscribe":
        raise Forbidden(f"hub.mode must be subscribe, not {mode[:40]!r}")
    token = request.query.get("hub.verify_token") or ""
    if not token or not any(t and wire.same(t, token) for t in verify_tokens):
        raise Forbidden("hub.verify_token does not match this account's verify token")
    challenge = request.query.get("hub.challenge") or ""
    return Handshake(200, challenge.encode("utf-8"), "text/plain")


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta would send (for our fake servers and load generators)."""
    return "sha256=" + wire.hmac_sha256(app_secret, body).hex()


def verify(request: PushRequest, app_secrets: list[str]) -> str:
    """Check `X-Hub-Signature-256`; return the delivery id (the body's hash)."""
    given = wire.header(request.headers, SIGNATURE_HEADER)
    if not given.startswith("sha256="):
        raise BadSignature(f"{SIGNATURE_HEADER} must start with sha256=")
    if not any(s and wire.same(sign(s, request.body), given) for s in app_secrets):
        raise BadSignature(f"{SIGNATURE_HEADER} does not match the body")
    return wire.body_id(request.body)


def secrets_of(account) -> list[str]:
    """The app secret, and the previous one kept during a rotation."""
    creds = account.credentials or {}
    return [
        s
        for s in (creds.get("app_secret"), creds.get("previous_app_secret"))
        if isinstance(s, str) and s
    ]
