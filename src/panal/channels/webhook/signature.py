"""Standard Webhooks signature check on the raw request bytes (see README.md here).

    webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>

`key` is the base64 part of a `whsec_…` secret. The header may carry several
space-separated signatures; one that matches any of the account's secrets is enough,
which is how a key is rotated without downtime.

We compute the HMAC ourselves rather than call `standardwebhooks.Webhook.verify`:
that function decodes the body as UTF-8 before hashing, fixes the window at 5 minutes
of the wall clock (ours is PANAL_WEBHOOK_TOLERANCE and Panal's injectable clock), and
raises plain ValueError on a malformed signature list. The tests sign with the
package and with their own helper, so both agree with this code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from panal.channels.base import BadSignature, MissingHeader

log = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
HEADERS = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
MAX_ID_LENGTH = 255  # InboundDelivery.delivery_id
MAX_SIGNATURES = 20  # more than any rotation needs; bounds the work per request


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the prefix is optional)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret must be whsec_ followed by base64") from None
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def sign(secret: str, delivery_id: str, timestamp: int | str, body: bytes) -> str:
    """The `v1,<base64>` signature of a delivery (used by tests and by outbound hooks)."""
    digest = _digest(secret_key(secret), delivery_id, str(timestamp), body)
    return "v1," + base64.b64encode(digest).decode("ascii")


def _digest(key: bytes, delivery_id: str, timestamp: str, body: bytes) -> bytes:
    mac = hmac.new(key, f"{delivery_id}.{timestamp}.".encode("ascii"), hashlib.sha256)
    mac.update(body)
    return mac.digest()


def _candidates(header: str) -> list[bytes]:
    """The v1 signatures in the header, decoded; other versions and junk are skipped."""
    found = []
    for entry in header.split()[:MAX_SIGNATURES]:
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def _keys(secrets: Iterable[str]) -> list[bytes]:
    keys = []
    for secret in secrets:
        try:
            keys.append(secret_key(str(secret)))
        except ValueError:
            log.warning("Skipping a malformed webhook secret (not whsec_ + base64).")
    return keys


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: datetime,
    tolerance: int,
) -> str:
    """Check the three headers against `body`; return the delivery id.

    Raises MissingHeader (a header is absent or malformed → 400) or BadSignature
    (timestamp outside the window, or no signature made with a listed secret → 401).
    """
    values = {}
    for name in HEADERS:
        value = (headers.get(name) or "").strip()
        if not value:
            raise MissingHeader(f"missing header: {name}")
        values[name] = value
    delivery_id, timestamp = values[ID_HEADER], values[TIMESTAMP_HEADER]
    printable = delivery_id.isascii() and delivery_id.isprintable()
    if len(delivery_id) > MAX_ID_LENGTH or not printable:
        raise MissingHeader(
            f"{ID_HEADER} must be printable ASCII of at most {MAX_ID_LENGTH} characters"
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise MissingHeader(f"{TIMESTAMP_HEADER} must be whole Unix seconds")
    if abs(now.timestamp() - int(timestamp)) > tolerance:
        raise BadSignature(f"{TIMESTAMP_HEADER} outside tolerance (±{tolerance} s)")
    candidates = _candidates(values[SIGNATURE_HEADER])
    if candidates:
        for key in _keys(secrets):
            expected = _digest(key, delivery_id, timestamp, body)
            if any(hmac.compare_digest(expected, given) for given in candidates):
                return delivery_id
    raise BadSignature("no valid signature: none was made with this account's secret")
