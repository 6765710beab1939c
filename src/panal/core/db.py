"""Small database helpers the hot paths share (docs/pipeline.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

_CHUNK = 500  # ids per statement where each id is a parameter (SQLite allows 999)


def update_ids(model: type[Model], ids: Sequence[int], **values: Any) -> None:
    """`UPDATE … SET field = value, … WHERE pk IN ids`, the same values for every row.

    PostgreSQL takes the ids as one array parameter (`= ANY(%s)`): a statement with a
    thousand placeholders costs more to build and parse than the update itself. Other
    databases get the ORM's `IN (…)` in chunks.
    """
    if not ids:
        return
    if connection.vendor != "postgresql":
        for start in range(0, len(ids), _CHUNK):
            model._default_manager.filter(pk__in=ids[start : start + _CHUNK]).update(**values)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    sets, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    # Identifiers come from the model's metadata; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, list(ids)])
