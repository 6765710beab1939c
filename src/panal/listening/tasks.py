"""Background entry points of the listening app."""

from django_tasks import task

from . import pipeline


@task()
def process_mentions(mention_ids: list[int]) -> int:
    """Run the pipeline over one ingested batch."""
    return pipeline.run(mention_ids)
