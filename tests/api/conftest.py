"""API fixtures: bearer-token clients per role and a helper that stores mentions."""

import pytest
from django.test import Client

from panal.api import services as tokens
from panal.listening import services
from panal.listening.normalise import parse_item

URL = "/api/v1/mentions"


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def api_for(users):
    """A client authenticated with a fresh API token of the user named after `role`."""

    def make(role: str) -> Client:
        return bearer(tokens.create_token(users[role], "tests").raw)

    return make


@pytest.fixture
def store(django_capture_on_commit_callbacks):
    """Ingest rows through the real service and run the pipeline; returns {external_id: id}."""

    def ingest(account, *rows) -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.ingest(account, [parse_item(r) for r in rows])
        return result.ids

    return ingest


@pytest.fixture
def post_batch(django_capture_on_commit_callbacks):
    """POST a batch to the API with the pipeline run after commit."""

    def post(client: Client, account: str, mentions: list, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                URL, {"account": account, "mentions": mentions},
                content_type="application/json", **extra,
            )  # fmt: skip

    return post
