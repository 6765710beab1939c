"""Small database helpers the hot paths share (docs/pipeline.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.db.models import Model
from django.utils.timezone import is_aware

_CHUNK = 500  # ids per statement where each id is a parameter (SQLite allows 999)


def update_ids(model: type[Model], ids: Sequence[int], **values: Any) -> None:
    """`UPDATE … SET field = value, … WHERE pk IN ids`, the same values for every row.

    Raw SQL: the ORM's update spends longer preparing a thousand ids of `pk__in` than
    SQLite spends on the update. PostgreSQL takes the ids as one array parameter
    (`= ANY(%s)`): a statement with a thousand placeholders costs more to build and parse
    than the update itself; SQLite gets `IN (…)` in chunks of 500.
    """
    if not ids:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    sets, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    # Identifiers come from the model's metadata; every value is a parameter.
    head = f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} WHERE {quote(meta.pk.column)}"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{head} = ANY(%s)", [*params, list(ids)])
            return
        keys = list(map(_adapter(meta.pk), ids))
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            cursor.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])


# Fields whose database value is the Python value itself when it already has its type:
# these skip get_db_prep_save (a few microseconds a value, a thousand rows at a time).
_AS_IS = {
    **dict.fromkeys(("CharField", "TextField", "URLField", "SlugField", "EmailField"), str),
    "BooleanField": bool,
    **dict.fromkeys(
        ("BigIntegerField", "IntegerField", "SmallIntegerField", "PositiveIntegerField",
         "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField"),
        int,
    ),
}  # fmt: skip


def _adapter(field: Any) -> Callable[[Any], Any]:
    """A function from a Python value of `field` to the value the database takes."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    prep = field.get_db_prep_save
    if kind in _AS_IS:
        exact = _AS_IS[kind]
        return lambda v: v if v is None or type(v) is exact else prep(v, connection)
    if kind == "DateTimeField":
        adapt = connection.ops.adapt_datetimefield_value
        return lambda v: (
            adapt(v) if isinstance(v, datetime) and is_aware(v) else prep(v, connection)
        )
    return lambda v: prep(v, connection)


def _prepared(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]):
    """(the model's fields, one list per field of its values as the database takes them)."""
    columns = [model._meta.get_field(name) for name in fields]
    values = [
        list(map(_adapter(f), column))
        for f, column in zip(columns, zip(*rows, strict=True), strict=True)
    ]
    return columns, values


# PostgreSQL reads a batch's rows from one parameter, a JSON array of rows: Django's
# psycopg cursor binds parameters on the client, and an array of strings is escaped there
# element by element (for a thousand rows of JSON text, most of the statement's time),
# where one JSON text is quoted once. Each value is read back with `->>` and cast to its
# column's type: numbers and timestamps keep their exact text, a JSON field's value is
# its JSON text. Floats must be finite (JSON has no NaN).
_JSON_TEXT_TYPES = {"CharField", "TextField", "URLField", "SlugField", "EmailField"}


def json_rows_select(columns: Sequence[Any], constants: Sequence[str] = ()) -> str:
    """PostgreSQL: `SELECT … FROM jsonb_array_elements(%s::jsonb) AS r`, one output column
    per field of `columns` (named as it), then the `constants` (SQL placeholders); the
    parameters are the constants' values, then `json_rows(rows)`."""
    quote = connection.ops.quote_name
    reads = []
    for i, f in enumerate(columns):
        target = f.target_field if f.is_relation else f
        kind = target.get_internal_type()
        cast = "text" if kind in _JSON_TEXT_TYPES else target.db_type(connection)
        reads.append(f"(r->>{i})::{cast} AS {quote(f.column)}")
    # Identifiers and types from the model's metadata; the values are parameters.
    select = ", ".join([*reads, *constants])
    return f"SELECT {select} FROM jsonb_array_elements(%s::jsonb) AS r"  # noqa: S608


def json_rows(rows: Iterable[Sequence[Any]]) -> str:
    """The JSON parameter of `json_rows_select`: the rows as one JSON array of arrays."""
    return orjson.dumps(list(rows)).decode()


# In the two functions below, identifiers come from the model's metadata and every value
# is a bound parameter (S608 is about neither).


def update_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """`UPDATE … SET field = value, … WHERE pk = …` with each row's own values.

    `rows` are (pk, value, …) with the values in `fields` order (no JSON fields). Returns
    the rows changed. bulk_update builds a CASE per field over every row, which costs far
    more in Python than the write; here SQLite runs one prepared statement per row in one
    `executemany`, and PostgreSQL joins the table to the rows sent as one JSON parameter
    (`json_rows_select`).
    """
    if not rows:
        return 0
    meta = model._meta
    columns, values = _prepared(model, [meta.pk.name, *fields], rows)
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    names = [quote(f.column) for f in columns]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = ", ".join(f"{n} = v.{n}" for n in names[1:])
            source = f"({json_rows_select(columns)}) AS v"
            sql = f"UPDATE {table} SET {sets} FROM {source} WHERE {table}.{pk} = v.{pk}"  # noqa: S608
            cursor.execute(sql, [json_rows(zip(*values, strict=True))])
        else:
            sets = ", ".join(f"{n} = %s" for n in names[1:])
            sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(sql, list(zip(*values[1:], values[0], strict=True)))
        return cursor.rowcount


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """`INSERT … ON CONFLICT DO NOTHING` of `rows` (values in `fields` order, the primary
    key among them, no JSON fields). Returns how many went in: fewer than given when a
    unique constraint held some back (a concurrent writer stored them first).

    As `update_rows`: one `executemany` on SQLite, one INSERT … SELECT from the JSON rows
    on PostgreSQL, where bulk_create spends most of its time adapting each value in Python.
    """
    if not rows:
        return 0
    columns, values = _prepared(model, fields, rows)
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in columns)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({names})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"{head} {json_rows_select(columns)} ON CONFLICT DO NOTHING"
            cursor.execute(sql, [json_rows(zip(*values, strict=True))])
        else:
            marks = ", ".join(["%s"] * len(columns))
            params = list(zip(*values, strict=True))
            cursor.executemany(f"{head} VALUES ({marks}) ON CONFLICT DO NOTHING", params)
        return cursor.rowcount
