"""Benchmark: inbox search, the newest 50 matches of a listening query among 1,000,000 mentions.

A throwaway database is migrated, given the demo company (its brands and accounts) and an
agent, then filled with raw inserts inside one transaction: mentions made by the demo
generator (`panal.demo.content`, seed 2011; the first `--unique` generated mentions are
repeated, with new ids and times, up to `--mentions`, so words keep the demo's
frequencies), an understanding row for each (sentiment from the demo's category) and the
full-text rows (`search.body_of`, what the index stage writes). Then ANALYZE.

Each query of QUERIES is timed as the inbox answers it — `queries.inbox_page` for the
agent with the search box filled: the SQL superset, the exact check of the candidates
newest first, and the page's rows — once cold, then `--runs` times; median and worst of
those runs, against the target of 50 ms. Writes bench/results/search.json. See
docs/query.md#inbox-search.

Run through `make bench` (bench/run.py) or alone: `.venv/bin/python bench/search_bench.py`
(`--engines sqlite,postgresql`; PostgreSQL with `--pg-mentions`, 200,000 by default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import common

NAME = "search"
TARGET_MS = 50
PAGE = 50
SEED = 2011
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "panal_bench_search"
SENTIMENT = {"complaint": "negative", "praise": "positive", "outage": "negative"}

# (what it stands for, query)
QUERIES = [
    ("common word", "ceibo"),
    ("common word, English", "internet"),
    ("rare word", "portabilidad"),
    ("rarer word", "estafa"),
    ("no match", "zzyzx"),
    ("phrase", '"sin internet"'),
    ("phrase, English", '"customer service"'),
    ("phrase with slop", '"servicio pésimo"~3'),
    ("wildcard", "reembols*"),
    ("wildcard inside", "re*bolso"),
    ("OR", '(lento OR caída OR "sin señal")'),
    ("NOT", "ceibo NOT fibra"),
    ("NOT only", "NOT spam"),
    ("NEAR", "ceibo NEAR/3 lento"),
    ("hashtag", "#SinInternet"),
    ("handle", "@CeiboMovil"),
    ("field filter and word", "refund* lang:en"),
    ("field filters", "sentiment:negative channel:x"),
    ("field filter only", "channel:google_play"),
    ("OR of a word and a filter", "estafa OR channel:email"),
    ("URL filter (checked per row)", "url:play.google.com"),
    ("topic-like query", '(ceibo OR "ceibo fibra") AND (lento OR caída OR reembols*) NOT sorteo'),
]


# --- the child: one engine, in its own process ---------------------------------------------


def _mention_columns():
    """Mention's columns in table order, and a row of their defaults as stored."""
    from django.db import connection

    from panal.listening.models import Mention

    fields = list(Mention._meta.concrete_fields)
    columns = [f.column for f in fields]
    defaults = []
    for f in fields:
        value = f.get_default() if f.has_default() or not f.null else None
        defaults.append(f.get_db_prep_save(value, connection) if value is not None else None)
    return fields, columns, defaults


def _insert_sql(table: str, columns: list[str], values: str = "") -> str:
    values = values or ", ".join(["%s"] * len(columns))
    # Names from the models' own metadata and search.TABLE, never from input.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"  # noqa: S608


def _fill(n: int, unique: int, org, accounts, seed: int) -> dict:
    """`n` mentions, their understanding rows and their full-text rows, raw, in one go."""
    from django.db import connection, transaction

    from panal.demo import content
    from panal.listening import search
    from panal.understanding.models import Understanding

    fields, columns, defaults = _mention_columns()
    at = {c: i for i, c in enumerate(columns)}
    json_fields = {f.column: f for f in fields if f.get_internal_type() == "JSONField"}
    ops = connection.ops
    sql = _insert_sql("listening_mention", columns)
    u_fields = list(Understanding._meta.concrete_fields)
    u_columns = [f.column for f in u_fields]
    u_defaults = [
        f.get_db_prep_save(f.get_default(), connection) if not f.null else None for f in u_fields
    ]
    u_at = {c: i for i, c in enumerate(u_columns)}
    u_sql = _insert_sql("understanding_understanding", u_columns)
    if connection.vendor == "postgresql":
        fts_sql = _insert_sql(search.TABLE, ["mention_id", "doc"], "%s, to_tsvector('simple', %s)")
    else:
        fts_sql = _insert_sql(search.TABLE, ["rowid", "body"])
    kind = {a.slug: a.kind for a in content.ACCOUNTS}
    started = time.perf_counter()
    generated = [(m.account, m.data) for m in content.generate(unique, seed=seed)]
    generate_s = time.perf_counter() - started
    first_id, start = 10**15, datetime(2025, 1, 1, tzinfo=UTC)
    now = ops.adapt_datetimefield_value(datetime.now(UTC))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        batch, u_batch, f_batch = [], [], []
        for i in range(n):
            slug, data = generated[i % unique]
            mention_id = first_id + i
            account = accounts[slug]
            raw = data.get("raw") or {}
            row = list(defaults)
            values = {
                "id": mention_id,
                "organisation_id": org.id,
                "account_id": account.id,
                "brand_id": account.brand_id,
                "channel": kind[slug],
                "external_id": f"{data['external_id']}#{i}",
                "text": data.get("text", ""),
                "title": data.get("title", ""),
                "lang": data.get("lang") or raw.get("demo_lang", ""),
                "country": (raw.get("demo_country") or "")[:2],
                "url": data.get("url", ""),
                "author_handle": data.get("author_handle", ""),
                "author_display_name": data.get("author_display_name", ""),
                "created_at": ops.adapt_datetimefield_value(start + timedelta(seconds=30 * i)),
                "received_at": now,
                "content_hash": f"{i:064x}",
            }
            for column, value in values.items():
                row[at[column]] = value
            for column, f in json_fields.items():
                if row[at[column]] is None and not f.null:
                    row[at[column]] = json.dumps(f.get_default())
            batch.append(row)
            u_row = list(u_defaults)
            u_row[u_at["mention_id"]] = mention_id
            u_row[u_at["sentiment"]] = SENTIMENT.get(raw.get("demo_category", ""), "neutral")
            u_row[u_at["updated_at"]] = now
            u_batch.append(u_row)
            f_batch.append(
                (
                    mention_id,
                    search.body_of(
                        values["title"],
                        values["text"],
                        values["author_handle"],
                        values["author_display_name"],
                    ),
                )
            )
            if len(batch) >= 5000 or i == n - 1:
                cursor.executemany(sql, batch)
                cursor.executemany(u_sql, u_batch)
                cursor.executemany(fts_sql, f_batch)
                batch, u_batch, f_batch = [], [], []
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "generate_seconds": round(generate_s, 1),
        "insert_seconds": round(insert_s, 1),
        "analyze_seconds": round(time.perf_counter() - started, 1),
    }


