"""Telegram's webhook check: the secret token given to `setWebhook`, echoed in a header.

Telegram signs nothing; it repeats `secret_token` (1 to 256 letters, digits, _ or -)
in `X-Telegram-Bot-Api-Secret-Token` on every delivery. We compare it in constant
time with the account's current and previous secret (rotation).
"""

from __future__ import annotations

from panal.channels import wire

HEADER = "X-Telegram-Bot-Api-Secret-Token"


def verify(headers, secrets: list[str]) -> None:
    given = wire.header(headers, HEADER)
    wire.require_any(secrets, given, HEADER)
