"""Intents: what a mention wants, the `intent` pipeline stage and its shipped model
(docs/understanding.md#intents).

The shipped model (`builtin:intent`) is the classifier engine trained on Panal's own
Spanish and English examples (`data/intent_*.jsonl`, see data/README.md), with `none`
as its out-of-scope label. A mention gets every label whose probability reaches
`label_threshold` (tuned on the dev files and kept in the model card), at least its best
one, and no label at all when the best is `none` or the text has no letter or digit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from panal.core import clock
from panal.listening.models import Mention
from panal.listening.pipeline import stage

from . import builtin, engine, metrics
from .corpus import Example, read_examples
from .engine import EngineParams, Model
from .models import Understanding
from .stages import text_of

NAME = "panal-intent"
BUILTIN = "builtin:intent"
NONE = "none"  # "nothing fits": the out-of-scope label
LABELS = [
    "praise", "complaint", "question", "purchase_intent", "technical_support", "billing",
    "media_opportunity", "product_idea", "competitor", "recruiting_hr", "legal_risk", "spam",
]  # fmt: skip
INTENT_C = 10.0  # engine's C, chosen on the dev files (docs/understanding.md#intents)
DEFAULT_LABEL_THRESHOLD = 0.35  # used only when a card lacks its tuned value
THRESHOLDS = [round(t, 2) for t in np.arange(0.05, 1.0, 0.05)]
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


@stage("intent", order=170)
def classify_intents(mentions: list[Mention]) -> None:
    """The intents of each mention (multi-label, each with its confidence) and the model."""
    model = load()
    name = model_name(model)
    found = label_sets(model, [text_of(m) for m in mentions])
    now = clock.now()
    rows = [
        Understanding(mention_id=m.id, intents=intents, intent_model=name, updated_at=now)
        for m, intents in zip(mentions, found, strict=True)
    ]
    Understanding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["mention"],
        update_fields=["intents", "intent_model", "updated_at"],
        batch_size=500,
    )


# --- the shipped model: how `panal train` rebuilds it ------------------------------------


def _set_f1(model: Model, proba: np.ndarray, threshold: float, dev: list[Example]) -> float:
    """Mean F1 of each dev text's label set against its one gold label (`none` = no label)."""
    total = 0.0
    for found, e in zip(_sets(model, proba, threshold, [e.text for e in dev]), dev, strict=True):
        got = {f["label"] for f in found}
        if e.label == NONE:
            total += 0.0 if got else 1.0
        elif e.label in got:
            total += 2 / (len(got) + 1)
    return total / max(len(dev), 1)


def build(out: Path) -> dict:
    """Train the shipped intent model on both languages' training files, tune the
    out-of-scope threshold and the multi-label threshold on their dev files, save to
    `out` and return the dev scores."""
    data = builtin.DATA_DIR
    train = [read_examples(data / f"intent_{lang}.jsonl") for lang in ("es", "en")]
    dev = {lang: read_examples(data / f"intent_{lang}_dev.jsonl") for lang in ("es", "en")}
    dev_all = [e for corpus in dev.values() for e in corpus.examples]
    model = engine.train(
        [e for corpus in train for e in corpus.examples],
        task="intent",
        dev=dev_all,
        oos_label=NONE,
        params=EngineParams(c=INTENT_C),
        card={"training": {"files": [c.describe() for c in train]}},
    )
    proba = model.predict_proba([e.text for e in dev_all])
    label_threshold = max(THRESHOLDS, key=lambda t: (_set_f1(model, proba, t, dev_all), t))
    scores = {
        corpus.path.name: _summary(model, corpus.examples, label_threshold)
        for corpus in dev.values()
    }
    model.card.update(
        name=NAME,
        label_threshold=label_threshold,
        how=(
            "The engine trained on Panal's own Spanish and English intent examples "
            "(data/intent_es.jsonl, data/intent_en.jsonl; see data/README.md) with `none` "
            "as the out-of-scope label; C, the out-of-scope threshold and the multi-label "
            "threshold were chosen on the dev files, whose templates the model never saw."
        ),
        dev={
            "source": "file",
            "files": [c.describe() for c in dev.values()],
            "scores": _summary(model, dev_all, label_threshold),
        },
        scores=scores,
    )
    model.save(out)
    load.cache_clear()
    return {"label_threshold": label_threshold, **scores}


def _summary(model: Model, examples: list[Example], label_threshold: float) -> dict:
    result = metrics.evaluate(model, examples)
    summary = {k: result.get(k) for k in ("n", "accuracy", "macro_f1", "macro_recall")}
    summary["oos_recall"] = result.get("oos_recall")
    proba = model.predict_proba([e.text for e in examples])
    summary["label_set_f1"] = round(_set_f1(model, proba, label_threshold, examples), 4)
    return summary


builtin.register(builtin.Recipe("intent", build))
