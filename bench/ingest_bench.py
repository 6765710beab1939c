"""Benchmark: `panal ingest` of a JSON Lines file, on SQLite and on PostgreSQL.

The file is written by the demo generator (panal.demo.content), so the texts are the
demo's: varied Spanish and English mentions of every channel. For each engine the
benchmark makes a fresh database, migrates it, creates the demo company without
mentions (`panal demo --bare`), then times `panal ingest FILE --account ceibo-historico
--no-progress` as a subprocess, twice: the first run stores every mention, the second
finds them all unchanged (idempotent re-delivery). It counts the stored rows, and
writes the figures to bench/results/ingest.json. See docs/benchmarks.md.

Run through `make bench` (bench/run.py) or alone: `.venv/bin/python bench/ingest_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

from panal.demo import content

NAME = "ingest"
ACCOUNT = content.IMPORT_ACCOUNT
TARGETS = {"sqlite": 10_000, "postgresql": 15_000}  # mentions per second, first run
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "panal_bench"


def write_file(path: Path, n: int, seed: int) -> dict:
    """The input: `n` generated mentions, one JSON object per line."""
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        for m in content.iter_mentions(n, seed=seed):
            out.write(json.dumps(m.data, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    return {
        "mentions": n,
        "seed": seed,
        "generator": "panal.demo.content.iter_mentions",
        "file_bytes": path.stat().st_size,
        "generate_seconds": round(time.perf_counter() - started, 2),
    }


def panal(env: dict, *args: str, check: bool = True) -> tuple[float, subprocess.CompletedProcess]:
    """Run `panal ARGS` with this environment; (wall-clock seconds, completed process)."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - argv built from our own paths and words
        [str(common.PANAL), *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if check and done.returncode != 0:
        raise RuntimeError(f"panal {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done


def run_engine(engine: str, database_url: str, data_dir: Path, path: Path, n: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=database_url,
        PANAL_DATA_DIR=str(data_dir),
        PANAL_TASK_BACKEND="db",  # the embedded default: each batch queues one pipeline task
        PANAL_LOG_LEVEL="ERROR",
    )
    migrate_s, _ = panal(env, "migrate", "--no-input")
    panal(env, "demo", "--bare")
    startup_s, _ = panal(env, "ingest", "--help")  # interpreter + Django start, no work
    runs = []
    for label in ("first_run", "second_run"):
        seconds, done = panal(env, "ingest", str(path), "--account", ACCOUNT, "--no-progress")
        runs.append(
            (
                label,
                {
                    "seconds": round(seconds, 2),
                    "mentions_per_s": round(n / seconds),
                    "mentions_per_s_without_startup": round(n / max(seconds - startup_s, 1e-6)),
                    "exit_code": done.returncode,
                    "report": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "",
                },
            )
        )
    _, counted = panal(
        env,
        "shell",
        "-c",
        "from panal.listening.models import Mention; "
        f"print(Mention.objects.filter(account__slug={ACCOUNT!r}).count())",
    )
    rows = int(counted.stdout.strip().splitlines()[-1])
    first = dict(runs)["first_run"]
    result = {
        "database_url": database_url.split("@")[-1] if "@" in database_url else database_url,
        "migrate_seconds": round(migrate_s, 2),
        "startup_seconds": round(startup_s, 2),
        **dict(runs),
        "rows_stored": rows,
        "all_stored": rows == n,
        "target_mentions_per_s": TARGETS[engine],
        "meets_target": first["mentions_per_s"] >= TARGETS[engine],
    }
    sqlite_file = data_dir / "bench.sqlite3"
    if sqlite_file.exists():
        result["database_bytes"] = sum(
            p.stat().st_size for p in data_dir.glob("bench.sqlite3*") if p.is_file()
        )
    return result


def run_sqlite(work: Path, path: Path, n: int) -> dict:
    data_dir = work / "sqlite"
    data_dir.mkdir()
    result = run_engine("sqlite", f"sqlite:///{data_dir / 'bench.sqlite3'}", data_dir, path, n)
    result["sqlite_version"] = common.sqlite_version()
    return result


def run_postgresql(work: Path, path: Path, n: int, server: str) -> dict:
    data_dir = work / "postgresql"
    data_dir.mkdir()
    return common.on_postgresql(
        server, PG_DATABASE, lambda url: run_engine("postgresql", url, data_dir, path, n)
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=content.DEFAULT_SEED)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--pg", default=os.environ.get("PANAL_BENCH_PG", PG_SERVER))
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    options = parser.parse_args(argv)
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]

    load_before = common.load_average()
    work = Path(tempfile.mkdtemp(prefix="panal-bench-"))
    try:
        path = work / "mentions.jsonl"
        print(f"ingest: generating {options.mentions:,} mentions into {path}")
        file_info = write_file(path, options.mentions, options.seed)
        results: dict = {}
        for engine in engines:
            print(f"ingest: {engine} …", flush=True)
            if engine == "sqlite":
                results[engine] = run_sqlite(work, path, options.mentions)
            elif engine == "postgresql":
                results[engine] = run_postgresql(work, path, options.mentions, options.pg)
            else:
                raise SystemExit(f"unknown engine {engine!r}")
            print(common.one_line(engine, results[engine]))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    record = {
        **common.header(NAME),
        "what": "panal ingest of a JSON Lines file: wall clock of the subprocess, startup included",
        "command": f"panal ingest FILE --account {ACCOUNT} --no-progress",
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "input": file_info,
        "targets_mentions_per_s": TARGETS,
        "results": results,
    }
    common.write(options.out, record)
    print(f"ingest: wrote {options.out}")
    return record


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
