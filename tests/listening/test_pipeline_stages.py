"""The authors and threads stages: who wrote each mention and where it sits in its thread
(docs/pipeline.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.demo import builders
from panal.listening import pipeline, services
from panal.listening.models import Author, Mention
from panal.listening.normalise import parse_item
from panal.org.models import Brand


@pytest.fixture
def forum(org):
    """A second account of the same organisation and channel as `account`."""
    return builders.channel_account(org, kind="api", slug="acme-forum", name="Acme forum")


@pytest.fixture
def bsky(org):
    """An account of the same organisation on another channel."""
    return builders.channel_account(org, kind="bluesky", slug="acme-bsky", name="Acme Bluesky")


def by_ext(*external_ids: str, account=None) -> list[Mention]:
    mentions = Mention.objects.filter(external_id__in=external_ids)
    if account is not None:
        mentions = mentions.filter(account=account)
    found = {m.external_id: m for m in mentions}
    return [found[e] for e in external_ids]


def test_an_author_is_one_identity_per_organisation_and_channel(add, account, forum, bsky):
    a1, a2, a3, a4 = add(
        {"external_id": "m1", "text": "hola", "author": {"id": "u1", "handle": "ana"}},
        {"external_id": "m2", "text": "hola", "author": {"id": "u2", "handle": "bea"}},
        {"external_id": "m3", "text": "hola", "author": {"id": "u1", "handle": "ana"}},
        {"external_id": "m4", "text": "hola"},  # no author at all
    )
    (f1,) = add({"external_id": "f1", "text": "hola", "author": {"id": "u1"}}, to=forum)
    (b1,) = add({"external_id": "b1", "text": "hola", "author": {"id": "u1"}}, to=bsky)
    assert a1.author_id == a3.author_id == f1.author_id
    assert len({a1.author_id, a2.author_id, b1.author_id}) == 3
    assert a4.author_id is None
    assert Author.objects.get(id=b1.author_id).channel == "bluesky"
    assert Author.objects.count() == 3


def test_a_newer_mention_refreshes_its_author_and_blanks_keep_the_old(add):
    (first,) = add(
        {"external_id": "m1", "text": "hola", "created_at": "2026-11-02T10:00:00Z",
         "author": {"id": "u1", "handle": "ana", "display_name": "Ana", "followers": 120,
                    "verified": True, "description": "Reportera"}},
    )  # fmt: skip
    add(
        {"external_id": "m2", "text": "hola", "created_at": "2026-11-03T10:00:00Z",
         "author": {"id": "u1", "followers": 150}},
    )  # fmt: skip
    author = Author.objects.get(external_id="u1")
    assert (author.handle, author.display_name, author.followers) == ("ana", "Ana", 150)
    assert (author.is_verified, author.description) == (True, "Reportera")
    assert author.first_seen_at == first.created_at
    assert author.last_seen_at == first.created_at + timedelta(days=1)
    # An older mention arriving late refreshes the fields but not when it was last seen.
    add(
        {"external_id": "m0", "text": "hola", "created_at": "2026-11-01T10:00:00Z",
         "author": {"id": "u1", "handle": "ana_old", "verified": False}},
    )  # fmt: skip
    author.refresh_from_db()
    assert (author.handle, author.is_verified, author.followers) == ("ana_old", False, 150)
    assert author.last_seen_at == first.created_at + timedelta(days=1)
    assert Author.objects.count() == 1
    assert set(Mention.objects.values_list("author_id", flat=True)) == {author.id}


def test_within_a_batch_the_last_mention_of_an_author_wins(add):
    add(
        {"external_id": "m1", "text": "hola", "created_at": "2026-11-02T10:00:00Z",
         "author": {"id": "u1", "handle": "ana", "followers": 10}},
        {"external_id": "m2", "text": "hola", "created_at": "2026-11-02T11:00:00Z",
         "author": {"id": "u1", "handle": "ana_b", "followers": 20}},
    )  # fmt: skip
    author = Author.objects.get(external_id="u1")
    assert (author.handle, author.followers) == ("ana_b", 20)
    m1, m2 = by_ext("m1", "m2")
    assert m1.author_id == m2.author_id == author.id


def test_an_author_stored_before_is_refreshed_not_duplicated(add, org):
    made = Author.objects.create(
        organisation=org, channel="api", external_id="u9", handle="old",
        first_seen_at="2026-01-01T00:00:00Z", last_seen_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    (m,) = add({"external_id": "m1", "text": "hola", "author": {"id": "u9", "handle": "new"}})
    made.refresh_from_db()
    assert m.author_id == made.id and made.handle == "new"
    assert made.last_seen_at == m.created_at


def test_replies_link_to_parent_and_root_within_a_batch(add):
    root, reply, deeper, other = add(
        {"external_id": "r1", "text": "raíz", "created_at": "2026-11-02T09:00:00Z",
         "thread_external_id": "r1"},
        {"external_id": "r2", "text": "respuesta", "created_at": "2026-11-02T10:00:00Z",
         "in_reply_to_external_id": "r1"},
        {"external_id": "r3", "text": "otra", "created_at": "2026-11-02T11:00:00Z",
         "in_reply_to_external_id": "r2"},
        {"external_id": "r4", "text": "suelta", "created_at": "2026-11-02T12:00:00Z",
         "in_reply_to_external_id": "nowhere"},
    )  # fmt: skip
    assert (root.parent_id, root.thread_root_id) == (None, None)
    assert (reply.parent_id, reply.thread_root_id) == (root.id, root.id)
    assert (deeper.parent_id, deeper.thread_root_id) == (reply.id, root.id)
    assert (other.parent_id, other.thread_root_id) == (None, None)


def test_a_thread_root_known_only_by_its_thread_id(add):
    (root,) = add({"external_id": "t1", "text": "raíz", "created_at": "2026-11-02T09:00:00Z"})
    (reply,) = add(
        {"external_id": "t3", "text": "respuesta", "created_at": "2026-11-02T10:00:00Z",
         "in_reply_to_external_id": "t2", "thread_external_id": "t1"},
    )  # fmt: skip
    assert (reply.parent_id, reply.thread_root_id) == (None, root.id)
    # The missing parent arrives: the reply is adopted, its root stays.
    (parent,) = add(
        {"external_id": "t2", "text": "medio", "created_at": "2026-11-02T09:30:00Z",
         "in_reply_to_external_id": "t1", "thread_external_id": "t1"},
    )  # fmt: skip
    reply.refresh_from_db()
    assert (parent.parent_id, parent.thread_root_id) == (root.id, root.id)
    assert (reply.parent_id, reply.thread_root_id) == (parent.id, root.id)


def test_orphans_of_several_accounts_are_adopted_in_one_batch(add, account, forum):
    for to in (account, forum):
        add(
            {"external_id": "c2", "text": "respuesta", "in_reply_to_external_id": "c1",
             "thread_external_id": "c1", "created_at": "2026-11-02T10:00:00Z"},
            to=to,
        )  # fmt: skip
    roots = {}
    for to in (account, forum):
        item = parse_item({"external_id": "c1", "text": "raíz", "created_at": "2026-11-02T09:00Z"})
        roots[to.id] = services.ingest_batch(to, [item], enqueue=False).ids["c1"]
    assert pipeline.run(list(roots.values())) == 2
    for to in (account, forum):
        (orphan,) = by_ext("c2", account=to)
        assert (orphan.parent_id, orphan.thread_root_id) == (roots[to.id], roots[to.id])


def test_threads_never_cross_accounts(add, account, forum):
    (elsewhere,) = add({"external_id": "x1", "text": "raíz del foro"}, to=forum)
    (early,) = add(
        {"external_id": "x3", "text": "huérfana", "in_reply_to_external_id": "x2"}, to=forum
    )
    (theirs, reply) = add(
        {"external_id": "x2", "text": "otra raíz", "created_at": "2026-11-02T09:00:00Z"},
        {"external_id": "x4", "text": "respuesta", "in_reply_to_external_id": "x1",
         "created_at": "2026-11-02T10:00:00Z"},
    )  # fmt: skip
    early.refresh_from_db()
    assert (reply.parent_id, reply.thread_root_id) == (None, None)  # x1 is another account's
    assert (early.parent_id, early.thread_root_id) == (None, None)  # x2 is another account's
    assert elsewhere.account_id == early.account_id == forum.id
    assert theirs.account_id == reply.account_id == account.id


def test_normalise_reads_html_and_payloads_once_per_batch(org):
    """The batch leaves `text_html` and `raw` in the database; normalise reads them for
    the mentions that need them, one query each for the whole batch."""
    reddit = builders.channel_account(org, kind="reddit", slug="acme-reddit", name="r/acme")
    rows = [
        {"external_id": f"t3_{i}", "text_html": f"<p>Hola <b>{i}</b></p>",
         "raw": {"permalink": f"/r/acme/comments/{i}/"}}
        for i in range(4)
    ]  # fmt: skip
    ids = list(
        services.ingest_batch(reddit, [parse_item(r) for r in rows], enqueue=False).ids.values()
    )
    with CaptureQueriesContext(connection) as captured:
        pipeline.run(ids)
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len([q for q in reads if '"raw"' in q]) == 1
    assert len([q for q in reads if '"text_html"' in q]) == 1
    stored = Mention.objects.filter(id__in=ids).order_by("external_id")
    assert [(m.text, m.url) for m in stored] == [
        (f"Hola {i}", f"https://www.reddit.com/r/acme/comments/{i}/") for i in range(4)
    ]


def test_a_brand_is_the_accounts_or_the_one_the_text_names(org, add, forum):
    hogar = Brand.objects.get(organisation=org, name="Acme Hogar")
    hogar.keywords = "router de casa\nfibra"
    hogar.save()
    movil = Brand.objects.get(organisation=org, name="Acme Móvil")
    mentions = add(
        {"external_id": "b1", "text": "Acme sin más"},  # a first word alone names nothing
        {"external_id": "b2", "text": "acme, acme MÓVIL me cobró de más"},
        {"external_id": "b3", "text": "el router de mi casa, el router de casa no anda"},
        {"external_id": "b4", "text": "Fibra caída"},
        {"external_id": "b5", "text": "router casa"},  # not in that order with "de"
    )
    assert [m.brand_id for m in mentions] == [None, movil.id, hogar.id, hogar.id, None]
    forum.brand = movil
    forum.save()
    (theirs,) = add({"external_id": "b6", "text": "fibra"}, to=forum)
    assert theirs.brand_id == movil.id  # the account's brand comes first
