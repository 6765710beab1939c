"""The mentions API: list, read one, ingest (docs/api.md).

Routes are thin: parse, check the permission, call one service, render. Every
read goes through `services.visible_mentions` / `get_mention_for`, so the API
sees exactly what the pages see; a mention of another organisation is a 404.
"""

from __future__ import annotations

from datetime import UTC

from django.db.models import Prefetch, QuerySet
from ninja import Query, Router, Status
from ninja.errors import HttpError, ValidationError

from panal.channels.models import ChannelAccount
from panal.core.text import canonical_lang
from panal.org.services import organisation_ids_for

from . import search, services
from .models import Mention, TopicMatch
from .normalise import parse_items
from .query import Query as SearchQuery
from .query import QueryError
from .schemas import (
    MAX_INGEST_ITEMS,
    ErrorOut,
    IngestErrorOut,
    IngestIn,
    IngestOut,
    MentionDetailOut,
    MentionFilterIn,
    MentionPageOut,
    ValidationErrorOut,
)

router = Router(tags=["mentions"])

_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}


@router.get(
    "/mentions",
    response={200: MentionPageOut, **_ERRORS},
    operation_id="listMentions",
    summary="List mentions, newest first",
)
def list_mentions(request, filters: Query[MentionFilterIn]):
    """Mentions of your organisations, newest id first, `limit` at a time.

    Needs `listening.view_mention`. Page on with `before=<next_before>`; `q` is a listening
    query (docs/query.md), a malformed one is 422 naming the column.
    """
    mentions = _filtered(services.visible_mentions(request.auth), filters)
    if filters.q:
        query = _search_query(filters.q)
        found = search.newest_matches(mentions, query, filters.limit, filters.before)
        rows = list(mentions.filter(id__in=found.ids)) if found.ids else []
        return {"items": rows, "next_before": _str(found.next_before)}
    if filters.before:
        mentions = mentions.filter(id__lt=filters.before)
    rows = list(mentions[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": rows, "next_before": str(rows[-1].id) if more else None}


@router.get(
    "/mentions/{mention_id}",
    response={200: MentionDetailOut, 404: ErrorOut, **_ERRORS},
    operation_id="getMention",
    summary="One mention with its thread and edit history",
)
def get_mention(request, mention_id: str):
    """Needs `listening.view_mention`; deleted mentions and other organisations' are 404."""
    mention = services.get_mention_for(request.auth, mention_id)
    mention.thread_ids = [str(m.id) for m in services.thread_of(mention)]
    return mention


@router.post(
    "/mentions",
    response={
        202: IngestOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        **_ERRORS,
        400: ErrorOut,
        422: IngestErrorOut | ValidationErrorOut,
    },
    operation_id="ingestMentions",
    summary="Store a batch of normalised mentions",
)
def ingest_mentions(request, payload: IngestIn):
    """Needs `listening.ingest_mention` and membership of the account's organisation.

    Every item is checked first; if any is wrong nothing is stored and the answer
    lists each problem by index. Sending the same batch again changes nothing.
    """
    user = request.auth
    services.require_perm(user, "listening.ingest_mention")
    if len(payload.mentions) > MAX_INGEST_ITEMS:
        raise HttpError(413, f"At most {MAX_INGEST_ITEMS} mentions per request; split the batch.")
    account = _account_for(user, payload.account)
    raw_items = payload.mentions
    items, errors = parse_items(raw_items)
    if errors:
        detail = f"{len(errors)} of {len(raw_items)} mentions are invalid; nothing was stored."
        return Status(422, {"detail": detail, "errors": errors})
    result = services.ingest(account, items)
    ids = {ext: str(pk) for ext, pk in result.ids.items()}
    return Status(202, {**result.as_dict(), "ids": ids})


# --- helpers (bounded reads; candidates for listening/queries.py) -------------


def _filtered(mentions: QuerySet[Mention], f: MentionFilterIn) -> QuerySet[Mention]:
    if f.channel:
        mentions = mentions.filter(channel=f.channel)
    if f.lang:
        mentions = mentions.filter(lang=canonical_lang(f.lang))
    if f.brand:
        mentions = mentions.filter(brand__slug=f.brand)
    if f.topic:
        matched = TopicMatch.objects.filter(topic__slug=f.topic).values("mention_id")
        mentions = mentions.filter(id__in=matched)
    if f.account:
        mentions = mentions.filter(account__slug=f.account)
    if f.since:
        mentions = mentions.filter(created_at__gte=_aware(f.since))
    if f.until:
        mentions = mentions.filter(created_at__lt=_aware(f.until))
    return (
        mentions.select_related("account", "author", "brand")
        .prefetch_related(
            Prefetch("topic_matches", queryset=TopicMatch.objects.select_related("topic"))
        )
        .order_by("-id")
    )


def _search_query(text: str) -> SearchQuery:
    """The parsed `q`, or a 422 shaped like the other parameter errors."""
    try:
        return SearchQuery(text)
    except QueryError as error:
        raise ValidationError(
            [
                {
                    "type": "query_syntax",
                    "loc": ["query", "q"],
                    "msg": str(error),
                    "ctx": error.as_dict(),
                }
            ]
        ) from None


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _aware(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _account_for(user, slug: str) -> ChannelAccount:
    """The channel account `slug` of one of the user's organisations, else 404."""
    account = ChannelAccount.objects.filter(
        slug=slug, organisation_id__in=organisation_ids_for(user)
    ).first()
    if account is None:
        raise HttpError(404, f"No channel account {slug!r} in your organisations.")
    if not account.is_active:
        raise HttpError(409, f"The channel account {slug!r} is paused.")
    return account
