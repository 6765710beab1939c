"""What a mention's page shows of its understanding: the stored predictions, readable
labels, and for each intent the words that weighed most (docs/understanding.md#explanations).

Bounded: it explains one mention's intents, with the model already in memory.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from panal.listening.models import Mention

from . import labels, registry
from .engine import ModelError
from .models import Understanding
from .stages import text_of

WHY_WORDS = 5


@dataclass(frozen=True)
class IntentShown:
    label: str
    name: str
    confidence: float
    why: list[str]  # the words or word pairs that weighed most, highest first


@dataclass(frozen=True)
class Shown:
    row: Understanding
    sentiment_name: str
    intents: list[IntentShown]


def understanding_of(mention: Mention) -> Shown | None:
    """The mention's predictions with a short "why" per intent, or None before the
    pipeline has run on it. Reads `mention.understanding` (select it with the mention)."""
    row = getattr(mention, "understanding", None)  # a missing reverse one-to-one row
    if row is None:
        return None
    text = text_of(mention)
    model = None  # the page still shows the predictions, without the why
    if not (row.intent_model or "").startswith("agent:"):  # an agent's choice has no weights
        # The organisation's own model when it has one: the one that labelled it.
        with contextlib.suppress(ModelError):
            model = registry.for_org("intent", mention.organisation_id)
    shown = []
    for found in row.intents or []:
        label = str(found.get("label", ""))
        why: list[str] = []
        if model is not None and label in model.labels:
            why = _words_that_weighed(model, text, label)
        shown.append(
            IntentShown(
                label=label,
                name=labels.intent_label(label),
                confidence=float(found.get("confidence") or 0.0),
                why=why,
            )
        )
    return Shown(row=row, sentiment_name=labels.sentiment_label(row.sentiment), intents=shown)


def _words_that_weighed(model, text: str, label: str) -> list[str]:
    """The strongest positive features that read as words (not punctuation or emoji
    fragments of character n-grams), without repeats."""
    why: list[str] = []
    for feature, weight in model.explain(text, label, WHY_WORDS * 4):
        word = feature.strip()
        if weight > 0 and any(ch.isalnum() for ch in word) and word not in why:
            why.append(word)
        if len(why) == WHY_WORDS:
            break
    return why
