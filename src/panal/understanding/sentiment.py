"""Sentiment of a text: a fast path (the engine's model blended with a polarity lexicon)
and a slower, surer path on sentence embeddings for the texts the fast one is unsure of.

See docs/understanding.md#sentiment. The shipped model (`builtin:sentiment`) is an engine
model trained on our own Spanish and English examples (`data/sentiment_*.jsonl`); its card
records `lexicon_weight`, how much the lexicon's score moves the engine's odds, chosen on
the dev files. The lexicon is Panal's own (a few hundred folded words of each language with
a polarity, negators that flip what follows, intensifiers, emoji) extended with the English
words of VADER's lexicon (the `vaderSentiment` package, MIT). It decides texts the engine
knows nothing of (emoji only).

The surer path (`Refiner`, `refine.npz` beside the weights) is a logistic regression on the
text's multilingual-e5-small embedding (`embeddings.embed`) and four lexicon features,
trained on the same examples. It is about a hundred texts a second, so `scores` (what the
pipeline's hot path calls) stays on the fast path unless asked (`refine=True`), and the
`sentiment_refine` stage re-scores only the mentions the fast path was unsure of, in the
background (refine.py). `predict_labels` (what `panal model evaluate` scores) answers the
way a mention ends up: the fast label where its confidence reaches the refiner's
`threshold`, the refined label elsewhere.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from panal.core.text import fold

from . import embeddings, engine
from .engine import Model, Prediction

NAME = "panal-sentiment"
LABELS = ("negative", "neutral", "positive")
BUILTIN = "builtin:sentiment"

# Polarity in [-1, 1] per folded word. Written for Panal; stems end with "*".
_POSITIVE = """
bueno buena buenos buenas genial excelente excelentes increible increibles maravilla
maravilloso maravillosa perfecto perfecta gracias agradezco agradecido agradecida feliz
felices encanta encanto encantada encantado amo adoro recomiendo recomendable recomendado
rapido rapida rapidisimo chido chevere bacan bacano barbaro tuanis crack cracks genio
mejor mejores lindo linda hermoso hermosa bonito bonita espectacular fantastico fantastica
amable amables atento atenta atentos impecable impecables solucionado solucionaron
resolvieron resuelto funciona funcionando contento contenta contentos satisfecho
satisfecha top brutal vale alegria orgullo orgulloso orgullosa felicidades felicitaciones
enhorabuena gusto gusta gustan gusto disfrute disfrutamos disfrutando lujo rico rica
deliciosa delicioso exito bien bienvenido
good great excellent amazing awesome love loved loving lovely perfect thanks thank
thankful grateful happy glad recommend recommended fast quick quickly best better nice
beautiful fantastic fabulous brilliant wonderful superb friendly helpful kind solved
fixed works working pleased satisfied delighted proud congrats congratulations enjoy
enjoyed enjoying delicious yay smooth flawless impressed impressive cool fab legend
legendary stellar terrific outstanding appreciate appreciated win wins winner fav
favourite favorite
"""
_NEGATIVE = """
malo mala malos malas pesimo pesima horrible horribles terrible terribles fatal asco
asqueroso asquerosa odio odiamos harto harta hartos cansado cansada cansé canse nunca
peor peores basura estafa estafadores robo robaron ladrones verguenza vergonzoso
decepcion decepcionado decepcionada decepcionante lento lenta lentitud tarde retraso
retrasado retrasada cancelado cancelaron cobraron cobro caido caida falla fallas fallo
error errores problema problemas queja reclamo denuncia triste tristeza enojado enojada
furioso furiosa molesto molesta indignado indignada indignante inutil inutiles desastre
mierda porqueria sinverguenzas ridiculo ridicula fome arrecho roto rota rompio perdido
perdida perdieron espera esperando nadie ignoran ignorando abandonado imposible
insoportable lamentable lamentablemente vergüenza caro carisimo abuso pena miedo
preocupa preocupado preocupada grave mal
bad worst awful terrible horrible hate hated hating disappointed disappointing
disappointment useless rubbish garbage trash scam scammed rip ripoff slow late delay
delayed delays cancelled canceled broken broke fail failed failing failure error errors
problem problems issue issues angry furious annoyed annoying frustrated frustrating
sad unacceptable ridiculous pathetic joke nobody never lost refund charged overcharged
rude waste wasted worse nightmare disaster sucks suck crap poor unhelpful ignored
ignoring down outage stuck fed upset shame shameful mess awful worried cold gross
"""
_STRONG = {
    "pesimo": -1.5, "pesima": -1.5, "horrible": -1.5, "terrible": -1.5, "asco": -1.5,
    "odio": -1.5, "estafa": -1.5, "desastre": -1.5, "worst": -1.5, "hate": -1.5,
    "scam": -1.5, "nightmare": -1.5, "awful": -1.5, "excelente": 1.5, "encanta": 1.5,
    "increible": 1.3, "excellent": 1.5, "amazing": 1.5, "love": 1.5, "perfect": 1.3,
    "gracias": 1.0, "thanks": 1.0, "bien": 0.6, "mal": -0.8, "vale": 0.3, "down": -0.5,
    "espera": -0.4, "tarde": -0.5, "cold": -0.4, "never": -0.6, "nunca": -0.6,
    "nadie": -0.7, "nobody": -0.7, "rico": 0.5, "rica": 0.5, "gusto": 0.6,
}  # fmt: skip
_NEGATORS = frozenset(
    {
        "no",
        "ni",
        "nunca",
        "jamas",
        "tampoco",
        "sin",
        "nadie",
        "nada",
        "not",
        "never",
        "without",
        "nobody",
        "nothing",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "cant",
        "cannot",
        "wont",
        "aint",
    }
)
_INTENSIFIERS = {
    "muy": 1.5, "super": 1.5, "re": 1.4, "demasiado": 1.4, "tan": 1.3, "bastante": 1.2,
    "totalmente": 1.4, "mas": 1.2, "very": 1.5, "so": 1.3, "really": 1.4, "too": 1.3,
    "absolutely": 1.5, "extremely": 1.6, "totally": 1.4, "sooo": 1.5,
}  # fmt: skip
_EMOJI = {
    "😡": -1.5, "🤬": -1.5, "😠": -1.3, "😤": -1.0, "😞": -1.0, "😔": -1.0, "😢": -1.0,
    "😭": -1.0, "💔": -1.2, "👎": -1.2, "🙄": -1.0, "😒": -1.0, "🙃": -0.8, "😩": -1.0,
    "😫": -1.0, "🤮": -1.5, "💩": -1.2, "😖": -1.0, "😣": -1.0, "😑": -0.6, "😐": -0.2,
    "😍": 1.5, "🥰": 1.5, "❤": 1.3, "❤️": 1.3, "💕": 1.3, "💖": 1.3, "💙": 1.1, "💚": 1.1,
    "😊": 1.2, "😀": 1.0, "😃": 1.0, "😄": 1.1, "😁": 1.0, "🙂": 0.6, "😎": 0.8,
    "👍": 1.0, "👏": 1.2, "🙌": 1.2, "🎉": 1.2, "🥳": 1.3, "💯": 1.0, "🔥": 0.8, "✨": 0.6,
    "🤩": 1.4, "😂": 0.5, "🤣": 0.5, "🙏": 0.6, "⭐": 0.8, "🌟": 0.8, "✅": 0.6, "❌": -0.6,
}  # fmt: skip
# A word, a non-space mark, or one emoji (with its variation selector).
_TOKEN_RE = re.compile(r"\w+|[^\w\s]\ufe0f?")
_REPEAT_RE = re.compile(r"(\w)\1{2,}")
_NEGATION_REACH = 3  # a negator turns the next three words


# VADER words left out: Spanish words spelt the same ("no", "sin", "hago", "mia"), slang
# that means the opposite in Spanish ("brutal"), our own intensifier "super", and pieces
# of links or fillers ("ly" of bit.ly, "like", "ok").
_VADER_SKIP = frozenset(
    ("no", "sin", "hago", "mia", "fu", "ly", "brutal", "super", "ok", "like", "festival",
     "fiesta", "fiestas", "favor", "original", "active")
)  # fmt: skip
_VADER_MIN = 0.8  # VADER valences run from -4 to 4; weaker words are left out
_VADER_SCALE = 2.5  # a VADER valence over this is our polarity (love 3.2 → 1.28)


def _vader_words() -> dict[str, float]:
    """VADER's single words with a clear valence, on our scale; {} without the package."""
    try:
        from vaderSentiment import vaderSentiment
    except ImportError:  # pragma: no cover - a broken install; the own lexicon still works
        return {}
    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    words: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition("\t")
        try:
            valence = float(rest.split("\t", 1)[0])
        except ValueError:
            continue
        clear = abs(valence) >= _VADER_MIN and word not in _VADER_SKIP
        if clear and word.isalpha() and word.isascii():
            words[word] = max(-1.5, min(1.5, valence / _VADER_SCALE))
    return words


