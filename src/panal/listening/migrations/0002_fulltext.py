"""The full-text index table, per engine: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TABLE listening_mention_fts ("
            " mention_id bigint PRIMARY KEY REFERENCES listening_mention(id)"
            " ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
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
