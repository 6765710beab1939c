"""Wire shapes of the mentions API (docs/api.md).

Ids are 63-bit integers and travel as JSON *strings*: JavaScript numbers lose
precision above 2^53 and our ids are near 2^60. Paths and cursors accept either.

Incoming items are validated by `normalise.parse_item`, the same function the
webhook and file channels use, so one item means the same thing at every door.
`MentionItemIn` only documents that shape in the OpenAPI schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import WithJsonSchema

from .choices import Channel, Kind, ReplyCapability, Visibility

MAX_INGEST_ITEMS = 1000
MAX_PAGE = 200
DEFAULT_PAGE = 50
MAX_ID = 2**63 - 1

IdOut = Annotated[str, Field(description="A 63-bit integer, as a string.", examples=["1234"])]


def id_str(value: int | None) -> str | None:
    return None if value is None else str(value)


# --- out ---------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    """Parameters or body of the wrong shape (pydantic's errors, with their location)."""

    detail: list[dict[str, Any]]


class ItemErrorOut(Schema):
    index: int = Field(description="Position of the item in `mentions`, from 0.")
    error: str


class IngestErrorOut(Schema):
    detail: str
    errors: list[ItemErrorOut]


class AuthorOut(Schema):
    id: IdOut | None = Field(None, description="The linked author record, once processed.")
    external_id: str
    handle: str
    display_name: str
    followers: int | None
    avatar_url: str
    is_bot: bool | None
    verified: bool | None
    description: str = Field(description="The author's bio, as the network gave it.")


class MentionOut(Schema):
    id: IdOut
    account: str = Field(description="Slug of the channel account it came through.")
    channel: Channel
    external_id: str
    kind: Kind
    visibility: Visibility
    title: str
    text: str
    lang: str
    country: str = Field("", description="ISO 3166-1 alpha-2, where the network tells it.")
    created_at: datetime
    received_at: datetime
    edited_at: datetime | None
    url: str
    brand: str | None = Field(None, description="Slug of the brand it is about.")
    topics: list[str] = Field(
        default_factory=list, description="Slugs of the topics it matched (docs/topics.md)."
    )
    author: AuthorOut
    parent_id: IdOut | None
    thread_root_id: IdOut | None
    thread_external_id: str
    in_reply_to_external_id: str
    rating: int | None

    @staticmethod
    def resolve_id(obj) -> str:
        return str(obj.id)

    @staticmethod
    def resolve_account(obj) -> str:
        return obj.account.slug

    @staticmethod
    def resolve_topics(obj) -> list[str]:
        return sorted(match.topic.slug for match in obj.topic_matches.all())

    @staticmethod
    def resolve_brand(obj) -> str | None:
        return obj.brand.slug if obj.brand_id else None

    @staticmethod
    def resolve_parent_id(obj) -> str | None:
        return id_str(obj.parent_id)

    @staticmethod
    def resolve_thread_root_id(obj) -> str | None:
        return id_str(obj.thread_root_id)

    @staticmethod
    def resolve_author(obj) -> dict:
        # The linked identity once the pipeline has run; until then, as delivered.
        if obj.author_id and obj.author is not None:
            a = obj.author
            return {
                "id": str(a.id),
                "external_id": a.external_id,
                "handle": a.handle,
                "display_name": a.display_name,
                "followers": a.followers,
                "avatar_url": a.avatar_url,
                "is_bot": a.is_bot,
                "verified": a.is_verified,
                "description": a.description,
            }
        return {
            "id": None,
            "external_id": obj.author_external_id,
            "handle": obj.author_handle,
            "display_name": obj.author_display_name,
            "followers": obj.author_followers,
            "avatar_url": obj.author_avatar_url,
            "is_bot": obj.author_is_bot,
            "verified": obj.author_verified,
            "description": obj.author_description,
        }


class MentionVersionOut(Schema):
    title: str
    text: str
    valid_from: datetime = Field(description="When this text was first seen.")
    replaced_at: datetime


class MentionDetailOut(MentionOut):
    text_html: str
    urls: list[str]
    media: list[dict[str, Any]]
    metrics: dict[str, Any]
    raw: dict[str, Any]
    reply_capability: ReplyCapability
    thread_ids: list[IdOut] = Field(
        description="Ids of the visible mentions of its conversation, oldest first."
    )
    versions: list[MentionVersionOut] = Field(
        description="Earlier texts of an edited mention, most recently replaced first."
    )


class MentionPageOut(Schema):
    items: list[MentionOut]
    next_before: IdOut | None = Field(
        description="Pass as `before` for the next (older) page; null on the last page."
    )


class IngestOut(Schema):
    created: int
    edited: int
    deleted: int
    unchanged: int
    ids: dict[str, IdOut] = Field(description="external_id → mention id, for every item.")


# --- in ----------------------------------------------------------------------


class MentionFilterIn(Schema):
    channel: Channel | None = None
    lang: str | None = Field(
        None,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$",
        description="Language code, e.g. es or pt-BR (matches its primary subtag).",
    )
    brand: str | None = Field(None, max_length=50, description="Brand slug.")
    topic: str | None = Field(None, max_length=60, description="Topic slug: what it matched.")
    account: str | None = Field(None, max_length=50, description="Channel account slug.")
    since: datetime | None = Field(None, description="created_at ≥ since (ISO 8601; naive = UTC).")
    until: datetime | None = Field(None, description="created_at < until (ISO 8601; naive = UTC).")
    q: str | None = Field(
        None,
        max_length=500,
        description='A listening query (docs/query.md): words, "phrases", prefix*, OR, NOT, '
        "NEAR/n, #hashtags, @handles, lang:/channel:/… filters. Malformed: 422 naming the column.",
    )
    before: int | None = Field(
        None, ge=1, le=MAX_ID, description="Cursor: only ids smaller than this (string or number)."
    )
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)