def _lexicon() -> dict[str, float]:
    lexicon = _vader_words()  # ours below take precedence
    lexicon.update(dict.fromkeys(_POSITIVE.split(), 1.0))
    lexicon.update(dict.fromkeys(_NEGATIVE.split(), -1.0))
    lexicon.update({fold(w): v for w, v in _STRONG.items()})
    return {fold(w): v for w, v in lexicon.items()}


LEXICON = _lexicon()


# What a token is to the lexicon, worked out once per distinct token (`_kind`).
_OTHER, _EMOJI_KIND, _NEGATOR, _INTENSIFIER, _POLAR, _BANG = range(6)
_AS_OTHER, _AS_NEGATOR, _AS_BANG = (_OTHER, 0.0), (_NEGATOR, 0.0), (_BANG, 0.0)  # shared
_KINDS: dict[str, tuple[int, float]] = {}
_MAX_KINDS = 200_000  # distinct tokens remembered; past this the memory starts again


def _kind(token: str) -> tuple[int, float]:
    """(kind, value) of a token, in the order `lexicon_score` weighs them: an emoji, a
    negator (unless it has a polarity of its own), an intensifier, a word with a polarity,
    the exclamation mark, anything else. A letter written three times or more counts twice
    ("buenoooo" is read "buenoo")."""
    key = token
    if len(token) > 2:
        token = _REPEAT_RE.sub(r"\1\1", token)
    value = _EMOJI.get(token) or _EMOJI.get(token.rstrip("\ufe0f"))
    if value is not None:
        found = (_EMOJI_KIND, value)
    elif token in _NEGATORS and token not in LEXICON:
        found = _AS_NEGATOR
    elif token in _INTENSIFIERS:
        found = (_INTENSIFIER, _INTENSIFIERS[token])
    elif token in LEXICON:
        found = (_POLAR, LEXICON[token])
    elif token == "!":  # noqa: S105 - a punctuation mark, not a password
        found = _AS_BANG
    else:
        found = _AS_OTHER
    if len(_KINDS) >= _MAX_KINDS:
        _KINDS.clear()
    _KINDS[key] = found
    return found


