"""Benchmark: the speed of the default understanding path in the pipeline, on one core.

The default path is what every mention goes through as it arrives: the `understand`
stage (language, sentiment, intents and urgency, one upsert per batch) and
`sentiment_refine` (which only picks the unsure mentions and queues them), plus the
pipeline's own work (reading the batch, marking it done). Issue 5's target: at least
5,000 mentions/s in batches of 1,000 on one core.

For each engine (SQLite, and PostgreSQL when its server answers) a child process on one
CPU (`sched_setaffinity`, BLAS/OpenMP at one thread) makes a fresh database, migrates it,
creates the demo company and accounts (`panal.demo.loader`), stores two sets of N + 1,000
demo mentions (`panal.demo.content`: varied Spanish and English texts of every channel,
hostile inputs included) through the ingest service, oldest first.

The first set goes through the whole pipeline in batches of 1,000, as `panal demo` and
the worker run it: every registered stage, each stage's time (wall and CPU) from the
pipeline's own DEBUG log line, the pipeline's overhead being the run's time minus the
time of all stages. The same batches then run again: the re-processing of edited
mentions, where every Understanding row already exists.

The second set goes through the **default path alone**: the pipeline with only its
stages registered (`understand`, `sentiment_refine`), so the overhead counted (reading
the batch, the last write, the commit) is this path's, not also the other stages'
writes, which wait for the batch's last UPDATE (`pipeline.save`). This is the figure
judged against the target, on wall time; the CPU figure says what the path costs
whatever else the shared machine is running. In each run the first batch warms up
(models loaded, n-gram memories filled) and is not counted. `--topics demo` gives the
company its demo listening topics (`panal.demo.topics`) first, so the `topics` stage has
queries to match; by default it has none.

The SQLite child also times the models alone, without a database: language, sentiment
and intents over the same texts in batches of 1,000 (best of three passes).

Writes bench/results/pipeline_speed.json. See docs/benchmarks.md.

Run through `make bench` (bench/run.py) or alone:
`.venv/bin/python bench/pipeline_speed.py [--mentions 20000] [--engines sqlite,postgresql]
[--topics none|demo]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

NAME = "pipeline_speed"
TARGET = 5_000  # mentions per second, default path, batches of 1,000, one core
BATCH = 1000
DEFAULT_PATH = ("understand", "sentiment_refine", "urgency")  # those registered are counted
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "panal_bench_pipeline"
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SEED = 2011


# --- the child: one engine, in its own process ---------------------------------------------


class StageTimes(logging.Handler):
    """Collects the pipeline's "stage NAME: N mentions in S s (C s CPU)" DEBUG lines."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("stage ") and len(record.args) == 4:
            name, _count, seconds, cpu = record.args
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def clear(self) -> None:
        self.seconds.clear()
        self.cpu.clear()


def _pin_one_core() -> int | None:
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _rate(n: int, seconds: float) -> int:
    return round(n / seconds) if seconds > 0 else 0


def _timed_runs(batches: list[list[int]], times: StageTimes) -> dict:
    from panal.listening import pipeline

    times.clear()
    wall = cpu = 0.0
    done = 0
    for ids in batches:
        started, started_cpu = time.perf_counter(), time.process_time()
        done += pipeline.run(ids)
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
    stages, stages_cpu = dict(times.seconds), dict(times.cpu)
    overhead = max(wall - sum(stages.values()), 0.0)
    overhead_cpu = max(cpu - sum(stages_cpu.values()), 0.0)
    default = [s for s in DEFAULT_PATH if s in stages]
    default_s = sum(stages[s] for s in default) + overhead
    default_cpu = sum(stages_cpu[s] for s in default) + overhead_cpu
    return {
        "mentions": done,
        "batches": len(batches),
        "all_stages": {
            "seconds": round(wall, 3),
            "cpu_seconds": round(cpu, 3),
            "mentions_per_s": _rate(done, wall),
            "mentions_per_s_cpu": _rate(done, cpu),
        },
        "default_path": {
            "stages": default,
            "seconds": round(default_s, 3),
            "mentions_per_s": _rate(done, default_s),
            "ms_per_batch": round(1000 * default_s / max(len(batches), 1), 1),
            "meets_target": _rate(done, default_s) >= TARGET,
            # The same in CPU time: what the path costs, whatever else the machine runs.
            "cpu_seconds": round(default_cpu, 3),
            "mentions_per_s_cpu": _rate(done, default_cpu),
            "ms_per_batch_cpu": round(1000 * default_cpu / max(len(batches), 1), 1),
        },
        "pipeline_overhead_seconds": round(overhead, 3),
        "pipeline_overhead_cpu_seconds": round(overhead_cpu, 3),
        "stages": {
            name: {
                "seconds": round(s, 3),
                "cpu_seconds": round(stages_cpu.get(name, 0.0), 3),
                "mentions_per_s": _rate(done, s),
            }
            for name, s in stages.items()
        },
    }


