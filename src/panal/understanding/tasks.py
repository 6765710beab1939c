"""Background entry points of the understanding app."""

from django_tasks import task

from . import learning


@task()
def retrain_model(org_model_id: int) -> str:
    """Train, judge and maybe promote one version of an organisation's model (the model
    page's button); returns the version's status."""
    return learning.run_training(org_model_id).status