def lexicon_score(text: str) -> float:
    """The lexicon's polarity of `text`, in [-1, 1] (0 when it knows no word of it)."""
    folded = engine.folded(text)
    # The features' tokens, already cut for this batch, unless an emoji carries its
    # presentation selector (U+FE0F), which the lexicon reads with the emoji.
    tokens = _TOKEN_RE.findall(folded) if "\ufe0f" in folded else engine.tokens_of(text)
    total = 0.0
    negate_left = 0
    boost = 1.0
    kinds = _KINDS
    for token in tokens:
        kind, value = kinds.get(token) or _kind(token)
        if kind == _EMOJI_KIND:
            total += value
            continue
        if kind == _NEGATOR:
            negate_left = _NEGATION_REACH
            continue
        if kind == _INTENSIFIER:
            boost = value
            continue
        if kind == _POLAR:
            if negate_left:
                value = -0.8 * value  # "no es bueno" is bad; "no está mal" is fair
                negate_left = 0
            total += value * boost
        elif kind == _BANG:
            total *= 1.1
        boost = 1.0
        if negate_left:
            negate_left -= 1
    return math.tanh(total / 2)


REFINE_FILE = "refine.npz"
N_LEXICON_FEATURES = 4


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """(texts, 4): our lexicon's score, and VADER's compound, positive and negative shares."""
    vader = _vader()
    rows = np.zeros((len(texts), N_LEXICON_FEATURES), dtype=np.float32)
    for i, text in enumerate(texts):
        head = text[: embeddings.MAX_CHARS]
        found = vader.polarity_scores(head)
        rows[i] = (lexicon_score(head), found["compound"], found["pos"], found["neg"])
    return rows


