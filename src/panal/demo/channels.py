"""The demo company's channels as a working team would find them on a Monday morning.

Accounts that received mentions are connected, with their last event; the Instagram
token expires in five days (so the inbox shows the banner and what it says); and a few
dozen mentions already carry the replies agents sent — most delivered, one refused by
WhatsApp outside the 24-hour window, one waiting for a rate limit to reset.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db.models import Max

from panal.channels.base import Capability, connector_for
from panal.channels.models import ChannelAccount, Health, OutboundMessage
from panal.core import clock
from panal.listening.models import Mention

REPLIES = (
    "¡Hola! Lo sentimos mucho. Te escribimos por privado para revisar tu caso ahora mismo.",
    "Gracias por avisarnos. Ya lo hemos pasado al equipo técnico; te contamos en cuanto sepamos.",
    "¡Qué bien leer esto! Se lo trasladamos al equipo, que le hará mucha ilusión. 💚",
    "Hola, ¿nos envías tu número de cliente por mensaje privado? Así lo miramos enseguida.",
    "Hi! Sorry about that. We've opened a ticket and a technician will call you today.",
    "Thanks for the kind words, we'll pass them on to the team!",
)


def load(org, *, replies: int = 40, seed: int = 11) -> int:
    """Set the accounts' health and add sample replies; returns how many replies were made."""
    now = clock.now()
    accounts = list(ChannelAccount.objects.filter(organisation=org))
    newest = dict(
        Mention.objects.filter(organisation=org)
        .values("account_id")
        .annotate(last=Max("created_at"))
        .values_list("account_id", "last")
    )
    for account in accounts:
        connector = connector_for(account.kind)
        configured = connector is not None and not connector.missing_settings(account)
        # Only accounts that could really be called show as connected; the others wait
        # for their credentials (the channels page says which).
        connected = configured and account.pk in newest
        account.health = Health.CONNECTED if connected else Health.UNKNOWN
        account.health_changed_at = now
        account.last_event_at = newest.get(account.pk)
        if account.kind == "instagram":
            account.token_expires_at = now + timedelta(days=5)
        account.save(
            update_fields=["health", "health_changed_at", "last_event_at", "token_expires_at"]
        )
    if OutboundMessage.objects.filter(organisation=org).exists():
        return 0
    replying = [
        a.pk
        for a in accounts
        if (c := connector_for(a.kind)) is not None and Capability.REPLY in c.capabilities
    ]
    candidates = list(
        Mention.objects.filter(organisation=org, account_id__in=replying, deleted_at=None)
        .exclude(reply_capability="none")
        .select_related("account")
        .order_by("-created_at")[:600]
    )
    rng = random.Random(seed)
    chosen = rng.sample(candidates, min(replies, len(candidates)))
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.filter(username="agente").first()
    made = []
    for number, mention in enumerate(chosen):
        sent_at = mention.created_at + timedelta(minutes=rng.randint(4, 180))
        message = OutboundMessage(
            organisation=org,
            account=mention.account,
            mention=mention,
            author=agent,
            text=rng.choice(REPLIES),
            status=OutboundMessage.Status.SENT,
            external_id=f"demo-reply-{number}",
            attempts=1,
            created_at=sent_at - timedelta(seconds=5),
            sent_at=sent_at,
        )
        if mention.channel == "whatsapp" and not any(m.status == "failed" for m in made):
            message.status, message.sent_at, message.external_id = "failed", None, ""
            message.error = (
                "Meta: Re-engagement message: more than 24 hours have passed since the "
                "customer last replied (code 131047)"
            )
        elif number == 1:
            message.status, message.sent_at, message.external_id = "queued", None, ""
            message.error = "HTTP 429 Too Many Requests"
            message.next_attempt_at = now + timedelta(minutes=4)
        elif mention.channel in ("whatsapp", "facebook", "instagram"):
            message.delivery_state = "read" if number % 2 else "delivered"
        made.append(message)
    OutboundMessage.objects.bulk_create(made)
    return len(made)
