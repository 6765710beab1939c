"""Managing API tokens: the `panal token` command and the admin."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from panal.api import services as tokens
from panal.api.models import ApiToken, hash_token
from panal.core import clock

from .conftest import URL, bearer

TOKEN_RE = re.compile(r"^pnl_[A-Za-z0-9_-]{43}$")


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the command -----------------------------------------------------------------


def test_create_prints_the_token_once_and_it_works(users, account):
    out, err = run("create", "agent", "--name", "crm sync")
    raw = out.strip()
    assert TOKEN_RE.match(raw), out
    assert "shown once" in err and raw not in err
    token = ApiToken.objects.get()
    assert token.user == users["agent"] and token.name == "crm sync"
    assert token.key_hash == hash_token(raw) and token.expires_at is None
    assert bearer(raw).get(URL).status_code == 200


def test_create_with_expiry(users):
    run("create", "agent", "--name", "week", "--expires-days", "7")
    token = ApiToken.objects.get()
    assert timedelta(days=6, hours=23) < token.expires_at - clock.now() <= timedelta(days=7)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create", "nobody", "--name", "x"], "No user 'nobody'"),
        (["create", "agent", "--name", "  "], "needs a name"),
        (["create", "agent", "--name", "x", "--expires-days", "0"], "at least 1"),
        (["revoke", "pnl_"], "at least the first 8"),
        (["revoke", "pnl_zzzzzzzz"], "No token starts with"),
    ],
)
def test_mistakes_are_explained(users, args, says):
    with pytest.raises(CommandError, match=says):
        run(*args)
    assert not ApiToken.objects.exists()


def test_list_shows_prefixes_and_status_never_secrets(users):
    live = tokens.create_token(users["agent"], "live")
    gone = tokens.create_token(users["analyst"], "gone")
    tokens.revoke_token(gone.token)
    out, _ = run("list")
    assert live.token.prefix in out and gone.token.prefix in out
    assert live.raw not in out and live.token.key_hash not in out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert " active " in lines[live.token.prefix]
    assert " revoked " in lines[gone.token.prefix]
    only_agent, _ = run("list", "--user", "agent")
    assert gone.token.prefix not in only_agent and live.token.prefix in only_agent


def test_list_with_no_tokens(db):
    assert run("list")[0].strip() == "No tokens."


def test_revoke_by_prefix_refuses_the_token(users, account):
    new = tokens.create_token(users["agent"], "t")
    assert bearer(new.raw).get(URL).status_code == 200
    out, _ = run("revoke", new.token.prefix)
    assert "Revoked" in out
    assert bearer(new.raw).get(URL).status_code == 401
    assert "already revoked" in run("revoke", new.raw)[0]  # the whole token works as prefix


def test_ambiguous_prefix_is_refused(users):
    a = tokens.create_token(users["agent"], "a")
    b = tokens.create_token(users["agent"], "b")
    ApiToken.objects.filter(pk=b.token.pk).update(prefix=a.token.prefix[:8] + "zzzz")
    with pytest.raises(CommandError, match="More than one"):
        run("revoke", a.token.prefix[:8])
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


# --- the admin -----------------------------------------------------------------------


@pytest.fixture
def admin_client(users):
    client = Client()
    client.force_login(users["tool_admin"])
    return client


def test_tool_admin_lists_tokens_by_prefix_without_hashes(admin_client, users):
    new = tokens.create_token(users["agent"], "crm sync")
    page = admin_client.get("/admin/api/apitoken/")
    assert page.status_code == 200
    html = page.content.decode()
    assert new.token.prefix in html and "crm sync" in html
    assert new.token.key_hash not in html and new.raw not in html
    change = admin_client.get(f"/admin/api/apitoken/{new.token.pk}/change/").content.decode()
    assert new.token.prefix in change
    assert new.token.key_hash not in change and "key_hash" not in change


def test_admin_add_shows_the_raw_token_once(admin_client, users):
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"user": users["agent"].pk, "name": "zapier"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'value="(pnl_[^"]+)"', response.content.decode())[1]
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(raw) and token.user == users["agent"]
    assert raw not in admin_client.get("/admin/api/apitoken/").content.decode()
    assert bearer(raw).get(URL).status_code == 200


def test_admin_revoke_action(admin_client, users):
    a = tokens.create_token(users["agent"], "a")
    b = tokens.create_token(users["analyst"], "b")
    response = admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [a.token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    notes = [str(m) for m in response.context["messages"]]
    assert len(notes) == 1 and notes[0].startswith("1 token")  # "1 token(s) revoked/revocado(s)"
    assert bearer(a.raw).get(URL).status_code == 401
    assert bearer(b.raw).get(URL).status_code == 200


def test_a_tool_admin_cannot_mint_a_token_for_a_superuser(admin_client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-long-enough")
    response = admin_client.post("/admin/api/apitoken/add/", {"user": root.pk, "name": "x"})
    assert response.status_code == 200
    assert list(response.context_data["adminform"].form.errors) == ["user"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", ["agent", "director", "analyst"])
def test_other_roles_cannot_reach_the_token_admin(users, role):
    client = Client()
    client.force_login(users[role])
    assert client.get("/admin/api/apitoken/").status_code in (302, 403)
