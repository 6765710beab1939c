"""The pipeline's queries per batch do not grow with the batch (docs/pipeline.md#speed).

A batch of 100 mentions issues exactly as many queries as a batch of 10 of the same kind:
no stage reads or writes row by row, and no stage reads a field the pipeline deferred
(each such read would be one query per mention).
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from panal.demo import builders
from panal.listening import pipeline, services, topics
from panal.listening.models import Author, Mention
from panal.listening.normalise import parse_item

TEXTS = (
    "Mi Acme Móvil no tiene señal desde ayer, pésimo servicio",
    "Thank you Acme Hogar, the technician fixed my router in minutes!",
    "¿Cuánto cuesta el plan con fibra? Quiero contratarlo",
    "Voy a demandar a Acme, me cobraron dos veces la factura",
    "<p>Un mensaje con <b>HTML</b></p>",
)
_serial = itertools.count()


@pytest.fixture
def feed(org, account):
    forum = builders.channel_account(org, kind="api", slug="acme-forum", name="Acme forum")
    bsky = builders.channel_account(org, kind="bluesky", slug="acme-bsky", name="Acme Bluesky")
    topic = topics.create_topic(org, name="Acme", kind="brand")
    topics.save_query(topic, "acme OR factura")
    return Feed([account, forum, bsky])


class Feed:
    """Mentions for three accounts of one organisation (two on one channel, one on
    another), stored through the ingest service and not processed yet."""

    def __init__(self, accounts: list) -> None:
        self.accounts = accounts
        self.waiting: list[tuple[object, str]] = []  # parents due in a later batch

    def store(self, n: int) -> list[int]:
        """`n` new mentions: of every five, a post by a new author, a post by a known one,
        a reply to the row before it, a reply whose parent is not stored yet, and a parent
        stored after its reply (an orphan to adopt) when an earlier batch left one. Some
        are HTML only."""
        rows: dict[object, list] = {a: [] for a in self.accounts}
        ready, self.waiting = self.waiting, []
        previous = None
        for i in range(n):
            s = next(_serial)
            account, kind = self.accounts[i % len(self.accounts)], i % 5
            row = {
                "external_id": f"e{s}",
                "text": TEXTS[s % len(TEXTS)],
                "created_at": f"2026-11-02T{10 + s // 3600 % 10}:{s // 60 % 60:02d}:{s % 60:02d}Z",
                "author": {"id": f"known{s % 3}" if kind == 1 else f"new{s}",
                           "handle": f"h{s}", "followers": s, "verified": bool(s % 2)},
            }  # fmt: skip
            if kind == 2 and previous:
                account, row["in_reply_to_external_id"] = previous
                row["thread_external_id"] = previous[1]
            elif kind == 3:
                row["in_reply_to_external_id"] = f"late{s}"
                self.waiting.append((account, f"late{s}"))
            elif kind == 4 and ready:
                account, row["external_id"] = ready.pop(0)
            if "<" in row["text"]:
                row["text_html"], row["text"] = row.pop("text"), ""
            rows[account].append(parse_item(row))
            previous = (account, row["external_id"])
        self.waiting[:0] = ready
        ids = []
        for account, items in rows.items():
            if items:
                ids += services.ingest_batch(account, items, enqueue=False).ids.values()
        return ids


def queries_of(ids: list[int]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert pipeline.run(ids) == len(ids)
    return [q["sql"] for q in captured.captured_queries]


def test_a_batch_issues_the_same_queries_whatever_its_size(feed):
    queries_of(feed.store(10))  # the first batch loads the models and matchers
    small = feed.store(10)
    first_small = queries_of(small)
    large = feed.store(100)
    first_large = queries_of(large)
    # The same mentions again (the re-run of edited mentions): authors and threads known.
    again_small, again_large = queries_of(small), queries_of(large)
    assert len(first_small) == len(first_large)
    assert len(again_small) == len(again_large)
    assert len(first_large) <= 60  # the stages' fixed cost, routing's included
    # The batch really was of every kind: linked authors, replies, adopted orphans.
    stored = Mention.objects.filter(id__in=large)
    assert stored.exclude(author=None).count() == 100
    assert stored.exclude(parent=None).count() >= 20
    for batch in (small, large):
        adopted = Mention.objects.filter(parent__id__in=batch).exclude(id__in=batch)
        assert adopted.exists()  # replies from an earlier batch
    assert Author.objects.filter(external_id="known1").count() == 2  # api and bluesky


def test_a_rerun_with_nothing_new_writes_no_author_or_thread_link(feed):
    ids = feed.store(30)
    queries_of(ids)
    again = queries_of(ids)
    author_updates = [q for q in again if q.startswith('UPDATE "listening_author"')]
    link_updates = [
        q for q in again if q.startswith('UPDATE "listening_mention"') and "parent" in q
    ]
    assert author_updates == [] and link_updates == []


@pytest.mark.parametrize("n", [10, 100])
def test_no_stage_reads_a_deferred_field(feed, n):
    ids = feed.store(n)
    queries = queries_of(ids)
    single = [q for q in queries if q.startswith("SELECT") and " LIMIT 21" in q]
    assert single == []  # what reading a deferred field (refresh_from_db) looks like


def test_the_batch_is_what_the_orm_would_read(feed):
    ids = feed.store(20)
    Mention.objects.filter(id=ids[3]).update(deleted_at="2026-11-03T00:00:00Z")
    fast = pipeline.read_batch(ids)
    orm = list(
        Mention.objects.filter(id__in=ids, deleted_at=None).only(*pipeline.READ).order_by("id")
    )
    assert [m.id for m in fast] == [m.id for m in orm] and len(fast) == 19
    names = [Mention._meta.get_field(f).attname for f in pipeline.READ]
    for a, b in zip(fast, orm, strict=True):
        assert [getattr(a, n) for n in names] == [getattr(b, n) for n in names]
        assert a.get_deferred_fields() == b.get_deferred_fields() != set()
        assert (a._state.adding, a._state.db) == (b._state.adding, b._state.db)
    # A field left out is read on demand, as with the ORM's instances.
    assert fast[0].content_hash == Mention.objects.get(id=fast[0].id).content_hash


def test_a_listener_of_the_init_signals_gets_the_orms_instances(feed):
    ids = feed.store(5)
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(listener, sender=Mention)
    try:
        read = pipeline.read_batch(ids)
    finally:
        post_init.disconnect(listener, sender=Mention)
    assert seen == read and len(read) == 5
