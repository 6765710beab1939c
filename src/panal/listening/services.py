"""Mention state changes: the one ingest service and permission-checked reads (docs/mentions.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from panal.core import clock
from panal.core.ids import new_ids
from panal.org.services import organisation_ids_for

from .models import Mention, MentionVersion
from .normalise import Item

# Columns written by the raw batch insert, in order.
_INSERT_COLUMNS = [
    "id", "organisation_id", "account_id", "brand_id", "channel", "external_id", "kind",
    "visibility", "text", "text_html", "title", "lang", "lang_source", "created_at",
    "received_at", "edited_at", "deleted_at", "url", "author_external_id", "author_handle",
    "author_display_name", "author_followers", "author_avatar_url", "author_is_bot",
    "author_verified", "author_description", "country", "thread_external_id",
    "in_reply_to_external_id", "urls", "media", "rating", "metrics", "raw", "reply_capability",
    "content_hash", "stages_done",
]  # fmt: skip
_LOOKUP_CHUNK = 500  # stays under SQLite's bound-parameter limit


@dataclass
class IngestResult:
    created: int = 0
    edited: int = 0
    deleted: int = 0
    unchanged: int = 0
    # external_id → stored mention id, for every item of the batch.
    ids: dict[str, int] = field(default_factory=dict)

    def add(self, other: IngestResult, *, keep_ids: bool = True) -> None:
        self.created += other.created
        self.edited += other.edited
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        if keep_ids:
            self.ids.update(other.ids)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "edited": self.edited,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


class MentionNotFound(PermissionDenied):
    """No such mention, or not visible to this user (the two are not told apart)."""


def _existing(account_id: int, external_ids: Sequence[str]) -> dict[str, tuple]:
    """external_id → (id, content_hash, deleted_at) of what the account already has."""
    found: dict[str, tuple] = {}
    for start in range(0, len(external_ids), _LOOKUP_CHUNK):
        chunk = external_ids[start : start + _LOOKUP_CHUNK]
        rows = Mention.objects.filter(account_id=account_id, external_id__in=chunk).values_list(
            "external_id", "id", "content_hash", "deleted_at"
        )
        for ext, pk, digest, deleted_at in rows:
            found[ext] = (pk, digest, deleted_at)
    return found


def _refresh_statistics_if_stale() -> None:
    """ANALYZE the mention table once it has changed by ten times its known size.

    A big import into a young table leaves the planner with statistics of an empty one,
    and then it answers the lookup above by scanning the whole account, not by probing
    the unique index. Autovacuum fixes that eventually (when it is on at all); this keeps
    it fixed during the import: three ANALYZEs while a table grows to 100,000 rows.
    """
    table = Mention._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.n_mod_since_analyze FROM pg_class c"
            " JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
        if row and row[1] > 10 * max(row[0], 100):
            cursor.execute(f"ANALYZE {table}")


def _adapt_json(value) -> str:
    """JSON text: what SQLite stores, and what PostgreSQL's COPY parses into jsonb."""
    return orjson.dumps(value).decode()


