"""X webhooks (Account Activity and v2 webhooks): the CRC answer and the delivery signature.

- CRC: when a webhook is registered, and about once an hour after, X sends
  `GET <url>?crc_token=<t>` and wants, within 3 seconds, 200 with the JSON body
  `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, t))}`.
- Every POST carries `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer
  secret, raw body)>`. Base64, not hex (Meta's `X-Hub-Signature-256` is hex). Checked on
  the untouched bytes in constant time against the current and the previous consumer
  secret (rotation), before anything is parsed.
- X sends no delivery id; a retry repeats the same bytes, so the body's hash is the id.
"""

from __future__ import annotations

import base64
import json

from panal.channels import wire
from panal.channels.base import BadSignature, Forbidden, Handshake, PushRequest

HEADER = "x-twitter-webhooks-signature"


def token(secret: str, message: bytes) -> str:
    """`sha256=` + base64 of HMAC-SHA256(secret, message): the CRC answer and the header."""
    digest = wire.hmac_sha256(secret, message)
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def crc_answer(secret: str, crc_token: str) -> Handshake:
    body = json.dumps({"response_token": token(secret, crc_token.encode("utf-8"))})
    return Handshake(200, body.encode("ascii"), "application/json")


def handshake(request: PushRequest, secrets: list[str]) -> Handshake | None:
    """The answer to X's CRC check, or None when the GET carries no `crc_token`."""
    crc_token = request.query.get("crc_token")
    if crc_token is None:
        return None
    if not crc_token:
        raise Forbidden("crc_token is empty")
    if not secrets:
        raise Forbidden("this account has no consumer_secret to answer X's CRC check")
    return crc_answer(secrets[0], crc_token)


def verify(request: PushRequest, secrets: list[str]) -> str:
    """Check `x-twitter-webhooks-signature`; return the delivery id (the body's hash)."""
    given = wire.header(request.headers, HEADER)
    if not given.startswith("sha256="):
        raise BadSignature(f"{HEADER} must start with sha256=")
    if not secrets:
        raise BadSignature("this account has no consumer_secret to check X's signature")
    if not any(wire.same(token(s, request.body), given) for s in secrets):
        raise BadSignature(f"{HEADER} does not match the body")
    return wire.body_id(request.body)


def secrets_of(account) -> list[str]:
    """The consumer secret, then the previous one kept while it is being rotated."""
    creds = account.credentials or {}
    return [
        s
        for s in (creds.get("consumer_secret"), creds.get("previous_consumer_secret"))
        if isinstance(s, str) and s
    ]
