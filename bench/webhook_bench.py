"""Benchmark: webhook intake — signed Meta-style deliveries posted by a local load generator.

For each engine: a fresh database, `panal demo --bare`, one Facebook Page account made
with `panal channels add`, then `panal run --no-worker --no-listen` serving on a free
port. The load generator (asyncio, keep-alive connections, requests signed with
`X-Hub-Signature-256` before the clock starts) posts DELIVERIES page-feed deliveries
(1 to 3 comments each, Spanish and English, with every tenth delivery sent twice as
Meta's retries do). It records each 200's latency, then stops the server and drains
the stored deliveries (`panal listen --once`), and checks nothing was lost: every
distinct delivery stored once, every comment a mention.

Figures: deliveries accepted and stored per second (the 200 answers), p50/p99 latency
of the answer, and the background processing rate. Target: 2,000 deliveries/s with
p99 under 100 ms (issue 7). Results in bench/results/webhook.json.

Run: .venv/bin/python bench/webhook_bench.py [--deliveries N] [--connections C]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

NAME = "webhook"
TARGET_PER_S = 2000
TARGET_P99_MS = 100.0
APP_SECRET = "bench-app-secret-0123456789"  # noqa: S105 - a benchmark's own test secret
PAGE_ID = "1029384756"
ACCOUNT = "bench-page"
WARM_UP = 50  # deliveries before the clock starts
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "panal_bench_webhook"
TEXTS = [
    "El router se reinicia cada noche y nadie me da solución 😡",
    "Great service today, the technician fixed the fibre in ten minutes 👏",
    "¿Cuándo llega la fibra a Villaverde? Llevo meses esperando",
    "Your app logs me out every time I switch to mobile data",
    "Me han cobrado dos veces la factura de octubre, ¿me lo devolvéis?",
    "Any plans for a cheaper family plan? Asking for four phones",
]


def delivery(number: int, rng: random.Random) -> bytes:
    """One page-feed delivery as Meta sends it: compact JSON, non-ASCII escaped."""
    changes = []
    for k in range(rng.randint(1, 3)):
        comment = f"{number}{k:02d}"
        changes.append(
            {
                "field": "feed",
                "value": {
                    "item": "comment",
                    "verb": "add",
                    "post_id": f"{PAGE_ID}_777",
                    "comment_id": f"777_{comment}",
                    "parent_id": f"{PAGE_ID}_777",
                    "from": {"id": str(9_000_000 + number % 5000), "name": "Cliente Uno"},
                    "message": rng.choice(TEXTS),
                    "created_time": 1795000000 + number,
                },
            }
        )
    body = {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1795000000 + number, "changes": changes}],
    }
    # Meta escapes non-ASCII as \\uXXXX and "/" as "\\/"; the signature is over these bytes.
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def request_bytes(body: bytes, port: int) -> bytes:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (
        f"POST /hooks/facebook/{ACCOUNT}/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"X-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def client(port: int, requests: list[bytes], latencies: list[float], statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for raw in requests:
            started = time.perf_counter()
            writer.write(raw)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            code = int(status_line.split()[1]) if status_line else 0
            statuses[code] = statuses.get(code, 0) + 1
    finally:
        writer.close()


async def load(
    port: int, requests: list[bytes], connections: int
) -> tuple[list[float], dict, float]:
    latencies: list[float] = []
    statuses: dict = {}
    shares = [requests[i::connections] for i in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(client(port, share, latencies, statuses) for share in shares))
    return latencies, statuses, time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def panal(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(  # noqa: S603 - our own argv
        [str(common.PANAL), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"panal {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def count(env: dict, database_url: str, sql: str) -> int:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchone()[0]


def run_engine(database_url: str, data_dir: Path, n: int, connections: int, workers: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=database_url,
        PANAL_DATA_DIR=str(data_dir),
        PANAL_TASK_BACKEND="db",
        PANAL_LOG_LEVEL="ERROR",
    )
    panal(env, "migrate", "--no-input")
    panal(env, "demo", "--bare")
    panal(
        env, "channels", "add", "facebook", "Bench page", "--org", "ceibo", "--slug", ACCOUNT,
        "--set", f"app_secret={APP_SECRET}", "--set", "verify_token=bench",
        "--set", "page_access_token=bench-token", "--set", f"page_id={PAGE_ID}",
    )  # fmt: skip
    rng = random.Random(7)
    port = free_port()
    bodies = [delivery(i, rng) for i in range(n)]
    warm = [delivery(n + i, rng) for i in range(WARM_UP)]
    comments = sum(b.count(b'"comment_id"') for b in bodies + warm)
    order = list(bodies) + [bodies[i] for i in range(0, n, 10)]  # Meta's retries
    rng.shuffle(order)
    requests = [request_bytes(b, port) for b in order]
    server = subprocess.Popen(  # noqa: S603 - our own argv
        [str(common.PANAL), "run", "--no-worker", "--no-listen", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for(port)
        # Warm up each worker's imports and connections, outside the measurement.
        asyncio.run(load(port, [request_bytes(b, port) for b in warm], 4))
        latencies, statuses, seconds = asyncio.run(load(port, requests, connections))
    finally:
        server.terminate()
        server.wait(timeout=30)
    started = time.perf_counter()
    panal(env, "listen", "--once")
    drain_s = time.perf_counter() - started
    stored = count(env, database_url, "SELECT COUNT(*) FROM channels_inbounddelivery")
    mentions = count(
        env, database_url,
        "SELECT COUNT(*) FROM listening_mention m JOIN channels_channelaccount a"
        " ON a.id = m.account_id WHERE a.slug = 'bench-page'",
    )  # fmt: skip
    latencies.sort()
    per_s = len(requests) / seconds

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "deliveries_distinct": n,
        "requests": len(requests),
        "connections": connections,
        "server_workers": workers,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 2),
        "deliveries_per_s": round(per_s),
        "latency_ms": {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0)},
        "stored_deliveries": stored,
        "expected_deliveries": n + WARM_UP,
        "mentions_stored": mentions,
        "expected_mentions": comments,
        "drain_seconds_incl_start": round(drain_s, 2),
        "nothing_lost": stored == n + WARM_UP and mentions == comments,
        "meets_target": per_s >= TARGET_PER_S
        and pct(0.99) < TARGET_P99_MS
        and statuses.get(200, 0) == len(requests),
        "load_average": common.load_average(),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    record = common.header(NAME)
    record["target"] = {"deliveries_per_s": TARGET_PER_S, "p99_ms": TARGET_P99_MS}
    work = Path(tempfile.mkdtemp(prefix="panal-bench-webhook-"))
    results = {}
    try:
        for engine in args.engines.split(","):
            data_dir = work / engine
            data_dir.mkdir()
            print(f"{NAME}: {engine} …", flush=True)
            sizes = (args.deliveries, args.connections, args.workers)
            if engine == "sqlite":
                url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
                results[engine] = run_engine(url, data_dir, *sizes)
            else:
                results[engine] = common.on_postgresql(
                    PG_SERVER, PG_DATABASE, lambda url, d=data_dir, s=sizes: run_engine(url, d, *s)
                )
            r = results[engine]
            if "skipped" not in r:
                verdict = "meets" if r["meets_target"] else "below"
                print(
                    f"  {engine}: {r['deliveries_per_s']:,} deliveries/s,"
                    f" p99 {r['latency_ms']['p99']} ms, stored {r['stored_deliveries']:,},"
                    f" mentions {r['mentions_stored']:,} ({verdict} the target)"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record["results"] = results
    common.write(common.RESULTS / f"{NAME}.json", record)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