class AuthorIn(Schema):
    id: str = Field(description="The author's id on the network.")
    handle: str | None = None
    display_name: str | None = None
    followers: int | None = None
    avatar_url: str | None = None
    is_bot: bool | None = None
    verified: bool | None = None
    description: str | None = Field(None, description="The author's bio (5,000 characters).")


class MentionItemIn(Schema):
    """One normalised mention (see `panal.listening.normalise.parse_item`)."""

    external_id: str = Field(max_length=512, description="The item's id on its network.")
    event: Literal["created", "edited", "deleted"] = "created"
    kind: Kind = Kind.POST
    visibility: Visibility = Visibility.PUBLIC
    reply_capability: ReplyCapability = ReplyCapability.PUBLIC_REPLY
    text: str | None = Field(None, description="Required unless text_html or title is given.")
    text_html: str | None = None
    title: str | None = Field(None, max_length=1000)
    lang: str | None = None
    created_at: datetime | int | None = Field(None, description="ISO 8601 or Unix seconds/ms.")
    edited_at: datetime | int | None = None
    url: str | None = Field(None, description="http(s) only; anything else is dropped.")
    author: AuthorIn | str | None = Field(None, description="An object, or just a handle.")
    author_external_id: str | None = None
    author_handle: str | None = None
    author_display_name: str | None = None
    author_followers: int | None = None
    author_avatar_url: str | None = None
    author_is_bot: bool | None = None
    author_verified: bool | None = None
    author_description: str | None = None
    country: str | None = Field(
        None, description="ISO 3166-1 alpha-2 (or `territory`); anything else is dropped."
    )
    thread_external_id: str | None = None
    in_reply_to_external_id: str | None = None
    urls: list[str] | None = None
    media: list[dict[str, Any]] | None = None
    rating: int | None = Field(None, ge=1, le=5)
    metrics: dict[str, Any] | None = None
    raw: dict[str, Any] | None = Field(None, description="The network's own payload, kept.")


def _inline_refs(schema: dict) -> dict:
    """MentionItemIn's JSON schema with its $defs inlined, to embed it anywhere."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


# Validated by parse_item (one error per item, by index); documented as MentionItemIn.
RawItem = Annotated[Any, WithJsonSchema(_inline_refs(MentionItemIn.json_schema()))]


class IngestIn(Schema):
    account: str = Field(max_length=50, description="Slug of the channel account to store under.")
    mentions: list[RawItem] = Field(
        description=f"Up to {MAX_INGEST_ITEMS} items, stored in one transaction.",
        json_schema_extra={"maxItems": MAX_INGEST_ITEMS},
    )
