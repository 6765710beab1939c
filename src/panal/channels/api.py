"""The channels API: replies to a mention, and the health of channel accounts (docs/api.md)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from panal.listening import services as listening
from panal.listening.schemas import ErrorOut, ValidationErrorOut
from panal.org.services import organisation_ids_for

from . import health, replies
from .models import ChannelAccount, OutboundMessage

router = Router(tags=["channels"])

_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


class ReplyIn(Schema):
    text: str = Field(min_length=1, max_length=100_000)


class ReplyOut(Schema):
    id: str
    mention_id: str
    status: str
    text: str
    external_id: str
    url: str
    delivery_state: str
    attempts: int
    error: str
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_mention_id(obj) -> str:
        return str(obj.mention_id)


class AccountHealthOut(Schema):
    slug: str
    name: str
    kind: str
    organisation: str
    is_active: bool
    health: str
    reason: str
    problems: list[str]
    last_event_at: datetime | None
    last_polled_at: datetime | None
    token_expires_at: datetime | None
    paused_until: datetime | None


@router.get(
    "/mentions/{mention_id}/replies",
    response={200: list[ReplyOut], **_ERRORS},
    operation_id="listReplies",
    summary="Our replies to a mention, with their delivery status",
)
def list_replies(request, mention_id: str):
    """Needs `listening.view_mention`."""
    mention = listening.get_mention_for(request.auth, mention_id)
    return list(OutboundMessage.objects.filter(mention=mention).order_by("created_at"))


@router.post(
    "/mentions/{mention_id}/replies",
    response={202: ReplyOut, 409: ErrorOut, **_ERRORS},
    operation_id="sendReply",
    summary="Reply to a mention through its channel",
)
def send_reply(request, mention_id: str, payload: ReplyIn):
    """Needs `listening.publish_reply`. Answers 202 with the queued reply; poll it to see it
    sent. 409 when the channel cannot deliver it now (closed window, expired token,
    disconnected, too long…), with the reason; nothing is queued then.
    """
    mention = listening.get_mention_for(request.auth, mention_id)
    try:
        message = replies.send_reply(request.auth, mention, payload.text)
    except replies.ReplyRefused as refusal:
        return Status(409, {"detail": str(refusal)})
    return Status(202, message)


@router.get(
    "/channels",
    response={200: list[AccountHealthOut], **_ERRORS},
    operation_id="listChannelAccounts",
    summary="Channel accounts with their health",
)
def list_channels(request):
    """Needs `channels.view_channelaccount`; only the caller's organisations."""
    listening.require_perm(request.auth, "channels.view_channelaccount")
    accounts = ChannelAccount.objects.filter(
        organisation_id__in=organisation_ids_for(request.auth)
    ).select_related("organisation")
    return [
        {
            "slug": a.slug,
            "name": a.name,
            "kind": a.kind,
            "organisation": a.organisation.slug,
            "is_active": a.is_active,
            "health": a.health,
            "reason": a.health_reason,
            "problems": health.problems(a),
            "last_event_at": a.last_event_at,
            "last_polled_at": a.last_polled_at,
            "token_expires_at": a.token_expires_at,
            "paused_until": a.paused_until,
        }
        for a in accounts.order_by("slug")
    ]
