"""Urgency: how soon a mention wants an answer, weighing exposure as well as words
(docs/understanding.md#urgency).

`score(signals)` is a pure function: the mention's visibility, its author's reach,
verification and trade (a journalist), how fast its thread grows, crisis words in Spanish
and English, the negative sentiment's strength and the intents. Each signal adds a
weight; the sum, clipped to [0, 1], is the score, and the weights are kept as the
reasons, so the mention page can say why. The `understand` stage (stages.py) judges each
mention right after its sentiment and intents, and writes the urgency in the same row.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection

from panal.core import clock
from panal.listening.models import Mention

from . import engine
from .stages import text_of

MODEL = "panal-urgency@1"
LEVELS = ("low", "normal", "high", "critical")
# A score at or above each threshold has that level; below the first it is "low".
THRESHOLDS = (("critical", 0.8), ("high", 0.5), ("normal", 0.25))
THREAD_WINDOW = timedelta(hours=1)  # how far back a thread's growth is counted

# --- weights (docs/understanding.md#urgency lists them) ---------------------------------

W_PUBLIC = 0.10
W_PRIVATE = 0.05  # a private message is not exposed, but it still wants an answer
W_REACH = 0.25  # at a million followers; from 0 at 100 followers, log-scaled
W_VERIFIED = 0.10
W_JOURNALIST = 0.15
W_BOT = -0.10
W_THREAD_PER_DOUBLING = 0.05  # 2 in the window: 0.05, 4: 0.10, 8: 0.15, 16 or more: 0.20
W_THREAD_MAX = 0.20
W_NEGATIVE = 0.15  # times the negative strength (negative minus positive probability)
W_CRISIS_EXTRA = 0.05  # each further crisis word after the strongest
W_CRISIS_MAX = 0.45
INTENT_WEIGHTS = {  # times the intent's confidence
    "legal_risk": 0.20,
    "complaint": 0.10,
    "media_opportunity": 0.10,
    "technical_support": 0.08,
    "billing": 0.08,
    "purchase_intent": 0.04,
    "question": 0.03,
    "competitor": 0.03,
    "praise": -0.08,
    "spam": -0.20,
}

# --- crisis words: our own list, Spanish and English, folded (no accents, lower case) ---
# Whole words only; "prefix" entries also match the word's inflections (demandar →
# demandarlos, denunciaré). Each has its weight and the term the page shows.

_SEVERE, _LEGAL, _EXPOSURE = 0.35, 0.30, 0.20
_CRISIS_WORDS: dict[str, tuple[str, float]] = {
    # harm to people
    **dict.fromkeys(["muerto", "muertos", "muerta", "muertas", "murio", "fallecio",
                     "fallecido", "fallecida"], ("muerto", _SEVERE)),
    **dict.fromkeys(["herido", "heridos", "herida", "heridas", "lesionado", "lesionados"],
                    ("heridos", _SEVERE)),
    **dict.fromkeys(["incendio", "incendios", "incendiado", "quemaduras"], ("incendio", _SEVERE)),
    **dict.fromkeys(["explosion", "exploto", "explotaron", "estallo"], ("explosión", _SEVERE)),
    **dict.fromkeys(["intoxicacion", "intoxicados", "intoxicado", "envenenamiento"],
                    ("intoxicación", _SEVERE)),
    **dict.fromkeys(["dead", "died", "death", "deaths", "killed"], ("dead", _SEVERE)),
    **dict.fromkeys(["injured", "injury", "injuries"], ("injured", _SEVERE)),
    **dict.fromkeys(["fire", "burned", "burns"], ("fire", _SEVERE)),
    **dict.fromkeys(["exploded", "explode", "explosions"], ("explosion", _SEVERE)),
    **dict.fromkeys(["poisoning", "poisoned"], ("poisoning", _SEVERE)),
    **dict.fromkeys(["recall", "recalled"], ("recall", _SEVERE)),
    # security
    **dict.fromkeys(["hackeo", "hackearon", "hackeada", "hackeado", "hackeados"],
                    ("hackeo", _SEVERE)),
    **dict.fromkeys(["hacked", "hackers", "breach"], ("hacked", _SEVERE)),
    # law, authorities, fraud
    **dict.fromkeys(["demanda", "demandas", "demandar", "demandare", "demandaremos",
                     "demandado", "demandados"], ("demanda", _LEGAL)),
    **dict.fromkeys(["denuncia", "denuncias", "denunciar", "denunciare", "denunciado"],
                    ("denuncia", _LEGAL)),
    **dict.fromkeys(["abogado", "abogados", "abogada", "juicio", "tribunal", "juzgado"],
                    ("abogado", _LEGAL)),
    **{name: (name.upper(), _LEGAL) for name in [
        "profeco", "condusef", "sernac", "indecopi", "procon", "osiptel", "subtel", "enacom",
        "ift", "crc",
    ]},  # consumer and telecom authorities
    **dict.fromkeys(["boicot", "boicotear", "boicoteo"], ("boicot", _LEGAL)),
    **dict.fromkeys(["estafa", "estafas", "estafadores", "estafaron", "fraude"],
                    ("estafa", _LEGAL)),
    **dict.fromkeys(["lawsuit", "lawsuits", "sue", "suing", "sued"], ("lawsuit", _LEGAL)),
    **dict.fromkeys(["lawyer", "lawyers", "attorney", "attorneys"], ("lawyer", _LEGAL)),
    **dict.fromkeys(["boycott", "boycotting"], ("boycott", _LEGAL)),
    **dict.fromkeys(["scam", "scammed", "scammers", "fraud", "fraudulent"], ("scam", _LEGAL)),
    **dict.fromkeys(["ftc", "fcc", "ofcom", "regulator"], ("regulator", _LEGAL)),
    # exposure
    **dict.fromkeys(["viral", "viralizar", "viralizo"], ("viral", _EXPOSURE)),
}  # fmt: skip
_CRISIS_PHRASES: dict[tuple[str, ...], tuple[str, float]] = {
    ("filtracion", "de", "datos"): ("filtración de datos", _SEVERE),
    ("robo", "de", "datos"): ("filtración de datos", _SEVERE),
    ("retiro", "del", "mercado"): ("retiro del mercado", _SEVERE),
    ("demanda", "colectiva"): ("demanda colectiva", _SEVERE),
    ("accion", "colectiva"): ("demanda colectiva", _SEVERE),
    ("defensa", "del", "consumidor"): ("autoridad del consumidor", _LEGAL),
    ("proteccion", "al", "consumidor"): ("autoridad del consumidor", _LEGAL),
    ("data", "breach"): ("data breach", _SEVERE),
    ("data", "leak"): ("data breach", _SEVERE),
    ("class", "action"): ("class action", _SEVERE),
    ("legal", "action"): ("lawsuit", _LEGAL),
    ("consumer", "protection"): ("regulator", _LEGAL),
    ("better", "business", "bureau"): ("regulator", _LEGAL),
    ("going", "viral"): ("viral", _EXPOSURE),
}
# Spanish inflections: a word starting with one of these is the listed term.
_CRISIS_PREFIXES: dict[str, tuple[str, float]] = {
    "demandar": ("demanda", _LEGAL),
    "denunciar": ("denuncia", _LEGAL),
    "estafad": ("estafa", _LEGAL),
    "hackea": ("hackeo", _SEVERE),
    "boicote": ("boicot", _LEGAL),
    "intoxic": ("intoxicación", _SEVERE),
}
_PREFIXES = tuple(_CRISIS_PREFIXES)
_PREFIX_RE = re.compile(r"\b(?:" + "|".join(_PREFIXES) + ")")
_PHRASE_FIRSTS = frozenset(p[0] for p in _CRISIS_PHRASES)
_PHRASE_LENGTHS = sorted({len(p) for p in _CRISIS_PHRASES}, reverse=True)

# --- journalists and media: words of a bio, display name or handle ---------------------
MEDIA_WORDS = frozenset(
    str.split(
        "periodista periodistas reportero reportera reporteros redactor redactora editor "
        "editora editores columnista corresponsal cronista locutor locutora conductora "
        "conductor presentadora prensa noticias noticiero diario periodico revista semanario "
        "radio television informativo bloguero bloguera "
        "journalist journalists reporter reporters correspondent columnist editor editors "
        "anchor newsroom press news newspaper magazine broadcaster blogger podcaster "
        "herald tribune"
    )
)

_WORD = re.compile(r"\w+")
_COMBINING = re.compile("[\u0300-\u036f]")
_CAMEL = re.compile(r"(?<=[a-záéíóúñ])(?=[A-ZÁÉÍÓÚÑ])|(?<=[A-Z])(?=[A-Z][a-z])|[_.\-\d]+")


def fold(text: str) -> str:
    """Lower-case and accent-free (`Demandaré` → `demandare`), at C speed."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


