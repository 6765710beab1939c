"""The full-text index table, per engine: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

No foreign key: rows are written and removed by the index stage and search.unindex,
and a stale row is harmless because searches join back to live mentions.
"""

from django.db import migrations


def create(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TABLE listening_mention_fts ("
            " mention_id bigint PRIMARY KEY,"
            " doc tsvector NOT NULL)"
        )
        schema_editor.execute(
            "CREATE INDEX listening_mention_fts_doc ON listening_mention_fts USING GIN (doc)"
        )
    else:
        schema_editor.execute(
            "CREATE VIRTUAL TABLE listening_mention_fts USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 2')"
        )


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS listening_mention_fts")


class Migration(migrations.Migration):
    dependencies = [("listening", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
