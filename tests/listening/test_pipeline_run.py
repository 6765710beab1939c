"""`pipeline.run` itself: the stage log line, the garbage collector paused only while a
batch runs, and the mentions' own rows written once a batch (docs/pipeline.md)."""

from __future__ import annotations

import gc
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.listening import pipeline, services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item


@pytest.fixture
def probe():
    """A stage that records whether the collector ran while it did; removed afterwards."""
    seen: list[bool] = []

    def record(mentions):
        seen.append(gc.isenabled())

    pipeline.stage("zz-probe", order=10_000)(record)
    yield seen
    del pipeline._STAGES["zz-probe"]


@pytest.fixture
def batch(account):
    items = [parse_item({"external_id": f"g{i}", "text": "hola"}) for i in range(3)]
    return list(services.ingest_batch(account, items, enqueue=False).ids.values())


def test_the_collector_is_paused_during_a_batch_and_back_after(probe, batch):
    assert gc.isenabled()
    assert pipeline.run(batch) == 3
    assert probe == [False] and gc.isenabled()


def test_a_collector_someone_turned_off_stays_off(probe, batch):
    gc.disable()
    try:
        pipeline.run(batch)
        assert probe == [False] and not gc.isenabled()
    finally:
        gc.enable()


def test_a_failing_stage_turns_the_collector_back_on(batch):
    def boom(mentions):
        raise RuntimeError("stage failed")

    pipeline.stage("zz-boom", order=10_001)(boom)
    try:
        with pytest.raises(RuntimeError, match="stage failed"):
            pipeline.run(batch)
    finally:
        del pipeline._STAGES["zz-boom"]
    assert gc.isenabled()


def test_each_stage_logs_its_wall_and_cpu_time(batch, caplog):
    with caplog.at_level(logging.DEBUG, logger="panal.listening.pipeline"):
        pipeline.run(batch)
    lines = [r for r in caplog.records if r.msg.startswith("stage ")]
    assert [r.args[0] for r in lines] == [s.name for s in pipeline.stages()]
    for record in lines:
        _name, count, seconds, cpu = record.args
        assert count == 3 and seconds >= 0 and cpu >= 0
        assert record.getMessage().endswith(" s CPU)")


# --- the mentions' own rows: written once, at the end of the batch ------------------------


def test_a_stages_changes_to_the_mentions_wait_for_the_batchs_last_write(batch):
    seen_in_table: list[tuple] = []

    def relabel(mentions):
        pipeline.save(["title"], [(m.id, f"t{m.id}") for m in mentions])
        seen_in_table.extend(Mention.objects.filter(id__in=batch).values_list("title", flat=True))

    pipeline.stage("zz-relabel", order=10_002)(relabel)
    try:
        pipeline.run(batch)
    finally:
        del pipeline._STAGES["zz-relabel"]
    assert seen_in_table == ["", "", ""]  # not written while the batch ran
    stored = dict(Mention.objects.filter(id__in=batch).values_list("id", "title"))
    assert stored == {pk: f"t{pk}" for pk in batch}


def test_each_mention_is_written_once_after_every_stage_ran(account):
    items = [
        parse_item({"external_id": "p1", "text": "Hello Acme, the router is great",
                    "author": {"id": "a1", "handle": "ana"}}),
        parse_item({"external_id": "r1",
                    "text": "Hola, a mí no me funciona el router desde ayer por la tarde",
                    "in_reply_to_external_id": "p1", "thread_external_id": "p1",
                    "author": {"id": "a2", "handle": "bea"}}),
        parse_item({"external_id": "p2", "text": "", "text_html": "<p>Otra <b>cosa</b></p>"}),
    ]  # fmt: skip
    ids = list(services.ingest_batch(account, items, enqueue=False).ids.values())
    with CaptureQueriesContext(connection) as captured:
        pipeline.run(ids)
    # (SQLite's executemany is logged as "N times: SQL")
    sqls = [q["sql"].partition(" times: ")[2] or q["sql"] for q in captured.captured_queries]
    updates = [i for i, q in enumerate(sqls) if q.startswith('UPDATE "listening_mention"')]
    fts = max(i for i, q in enumerate(sqls) if "listening_mention_fts" in q)
    assert updates and min(updates) > fts  # after the last stage (the search index)
    # One UPDATE per set of changed fields, whatever the batch's size.
    assert len(updates) <= 3
    post, html, reply = Mention.objects.filter(id__in=ids).order_by("external_id")
    assert reply.parent_id == post.id and reply.thread_root_id == post.id
    assert post.author.handle == "ana" and reply.author.handle == "bea"
    assert (post.lang, reply.lang) == ("en", "es")
    assert html.text == "Otra cosa"
    names = [s.name for s in pipeline.stages()]
    assert all(m.stages_done == names and m.processed_at for m in (post, reply, html))


def test_after_a_failed_batch_nothing_waits_and_a_stage_alone_writes_at_once(batch):
    def change_then_fail(mentions):
        pipeline.save(["title"], [(m.id, "lost") for m in mentions])
        raise RuntimeError("stage failed")

    pipeline.stage("zz-fail", order=10_003)(change_then_fail)
    try:
        with pytest.raises(RuntimeError):
            pipeline.run(batch)
    finally:
        del pipeline._STAGES["zz-fail"]
    assert not Mention.objects.filter(id__in=batch, title="lost").exists()
    # No batch running: the change is written at once.
    pipeline.save(["title"], [(batch[0], "now")])
    assert Mention.objects.get(id=batch[0]).title == "now"
