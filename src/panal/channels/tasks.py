"""Background entry points of the channels app."""

from django_tasks import task


@task()
def drain_deliveries() -> int:
    """Parse and store the pushed deliveries waiting in the database."""
    from .deliveries import drain_all

    return drain_all()


@task()
def deliver_reply(outbound_id: int) -> str:
    """Send one queued reply through its channel; returns its status afterwards."""
    from .replies import deliver

    return deliver(outbound_id)
