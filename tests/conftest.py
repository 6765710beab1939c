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