@dataclass(frozen=True, slots=True)
class Signals:
    """What urgency weighs about one mention."""

    text: str = ""
    visibility: str = "public"  # public / private / unlisted
    followers: int | None = None
    verified: bool | None = None
    is_bot: bool | None = None
    author_name: str = ""
    author_handle: str = ""
    author_description: str = ""
    thread_growth: int = 0  # mentions of its thread posted in the last THREAD_WINDOW
    sentiment: str = ""
    sentiment_score: float | None = None  # positive minus negative probability
    intents: Sequence[dict] = field(default_factory=tuple)  # [{"label", "confidence"}]


@dataclass(frozen=True, slots=True)
class Urgency:
    score: float
    level: str
    reasons: list[dict]  # [{"reason", "weight", "value"?}], strongest first


def level_of(score: float) -> str:
    for level, threshold in THRESHOLDS:
        if score >= threshold:
            return level
    return "low"


def crisis_words(text: str) -> list[tuple[str, float]]:
    """The crisis terms a text names, each once: [(term, weight)], the strongest first
    and, at equal weight, in the order the text names them."""
    if not text:
        return []
    # The features' folded text and tokens (its first engine.MAX_CHARS characters),
    # already cut for this batch; their punctuation tokens never name a crisis.
    folded = engine.folded(text)
    tokens = engine.tokens_of(text)
    present = set(tokens)
    phrases = not _PHRASE_FIRSTS.isdisjoint(present)
    if not phrases and present.isdisjoint(_CRISIS_WORDS) and not _PREFIX_RE.search(folded):
        return []  # most texts: no crisis word at all
    tokens = [t for t in tokens if t[0].isalnum() or t[0] == "_"]  # as `\w+` cuts words
    found: dict[str, float] = {}
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if phrases and tok in _PHRASE_FIRSTS:
            for length in _PHRASE_LENGTHS:
                hit = _CRISIS_PHRASES.get(tuple(tokens[i : i + length]))
                if hit is not None:
                    found.setdefault(hit[0], hit[1])
                    i += length
                    break
            else:
                hit = None
            if hit is not None:
                continue
        hit = _CRISIS_WORDS.get(tok)
        if hit is None and tok.startswith(_PREFIXES):
            hit = next(v for k, v in _CRISIS_PREFIXES.items() if tok.startswith(k))
        if hit is not None:
            found.setdefault(hit[0], hit[1])
        i += 1
    return sorted(found.items(), key=lambda kv: -kv[1])


