"""`/hooks/<kind>/<account>/`: verify the raw bytes, store, answer (docs/channels.md).

GET answers a network's verification handshake (Meta `hub.challenge`, X CRC). POST
checks the signature before anything is parsed. Our signed webhook is processed in
the request (its answer lists the stored ids); every other network's delivery is
stored raw and answered 200 at once, then parsed in the background
(`channels.deliveries`). Under `panal run` the same decisions are served by the
faster `channels.fastpath` in front of Django.
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

from . import deliveries, services
from .base import PushRequest, Refused, push_connector
from .hooks import decide

log = logging.getLogger(__name__)

NOT_FOUND = {"error": "no such webhook"}


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
    if connector.synchronous_push and request.method == "POST":
        return _synchronous(connector, account, push, slug)
    decision = decide(connector, account, push, slug)
    if decision.malformed:
        deliveries.keep_malformed(account, *decision.malformed)
    if decision.store:
        with transaction.atomic():
            if deliveries.store(account, *decision.store):
                transaction.on_commit(deliveries.schedule_drain)
    return HttpResponse(decision.body, status=decision.status, content_type=decision.content_type)


def _synchronous(connector, account, push: PushRequest, slug: str) -> JsonResponse:
    """Our signed webhook: verify, parse and store in the request; answer the ids."""
    try:
        delivery_id = connector.verify_request(account, push)
        items = connector.parse_push(account, push.body).items
    except Refused as refusal:
        log.info("Refused a delivery for %s (%s): %s", slug, refusal.status, refusal)
        return JsonResponse(refusal.as_dict(), status=refusal.status)
    outcome = services.receive_delivery(account, delivery_id, items)
    return JsonResponse(outcome.body, status=outcome.status)
