"""Benchmark: the classifier engine trained and scored with `panal model` on the public sets.

For each data set in ../shared/data (the folder beside the repository, or PANAL_SHARED_DATA):
`panal model train`, then `panal model evaluate` of the saved model on texts that neither
the training nor the tuning saw, both as subprocesses on one core (BLAS and OpenMP limited
to one thread), once with the default (sparse) engine and once with `--embeddings e5`:

- BANKING77 has no dev split: a stratified 10% of its train file (seed 13,
  `panal.understanding.corpus.stratified_split`) is the test part; the model is trained on
  the other 90% without `--dev`, so `panal model train` holds out 10% of that to tune on
  and then refits on all of it (what anyone with only a train file does).
- CLINC150 (`--oos-label oos`) and Bitext: their dev file is split in two stratified halves
  (seed 13): `--dev` the first (thresholds and the embeddings' weight are chosen on it),
  scored on the second.

It also times loading each model and, for sparse models, batch prediction over the test
texts repeated ten times (the n-gram memory warm, as on a stream).
Writes bench/results/understanding.json. See docs/benchmarks.md.

Run through `make bench` (bench/run.py) or alone: `.venv/bin/python bench/understanding_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import common

from panal.understanding import engine
from panal.understanding.corpus import read_examples, stratified_split, write_examples

NAME = "understanding"
SHARED = Path(os.environ.get("PANAL_SHARED_DATA", common.ROOT.parent / "shared" / "data"))
HOLDOUT_SEED = 13
TARGETS = {
    "banking77": {"accuracy": 0.935},
    "clinc150": {"in_scope_accuracy": 0.95, "oos_recall": 0.50},
    "texts_per_second": 20_000,  # one classifier, batches of 1,000, one core
}
SETS = {
    "banking77": {"task": "intent", "oos": None, "dev": None},
    "clinc150": {"task": "intent", "oos": "oos", "dev": "dev.jsonl"},
    "bitext_customer_support": {"task": "intent", "oos": None, "dev": "dev.jsonl"},
}
ENGINES = {"sparse": ["--embeddings", "none"], "e5": ["--embeddings", "e5"]}
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def panal(*args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(ONE_CORE, PANAL_LOG_LEVEL="ERROR")
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - argv built from our own paths and words
        [str(common.PANAL), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"panal {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - started, done.stdout


def files_for(name: str, spec: dict, work: Path) -> tuple[Path, Path | None, Path, str]:
    """(train, dev or None, test, how the test part was made)."""
    folder = SHARED / name
    if spec["dev"]:
        tune, test = stratified_split(
            read_examples(folder / spec["dev"]).examples, 0.5, HOLDOUT_SEED
        )
        dev = write_examples(work / f"{name}-dev-tune.jsonl", tune)
        test_file = write_examples(work / f"{name}-dev-test.jsonl", test)
        how = (
            f"half of {name}/{spec['dev']} (stratified, seed {HOLDOUT_SEED}); the other half tunes"
        )
        return folder / "train.jsonl", dev, test_file, how
    kept, held = stratified_split(read_examples(folder / "train.jsonl").examples, 0.1, HOLDOUT_SEED)
    train = write_examples(work / f"{name}-train90.jsonl", kept)
    test_file = write_examples(work / f"{name}-test10.jsonl", held)
    how = (
        f"stratified 10% of {name}/train.jsonl, seed {HOLDOUT_SEED}; trained without --dev "
        "on the other 90% (10% of which held out to tune, then refitted)"
    )
    return train, None, test_file, how


def warm_speed(model_dir: Path, dev: Path, repeats: int = 10) -> dict:
    started = time.perf_counter()
    model = engine.load(model_dir)
    load_seconds = time.perf_counter() - started
    if not repeats:
        return {"load_seconds": round(load_seconds, 3)}
    texts = [e.text for e in read_examples(dev).examples] * repeats
    started = time.perf_counter()
    for start in range(0, len(texts), 1000):
        model.predict_labels(texts[start : start + 1000])
    seconds = time.perf_counter() - started
    return {
        "load_seconds": round(load_seconds, 3),
        "warm_texts": len(texts),
        "warm_texts_per_second": round(len(texts) / seconds),
    }


def run_set(name: str, spec: dict, work: Path, engine_name: str) -> dict:
    train, dev, test, test_source = files_for(name, spec, work)
    model_dir = work / f"{name}-{engine_name}-model"
    args = ["model", "train", "--task", spec["task"], "--train", str(train)]
    if dev is not None:
        args += ["--dev", str(dev)]
    if spec["oos"]:
        args += ["--oos-label", spec["oos"]]
    args += ENGINES[engine_name]
    train_seconds, train_out = panal(*args, "--out", str(model_dir), "--quiet")
    eval_seconds, eval_out = panal(
        "model", "evaluate", "--model", str(model_dir), "--test", str(test), "--no-per-label"
    )
    scores = json.loads(eval_out)
    card = json.loads((model_dir / "model.json").read_text())
    result = {
        "engine": engine_name,
        "test": test_source,
        "train_lines": card["training"]["lines"],
        "train_seconds": round(train_seconds, 1),
        "evaluate_seconds": round(eval_seconds, 2),
        "model_bytes": card["weights"]["bytes"],
        "features": card["features"],
        "threshold": card.get("threshold"),
        "oos_variant": (card.get("oos") or {}).get("variant"),
        "embeddings_weight": (card.get("embeddings") or {}).get("weight"),
        **{k: v for k, v in scores.items() if k not in {"model", "batch_size"}},
        **warm_speed(model_dir, test, repeats=10 if engine_name == "sparse" else 0),
    }
    result["train_summary"] = train_out.strip().splitlines()
    return result


def one_line(name: str, r: dict) -> str:
    parts = [f"accuracy {r['accuracy']:.2%}", f"macro F1 {r['macro_f1']:.2%}"]
    if r.get("in_scope_accuracy") is not None:
        parts += [f"in-scope {r['in_scope_accuracy']:.2%}", f"oos recall {r['oos_recall']:.2%}"]
    warm = f" ({r['warm_texts_per_second']:,} warm)" if "warm_texts_per_second" in r else ""
    parts += [
        f"{r['texts_per_second']:,} texts/s{warm}",
        f"trained in {r['train_seconds']} s",
        f"{r['model_bytes'] / 1e6:.1f} MB, loads in {r['load_seconds']} s",
    ]
    return f"  {name}: " + ", ".join(parts)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    options = parser.parse_args(argv)
    names = [n.strip() for n in options.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise SystemExit(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    load_before = common.load_average()
    work = Path(tempfile.mkdtemp(prefix="panal-bench-understanding-"))
    results: dict = {}
    try:
        for name in names:
            if not (SHARED / name / "train.jsonl").is_file():
                results[name] = {"skipped": f"no {SHARED / name / 'train.jsonl'}"}
                print(f"  {name}: skipped — {results[name]['skipped']}")
                continue
            for engine_name in [e.strip() for e in options.engines.split(",") if e.strip()]:
                key = name if engine_name == "sparse" else f"{name}+{engine_name}"
                print(f"understanding: {key} …", flush=True)
                results[key] = run_set(name, SETS[name], work, engine_name)
                print(one_line(key, results[key]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = {
        **common.header(NAME),
        "what": "panal model train on each public train file (tuned on a held-out part), "
        "panal model evaluate on texts neither training nor tuning saw; sparse engine and "
        "--embeddings e5 (the default); one core (OMP/OpenBLAS/MKL threads = 1)",
        "commands": [
            "panal model train --task intent --train TRAIN [--dev DEV_HALF] [--oos-label oos] "
            "--embeddings none|e5 --out DIR",
            "panal model evaluate --model DIR --test TEST --no-per-label",
        ],
        "data": str(SHARED),
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "targets": TARGETS,
        "results": results,
    }
    common.write(options.out, record)
    print(f"understanding: wrote {options.out}")
    return record


if __name__ == "__main__":
    main()
