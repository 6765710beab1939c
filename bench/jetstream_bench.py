"""Benchmark: a Jetstream-like stream replayed from a local server into Panal (issue 7).

For each engine a fresh database is migrated and one Bluesky account is made whose
`jetstream_url` points at a local WebSocket server (tests/fakes/bluesky.py) that holds
pre-encoded Jetstream v1 post frames. `panal listen`'s own account thread
(`channels.runner.AccountRunner`) follows the stream from a stored cursor until it has
stored the last frame's cursor; the clock runs from the thread's start to then.

Two runs:
- `relevant`: every post names the tracked brand, so every frame becomes a stored
  mention (the worst case for storage) — posts ingested per second;
- `firehose`: one post in twenty names it, the rest is chatter the connector drops —
  frames read per second and mentions stored.

Each stored page queues its pipeline task on the database task backend, as in
production. Target: 5,000 posts/s ingested. Results in bench/results/jetstream.json.

Run: .venv/bin/python bench/jetstream_bench.py [--posts N] [--frames N] [--engines E,E]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

import common

sys.path.insert(0, str(common.ROOT))

NAME = "jetstream"
TARGET_PER_S = 5000
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "panal_bench_jetstream"


def follow(account, frames: list, jet, timeout: float) -> dict:
    """Run the account's stream thread until the cursor reaches the last frame."""
    from panal.channels import intake
    from panal.channels.runner import AccountRunner
    from panal.listening.models import Mention

    jet.load(frames)
    last = frames[-1][0]
    intake.save_cursor(account, {"time_us": frames[0][0] - 1})
    before = Mention.objects.filter(account=account).count()
    stop = threading.Event()
    runner = AccountRunner(account.pk, stop)
    started = time.perf_counter()
    runner.start()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if intake.load_cursor(account).get("time_us", 0) >= last:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    stop.set()
    runner.interrupt()
    runner.join(30)
    caught_up = intake.load_cursor(account).get("time_us", 0) >= last
    stored = Mention.objects.filter(account=account).count() - before
    return {
        "frames": len(frames),
        "seconds": round(seconds, 2),
        "caught_up": caught_up,
        "frames_per_s": round(len(frames) / seconds),
        "mentions_stored": stored,
        "mentions_per_s": round(stored / seconds),
    }


def child(options) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from tests.fakes.bluesky import FakeJetstream, synthetic_frames

    from panal.demo import builders

    call_command("migrate", verbosity=0)
    org = builders.organisation(slug="acme", name="Acme", brands=["Acme"])
    jet = FakeJetstream().start()
    try:
        account = builders.channel_account(
            org, kind="bluesky", slug="acme-bsky", name="Acme en Bluesky", secrets=[]
        )
        account.settings = {
            "base_url": "http://127.0.0.1:9",  # no XRPC calls while streaming
            "jetstream_url": jet.base_url,
            "identifier": "acme.bsky.social",
            "track": ["Acme"],
            "stream": True,
        }
        account.credentials = {"app_password": "unused-while-streaming"}
        account.self_ids = ["did:plc:acmebenchaccount00000000"]  # what `channels check` stores
        account.save()
        start = jet.tick() + 1
        relevant = synthetic_frames(options.posts, relevant_every=1, start_us=start)
        result = {"relevant": follow(account, relevant, jet, options.timeout)}
        start = relevant[-1][0] + 1000
        mixed = synthetic_frames(
            options.frames, relevant_every=20, start_us=start, seed=11, term="Acme"
        )
        result["firehose"] = follow(account, mixed, jet, options.timeout)
    finally:
        jet.stop()
    result["meets_target"] = (
        result["relevant"]["caught_up"] and result["relevant"]["mentions_per_s"] >= TARGET_PER_S
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000, help="all-relevant posts")
    parser.add_argument("--frames", type=int, default=400_000, help="firehose frames")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options)))
        return {}
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    load_before = common.load_average()
    args = ["--posts", str(options.posts), "--frames", str(options.frames)]
    args += ["--timeout", str(options.timeout)]
    results = common.each_engine(
        NAME,
        engines,
        PG_SERVER,
        PG_DATABASE,
        lambda url, d: common.run_child(__file__, args, url, d),
    )
    for engine, r in results.items():
        if "skipped" in r:
            print(f"  {engine}: skipped — {r['skipped']}")
            continue
        rel, fire = r["relevant"], r["firehose"]
        print(
            f"  {engine}: {rel['mentions_per_s']:,} posts/s stored (all relevant, "
            f"{rel['frames']:,}); firehose {fire['frames_per_s']:,} frames/s read, "
            f"{fire['mentions_stored']:,} stored; "
            f"{'meets' if r['meets_target'] else 'below'} the target of {TARGET_PER_S:,}/s"
        )
    record = {
        **common.header(NAME),
        "what": "Jetstream v1 frames replayed from a local WebSocket server into stored mentions",
        "command": ".venv/bin/python bench/jetstream_bench.py",
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "target_posts_per_s": TARGET_PER_S,
        "results": results,
    }
    common.write(common.RESULTS / f"{NAME}.json", record)
    return record


if __name__ == "__main__":
    main()
