"""Documents: the one-pass cut of Latin-1 text gives what the general tokenizer gives, the
joined word string holds exactly the document's pairs, and `fields` is `filters` plus the
author's keys."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.listening.query import Doc, tokenize
from panal.listening.query.doc import _general_tokens, _latin_cut

# What the cut must tell apart: ASCII and Latin-1 (letters that fold to one letter, to two
# — ß — or to a non-ASCII one — æ, µ —, symbols, spaces, controls), the characters hashtags
# and handles are made of, other scripts' letters, digits that are not 0-9, decomposed
# accents, emoji, quotes and invisible joiners.
OTHERS = [
    "#", "@", ".", "-", "_", " ", "\n", "e\u0301", "\u0301", "ł", "Σ", "ж", "ﬁ", "ẞ", "①",
    "😀", "🙏", "\u2019", "“", "\u00ad", "\u200d", "\u2028", "٣",
]  # fmt: skip
char = st.one_of(st.characters(max_codepoint=0xFF), st.sampled_from(OTHERS))
text = st.lists(char, max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(text)
def test_the_latin_cut_gives_what_the_general_path_gives(value):
    assert tokenize(value) == _general_tokens(value)


@pytest.mark.parametrize("byte", range(256))
def test_every_latin_1_character_is_cut_as_the_general_path_cuts_it(byte):
    c = chr(byte)
    for value in (c, f"a{c}b", f"#{c}x", f"#x{c}y", f"@a{c}b.c", f"x {c}{c} Y", f"{c}#b @c{c}"):
        assert tokenize(value) == _general_tokens(value), value


@pytest.mark.parametrize(
    ("value", "tokens"),
    [
        ("Ceibo Móvil: ¡PÉSIMO servicio! 😡🙏", ["ceibo", "movil", "pesimo", "servicio"]),
        ("Hola @CeiboMovil, #SinInternet desde el martes…", ["hola", "@ceibomovil",
                                                            "#sininternet", "desde", "el",
                                                            "martes"]),
        ("e-mail a prensa@ceibo.example", ["e", "mail", "a", "prensa", "ceibo", "example"]),
        ("don\u2019t «cancel» ª º ¹", ["don", "t", "cancel", "a", "o", "1"]),
    ],
)  # fmt: skip
def test_common_mentions_take_the_one_pass_cut(value, tokens):
    assert _latin_cut(value) is not None
    assert tokenize(value) == tokens == _general_tokens(value)


@pytest.mark.parametrize(
    "value",
    ["Straße", "Ærø", "µ", "Ελλάδα", "łódź", "cafe\u0301", "①"],
)
def test_other_text_takes_the_general_path(value):
    assert _latin_cut(value) is None
    assert tokenize(value) == _general_tokens(value)


word = st.sampled_from(["ceibo", "fibra", "mal", "servicio", "#ceibo", "#mal", "@ceibo", "a1"])
separator = st.sampled_from([" ", ", ", " 🙂 ", "\n", "#", "-"])
words_text = st.lists(st.tuples(word, separator), max_size=12).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@settings(max_examples=300, deadline=None)
@given(words_text, st.sampled_from(["", "Ceibo #Fibra", "mal servicio", "servicio"]))
def test_joined_holds_exactly_the_pairs_of_consecutive_words(value, title):
    doc = Doc(text=value, title=title)
    pairs = doc.pair_keys()
    for a in doc.vocab:
        for b in doc.vocab:
            assert (f" {a} {b} " in doc.joined) is (f"{a} {b}" in pairs), (a, b)


def test_fields_are_the_filters_and_the_authors_keys():
    doc = Doc(text="hola", lang="es-MX", channel="X", author_handle="@Pato_1", author_name="Ana")
    assert doc.filters == {"lang:es", "channel:x"}
    assert doc.fields == doc.filters | {"author:pato_1", "author:ana"}
    assert Doc(text="hola", lang="es").fields == {"lang:es"}
