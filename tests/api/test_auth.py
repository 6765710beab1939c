"""Who may call the API: API tokens and browser sessions, and who is refused."""

from datetime import timedelta

import pytest
from django.test import Client

from panal.api import services as tokens
from panal.api.models import ApiToken, hash_token
from panal.core import clock
from panal.org import services as org_services

from .conftest import URL, bearer


@pytest.fixture
def frozen_clock():
    start = clock.now().replace(microsecond=0)
    clock.set_now(start)
    yield start
    clock.set_now(None)


def assert_401(response, says: str):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert says in response.json()["detail"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_401_with_a_message(db, method):
    response = getattr(Client(), method)(URL)
    assert_401(response, "Authentication required")


def test_a_valid_token_acts_as_its_user(users, account):
    new = tokens.create_token(users["agent"], "crm sync")
    response = bearer(new.raw).get(URL)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_before": None}


def test_only_the_hash_is_stored(users):
    new = tokens.create_token(users["agent"], "crm sync")
    row = ApiToken.objects.get(pk=new.token.pk)
    assert new.raw.startswith("pnl_") and len(new.raw) > 40
    assert row.key_hash == hash_token(new.raw) != new.raw
    assert row.prefix == new.raw[:12]
    assert new.raw not in [str(v) for v in ApiToken.objects.values_list(flat=False).get()]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pnl_not-a-real-token",
        "Bearer not-even-our-format",
        "Bearer ",
        "Bearer pnl_" + "x" * 500,
    ],
)
def test_unknown_tokens_are_401(db, header):
    response = Client(headers={"Authorization": header}).get(URL)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_revoked_token_is_401(users):
    new = tokens.create_token(users["agent"], "old")
    assert bearer(new.raw).get(URL).status_code == 200
    tokens.revoke_token(new.token)
    assert_401(bearer(new.raw).get(URL), "invalid, expired or revoked")


def test_expired_token_is_401(users, frozen_clock):
    new = tokens.create_token(users["agent"], "short", expires_at=frozen_clock + timedelta(hours=1))
    assert bearer(new.raw).get(URL).status_code == 200
    clock.set_now(frozen_clock + timedelta(hours=1))
    assert_401(bearer(new.raw).get(URL), "invalid, expired or revoked")


def test_token_of_an_inactive_user_is_401(users):
    new = tokens.create_token(users["agent"], "t")
    users["agent"].is_active = False
    users["agent"].save()
    assert bearer(new.raw).get(URL).status_code == 401


def test_token_follows_the_users_current_roles(users, org):
    """A token carries no permissions of its own: leaving the organisation narrows it."""
    new = tokens.create_token(users["agent"], "t")
    assert bearer(new.raw).get(URL).status_code == 200
    org_services.deactivate_member(users["agent"].memberships.get(organisation=org))
    assert bearer(new.raw).get(URL).status_code == 403


def test_a_bad_token_is_refused_even_with_a_session(users):
    client = Client(headers={"Authorization": "Bearer pnl_wrong"})
    client.force_login(users["agent"])
    assert client.get(URL).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(users, frozen_clock):
    new = tokens.create_token(users["agent"], "t")
    client = bearer(new.raw)
    client.get(URL)
    assert ApiToken.objects.get().last_used_at == frozen_clock
    clock.set_now(frozen_clock + timedelta(seconds=59))
    client.get(URL)
    assert ApiToken.objects.get().last_used_at == frozen_clock
    clock.set_now(frozen_clock + timedelta(seconds=60))
    client.get(URL)
    assert ApiToken.objects.get().last_used_at == frozen_clock + timedelta(seconds=60)


def test_session_reads_without_csrf(client_for):
    assert client_for("agent").get(URL).status_code == 200


def test_session_writes_need_the_csrf_token(users, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["analyst"])
    body = {"account": account.slug, "mentions": [{"external_id": "c1", "text": "hola"}]}
    refused = client.post(URL, body, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/json")
    assert "CSRF" in refused.json()["detail"]

    client.cookies["csrftoken"] = "a" * 32
    accepted = client.post(
        URL, body, content_type="application/json", headers={"X-CSRFToken": "a" * 32}
    )
    assert accepted.status_code == 202, accepted.content


def test_tokens_need_no_csrf(users, account):
    new = tokens.create_token(users["analyst"], "t")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {new.raw}"})
    body = {"account": account.slug, "mentions": [{"external_id": "c1", "text": "hola"}]}
    assert client.post(URL, body, content_type="application/json").status_code == 202


def test_another_scheme_leaves_the_session_in_charge(users, caplog, settings):
    """A proxy's Basic auth in front of Panal does not hide the session (nor is it logged)."""
    settings.DEBUG = True  # ninja's stock bearer class logs the header in DEBUG
    client = Client(headers={"Authorization": "Basic cHJveHk6c2VjcmV0"})
    assert client.get(URL).status_code == 401
    client.force_login(users["agent"])
    assert client.get(URL).status_code == 200
    assert "cHJveHk6c2VjcmV0" not in caplog.text
