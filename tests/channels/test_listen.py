"""`panal listen` as an operator runs it: a separate process, a real database file, a fake
Mastodon; it stores what comes, stops on SIGTERM with its cursor saved, and a restart
resumes from it (no gaps, no duplicates)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.mastodon import FakeMastodon

from .test_mastodon import SAMPLES, TOKEN, load, status_of

PANAL = Path(sys.executable).parent / "panal"


def panal(env, *args, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(  # noqa: S603 - our own argv
        [str(PANAL), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def site(tmp_path):
    db = tmp_path / "panal.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panal.settings",
        DATABASE_URL=f"sqlite:///{db}",
        PANAL_DATA_DIR=str(tmp_path),
        PANAL_TASK_BACKEND="db",
    )
    panal(env, "migrate", "--no-input")
    panal(env, "shell", "-c", "from panal.demo import builders; "
          "builders.organisation(slug='acme', name='Acme', brands=['Acme'])")  # fmt: skip
    me = load("account__verify_credentials.json")
    with FakeMastodon(TOKEN, me) as fake:
        panal(
            env, "channels", "add", "mastodon", "Acme en Mastodon", "--org", "acme",
            "--slug", "acme-masto", "--set", f"base_url={fake.base_url}",
            "--set", f"access_token={TOKEN}", "--set", "stream=false",
            "--set", "poll_interval=0.3", "--check",
        )  # fmt: skip
        yield env, db, fake


def mentions(db: Path) -> int:
    return count(db, "SELECT COUNT(*) FROM listening_mention")


def test_listen_stores_stops_on_sigterm_and_resumes(site):
    env, db, fake = site
    statuses = [status_of(load(name)) for name in SAMPLES if load(name).get("type") == "mention"]
    assert len(statuses) >= 3
    first, later = statuses[:2], statuses[2:]
    for status in first:
        fake.mention(status)
    listener = subprocess.Popen(  # noqa: S603 - our own argv
        [str(PANAL), "listen", "--account", "acme-masto"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: mentions(db) == len(first)), "the first mentions never arrived"
        listener.send_signal(signal.SIGTERM)
        out, err = listener.communicate(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
    assert listener.returncode == 0, err
    assert "Stopped; cursors are saved." in out
    cursor = count(db, "SELECT COUNT(*) FROM channels_cursor")
    assert cursor == 1
    # While nobody listens, more arrive; a restart picks up exactly those.
    for status in later:
        fake.mention(status)
    before = len(fake.seen("GET", r"/api/v1/notifications"))
    done = panal(env, "listen", "--once", "--account", "acme-masto")
    assert "acme-masto:" in done.stdout
    assert mentions(db) == len(statuses)
    resumed = fake.seen("GET", r"/api/v1/notifications")[before]
    assert resumed.arg("min_id") or resumed.arg("since_id"), "the restart sent the stored cursor"
    panal(env, "listen", "--once", "--account", "acme-masto")
    assert mentions(db) == len(statuses)  # nothing twice


def test_listen_names_accounts_it_cannot_use(site):
    env, _db, _fake = site
    done = panal(env, "listen", "--once", "--account", "nope", check=False)
    assert done.returncode == 1 and "no active polling or streaming account matches nope" in (
        done.stderr
    )


def test_unconfigured_accounts_are_named_and_left_alone(org):
    from panal.channels.runner import pulling_accounts
    from panal.demo import builders

    x = builders.channel_account(org, kind="x", slug="bare-x", name="X", secrets=[])
    masto = builders.channel_account(org, kind="mastodon", slug="bare-m", name="M", secrets=[])
    skipped: list = []
    assert pulling_accounts(skipped=skipped) == []
    reasons = {account.slug: missing for account, missing in skipped}
    assert reasons["bare-m"] == ["base_url", "access_token"]
    assert reasons["bare-x"] == ["bearer_token, user_access_token or consumer_secret"]
    x.credentials = {"consumer_secret": "webhooks-only"}
    x.save()
    skipped = []
    pulling_accounts(skipped=skipped)
    assert {a.slug: m for a, m in skipped}["bare-x"] == [
        "search_queries or user_id (or stream_rules)"
    ]
    x.settings = {"search_queries": ["acme"]}
    x.save()
    masto.settings = {"base_url": "https://masto.example"}
    masto.credentials = {"access_token": "t"}
    masto.save()
    skipped = []
    assert [a.slug for a in pulling_accounts(skipped=skipped)] == ["bare-m"]
    assert [(a.slug, m) for a, m in skipped] == [("bare-x", ["bearer_token"])]
