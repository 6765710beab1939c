"""Benchmark: backfill of one new listening query over 1,000,000 stored mentions (SQLite).

The throwaway database is built exactly as the inbox-search benchmark builds it
(`search_bench._fill`: the demo company, its accounts, a million demo mentions with their
understanding rows and full-text rows, raw inserts, then ANALYZE). Then, for each query of
QUERIES, a new topic is created with that one query and `topics.backfill_now` runs it
over the whole history, as `panal query backfill` and the worker do: the full-text
superset of the query picks the candidates (a query without one walks every mention), the
exact check runs on each, and the matches are written. Timed from start to finish, each
query once (a second run would only compare with matches already there). The issue's
target: under 30 s for one new query over 1,000,000 mentions on SQLite. Writes
bench/results/backfill.json. See docs/topics.md#backfill.

Run through `make bench` (bench/run.py) or alone: `.venv/bin/python bench/backfill_bench.py`
(`--mentions N`, `--engines sqlite,postgresql`; PostgreSQL with `--pg-mentions`).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import common
import search_bench

NAME = "backfill"
TARGET_SECONDS = 30
PG_DATABASE = "panal_bench_backfill"

# (what it stands for, kind of topic, query)
QUERIES = [
    ("own brand, common words", "brand", '"ceibo fibra" OR #CeiboFibra OR @CeiboFibra'),
    ("product", "product", "(router OR módem OR modem) AND (ceibo OR fibra)"),
    ("competitor, rare", "competitor", "portabilidad OR (cambio NEAR/3 compañía) OR switching"),
    ("industry, wildcards", "industry", "(reembols* OR refund*) NOT sorteo"),
    ("campaign, hashtag", "campaign", "#SinInternet OR #PésimoServicio"),
    ("field filters only", "industry", "channel:google_play sentiment:negative"),
    ("no superset: walks everything", "industry", "NOT spam"),
]


def _run_queries() -> list[dict]:
    from panal.listening import topics
    from panal.listening.models import Topic
    from panal.org.models import Organisation

    org = Organisation.objects.get()
    out = []
    for n, (what, kind, text) in enumerate(QUERIES):
        topic = topics.create_topic(org, name=f"Bench {n}", kind=kind)
        topics.save_query(topic, text)
        started = time.perf_counter()
        backfill = topics.backfill_now(topic)
        seconds = time.perf_counter() - started
        out.append(
            {
                "what": what,
                "query": text,
                "seconds": round(seconds, 2),
                "looked_at": backfill.done,
                "matches": backfill.added,
                "mentions_per_s": round(backfill.done / seconds) if seconds else None,
                "meets_target": seconds < TARGET_SECONDS,
            }
        )
        print(
            f"    {what:<32} {seconds:6.1f} s, {backfill.done:>9,} looked at, "
            f"{backfill.added:>8,} matches",
            flush=True,
        )
        Topic.objects.filter(id=topic.id).delete()
    return out


def child(options: argparse.Namespace) -> dict:
    _org, fill, setup_s = search_bench.build(options.mentions, options.unique)
    from django.db import connection

    unique = min(options.unique, options.mentions)
    results = _run_queries()
    with_superset = [r for r in results if r["looked_at"] < options.mentions]
    return {
        "vendor": connection.vendor,
        "mentions": options.mentions,
        "unique_texts": unique,
        "setup_seconds": round(setup_s, 1),
        **fill,
        "queries": results,
        "queries_meeting_target": sum(r["meets_target"] for r in results),
        "worst_seconds_with_superset": max((r["seconds"] for r in with_superset), default=None),
        "worst_seconds": max(r["seconds"] for r in results),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--pg-mentions", type=int, default=200_000)
    parser.add_argument("--unique", type=int, default=250_000, help="generated mentions")
    parser.add_argument("--engines", default="sqlite", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--pg", default=os.environ.get("PANAL_BENCH_PG", search_bench.PG_SERVER))
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options)))
        return {}
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    load_before = common.load_average()

    def run(url: str, data_dir: Path, n: int) -> dict:
        args = ["--mentions", str(n), "--unique", str(options.unique)]
        return common.run_child(__file__, args, url, data_dir)

    results = common.each_engine(
        NAME,
        engines,
        options.pg,
        PG_DATABASE,
        lambda url, d: run(url, d, options.mentions if "sqlite" in url else options.pg_mentions),
    )
    record = {
        **common.header(NAME),
        "what": "one new topic query backfilled over every stored mention, start to finish",
        "command": ".venv/bin/python bench/backfill_bench.py",
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "target_seconds": TARGET_SECONDS,
        "results": results,
    }
    common.write(options.out, record)
    print(f"backfill: wrote {options.out}")
    return record


if __name__ == "__main__":
    main()
