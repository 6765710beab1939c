"""The ingest service: idempotent upserts, edits with history, deletes as tombstones."""

import pytest

from panal.listening import pipeline, search, services
from panal.listening.models import Mention, MentionVersion
from panal.listening.normalise import ItemError, parse_item


def items(*rows):
    return [parse_item(r) for r in rows]


def test_redelivery_changes_nothing(account, django_capture_on_commit_callbacks):
    batch = items(
        {"external_id": "a1", "text": "Hola", "created_at": "2026-11-01T10:00:00Z"},
        {"external_id": "a2", "text": "Hello", "created_at": "2026-11-01T11:00:00Z"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = services.ingest(account, batch)
    before = list(Mention.objects.order_by("id").values())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = services.ingest(account, batch)
    assert first.as_dict() == {"created": 2, "edited": 0, "deleted": 0, "unchanged": 0}
    assert second.as_dict() == {"created": 0, "edited": 0, "deleted": 0, "unchanged": 2}
    assert callbacks == []  # nothing new to process
    assert list(Mention.objects.order_by("id").values()) == before


def test_edit_keeps_previous_text(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(account, items({"external_id": "e1", "text": "precio malo"}))
        result = services.ingest(account, items({"external_id": "e1", "text": "precio bueno"}))
    assert result.edited == 1
    mention = Mention.objects.get(external_id="e1")
    assert mention.text == "precio bueno"
    assert mention.edited_at is not None
    assert list(MentionVersion.objects.filter(mention=mention).values_list("text", flat=True)) == [
        "precio malo"
    ]
    assert search.search(Mention.objects.all(), "bueno").count() == 1
    assert search.search(Mention.objects.all(), "malo").count() == 0


def test_delete_is_recorded_and_hidden(account, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(account, items({"external_id": "d1", "text": "borrame"}))
    result = services.ingest(account, items({"external_id": "d1", "event": "deleted"}))
    assert result.deleted == 1
    mention = Mention.objects.get(external_id="d1")
    assert mention.deleted_at is not None
    assert mention.text == "borrame"  # kept for audit
    assert not services.visible_mentions(users["agent"]).filter(id=mention.id).exists()
    assert search.search(Mention.objects.all(), "borrame").count() == 0
    # A late copy of the original does not bring it back.
    again = services.ingest(account, items({"external_id": "d1", "text": "borrame"}))
    assert again.unchanged == 1
    assert Mention.objects.get(external_id="d1").deleted_at is not None


def test_delete_before_create_keeps_a_tombstone(account):
    services.ingest(account, items({"external_id": "t1", "event": "deleted"}))
    services.ingest(account, items({"external_id": "t1", "text": "llegó tarde"}))
    assert Mention.objects.get(external_id="t1").deleted_at is not None


def test_pipeline_links_threads_authors_and_brand(account, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(
            account,
            items(
                {"external_id": "r2", "text": "Respuesta", "in_reply_to_external_id": "r1",
                 "thread_external_id": "r1", "created_at": "2026-11-02T10:00:00Z",
                 "author": {"id": "u2", "handle": "bea"}},
                {"external_id": "r3", "text": "Otra", "in_reply_to_external_id": "r2",
                 "created_at": "2026-11-02T11:00:00Z", "author": {"id": "u1", "handle": "ana"}},
            ),
        )  # fmt: skip
        # The root arrives last: the earlier replies are adopted.
        services.ingest(
            account,
            items({"external_id": "r1", "text": "Mi Acme Móvil no tiene señal",
                   "created_at": "2026-11-02T09:00:00Z",
                   "author": {"id": "u1", "handle": "ana", "display_name": "Ana"}}),
        )  # fmt: skip
    r1, r2, r3 = (Mention.objects.get(external_id=e) for e in ("r1", "r2", "r3"))
    assert r2.parent_id == r1.id and r2.thread_root_id == r1.id
    assert r3.parent_id == r2.id and r3.thread_root_id == r1.id
    assert r1.author_id == r3.author_id and r1.author.display_name == "Ana"
    assert r1.brand.name == "Acme Móvil"
    assert [m.external_id for m in services.thread_of(r3)] == ["r1", "r2", "r3"]
    assert r1.stages_done == [s.name for s in pipeline.stages()]
    assert r1.stages_done[:2] == ["normalise", "understand"]
    assert r1.stages_done[-1] == "index"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"text": "sin id"}, "'external_id' is required"),
        ({"external_id": "x"}, "'text' is required"),
        ({"external_id": "x", "text": "t", "created_at": "ayer"}, "not a date"),
        ({"external_id": "x", "text": "t", "kind": "weird"}, "'kind' must be one of"),
        ({"external_id": "x", "text": "t" * 100_001}, "longer than"),
        ("not an object", "must be a JSON object"),
    ],
)
def test_bad_items_say_why(row, reason):
    with pytest.raises(ItemError, match=reason):
        parse_item(row)


def test_hostile_urls_are_dropped():
    item = parse_item({"external_id": "x", "text": "t", "url": "javascript:alert(1)",
                       "author": {"id": "1", "avatar_url": "data:text/html,hi"}})  # fmt: skip
    assert item.url == "" and item.author_avatar_url == ""


def test_accent_insensitive_search(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(
            account,
            items(
                {"external_id": "s1", "text": "La atención al cliente fue pésima"},
                {"external_id": "s2", "text": "Great customer service, thanks"},
            ),
        )

    def found(query):
        matches = search.search(Mention.objects.all(), query)
        return sorted(matches.values_list("external_id", flat=True))

    assert found("atencion") == ["s1"]
    assert found("ATENCIÓN pesima") == ["s1"]
    assert found('"customer service"') == ["s2"]
    assert found('"service customer"') == []
    assert found("cust*") == ["s2"]
    assert found("atencion thanks") == []


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"external_id": "x", "text": "a\x00b"}, "'text' contains a NUL character"),
        ({"external_id": "x", "text": "a\ud800b"}, "'text' contains an unpaired surrogate"),
        ({"external_id": "x", "text": "t", "raw": {"deep": ["\x00"]}}, "'raw' contains a NUL"),
        ({"external_id": "x", "text": "t", "metrics": {"a": float("nan")}}, "finite number"),
    ],
)
def test_strings_no_database_can_store_are_refused(row, reason):
    with pytest.raises(ItemError, match=reason):
        parse_item(row)


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_the_same_items_agree(account):
    """Two transactions storing the same items at once: one set of rows, the same ids."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers (IMMEDIATE transactions); the race needs PostgreSQL")
    batch = items(*({"external_id": f"c{i}", "text": f"hola {i}"} for i in range(200)))
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        try:
            barrier.wait()
            results.append(services.ingest_batch(account, batch, enqueue=False))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = dict(Mention.objects.values_list("external_id", "id"))
    assert len(stored) == 200
    assert results[0].ids == results[1].ids == stored
    assert results[0].created + results[1].created == 200
    assert results[0].unchanged + results[1].unchanged == 200


def test_handles_are_stored_without_a_leading_at():
    assert parse_item({"external_id": "x", "text": "t", "author": "@ana"}).author_handle == "ana"
    assert parse_item(
        {"external_id": "x", "text": "t", "author_handle": "bo@m.social"}
    ).author_handle == ("bo@m.social")
