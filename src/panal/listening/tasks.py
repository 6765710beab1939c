"""Background entry points of the listening app."""

from django_tasks import task

from . import pipeline


@task()
def process_mentions(mention_ids: list[int]) -> int:
    """Run the pipeline over one ingested batch."""
    return pipeline.run(mention_ids)


@task()
def backfill_topic(backfill_id: int) -> int:
    """Run one queued backfill; returns the matches it added."""
    from .models import Backfill
    from .topics import run_backfill

    backfill = Backfill.objects.select_related("topic").filter(id=backfill_id).first()
    if backfill is None or backfill.status == Backfill.Status.DONE:
        return 0
    return run_backfill(backfill).added
