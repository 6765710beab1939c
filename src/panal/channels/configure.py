"""Configuring channel accounts from `key=value` pairs: checked against the connector.

`panal channels add` and the admin both go through `apply_settings`, so an unknown
key, a missing required one or a value of the wrong type is refused with its name,
and secrets (tokens, app secrets, passwords) land in `credentials`, never in
`settings`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .base import Connector, Setting


class SettingError(ValueError):
    """A setting cannot be used; the message names it."""


def convert(spec: Setting, raw) -> object:
    if raw is None:
        return None
    if spec.kind == "int":
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SettingError(f"{spec.name} must be a whole number, not {raw!r}") from None
    if spec.kind == "float":
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise SettingError(f"{spec.name} must be a number, not {raw!r}") from None
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise SettingError(f"{spec.name} must be true or false, not {raw!r}")
    if spec.kind == "list":
        if isinstance(raw, list):
            return [str(v) for v in raw]
        return [part.strip() for part in str(raw).split(",") if part.strip()]
    text = str(raw).strip()
    if spec.kind == "url" and text:
        parts = urlsplit(text)
        if (
            parts.scheme not in {"http", "https", "ws", "wss", "imap", "imaps", "smtp", "smtps"}
            or not parts.netloc
        ):
            raise SettingError(f"{spec.name} must be a full URL such as https://host/, not {raw!r}")
    return text


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingError(f"--set takes key=value, not {pair!r}")
        values[key.strip()] = value
    return values


def apply_settings(
    connector: Connector,
    values: dict,
    *,
    settings: dict | None = None,
    credentials: dict | None = None,
    require: bool = True,
) -> tuple[dict, dict]:
    """New (settings, credentials) with `values` applied; refuses unknown or missing keys."""
    specs = {s.name: s for s in connector.settings}
    settings = dict(settings or {})
    credentials = dict(credentials or {})
    unknown = sorted(set(values) - set(specs))
    if unknown:
        known = ", ".join(sorted(specs)) or "none"
        raise SettingError(f"{connector.kind} has no setting {unknown[0]!r} (known: {known})")
    for name, raw in values.items():
        spec = specs[name]
        value = convert(spec, raw)
        (credentials if spec.secret else settings)[name] = value
    if require:
        for spec in specs.values():
            store = credentials if spec.secret else settings
            if spec.required and store.get(spec.name) in (None, "", []):
                raise SettingError(f"{connector.kind} needs {spec.name}: {spec.help}")
    return settings, credentials
