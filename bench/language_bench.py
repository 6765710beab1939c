"""Benchmark: language identification (`panal.understanding.language.detect`), accuracy and speed.

Accuracy on four sets of short social texts, each scored as accuracy (`und` counts as a
miss), the share left `und`, precision on the texts given a language, and per language:

- `seed_sentiment`: our own Spanish and English sentiment examples
  (src/panal/understanding/data/sentiment_*.jsonl, train and dev), language known by
  construction;
- `short_multilingual`: 175 short texts in es/en/pt/fr/it/de/ca written for this
  (src/panal/understanding/data/language_dev.jsonl; the thresholds were chosen looking
  at it, so its figure is a little optimistic);
- `demo`: 3,000 texts of the demo generator (seed 2011), language known by construction;
- `crisislex_dev`: CrisisLexT26's dev tweets in es/en/pt/fr/it/de (../shared/data). Their
  `lang` is langid.py's own guess, not a person's, and py3langid is its port: read this
  figure as agreement with langid.py, not as accuracy.

Speed: the demo texts, batches of 1,000, on one core, best of three passes. Writes
bench/results/language.json. See docs/benchmarks.md.

Run through `make bench` (bench/run.py) or alone: `.venv/bin/python bench/language_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

import common

NAME = "language"
SHARED = Path(os.environ.get("PANAL_SHARED_DATA", common.ROOT.parent / "shared" / "data"))
DATA = common.ROOT / "src" / "panal" / "understanding" / "data"
TARGET_TEXTS_PER_SECOND = 20_000
CRISISLEX_LANGUAGES = {"es", "en", "pt", "fr", "it", "de"}


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def eval_sets(demo_size: int) -> dict[str, list[tuple[str, str]]]:
    from panal.demo import content

    seed = [
        (row["text"], row["lang"])
        for name in ("sentiment_es", "sentiment_es_dev", "sentiment_en", "sentiment_en_dev")
        for row in _jsonl(DATA / f"{name}.jsonl")
    ]
    sets = {
        "seed_sentiment": seed,
        "short_multilingual": [
            (r["text"], r["label"]) for r in _jsonl(DATA / "language_dev.jsonl")
        ],
        "demo": [
            (d["text"], d["raw"]["demo_lang"])
            for d in content.mention_dicts(demo_size, seed=content.DEFAULT_SEED)
        ],
    }
    crisis = SHARED / "crisislex_t26" / "dev.jsonl"
    if crisis.exists():
        sets["crisislex_dev"] = [
            (r["text"], r["lang"]) for r in _jsonl(crisis) if r["lang"] in CRISISLEX_LANGUAGES
        ]
    return sets


def score(data: list[tuple[str, str]]) -> dict:
    from panal.understanding import language

    found = language.detect([text for text, _ in data])
    right = sum(d.lang == gold for d, (_, gold) in zip(found, data, strict=True))
    und = sum(d.lang == language.UND for d in found)
    total, per_right = Counter(), Counter()
    for d, (_, gold) in zip(found, data, strict=True):
        total[gold] += 1
        per_right[gold] += d.lang == gold
    return {
        "n": len(data),
        "accuracy": round(right / len(data), 4),
        "und_share": round(und / len(data), 4),
        "precision_when_decided": round(right / max(1, len(data) - und), 4),
        "per_language_accuracy": {
            lang: round(per_right[lang] / n, 4) for lang, n in total.most_common()
        },
    }


def speed(texts: list[str], passes: int = 3) -> dict:
    from panal.understanding import language

    language.load()
    language.detect(texts[:1000])  # warm
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if cpus:
        os.sched_setaffinity(0, {min(cpus)})
    try:
        best = float("inf")
        for _ in range(passes):
            started = time.perf_counter()
            for start in range(0, len(texts), 1000):
                language.detect(texts[start : start + 1000])
            best = min(best, time.perf_counter() - started)
    finally:
        if cpus:
            os.sched_setaffinity(0, cpus)
    return {
        "texts": len(texts),
        "batch": 1000,
        "one_core": bool(cpus),
        "seconds": round(best, 3),
        "texts_per_second": int(len(texts) / best),
        "target_texts_per_second": TARGET_TEXTS_PER_SECOND,
        "load_average": common.load_average(),
    }


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", type=int, default=3000, help="demo texts to score")
    parser.add_argument("--speed-texts", type=int, default=20_000, help="texts to time")
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    args = parser.parse_args(argv)
    from panal.understanding import language

    started = time.perf_counter()
    language.load()
    load_seconds = time.perf_counter() - started
    sets = eval_sets(args.demo)
    demo_texts = [t for t, _ in sets["demo"]]
    texts = (demo_texts * (args.speed_texts // max(1, len(demo_texts)) + 1))[: args.speed_texts]
    record = {
        **common.header(NAME),
        "model": language.MODEL,
        "candidate_languages": list(language.LANGUAGES),
        "load_seconds": round(load_seconds, 3),
        "accuracy": {name: score(data) for name, data in sets.items()},
        "speed": speed(texts),
    }
    common.write(args.out, record)
    for name, result in record["accuracy"].items():
        print(
            f"  {name}: accuracy {result['accuracy']:.3f} on {result['n']:,} "
            f"(und {result['und_share']:.3f}, precision {result['precision_when_decided']:.3f})"
        )
    print(f"  speed: {record['speed']['texts_per_second']:,} texts/s on one core")
    return record


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
