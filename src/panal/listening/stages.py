"""The built-in pipeline stages: normalise, authors, brands, topics, threads, index."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from panal.core.text import canonical_lang, clean, html_to_text, words
from panal.org.models import Brand

from . import search, topics
from .models import Author, Mention
from .pipeline import stage


@stage("normalise", order=100)
def normalise(mentions: list[Mention]) -> None:
    """Plain NFC text without control characters, HTML turned to text, canonical language."""
    changed = []
    for m in mentions:
        text = clean(m.text) if m.text else html_to_text(m.text_html)
        title = clean(m.title)
        lang = canonical_lang(m.lang)
        url = m.url or _permalink(m)
        if (text, title, lang, url) != (m.text, m.title, m.lang, m.url):
            m.text, m.title, m.lang, m.url = text, title, lang, url
            changed.append(m)
    if changed:
        Mention.objects.bulk_update(changed, ["text", "title", "lang", "url"], batch_size=500)


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


@stage("authors", order=200)
def upsert_authors(mentions: list[Mention]) -> None:
    """Create or refresh the Author of each mention and link it."""
    by_key: dict[tuple, Mention] = {}
    for m in mentions:
        if m.author_external_id:
            by_key[(m.organisation_id, m.channel, m.author_external_id)] = m  # newest wins
    if not by_key:
        return
    existing = _authors(by_key)
    new = [
        Author(
            organisation_id=org, channel=channel, external_id=ext,
            handle=m.author_handle, display_name=m.author_display_name,
            followers=m.author_followers, avatar_url=m.author_avatar_url[:2000],
            is_bot=m.author_is_bot, is_verified=m.author_verified,
            description=m.author_description, first_seen_at=m.created_at,
            last_seen_at=m.created_at,
        )
        for (org, channel, ext), m in by_key.items()
        if (org, channel, ext) not in existing
    ]  # fmt: skip
    if new:
        Author.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        existing = _authors(by_key)
    refreshed = []
    for key, m in by_key.items():
        author = existing[key]
        fresh = (
            m.author_handle or author.handle,
            m.author_display_name or author.display_name,
            m.author_followers if m.author_followers is not None else author.followers,
            m.author_verified if m.author_verified is not None else author.is_verified,
            m.author_description or author.description,
            max(author.last_seen_at, m.created_at),
        )
        if fresh != tuple(getattr(author, f) for f in _AUTHOR_REFRESHED):
            for name, value in zip(_AUTHOR_REFRESHED, fresh, strict=True):
                setattr(author, name, value)
            refreshed.append(author)
    if refreshed:
        Author.objects.bulk_update(refreshed, list(_AUTHOR_REFRESHED), batch_size=500)
    linked = []
    for m in mentions:
        author = existing.get((m.organisation_id, m.channel, m.author_external_id))
        if author is not None and m.author_id != author.id:
            m.author_id = author.id
            linked.append(m)
    if linked:
        Mention.objects.bulk_update(linked, ["author"], batch_size=500)


def _authors(keys) -> dict[tuple, Author]:
    grouped: dict[tuple, list[str]] = defaultdict(list)
    for org, channel, ext in keys:
        grouped[(org, channel)].append(ext)
    found: dict[tuple, Author] = {}
    for (org, channel), exts in grouped.items():
        for start in range(0, len(exts), 500):
            for a in Author.objects.filter(
                organisation_id=org, channel=channel, external_id__in=exts[start : start + 500]
            ):
                found[(org, channel, a.external_id)] = a
    return found


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
            changed.append(m)
    if changed:
        Mention.objects.bulk_update(changed, ["brand"], batch_size=500)


def _brand_named(m: Mention, brands) -> int | None:
    tokens = words(f"{m.title} {m.text}")
    starts = set(tokens)
    for brand_id, firsts, terms in brands:
        if not firsts & starts:
            continue
        for term in terms:
            n = len(term)
            if any(tuple(tokens[i : i + n]) == term for i in range(len(tokens) - n + 1)):
                return brand_id
    return None


@stage("topics", order=280)
def match_topics(mentions: list[Mention]) -> None:
    """Tag each mention with the topics whose listening queries it matches."""
    topics.match_mentions(mentions)


@stage("threads", order=300)
def link_threads(mentions: list[Mention]) -> None:
    """Link each mention to its parent and thread root, and earlier orphans to it."""
    by_account: dict[int, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_account[m.account_id].append(m)
    for account_id, group in by_account.items():
        wanted = {m.in_reply_to_external_id for m in group if m.in_reply_to_external_id}
        wanted |= {m.thread_external_id for m in group if m.thread_external_id}
        known: dict[str, tuple[int, int | None]] = {}
        wanted_list = sorted(wanted)
        for start in range(0, len(wanted_list), 500):
            for ext, pk, root in Mention.objects.filter(
                account_id=account_id, external_id__in=wanted_list[start : start + 500]
            ).values_list("external_id", "id", "thread_root_id"):
                known[ext] = (pk, root)
        changed = []
        for m in sorted(group, key=lambda x: (x.created_at, x.id)):
            parent = known.get(m.in_reply_to_external_id) if m.in_reply_to_external_id else None
            root = known.get(m.thread_external_id) if m.thread_external_id else None
            parent_id = parent[0] if parent else None
            root_id = root[0] if root else (parent[1] or parent[0]) if parent else None
            if root_id == m.id:
                root_id = None
            if (parent_id, root_id) != (m.parent_id, m.thread_root_id):
                m.parent_id, m.thread_root_id = parent_id, root_id
                changed.append(m)
            known[m.external_id] = (m.id, m.thread_root_id)
        if changed:
            Mention.objects.bulk_update(changed, ["parent", "thread_root"], batch_size=500)
        # Replies that arrived before this batch's mentions: adopt them now.
        for start in range(0, len(group), 500):
            ids = {m.external_id: m for m in group[start : start + 500]}
            chunk = list(ids)
            orphans = Mention.objects.filter(account_id=account_id).filter(
                Q(in_reply_to_external_id__in=chunk, parent__isnull=True)
                | Q(thread_external_id__in=chunk, thread_root__isnull=True)
            )
            adopted = []
            for o in orphans.only(
                "id", "in_reply_to_external_id", "thread_external_id", "parent", "thread_root"
            ):
                if o.parent_id is None and o.in_reply_to_external_id in ids:
                    o.parent_id = ids[o.in_reply_to_external_id].id
                if o.thread_root_id is None:
                    root = ids.get(o.thread_external_id) or ids.get(o.in_reply_to_external_id)
                    if root is not None and root.id != o.id:
                        o.thread_root_id = root.thread_root_id or root.id
                adopted.append(o)
            if adopted:
                Mention.objects.bulk_update(adopted, ["parent", "thread_root"], batch_size=500)


@stage("index", order=900)
def index_for_search(mentions: list[Mention]) -> None:
    """Put the current text in the full-text index (FTS5 on SQLite, tsvector on PostgreSQL)."""
    search.index(mentions)