_media_cache: dict[tuple[str, str, str], str] = {}


def media_word(name: str, handle: str, description: str) -> str:
    """The first journalist or media word of the author's bio, name or handle, or ""."""
    key = (name, handle, description)
    cached = _media_cache.get(key)
    if cached is not None:
        return cached
    handle_words = _CAMEL.sub(" ", handle)  # "ElDiarioMX" → "El Diario MX"
    found = ""
    for part in (description, name, handle_words):
        for tok in _WORD.findall(fold(part)):
            if tok in MEDIA_WORDS:
                found = tok
                break
        if found:
            break
    if len(_media_cache) > 100_000:
        _media_cache.clear()
    _media_cache[key] = found
    return found


def _reason(reasons: list[dict], name: str, weight: float, value=None) -> float:
    entry: dict = {"reason": name, "weight": round(weight, 3)}
    if value is not None:
        entry["value"] = value
    reasons.append(entry)
    return weight


def score(s: Signals) -> Urgency:
    """The urgency of one mention: a score in [0, 1], its level and the reasons."""
    reasons: list[dict] = []
    total = 0.0
    if s.visibility == "public":
        total += _reason(reasons, "public", W_PUBLIC)
    else:
        total += _reason(reasons, s.visibility or "private", W_PRIVATE)
    if s.followers and s.followers > 100:
        reach = min(1.0, (math.log10(s.followers) - 2) / 4)
        total += _reason(reasons, "followers", W_REACH * reach, int(s.followers))
    if s.verified:
        total += _reason(reasons, "verified", W_VERIFIED)
    word = media_word(s.author_name, s.author_handle, s.author_description)
    if word:
        total += _reason(reasons, "journalist", W_JOURNALIST, word)
    if s.is_bot:
        total += _reason(reasons, "bot", W_BOT)
    if s.thread_growth >= 2:
        weight = min(W_THREAD_MAX, W_THREAD_PER_DOUBLING * math.log2(s.thread_growth))
        total += _reason(reasons, "thread", weight, int(s.thread_growth))
    words = crisis_words(s.text)
    if words:
        total += _reason(reasons, "crisis", words[0][1], words[0][0])
        room = W_CRISIS_MAX - words[0][1]
        for term, _weight in words[1:]:
            if room <= 1e-9:
                break
            extra = min(W_CRISIS_EXTRA, room)
            room -= extra
            total += _reason(reasons, "crisis", extra, term)
    if s.sentiment == "negative":
        strength = max(0.0, -(s.sentiment_score or 0.0))
        if strength > 0:
            total += _reason(reasons, "negative", W_NEGATIVE * strength, round(strength, 2))
    for found in s.intents or ():
        label = found.get("label") if isinstance(found, dict) else None
        base = INTENT_WEIGHTS.get(label or "")
        if base:
            confidence = float(found.get("confidence") or 0.0)
            total += _reason(reasons, "intent", base * confidence, label)
    value = round(min(1.0, max(0.0, total)), 4)
    reasons.sort(key=lambda r: -abs(r["weight"]))
    return Urgency(value, level_of(value), reasons)


