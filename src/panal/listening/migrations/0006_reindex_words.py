"""Write every full-text row again: the index now holds words exactly as the query language
cuts them (handles, e-mail addresses and URL parts were split differently before)."""

from django.db import migrations


def reindex(apps, schema_editor):
    from panal.listening import search

    search.reindex()


class Migration(migrations.Migration):
    dependencies = [("listening", "0005_topics")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]
