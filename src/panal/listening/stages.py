"""The built-in pipeline stages: normalise, authors, brands, topics, threads, index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from panal.core.db import insert_rows, update_rows
from panal.core.ids import new_ids
from panal.core.text import canonical_lang, clean, html_to_text, words
from panal.org.models import Brand

from . import search, topics
from .models import Author, Mention
from .pipeline import read_deferred, save, stage


@stage("normalise", order=100)
def normalise(mentions: list[Mention]) -> None:
    """Plain NFC text without control characters, HTML turned to text, canonical language."""
    # Two fields the pipeline defers, read in one query each for the mentions that need them.
    read_deferred([m for m in mentions if not m.text], "text_html")
    read_deferred([m for m in mentions if not m.url and m.channel == "reddit"], "raw")
    changed = []
    for m in mentions:
        text = clean(m.text) if m.text else html_to_text(m.text_html)
        title = clean(m.title)
        lang = canonical_lang(m.lang)
        url = m.url or _permalink(m)
        if (text, title, lang, url) != (m.text, m.title, m.lang, m.url):
            m.text, m.title, m.lang, m.url = text, title, lang, url
            changed.append((m.id, text, title, lang, url))
    save(["text", "title", "lang", "url"], changed)


def _permalink(m: Mention) -> str:
    """Build the public URL where the network's item does not carry one."""
    ext = m.external_id
    if m.channel == "bluesky" and ext.startswith("at://") and m.author_handle:
        return f"https://bsky.app/profile/{m.author_handle}/post/{ext.rsplit('/', 1)[-1]}"
    if m.channel == "reddit":
        permalink = (m.raw or {}).get("permalink", "")
        if isinstance(permalink, str) and permalink.startswith("/"):
            return "https://www.reddit.com" + permalink
    return ""


# What a newer mention refreshes on its author (a blank or unknown value keeps the old).
_AUTHOR_REFRESHED = (
    "handle",
    "display_name",
    "followers",
    "is_verified",
    "description",
    "last_seen_at",
)
_AUTHOR_NEW = (
    "id", "organisation", "channel", "external_id", "handle", "display_name", "followers",
    "avatar_url", "is_bot", "is_verified", "description", "first_seen_at", "last_seen_at",
)  # fmt: skip
_CHUNK = 500  # values per IN (…): SQLite allows 999 parameters a statement

AuthorKey = tuple[int, str, str]  # (organisation id, channel, external id)


@stage("authors", order=200)
def upsert_authors(mentions: list[Mention]) -> None:
    """Create or refresh the Author of each mention and link it.

    A few statements per batch whatever its size: the authors are read in one query per
    500 external ids, the new ones inserted in one statement, the changed ones updated in
    one, and the mentions linked in one (core.db.update_rows).
    """
    by_key: dict[AuthorKey, Mention] = {}
    for m in mentions:
        if m.author_external_id:
            by_key[(m.organisation_id, m.channel, m.author_external_id)] = m  # newest wins
    if not by_key:
        return
    stored = _authors(by_key)
    new = {key: m for key, m in by_key.items() if key not in stored}
    if new:
        stored.update(_create_authors(new))
    refreshed = []
    for key, m in by_key.items():
        pk, *old = stored[key]
        handle, name, followers, verified, bio, last_seen = old
        fresh = (
            m.author_handle or handle,
            m.author_display_name or name,
            m.author_followers if m.author_followers is not None else followers,
            m.author_verified if m.author_verified is not None else verified,
            m.author_description or bio,
            max(last_seen, m.created_at),
        )
        if list(fresh) != old:
            refreshed.append((pk, *fresh))
    update_rows(Author, _AUTHOR_REFRESHED, refreshed)
    linked = []
    for m in mentions:
        found = stored.get((m.organisation_id, m.channel, m.author_external_id))
        if found is not None and m.author_id != found[0]:
            m.author_id = found[0]
            linked.append((m.id, m.author_id))
    save(["author"], linked)


