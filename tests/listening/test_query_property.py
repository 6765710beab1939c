"""Property tests: the compiled Matcher answers exactly what each query answers alone."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.listening.query import Doc, Matcher, Query, key_frequencies
from panal.listening.query.matcher import LONG_TEXT, MAX_LAYERS

WORDS = [
    "ceibo", "Ceibo", "CEIBO", "fibra", "móvil", "movil", "atención", "atencion", "lento",
    "caída", "caida", "reembolso", "reembolsos", "refund", "refunds", "service", "servicio",
    "bad", "mal", "app", "apple", "color", "colour", "colr", "no", "funciona", "spam",
    "norte", "pampa", "zenda", "ola",
]  # fmt: skip
HASHTAGS = ["#Reclamo", "#SinInternet", "#ceibo", "#fail"]
HANDLES = ["@CeiboMovil", "@ceibo", "@pato_1"]
PUNCT = [" ", " ", " ", ", ", ". ", "! ", " - ", "\n", " 🙂 ", "?"]
WILDCARDS = [
    "reembols*",
    "reem*",
    "re?mbolso",
    "refund*",
    "colo?r",
    "ce*",
    "serv*",
    "fib?a",
    "#rec*",
    "at*on",
]
FIELDS = [
    "lang:es", "lang:en", "channel:x", "channel:facebook", "country:mx", "sentiment:negative",
    "intent:complaint", "brand:fibra", "author:pato_1", 'author:"Ana Pérez"', "url:ceibo.example",
]  # fmt: skip

word = st.sampled_from(WORDS)
positional_atom = st.one_of(
    word,
    st.sampled_from(HASHTAGS + HANDLES + WILDCARDS),
    st.builds(
        lambda ws, slop: '"' + " ".join(ws) + '"' + (f"~{slop}" if slop is not None else ""),
        st.lists(word, min_size=2, max_size=3),
        st.none() | st.integers(0, 4),
    ),
)
positional = st.one_of(
    positional_atom,
    st.builds(
        lambda a, b, n: f"{a} NEAR/{n} {b}", positional_atom, positional_atom, st.integers(0, 4)
    ),
    st.builds(lambda a, b: f"({a} OR {b})", positional_atom, positional_atom),
)
atom = st.one_of(positional, st.sampled_from(FIELDS))


def _combine(children):
    return st.one_of(
        st.builds(lambda a, b: f"{a} AND {b}", children, children),
        st.builds(lambda a, b: f"{a} {b}", children, children),
        st.builds(lambda a, b: f"({a} OR {b})", children, children),
        st.builds(lambda a, b: f"{a} OR {b}", children, children),
        st.builds(lambda a: f"NOT {a}", children),
        st.builds(lambda a: f"({a})", children),
    )


query_text = st.recursive(atom, _combine, max_leaves=6)

token = st.one_of(word, st.sampled_from(HASHTAGS + HANDLES + ["colour", "reembolsó", "REFUNDS"]))
text = st.builds(
    lambda parts, seps: "".join(p + s for p, s in zip(parts, seps, strict=False)),
    st.lists(token, max_size=14),
    st.lists(st.sampled_from(PUNCT), min_size=14, max_size=14),
)
doc = st.builds(
    Doc,
    text=text,
    title=st.sampled_from(["", "Ceibo", "mal servicio"]),
    author_handle=st.sampled_from(["", "pato_1", "@CeiboMovil"]),
    author_name=st.sampled_from(["", "Ana Pérez", "ana perez"]),
    lang=st.sampled_from(["", "es", "en", "es-MX"]),
    channel=st.sampled_from(["", "x", "facebook"]),
    country=st.sampled_from(["", "MX", "co"]),
    urls=st.sampled_from([(), ("https://ceibo.example/a",), ("https://x.example",)]),
    sentiment=st.sampled_from(["", "negative", "positive"]),
    intents=st.sampled_from([(), ("complaint",), ("complaint", "billing")]),
    brands=st.sampled_from([(), ("fibra", "Ceibo Fibra"), ("movil",)]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(query_text, min_size=1, max_size=12), st.lists(doc, min_size=1, max_size=8))
def test_matcher_equals_one_query_at_a_time(texts, docs):
    queries = [Query(t) for t in texts]
    guessed = Matcher(list(enumerate(queries)))
    measured = Matcher(list(enumerate(queries)), frequencies=key_frequencies(docs))
    for d in docs:
        # Each query alone on a fresh copy: nothing it found is kept for another query.
        alone = [i for i, q in enumerate(queries) if q.matches(replace(d))]
        assert guessed.match(d) == alone
        assert measured.match(replace(d)) == alone


@settings(max_examples=200, deadline=None)
@given(query_text, st.lists(doc, min_size=1, max_size=5))
def test_normalised_form_means_the_same(text, docs):
    query = Query(text)
    again = Query(str(query))
    assert str(again) == str(query)
    assert [again.matches(d) for d in docs] == [query.matches(d) for d in docs]


@settings(max_examples=100, deadline=None)
@given(query_text, doc)
def test_and_or_not_are_boolean(text, d):
    q = Query(text)
    assert Query(f"NOT ({text})").matches(d) is (not q.matches(d))
    assert Query(f"({text}) OR ceibo").matches(d) is (q.matches(d) or Query("ceibo").matches(d))
    assert Query(f"({text}) ceibo").matches(d) is (q.matches(d) and Query("ceibo").matches(d))


@settings(max_examples=25, deadline=None)
@given(st.lists(query_text, min_size=40, max_size=160), st.lists(doc, min_size=1, max_size=6))
def test_many_queries_at_once_equal_one_query_at_a_time(texts, docs):
    """More queries than bits in a byte or a machine word, sharing words and sub-queries."""
    queries = [Query(t) for t in texts]
    matcher = Matcher([(f"q{i}", q) for i, q in enumerate(queries)])
    for d in docs:
        alone = [f"q{i}" for i, q in enumerate(queries) if q.matches(replace(d))]
        assert matcher.match(d) == alone


@pytest.mark.parametrize("filler", [0, LONG_TEXT // 8 + 1])
@settings(max_examples=60, deadline=None)
@given(texts=st.lists(query_text, min_size=1, max_size=12), d=doc)
def test_documents_holding_the_queries_words_match_as_one_query_at_a_time(filler, texts, d):
    """Documents that hold the queries' own words and phrases, short and, past LONG_TEXT
    characters (where its pairs of words are all made, not looked for), long."""
    text = f"{'relleno ' * filler}{d.text} {' '.join(texts)}"
    d = replace(d, text=text)
    assert (len(d.text) > LONG_TEXT) is bool(filler)
    queries = [Query(t) for t in texts]
    alone = [i for i, q in enumerate(queries) if q.matches(replace(d))]
    assert Matcher(list(enumerate(queries))).match(d) == alone


def test_matcher_decides_by_bits_and_evaluates_only_what_it_must():
    matcher = Matcher(
        [
            ("brand", "ceibo OR #ceibo"),
            ("negative", "NOT spam"),
            ("link", "url:ceibo.example"),
            ("wild", "reembols* lang:es"),
            ("field", "channel:x NOT spam"),
            ("near", "ceibo NEAR/2 lento"),
        ]
    )
    assert matcher.stats() == {
        "queries": 6, "always_checked": 1, "decided_by_bits": 4, "layers": 2, "index_keys": 6,
        "index_prefixes": 1, "index_pairs": 0,
    }  # fmt: skip
    d = Doc(text="Quiero mi reembolso", lang="es", channel="x", urls=("https://ceibo.example",))
    assert matcher.match(d) == ["negative", "link", "wild", "field"]
    assert matcher.candidates(Doc(text="nada")) == [2]
    assert matcher.candidates(Doc(text="ceibo lento")) == [2, 5]
    assert matcher.candidates(Doc(text="ceibo rápido")) == [2]
    assert Matcher([]).match(d) == []


def test_a_query_with_more_conditions_than_the_bits_hold_is_evaluated_in_full():
    words = "ceibo fibra lento caida reclamo factura"
    matcher = Matcher([(1, words), (2, f"{words} NOT spam"), (3, "ceibo fibra")])
    assert matcher.stats()["layers"] == MAX_LAYERS < len(words.split())
    everything = Doc(text=words)
    assert matcher.match(everything) == [1, 2, 3]
    assert matcher.candidates(everything) == [0, 1]
    assert matcher.match(Doc(text=f"{words} spam")) == [1, 3]
    for missing in words.split():  # whether or not its bit is held, the answer is no
        expected = [] if missing in ("ceibo", "fibra") else [3]
        assert matcher.match(Doc(text=words.replace(missing, ""))) == expected


def test_the_largest_queries_compile_and_match_as_alone():
    words = [f"w{i}" for i in range(500)]
    queries = [
        Query(" ".join(words)),
        Query(" OR ".join(words)),
        Query(f"({' OR '.join(words[:499])}) NOT x"),
    ]
    matcher = Matcher(list(enumerate(queries)))
    for text in (" ".join(words), "w7", "w499", "w3 x", "nada"):
        d = Doc(text=text)
        assert matcher.match(d) == [i for i, q in enumerate(queries) if q.matches(d)]
    assert matcher.match(Doc(text="w3")) == [1, 2]


def test_a_long_pathological_document_is_bounded():
    d = Doc(text="cd " + "ab " * 30_000 + "cd")
    queries = [
        (1, "ab NEAR/100 ab NEAR/100 cd"),
        (2, '"ab ab ab cd"~50'),
        (3, "ab* NOT ab NEAR/0 ef"),
        (4, "(ab NEAR/100 ab) NEAR/100 (ab NEAR/100 ef)"),
    ]
    assert Matcher(queries).match(d) == [1, 2, 3]
