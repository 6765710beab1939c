"""The database connection's own settings, on the engine the suite runs against."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_never_jit_compiles_and_sqlite_keeps_foreign_keys():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"  # settings.py: short queries, no JIT
        else:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
