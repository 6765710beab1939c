"""The query parser: normalised form, precedence, errors with column and hint, bounds."""

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.listening.query import Query, QueryError, parse
from panal.listening.query.nodes import And, Field, Near, Not, Or, Phrase, Term, Wildcard


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English; outside a request the default language is Spanish."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("query", "normalised"),
    [
        ("ceibo", "ceibo"),
        ("Atención", "atencion"),
        ("ceibo lento", "ceibo AND lento"),
        ("a OR b c", "a OR b AND c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("NOT a b", "NOT a AND b"),
        ("NOT (a b)", "NOT (a AND b)"),
        ("a AND NOT (b OR c)", "a AND NOT (b OR c)"),
        ("a OR (b OR c)", "a OR b OR c"),
        ('"Mal  Servicio"', '"mal servicio"'),
        ('"bad service"~5', '"bad service"~5'),
        ('"ceibo"', "ceibo"),
        ("e-mail", '"e mail"'),
        ("Reembols*", "reembols*"),
        ("colo?r", "colo?r"),
        ("#Reclamo", "#reclamo"),
        ("@CeiboMovil", "@ceibomovil"),
        ("a NEAR/3 b", "a NEAR/3 b"),
        ("(a OR b) NEAR/2 co*x", "(a OR b) NEAR/2 co*x"),
        ("a NEAR/1 b NEAR/2 c", "a NEAR/1 b NEAR/2 c"),
        ("a NEAR/1 (b NEAR/2 c)", "a NEAR/1 (b NEAR/2 c)"),
        ("Lang:es-MX", "lang:es"),
        ('author:"Laura  Muñoz"', 'author:"laura munoz"'),
        ("author:@Pato_1", "author:pato_1"),
        ("url:Ceibo.example/T", "url:ceibo.example/t"),
        ("\u201cbad service\u201d", '"bad service"'),
        ("and or not", "and AND or AND not"),
    ],
)
def test_normalised_form(query, normalised):
    assert str(Query(query)) == normalised
    assert str(Query(normalised)) == normalised  # a normalised form parses back to itself


def test_precedence_tree():
    root = parse("a OR NOT b c")
    assert root == Or((Term("a"), And((Not(Term("b")), Term("c")))))
    assert parse("x NEAR/2 y z") == And((Near(Term("x"), Term("y"), 2), Term("z")))
    assert parse("colo?r") == Wildcard("colo?r")
    assert parse('"a b"~3') == Phrase(("a", "b"), 3)
    assert parse("lang:EN") == Field("lang", "en")


def test_columns_are_kept():
    root = parse("ceibo  (lento OR caída)")
    assert root.column == 1
    assert [c.column for c in root.children[1].children] == [9, 18]


ERRORS = [
    ("ceibo AND (lento OR caida", 11, "never closed", "close it with )"),
    ("ceibo)", 6, "closes nothing", "add ( before"),
    ("autor:pato", 1, "unknown field autor:", "did you mean author:?"),
    ('ceibo langg:"es"', 7, "unknown field langg:", "did you mean lang:?"),
    ("https://ceibo.example", 1, "unknown field https:", "url:"),
    ('ceibo ""', 7, "empty phrase", "words between the quotes"),
    ('"  !! "', 1, "empty phrase", ""),
    ('ceibo "lento', 7, "never closed", 'close the phrase with "'),
    ("ceibo AND", 7, "AND needs a term after it", ""),
    ("ceibo OR", 7, "OR needs a term after it", ""),
    ("ceibo AND OR lento", 7, "AND needs a term after it", ""),
    ("OR ceibo", 1, "OR needs a term before it", ""),
    ("ceibo NOT", 7, "NOT needs a term after it", ""),
    ("ceibo NEAR/3", 7, "NEAR/n needs a term after it", ""),
    ("NEAR/3 ceibo", 1, "NEAR/n needs a term before it", ""),
    ("ceibo NEAR lento", 7, "not an operator", "NEAR/3"),
    ("ceibo NEAR/3 lang:es", 14, "NEAR/n joins words", "join them with AND"),
    ("ceibo NEAR/500 lento", 7, "at most 100", ""),
    ('"a b"~101', 1, "at most 100", ""),
    ('"a b"~', 6, "~ needs a number", ""),
    ("()", 1, "empty parentheses", ""),
    ("", 1, "the query is empty", ""),
    ("   ", 1, "the query is empty", ""),
    ("*", 1, "at least 2 letters", "refund*"),
    ("r*", 2, "at least 2 letters", ""),
    ("#r?", 3, "at least 2 letters", ""),
    ("re*mb*", 1, "at most one *", ""),
    ("re*.x", 1, "only letters, digits", ""),
    ("lang:", 1, "lang: needs a value", "lang:es"),
    ("lang:123", 1, "not a language code", ""),
    ("ceibo &", 7, "no letters or digits", ""),
]


