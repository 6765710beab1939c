"""Intents: what a mention wants, and the shipped model that says it
(docs/understanding.md#intents).

The shipped model (`builtin:intent`) is the classifier engine in its multi-label form,
trained on Panal's own Spanish and English examples (`data/intent_*.jsonl`, see
data/README.md): one binary model per intent, each with its own threshold tuned on the
dev files. A mention gets every intent whose probability reaches that intent's threshold,
most probable first (a complaint that is also about billing and threatens a lawsuit gets
all three), and no intent at all ("none of these") when none does or the text has no
letter or digit.

`label_sets` also answers for single-label intent models (an organisation's model trained
before multi-label, with `label_threshold` in its card): the best label, every other one
whose probability reaches `label_threshold`, nothing when the best is `none`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import builtin, engine, metrics
from .corpus import Example, read_examples
from .engine import EngineParams, Model

NAME = "panal-intent"
BUILTIN = "builtin:intent"
NONE = "none"  # "nothing fits": the out-of-scope label
LABELS = [
    "praise", "complaint", "question", "purchase_intent", "technical_support", "billing",
    "media_opportunity", "product_idea", "competitor", "recruiting_hr", "legal_risk", "spam",
]  # fmt: skip
INTENT_C = 10.0  # engine's C, chosen on the dev files (docs/understanding.md#intents)
DEFAULT_LABEL_THRESHOLD = 0.35  # single-label models whose card lacks its tuned value
_HAS_WORD = re.compile(r"\w")


@functools.cache
def load() -> Model:
    """The shipped intent model, loaded once per process; a defect raises engine.ModelError."""
    return engine.load(BUILTIN)


def model_name(model: Model) -> str:
    return f"{NAME}@{model.card.get('version', '')}"


def label_sets(model: Model, texts: Sequence[str]) -> list[list[dict]]:
    """For each text, its intents as [{"label", "confidence"}], most probable first."""
    if not len(texts):
        return []
    if model.multilabel:
        return [
            [{"label": label, "confidence": round(p, 4)} for label, p in found if label != NONE]
            if _HAS_WORD.search(text)
            else []
            for text, found in zip(texts, model.predict_sets(texts), strict=True)
        ]
    threshold = float(model.card.get("label_threshold", DEFAULT_LABEL_THRESHOLD))
    return _sets(model, model.predict_proba(texts), threshold, texts)


def _sets(
    model: Model, proba: np.ndarray, threshold: float, texts: Sequence[str]
) -> list[list[dict]]:
    labels = model.labels
    oos_threshold = model.threshold or 0.0
    order = np.argsort(-proba, axis=1, kind="stable")
    out: list[list[dict]] = []
    for text, row, ranked in zip(texts, proba, order, strict=True):
        best = labels[ranked[0]]
        if best == NONE or row[ranked[0]] < oos_threshold or not _HAS_WORD.search(text):
            out.append([])
            continue
        found = [{"label": best, "confidence": round(float(row[ranked[0]]), 4)}]
        for j in ranked[1:]:
            if row[j] < threshold:
                break
            if labels[j] != NONE:
                found.append({"label": labels[j], "confidence": round(float(row[j]), 4)})
        out.append(found)
    return out


# --- the shipped model: how `panal train` rebuilds it ------------------------------------


def build(out: Path, extra: Sequence[Example] = ()) -> dict:
    """Train the shipped intent model on both languages' training files (one binary model
    per intent), tune each intent's threshold on their dev files, save to `out` and return
    the dev scores. `extra` examples are trained on too (an organisation's corrections,
    learning.py); examples with the same text are one text with all their intents."""
    data = builtin.DATA_DIR
    train = [read_examples(data / f"intent_{lang}.jsonl") for lang in ("es", "en")]
    dev = {lang: read_examples(data / f"intent_{lang}_dev.jsonl") for lang in ("es", "en")}
    dev_all = [e for corpus in dev.values() for e in corpus.examples]
    model = engine.train(
        [e for corpus in train for e in corpus.examples] + list(extra),
        task="intent",
        dev=dev_all,
        oos_label=NONE,
        params=EngineParams(c=INTENT_C, multilabel=True),
        card={"training": {"files": [c.describe() for c in train]}},
    )
    scores = {corpus.path.name: _summary(model, corpus.examples) for corpus in dev.values()}
    model.card.update(
        name=NAME,
        how=(
            "The engine, one binary logistic regression per intent (one-vs-rest), trained "
            "on Panal's own Spanish and English intent examples (data/intent_es.jsonl, "
            "data/intent_en.jsonl; see data/README.md), some with several intents; a text "
            "labelled `none` is a negative for every intent. C and each intent's threshold "
            "were chosen on the dev files, whose templates the model never saw."
        ),
        dev={
            "source": "file",
            "files": [c.describe() for c in dev.values()],
            "scores": _summary(model, dev_all),
        },
        scores=scores,
    )
    model.save(out)
    load.cache_clear()
    return {"label_thresholds": model.card["label_thresholds"], **scores}


SUMMARY = (
    "n", "accuracy", "macro_f1", "macro_recall", "oos_recall", "label_set_f1", "label_set_exact",
)  # fmt: skip


def _summary(model: Model, examples: list[Example]) -> dict:
    """The dev figures of the card: single-label scores of the main intent, and the
    label-set scores (`metrics.label_set_scores`)."""
    result = metrics.evaluate(model, examples)
    return {k: result.get(k) for k in SUMMARY}


builtin.register(builtin.Recipe("intent", build))
