"""What every benchmark records: when, on which machine, at which commit (docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PANAL = Path(sys.executable).parent / "panal"
GIT = "/usr/bin/git"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments
            [GIT, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=10
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def git_info() -> dict:
    return {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def sqlite_version() -> str:
    return sqlite3.sqlite_version


def machine() -> dict:
    import django

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "sqlite": sqlite_version(),
        "speed_probe": speed_probe(),
    }


def speed_probe(runs: int = 5) -> dict:
    """Milliseconds of CPU time for one fixed pure-Python loop (a million additions), best
    and worst of `runs`: on a shared virtual machine the same code runs at different speeds
    from one minute to the next (seen here: 29 to 52 ms), so a figure is read beside this
    one."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i
        times.append(1000 * (time.process_time() - started))
    return {"python_loop_ms": {"best": round(min(times), 1), "worst": round(max(times), 1)}}


def load_average() -> float | None:
    """The 1-minute load average: a busy machine makes figures incomparable."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def header(name: str) -> dict:
    return {
        "benchmark": name,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git": git_info(),
        "machine": machine(),
    }


def write(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def one_line(engine: str, result: dict) -> str:
    if "skipped" in result:
        return f"  {engine}: skipped — {result['skipped']}"
    first, second = result["first_run"], result["second_run"]
    verdict = "meets" if result["meets_target"] else "below"
    return (
        f"  {engine}: {first['mentions_per_s']:,}/s first run ({first['seconds']} s), "
        f"{second['mentions_per_s']:,}/s re-run ({second['seconds']} s), "
        f"{result['rows_stored']:,} rows; {verdict} the target of "
        f"{result['target_mentions_per_s']:,}/s"
    )


def on_postgresql(server: str, database: str, run) -> dict:
    """`run(url)` against a fresh database `database` on `server` (made, then dropped),
    its result with the server's version; {"skipped": why} when the server can't be used."""
    try:
        import psycopg
    except ImportError as exc:  # the driver is a dependency; keep the benchmark honest anyway
        return {"skipped": f"psycopg is not installed: {exc}"}
    admin_url = f"{server}/postgres"
    drop = f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            conn.execute(drop)
            conn.execute(f'CREATE DATABASE "{database}"')
    except psycopg.Error as exc:
        return {"skipped": f"PostgreSQL at {server} is unreachable: {str(exc).strip()[:300]}"}
    try:
        result = run(f"{server}/{database}")
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(drop)
    result["server_version"] = version
    return result


def run_child(
    script: str, args: list[str], database_url: str, data_dir: Path, **extra_env: str
) -> dict:
    """Run `script --child ARGS` against `database_url` in a fresh process (the data folder,
    the database task backend, quiet logs, then `extra_env`); its last stdout line is its
    JSON result, the lines before it are echoed."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panal.settings",
        DATABASE_URL=database_url,
        PANAL_DATA_DIR=str(data_dir),
        PANAL_TASK_BACKEND="db",
        PANAL_LOG_LEVEL="ERROR",
        **extra_env,
    )
    done = subprocess.run(  # noqa: S603 - argv built from our own paths and numbers
        [sys.executable, script, "--child", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the benchmark child failed ({done.returncode})")
    return json.loads(lines[-1])


def each_engine(name: str, engines: list[str], pg_server: str, pg_database: str, run) -> dict:
    """`run(database_url, data_dir)` for each engine ("sqlite": a file in a temporary folder;
    "postgresql": a fresh database on `pg_server`, see on_postgresql) → {engine: result}."""
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix=f"panal-bench-{name}-"))
    results: dict = {}
    try:
        for engine in engines:
            print(f"{name}: {engine} …", flush=True)
            data_dir = work / engine
            data_dir.mkdir()
            if engine == "sqlite":
                results[engine] = run(f"sqlite:///{data_dir / 'bench.sqlite3'}", data_dir)
            elif engine == "postgresql":
                results[engine] = on_postgresql(
                    pg_server, pg_database, lambda url, d=data_dir: run(url, d)
                )
            else:
                raise SystemExit(f"unknown engine {engine!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results
