"""The docs stay complete: every setting, stage, command and API route is documented."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "panal"


def doc(name: str) -> str:
    return (ROOT / "docs" / name).read_text()


def test_every_environment_setting_is_documented():
    names = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', (SRC / "settings.py").read_text()))
    names |= set(re.findall(r'_env_bool\("([A-Z_]+)"', (SRC / "settings.py").read_text()))
    assert names, "no settings found"
    missing = sorted(n for n in names if f"`{n}`" not in doc("settings.md"))
    assert missing == []


def test_every_pipeline_stage_is_documented(db):
    from panal.listening.pipeline import stages

    missing = [s.name for s in stages() if f"`{s.name}`" not in doc("pipeline.md")]
    assert missing == []


def test_every_panal_command_is_documented():
    from panal.cli import ALIASES

    reverse = {v: k for k, v in ALIASES.items()}
    commands = {
        reverse.get(p.stem, p.stem)
        for p in SRC.glob("*/management/commands/*.py")
        if not p.stem.startswith("_")
    }
    assert commands
    missing = sorted(c for c in commands if f"`panal {c}" not in doc("cli.md"))
    assert missing == []


@pytest.mark.django_db
def test_every_api_route_is_documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    api_doc = doc("api.md")
    missing = [
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method in ops
        if f"{method.upper()} {path}" not in api_doc
    ]
    assert missing == []
