"""`pipeline.run` itself: the stage log line, and the garbage collector paused only while a
batch runs (docs/pipeline.md)."""

from __future__ import annotations

import gc
import logging

import pytest

from panal.listening import pipeline, services
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
