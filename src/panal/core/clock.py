"""The one clock: aware UTC, replaceable in tests."""

from datetime import UTC, datetime

_override: datetime | None = None


def now() -> datetime:
    return _override or datetime.now(UTC)


def set_now(value: datetime | None) -> None:
    """Freeze the clock at `value` (None to release). For tests and replays."""
    global _override
    _override = value
