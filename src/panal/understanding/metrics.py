"""Scores of a model on labelled examples, as `panal model evaluate` prints them.

See docs/understanding.md.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .corpus import Example

if TYPE_CHECKING:
    from .builtin import Predictor

BATCH = 1000


def predict_timed(
    model: Predictor, texts: Sequence[str], batch_size: int = BATCH
) -> tuple[list[str], float]:
    """The predicted labels, in batches, and the seconds the predictions took."""
    predicted: list[str] = []
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        predicted += model.predict_labels(texts[start : start + batch_size])
    return predicted, time.perf_counter() - started


def scores(gold: Sequence[str], predicted: Sequence[str], oos_label: str | None = None) -> dict:
    """Accuracy, macro F1 and recall, and per-label precision / recall / F1 / support.

    The macro averages run over the labels present in `gold`: a label the model answers
    but the file never uses costs precision elsewhere, not a zero in the average. A gold
    label the model does not know is simply always wrong. With `oos_label`, also the
    in-scope accuracy (out-of-scope texts left out; answering out-of-scope to an in-scope
    text is an error) and the out-of-scope recall, when the file has both kinds.
    """
    n = len(gold)
    support = Counter(gold)
    answered = Counter(predicted)
    right = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    per_label: dict[str, dict[str, float | int]] = {}
    for label in sorted(set(support) | set(answered)):
        tp = right[label]
        precision = tp / answered[label] if answered[label] else 0.0
        recall = tp / support[label] if support[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support[label],
        }
    present = [per_label[label] for label in support]
    result: dict[str, Any] = {
        "n": n,
        "accuracy": round(sum(right.values()) / n, 4) if n else 0.0,
        "macro_f1": round(sum(float(s["f1"]) for s in present) / len(present), 4)
        if present
        else 0.0,
        "macro_recall": (
            round(sum(float(s["recall"]) for s in present) / len(present), 4) if present else 0.0
        ),
        "per_label": per_label,
    }
    if oos_label is not None:
        pairs = list(zip(gold, predicted, strict=True))
        in_scope = [(g, p) for g, p in pairs if g != oos_label]
        out = [p for g, p in pairs if g == oos_label]
        result["in_scope_accuracy"] = (
            round(sum(g == p for g, p in in_scope) / len(in_scope), 4) if in_scope else None
        )
        result["oos_recall"] = (
            round(sum(p == oos_label for p in out) / len(out), 4) if out else None
        )
    return result


def label_set_scores(
    gold: Sequence[Sequence[str]], found: Sequence[Sequence[str]], oos_label: str | None = None
) -> dict:
    """Scores of label sets (multi-label): `label_set_f1`, the mean over texts of the F1
    of the predicted set against the gold one (two empty sets agree; the out-of-scope
    label counts as the empty set), `label_set_exact` (share of sets exactly right), and
    `label_set_per_label` precision / recall / F1 / support per label over the sets."""
    gold_sets = [{g for g in labels if g != oos_label} for labels in gold]
    found_sets = [{f for f in labels if f != oos_label} for labels in found]
    total = exact = 0.0
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_found: Counter[str] = Counter()
    for g, f in zip(gold_sets, found_sets, strict=True):
        total += 1.0 if not g and not f else 2 * len(g & f) / (len(g) + len(f))
        exact += g == f
        tp.update(g & f)
        n_gold.update(g)
        n_found.update(f)
    per_label = {}
    for label in sorted(set(n_gold) | set(n_found)):
        precision = tp[label] / n_found[label] if n_found[label] else 0.0
        recall = tp[label] / n_gold[label] if n_gold[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": n_gold[label],
        }
    n = len(gold_sets)
    return {
        "label_set_f1": round(total / n, 4) if n else 0.0,
        "label_set_exact": round(exact / n, 4) if n else 0.0,
        "label_set_per_label": per_label,
    }


def evaluate(model: Predictor, examples: Sequence[Example], batch_size: int = BATCH) -> dict:
    """Score `model` (an engine model, or a built-in's wrapper) on `examples`, timing its
    batch predictions. The single-label scores compare each text's main label with the
    model's answer (a multi-label model's most probable label that passes its threshold);
    when the model is multi-label or the file has lines with several labels, the label-set
    scores are added (`label_set_scores`)."""
    texts = [e.text for e in examples]
    predicted, seconds = predict_timed(model, texts, batch_size)
    result = scores([e.label for e in examples], predicted, model.oos_label)
    predict_sets = getattr(model, "predict_sets", None)
    multi = getattr(model, "multilabel", False) or any(len(e.label_set) > 1 for e in examples)
    if multi and predict_sets is not None:
        found: list[list[str]] = []
        for start in range(0, len(texts), batch_size):
            found += [
                [label for label, _ in s] for s in predict_sets(texts[start : start + batch_size])
            ]
        result.update(label_set_scores([e.label_set for e in examples], found, model.oos_label))
    result["texts_per_second"] = round(len(texts) / seconds) if seconds > 0 else None
    result["batch_size"] = batch_size
    result["model"] = {
        "task": model.task,
        "created_at": model.card.get("created_at"),
        "weights_sha256": (model.card.get("weights") or {}).get("sha256"),
    }
    return result
