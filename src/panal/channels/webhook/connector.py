"""The generic signed webhook channel: `POST /hooks/api/<account>/` (see README.md here)."""

from __future__ import annotations

from django.conf import settings

from panal.channels.base import (
    BadItems,
    BadPayload,
    Capability,
    Connector,
    Parsed,
    PushRequest,
    register,
)
from panal.channels.incoming import JSON_DECODER
from panal.channels.models import new_webhook_secret
from panal.listening.choices import Channel
from panal.listening.normalise import Item, parse_items

from . import signature

MAX_ITEMS = 1000  # per delivery
MAX_REPORTED_ERRORS = 20  # invalid items listed in a 422 answer


def account_secrets(account) -> list[str]:
    """The account's signing secrets, newest first, ignoring anything that is not a string."""
    secrets = account.secrets if isinstance(account.secrets, list) else []
    return [s for s in secrets if isinstance(s, str)]


class WebhookConnector(Connector):
    """Standard Webhooks signature; body = one normalised mention or {"mentions": [...]}."""

    kind = Channel.API
    label = "Signed webhook"
    capabilities = frozenset({Capability.PUSH})
    synchronous_push = True  # the answer carries the stored mentions' ids

    def new_hook_secret(self) -> str:
        return new_webhook_secret()

    def verify_request(self, account, request: PushRequest) -> str:
        return signature.verify(
            request.headers,
            request.body,
            account_secrets(account),
            now=request.now,
            tolerance=settings.PANAL_WEBHOOK_TOLERANCE,
        )

    def parse_push(self, account, body: bytes) -> Parsed:
        return Parsed(items=self.items_of(body))

    def items_of(self, raw_body: bytes) -> list[Item]:
        try:
            text = raw_body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadPayload(f"body is not UTF-8 text (bad byte at offset {exc.start})") from None
        try:
            data = JSON_DECODER.decode(text)
        except ValueError as exc:
            raise BadPayload(f"body is not valid JSON: {exc}") from None
        except RecursionError:
            raise BadPayload("body is not valid JSON: nested too deeply") from None
        if isinstance(data, dict) and "mentions" in data:
            objects = data["mentions"]
            if not isinstance(objects, list):
                raise BadPayload("'mentions' must be a list")
            if not 1 <= len(objects) <= MAX_ITEMS:
                raise BadPayload(f"'mentions' must hold 1 to {MAX_ITEMS} items, not {len(objects)}")
            batch = True
        elif isinstance(data, dict):
            objects, batch = [data], False
        else:
            raise BadPayload('body must be a JSON object: one mention, or {"mentions": [...]}')
        items, errors = parse_items(objects, MAX_REPORTED_ERRORS)
        if errors:
            first = errors[0]
            where = f"mentions[{first['index']}]: " if batch else ""
            raise BadItems(f"{where}{first['error']} (nothing was stored)", details=errors)
        return items


connector = register(WebhookConnector())
