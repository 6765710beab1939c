"""`POST /hooks/<kind>/<account>/`: verify the raw bytes, parse, store (docs/channels.md)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from panal.core import clock

from . import services
from .base import Refused, push_connector

log = logging.getLogger(__name__)

NOT_FOUND = {"error": "no such webhook"}


@csrf_exempt  # signed by the sender instead; there is no session here
@require_POST
def receive(request: HttpRequest, kind: str, slug: str) -> JsonResponse:
    connector = push_connector(kind)
    if connector is None:
        return JsonResponse(NOT_FOUND, status=404)
    try:
        account = services.hook_account(kind, slug)
    except services.AccountNotFound:
        return JsonResponse(NOT_FOUND, status=404)
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse({"error": f"body is larger than {limit} bytes"}, status=413)
    try:
        delivery_id = connector.verify_request(account, request.headers, body, clock.now())
        items = connector.parse_push(body)
    except Refused as refusal:
        log.info("Refused a delivery for %s (%s): %s", slug, refusal.status, refusal)
        return JsonResponse(refusal.as_dict(), status=refusal.status)
    outcome = services.receive_delivery(account, delivery_id, items)
    return JsonResponse(outcome.body, status=outcome.status)
