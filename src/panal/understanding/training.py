"""Train a model from JSON Lines files and write its directory (docs/understanding.md).

`train_files` is what `panal model train` runs: read the training file (and the dev file,
if any), fit, score on the dev examples, record where everything came from in the model
card, save. Without a dev file a stratified share of the training file is held out to
score the model and tune the out-of-scope threshold; the saved model is then refitted on
the whole file with the choices made on the held-out part (the out-of-scope threshold,
the embeddings' share of the blend, each label's threshold of a multi-label model).

A training file with a line of several labels (`"labels": [...]`) makes a multi-label
model (one binary model per label) even without `multilabel=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import engine, metrics
from .corpus import read_examples, stratified_split
from .engine import EngineParams, Model, Progress

HOLDOUT = 0.1
HOLDOUT_SEED = 13
DEV_SUMMARY = (
    "n",
    "accuracy",
    "macro_f1",
    "macro_recall",
    "in_scope_accuracy",
    "oos_recall",
    "label_set_f1",
)


@dataclass(frozen=True)
class Trained:
    model: Model
    path: Path
    dev: dict[str, Any] | None  # the dev scores, or None when there was nothing to score on


def train_files(
    *,
    task: str,
    train: Path | str,
    out: Path | str,
    dev: Path | str | None = None,
    oos_label: str | None = None,
    params: EngineParams | None = None,
    holdout: float = HOLDOUT,
    progress: Progress | None = None,
) -> Trained:
    say = progress or (lambda message: None)
    params = params or EngineParams()
    engine.check_out(Path(out))
    say(f"Reading {train}")
    corpus = read_examples(train)
    card: dict[str, Any] = {"training": {**corpus.describe()}}
    if not params.multilabel and any(len(e.label_set) > 1 for e in corpus.examples):
        say("Lines with several labels: training one model per label (multi-label)")
        params = replace(params, multilabel=True)
    if oos_label is not None and not any(e.label == oos_label for e in corpus.examples):
        card["training"]["note"] = f"no {oos_label!r} examples: out-of-scope means unsure only"
    if dev is not None:
        say(f"Reading {dev}")
        dev_corpus = read_examples(dev)
        dev_examples = dev_corpus.examples
        card["dev"] = {"source": "file", **dev_corpus.describe()}
        model = engine.train(
            corpus.examples,
            task=task,
            dev=dev_examples,
            oos_label=oos_label,
            params=params,
            progress=say,
            card=card,
        )
        dev_scores = _score(model, dev_examples, say)
    elif holdout > 0:
        kept, held = stratified_split(corpus.examples, holdout, HOLDOUT_SEED)
        if not held:
            raise engine.TrainingError("too few examples per label to hold any out for scoring")
        say(f"No dev file: holding out {len(held):,} texts ({holdout:.0%} of each label)")
        trial = engine.train(
            kept, task=task, dev=held, oos_label=oos_label, params=params, progress=say
        )
        dev_scores = _score(trial, held, say)
        card["dev"] = {
            "source": "holdout",
            "fraction": holdout,
            "seed": HOLDOUT_SEED,
            "lines": len(held),
            "note": "scored on a model fitted without these lines; the saved model "
            "was refitted on every line with the same choices",
        }
        say("Refitting on every training line")
        model = engine.train(
            corpus.examples,
            task=task,
            oos_label=oos_label,
            params=params,
            progress=say,
            card=card,
            oos_variant=trial.oos_variant,
            threshold=trial.threshold,
            blend=trial.dense.weight if trial.dense is not None else None,
            label_thresholds=trial.label_thresholds if trial.multilabel else None,
        )
        if "oos" in trial.card:
            model.card["oos"] = trial.card["oos"]
        if "label_sets" in trial.card:
            model.card["label_sets"] = {
                **trial.card["label_sets"],
                "texts": model.card["label_sets"]["texts"],
                "thresholds": "tuned per label for F1 on the held-out part, before the refit",
            }
        if "embeddings" in trial.card:
            model.card["embeddings"] = {
                **trial.card["embeddings"],
                "weight_chosen": "on the held-out part, before the refit",
            }
    else:
        model = engine.train(corpus.examples, task=task, params=params, progress=say, card=card)
        dev_scores = None
    if dev_scores is not None:
        model.card["dev"]["scores"] = {k: dev_scores.get(k) for k in DEV_SUMMARY}
    say(f"Saving to {out}")
    path = model.save(out)
    return Trained(model, path, dev_scores)


def _score(model: Model, examples, say: Progress) -> dict[str, Any]:
    say(f"Scoring on {len(examples):,} development texts")
    return metrics.evaluate(model, examples)
