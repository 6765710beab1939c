"""`update_rows` and `insert_rows`: each row's own values in one statement, on SQLite
(executemany) and PostgreSQL (unnest arrays)."""

from datetime import UTC, datetime, timedelta

from panal.core.db import insert_rows, update_rows
from panal.core.ids import new_ids
from panal.listening.models import Author, Mention

SEEN = datetime(2026, 11, 2, 10, 30, 15, 123456, tzinfo=UTC)


def author_rows(org, externals, handle="h"):
    return [
        (pk, org.id, "api", ext, f"{handle}{ext}", "", None, "", None, True, "", SEEN, SEEN)
        for pk, ext in zip(new_ids(len(externals)), externals, strict=True)
    ]


FIELDS = (
    "id", "organisation", "channel", "external_id", "handle", "display_name", "followers",
    "avatar_url", "is_bot", "is_verified", "description", "first_seen_at", "last_seen_at",
)  # fmt: skip


def test_insert_rows_stores_every_value_and_skips_conflicts(org):
    assert insert_rows(Author, FIELDS, author_rows(org, ["a", "b"])) == 2
    # "b" is there already: only "c" goes in, and "b" keeps its values.
    assert insert_rows(Author, FIELDS, author_rows(org, ["b", "c"], handle="x")) == 1
    stored = {a.external_id: a for a in Author.objects.all()}
    assert sorted(stored) == ["a", "b", "c"]
    assert (stored["b"].handle, stored["c"].handle) == ("hb", "xc")
    assert stored["a"].last_seen_at == SEEN and stored["a"].followers is None
    assert stored["a"].is_verified is True and stored["a"].is_bot is None
    assert insert_rows(Author, FIELDS, []) == 0


def test_update_rows_gives_each_row_its_own_values(org, add):
    insert_rows(Author, FIELDS, author_rows(org, ["a", "b", "c"]))
    a, b, c = (Author.objects.get(external_id=e) for e in "abc")
    later = SEEN + timedelta(days=2)
    changed = update_rows(
        Author,
        ["handle", "followers", "is_verified", "last_seen_at"],
        [(a.id, "ana", 10, None, later), (b.id, "bea", None, False, SEEN)],
    )
    assert changed == 2
    a, b, c = (Author.objects.get(external_id=e) for e in "abc")
    assert (a.handle, a.followers, a.is_verified, a.last_seen_at) == ("ana", 10, None, later)
    assert (b.handle, b.followers, b.is_verified, b.last_seen_at) == ("bea", None, False, SEEN)
    assert (c.handle, c.is_verified) == ("hc", True)  # not named: untouched
    m1, m2 = add({"external_id": "m1", "text": "hola"}, {"external_id": "m2", "text": "hola"})
    update_rows(Mention, ["author", "parent"], [(m1.id, a.id, None), (m2.id, b.id, m1.id)])
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert (m1.author_id, m1.parent_id) == (a.id, None)
    assert (m2.author_id, m2.parent_id) == (b.id, m1.id)
    # A column of nothing but NULLs (PostgreSQL must still know its array's type).
    assert update_rows(Mention, ["parent", "author"], [(m2.id, None, None)]) == 1
    m2.refresh_from_db()
    assert (m2.parent_id, m2.author_id) == (None, None)
    assert update_rows(Mention, ["author"], []) == 0


def test_any_text_goes_through_unchanged(org):
    odd = ["o'brien", 'say "hi"', "back\\slash", "línea\nnueva\ttab", "😀 ñ ü ß", '{"a": [1]}', ""]
    rows = [
        (pk, org.id, "api", f"x{i}", text, text[::-1], i, "", None, False, text, SEEN, SEEN)
        for i, (pk, text) in enumerate(zip(new_ids(len(odd)), odd, strict=True))
    ]
    assert insert_rows(Author, FIELDS, rows) == len(odd)
    stored = {a.external_id: a for a in Author.objects.all()}
    for i, text in enumerate(odd):
        a = stored[f"x{i}"]
        assert (a.handle, a.display_name, a.description) == (text, text[::-1], text)
    later = SEEN + timedelta(microseconds=1)
    update_rows(Author, ["description", "last_seen_at"], [(r[0], r[4] * 2, later) for r in rows])
    for i, text in enumerate(odd):
        a = Author.objects.get(external_id=f"x{i}")
        assert (a.description, a.last_seen_at) == (text * 2, later)


def test_a_column_of_choice_members_and_plain_values_is_stored_as_the_plain_values(org):
    from panal.listening.choices import Channel

    externals = [f"e{n}" for n in range(20)]
    rows = [
        (pk, org.id, Channel.API if n % 2 else "rss", ext, "h", "", n, "", None, True, "", SEEN,
         SEEN)
        for n, (pk, ext) in enumerate(zip(new_ids(20), externals, strict=True))
    ]  # fmt: skip
    assert insert_rows(Author, FIELDS, rows) == 20
    stored = dict(Author.objects.values_list("external_id", "channel"))
    assert {type(v) for v in stored.values()} == {str}
    assert [stored[e] for e in externals[:4]] == ["rss", "api", "rss", "api"]
    assert sorted(Author.objects.values_list("followers", flat=True)) == list(range(20))