def _authors(keys: Iterable[AuthorKey]) -> dict[AuthorKey, list]:
    """key → [id, *_AUTHOR_REFRESHED] of the stored authors among `keys`.

    One query per 500 external ids for the whole batch: the unique index (organisation,
    channel, external id) answers IN lists on all three columns; a row of another
    (organisation, channel) pair with the same external id is left out here.
    """
    keys = set(keys)
    orgs = sorted({k[0] for k in keys})
    channels = sorted({k[1] for k in keys})
    exts = sorted({k[2] for k in keys})
    found: dict[AuthorKey, list] = {}
    for start in range(0, len(exts), _CHUNK):
        rows = Author.objects.filter(
            organisation_id__in=orgs,
            channel__in=channels,
            external_id__in=exts[start : start + _CHUNK],
        ).values_list("organisation_id", "channel", "external_id", "id", *_AUTHOR_REFRESHED)
        for org, channel, ext, *values in rows:
            if (org, channel, ext) in keys:
                found[(org, channel, ext)] = values
    return found


def _create_authors(new: dict[AuthorKey, Mention]) -> dict[AuthorKey, list]:
    """Insert an Author for each key, as its mention describes it; return them as
    `_authors` does. A concurrent batch may have stored some meanwhile: those are read."""
    ids = new_ids(len(new))
    rows, made = [], {}
    for pk, ((org, channel, ext), m) in zip(ids, new.items(), strict=True):
        rows.append(
            (
                pk, org, channel, ext, m.author_handle, m.author_display_name,
                m.author_followers, m.author_avatar_url[:2000], m.author_is_bot,
                m.author_verified, m.author_description, m.created_at, m.created_at,
            )
        )  # fmt: skip
        made[(org, channel, ext)] = [
            pk, m.author_handle, m.author_display_name, m.author_followers,
            m.author_verified, m.author_description, m.created_at,
        ]  # fmt: skip
    if insert_rows(Author, _AUTHOR_NEW, rows) < len(rows):
        return _authors(new)
    return made


@stage("brands", order=250)
def assign_brands(mentions: list[Mention]) -> None:
    """The brand of the receiving account, else the brand whose keywords the text names."""
    orgs = {m.organisation_id for m in mentions}
    keywords: dict[int, list[tuple[int, frozenset[str], list[tuple[str, ...]]]]] = defaultdict(list)
    for brand in Brand.objects.filter(organisation_id__in=orgs):
        terms = [tuple(words(line)) for line in [brand.name, *brand.keywords.splitlines()]]
        terms = [t for t in terms if t]
        keywords[brand.organisation_id].append((brand.id, frozenset(t[0] for t in terms), terms))
    changed = []
    for m in mentions:
        brand_id = m.account.brand_id or _brand_named(m, keywords.get(m.organisation_id, []))
        if brand_id != m.brand_id:
            m.brand_id = brand_id
            changed.append((m.id, brand_id))
    save(["brand"], changed)


def _brand_named(m: Mention, brands) -> int | None:
    tokens = words(f"{m.title} {m.text}")
    starts = set(tokens)
    for brand_id, firsts, terms in brands:
        if not firsts & starts:
            continue
        for term in terms:
            first, n = term[0], len(term)
            if first not in starts:
                continue
            if n == 1:
                return brand_id
            # Only where the text has the term's first word (not a slice at every position).
            at = (i for i in range(len(tokens) - n + 1) if tokens[i] == first)
            if any(tuple(tokens[i : i + n]) == term for i in at):
                return brand_id
    return None


@stage("topics", order=280)
def match_topics(mentions: list[Mention]) -> None:
    """Tag each mention with the topics whose listening queries it matches."""
    topics.match_mentions(mentions)


@stage("threads", order=300)
def link_threads(mentions: list[Mention]) -> None:
    """Link each mention to its parent and thread root, and earlier orphans to it.

    Whole-batch queries (one per 500 external ids), not one per account, and one write
    of the links that changed. Oldest first: a reply finds a parent of the same batch.
    """
    if not mentions:
        return
    accounts = sorted({m.account_id for m in mentions})
    known = _thread_members(mentions, accounts)
    changed = []
    for m in sorted(mentions, key=lambda x: (x.created_at, x.id)):
        reply_to, thread = m.in_reply_to_external_id, m.thread_external_id
        parent = known.get((m.account_id, reply_to)) if reply_to else None
        root = known.get((m.account_id, thread)) if thread else None
        parent_id = parent[0] if parent else None
        root_id = root[0] if root else (parent[1] or parent[0]) if parent else None
        if root_id == m.id:
            root_id = None
        if (parent_id, root_id) != (m.parent_id, m.thread_root_id):
            m.parent_id, m.thread_root_id = parent_id, root_id
            changed.append((m.id, parent_id, root_id))
        known[(m.account_id, m.external_id)] = (m.id, m.thread_root_id)
    save(["parent", "thread_root"], changed)
    _adopt_orphans(mentions, accounts)