def _models_only(texts: list[str]) -> dict:
    from panal.understanding import intent, language, registry

    sentiment_model = registry.shipped("sentiment")
    intent_model = registry.shipped("intent")
    parts = {
        "language": language.detect,
        "sentiment": sentiment_model.scores,
        "intent": lambda batch: intent.label_sets(intent_model, batch),
    }
    batches = [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]
    for fn in parts.values():
        fn(batches[0])  # warm
    out: dict = {}
    for name, fn in parts.items():
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for batch in batches:
                fn(batch)
            best = min(best, time.process_time() - started)
        out[name] = {"cpu_seconds": round(best, 3), "texts_per_s": _rate(len(texts), best)}
    total = sum(p["cpu_seconds"] for p in out.values())
    return {
        "texts": len(texts),
        "parts": out,
        "cpu_seconds": round(total, 3),
        "texts_per_s": _rate(len(texts), total),
    }


@contextlib.contextmanager
def only_stages(names: tuple[str, ...]):
    """Only these of the registered stages run in the block."""
    from panal.listening import pipeline

    registered = dict(pipeline._STAGES)
    pipeline._STAGES.clear()
    pipeline._STAGES.update({k: v for k, v in registered.items() if k in names})
    try:
        yield
    finally:
        pipeline._STAGES.clear()
        pipeline._STAGES.update(registered)


