"""Topics and their listening queries: the only place that changes them (docs/topics.md).

- `create_topic` / `update_topic` / `delete_topic`;
- `save_query` parses first and saves nothing when the text is not a query (the
  `QueryError` carries the column and a hint); every saved change is a new
  `QueryVersion` with its author, and `restore_version` saves an old text as the newest;
- `matcher_for(organisation_id)` compiles all of an organisation's active queries into one
  `Matcher`, cached per process and rebuilt when a query or topic changes (a cheap
  stamp query per pipeline batch finds out, in every worker process);
- `match_mentions(mentions)` is the live `topics` pipeline stage's work;
- `start_backfill` / `run_backfill` re-run one topic's queries over stored mentions.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from panal.core import clock
from panal.org.models import Brand, Organisation, Team

from . import documents
from .models import Backfill, ListeningQuery, Mention, QueryVersion, Topic, TopicMatch
from .query import Doc, LintWarning, Matcher, Query, QueryError, lint, nodes

log = logging.getLogger(__name__)

MAX_QUERIES_PER_ORGANISATION = 5_000
MAX_QUERIES_PER_TOPIC = 200


class TopicError(ValueError):
    """A topic or query change that cannot be made; the message says why."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- checking ----------------------------------------------------------------------------


@dataclass
class Check:
    """What the editor shows while a query is typed."""

    text: str
    query: Query | None = None
    error: QueryError | None = None
    warnings: list[LintWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.query is not None


def check(text: str) -> Check:
    """Parse and lint `text` (never raises)."""
    result = Check(text=text)
    if not text.strip():
        result.error = QueryError(1, _("Write a query."), _("for example: ceibo OR #ceibo"))
        return result
    try:
        result.query = Query(text)
    except QueryError as error:
        result.error = error
        return result
    result.warnings = lint(text)
    return result


# --- topics ------------------------------------------------------------------------------


def _unique_slug(organisation_id: int, name: str, exclude: int | None = None) -> str:
    base = slugify(name)[:50] or "topic"
    taken = set(
        Topic.objects.filter(organisation_id=organisation_id, slug__startswith=base)
        .exclude(id=exclude)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_topic_fields(organisation_id: int, name: str, kind: str, team: Team | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise TopicError(_("A topic needs a name."), "name")
    if len(name) > 120:
        raise TopicError(_("A topic's name is at most 120 characters."), "name")
    if kind not in Topic.Kind.values:
        raise TopicError(_("Unknown kind of topic: %(kind)s.") % {"kind": kind}, "kind")
    if team is not None and team.organisation_id != organisation_id:
        raise TopicError(_("The team belongs to another organisation."), "team")
    return name


def create_topic(
    organisation: Organisation,
    *,
    name: str,
    kind: str,
    team: Team | None = None,
    description: str = "",
) -> Topic:
    name = _clean_topic_fields(organisation.id, name, kind, team)
    now = clock.now()
    return Topic.objects.create(
        organisation=organisation,
        slug=_unique_slug(organisation.id, name),
        name=name,
        kind=kind,
        team=team,
        description=(description or "").strip()[:2000],
        created_at=now,
        updated_at=now,
    )


def update_topic(topic: Topic, **changes) -> Topic:
    """Change name, kind, team, description or is_active (other keys are refused)."""
    allowed = {"name", "kind", "team", "description", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise TopicError(_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    name = changes.get("name", topic.name)
    kind = changes.get("kind", topic.kind)
    team = changes.get("team", topic.team)
    topic.name = _clean_topic_fields(topic.organisation_id, name, kind, team)
    topic.kind, topic.team = kind, team
    if "description" in changes:
        topic.description = (changes["description"] or "").strip()[:2000]
    if "is_active" in changes:
        topic.is_active = bool(changes["is_active"])
    topic.updated_at = clock.now()
    topic.save()
    return topic


def delete_topic(topic: Topic) -> None:
    """The topic, its queries, versions and matches go; the mentions stay."""
    topic.delete()


# --- queries -----------------------------------------------------------------------------


def save_query(
    topic: Topic,
    text: str,
    *,
    name: str = "",
    is_active: bool = True,
    user=None,
    query: ListeningQuery | None = None,
) -> ListeningQuery:
    """Create a query of `topic`, or change `query`. Raises QueryError (column, hint) when
    `text` is not a query and TopicError for anything else; nothing is saved then.

    A change that alters nothing makes no new version."""
    text = (text or "").strip()
    parsed = check(text)
    if parsed.error is not None:
        raise parsed.error
    name = " ".join((name or "").split())[:120] or _default_name(text)
    if query is not None and query.topic_id != topic.id:
        raise TopicError(_("The query belongs to another topic."), "topic")
    now = clock.now()
    with transaction.atomic():
        if query is None:
            _check_room(topic)
            query = ListeningQuery(
                organisation_id=topic.organisation_id, topic=topic, created_at=now, version=0
            )
        elif (query.text, query.name, query.is_active) == (text, name, is_active):
            return query
        query.text, query.name, query.is_active = text, name, is_active
        query.version += 1
        query.updated_at = now
        query.updated_by = user if getattr(user, "is_authenticated", False) else None
        query.save()
        QueryVersion.objects.create(
            query=query,
            number=query.version,
            text=text,
            name=name,
            is_active=is_active,
            author=query.updated_by,
            created_at=now,
        )
    return query


def _check_room(topic: Topic) -> None:
    if ListeningQuery.objects.filter(topic=topic).count() >= MAX_QUERIES_PER_TOPIC:
        raise TopicError(
            _("A topic holds at most %(n)d queries.") % {"n": MAX_QUERIES_PER_TOPIC}, "text"
        )
    in_org = ListeningQuery.objects.filter(organisation_id=topic.organisation_id).count()
    if in_org >= MAX_QUERIES_PER_ORGANISATION:
        raise TopicError(
            _("An organisation holds at most %(n)d queries.") % {"n": MAX_QUERIES_PER_ORGANISATION},
            "text",
        )


def _default_name(text: str) -> str:
    short = " ".join(text.split())
    return short if len(short) <= 60 else short[:59] + "…"


def delete_query(query: ListeningQuery) -> None:
    """The query and its versions go; the matches it made stay with its topic until the
    topic is backfilled again."""
    topic = query.topic
    query.delete()
    Topic.objects.filter(id=topic.id).update(updated_at=clock.now())


def restore_version(query: ListeningQuery, number: int, *, user=None) -> ListeningQuery:
    """Save version `number`'s text, name and state as the newest version."""
    try:
        old = query.versions.get(number=number)
    except QueryVersion.DoesNotExist:
        raise TopicError(_("No version %(n)d of this query.") % {"n": number}) from None
    return save_query(
        query.topic, old.text, name=old.name, is_active=old.is_active, user=user, query=query
    )


_DIFF_TOKENS = re.compile(r"\s+|[^\s()]+|[()]")


def diff(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff of two query texts: (op, text) with op "=", "-" or "+"."""
    a, b = _DIFF_TOKENS.findall(old), _DIFF_TOKENS.findall(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", "".join(b[j1:j2])))
    return out


def versions_with_diffs(query: ListeningQuery) -> list[tuple[QueryVersion, list[tuple[str, str]]]]:
    """The query's versions, newest first, each with its diff from the one before."""
    versions = list(query.versions.select_related("author").order_by("-number"))
    out = []
    for i, version in enumerate(versions):
        before = versions[i + 1].text if i + 1 < len(versions) else ""
        out.append((version, diff(before, version.text)))
    return out


# --- live matching -----------------------------------------------------------------------


@dataclass
class Compiled:
    """An organisation's active queries compiled together."""

    stamp: tuple
    matcher: Matcher
    topic_of: dict[int, int]  # query id → topic id
    reads_urls: bool = False  # a query has a url: filter, which reads every link

    def topics(self, doc: Doc) -> dict[int, int]:
        """topic id → the first (lowest id) of its queries that matches `doc`."""
        found: dict[int, int] = {}
        for query_id in sorted(self.matcher.match(doc)):
            found.setdefault(self.topic_of[query_id], query_id)
        return found


_COMPILED: dict[int, Compiled] = {}


def _stamps(organisation_ids: Iterable[int]) -> dict[int, tuple]:
    """What changes whenever an organisation's set of active queries does."""
    rows = (
        ListeningQuery.objects.filter(
            organisation_id__in=list(organisation_ids), is_active=True, topic__is_active=True
        )
        .order_by()
        .values("organisation_id")
        .annotate(n=Count("id"), q=Max("updated_at"), t=Max("topic__updated_at"), last=Max("id"))
    )
    # The newest id too: a frozen clock (tests, replays) can give two different sets of
    # queries the same count and times.
    return {r["organisation_id"]: (r["n"], r["q"], r["t"], r["last"]) for r in rows}


def _compile(organisation_id: int, stamp: tuple) -> Compiled:
    rows = ListeningQuery.objects.filter(
        organisation_id=organisation_id, is_active=True, topic__is_active=True
    ).values_list("id", "topic_id", "text")
    items, topic_of, reads_urls = [], {}, False
    for query_id, topic_id, text in rows:
        try:
            query = Query(text)
        except QueryError:  # saved by an older grammar; the editor shows the error
            log.warning("listening query %s no longer parses; skipped", query_id)
            continue
        items.append((query_id, query))
        topic_of[query_id] = topic_id
        reads_urls = reads_urls or any(
            isinstance(node, nodes.Field) and node.name == "url" for node in nodes.walk(query.root)
        )
    return Compiled(stamp=stamp, matcher=Matcher(items), topic_of=topic_of, reads_urls=reads_urls)


def compiled_for(organisation_ids: Iterable[int]) -> dict[int, Compiled]:
    """The compiled queries of each organisation that has any, rebuilt when stale."""
    stamps = _stamps(organisation_ids)
    out = {}
    for org_id, stamp in stamps.items():
        current = _COMPILED.get(org_id)
        if current is None or current.stamp != stamp:
            current = _COMPILED[org_id] = _compile(org_id, stamp)
        out[org_id] = current
    return out


def matcher_for(organisation_id: int) -> Compiled | None:
    return compiled_for([organisation_id]).get(organisation_id)


def _understood(mention_ids: list[int]) -> dict[int, tuple[str, tuple[str, ...]]]:
    from panal.understanding.models import Understanding

    rows = Understanding.objects.filter(mention_id__in=mention_ids).values_list(
        "mention_id", "sentiment", "intents"
    )
    return {
        mid: (sentiment or "", tuple(i["label"] for i in intents or () if isinstance(i, dict)))
        for mid, sentiment, intents in rows
    }


def match_mentions(mentions: Sequence[Mention]) -> int:
    """Tag each mention with the topics it matches now (its earlier matches are replaced).
    Returns the number of matches stored."""
    if not mentions:
        return 0
    compiled = compiled_for({m.organisation_id for m in mentions})
    ids = [m.id for m in mentions]
    # An edited mention may have stopped matching; a new one has nothing to remove.
    TopicMatch.objects.filter(mention_id__in=ids).delete()
    if not compiled:
        return 0
    relevant = [m for m in mentions if m.organisation_id in compiled]
    if any(compiled[m.organisation_id].reads_urls for m in relevant):
        from .pipeline import read_deferred

        read_deferred(relevant, "urls")
    understood = _understood([m.id for m in relevant])
    brands = Brand.objects.in_bulk({m.brand_id for m in relevant if m.brand_id})
    rows = []
    for m in relevant:
        sentiment, intents = understood.get(m.id, ("", ()))
        brand = brands.get(m.brand_id) if m.brand_id else None
        doc = Doc(
            text=m.text,
            title=m.title,
            author_handle=m.author_handle,
            author_name=m.author_display_name,
            lang=m.lang,
            channel=m.channel,
            country=m.country,
            urls=_links(m),
            sentiment=sentiment,
            intents=intents,
            brands=(brand.slug, brand.name) if brand else (),
        )
        for topic_id, query_id in compiled[m.organisation_id].topics(doc).items():
            rows.append((m.id, topic_id, query_id, m.created_at))
    insert_matches(rows)
    return len(rows)


def _links(m: Mention) -> tuple[str, ...]:
    """The mention's URL and, when the batch read them, its other links."""
    links = [m.url] if m.url else []
    if "urls" in m.__dict__:
        links += [u for u in m.urls or () if isinstance(u, str)]
    return tuple(links)


def insert_matches(rows: Sequence[tuple[int, int, int, datetime]]) -> None:
    """Store (mention id, topic id, query id, mention's created_at) rows; one already
    there is left alone. Raw executemany: a backfill may write a million."""
    if not rows:
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO listening_topicmatch (mention_id, topic_id, query_id, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (mention_id, topic_id) DO NOTHING",
            [(m, t, q, adapt(c)) for m, t, q, c in rows],
        )


# --- backfill ----------------------------------------------------------------------------

BACKFILL_CHUNK = 5_000


def start_backfill(topic: Topic, *, user=None, since: datetime | None = None) -> Backfill:
    """Queue a backfill of `topic` (run by the worker); an unfinished one is reused."""
    from .tasks import backfill_topic

    running = Backfill.objects.filter(
        topic=topic, status__in=[Backfill.Status.QUEUED, Backfill.Status.RUNNING], since=since
    ).first()
    if running is not None:
        return running
    backfill = _new_backfill(topic, user, since)
    transaction.on_commit(lambda: backfill_topic.enqueue(backfill.id))
    return backfill


def _new_backfill(topic: Topic, user, since: datetime | None) -> Backfill:
    return Backfill.objects.create(
        organisation_id=topic.organisation_id,
        topic=topic,
        since=since,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        created_at=clock.now(),
    )


def _topic_queries(topic: Topic) -> list[tuple[int, Query]]:
    """The topic's active queries, parsed (none when the topic is inactive)."""
    if not topic.is_active:
        return []
    items = []
    for query_id, text in topic.queries.filter(is_active=True).values_list("id", "text"):
        try:
            items.append((query_id, Query(text)))
        except QueryError:
            continue
    return items


def _candidates(topic: Topic, base, queries: list[tuple[int, Query]]):
    """The ids to look at, or None to walk every mention of `base`.

    When every query has a full-text superset (search.superset), only mentions that pass
    one of them, or that match the topic now, can change."""
    from . import search

    superset = getattr(search, "superset_ids", None)
    if superset is None:
        return None
    found: set[int] = set()
    for _id, query in queries:
        ids = superset(base, query)
        if ids is None:
            return None
        found.update(ids)
    existing = TopicMatch.objects.filter(topic=topic, mention__in=base).values_list(
        "mention_id", flat=True
    )
    found.update(existing)
    return sorted(found)


def run_backfill(
    backfill: Backfill, progress: Callable[[Backfill], None] | None = None
) -> Backfill:
    """Look at every stored mention of the topic's organisation (since `backfill.since`):
    add the matches the topic's active queries make now, remove those they no longer
    make. Progress is saved after every chunk, so the page can show it."""
    topic = backfill.topic
    backfill.status = Backfill.Status.RUNNING
    backfill.started_at = clock.now()
    backfill.save(update_fields=["status", "started_at"])
    try:
        queries = _topic_queries(topic)
        matcher = Matcher(queries)
        base = Mention.objects.filter(
            organisation_id=topic.organisation_id, deleted_at__isnull=True
        )
        if backfill.since is not None:
            base = base.filter(created_at__gte=backfill.since)
        ids = _candidates(topic, base, queries)
        backfill.total = len(ids) if ids is not None else base.count()
        backfill.save(update_fields=["total"])
        if progress:
            progress(backfill)
        for rows in _chunks(base, ids):
            _backfill_chunk(backfill, topic, matcher, rows)
            backfill.done += len(rows)
            backfill.save(update_fields=["done", "added", "removed"])
            if progress:
                progress(backfill)
    except Exception as error:
        log.exception("backfill %s failed", backfill.id)
        backfill.status = Backfill.Status.FAILED
        backfill.error = str(error)[:2000]
        backfill.finished_at = clock.now()
        backfill.save(update_fields=["status", "error", "finished_at"])
        raise
    backfill.status = Backfill.Status.DONE
    backfill.finished_at = clock.now()
    backfill.save(update_fields=["status", "finished_at"])
    return backfill


def _chunks(base, ids: list[int] | None):
    if ids is None:
        yield from documents.rows_of(base, chunk=BACKFILL_CHUNK)
        return
    step = 900  # under SQLite's bound-parameter limit, with room for the other filters
    pending: list[tuple] = []
    for start in range(0, len(ids), step):
        for chunk in documents.rows_of(base.filter(id__in=ids[start : start + step]), chunk=step):
            pending.extend(chunk)
        if len(pending) >= BACKFILL_CHUNK:
            yield pending
            pending = []
    if pending:
        yield pending


def _backfill_chunk(backfill: Backfill, topic: Topic, matcher: Matcher, rows: list[tuple]) -> None:
    matched: dict[int, tuple[int, datetime]] = {}
    for row in rows:
        found = matcher.match(documents.doc_of_row(row))
        if found:
            matched[row[0]] = (min(found), row[1])
    lo, hi = rows[0][0], rows[-1][0]
    existing = set(
        TopicMatch.objects.filter(topic=topic, mention_id__gte=lo, mention_id__lte=hi).values_list(
            "mention_id", flat=True
        )
    )
    in_chunk = {row[0] for row in rows}
    gone = [mid for mid in existing if mid in in_chunk and mid not in matched]
    new = [
        (mid, topic.id, qid, created)
        for mid, (qid, created) in matched.items()
        if mid not in existing
    ]
    with transaction.atomic():
        if gone:
            for start in range(0, len(gone), 900):
                TopicMatch.objects.filter(
                    topic=topic, mention_id__in=gone[start : start + 900]
                ).delete()
        insert_matches(new)
    backfill.added += len(new)
    backfill.removed += len(gone)


# --- for the command line and the demo ---------------------------------------------------


def topic_by_slug(
    organisation: Organisation,
    slug: str,
    *,
    kind: str,
    name: str = "",
    team: Team | None = None,
    description: str = "",
) -> tuple[Topic, bool]:
    """The organisation's topic `slug`, or a new one with exactly that slug (named `name`,
    else after the slug). Returns (topic, created); the other arguments shape a new one."""
    topic = Topic.objects.filter(organisation=organisation, slug=slug).first()
    if topic is not None:
        return topic, False
    if not slug or len(slug) > 60 or slugify(slug) != slug:
        raise TopicError(
            _("Not a valid slug: %(slug)s (use lower-case letters, digits and hyphens).")
            % {"slug": slug},
            "slug",
        )
    with transaction.atomic():
        topic = create_topic(
            organisation,
            name=name or slug.replace("-", " ").capitalize(),
            kind=kind,
            team=team,
            description=description,
        )
        if topic.slug != slug:
            topic.slug = slug
            topic.save(update_fields=["slug"])
    return topic, True


def backfill_now(
    topic: Topic,
    *,
    since: datetime | None = None,
    user=None,
    progress: Callable[[Backfill], None] | None = None,
) -> Backfill:
    """Run a new backfill of `topic` here and now instead of in the worker (CLI, demo)."""
    return run_backfill(_new_backfill(topic, user, since), progress)
