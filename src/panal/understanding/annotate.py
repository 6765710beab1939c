"""The default path on plain texts, outside the pipeline: what `panal classify` writes
(docs/understanding.md#panal-classify).

The same functions the stages call (language.detect, the shipped sentiment model's
`scores`, intent.label_sets), so a file and the inbox get the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import intent, language, sentiment


def load() -> None:
    """Load every model now, so a broken install fails before the first line is read."""
    language.load()
    sentiment.shipped()
    intent.load()


def model_names() -> dict[str, str]:
    """name@version of each model the default path uses."""
    return {
        "language": language.MODEL,
        "sentiment": sentiment.shipped().name,
        "intent": intent.model_name(intent.load()),
    }


def annotate(texts: Sequence[str]) -> list[dict]:
    """For each text: lang, lang_confidence, sentiment, sentiment_score,
    sentiment_confidence and intents ([{"label", "confidence"}], most probable first)."""
    texts = list(texts)
    languages = language.detect(texts)
    feelings = sentiment.shipped().scores(texts)
    intents = intent.label_sets(intent.load(), texts)
    return [
        {
            "lang": found.lang,
            "lang_confidence": round(found.confidence, 4),
            "sentiment": label,
            "sentiment_score": round(score, 4),
            "sentiment_confidence": round(confidence, 4),
            "intents": labels,
        }
        for found, (label, score, confidence), labels in zip(
            languages, feelings, intents, strict=True
        )
    ]