def refine_features(texts: Sequence[str]) -> np.ndarray:
    """What the surer path reads of each text: its e5 embedding and the lexicon features."""
    # Lone surrogates (from a broken file) cannot go to the C engine as UTF-8.
    texts = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
    return np.hstack([embeddings.embed(texts), lexicon_features(texts)])


@dataclass(frozen=True)
class Refiner:
    """The surer path: a logistic regression on `refine_features`, its log-probabilities
    blended with the fast path's (`blend` is the fast path's share). A text whose fast
    confidence is under `threshold` is worth refining. All three numbers were chosen on
    the dev files (the card's `refine` block says which and what they scored)."""

    coef: np.ndarray  # (3, features) float32, rows in LABELS order
    intercept: np.ndarray  # (3,)
    threshold: float
    blend: float

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        z = refine_features(texts) @ self.coef.T.astype(np.float64) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def save(self, path: Path) -> str:
        """Write the arrays to `path` and return their SHA-256."""
        with path.open("wb") as fh:
            np.savez(
                fh, coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32)
            )
        return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SentimentModel:
    """The fast path: the engine's model and the lexicon, blended in log space: the
    lexicon's score `s` times `lexicon_weight` is added to the positive label's
    log-probability and taken from the negative one's, then renormalised. A text with no
    feature the engine knows (emoji only, an unknown language) is left to the lexicon
    alone: neutral unless it has a polarity. With a `refiner`, the surer path for the
    texts the fast path is unsure of. Answers like an engine `Model` where
    `metrics.evaluate` needs it (`predict_labels`, `task`, `card`, `oos_label`)."""

    model: Model
    lexicon_weight: float
    refiner: Refiner | None = None

    def __post_init__(self) -> None:
        if sorted(self.model.labels) != sorted(LABELS):
            raise engine.ModelError(
                self.model.card.get("task", "?"), f"a sentiment model answers {LABELS}"
            )
        self._order = [self.model.labels.index(label) for label in LABELS]

    @property
    def task(self) -> str:
        return self.model.task

    @property
    def card(self) -> dict[str, Any]:
        return self.model.card

    @property
    def oos_label(self) -> None:
        return None

    @property
    def name(self) -> str:
        """name@version, what each prediction records."""
        return f"{NAME}@{self.model.card.get('version', '?')}"

    @property
    def refined_name(self) -> str:
        """What a prediction of the surer path records: the name and "+e5"."""
        return f"{self.name}+e5"

    @property
    def threshold(self) -> float:
        """Fast confidence under which a text is refined (0 without a refiner: never)."""
        return self.refiner.threshold if self.refiner else 0.0

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, 3) probabilities of the fast path, in LABELS order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        features = self.model.featuriser.transform(texts)
        z = np.asarray(features @ self.model.coef.T, dtype=np.float64)[:, self._order]
        z += self.model.intercept[self._order]
        unknown = features.getnnz(axis=1) == 0
        z[unknown] = 0.0  # no evidence from the engine: an even start
        polarity = np.array([lexicon_score(t) for t in texts])
        z[:, 0] -= self.lexicon_weight * polarity
        z[:, 2] += self.lexicon_weight * polarity
        z[unknown, 1] += 1.0 - 4.0 * np.abs(polarity[unknown])  # neutral unless polar
        z -= z.max(axis=1, keepdims=True)
        proba = np.exp(z)
        return proba / proba.sum(axis=1, keepdims=True)

    def refined_proba(self, texts: Sequence[str], fast: np.ndarray | None = None) -> np.ndarray:
        """(texts, 3) probabilities of the surer path for every text (the fast path's
        without a refiner). `fast` passes the fast probabilities when already known."""
        texts = list(texts)
        fast = self.predict_proba(texts) if fast is None else fast
        if self.refiner is None or not texts:
            return fast
        w = self.refiner.blend
        z = (1 - w) * self.refiner.log_proba(texts) + w * np.log(np.clip(fast, 1e-9, 1))
        z -= z.max(axis=1, keepdims=True)
        proba = np.exp(z)
        return proba / proba.sum(axis=1, keepdims=True)

    def unsure(self, confidence: np.ndarray | Sequence[float]) -> np.ndarray:
        """Which fast confidences are worth refining."""
        return np.asarray(confidence, dtype=np.float64) < self.threshold

    def best_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, refined?) per text: the fast path's, and the surer path's where
        the fast one is unsure. Only the unsure texts are embedded."""
        texts = list(texts)
        proba = self.predict_proba(texts)
        refined = self.unsure(proba.max(axis=1)) if len(texts) else np.zeros(0, dtype=bool)
        if refined.any():
            rows = np.flatnonzero(refined)
            proba[rows] = self.refined_proba([texts[i] for i in rows], proba[rows])
        return proba, refined

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The fast path's label and confidence of each text."""
        proba = self.predict_proba(texts)
        best = proba.argmax(axis=1)
        return [Prediction(LABELS[i], float(p[i])) for i, p in zip(best, proba, strict=True)]

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        """The label each text ends up with: the surer path's where the fast one is unsure."""
        proba, _ = self.best_proba(texts)
        return [LABELS[i] for i in proba.argmax(axis=1)]

    def scores(self, texts: Sequence[str], refine: bool = False) -> list[tuple[str, float, float]]:
        """(label, positive-minus-negative score in [-1, 1], confidence) per text: the
        fast path (the pipeline's hot path), or with `refine` the label each text ends up
        with (`predict_labels`)."""
        proba = self.best_proba(texts)[0] if refine else self.predict_proba(texts)
        best = proba.argmax(axis=1)
        return [
            (LABELS[i], float(p[2] - p[0]), float(p[i])) for i, p in zip(best, proba, strict=True)
        ]


