"""Inbox search: the listening query language over stored mentions (docs/query.md#inbox-search).

A query is answered in two steps. First it is turned into a *superset* restriction that
the database evaluates with its indexes: a full-text expression (an FTS5 MATCH on SQLite,
a tsquery on PostgreSQL) and column conditions (language, channel, country, sentiment,
brand). Every mention the query matches passes it; it may let more through. Then the
candidates are read newest first, in small chunks, and each is checked with
`Query.matches`, so every mention shown matches the query exactly.

Both engines index the same text, `body_of`: the words of the title and the text as the
query language cuts them (`query.tokenize`), then the author's handle and display name,
each word written as one plain index token (`index_token`). So a query word is always one
index token, whatever each engine's own tokenizer would have made of the raw text
(`pato_1326`, `@ceibo.oficial`, an e-mail address, a URL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from panal.core.db import json_rows

from . import documents
from .models import Mention
from .query import Query, tokenize
from .query import nodes as n
from .query.doc import fold_value

TABLE = "listening_mention_fts"
MAX_TOKEN = 100  # characters of one index token (PostgreSQL skips lexemes over 2,047 bytes)
# A body longer than this many tokens gets LONG_MARK: PostgreSQL keeps at most 256
# positions of a lexeme and none past 16,383, so its phrase test may miss such a body.
LONG_TOKENS = 120
LONG_MARK = "qqpanallongqq"
MAX_NEAR_PAIRS = 16  # a NEAR of two ORs becomes at most this many FTS5 NEAR groups
# A prefix this short stands for so many index tokens that looking it up costs more than
# reading mentions (0.1 s in a million); a query with more wildcards than MAX_WILDCARDS
# could add such costs up. Both leave their wildcards unrestricted.
SHORT_PREFIX = 2
MAX_WILDCARDS = 8
FIRST_CHUNK = 64  # candidates read first; each further chunk is 4 times larger, up to:
MAX_CHUNK = 2000
MAX_SCANNED = 20_000  # candidates looked at by one call; beyond, it hands back a cursor
SEARCH_LIMIT = 1000  # matches `search` keeps

_ASCII_DROP = {c: None for c in range(128) if not chr(c).isalnum()}
_ASCII_DROP_KEEP_SPACES = {**_ASCII_DROP, ord(" "): " "}


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


# --- the indexed text --------------------------------------------------------------------


def index_token(word: str) -> str:
    """One word as an index token: its letters and digits, other scripts than ASCII as the
    hex of their UTF-8, cut at MAX_TOKEN. Equal words give equal tokens, and a word's
    beginning gives the token's beginning (so a wildcard is a prefix of tokens)."""
    if word.isascii():
        return word.translate(_ASCII_DROP).lower()[:MAX_TOKEN]
    out = [(ch.lower() if ch.isascii() else ch.encode().hex()) for ch in word if ch.isalnum()]
    return "".join(out)[:MAX_TOKEN]


def _tokens(words: Iterable[str]) -> list[str]:
    return [t for t in map(index_token, words) if t]


def body_of(title: str, text: str, handle: str = "", name: str = "") -> str:
    """The indexed text of a mention: title and text words, then the author's handle and
    display name, as `Doc` compares them (docs/query.md#documents)."""
    words: list[str] = []
    for part in (title, text):
        if part:
            words += tokenize(part)
    handle = fold_value(handle).lstrip("@") if handle else ""
    for value in (handle, name):
        if value:
            words += fold_value(value).split()
    joined = " ".join(words)
    if joined.isascii() and max(map(len, words), default=0) <= MAX_TOKEN:
        tokens = joined.translate(_ASCII_DROP_KEEP_SPACES).lower().split()
    else:
        tokens = _tokens(words)
    if len(tokens) > LONG_TOKENS:
        tokens.append(LONG_MARK)
    return " ".join(tokens)


def document(m: Mention) -> str:
    return body_of(m.title, m.text, m.author_handle, m.author_display_name)