def score_many(signals: Iterable[Signals]) -> list[Urgency]:
    return [score(s) for s in signals]


# --- what the understand stage asks of a batch ---------------------------------------------


def thread_growth(mentions: Sequence[Mention]) -> dict[tuple[int, str], int]:
    """(account id, thread key) → mentions of that thread posted in the last window.

    A thread's key is its root's external id: `thread_external_id` on the replies, the
    external id on the root itself. One grouped query for the whole batch.
    """
    keys = {(m.account_id, m.thread_external_id or m.external_id) for m in mentions}
    if not keys:
        return {}
    since = connection.ops.adapt_datetimefield_value(clock.now() - THREAD_WINDOW)
    accounts = sorted({a for a, _ in keys})
    threads = sorted({t for _, t in keys})
    with connection.cursor() as cursor:
        cursor.execute(*_thread_counts_sql(accounts, threads, since))
        return {(a, t): n for a, t, n in cursor.fetchall() if (a, t) in keys}


def _thread_counts_sql(accounts: list[int], threads: list[str], since) -> tuple[str, list]:
    """The grouped count, raw: the ORM spent twice as long building a thousand-value IN as
    the database spent answering it. `NOT (… = '')` is the partial index's own condition,
    so the index (thread external id, account) answers it."""
    table = connection.ops.quote_name(Mention._meta.db_table)
    if connection.vendor == "postgresql":
        where, params = "thread_external_id = ANY(%s) AND account_id = ANY(%s)", [threads, accounts]
    else:
        where = (
            f"thread_external_id IN ({', '.join(['%s'] * len(threads))}) "
            f"AND account_id IN ({', '.join(['%s'] * len(accounts))})"
        )
        params = [*threads, *accounts]
    sql = (
        f"SELECT account_id, thread_external_id, COUNT(*) FROM {table} "  # noqa: S608 - values are parameters
        f"WHERE {where} AND NOT (thread_external_id = '') AND created_at >= %s "
        "AND deleted_at IS NULL GROUP BY account_id, thread_external_id"
    )
    return sql, [*params, since]


def signals_of(m: Mention, growth: int, row: tuple | None, text: str | None = None) -> Signals:
    """What urgency weighs about a stored mention; `row` is (sentiment, its score, the
    intents), `text` the mention's text as the models read it when already at hand."""
    sentiment, sentiment_score, intents = row or ("", None, ())
    return Signals(
        text=text_of(m) if text is None else text,
        visibility=m.visibility,
        followers=m.author_followers,
        verified=m.author_verified,
        is_bot=m.author_is_bot,
        author_name=m.author_display_name,
        author_handle=m.author_handle,
        author_description=m.author_description,
        thread_growth=growth,
        sentiment=sentiment or "",
        sentiment_score=sentiment_score,
        intents=intents or (),
    )
