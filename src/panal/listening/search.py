"""Full-text search over mentions behind one function, on SQLite FTS5 and PostgreSQL tsvector.

Both engines index the same folded text (lower case, accents removed, see
core.text.fold), so `atención` finds `atencion` on either. The query syntax is
plain words (all must appear), "quoted phrases" and trailing-* prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from panal.core.text import fold, words

from .models import Mention

TABLE = "listening_mention_fts"
_TOKEN_RE = re.compile(r'"([^"]*)"|(\S+)')
MAX_TERMS = 32


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def document(m: Mention) -> str:
    return fold(" ".join(p for p in (m.title, m.text, m.author_handle, m.author_display_name) if p))


def index(mentions: Iterable[Mention]) -> None:
    rows = [(m.id, document(m)) for m in mentions if m.deleted_at is None]
    if not rows:
        return
    with connection.cursor() as cursor:
        if _engine() == "postgresql":
            cursor.executemany(
                f"INSERT INTO {TABLE} (mention_id, doc) VALUES (%s, to_tsvector('simple', %s)) "
                "ON CONFLICT (mention_id) DO UPDATE SET doc = EXCLUDED.doc",
                rows,
            )
        else:
            cursor.executemany(f"DELETE FROM {TABLE} WHERE rowid = %s", [(r[0],) for r in rows])
            cursor.executemany(f"INSERT INTO {TABLE} (rowid, body) VALUES (%s, %s)", rows)


def unindex(mention_ids: Sequence[int]) -> None:
    if not mention_ids:
        return
    key = "mention_id" if _engine() == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {TABLE} WHERE {key} = %s", [(i,) for i in mention_ids])


def parse(query: str) -> list[tuple[list[str], bool]]:
    """Split a query into terms: (words of a phrase or word, is_prefix)."""
    terms: list[tuple[list[str], bool]] = []
    for phrase, word in _TOKEN_RE.findall(query or ""):
        if phrase:
            tokens = words(phrase)
            if tokens:
                terms.append((tokens, False))
        elif word:
            prefix = word.endswith("*")
            tokens = words(word)
            if len(tokens) == 1:
                terms.append((tokens, prefix))
            elif tokens:
                terms.append((tokens, False))
    return terms[:MAX_TERMS]


def search(queryset: QuerySet[Mention], query: str) -> QuerySet[Mention]:
    """Restrict `queryset` to mentions whose text matches `query` (every term)."""
    terms = parse(query)
    if not terms:
        return queryset
    if _engine() == "postgresql":
        parts = []
        for tokens, prefix in terms:
            if len(tokens) == 1:
                parts.append(f"{tokens[0]}:*" if prefix else tokens[0])
            else:
                parts.append("(" + " <-> ".join(tokens) + ")")
        sql = f"SELECT mention_id FROM {TABLE} WHERE doc @@ to_tsquery('simple', %s)"
        return queryset.filter(id__in=RawSQL(sql, [" & ".join(parts)]))
    parts = []
    for tokens, prefix in terms:
        quoted = '"' + " ".join(tokens) + '"'
        parts.append(quoted + ("*" if prefix else ""))
    sql = f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s"
    return queryset.filter(id__in=RawSQL(sql, [" ".join(parts)]))
