"""`/hooks/<kind>/<account>/`: verify the raw bytes, store, answer (docs/channels.md).

GET answers a network's verification handshake (Meta `hub.challenge`, X CRC). POST
checks the signature before anything is parsed. Our signed webhook is processed in
the request (its answer lists the stored ids); every other network's delivery is
stored raw and answered 200 at once, then parsed in the background
(`channels.deliveries`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from panal.core import clock

from . import deliveries, services, wire
from .base import BadPayload, PushRequest, Refused, push_connector

log = logging.getLogger(__name__)

NOT_FOUND = {"error": "no such webhook"}
OK = {"ok": True}


@csrf_exempt  # signed by the sender instead; there is no session here
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
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
    push = PushRequest(
        method=request.method,
        headers=request.headers,
        query=request.GET,
        body=body,
        now=clock.now(),
    )
    if request.method == "GET":
        try:
            answer = connector.handshake(account, push)
        except Refused as refusal:
            log.warning("Refused a handshake for %s (%s): %s", slug, refusal.status, refusal)
            return JsonResponse(refusal.as_dict(), status=refusal.status)
        if answer is None:
            return JsonResponse({"error": "this webhook takes POST requests"}, status=405)
        return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    try:
        delivery_id = connector.verify_request(account, push)
    except BadPayload as refusal:
        # The signature passed, then reading the body to find its id failed.
        return _malformed(account, slug, wire.body_id(body), body, refusal)
    except Refused as refusal:
        # Forged, tampered or replayed: logged, never stored.
        log.warning("Refused a delivery for %s (%s): %s", slug, refusal.status, refusal)
        return JsonResponse(refusal.as_dict(), status=refusal.status)
    if connector.synchronous_push:
        try:
            items = connector.parse_push(account, body).items
        except Refused as refusal:
            log.info("Refused a delivery for %s (%s): %s", slug, refusal.status, refusal)
            return JsonResponse(refusal.as_dict(), status=refusal.status)
        outcome = services.receive_delivery(account, delivery_id, items)
        return JsonResponse(outcome.body, status=outcome.status)
    try:
        connector.check_body(account, body)
    except BadPayload as refusal:
        return _malformed(account, slug, delivery_id, body, refusal)
    with transaction.atomic():
        if deliveries.store(account, delivery_id, body):
            transaction.on_commit(deliveries.schedule_drain)
    return JsonResponse(OK)


def _malformed(account, slug: str, delivery_id: str, body: bytes, refusal: Refused) -> JsonResponse:
    log.info("Kept a malformed delivery for %s: %s", slug, refusal)
    deliveries.keep_malformed(account, delivery_id, body, str(refusal))
    return JsonResponse(refusal.as_dict(), status=refusal.status)
