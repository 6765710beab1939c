"""The featuriser's rows are what its definition says, however they are gathered: each
text's words, word n-grams and the character n-grams of each word, counted, weighted by
sublinear tf times idf and L2-normalised per block (panal.understanding.engine)."""

from __future__ import annotations

import math
import threading
from collections import Counter

import numpy as np
import pytest

from panal.understanding import engine
from panal.understanding.engine import EngineParams, Featuriser

from . import synthetic

ODD = [
    "", "   ", "🙂🙂🙂", "¿¡!!!???", "a", "no no no no", "Ünïcödé ÀÉÎ ß ﬁ straße",
    "日本語のテキスト", "1️⃣ keycap", "a  b\tc\nd", "x" * 9000, "la la la la la la la la",
]  # fmt: skip


def corpus() -> list[str]:
    return [e.text for e in synthetic.examples(per_label=15)] + ODD


def reference(f: Featuriser, text: str) -> dict[int, float]:
    """One row by the definition, column → value."""
    tokens = f.tokens(text)
    counts: Counter[int] = Counter()
    for feature in f._word_features(tokens):
        if feature in f.word_vocab:
            counts[f.word_vocab[feature]] += 1
    for token in tokens:
        for gram in f._char_features(token):
            if gram in f.char_vocab:
                counts[f.char_vocab[gram]] += 1
    values = {col: (1 + math.log(n)) * float(f.idf[col]) for col, n in counts.items()}
    for is_char in (False, True):
        block = [c for c in values if (c >= f.n_words) == is_char]
        norm = math.sqrt(sum(values[c] ** 2 for c in block))
        for c in block:
            values[c] = values[c] / norm * (f.params.char_weight if is_char else 1.0)
    return values


def as_dicts(x) -> list[dict[int, float]]:
    return [
        dict(zip(x.indices[a:b].tolist(), x.data[a:b].tolist(), strict=True))
        for a, b in zip(x.indptr[:-1], x.indptr[1:], strict=True)
    ]


def agrees(row: dict[int, float], expected: dict[int, float]) -> bool:
    return sorted(row) == sorted(expected) and np.allclose(
        [row[c] for c in expected], list(expected.values()), rtol=1e-5
    )


@pytest.fixture
def small_memory(monkeypatch):
    """A fresh numbering of keys that starts again past 50 keys."""
    monkeypatch.setattr(engine, "CACHE_WORDS", 50)
    monkeypatch.setattr(engine, "_KEYS", engine._Keys())


@pytest.mark.parametrize(
    "params",
    [
        EngineParams(min_df=1),
        EngineParams(min_df=2, word_ngrams=1, char_min=3, char_max=4),
        EngineParams(min_df=1, word_ngrams=3, char_weight=0.5),
    ],
)
def test_rows_follow_the_definition(params):
    texts = corpus()
    f = Featuriser(params).fit(texts[: len(texts) // 2])
    x = f.transform(texts)
    assert x.shape == (len(texts), f.n_features)
    assert x.has_sorted_indices
    for text, row in zip(texts, as_dicts(x), strict=True):
        assert agrees(row, reference(f, text)), text


def test_the_same_rows_whatever_the_batch_and_the_other_featurisers(small_memory):
    texts = corpus()
    one = Featuriser(EngineParams(min_df=1)).fit(texts[::2])
    other = Featuriser(EngineParams(min_df=1, char_min=3)).fit(texts[1::2])
    # Both featurisers over the same batches in turn (the second reuses the numbering),
    # the numbering starting again many times on the way.
    for size in (1, 7, len(texts), 3):
        for start in range(0, len(texts), size):
            batch = texts[start : start + size]
            for f in (other, one) if start % 2 else (one, other):
                for text, row in zip(batch, as_dicts(f.transform(batch)), strict=True):
                    assert agrees(row, reference(f, text)), text
    assert engine._KEYS.generation > 3


def test_threads_get_the_rows_they_would_alone(small_memory):
    texts = corpus()
    f = Featuriser(EngineParams(min_df=1)).fit(texts)
    expected = [reference(f, t) for t in texts]
    wrong: list[int] = []

    def work(offset: int) -> None:
        for k in range(40):
            i = (offset * 7 + k * 13) % len(texts)
            rows = as_dicts(f.transform(texts[i : i + 1 + k % 5]))
            if not all(agrees(r, e) for r, e in zip(rows, expected[i:], strict=False)):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
