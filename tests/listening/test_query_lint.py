"""The query linter: suspicious but valid queries, each warning with a column and a hint."""

import pytest
from django.utils import translation

from panal.listening.query import QueryError, lint


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English; outside a request the default language is Spanish."""
    with translation.override("en"):
        yield


def codes(text):
    return [(w.code, w.column) for w in lint(text)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ceibo (lento OR caída)", []),
        ("re*", [("short-wildcard", 1)]),
        ("ceibo #rec*", [("short-wildcard", 7)]),
        ("reembols*", []),
        ("NOT spam", [("negative-only", 1)]),
        ("NOT spam OR NOT promo", [("negative-only", 1)]),
        ("ceibo NOT spam", []),
        ("NOT lang:es", [("negative-only", 1)]),
        ("ceibo or fibra", [("lowercase-operator", 7)]),
        ("ceibo and (fibra)", [("lowercase-operator", 7)]),
        ("not spam ceibo", [("lowercase-operator", 1)]),
        ('rock "and" roll', []),
        ("and", []),
        ("ceibo OR Ceibo", [("duplicate-term", 10)]),
        ('"mal servicio" OR "Mal, servicio"', [("duplicate-term", 19)]),
        ("lang:es sentiment:negative intent:complaint channel:x", []),
        ("lang:xx", [("unknown-value", 1)]),
        ("sentiment:negativo", [("unknown-value", 1)]),
        ("ceibo intent:complain", [("unknown-value", 7)]),
        ("ceibo channel:twitter", [("unknown-value", 7)]),
    ],
)
def test_warnings(query, expected):
    assert codes(query) == expected


def test_warnings_carry_hints():
    (warning,) = lint("sentiment:negativo")
    assert warning.hint == "did you mean sentiment:negative?"
    assert str(warning).startswith("warning at column 1: no mention has sentiment:negativo")
    (warning,) = lint("ceibo or fibra")
    assert "write OR in capitals" in warning.hint


def test_messages_follow_the_active_language_and_codes_do_not():
    with translation.override("es"):
        (warning,) = lint("sentiment:negativo")
        shown = str(warning)
    assert warning.as_dict() == {
        "code": "unknown-value",
        "column": 1,
        "message": "ninguna mención tiene sentiment:negativo",
        "hint": "¿quisiste decir sentiment:negative?",
    }
    assert shown.startswith("aviso en la columna 1: ninguna mención tiene sentiment:negativo")


@pytest.mark.parametrize(
    "query", ["re*", "NOT spam", "ceibo or fibra", "a a", "lang:xx", "channel:twitter"]
)
def test_every_warning_has_a_spanish_translation(query):
    (english,) = lint(query)
    with translation.override("es"):
        (spanish,) = lint(query)
    assert (spanish.code, spanish.column) == (english.code, english.column)
    assert spanish.message != english.message and spanish.hint != english.hint


def test_lint_of_a_bad_query_raises_the_parse_error():
    with pytest.raises(QueryError):
        lint("ceibo (")
