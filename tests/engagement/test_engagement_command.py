"""`panal engagement diagnose|simulate` through call_command: output and exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .test_diagnose import NOW as DIAGNOSE_NOW
from .test_diagnose import centralized, decentralized
from .test_simulate import HOURS, NOW, SLA, a_week_of_mentions, sla_example


def run(*args) -> tuple[str, str, int]:
    """Run `panal engagement …`; returns (stdout, stderr, exit code)."""
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("engagement", *args, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        err.write(f"{exc}\n")
    return out.getvalue(), err.getvalue(), code


@pytest.fixture
def at_noon():
    from panal.core import clock

    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def configured(org):
    from panal.engagement.models import EngagementConfig

    EngagementConfig.objects.update_or_create(
        organisation=org, defaults={"business_hours": HOURS, "sla": SLA}
    )


# --- diagnose -----------------------------------------------------------------------------


def test_diagnose_prints_the_verdict_and_evidence(org):
    from panal.core import clock

    centralized(org)
    clock.set_now(DIAGNOSE_NOW)
    try:
        out, err, code = run("diagnose", "--org", "acme")
    finally:
        clock.set_now(None)
    assert (code, err) == (0, "")
    assert "configured model: hub_and_spoke" in out
    assert "practised model: centralized (fit 1.00" in out
    assert "differs from the configured one" in out
    assert "hub_first" in out
    assert "34 cases were opened in the last 90 days" in out


def test_diagnose_json(org):
    from panal.core import clock

    decentralized(org)
    clock.set_now(DIAGNOSE_NOW + timedelta(days=1))
    try:
        out, _err, code = run("diagnose", "--org", "acme", "--days", "30", "--json")
    finally:
        clock.set_now(None)
    assert code == 0
    data = json.loads(out)
    assert (data["model"], data["matches"], data["days"]) == ("decentralized", False, 30)
    assert data["cases"]["measured"] == 24
    assert data["scores"]["decentralized"] == 1.0


def test_diagnose_without_enough_cases_says_so(org):
    out, _err, code = run("diagnose", "--org", "acme")
    assert code == 0
    assert "practised model: no verdict (too little data)" in out
    assert "Too little data for a verdict" in out


# --- simulate -----------------------------------------------------------------------------


def test_simulate_prints_both_models_per_team(org, account, configured, at_noon):
    a_week_of_mentions(account)
    out, err, code = run("simulate", "--org", "acme", "--model", "decentralized", "--days", "7")
    assert (code, err) == (0, "")
    assert "14 mentions in the last 7 days: 9 cases, 1 joined" in out
    assert "decentralized" in out and "hub_and_spoke" in out
    hub_line = next(line for line in out.splitlines() if "customer-service" in line)
    assert "4 (44 %)" in hub_line and "9 (100 %)" in hub_line


def test_simulate_json(org, account, configured, at_noon):
    sla_example(org, account)
    out, _err, code = run(
        "simulate", "--org", "acme", "--model", "decentralized", "--days", "1", "--json"
    )
    assert code == 0
    data = json.loads(out)
    hub = data["proposed"]["teams"][0]
    assert (hub["cases"], hub["met"], hub["median_minutes"], hub["p90_minutes"]) == (
        4, 3, 23.5, 37.0,
    )  # fmt: skip
    assert data["current"]["model"] == "hub_and_spoke"
    assert data["current"]["met"] == 4


# --- refusals: exit code 2, naming what is wrong --------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("diagnose", "--org", "nope"),
        ("simulate", "--org", "nope", "--model", "centralized", "--days", "7"),
    ],
)
def test_an_unknown_organisation_is_named(db, args):
    _out, err, code = run(*args)
    assert code == 2
    assert "no organisation 'nope'" in err


def test_an_unknown_model_lists_the_valid_ones(org):
    _out, err, code = run("simulate", "--org", "acme", "--model", "starfish", "--days", "7")
    assert code == 2
    assert "unknown engagement model 'starfish'; choose one of: centralized, decentralized" in err


@pytest.mark.parametrize("days", ["0", "366", "-3", "a week"])
@pytest.mark.parametrize("action", ["diagnose", "simulate"])
def test_days_out_of_range_are_refused(org, action, days):
    args = ["--model", "centralized"] if action == "simulate" else []
    _out, err, code = run(action, "--org", "acme", *args, "--days", days)
    assert code == 2
    assert f"--days {days!r} must be a whole number from 1 to 365" in err
