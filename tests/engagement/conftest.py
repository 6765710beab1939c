"""Engagement tests build their cases by hand: ingestion here does not route, unless a
test is marked `routes` (then the pipeline's routing stage opens cases as in production)."""

import pytest
from django.utils import translation

from panal.core import clock
from panal.listening import pipeline


def pytest_configure(config):
    config.addinivalue_line("markers", "routes: ingestion runs the routing stage")


@pytest.fixture(autouse=True)
def _routing_by_hand(request, monkeypatch):
    if request.node.get_closest_marker("routes") is None:
        monkeypatch.delitem(pipeline._STAGES, "route", raising=False)


@pytest.fixture(autouse=True)
def frozen(request):
    """A test module that defines `NOW` runs with the clock frozen there."""
    now = getattr(request.module, "NOW", None)
    if now is None:
        yield None
        return
    clock.set_now(now)
    yield now
    clock.set_now(None)


@pytest.fixture
def client_en(client_for):
    """A signed-in client that reads the pages in English (the source strings)."""

    def make(role):
        client = client_for(role)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English, the source; Spanish is checked by the browser
    stories and the translation files."""
    with translation.override("en"):
        yield
