"""`panal channels add | set | list | check | kinds`, against Telegram's fake Bot API."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from panal.channels.models import ChannelAccount, Health
from tests.fakes.telegram import BOT_ID, BOT_USERNAME, FakeTelegram

TOKEN = "123456:ABC-cli"


@pytest.fixture
def fake():
    with FakeTelegram(TOKEN) as server:
        yield server


def run(*args) -> str:
    out = io.StringIO()
    call_command("channels", *args, stdout=out)
    return out.getvalue()


def test_add_then_check_a_telegram_bot(org, fake):
    out = run(
        "add", "telegram", "Soporte bot", "--org", "acme",
        "--set", f"base_url={fake.base_url}", "--set", f"token={TOKEN}", "--check",
    )  # fmt: skip
    account = ChannelAccount.objects.get(slug="soporte-bot")
    assert "/hooks/telegram/soporte-bot/" in out
    assert account.secrets[0] in out  # the webhook secret token, shown once
    assert account.credentials == {"token": TOKEN}
    assert "token" not in account.settings
    assert account.handle == BOT_USERNAME and str(BOT_ID) in account.self_ids
    assert account.health == Health.CONNECTED
    assert f"connected as {BOT_USERNAME}" in out


def test_a_rejected_token_fails_the_check(org, fake):
    run("add", "telegram", "Bot", "--org", "acme", "--set", f"base_url={fake.base_url}",
        "--set", "token=wrong")  # fmt: skip
    with pytest.raises(CommandError, match="rejected"):
        run("check", "bot")
    assert ChannelAccount.objects.get(slug="bot").health == Health.DISCONNECTED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "tokn=x"], "has no setting 'tokn'"),
        ([], "needs token"),
        (["--set", "token=x", "--set", "base_url=ftp:/x"], "must be a full URL"),
        (["--set", "token"], "key=value"),
    ],
)
def test_bad_settings_are_refused_by_name(org, args, message):
    with pytest.raises(CommandError, match=message):
        run("add", "telegram", "Bot", "--org", "acme", *args)
    assert not ChannelAccount.objects.filter(slug="bot").exists()


def test_unknown_kind_org_and_duplicate_slug(org, account):
    with pytest.raises(CommandError, match="unknown kind 'myspace'"):
        run("add", "myspace", "X", "--org", "acme")
    with pytest.raises(CommandError, match="no organisation"):
        run("add", "telegram", "X", "--org", "nope", "--set", "token=x")
    with pytest.raises(CommandError, match="exists already"):
        run("add", "api", "Acme hooks", "--org", "acme", "--slug", "acme-hooks")


def test_set_list_and_kinds(org, fake):
    run("add", "telegram", "Bot", "--org", "acme", "--set", "token=wrong",
        "--set", f"base_url={fake.base_url}")  # fmt: skip
    run("set", "bot", "--set", f"token={TOKEN}")
    assert ChannelAccount.objects.get(slug="bot").credentials["token"] == TOKEN
    assert "connected" in run("check", "bot")
    listing = run("list")
    assert "bot" in listing and "telegram" in listing and "connected" in listing
    kinds = run("kinds")
    assert "telegram" in kinds and "token" in kinds and "secret" in kinds
