"""Run the benchmarks (`make bench`); each writes its JSON under bench/results/.

Usage: .venv/bin/python bench/run.py [NAME ...]   (default: all; names below)
Benchmarks are never run by the test suite. See docs/benchmarks.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest_bench
import language_bench
import understanding_bench

BENCHMARKS = {
    "backfill": __import__("backfill_bench").main,
    "engagement": __import__("engagement_bench").main,
    "ingest": ingest_bench.main,
    "jetstream": __import__("jetstream_bench").main,
    "language": language_bench.main,
    "pipeline_speed": __import__("pipeline_speed").main,  # one line: other benches add theirs
    "query": __import__("query_bench").main,
    "search": __import__("search_bench").main,
    "understanding": understanding_bench.main,
    "webhook": __import__("webhook_bench").main,
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        started = time.perf_counter()
        print(f"== {name}")
        BENCHMARKS[name]([])
        print(f"== {name}: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
