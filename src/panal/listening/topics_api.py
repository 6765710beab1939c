"""The topics API: topics, their listening queries and versions, the query check,
backfills, a topic's mentions and share of voice (docs/api.md#topics-and-queries).

Routes are thin: check the permission, find the object among the caller's organisations
(anything else is a 404 that does not say whether it exists), call one function of
`topics` or `share`, render. Reading needs `listening.view_mention` (share of voice:
`org.view_reports`); changing needs `listening.manage_queries`. A query that does not
parse and a topic change that cannot be made raise QueryError / TopicError, which
api/urls.py answers with 422 and the column, hint or field; nothing is saved then.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.db.models import Count, QuerySet
from ninja import Query, Router, Status
from ninja.errors import HttpError

from panal.org.models import Organisation, Team
from panal.org.services import current_organisation, organisation_ids_for

from . import services, share, topics
from .models import Backfill, ListeningQuery, Mention, Topic
from .reports import Period
from .schemas import MAX_ID, ErrorOut, MentionPageOut, ValidationErrorOut
from .topics_schemas import (
    BackfillIn,
    BackfillOut,
    CheckIn,
    CheckOut,
    QueryErrorOut,
    QueryIn,
    QueryOut,
    QueryPatchIn,
    ShareFilterIn,
    ShareOut,
    TopicErrorOut,
    TopicFilterIn,
    TopicIn,
    TopicMentionsIn,
    TopicOut,
    TopicPatchIn,
    VersionOut,
)

router = Router(tags=["topics"])

READ = "listening.view_mention"
WRITE = "listening.manage_queries"
REPORTS = "org.view_reports"

_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
_WRITE_ERRORS = {**_ERRORS, 422: TopicErrorOut | QueryErrorOut | ValidationErrorOut}


# --- topics ------------------------------------------------------------------------------


@router.get(
    "/topics",
    response={200: list[TopicOut], **_ERRORS},
    operation_id="listTopics",
    summary="List the topics of your organisations",
)
def list_topics(request, filters: Query[TopicFilterIn]):
    """Needs `listening.view_mention`. Ordered by organisation, kind and name."""
    services.require_perm(request.auth, READ)
    rows = _topics(request.auth).annotate(query_count=Count("queries"))
    if filters.organisation:
        rows = rows.filter(organisation__slug=filters.organisation)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.active is not None:
        rows = rows.filter(is_active=filters.active)
    return rows.order_by("organisation__slug", "kind", "name", "id")


@router.post(
    "/topics",
    response={201: TopicOut, **_WRITE_ERRORS},
    operation_id="createTopic",
    summary="Create a topic",
)
def create_topic(request, payload: TopicIn):
    """Needs `listening.manage_queries`. The topic belongs to `organisation` (a slug of one
    of yours) or to your current organisation; its slug is made from its name."""
    services.require_perm(request.auth, WRITE)
    organisation = _organisation_for(request.auth, payload.organisation)
    topic = topics.create_topic(
        organisation,
        name=payload.name,
        kind=payload.kind,
        team=_team(organisation.id, payload.team),
        description=payload.description,
    )
    return Status(201, topic)


@router.get(
    "/topics/{topic_id}",
    response={200: TopicOut, **_ERRORS},
    operation_id="getTopic",
    summary="One topic",
)
def get_topic(request, topic_id: str):
    services.require_perm(request.auth, READ)
    return _topic_for(request.auth, topic_id)


@router.patch(
    "/topics/{topic_id}",
    response={200: TopicOut, **_WRITE_ERRORS},
    operation_id="updateTopic",
    summary="Change a topic's name, kind, team, description or state",
)
def update_topic(request, topic_id: str, payload: TopicPatchIn):
    """Needs `listening.manage_queries`; only the fields sent change. The slug stays."""
    services.require_perm(request.auth, WRITE)
    topic = _topic_for(request.auth, topic_id)
    changes = payload.model_dump(exclude_unset=True)
    if "team" in changes:
        changes["team"] = _team(topic.organisation_id, changes["team"])
    return topics.update_topic(topic, **changes)


@router.delete(
    "/topics/{topic_id}",
    response={204: None, **_ERRORS},
    operation_id="deleteTopic",
    summary="Delete a topic with its queries and matches",
)
def delete_topic(request, topic_id: str):
    """Needs `listening.manage_queries`. The mentions stay."""
    services.require_perm(request.auth, WRITE)
    topics.delete_topic(_topic_for(request.auth, topic_id))
    return Status(204, None)


# --- queries -----------------------------------------------------------------------------


@router.get(
    "/topics/{topic_id}/queries",
    response={200: list[QueryOut], **_ERRORS},
    operation_id="listQueries",
    summary="A topic's listening queries",
)
def list_queries(request, topic_id: str):
    services.require_perm(request.auth, READ)
    topic = _topic_for(request.auth, topic_id)
    return topic.queries.select_related("updated_by").order_by("name", "id")


@router.post(
    "/topics/{topic_id}/queries",
    response={201: QueryOut, **_WRITE_ERRORS},
    operation_id="createQuery",
    summary="Add a listening query to a topic",
)
def create_query(request, topic_id: str, payload: QueryIn):
    """Needs `listening.manage_queries`. A text that is not a query is 422 with its
    `column` and a `hint`, and nothing is saved. New mentions are matched at once;
    stored ones after a backfill."""
    services.require_perm(request.auth, WRITE)
    topic = _topic_for(request.auth, topic_id)
    query = topics.save_query(
        topic, payload.text, name=payload.name, is_active=payload.is_active, user=request.auth
    )
    return Status(201, query)


@router.post(
    "/queries/check",
    response={200: CheckOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    operation_id="checkQuery",
    summary="Parse and lint a query without saving it",
)
def check_query(request, payload: CheckIn):
    """Needs `listening.view_mention`. Always 200: `ok` says whether the text is a query;
    if it is, its normalised form and the linter's warnings, else the error's column."""
    services.require_perm(request.auth, READ)
    result = topics.check(payload.query)
    if result.query is None:
        error = result.error
        return {
            "ok": False,
            "error": {"message": error.message, "column": error.column, "hint": error.hint},
        }
    return {
        "ok": True,
        "normalised": result.query.normalised,
        "warnings": [w.as_dict() for w in result.warnings],
    }


@router.get(
    "/queries/{query_id}",
    response={200: QueryOut, **_ERRORS},
    operation_id="getQuery",
    summary="One listening query",
)
def get_query(request, query_id: str):
    services.require_perm(request.auth, READ)
    return _query_for(request.auth, query_id)


@router.patch(
    "/queries/{query_id}",
    response={200: QueryOut, **_WRITE_ERRORS},
    operation_id="updateQuery",
    summary="Change a query's text, name or state (a new version)",
)
def update_query(request, query_id: str, payload: QueryPatchIn):
    """Needs `listening.manage_queries`; only the fields sent change. A change is saved as
    a new version; sending what is already there makes none."""
    services.require_perm(request.auth, WRITE)
    query = _query_for(request.auth, query_id)
    changes = payload.model_dump(exclude_unset=True)
    return topics.save_query(
        query.topic,
        changes.get("text", query.text),
        name=changes.get("name", query.name),
        is_active=changes.get("is_active", query.is_active),
        user=request.auth,
        query=query,
    )


@router.delete(
    "/queries/{query_id}",
    response={204: None, **_ERRORS},
    operation_id="deleteQuery",
    summary="Delete a listening query and its versions",
)
def delete_query(request, query_id: str):
    """Needs `listening.manage_queries`. Its matches stay until the topic is backfilled."""
    services.require_perm(request.auth, WRITE)
    topics.delete_query(_query_for(request.auth, query_id))
    return Status(204, None)


@router.get(
    "/queries/{query_id}/versions",
    response={200: list[VersionOut], **_ERRORS},
    operation_id="listQueryVersions",
    summary="Every saved version of a query, newest first, with its diff",
)
def list_versions(request, query_id: str):
    services.require_perm(request.auth, READ)
    query = _query_for(request.auth, query_id)
    return [
        {
            "number": version.number,
            "text": version.text,
            "name": version.name,
            "is_active": version.is_active,
            "author": version.author.get_username() if version.author_id else None,
            "created_at": version.created_at,
            "diff": [{"op": op, "text": text} for op, text in diff],
        }
        for version, diff in topics.versions_with_diffs(query)
    ]


@router.post(
    "/queries/{query_id}/versions/{number}/restore",
    response={200: QueryOut, **_WRITE_ERRORS},
    operation_id="restoreQueryVersion",
    summary="Save an old version of a query as its newest",
)
def restore_version(request, query_id: str, number: int):
    """Needs `listening.manage_queries`. An unknown version number is 404."""
    services.require_perm(request.auth, WRITE)
    query = _query_for(request.auth, query_id)
    if not query.versions.filter(number=number).exists():
        raise HttpError(404, f"No version {number} of this query.")
    return topics.restore_version(query, number, user=request.auth)


# --- backfills and matched mentions ------------------------------------------------------


@router.post(
    "/topics/{topic_id}/backfill",
    response={202: BackfillOut, **_ERRORS},
    operation_id="startBackfill",
    summary="Run a topic's queries over stored mentions, in the background",
)
def start_backfill(request, topic_id: str, payload: BackfillIn):
    """Needs `listening.manage_queries`. `since` (a UTC day) limits it to newer mentions;
    a backfill of the topic still queued or running with the same `since` is returned."""
    services.require_perm(request.auth, WRITE)
    topic = _topic_for(request.auth, topic_id)
    since = datetime.combine(payload.since, time.min, tzinfo=UTC) if payload.since else None
    return Status(202, topics.start_backfill(topic, user=request.auth, since=since))


@router.get(
    "/backfills/{backfill_id}",
    response={200: BackfillOut, **_ERRORS},
    operation_id="getBackfill",
    summary="A backfill's progress",
)
def get_backfill(request, backfill_id: str):
    services.require_perm(request.auth, READ)
    backfill = Backfill.objects.filter(
        id=_as_id(backfill_id), organisation_id__in=organisation_ids_for(request.auth)
    ).first()
    if backfill is None:
        raise HttpError(404, "Backfill not found.")
    return backfill


@router.get(
    "/topics/{topic_id}/mentions",
    response={200: MentionPageOut, **_ERRORS},
    operation_id="listTopicMentions",
    summary="The mentions a topic matched, newest first",
)
def list_topic_mentions(request, topic_id: str, params: Query[TopicMentionsIn]):
    """Needs `listening.view_mention`. Page on with `before=<next_before>`."""
    mentions = services.visible_mentions(request.auth)
    topic = _topic_for(request.auth, topic_id)
    rows = _matched(mentions, topic, params.before)
    rows = list(rows[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {"items": rows, "next_before": str(rows[-1].id) if more else None}


# --- share of voice ----------------------------------------------------------------------


@router.get(
    "/share-of-voice",
    response={200: ShareOut, **_ERRORS, 422: ErrorOut | ValidationErrorOut},
    operation_id="shareOfVoice",
    summary="Each topic's share of the conversation per day, overall and by sentiment",
)
def share_of_voice(request, filters: Query[ShareFilterIn]):
    """Needs `org.view_reports`. `topic` ids (repeat the parameter, at most 12, of one
    organisation), or by default the active own-brand and competitor topics."""
    services.require_perm(request.auth, REPORTS)
    chosen = _share_topics(request.auth, filters)
    result = share.share_of_voice(chosen, Period.last(filters.days))
    return {
        "days": filters.days,
        "dates": result.dates,
        "totals": result.totals,
        "total": result.total,
        "topics": [_series(s) for s in result.series],
    }


# --- doorways and helpers ----------------------------------------------------------------


def _as_id(value) -> int:
    """A path id as an integer; anything else is a 404, like an id that is not there."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_ID:
        raise HttpError(404, "Not found.")
    return number


