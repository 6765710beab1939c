"""Wire shapes of the topics API: topics, their queries and versions, the query check,
backfills and share of voice (docs/api.md#topics-and-queries).

Ids travel as strings, like every id of the API (see schemas.py). Incoming text may
hold any Unicode but NUL and unpaired surrogates, which no database stores.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, field_validator

from .models import Backfill, Topic
from .query import Query, QueryError
from .reports import PERIODS
from .schemas import MAX_ID, MAX_PAGE, IdOut, id_str

# Bounds on what a request may carry; the services check the rest (a name is at most
# 120 characters once its spaces are collapsed, a query at most 4,000 characters).
MAX_NAME = 500
MAX_DESCRIPTION = 2000
MAX_QUERY_TEXT = 10_000
TOPICS_PAGE = 50


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired surrogate (not valid Unicode)") from None
    return value


def _text(max_length: int, description: str = "") -> object:
    return Annotated[
        str,
        Field(max_length=max_length, description=description),
        AfterValidator(_storable),
    ]


Name = _text(MAX_NAME)
Description = _text(MAX_DESCRIPTION)
QueryText = _text(MAX_QUERY_TEXT, "A listening query (docs/query.md).")


def _refuse_null(cls, value):
    """A PATCH field may be left out, but not sent as null."""
    if value is None:
        raise ValueError("may be left out but not null")
    return value


# --- errors ------------------------------------------------------------------------------


class TopicErrorOut(Schema):
    detail: str
    field: str = Field(description="The field at fault, when there is one.")


class QueryErrorOut(Schema):
    detail: str = Field(examples=["error at column 11: this parenthesis is never closed"])
    field: Literal["text"] = "text"
    column: int = Field(description="1-based column of the query text where it goes wrong.")
    hint: str


# --- topics ------------------------------------------------------------------------------


class TopicOut(Schema):
    id: IdOut
    organisation: str = Field(description="Slug of the topic's organisation.")
    slug: str
    name: str
    kind: Topic.Kind
    team: IdOut | None = Field(description="Id of the team that owns the topic.")
    description: str
    is_active: bool
    query_count: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation.slug

    @staticmethod
    def resolve_team(obj) -> str | None:
        return id_str(obj.team_id)

    @staticmethod
    def resolve_query_count(obj) -> int:
        count = getattr(obj, "query_count", None)
        return obj.queries.count() if count is None else count


class TopicFilterIn(Schema):
    organisation: str | None = Field(None, max_length=50, description="Organisation slug.")
    kind: Topic.Kind | None = None
    active: bool | None = Field(None, description="Only active (true) or inactive (false).")


class TopicIn(Schema):
    name: Name
    kind: Topic.Kind
    team: str | None = Field(None, max_length=20, description="Id of one of its teams.")
    description: Description = ""
    organisation: str | None = Field(
        None,
        max_length=50,
        description="Slug of one of your organisations (default: your current one).",
    )


class TopicPatchIn(Schema):
    """Only the fields sent change; `team` and `description` may be null (none)."""

    name: Name | None = None
    kind: Topic.Kind | None = None
    team: str | None = Field(None, max_length=20)
    description: Description | None = None
    is_active: bool | None = None

    _not_null = field_validator("name", "kind", "is_active", mode="before")(_refuse_null)


# --- queries -----------------------------------------------------------------------------


class QueryOut(Schema):
    id: IdOut
    topic: IdOut
    name: str
    text: str
    normalised: str | None = Field(
        description="How Panal reads the query; null if it no longer parses."
    )
    version: int
    is_active: bool
    created_at: datetime
    updated_at: datetime
    updated_by: str | None = Field(description="Username of the last person who changed it.")

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_topic(obj) -> str:
        return str(obj.topic_id)

    @staticmethod
    def resolve_normalised(obj) -> str | None:
        try:
            return Query(obj.text).normalised
        except QueryError:
            return None

    @staticmethod
    def resolve_updated_by(obj) -> str | None:
        return obj.updated_by.get_username() if obj.updated_by_id else None


class QueryIn(Schema):
    text: QueryText
    name: Name = Field("", description="Default: the start of the text.")
    is_active: bool = True


class QueryPatchIn(Schema):
    """Only the fields sent change."""

    text: QueryText | None = None
    name: Name | None = None
    is_active: bool | None = None

    _not_null = field_validator("text", "name", "is_active", mode="before")(_refuse_null)


class DiffOut(Schema):
    op: Literal["=", "-", "+"] = Field(description="kept, removed or added")
    text: str


class VersionOut(Schema):
    number: int
    text: str
    name: str
    is_active: bool
    author: str | None = Field(description="Username of who saved this version.")
    created_at: datetime
    diff: list[DiffOut] = Field(description="Word by word, from the version before.")


class CheckIn(Schema):
    query: QueryText


class WarningOut(Schema):
    code: str
    column: int
    message: str
    hint: str


class CheckErrorOut(Schema):
    message: str
    column: int
    hint: str


class CheckOut(Schema):
    ok: bool
    normalised: str | None = None
    warnings: list[WarningOut] = []
    error: CheckErrorOut | None = None


# --- backfills and matched mentions ------------------------------------------------------


class BackfillIn(Schema):
    since: date | None = Field(None, description="Only mentions from this UTC day on.")


class BackfillOut(Schema):
    id: IdOut
    topic: IdOut
    status: Backfill.Status
    since: datetime | None
    total: int = Field(description="Mentions to look at.")
    done: int = Field(description="Mentions looked at so far.")
    added: int
    removed: int
    percent: int
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_topic(obj) -> str:
        return str(obj.topic_id)


class TopicMentionsIn(Schema):
    before: int | None = Field(
        None, ge=1, le=MAX_ID, description="Cursor: only mention ids smaller than this."
    )
    limit: int = Field(TOPICS_PAGE, ge=1, le=MAX_PAGE)


# --- share of voice ----------------------------------------------------------------------


class ShareFilterIn(Schema):
    days: int = Field(
        30, description="The last 7, 30 or 90 UTC days.", json_schema_extra={"enum": list(PERIODS)}
    )
    topic: list[int] = Field(
        [], description="Topic ids (repeat the parameter); default: own brands and competitors."
    )
    organisation: str | None = Field(
        None, max_length=50, description="Without `topic`: whose defaults (your current one)."
    )

    @field_validator("days")
    @classmethod
    def _a_period(cls, value: int) -> int:
        if value not in PERIODS:
            raise ValueError("must be 7, 30 or 90")
        return value


class CellOut(Schema):
    count: int
    share: float = Field(description="Percent of the chosen topics' total (2 decimals).")


class TopicRefOut(Schema):
    id: IdOut
    slug: str
    name: str
    kind: Topic.Kind


class SeriesOut(Schema):
    topic: TopicRefOut
    days: list[CellOut] = Field(description="One per date, all mentions.")
    positive: list[CellOut]
    negative: list[CellOut]
    total: CellOut
    total_positive: CellOut
    total_negative: CellOut


class ShareOut(Schema):
    days: int
    dates: list[date]
    totals: list[int] = Field(description="The chosen topics' mentions per date.")
    total: int
    topics: list[SeriesOut]