def _load_refiner(path: Path, card: dict[str, Any]) -> Refiner | None:
    info = card.get("refine")
    if info is None:
        return None
    where = path / REFINE_FILE
    try:
        threshold, blend = float(info["threshold"]), float(info["blend"])
        digest = str(info["sha256"])
    except (KeyError, TypeError, ValueError):
        raise engine.ModelError(path / engine.CARD, "incomplete refine block") from None
    if not 0 <= threshold <= 1 or not 0 <= blend <= 1:
        raise engine.ModelError(path / engine.CARD, "refine threshold and blend are in [0, 1]")
    if not where.is_file():
        raise engine.ModelError(where, "the refiner's weights are missing")
    if hashlib.sha256(where.read_bytes()).hexdigest() != digest:
        raise engine.ModelError(where, "the refiner's weights do not match model.json")
    try:
        with np.load(where, allow_pickle=False) as arrays:
            coef, intercept = arrays["coef"], arrays["intercept"]
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise engine.ModelError(where, f"unreadable refiner weights ({exc})") from None
    n_features = embeddings.DIM + N_LEXICON_FEATURES
    if (
        coef.shape != (len(LABELS), n_features)
        or intercept.shape != (len(LABELS),)
        or not np.isfinite(coef).all()
    ):
        raise engine.ModelError(where, "the refiner's weights have the wrong shape")
    return Refiner(coef.astype(np.float32), intercept.astype(np.float64), threshold, blend)


def load(name: str = BUILTIN) -> SentimentModel:
    """A sentiment model directory (the shipped one by default); defects raise ModelError."""
    model = engine.load(name)
    weight = model.card.get("lexicon_weight", 0.0)
    if not isinstance(weight, int | float) or not 0 <= weight <= 10:
        raise engine.ModelError(name, "lexicon_weight in model.json must be between 0 and 10")
    refiner = _load_refiner(engine.resolve(str(name)), model.card)
    return SentimentModel(model, float(weight), refiner)


@cache
def shipped() -> SentimentModel:
    """The shipped model, loaded once per process."""
    return load(BUILTIN)
