"""The default path on plain texts, outside the pipeline: what `panal classify` writes
(docs/understanding.md#panal-classify).

The same functions the stages call (language.detect, the sentiment model's `scores`,
intent.label_sets, urgency.score, the entity matcher), so a file and the inbox get the
same answers. With an organisation, its own models and its catalogue answer, as in its
inbox; without one, the shipped models and the place list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import entities, intent, language, registry, urgency


@dataclass
class Models:
    sentiment: Any
    intent: Any
    matcher: entities.Matcher


def load(organisation_id: int | None = None) -> Models:
    """Every model, loaded now, so a broken install fails before the first line is read."""
    language.load()
    if organisation_id is None:
        matcher = entities.compile_matcher([], [])
    else:
        matcher = entities.matchers_for([organisation_id])[organisation_id]
    return Models(
        sentiment=registry.for_org("sentiment", organisation_id),
        intent=registry.for_org("intent", organisation_id),
        matcher=matcher,
    )


def model_names(models: Models) -> dict[str, str]:
    """name@version of each model the default path uses."""
    return {
        "language": language.MODEL,
        "sentiment": models.sentiment.name,
        "intent": intent.model_name(models.intent),
        "urgency": urgency.MODEL,
        "entities": entities.MODEL,
    }


def _first(record: Mapping, *keys: str) -> Any:
    for key in keys:
        value = record.get(key)
        if value is not None:
            return value
    author = record.get("author")
    if isinstance(author, Mapping):
        for key in keys:
            value = author.get(key.removeprefix("author_"))
            if value is not None:
                return value
    return None


def _signals(text: str, record: Mapping, feeling: tuple, labels: list[dict]) -> urgency.Signals:
    """What urgency weighs, from a line's own fields where it has them (the names
    `panal ingest` reads: visibility, author_followers, author_verified, …)."""
    followers = _first(record, "author_followers", "followers")
    visibility = record.get("visibility")
    return urgency.Signals(
        text=text,
        visibility=visibility if visibility in ("public", "private", "unlisted") else "public",
        followers=followers if isinstance(followers, int) and followers >= 0 else None,
        verified=_first(record, "author_verified", "verified") is True,
        is_bot=_first(record, "author_is_bot", "is_bot") is True,
        author_name=str(_first(record, "author_display_name", "display_name") or ""),
        author_handle=str(_first(record, "author_handle", "handle") or ""),
        author_description=str(_first(record, "author_description", "description") or ""),
        sentiment=feeling[0],
        sentiment_score=feeling[1],
        intents=labels,
    )


def annotate(
    texts: Sequence[str], models: Models, records: Sequence[Mapping] | None = None
) -> list[dict]:
    """For each text: lang, lang_confidence, sentiment, sentiment_score,
    sentiment_confidence, intents ([{"label", "confidence"}], most probable first),
    urgency, urgency_level, urgency_reasons and entities. `records`, when given, are the
    lines the texts came from; urgency reads their author and visibility fields."""
    texts = list(texts)
    records = records if records is not None else [{} for _ in texts]
    languages = language.detect(texts)
    feelings = models.sentiment.scores(texts)
    intents = intent.label_sets(models.intent, texts)
    out = []
    for text, record, found, feeling, labels in zip(
        texts, records, languages, feelings, intents, strict=True
    ):
        label, score, confidence = feeling
        judged = urgency.score(_signals(text, record, (label, score), labels))
        out.append(
            {
                "lang": found.lang,
                "lang_confidence": round(found.confidence, 4),
                "sentiment": label,
                "sentiment_score": round(score, 4),
                "sentiment_confidence": round(confidence, 4),
                "intents": labels,
                "urgency": judged.score,
                "urgency_level": judged.level,
                "urgency_reasons": judged.reasons,
                "entities": models.matcher.find(text),
            }
        )
    return out