@pytest.mark.parametrize(("query", "column", "message", "hint"), ERRORS)
def test_errors_have_column_message_and_hint(query, column, message, hint):
    with pytest.raises(QueryError) as caught:
        Query(query)
    error = caught.value
    assert (error.column, message in error.message, hint in error.hint) == (column, True, True)
    assert str(error).startswith(f"error at column {column}: ")


def _error(query: str, language: str) -> QueryError:
    with translation.override(language), pytest.raises(QueryError) as caught:
        Query(query)
    return caught.value


def test_errors_are_in_the_active_language():
    error = _error('ceibo "lento', "es")
    assert error.as_dict() == {
        "column": 7,
        "message": "esta comilla no se cierra nunca",
        "hint": 'cierra la frase con "',
    }
    with translation.override("es"):
        shown = str(error)
    assert shown == 'error en la columna 7: esta comilla no se cierra nunca (cierra la frase con ")'
    assert _error("x" * 4001, "es").message == "la consulta tiene más de 4\xa0000 caracteres"
    assert _error("x" * 4001, "en").message == "the query is longer than 4,000 characters"


MORE_ERRORS = ["a " * 2001, " OR ".join(["ab"] * 501), "(" * 33 + "a", "(", "author:@", "foo:bar"]


@pytest.mark.parametrize("query", [row[0] for row in ERRORS] + MORE_ERRORS)
def test_every_error_and_hint_has_a_spanish_translation(query):
    english, spanish = _error(query, "en"), _error(query, "es")
    assert spanish.column == english.column
    assert spanish.message != english.message
    assert spanish.hint != english.hint or not english.hint


def test_bounds_refuse_pathological_queries():
    with pytest.raises(QueryError, match="longer than 4,000"):
        Query("a " * 2001)
    with pytest.raises(QueryError, match="more than 500 terms") as caught:
        Query(" OR ".join(["ab"] * 501))
    assert caught.value.column == 500 * 6 + 1
    Query(" OR ".join(["ab"] * 500))
    with pytest.raises(QueryError, match="nested more than 32"):
        Query("(" * 33 + "a" + ")" * 33)
    Query("(" * 32 + "a" + ")" * 32)
    with pytest.raises(QueryError, match="nested more than 32"):
        Query("NOT " * 33 + "a")
    with pytest.raises(QueryError, match="nested more than 32"):
        Query(" NEAR/1 ".join(["ab"] * 34))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab ()"*?~:/#@ANDORTE-1\u00e9', max_size=60))
def test_any_input_parses_or_fails_with_a_column(text):
    error = query = None
    try:
        query = Query(text)
    except QueryError as exc:
        error = exc
    if error is not None:
        # The column points into the text (or just past its end, for "missing ...").
        assert error.column >= 1, (text, error.column)
        assert error.column <= len(text) + 1, (text, error.column)
        assert error.message
    else:
        assert str(Query(str(query))) == str(query)