def child(options: argparse.Namespace) -> dict:
    cpu = _pin_one_core()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from panal.demo import loader
    from panal.listening.models import Mention, Topic
    from panal.understanding.stages import text_of

    times = StageTimes()
    log = logging.getLogger("panal.listening.pipeline")
    log.addHandler(times)
    log.setLevel(logging.DEBUG)
    log.propagate = False

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    org = loader.company()
    by_slug = loader.accounts(org)
    if options.topics == "demo":
        from panal.demo import topics as demo_topics

        demo_topics.load(org)
    # Two sets of mentions: the first for the whole pipeline, the second for the default
    # path alone.
    per_set = options.mentions + BATCH
    stored = loader.mentions(by_slug, 2 * per_set, seed=options.seed)
    setup_s = time.perf_counter() - started
    pending = list(
        Mention.objects.filter(organisation=org, deleted_at=None)
        .filter(Q(processed_at__isnull=True) | Q(stages_done=[]))
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    everything, alone = pending[:per_set], pending[per_set:]
    batches = [everything[i : i + BATCH] for i in range(0, len(everything), BATCH)]
    warm, timed = batches[0], batches[1:]
    _timed_runs([warm], times)
    result = {
        "vendor": connection.vendor,
        "cpu": cpu,
        "stored": stored.created,
        "topics": Topic.objects.filter(organisation=org).count(),
        "setup_seconds": round(setup_s, 1),
        "first_run": _timed_runs(timed, times),
        "re_run": _timed_runs(timed, times),
    }
    # The default path on its own: the pipeline with only its stages registered, so the
    # overhead (reading the batch, the last write, the commit) is that of this path and
    # not also of the other stages' writes, which wait for the batch's last write.
    batches = [alone[i : i + BATCH] for i in range(0, len(alone), BATCH)]
    with only_stages(DEFAULT_PATH):
        _timed_runs(batches[:1], times)
        first, again = _timed_runs(batches[1:], times), _timed_runs(batches[1:], times)
    result["default_path_alone"] = {
        "stages": first["default_path"]["stages"],
        "first_run": {k: v for k, v in first["default_path"].items() if k != "stages"},
        "re_run": {k: v for k, v in again["default_path"].items() if k != "stages"},
        "pipeline_overhead_seconds": first["pipeline_overhead_seconds"],
        "pipeline_overhead_cpu_seconds": first["pipeline_overhead_cpu_seconds"],
    }
    if options.models_only:
        texts = [
            text_of(m)
            for m in Mention.objects.filter(id__in=everything[BATCH:]).only("title", "text")
        ]
        result["models_only"] = _models_only(texts)
    return result


# --- the parent: one child per engine ----------------------------------------------------


def run_child(database_url: str, data_dir: Path, options: argparse.Namespace, models: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(
        ONE_CORE,
        DJANGO_SETTINGS_MODULE="panal.settings",
        DATABASE_URL=database_url,
        PANAL_DATA_DIR=str(data_dir),
        PANAL_TASK_BACKEND="db",
        PANAL_LOG_LEVEL="ERROR",
    )
    args = [sys.executable, __file__, "--child", "--mentions", str(options.mentions)]
    args += ["--seed", str(options.seed), "--topics", options.topics]
    args += ["--models-only"] if models else []
    done = subprocess.run(  # noqa: S603 - argv built from our own paths and numbers
        args, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark child failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_postgresql(work: Path, options: argparse.Namespace) -> dict:
    data_dir = work / "postgresql"
    data_dir.mkdir()
    return common.on_postgresql(
        options.pg, PG_DATABASE, lambda url: run_child(url, data_dir, options, models=False)
    )


def one_line(engine: str, result: dict) -> str:
    if "skipped" in result:
        return f"  {engine}: skipped — {result['skipped']}"
    first, again = result["first_run"], result["re_run"]
    alone = result["default_path_alone"]
    d = alone["first_run"]
    within = first["default_path"]
    stages = ", ".join(f"{k} {v['mentions_per_s']:,}/s" for k, v in first["stages"].items())
    return (
        f"  {engine}: default path {d['mentions_per_s']:,}/s ({d['ms_per_batch']} ms a batch; "
        f"{'meets' if d['meets_target'] else 'below'} {TARGET:,}/s; CPU "
        f"{d['mentions_per_s_cpu']:,}/s, {d['ms_per_batch_cpu']} ms), re-run "
        f"{alone['re_run']['mentions_per_s']:,}/s\n    in the whole pipeline: its stages and "
        f"the overhead {within['mentions_per_s']:,}/s (re-run "
        f"{again['default_path']['mentions_per_s']:,}/s); all stages "
        f"{first['all_stages']['mentions_per_s']:,}/s\n    stages: {stages}; "
        f"pipeline overhead {first['pipeline_overhead_seconds']} s"
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=20_000, help="timed mentions")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--topics",
        choices=("none", "demo"),
        default="none",
        help="the demo company's listening topics (panal.demo.topics), for the topics stage",
    )
    parser.add_argument("--pg", default=os.environ.get("PANAL_BENCH_PG", PG_SERVER))
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--models-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options)))
        return {}
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    load_before = common.load_average()
    work = Path(tempfile.mkdtemp(prefix="panal-bench-pipeline-"))
    results: dict = {}
    try:
        for engine in engines:
            print(f"pipeline_speed: {engine} …", flush=True)
            if engine == "sqlite":
                data_dir = work / "sqlite"
                data_dir.mkdir()
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
                results[engine] = run_child(url, data_dir, options, models=True)
            elif engine == "postgresql":
                results[engine] = run_postgresql(work, options)
            else:
                raise SystemExit(f"unknown engine {engine!r}")
            print(one_line(engine, results[engine]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    models_only = next((r.pop("models_only") for r in results.values() if "models_only" in r), None)
    if models_only:
        print(f"  models only: {models_only['texts_per_s']:,} texts/s (CPU time)")
    record = {
        **common.header(NAME),
        "what": "pipeline.run over the demo's mentions in batches of 1,000 on one core; the "
        "default path (default_path_alone, judged against the target) is the pipeline with "
        "only the understand, sentiment_refine and urgency stages registered, over a second "
        "set of mentions; first_run and re_run are the whole pipeline",
        "command": ".venv/bin/python bench/pipeline_speed.py",
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "input": {
            "generator": "panal.demo.loader.mentions",
            "topics": options.topics,
            "seed": options.seed,
            "timed": options.mentions,
            "warm_up": BATCH,
            "batch": BATCH,
        },
        "target_mentions_per_s": TARGET,
        "results": results,
        "models_only": models_only,
    }
    common.write(options.out, record)
    print(f"pipeline_speed: wrote {options.out}")
    return record


if __name__ == "__main__":
    main()
