"""Benchmark: 1,000 listening queries compiled together, matched against a stream of mentions.

The queries are made from the demo company's vocabulary (its brands and products, its
competitors, Spanish and English complaint and praise words, phrases, proximity,
wildcards, hashtags, handles, field filters and some NOTs), deterministically from a
seed. The mentions are the demo generator's (`panal.demo.content`, seed 2011), each with
its channel. Timed on one core, best of three passes: building each mention's `Doc` and
`Matcher.match` on it — what the live pipeline stage will do per mention — twice: with
the matcher's rarity guess, and with key frequencies measured on other demo mentions
(seed 7). The results are checked, mention by mention, against evaluating every query
on its own. Writes bench/results/query.json. See docs/query.md#benchmark.

Run through `make bench` (bench/run.py) or alone: `.venv/bin/python bench/query_bench.py`.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import common

NAME = "query"
TARGET_MENTIONS_PER_SECOND = 20_000

COMPLAINT_ES = [
    "lento", "lentísimo", "caída", "cayó", "falla", "fallando", "sin internet", "sin señal",
    "pésimo servicio", "cobro indebido", "reembols*", "cancelar", "estafa", "vergüenza",
    "no funciona", "técnico", "módem", "portabilidad", "factura*", "queja", "reclam*",
]  # fmt: skip
COMPLAINT_EN = [
    "slow", "outage", "refund*", "bad service", "terrible service", "cancel*", "billing",
    "overcharged", "no signal", "switching providers", "unacceptable", "scam", "support",
]  # fmt: skip
PRAISE = ["gracias", "excelente", "recomendad*", "buenísimo", "thanks", "great", "love"]
TOPICS = ["fibra", "5g", "roaming", "precio*", "oferta", "promo*", "plan", "cobertura"]
HASHTAGS = ["#SinInternet", "#PésimoServicio", "#Reclamo", "#AtenciónAlCliente", "#outage"]
HANDLES = ["@CeiboMovil", "@CeiboFibra", "@ceibo.oficial"]
NOISE = ["spam", "gratis", "sorteo", "follow", "promo", "bot"]


def _quote(term: str) -> str:
    return f'"{term}"' if " " in term else term


def _any(rng: random.Random, words: list[str], k: int) -> str:
    picked = rng.sample(words, min(k, len(words)))
    return (
        "(" + " OR ".join(_quote(w) for w in picked) + ")" if len(picked) > 1 else _quote(picked[0])
    )


def make_queries(n: int, seed: int = 1) -> list[str]:
    from panal.demo import phrases as P

    rng = random.Random(seed)
    brands = [*P.BRANDS.values(), *(k for ks in P.BRAND_KEYWORDS.values() for k in ks), "Ceibo"]
    products = [p for plans in P.PLANS.values() for p in plans] + [
        p for plans in P.PLANS_EN.values() for p in plans
    ]
    competitors = list(P.COMPETITORS)
    shapes = [
        lambda: _any(rng, brands, rng.randint(2, 5)),
        lambda: f"{_any(rng, brands, 2)} AND {_any(rng, COMPLAINT_ES, rng.randint(2, 6))}",
        lambda: f"{_any(rng, brands, 3)} {_any(rng, COMPLAINT_EN, rng.randint(2, 5))} lang:en",
        lambda: f"{_any(rng, competitors, rng.randint(1, 3))} NOT {_any(rng, NOISE, 2)}",
        lambda: f"{_any(rng, competitors, 2)} AND {_any(rng, TOPICS, 3)}",
        lambda: _quote(rng.choice(products)),
        lambda: f"{_quote(rng.choice(products))} AND {_any(rng, COMPLAINT_ES + COMPLAINT_EN, 3)}",
        lambda: (
            f'"{rng.choice(["servicio", "internet", "señal", "fibra"])} '
            f'{rng.choice(["pésimo", "lento", "caído", "malo"])}"~{rng.randint(1, 4)}'
        ),
        lambda: f"ceibo NEAR/{rng.randint(1, 5)} {_any(rng, COMPLAINT_ES, 3)}",
        lambda: f"{_any(rng, HASHTAGS + HANDLES, rng.randint(1, 3))} NOT {rng.choice(NOISE)}",
        lambda: (
            f"{_any(rng, brands, 2)} sentiment:negative channel:{rng.choice(['x', 'facebook'])}"
        ),
        lambda: f"{_any(rng, PRAISE, 3)} {_any(rng, brands, 2)} NOT (spam OR sorteo)",
        lambda: f"{_any(rng, TOPICS, 2)} {_any(rng, competitors + brands, 3)} lang:es",
    ]
    queries = []
    while len(queries) < n:
        queries.append(rng.choice(shapes)())
    return queries


def mention_stream(n: int, seed: int) -> list[dict]:
    from panal.demo import content

    kind = {a.slug: a.kind for a in content.ACCOUNTS}
    return [{**m.data, "channel": kind[m.account]} for m in content.generate(n, seed=seed)]


def _one_core():
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if cpus:
        os.sched_setaffinity(0, {min(cpus)})
    return cpus


def timed(matcher, items: list[dict], passes: int) -> tuple[float, int]:
    from panal.listening.query import Doc

    best, matched = float("inf"), 0
    for _ in range(passes):
        started = time.perf_counter()
        matched = 0
        for data in items:
            matched += len(matcher.match(Doc.from_dict(data)))
        best = min(best, time.perf_counter() - started)
    return best, matched


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--check", type=int, default=3000, help="mentions checked one by one")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    args = parser.parse_args(argv)
    from panal.listening.query import Doc, Matcher, Query, key_frequencies

    texts = make_queries(args.queries)
    started = time.perf_counter()
    queries = [Query(t) for t in texts]
    parse_seconds = time.perf_counter() - started
    items = mention_stream(args.mentions, seed=2011)
    frequencies = key_frequencies(Doc.from_dict(d) for d in mention_stream(2000, seed=7))
    started = time.perf_counter()
    guessed = Matcher(list(enumerate(queries)))
    build_seconds = time.perf_counter() - started
    measured = Matcher(list(enumerate(queries)), frequencies=frequencies)

    docs = [Doc.from_dict(d) for d in items[: args.check]]
    mismatches = 0
    alone_seconds = 0.0
    for data, doc in zip(items, docs, strict=False):
        started = time.perf_counter()
        alone = [i for i, q in enumerate(queries) if q.matches(doc)]
        alone_seconds += time.perf_counter() - started
        # Each matcher on a document of its own, not the one every query has just read.
        mismatches += guessed.match(Doc.from_dict(data)) != alone
        mismatches += measured.match(Doc.from_dict(data)) != alone
    evaluated = [len(measured.candidates(d)) for d in docs]  # in full, past the bits

    cpus = _one_core()
    try:
        timed(guessed, items[:1000], 1)  # warm
        guess_s, matched = timed(guessed, items, args.passes)
        measured_s, _ = timed(measured, items, args.passes)
        started = time.perf_counter()
        for data in items:
            Doc.from_dict(data)
        doc_s = time.perf_counter() - started
    finally:
        if cpus:
            os.sched_setaffinity(0, cpus)
    record = {
        **common.header(NAME),
        "queries": len(queries),
        "mentions": len(items),
        "one_core": bool(cpus),
        "parse_seconds": round(parse_seconds, 3),
        "build_seconds": round(build_seconds, 3),
        "matcher": measured.stats(),
        "matches": matched,
        "matches_per_mention": round(matched / len(items), 2),
        "queries_evaluated_per_mention": round(sum(evaluated) / len(evaluated), 2),
        "guessed_rarity": {
            "seconds": round(guess_s, 3),
            "mentions_per_s": int(len(items) / guess_s),
        },
        "measured_rarity": {
            "seconds": round(measured_s, 3),
            "mentions_per_s": int(len(items) / measured_s),
        },
        "doc_build_mentions_per_s": int(len(items) / doc_s),
        "identical_check": {
            "mentions": len(docs),
            "mismatches": mismatches,
            "one_at_a_time_mentions_per_s": int(len(docs) / alone_seconds),
        },
        "target_mentions_per_s": TARGET_MENTIONS_PER_SECOND,
        "meets_target": int(len(items) / max(guess_s, measured_s)) >= TARGET_MENTIONS_PER_SECOND,
        "load_average": common.load_average(),
    }
    common.write(args.out, record)
    print(
        f"  {len(queries):,} queries, {len(items):,} mentions on one core: "
        f"{record['guessed_rarity']['mentions_per_s']:,}/s (rarity guessed), "
        f"{record['measured_rarity']['mentions_per_s']:,}/s (rarity measured); "
        f"{record['queries_evaluated_per_mention']} queries evaluated in full per mention, "
        f"{record['matches_per_mention']} matches per mention; "
        f"{mismatches} mismatches against one-at-a-time on {len(docs):,} mentions"
    )
    return record


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