def _topics(user) -> QuerySet[Topic]:
    return Topic.objects.filter(organisation_id__in=organisation_ids_for(user)).select_related(
        "organisation"
    )


def _topic_for(user, topic_id) -> Topic:
    """The one doorway to a topic: one of the user's organisations', else 404."""
    topic = _topics(user).filter(id=_as_id(topic_id)).first()
    if topic is None:
        raise HttpError(404, "Topic not found.")
    return topic


def _query_for(user, query_id) -> ListeningQuery:
    query = (
        ListeningQuery.objects.filter(
            id=_as_id(query_id), organisation_id__in=organisation_ids_for(user)
        )
        .select_related("topic__organisation", "updated_by")
        .first()
    )
    if query is None:
        raise HttpError(404, "Query not found.")
    return query


def _organisation_for(user, slug: str | None) -> Organisation:
    if slug:
        found = Organisation.objects.filter(slug=slug, id__in=organisation_ids_for(user)).first()
        if found is None:
            raise HttpError(404, f"No organisation {slug!r} among yours.")
        return found
    current = current_organisation(user)
    if current is None:
        raise HttpError(404, "You are not a member of any organisation.")
    return current


def _team(organisation_id: int, team_id: str | None) -> Team | None:
    """The organisation's team `team_id` (None for none); another's is a 422 on `team`."""
    if team_id is None:
        return None
    team = None
    if team_id.isdigit() and int(team_id) <= MAX_ID:
        team = Team.objects.filter(id=int(team_id), organisation_id=organisation_id).first()
    if team is None:
        raise topics.TopicError(f"No team {team_id!r} in the topic's organisation.", "team")
    return team