def _time_queries(user, runs: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from panal.listening import queries, services

    out = []
    for what, text in QUERIES:
        filters = queries.InboxFilters(q=text)
        times = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            page = queries.inbox_page(services.visible_mentions(user), filters)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as sql:  # once more, untimed, to count
            queries.inbox_page(services.visible_mentions(user), filters)
        cold, warm = times[0], times[1:]
        median = statistics.median(warm)
        out.append(
            {
                "what": what,
                "query": text,
                "shown": len(page.mentions),
                "more": page.older_than is not None,
                "cold_ms": round(cold, 1),
                "median_ms": round(median, 1),
                "worst_ms": round(max(warm), 1),
                "sql_queries": len(sql.captured_queries),
                "meets_target": median <= TARGET_MS,
            }
        )
        print(
            f"    {what:<30} {text[:44]:<44} {median:7.1f} ms median, {max(warm):7.1f} worst, "
            f"{len(page.mentions)} shown",
            flush=True,
        )
    return out


def _matching_counts(org) -> dict:
    """How many stored mentions the full-text superset lets through, per query."""
    from panal.listening import search
    from panal.listening.models import Mention

    base = Mention.objects.filter(organisation=org)
    out = {}
    for _, text in QUERIES:
        ids = search.superset_ids(base, text)
        out[text] = None if ids is None else len(ids)
    return out


def build(mentions: int, unique: int) -> tuple:
    """Set Django up, migrate, make the demo company and its accounts and fill `mentions`
    rows (`_fill`): (organisation, the fill's timings, set-up seconds). Also used by
    backfill_bench.py."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from panal.demo import loader

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    org = loader.company()
    accounts = loader.accounts(org)
    fill = _fill(mentions, min(unique, mentions), org, accounts, SEED)
    setup_s = time.perf_counter() - started
    print(f"  {connection.vendor}: {mentions:,} mentions in {setup_s:.0f} s", flush=True)
    return org, fill, setup_s


def child(options: argparse.Namespace) -> dict:
    org, fill, setup_s = build(options.mentions, options.unique)
    from django.db import connection

    from panal.demo import builders
    from panal.org.choices import Role

    user = builders.member(org, Role.AGENT, username="bench-agent")
    results = _time_queries(user, options.runs)
    medians = [r["median_ms"] for r in results]
    return {
        "vendor": connection.vendor,
        "mentions": options.mentions,
        "unique_texts": min(options.unique, options.mentions),
        "setup_seconds": round(setup_s, 1),
        **fill,
        "runs": options.runs,
        "queries": results,
        "superset_sizes": _matching_counts(org) if options.sizes else None,
        "median_of_medians_ms": round(statistics.median(medians), 1),
        "worst_median_ms": max(medians),
        "queries_meeting_target": sum(r["meets_target"] for r in results),
    }


# --- the parent: one child per engine ----------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--pg-mentions", type=int, default=200_000)
    parser.add_argument("--unique", type=int, default=250_000, help="generated mentions")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--engines", default="sqlite", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--pg", default=os.environ.get("PANAL_BENCH_PG", PG_SERVER))
    parser.add_argument("--sizes", action="store_true", help="also count each superset")
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options)))
        return {}
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    load_before = common.load_average()

    def run(url: str, data_dir: Path, n: int) -> dict:
        args = ["--mentions", str(n), "--unique", str(options.unique), "--runs", str(options.runs)]
        args += ["--sizes"] if options.sizes else []
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
        "what": "queries.inbox_page for an agent with the search box filled: the newest 50 "
        "mentions a listening query matches exactly (SQL superset, then Query.matches on "
        "the candidates newest first), with the page's rows",
        "command": ".venv/bin/python bench/search_bench.py",
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "input": {
            "generator": "panal.demo.content.generate",
            "seed": SEED,
            "note": "PostgreSQL is filled with --pg-mentions (200,000 by default), not "
            "1,000,000: its raw inserts with to_tsvector take minutes more per 100,000",
        },
        "target_ms": TARGET_MS,
        "results": results,
    }
    common.write(options.out, record)
    for engine, result in results.items():
        if "skipped" in result:
            print(f"  {engine}: skipped — {result['skipped']}")
            continue
        print(
            f"  {engine}: {result['mentions']:,} mentions; median of medians "
            f"{result['median_of_medians_ms']} ms, worst median {result['worst_median_ms']} ms; "
            f"{result['queries_meeting_target']}/{len(result['queries'])} within {TARGET_MS} ms"
        )
    print(f"search: wrote {options.out}")
    return record


if __name__ == "__main__":
    main()
