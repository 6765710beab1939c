"""Engagement tests build their cases by hand: ingestion here does not route, unless a
test is marked `routes` (then the pipeline's routing stage opens cases as in production)."""

import pytest

from panal.listening import pipeline


def pytest_configure(config):
    config.addinivalue_line("markers", "routes: ingestion runs the routing stage")


@pytest.fixture(autouse=True)
def _routing_by_hand(request, monkeypatch):
    if request.node.get_closest_marker("routes") is None:
        monkeypatch.delitem(pipeline._STAGES, "route", raising=False)
