"""The understanding stages of the pipeline (docs/pipeline.md, docs/understanding.md)."""

from __future__ import annotations

from collections import defaultdict

from panal.core import clock
from panal.listening.models import Mention
from panal.listening.pipeline import stage

from . import language, sentiment
from .models import Understanding

# Where a mention's language came from. The detector replaces its own earlier answer
# and fills a blank; it weighs the network's against its own; any other source (an
# agent's correction) is kept as it is.
DETECTED, NETWORK = "detected", "network"


def text_of(mention: Mention) -> str:
    """What the models read of a mention: its title (when it has one) and its text."""
    return f"{mention.title}\n{mention.text}" if mention.title else mention.text


@stage("language", order=150)
def identify_language(mentions: list[Mention]) -> None:
    """The language of each mention (ISO 639-1); the network's stays unless clearly wrong."""
    found = language.detect([text_of(m) for m in mentions])
    now = clock.now()
    changed: dict[tuple[str, str], list[int]] = defaultdict(list)
    rows = []
    for m, detection in zip(mentions, found, strict=True):
        if m.lang_source in ("", DETECTED, NETWORK):
            network = m.lang if m.lang_source == NETWORK else ""
            lang, source = language.choose(network, detection)
            lang = "" if lang == language.UND else lang  # blank means unknown on a Mention
            if (lang, source) != (m.lang, m.lang_source):
                m.lang, m.lang_source = lang, source
                changed[(lang, source)].append(m.id)
        rows.append(
            Understanding(
                mention_id=m.id, lang=detection.lang, lang_confidence=detection.confidence,
                lang_model=language.MODEL, updated_at=now,
            )
        )  # fmt: skip
    # One UPDATE per (language, source): a handful per batch, where bulk_update's CASE
    # over every row is several times slower.
    for (lang, source), ids in changed.items():
        for start in range(0, len(ids), 500):
            Mention.objects.filter(id__in=ids[start : start + 500]).update(
                lang=lang, lang_source=source
            )
    Understanding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["mention"],
        update_fields=["lang", "lang_confidence", "lang_model", "updated_at"],
        batch_size=500,
    )


@stage("sentiment", order=160)
def judge_sentiment(mentions: list[Mention]) -> None:
    """Negative, neutral or positive for each mention, with its score and confidence."""
    model = sentiment.shipped()
    found = model.scores([text_of(m) for m in mentions])
    now = clock.now()
    rows = [
        Understanding(
            mention_id=m.id, sentiment=label, sentiment_score=round(score, 4),
            sentiment_confidence=round(confidence, 4), sentiment_model=model.name,
            updated_at=now,
        )
        for m, (label, score, confidence) in zip(mentions, found, strict=True)
    ]  # fmt: skip
    Understanding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["mention"],
        update_fields=[
            "sentiment", "sentiment_score", "sentiment_confidence", "sentiment_model",
            "updated_at",
        ],
        batch_size=500,
    )  # fmt: skip
