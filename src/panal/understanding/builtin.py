"""The models shipped inside Panal and how `panal train` rebuilds them (docs/understanding.md).

Each shipped model has a `Recipe`: a name (the directory under `models/`, and
`builtin:NAME`) and a `build(out)` that trains it from the repository's data into `out`
and returns its dev scores. Recipes register with `register`, built-ins the same way a
later one would; `panal train` runs them all, in registration order.

`predictor(name)` answers what `panal model evaluate` scores: the built-ins that are not
plain engine models (`builtin:language`, `builtin:sentiment`) by their own wrapper,
anything else through `engine.load`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import engine, language, metrics, sentiment
from .corpus import Example, read_examples
from .engine import EngineParams

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Recipe:
    name: str
    build: Callable[[Path], dict]  # out directory → the dev scores


_RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    """Add (or replace) a shipped model's recipe."""
    _RECIPES[recipe.name] = recipe
    return recipe


def recipes() -> list[Recipe]:
    return list(_RECIPES.values())


class Predictor(Protocol):
    """What `metrics.evaluate` scores."""

    task: str
    card: dict[str, Any]
    oos_label: str | None

    def predict_labels(self, texts: Sequence[str]) -> list[str]: ...


@dataclass
class LanguagePredictor:
    """`language.detect` answering like a model: an ISO 639-1 code per text, or `und`."""

    task: str = "language"
    oos_label: str | None = None

    @property
    def card(self) -> dict[str, Any]:
        return {"task": "language", "model": language.MODEL}

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        return [d.lang for d in language.detect(list(texts))]


_PREDICTORS: dict[str, Callable[[], Predictor]] = {
    "builtin:language": LanguagePredictor,
    sentiment.BUILTIN: sentiment.load,
}


def predictor(name: str) -> Predictor:
    """The model `name` names, ready to score; defects raise engine.ModelError."""
    make = _PREDICTORS.get(name)
    return make() if make else engine.load(name)


# --- sentiment ------------------------------------------------------------------------

SENTIMENT_C = 3.0  # engine's C, chosen on the dev files (docs/understanding.md#sentiment)
LEXICON_WEIGHTS = [round(w, 2) for w in np.arange(0, 4.01, 0.25)]


def build_sentiment(out: Path) -> dict:
    """Train the shipped sentiment model on both languages' training files, choose the
    lexicon's weight on their dev files, save to `out` and return the dev scores."""
    train = [read_examples(DATA_DIR / f"sentiment_{lang}.jsonl") for lang in ("es", "en")]
    dev = {lang: read_examples(DATA_DIR / f"sentiment_{lang}_dev.jsonl") for lang in ("es", "en")}
    examples = [e for corpus in train for e in corpus.examples]
    dev_all = [e for corpus in dev.values() for e in corpus.examples]
    model = engine.train(
        examples,
        task="sentiment",
        params=EngineParams(c=SENTIMENT_C),
        card={"training": {"files": [c.describe() for c in train]}},
    )
    best = max(
        LEXICON_WEIGHTS,
        key=lambda w: (_macro_f1(sentiment.SentimentModel(model, w), dev_all), -w),
    )
    blended = sentiment.SentimentModel(model, best)
    scores = {corpus.path.name: _summary(blended, corpus.examples) for corpus in dev.values()}
    engine_only = {
        corpus.path.name: _summary(sentiment.SentimentModel(model, 0.0), corpus.examples)
        for corpus in dev.values()
    }
    model.card.update(
        name=sentiment.NAME,
        lexicon_weight=best,
        how=(
            "The engine trained on Panal's own Spanish and English examples "
            "(data/sentiment_es.jsonl, data/sentiment_en.jsonl; see data/README.md), "
            "blended with Panal's own polarity lexicon (understanding/sentiment.py); the "
            "lexicon's weight and the engine's C were chosen on the dev files, which the "
            "model never trained on."
        ),
        dev={
            "source": "file",
            "files": [c.describe() for c in dev.values()],
            "scores": _summary(blended, dev_all),
        },
        scores=scores,
        scores_engine_only=engine_only,
    )
    model.save(out)
    return {"lexicon_weight": best, **scores}


def _macro_f1(model: sentiment.SentimentModel, examples: list[Example]) -> float:
    return metrics.scores([e.label for e in examples], model.predict_labels(
        [e.text for e in examples]
    ))["macro_f1"]  # fmt: skip


def _summary(model: sentiment.SentimentModel, examples: list[Example]) -> dict:
    result = metrics.scores(
        [e.label for e in examples], model.predict_labels([e.text for e in examples])
    )
    return {k: result[k] for k in ("n", "accuracy", "macro_f1", "macro_recall")}


register(Recipe("sentiment", build_sentiment))
