"""Which model answers for an organisation: its own promoted version of a task, or the
shipped one (docs/understanding.md#corrections).

The stages ask `for_org(task, organisation_id)` once per batch and organisation.
"""

from __future__ import annotations

from typing import Any


def for_org(task: str, organisation_id: int | None) -> Any:
    """The model for `task` ("sentiment" or "intent") that `organisation_id` uses."""
    from . import intent, sentiment

    if task == "sentiment":
        return sentiment.shipped()
    if task == "intent":
        return intent.load()
    raise ValueError(f"no model for task {task!r}")
