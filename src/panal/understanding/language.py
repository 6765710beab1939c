"""Language identification for short social texts, offline (docs/understanding.md).

The model is py3langid's (a byte n-gram naive Bayes over about 140 languages, a numpy
port of langid.py), shipped inside its wheel: no download, ever. Panal reads it with its
own batch scorer: the automaton that finds the n-grams walks all texts of a batch at
once in numpy, one byte position per step, which is several times faster than calling
py3langid text by text; the result is the same.

The candidates are restricted to `LANGUAGES` (fewer candidates, fewer confusions), with
a small prior for Spanish and English, the languages Panal is used in. `detect()` answers
an ISO 639-1 code and a confidence in [0, 1] for each text, or `und` when there is too
little to go on (empty, emoji, numbers, two letters), when the confidence is low, or when
two languages share a text and neither clearly wins.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

UND = "und"

# Galician is left out on purpose: short Spanish reads as Galician far more often than
# Galician turns up in a Latin-American inbox.
LANGUAGES = (
    "es", "en", "pt", "fr", "it", "de", "ca", "eu", "nl", "pl", "ro", "ru", "uk", "tr",
    "ar", "he", "fa", "hi", "bn", "zh", "ja", "ko", "id", "vi", "th", "el", "sv", "da",
    "no", "fi", "cs", "hu", "tl",
)  # fmt: skip
# Added to the log-prior of these languages (e¹ ≈ 2.7 times more likely a priori).
PRIOR_BOOST = {"es": 1.0, "en": 1.0}
MIN_CONFIDENCE = 0.25  # a best guess below this: `und`
MIXED_MARGIN = 0.1  # best below 0.5 and the runner-up within this margin: `und`
MAX_CHARS = 300  # the beginning of a long text is enough, and the cost grows with length
# A network's language is replaced only by a detection at least this confident.
OVERRIDE_CONFIDENCE = 0.95
VERSION = "1"  # of the rules in this file; bump when they change

# Links, handles (and the domain of an e-mail address), retweet marks, HTML entities.
_NOISE_RE = re.compile(r"[a-z]+://\S+|www\.\S+|@[\w.]+|\bRT\b|&#?\w+;", re.IGNORECASE)
_MARKUP = "#_*~|<>"  # replaced by spaces (str.replace beats str.translate here)
_REPEAT_RE = re.compile(r"(.)\1\1+")  # "nooooo!!!" → "noo!!"
_THREE_LETTERS_RE = re.compile(r"[^\W\d_].*?[^\W\d_].*?[^\W\d_]", re.DOTALL)


class Detection(NamedTuple):
    lang: str
    confidence: float


class LanguageModelError(RuntimeError):
    """The language model is missing or broken; the message says what to do."""


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


MODEL = f"panal-language@{VERSION}+py3langid-{_package_version('py3langid')}"


class _NaiveBayes:
    """py3langid's model restricted to `LANGUAGES`, scoring a batch at a time."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE
        from py3langid.modelio import load_model

        ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
        keep = [classes.index(lang) for lang in LANGUAGES]
        self.classes = [classes[i] for i in keep]
        self.ptc = np.ascontiguousarray(ptc[:, keep], dtype=np.float32)
        self.pc = np.asarray(pc, dtype=np.float32)[keep]
        for lang, boost in PRIOR_BOOST.items():
            self.pc[self.classes.index(lang)] += boost
        self.next = np.asarray(nextmove)  # state = next[base(state) + byte]
        self.base = np.asarray(row, dtype=np.int64) << 8  # a state's row in `next`
        self.out = np.asarray(output, dtype=np.int64)  # the n-gram a state ends, or -1

    def probabilities(self, encoded: list[bytes]) -> np.ndarray:
        """P(language | text) for each text, one row per text, columns as `classes`."""
        n = len(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
        order = np.argsort(-lengths, kind="stable")  # longest first: at every position
        ordered = lengths[order]  # the texts still going on are a prefix of the rows
        width = int(ordered[0]) if n else 0
        # grid[p, r]: byte p of the r-th longest text (zero past its end, never read).
        joined = np.frombuffer(b"".join([encoded[i] for i in order]), dtype=np.uint8)
        starts = np.cumsum(ordered) - ordered
        grid = np.zeros((width, n), dtype=np.int64)
        grid[
            np.arange(len(joined)) - np.repeat(starts, ordered), np.repeat(np.arange(n), ordered)
        ] = joined
        active = n - np.searchsorted(ordered[::-1], np.arange(width), side="right")
        base = np.full(n, self.base[0])
        hit_rows, hit_features = [], []
        for p in range(width):
            k = active[p]
            states = self.next[base[:k] + grid[p, :k]]
            base[:k] = self.base[states]
            features = self.out[states]
            found = np.flatnonzero(features >= 0)
            if found.size:
                hit_rows.append(found)
                hit_features.append(features[found])
        scores = np.zeros((n, len(self.classes)), dtype=np.float32)
        if hit_rows:
            keys = np.concatenate(hit_rows) * len(self.ptc) + np.concatenate(hit_features)
            keys, counts = np.unique(keys, return_counts=True)
            rows, features = np.divmod(keys, len(self.ptc))
            # Each text's n-grams, weighted log(1 + count), times the n-grams' scores: a
            # sparse product (rows sorted, as `unique` left them).
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
            counted = sp.csr_matrix(
                (np.log1p(counts).astype(np.float32), features, indptr), shape=(n, len(self.ptc))
            )
            scores = np.asarray(counted @ self.ptc, dtype=np.float32)
            scores[np.diff(indptr) > 0] += self.pc
        # As py3langid: a temperature of sqrt(bytes) keeps the softmax calibrated across
        # lengths. A text without any known n-gram stays all zeros: uniform, so `und`.
        scores *= (1.0 / np.sqrt(np.maximum(ordered, 1)))[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        result = np.empty_like(scores)
        result[order] = scores
        return result


@cache
def _model() -> _NaiveBayes:
    try:
        return _NaiveBayes()
    except Exception as exc:
        raise LanguageModelError(
            f"The language model (py3langid) could not be loaded: {exc}. "
            "Reinstall Panal's dependencies (pip install -e .)."
        ) from exc


def load() -> None:
    """Load the model now, so that a broken install fails at start-up, not mid-batch."""
    _model()


def prepare(text: str) -> str:
    """The words of a social text: no links, handles, e-mail addresses, markup or stretching."""
    text = text[: MAX_CHARS * 4]
    if "//" in text or "www." in text or "@" in text or "RT" in text or "&" in text:
        text = _NOISE_RE.sub(" ", text)
    for mark in _MARKUP:
        if mark in text:
            text = text.replace(mark, " ")
    text = _REPEAT_RE.sub(r"\1\1", text)
    return " ".join(text.split())[:MAX_CHARS]


def _encode(text: str) -> bytes:
    # Lower case: SHOUTING is common in complaints, and the model reads it badly.
    return unicodedata.normalize("NFC", text.lower()).encode("utf-8", "surrogatepass")


def detect(texts: list[str]) -> list[Detection]:
    """The language of each text: (ISO 639-1 code or `und`, confidence in [0, 1])."""
    model = _model()
    prepared = [prepare(t or "") for t in texts]
    wordy = [i for i, t in enumerate(prepared) if _THREE_LETTERS_RE.search(t)]
    out = [Detection(UND, 0.0)] * len(texts)
    if not wordy:
        return out
    probabilities = model.probabilities([_encode(prepared[i]) for i in wordy])
    rows = np.arange(len(wordy))
    top = probabilities.argmax(axis=1)
    best = probabilities[rows, top]
    probabilities[rows, top] = -1.0
    second = probabilities.max(axis=1)
    unsure = (best < MIN_CONFIDENCE) | ((best < 0.5) & (best - second < MIXED_MARGIN))
    for i, lang, confidence, no in zip(
        wordy, top.tolist(), best.astype(float).round(3).tolist(), unsure.tolist(), strict=True
    ):
        out[i] = Detection(UND if no else model.classes[lang], confidence)
    return out


def choose(network_lang: str, found: Detection) -> tuple[str, str]:
    """(language, source) from the network's language and the detection.

    The network knows what its user set, so its language stays unless the detector is
    very confident of another one; without it, the detection is used (`und` included).
    """
    if network_lang and not (
        found.lang not in (UND, network_lang) and found.confidence >= OVERRIDE_CONFIDENCE
    ):
        return network_lang, "network"
    return found.lang, "detected"