def _insert_rows(account, items: list[Item], ids: list[int], now) -> set[int] | None:
    """Insert new rows; return the ids really inserted, or None when all of them were.

    SQLite serialises writers (IMMEDIATE transactions), so the lookup made before the
    insert still holds and every row goes in. On PostgreSQL a concurrent transaction may
    have stored the same (account, external_id) meanwhile: RETURNING tells which rows won.
    """
    adapt_dt = connection.ops.adapt_datetimefield_value
    empty_list, empty_dict = _adapt_json([]), _adapt_json({})
    received = adapt_dt(now)
    rows = []
    for pk, it in zip(ids, items, strict=True):
        deleted = it.event == "deleted"
        rows.append(
            (
                pk, account.organisation_id, account.id, account.brand_id, account.kind,
                it.external_id, it.kind, it.visibility, it.text, it.text_html, it.title,
                it.lang, "network" if it.lang else "", adapt_dt(it.created_at or now), received,
                adapt_dt(it.edited_at), received if deleted else None, it.url,
                it.author_external_id, it.author_handle, it.author_display_name,
                it.author_followers, it.author_avatar_url, it.author_is_bot,
                it.author_verified, it.author_description, it.country, it.thread_external_id,
                it.in_reply_to_external_id,
                _adapt_json(it.urls) if it.urls else empty_list,
                _adapt_json(it.media) if it.media else empty_list,
                it.rating, _adapt_json(it.metrics) if it.metrics else empty_dict,
                _adapt_json(it.raw) if it.raw else empty_dict, it.reply_capability,
                it.content_hash, empty_list,
            )
        )  # fmt: skip
    table = connection.ops.quote_name(Mention._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _INSERT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _copy_insert(cursor, table, cols, rows)
        marks = ", ".join(["%s"] * len(_INSERT_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({marks}) "
            "ON CONFLICT (account_id, external_id) DO NOTHING",
            rows,
        )
    return None


def _copy_insert(cursor, table: str, cols: str, rows: list[tuple]) -> set[int]:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT … SELECT.

    A row-by-row executemany sends one statement per row; COPY streams the batch.
    """
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS panal_mention_in (LIKE {table}) ON COMMIT DELETE ROWS"
    )
    with cursor.cursor.copy(f"COPY panal_mention_in ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM panal_mention_in "
        "ON CONFLICT (account_id, external_id) DO NOTHING RETURNING id"
    )
    inserted = {row[0] for row in cursor.fetchall()}
    cursor.execute("DELETE FROM panal_mention_in")
    return inserted


def ingest_batch(account, items: Iterable[Item], *, enqueue: bool = True) -> IngestResult:
    """Store one batch of items for `account` in one transaction.

    Idempotent on (account, external_id): a redelivery changes nothing; changed
    content records the previous text as a MentionVersion; a delete sets
    deleted_at (a delete for an unknown item is kept as a tombstone, so a late
    copy of the original does not bring it back). New and edited mentions are
    handed to the pipeline after commit.
    """
    result = IngestResult()
    batch: dict[str, Item] = {}
    for item in items:
        batch[item.external_id] = item  # a later copy in the same batch wins
    if not batch:
        return result
    now = clock.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _refresh_statistics_if_stale()
        existing = _existing(account.id, list(batch))
        to_insert: list[Item] = []
        to_edit: list[tuple[int, Item]] = []
        to_delete: list[int] = []
        for ext, item in batch.items():
            found = existing.get(ext)
            if found is None:
                to_insert.append(item)
                continue
            pk, digest, deleted_at = found
            result.ids[ext] = pk
            if item.event == "deleted":
                if deleted_at is None:
                    to_delete.append(pk)
                else:
                    result.unchanged += 1
            elif deleted_at is not None or digest == item.content_hash:
                result.unchanged += 1
            else:
                to_edit.append((pk, item))
        if to_insert:
            ids = new_ids(len(to_insert))
            inserted = _insert_rows(account, to_insert, ids, now)
            if inserted is not None and len(inserted) < len(ids):
                # Lost a race with a concurrent delivery of the same items: theirs stand.
                lost = [i for pk, i in zip(ids, to_insert, strict=True) if pk not in inserted]
                for ext, (pk, _digest, _deleted) in _existing(
                    account.id, [i.external_id for i in lost]
                ).items():
                    result.ids[ext] = pk
                result.unchanged += len(lost)
                pairs = [(pk, i) for pk, i in zip(ids, to_insert, strict=True) if pk in inserted]
                to_insert = [i for _, i in pairs]
                ids = [pk for pk, _ in pairs]
            for pk, item in zip(ids, to_insert, strict=True):
                result.ids[item.external_id] = pk
                if item.event == "deleted":
                    result.deleted += 1
                else:
                    result.created += 1
        if to_edit:
            _apply_edits(to_edit, now)
            result.edited = len(to_edit)
        if to_delete:
            Mention.objects.filter(id__in=to_delete).update(deleted_at=now)
            from . import search

            search.unindex(to_delete)
            result.deleted += len(to_delete)
        work = [result.ids[i.external_id] for i in to_insert if i.event != "deleted"]
        work += [pk for pk, _ in to_edit]
        if work and enqueue:
            from .tasks import process_mentions

            transaction.on_commit(lambda: process_mentions.enqueue(work))
    return result


def _apply_edits(edits: list[tuple[int, Item]], now) -> None:
    previous = {
        m.id: m
        for m in Mention.objects.filter(id__in=[pk for pk, _ in edits]).only(
            "id", "text", "title", "content_hash", "received_at", "edited_at"
        )
    }
    versions = []
    changed = []
    for pk, item in edits:
        old = previous[pk]
        versions.append(
            MentionVersion(
                mention_id=pk,
                text=old.text,
                title=old.title,
                content_hash=old.content_hash,
                valid_from=old.edited_at or old.received_at,
                replaced_at=now,
            )
        )
        old.text, old.title, old.text_html = item.text, item.title, item.text_html
        old.content_hash = item.content_hash
        old.edited_at = item.edited_at or now
        old.metrics = item.metrics or {}
        old.stages_done = []
        changed.append(old)
    MentionVersion.objects.bulk_create(versions)
    Mention.objects.bulk_update(
        changed,
        ["text", "title", "text_html", "content_hash", "edited_at", "metrics", "stages_done"],
    )


def ingest(account, items: Iterable[Item], *, batch_size: int = 1000) -> IngestResult:
    """Ingest any number of items in batches (one transaction and one task per batch)."""
    total = IngestResult()
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= batch_size:
            total.add(ingest_batch(account, chunk))
            chunk = []
    if chunk:
        total.add(ingest_batch(account, chunk))
    return total


# --- reads ------------------------------------------------------------------


def require_perm(user, perm: str) -> None:
    if not user.is_authenticated or not user.has_perm(perm):
        raise PermissionDenied(f"Missing permission: {perm}")


def visible_mentions(user) -> QuerySet[Mention]:
    """Mentions of the user's organisations, without deleted ones. Checks the permission."""
    require_perm(user, "listening.view_mention")
    return Mention.objects.filter(
        organisation_id__in=organisation_ids_for(user), deleted_at__isnull=True
    )


def get_mention_for(user, mention_id: int) -> Mention:
    """The one doorway to a single mention."""
    try:
        return (
            visible_mentions(user)
            .select_related("account", "author", "brand", "parent", "understanding")
            .get(id=int(mention_id))
        )
    except (Mention.DoesNotExist, ValueError, OverflowError):
        raise MentionNotFound("Mention not found.") from None


def thread_of(mention: Mention) -> list[Mention]:
    """The mention's conversation, oldest first (root, replies, and their replies)."""
    root_id = mention.thread_root_id or mention.id
    return list(
        Mention.objects.filter(deleted_at__isnull=True, organisation_id=mention.organisation_id)
        .filter(Q(id=root_id) | Q(thread_root_id=root_id))
        .select_related("author")
        .order_by("created_at", "id")[:200]
    )
