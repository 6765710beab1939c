"""Small database helpers the hot paths share (docs/pipeline.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils.timezone import is_aware

_CHUNK = 500  # ids per statement where each id is a parameter (SQLite allows 999)


def update_ids(model: type[Model], ids: Sequence[int], **values: Any) -> None:
    """`UPDATE … SET field = value, … WHERE pk IN ids`, the same values for every row.

    Raw SQL: the ORM's update spends longer preparing a thousand ids of `pk__in` than
    SQLite spends on the update. PostgreSQL takes the ids as one array parameter
    (`= ANY(%s::bigint[])`, `int_array`): a statement with a thousand placeholders costs
    more to build and parse than the update itself; SQLite gets `IN (…)` in chunks of 500.
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
            cursor.execute(f"{head} = ANY(%s::bigint[])", [*params, int_array(ids)])
            return
        keys = list(map(_adapter(meta.pk), ids))
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            cursor.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])


def int_array(ids: Iterable[int]) -> str:
    """PostgreSQL: integers as one array's text (`{1,2,3}`), for a `%s::bigint[]`
    parameter. psycopg dumps a Python list element by element, in Python: for a batch's
    thousand ids that cost more than the query; one string is quoted at once."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


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
    if kind == "JSONField":  # its JSON text (on PostgreSQL, cast back to jsonb)
        return lambda v: None if v is None else orjson.dumps(v).decode()
    if kind == "DateTimeField":
        # PostgreSQL takes an aware datetime's ISO text as it is (with its offset): made
        # here in C, where psycopg's COPY would format each datetime at about five times
        # the cost. SQLite's adaptation already gives text.
        adapt = (
            datetime.isoformat
            if connection.vendor == "postgresql"
            else connection.ops.adapt_datetimefield_value
        )
        last: list = [None, None]  # rows of a batch mostly share one timestamp (its "now")

        def datetime_value(v: Any) -> Any:
            if v is last[0]:
                return last[1]
            out = adapt(v) if isinstance(v, datetime) and is_aware(v) else prep(v, connection)
            last[0], last[1] = v, out
            return out

        return datetime_value
    return lambda v: prep(v, connection)


def _prepared(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]):
    """(the model's fields, one list per field of its values as the database takes them)."""
    columns = [model._meta.get_field(name) for name in fields]
    values = [
        _column(f, column) for f, column in zip(columns, zip(*rows, strict=True), strict=True)
    ]
    return columns, values


def _column(field: Any, column: Sequence[Any]) -> Sequence[Any]:
    """One field's values as the database takes them. A column of plain ints or strings
    is taken as it is, checked in C (`map(type, …)`); a column of few distinct values
    (a batch's timestamps, a choice field's members) is adapted once per value."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    exact = _AS_IS.get(kind)
    if exact is not None and set(map(type, column)) <= {exact, type(None)}:
        return column
    adapt = _adapter(field)
    if len(column) > 8 and (kind == "DateTimeField" or exact is not None):
        try:
            distinct = set(column)  # datetimes, str and int subclasses (choices' members)
        except TypeError:  # something unhashable, which the adapter will judge
            distinct = None
        if distinct is not None and len(distinct) * 4 <= len(column):
            table = {v: adapt(v) for v in distinct}
            return list(map(table.__getitem__, column))
    return list(map(adapt, column))


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


def update_rows(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], **same: Any
) -> int:
    """`UPDATE … SET field = value, … WHERE pk = …` with each row's own values.

    `rows` are (pk, value, …) with the values in `fields` order; `same` are fields set
    to one value on every row. Returns the rows changed. bulk_update builds a CASE per
    field over every row, which costs far more in Python than the write; here SQLite
    runs one prepared statement per row in one `executemany`, and PostgreSQL joins the
    table to the rows sent as one JSON parameter
    (`json_rows_select`).
    """
    if not rows:
        return 0
    meta = model._meta
    columns, values = _prepared(model, [meta.pk.name, *fields], rows)
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    names = [quote(f.column) for f in columns]
    constants, constant_params = [], []
    for name, value in same.items():
        field = meta.get_field(name)
        constants.append(f"{quote(field.column)} = %s")
        constant_params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = ", ".join([*(f"{n} = v.{n}" for n in names[1:]), *constants])
            source = f"({json_rows_select(columns)}) AS v"
            sql = f"UPDATE {table} SET {sets} FROM {source} WHERE {table}.{pk} = v.{pk}"  # noqa: S608
            cursor.execute(sql, [*constant_params, json_rows(zip(*values, strict=True))])
        else:
            sets = ", ".join([*(f"{n} = %s" for n in names[1:]), *constants])
            sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(
                sql,
                [(*row, *constant_params, key) for key, *row in zip(*values, strict=True)],
            )
        return cursor.rowcount


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = True,
) -> int:
    """`INSERT … ON CONFLICT DO NOTHING` of `rows` (values in `fields` order, the primary
    key among them unless the database numbers it; a JSON field's value as the Python
    object). Returns how many went in: fewer than given when a unique constraint held some
    back (a concurrent writer stored them first). With `ignore_conflicts=False` a conflict
    raises IntegrityError instead, as bulk_create does.

    As `update_rows`: one `executemany` on SQLite, one INSERT … SELECT from the JSON rows
    on PostgreSQL, where bulk_create spends most of its time adapting each value in Python.
    """
    if not rows:
        return 0
    columns, values = _prepared(model, fields, rows)
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in columns)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({names})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not ignore_conflicts:
            # COPY streams the rows (COPY cannot skip conflicts)
            table = quote(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
            return len(rows)
        if connection.vendor == "postgresql":
            sql = f"{head} {json_rows_select(columns)}{tail}"
            cursor.execute(sql, [json_rows(zip(*values, strict=True))])
        else:
            marks = ", ".join(["%s"] * len(columns))
            params = list(zip(*values, strict=True))
            cursor.executemany(f"{head} VALUES ({marks}){tail}", params)
        return cursor.rowcount


def insert_objects(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> int:
    """`insert_rows` of unsaved instances of one model, every concrete field (the primary
    key too unless the database numbers it): bulk_create's write without its per-value
    cost. No signals are sent and nothing is read back; a conflict raises IntegrityError
    unless `ignore_conflicts`."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    numbered = meta.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")
    fields = [f for f in meta.concrete_fields if not (f.primary_key and numbered)]
    names = [f.attname for f in fields]
    rows = [[o.__dict__[n] for n in names] for o in objs]
    for o in objs:
        o._state.adding = False
        o._state.db = connection.alias
    return insert_rows(model, [f.name for f in fields], rows, ignore_conflicts=ignore_conflicts)


