"""The routing stage of the pipeline (docs/pipeline.md): after understanding, entities,
topics and threads, each mention goes where the engagement model, the playbooks and the
rules say, opening or joining a case (`routing.py`)."""

from panal.listening.pipeline import stage

from .routing import route_mentions


@stage("route", order=400)
def route(mentions) -> None:
    """Route each mention by the engagement model, playbooks and rules; open or join cases."""
    route_mentions(mentions)
