"""Meta's Graph API errors, mapped to ours, and a client for one account.

Errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
- codes 4, 17, 32, 613 and 80001 to 80014 (and WhatsApp 130429, 131048, 131056): rate
  limits; the wait comes from `Retry-After`, or the usage headers' `estimated_time_to_regain_access`
  (minutes), else 5 minutes;
- code 190 (and 102): the access token expired or was revoked → `AuthFailed`;
- WhatsApp 131047: more than 24 hours since the customer's last message → `WindowClosed`;
- the rest are refusals (`Rejected`) with Meta's message.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx

from panal.channels.base import AuthFailed, RateLimited, Rejected, WindowClosed
from panal.channels.http import Http, retry_after

RATE_CODES = {4, 17, 32, 613, 130429, 131048, 131056} | set(range(80001, 80015))
AUTH_CODES = {190, 102}
WINDOW_CODES = {131047}
# Messenger / Instagram Direct: code 10 with these subcodes = outside the allowed window.
WINDOW_SUBCODES = {2018278, 2534022}
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage")


def regain_at(response: httpx.Response, now: datetime) -> datetime:
    when = retry_after(response, now)
    if when is not None:
        return when
    minutes = 0.0
    for name in USAGE_HEADERS:
        raw = response.headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries = [usage] if isinstance(usage, dict) and "call_count" in usage else []
        if isinstance(usage, dict) and not entries:
            for value in usage.values():
                if isinstance(value, list):
                    entries.extend(v for v in value if isinstance(v, dict))
        for entry in entries:
            try:
                minutes = max(minutes, float(entry.get("estimated_time_to_regain_access") or 0))
            except (TypeError, ValueError):
                continue
    return now + (timedelta(minutes=minutes) if minutes else timedelta(minutes=5))


def body_error(response: httpx.Response, now: datetime) -> Exception | None:
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    message = f"Meta: {str(error.get('message', 'error'))[:300]} (code {code})"
    if code in RATE_CODES:
        return RateLimited(message, regain_at(response, now))
    if code in AUTH_CODES:
        return AuthFailed(message)
    if code in WINDOW_CODES or (code == 10 and error.get("error_subcode") in WINDOW_SUBCODES):
        return WindowClosed(message)
    return Rejected(message)


def client(base_url: str, access_token: str) -> Http:
    """A Graph API client: bearer token, Meta's error mapping."""
    return Http(
        base_url,
        headers={"Authorization": f"Bearer {access_token}"} if access_token else {},
        body_error=body_error,
    )
