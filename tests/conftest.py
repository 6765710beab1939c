"""Shared fixtures: a small organisation with one user per role and a webhook account."""

import pytest
from django.test import Client

from panal.demo import builders
from panal.org.choices import Role

PASSWORD = "correct-horse-battery"


@pytest.fixture
def org(db):
    return builders.organisation(slug="acme", name="Acme", brands=["Acme Móvil", "Acme Hogar"])


@pytest.fixture
def other_org(db):
    return builders.organisation(slug="other", name="Other Co", brands=["Other"])


@pytest.fixture
def users(org):
    """One user per role (username = role code), each also in "everyone" except advocates."""
    return {role: builders.member(org, role, password=PASSWORD) for role in Role.values}


@pytest.fixture
def account(org):
    return builders.channel_account(org, kind="api", slug="acme-hooks", name="Acme webhook")


@pytest.fixture
def client_for(users):
    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def add(account, django_capture_on_commit_callbacks):
    """Ingest rows through the real service and pipeline; return the stored mentions."""
    from panal.listening import services
    from panal.listening.models import Mention
    from panal.listening.normalise import parse_item

    def add(*rows, to=None):
        with django_capture_on_commit_callbacks(execute=True):
            result = services.ingest(to or account, [parse_item(r) for r in rows])
        by_id = Mention.objects.in_bulk([result.ids[r["external_id"]] for r in rows])
        return [by_id[result.ids[r["external_id"]]] for r in rows]

    return add
