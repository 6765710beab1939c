"""`update_ids`: the same values on many rows, on SQLite (IN chunks) and PostgreSQL (ANY)."""

from panal.core.db import update_ids
from panal.listening.models import Mention


def test_only_the_given_rows_change(add):
    mentions = add(*[{"external_id": f"u{i}", "text": f"hola {i}"} for i in range(1203)])
    chosen = [m.id for m in mentions[:1201]]  # more than two chunks of 500
    update_ids(Mention, chosen, lang="pt", lang_source="agent")
    assert Mention.objects.filter(lang="pt", lang_source="agent").count() == 1201
    assert set(Mention.objects.exclude(lang="pt").values_list("external_id", flat=True)) == {
        "u1201", "u1202",
    }  # fmt: skip
    update_ids(Mention, [], lang="en")  # nothing to do
    assert not Mention.objects.filter(lang="en").exists()
