"""Folding text for matching: lower case without accents, the same whatever path it takes."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from panal.core.text import fold


def reference(value: str) -> str:
    """The definition: case-fold, decompose, drop every combining mark."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_accents_and_case_go():
    assert fold("Atención AL Cliente") == "atencion al cliente"
    assert fold("ÑANDÚ pingüino") == "nandu pinguino"
    assert fold("Straße") == "strasse"


def test_other_scripts_and_emoji_stay():
    assert fold("مرحبا 😀 Привет") == "مرحبا 😀 привет"
    assert fold("e\u0301\u034f") == "e\u034f"  # the grapheme joiner is not an accent


@given(st.text())
def test_the_fast_paths_agree_with_the_definition(value):
    assert fold(value) == reference(value)


@given(st.text(alphabet=st.characters(max_codepoint=0x4FF)))
def test_latin_and_cyrillic_text_agrees_with_the_definition(value):
    assert fold(value) == reference(value)


def test_marks_of_other_scripts_go_as_the_definition_says():
    for value in ("नमस्ते", "שָׁלוֹם", "¿Qué tal? x\u0489y", "Ἀθῆναι"):
        assert fold(value) == reference(value)
    assert fold("नमस्ते") == "नमसते"  # the virama (combining class 9) goes, the vowel sign stays


@given(st.text(alphabet=st.characters(max_codepoint=0xFF)))
def test_latin_1_text_folds_by_its_byte_table_as_the_definition_says(value):
    assert fold(value) == reference(value)


def test_latin_1_characters_that_fold_to_several_or_another_script():
    assert fold("¿Qué tal? Æsir ½ µ ß ª") == reference("¿Qué tal? Æsir ½ µ ß ª")
    assert fold("¿Qué tal, Ñoño?") == "¿que tal, nono?"
    assert fold("\xa0º¹") == " o1"