def index(mentions: Iterable[Mention]) -> None:
    # Each mention once, with its last document: a row is written once per call.
    rows = list({m.id: document(m) for m in mentions if m.deleted_at is None}.items())
    if not rows:
        return
    with connection.cursor() as cursor:
        if _engine() == "postgresql":
            # One statement for the batch, its rows sent as one JSON parameter (an
            # executemany ran one insert per mention).
            cursor.execute(
                f"INSERT INTO {TABLE} (mention_id, doc) "
                "SELECT (r->>0)::bigint, to_tsvector('simple', r->>1) "
                "FROM jsonb_array_elements(%s::jsonb) AS r "
                "ON CONFLICT (mention_id) DO UPDATE SET doc = EXCLUDED.doc",
                [json_rows(rows)],
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


def reindex(queryset: QuerySet[Mention] | None = None, chunk: int = 2000) -> int:
    """Write the index rows of every live mention of `queryset` again (after the indexed
    text changed); the number of mentions indexed."""
    queryset = Mention.objects.all() if queryset is None else queryset
    queryset = queryset.filter(deleted_at__isnull=True).only(
        "id", "title", "text", "author_handle", "author_display_name", "deleted_at"
    )
    done, bound = 0, 0
    while True:
        batch = list(queryset.filter(id__gt=bound).order_by("id")[:chunk])
        if not batch:
            return done
        index(batch)
        done += len(batch)
        bound = batch[-1].id


# --- full-text expressions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seq:
    """Index tokens one after the other; the last one may be a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Within:
    """All the parts with at most `distance` tokens between the first and the last."""

    parts: tuple[Seq, ...]
    distance: int


@dataclass(frozen=True, slots=True)
class Every:
    children: tuple


@dataclass(frozen=True, slots=True)
class Some:
    children: tuple


def fts5_match(expr) -> str:
    """The expression as an FTS5 MATCH string (tokens are letters and digits only)."""
    if isinstance(expr, Seq):
        return '"' + " ".join(expr.tokens) + '"' + ("*" if expr.prefix else "")
    if isinstance(expr, Within):
        return f"NEAR({' '.join(fts5_match(p) for p in expr.parts)}, {expr.distance})"
    joiner = " AND " if isinstance(expr, Every) else " OR "
    return "(" + joiner.join(fts5_match(c) for c in expr.children) + ")"


def tsquery(expr) -> str:
    """The expression as to_tsquery('simple', …) text. PostgreSQL has no "within n", so a
    NEAR asks only for both sides; a phrase also lets a long body (LONG_MARK) through with
    all its words anywhere."""
    if isinstance(expr, Seq):
        lexemes = [f"'{t}'" for t in expr.tokens]
        if expr.prefix:
            lexemes[-1] += ":*"
        if len(lexemes) == 1:
            return lexemes[0]
        loose = " & ".join([*lexemes, f"'{LONG_MARK}'"])
        return f"({' <-> '.join(lexemes)} | {loose})"
    if isinstance(expr, Within):
        return "(" + " & ".join(tsquery(p) for p in expr.parts) + ")"
    joiner = " & " if isinstance(expr, Every) else " | "
    return "(" + joiner.join(tsquery(c) for c in expr.children) + ")"


def _text_sql(expr) -> tuple[str, str]:
    """SELECT of the ids the expression matches, and its one parameter."""
    if _engine() == "postgresql":
        sql = f"SELECT mention_id FROM {TABLE} WHERE doc @@ to_tsquery('simple', %s)"
        return sql, tsquery(expr)
    return f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", fts5_match(expr)


def _text_q(expr) -> Q:
    sql, param = _text_sql(expr)
    return Q(id__in=RawSQL(sql, [param]))


# --- translating a query into its superset -----------------------------------------------


@dataclass(frozen=True)
class Part:
    """A restriction: `text` (a full-text expression) and `where` (a Q), either optional.
    `exact` when it lets through exactly the mentions the node matches."""

    text: object = None
    where: Q | None = None
    exact: bool = False


@dataclass(frozen=True)
class Prefilter:
    """The superset of a whole query: mentions passing `text` and `where` (None: no
    restriction of that kind)."""

    text: object = None
    where: Q | None = None

    @property
    def restricts(self) -> bool:
        return self.text is not None or self.where is not None


def prefilter(query: Query | str) -> Prefilter:
    """The SQL superset of a query: every mention it matches passes. Raises QueryError."""
    query = query if isinstance(query, Query) else Query(query)
    part = _Translator(query.root).part(query.root)
    if part is None:
        return Prefilter()
    return Prefilter(text=part.text, where=part.where)


class _Translator:
    def __init__(self, root: n.Node) -> None:
        self._brands: list[tuple[int, str, str]] | None = None
        wildcards = sum(isinstance(node, n.Wildcard) for node in n.walk(root))
        self.wildcards = wildcards <= MAX_WILDCARDS

    def part(self, node: n.Node) -> Part | None:
        """The node's restriction, or None when it cannot restrict (never narrower)."""
        if isinstance(node, n.Term):
            return _text_part(_seq(node.value))
        if isinstance(node, n.Wildcard):
            return _text_part(self.wildcard(node))
        if isinstance(node, n.Phrase):
            return _text_part(_phrase(node))
        if isinstance(node, n.Field):
            return self.field(node)
        if isinstance(node, n.Near):
            return self.near(node)
        if isinstance(node, n.Not):
            inner = self.part(node.child)
            if inner is None or not inner.exact or inner.text is not None:
                return None  # only a column condition has an exact negation
            return Part(where=~inner.where, exact=True)
        if isinstance(node, n.And):
            return _all([self.part(c) for c in node.children])
        if isinstance(node, n.Or):
            return _any([self.part(c) for c in node.children])
        return None  # pragma: no cover - every node kind is handled above

    def wildcard(self, node: n.Wildcard) -> Seq | None:
        """Its literal beginning as a prefix (a superset of `colo?r` and `re*bolso` too)."""
        token = index_token(node.prefix)
        if not self.wildcards or len(token) <= SHORT_PREFIX:
            return None
        return Seq((token,), prefix=True)

    def near(self, node: n.Near) -> Part | None:
        left, right = self.alternatives(node.left), self.alternatives(node.right)
        if left and right and len(left) * len(right) <= MAX_NEAR_PAIRS:
            groups = [Within((a, b), node.distance) for a in left for b in right]
            return Part(text=groups[0] if len(groups) == 1 else Some(tuple(groups)))
        # Both sides occur wherever the NEAR matches.
        return _all([self.part(node.left), self.part(node.right)])

    def alternatives(self, node: n.Node) -> list[Seq] | None:
        """A NEAR side as the sequences FTS5 NEAR can take, or None."""
        if isinstance(node, n.Term):
            seq = _seq(node.value)
        elif isinstance(node, n.Wildcard):
            seq = self.wildcard(node)
        elif isinstance(node, n.Phrase) and node.slop is None:
            seq = _words(node.words)
        elif isinstance(node, n.Or):
            found: list[Seq] = []
            for child in node.children:
                alts = self.alternatives(child)
                if alts is None:
                    return None
                found += alts
            return found
        else:
            return None
        return [seq] if seq is not None else None

    def field(self, node: n.Field) -> Part | None:
        """A filter as a column condition, compared as `Doc` compares it (folded)."""
        name, value = node.name, node.value
        if name == "author":  # the handle or display name, both in the indexed text
            return _text_part(_words(value.split()))
        if name in ("url", "intent"):
            return None  # a substring of folded URLs, a label inside JSON: checked per row
        if name == "brand":
            ids = [i for i, slug, title in self.brands() if value in (slug, title)]
            return Part(where=Q(brand_id__in=ids), exact=True)
        if not value.isascii():
            return None  # stored codes are ASCII: a folded non-ASCII value finds none
        # Compared as Panal stores them: lower-case codes (`lang` as canonical_lang and
        # the language stage write it), the country in capitals. Plain equality keeps
        # the planner's estimates right.
        if name == "lang":
            where = (
                Q(lang=value) | Q(lang__startswith=f"{value}-") | Q(lang__startswith=f"{value}_")
            )
        elif name == "channel":
            where = Q(channel=value)
        elif name == "country":
            where = Q(country__in=sorted({value, value.upper()}))
        else:  # sentiment
            where = Q(understanding__sentiment=value)
        return Part(where=where, exact=True)

    def brands(self) -> list[tuple[int, str, str]]:
        """Every brand as (id, folded slug, folded name); brands without a slug count as
        none (documents.doc_of_row)."""
        if self._brands is None:
            from panal.org.models import Brand

            self._brands = [
                (i, fold_value(slug), fold_value(name))
                for i, slug, name in Brand.objects.values_list("id", "slug", "name")
                if slug
            ]
        return self._brands


def _text_part(expr) -> Part | None:
    return Part(text=expr) if expr is not None else None


def _words(words: Iterable[str]) -> Seq | None:
    tokens = tuple(_tokens(words))
    return Seq(tokens) if tokens else None


def _seq(word: str) -> Seq | None:
    return _words([word])


def _phrase(node: n.Phrase) -> Seq | Within | None:
    seq = _words(node.words)
    if seq is None or node.slop is None or len(seq.tokens) == 1:
        return seq
    # A window of len + slop words: at most len + slop - 2 tokens between the outer two.
    distance = len(node.words) + node.slop - 2
    return Within(tuple(Seq((t,)) for t in seq.tokens), distance)


def _all(parts: list[Part | None]) -> Part | None:
    """AND: any child may be left out (the rest still holds for every match)."""
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    texts = [p.text for p in kept if p.text is not None]
    wheres = [p.where for p in kept if p.where is not None]
    return Part(
        text=(texts[0] if len(texts) == 1 else Every(tuple(texts))) if texts else None,
        where=reduce(lambda a, b: a & b, wheres) if wheres else None,
        exact=len(kept) == len(parts) and all(p.exact for p in kept),
    )


def _any(parts: list[Part | None]) -> Part | None:
    """OR: a child that cannot restrict leaves the whole OR unrestricted."""
    if any(p is None for p in parts):
        return None
    if all(p.where is None for p in parts):
        return Part(text=Some(tuple(p.text for p in parts)))
    if all(p.text is None for p in parts):
        where = reduce(lambda a, b: a | b, (p.where for p in parts))
        return Part(where=where, exact=all(p.exact for p in parts))
    qs = []
    for p in parts:
        q = _text_q(p.text) if p.text is not None else Q()
        qs.append(q & p.where if p.where is not None else q)
    return Part(where=reduce(lambda a, b: a | b, qs), exact=all(p.exact for p in parts))


# --- the newest exact matches -----------------------------------------------------------


@dataclass
class Matches:
    """The ids found, newest first, and where a next page starts (None: nothing older)."""

    ids: list[int]
    next_before: int | None


def newest_matches(
    queryset: QuerySet[Mention],
    query: Query | str,
    limit: int,
    before: int | None = None,
    *,
    after: int | None = None,
) -> Matches:
    """The newest `limit` mentions of `queryset` that `query` matches, below the id
    `before` and above `after`. Looks at no more than MAX_SCANNED candidates: when it
    stops there, `next_before` is where it stopped. Raises QueryError."""
    query = query if isinstance(query, Query) else Query(query)
    pre = prefilter(query)
    candidates = queryset if pre.where is None else queryset.filter(pre.where)
    if after is not None:
        candidates = candidates.filter(id__gt=after)
    if pre.text is not None:
        chunks = _by_text(candidates, pre.text, before, after, limit)
    else:
        chunks = _by_id(candidates, before, limit)
    found: list[int] = []
    scanned = 0
    for rows, frontier, looked_at in chunks:
        for row in rows:
            if query.matches(documents.doc_of_row(row)):
                found.append(row[0])
                if len(found) > limit:
                    return Matches(found[:limit], found[limit - 1])
        scanned += looked_at
        if scanned >= MAX_SCANNED:
            return Matches(found, frontier)
    return Matches(found, None)


def _sizes(limit: int) -> Iterator[int]:
    size = max(limit + 1, FIRST_CHUNK)
    while True:
        yield min(size, MAX_CHUNK)
        size *= 4


def _first_rows(queryset: QuerySet[Mention], size: int) -> list[tuple]:
    return next(documents.rows_of(queryset, newest_first=True, chunk=size), [])


def _by_id(candidates: QuerySet[Mention], before: int | None, limit: int):
    """Chunks of candidate rows, newest first: (rows, lowest id looked at, count)."""
    bound = before
    for size in _sizes(limit):
        page = candidates if bound is None else candidates.filter(id__lt=bound)
        rows = _first_rows(page, size)
        if not rows:
            return
        yield rows, rows[-1][0], len(rows)
        if len(rows) < size:
            return
        bound = rows[-1][0]


def _by_text(candidates, expr, before: int | None, after: int | None, limit: int):
    """Walk the full-text index newest first (its own order and bounds), then read the
    rows of the ids that pass the other conditions."""
    bound = before
    for size in _sizes(limit):
        ids = _text_ids(expr, bound, after, size)
        if not ids:
            return
        yield _first_rows(candidates.filter(id__in=ids), len(ids)), ids[-1], len(ids)
        if len(ids) < size:
            return
        bound = ids[-1]


def _text_ids(expr, below: int | None, above: int | None, size: int) -> list[int]:
    """The newest `size` ids the expression matches between the bounds."""
    sql, param = _text_sql(expr)
    key = "mention_id" if _engine() == "postgresql" else "rowid"
    where, params = [sql], [param]
    if below is not None:
        where.append(f"{key} < %s")
        params.append(below)
    if above is not None:
        where.append(f"{key} > %s")
        params.append(above)
    with connection.cursor() as cursor:
        cursor.execute(f"{' AND '.join(where)} ORDER BY {key} DESC LIMIT %s", [*params, size])
        return [r[0] for r in cursor.fetchall()]


def search(queryset: QuerySet[Mention], query: Query | str) -> QuerySet[Mention]:
    """The mentions of `queryset` that `query` matches exactly, the newest SEARCH_LIMIT of
    them (those of the first MAX_SCANNED candidates). Raises QueryError."""
    return queryset.filter(id__in=newest_matches(queryset, query, SEARCH_LIMIT).ids)


def superset_queryset(queryset: QuerySet[Mention], query: Query | str) -> QuerySet[Mention]:
    """`queryset` narrowed to the mentions that pass the query's SQL superset (unchanged
    when it restricts nothing). Raises QueryError."""
    pre = prefilter(query)
    if pre.where is not None:
        queryset = queryset.filter(pre.where)
    if pre.text is not None:
        queryset = queryset.filter(_text_q(pre.text))
    return queryset


def superset_ids(queryset: QuerySet[Mention], query: Query | str) -> list[int] | None:
    """Ids of `queryset` that pass the query's SQL superset, or None when it restricts
    nothing (every mention may match). Raises QueryError."""
    query = query if isinstance(query, Query) else Query(query)
    if not prefilter(query).restricts:
        return None
    return list(superset_queryset(queryset, query).order_by("id").values_list("id", flat=True))
