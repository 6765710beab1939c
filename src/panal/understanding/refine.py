"""The surer sentiment path, off the hot path (docs/pipeline.md, docs/understanding.md#sentiment).

The `understand` stage labels every mention with the fast sentiment path. The
`sentiment_refine` stage then picks the mentions of the batch whose fast confidence was
under the shipped model's threshold and queues one background task for them, after the
batch commits; the task (`refine_sentiment`) re-scores them on e5 embeddings (about a
hundred texts a second) and updates their `Understanding` sentiment, recording the
model as `<name>+e5`. A row an agent corrected (`sentiment_model` "agent:…") or one a
newer run rewrote meanwhile is left alone: the update only touches rows that still hold
the fast path's answer. An organisation's own model has no surer path (see
`builtin.build_sentiment`), so its mentions are not queued.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django_tasks import task

from panal.core import clock
from panal.listening.models import Mention
from panal.listening.pipeline import stage

from . import sentiment
from .models import Understanding
from .stages import text_of


@stage("sentiment_refine", order=165)
def queue_unsure_sentiment(mentions: list[Mention]) -> None:
    """Queue the mentions whose fast sentiment was unsure for the surer (e5) path."""
    ids = unsure_mentions([m.id for m in mentions])
    if ids:
        transaction.on_commit(lambda: refine_sentiment.enqueue(ids))


def unsure_mentions(mention_ids: Sequence[int]) -> list[int]:
    """Those of `mention_ids` whose sentiment is the shipped fast path's, with a
    confidence under its threshold."""
    model = sentiment.shipped()
    if model.refiner is None or not mention_ids:
        return []
    return list(
        Understanding.objects.filter(
            mention_id__any=mention_ids,
            sentiment_model=model.name,
            sentiment_confidence__lt=model.threshold,
        )
        .order_by("mention_id")
        .values_list("mention_id", flat=True)
    )


@task()
def refine_sentiment(mention_ids: list[int]) -> int:
    """Re-score these mentions' sentiment with the surer path; returns how many changed."""
    return refine(mention_ids)


def refine(mention_ids: Sequence[int]) -> int:
    """The surer path's sentiment for the mentions that still hold the fast path's answer
    (not an agent's correction, not a newer model's); returns how many rows it updated."""
    model = sentiment.shipped()
    if model.refiner is None or not mention_ids:
        return 0
    mentions = list(
        Mention.objects.filter(
            id__in=list(mention_ids),
            deleted_at__isnull=True,
            understanding__sentiment_model=model.name,
        )
        .only("id", "title", "text")
        .order_by("id")
    )
    if not mentions:
        return 0
    found = model.scores([text_of(m) for m in mentions], refine=True)
    now = clock.now()
    updated = 0
    with transaction.atomic():
        for m, (label, score, confidence) in zip(mentions, found, strict=True):
            # Only a row that still holds the fast answer: an agent's correction or a
            # newer run saved meanwhile wins.
            updated += Understanding.objects.filter(
                mention_id=m.id, sentiment_model=model.name
            ).update(
                sentiment=label,
                sentiment_score=round(score, 4),
                sentiment_confidence=round(confidence, 4),
                sentiment_model=model.refined_name,
                updated_at=now,
            )
    return updated
