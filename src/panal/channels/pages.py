"""Pages of the channels app: replying from a mention, retrying, channel health."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from panal.listening import services as listening
from panal.org.services import organisation_ids_for

from . import health, replies
from .base import Capability, connector_for
from .models import ChannelAccount, OutboundMessage

MAX_REPLY = 100_000  # characters a form accepts before the channel's own limit applies


def reply_panel(user, mention) -> dict:
    """What the mention page shows about replies: sent ones, and the form or the reason."""
    can_publish = user.has_perm("listening.publish_reply")
    sent = list(
        OutboundMessage.objects.filter(mention=mention)
        .select_related("author")
        .order_by("created_at")
    )
    connector = connector_for(mention.account.kind) if mention.account_id else None
    return {
        "replies": sent,
        "can_publish": can_publish,
        "refusal": replies.refusal(mention) if can_publish else None,
        "reply_limit": connector.reply_limit_for(mention) if connector else None,
        "takes_replies": bool(connector and Capability.REPLY in connector.capabilities),
    }


@require_POST
@login_required
def reply(request: HttpRequest, mention_id: int) -> HttpResponse:
    try:
        mention = listening.get_mention_for(request.user, mention_id)
    except listening.MentionNotFound:
        raise Http404 from None
    text = request.POST.get("text", "")
    if len(text) > MAX_REPLY:
        messages.error(request, _("The reply is too long."))
        return redirect("mention-detail", mention_id)
    try:
        replies.send_reply(request.user, mention, text)
    except PermissionDenied:
        raise
    except replies.ReplyRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("mention-detail", mention_id)
    messages.success(request, _("Reply queued; it shows as sent once the network accepts it."))
    return redirect("mention-detail", mention_id)


@require_POST
@login_required
def retry(request: HttpRequest, outbound_id: int) -> HttpResponse:
    message = OutboundMessage.objects.select_related("mention").filter(pk=outbound_id).first()
    if message is None or message.organisation_id not in organisation_ids_for(request.user):
        raise Http404
    try:
        replies.retry(request.user, message)
    except replies.ReplyRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Reply queued again."))
    return redirect("mention-detail", message.mention_id)


@require_GET
@login_required
def channels_page(request: HttpRequest) -> HttpResponse:
    listening.require_perm(request.user, "channels.view_channelaccount")
    accounts = list(
        ChannelAccount.objects.filter(organisation_id__in=organisation_ids_for(request.user))
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    rows = []
    for account in accounts:
        connector = connector_for(account.kind)
        rows.append(
            {
                "account": account,
                "problems": health.problems(account),
                "missing": connector.missing_settings(account) if connector else [],
            }
        )
    return render(request, "channels/health.html", {"section": "channels", "rows": rows})