def _thread_members(mentions: list[Mention], accounts: list[int]) -> dict:
    """(account id, external id) → (id, thread root id) of the stored parents and roots the
    batch names (the unique index (account, external id) answers both IN lists)."""
    wanted = {
        (m.account_id, ext)
        for m in mentions
        for ext in (m.in_reply_to_external_id, m.thread_external_id)
        if ext
    }
    exts = sorted({ext for _, ext in wanted})
    known: dict[tuple[int, str], tuple[int, int | None]] = {}
    for start in range(0, len(exts), _CHUNK):
        rows = Mention.objects.filter(
            account_id__in=accounts, external_id__in=exts[start : start + _CHUNK]
        ).values_list("account_id", "external_id", "id", "thread_root_id")
        for account_id, ext, pk, root in rows:
            if (account_id, ext) in wanted:
                known[(account_id, ext)] = (pk, root)
    return known


_ORPHAN_COLUMNS = (
    "id", "account_id", "in_reply_to_external_id", "thread_external_id", "parent_id",
    "thread_root_id",
)  # fmt: skip


def _adopt_orphans(mentions: list[Mention], accounts: list[int]) -> None:
    """Replies stored before the batch's mentions they answer: link them now.

    Two queries per 500 external ids (replies without a parent, thread members without a
    root), each on its partial index; only the links that change are written.
    """
    batch = {(m.account_id, m.external_id): m for m in mentions}
    exts = sorted({m.external_id for m in mentions})
    orphans: dict[int, tuple] = {}
    for start in range(0, len(exts), _CHUNK):
        chunk = exts[start : start + _CHUNK]
        replies = Mention.objects.filter(
            account_id__in=accounts, in_reply_to_external_id__in=chunk, parent__isnull=True
        ).exclude(in_reply_to_external_id="")  # the partial index's own condition
        members = Mention.objects.filter(
            account_id__in=accounts, thread_external_id__in=chunk, thread_root__isnull=True
        ).exclude(thread_external_id="")
        for query in (replies, members):
            for row in query.order_by().values_list(*_ORPHAN_COLUMNS):
                orphans[row[0]] = row
    in_batch = {m.id: m for m in mentions}
    for pk in orphans.keys() & in_batch.keys():
        # The batch's own mentions as this batch left them: their links wait in the
        # objects for the batch's last write (pipeline.save), the table has the old ones.
        m = in_batch[pk]
        orphans[pk] = (*orphans[pk][:4], m.parent_id, m.thread_root_id)
    adopted = []
    for pk, account_id, reply_to, thread, parent_id, root_id in orphans.values():
        new_parent, new_root = parent_id, root_id
        if new_parent is None and reply_to and (account_id, reply_to) in batch:
            new_parent = batch[(account_id, reply_to)].id
        if new_root is None:
            root = (thread and batch.get((account_id, thread))) or (
                reply_to and batch.get((account_id, reply_to))
            )
            if root and root.id != pk:
                new_root = root.thread_root_id or root.id
        if (new_parent, new_root) != (parent_id, root_id):
            adopted.append((pk, new_parent, new_root))
    save(["parent", "thread_root"], adopted)
    for pk, new_parent, new_root in adopted:  # keep the batch's own objects current
        if pk in in_batch:
            in_batch[pk].parent_id, in_batch[pk].thread_root_id = new_parent, new_root


@stage("index", order=900)
def index_for_search(mentions: list[Mention]) -> None:
    """Put the current text in the full-text index (FTS5 on SQLite, tsvector on PostgreSQL)."""
    search.index(mentions)