def _matched(mentions: QuerySet[Mention], topic: Topic, before: int | None) -> QuerySet[Mention]:
    rows = mentions.filter(organisation_id=topic.organisation_id, topic_matches__topic=topic)
    if before:
        rows = rows.filter(id__lt=before)
    return rows.select_related("account", "author", "brand").order_by("-id")


def _share_topics(user, filters: ShareFilterIn) -> list[Topic]:
    if not filters.topic:
        organisation = _organisation_for(user, filters.organisation)
        return share.default_topics(organisation.id)
    wanted = list(dict.fromkeys(filters.topic))
    if len(wanted) > share.MAX_TOPICS:
        raise HttpError(422, f"At most {share.MAX_TOPICS} topics at a time.")
    found = _topics(user).in_bulk([_as_id(t) for t in wanted])
    missing = [str(t) for t in wanted if t not in found]
    if missing:
        raise HttpError(404, f"Topic not found: {', '.join(missing)}.")
    chosen = [found[t] for t in wanted]
    if len({t.organisation_id for t in chosen}) > 1:
        raise HttpError(422, "The topics must belong to one organisation.")
    return chosen


def _cells(cells) -> list[dict]:
    return [{"count": c.count, "share": round(c.share, 2)} for c in cells]


def _series(series: share.Series) -> dict:
    t = series.topic
    return {
        "topic": {"id": str(t.id), "slug": t.slug, "name": t.name, "kind": t.kind},
        "days": _cells(series.days),
        "positive": _cells(series.positive),
        "negative": _cells(series.negative),
        "total": _cells([series.total])[0],
        "total_positive": _cells([series.total_positive])[0],
        "total_negative": _cells([series.total_negative])[0],
    }