def read_instances(rows: QuerySet, fields: Sequence[str]) -> list[Model]:
    """The instances `rows.only(*fields)` gives (the other fields deferred), made from plain
    rows (`values_list`: every value goes through the same converters) instead of through
    `Model.__init__`, which costs more than the query itself for a thousand rows. Only
    when nothing listens to the model's `pre_init` / `post_init` signals, which `__init__`
    sends: then the ORM's own instances are read."""
    model = rows.model
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return list(rows.only(*fields))
    names = tuple(model._meta.get_field(name).attname for name in fields)
    db, new = rows.db, model.__new__
    out = []
    for values in rows.values_list(*names):
        obj = new(model)
        obj.__dict__.update(zip(names, values, strict=True))
        obj._state = state = ModelState()
        state.adding, state.db = False, db
        out.append(obj)
    return out


_BLUEPRINTS: dict[type[Model], tuple[dict[str, Any], tuple, frozenset[str]]] = {}


def _blueprint(model: type[Model]) -> tuple[dict[str, Any], tuple, frozenset[str]]:
    """(constant defaults by attname, (attname, callable default) pairs, every attname)."""
    found = _BLUEPRINTS.get(model)
    if found is None:
        constants: dict[str, Any] = {}
        made = []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                made.append((f.attname, f.default))
            else:
                constants[f.attname] = f.get_default()
        names = frozenset(f.attname for f in model._meta.concrete_fields)
        found = _BLUEPRINTS[model] = (constants, tuple(made), names)
    return found


def build(model: type[Model], /, **values: Any) -> Model:
    """An unsaved instance, as `model(**values)` makes it, for a batch of thousands: the
    values by attname (`team_id`, not `team`), the other fields their defaults, without
    `Model.__init__`'s per-keyword work. Falls back to `model(**values)` when something
    listens to the init signals."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model(**values)
    constants, made, names = _blueprint(model)
    unknown = values.keys() - names
    if unknown:
        raise TypeError(f"{model.__name__} has no field {sorted(unknown)[0]!r}")
    obj = model.__new__(model)
    state = dict(constants)
    for attname, default in made:
        if attname not in values:
            state[attname] = default()
    state.update(values)
    obj.__dict__.update(state)
    obj._state = ModelState()
    return obj
