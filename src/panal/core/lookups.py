"""`field__any=ids`: a lookup for the batch paths, where `__in` costs more than the query.

`__in` binds one placeholder per value: for a batch's thousand ids Django prepares each
one, and psycopg parses the thousand-placeholder statement again on every call (it only
caches short ones). `__any` sends the ids as one parameter: PostgreSQL compares with
`= ANY(%s::bigint[])` and the array's text (`{1,2,3}`); SQLite reads
`IN (SELECT value FROM json_each(%s))` from a JSON array. Both still use the column's
index. Integers only (ids).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignKey, IntegerField, Lookup

from panal.core.db import int_array


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        if isinstance(self.rhs, str | bytes) or not hasattr(self.rhs, "__iter__"):
            raise TypeError("__any takes an iterable of integers")
        return sorted({int(v) for v in self.rhs if v is not None})

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple]:
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, int_array(self.rhs))
        # `lhs` is the compiled column; the ids are one parameter.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, (*lhs_params, orjson.dumps(self.rhs).decode())


def register() -> None:
    IntegerField.register_lookup(AnyOf)  # and so every integer and auto field
    ForeignKey.register_lookup(AnyOf)
