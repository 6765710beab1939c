"""A small bilingual labelled set built from word lists, for the classifier engine's tests.

Each label has its own topic words in Spanish and English; every text mixes two or three
topic words of its label with everyday filler words of the same language, so a model has
to find the topic among the noise. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from panal.understanding.corpus import Example

TOPICS = {
    "billing": (
        ["factura", "cobro", "pago", "tarifa", "importe", "recargo"],
        ["invoice", "charge", "payment", "bill", "fee", "surcharge"],
    ),
    "delivery": (
        ["envío", "paquete", "entrega", "repartidor", "pedido", "correo"],
        ["shipping", "parcel", "delivery", "courier", "order", "package"],
    ),
    "praise": (
        ["gracias", "excelente", "genial", "encantada", "maravilloso", "felicitaciones"],
        ["thanks", "excellent", "great", "delighted", "wonderful", "congratulations"],
    ),
    "login": (
        ["contraseña", "acceso", "sesión", "usuario", "clave", "verificación"],
        ["password", "login", "session", "username", "passcode", "verification"],
    ),
    "outage": (
        ["caída", "señal", "cobertura", "conexión", "antena", "apagón"],
        ["outage", "signal", "coverage", "connection", "antenna", "blackout"],
    ),
    "cancel": (
        ["baja", "cancelar", "rescindir", "contrato", "permanencia", "darme"],
        ["cancel", "unsubscribe", "terminate", "contract", "quit", "leave"],
    ),
}
FILLERS = (
    ["hola", "por", "favor", "mi", "el", "la", "de", "hoy", "ayer", "necesito", "ayuda", "con"],
    ["hi", "please", "my", "the", "of", "today", "yesterday", "need", "help", "with", "a"],
)
GIBBERISH = ["zxqv", "blorft", "kwyjibo", "snarfle", "quuxly", "frobnitz", "glarp", "vrzzt"]


def examples(per_label: int = 40, seed: int = 7) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for label, (es, en) in TOPICS.items():
        for i in range(per_label):
            lang = i % 2
            topic = (es, en)[lang]
            words = rng.sample(topic, rng.randint(2, 3)) + rng.sample(FILLERS[lang], 4)
            rng.shuffle(words)
            text = " ".join(words)
            out.append(Example(text[0].upper() + text[1:] + rng.choice([".", "!", "?", ""]), label))
    rng.shuffle(out)
    return out


def gibberish(n: int, seed: int = 3, label: str = "oos") -> list[Example]:
    rng = random.Random(seed)
    return [Example(" ".join(rng.sample(GIBBERISH, 3)), label) for _ in range(n)]


def write(path: Path, items: list[Example]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for e in items:
            out.write(
                json.dumps({"text": e.text, "label": e.label, "lang": "x"}, ensure_ascii=False)
            )
            out.write("\n")
    return path


def pairs(n: int, seed: int = 5) -> list[Example]:
    """Texts about two topics at once, labelled with both (`labels`, the first one main)."""
    rng = random.Random(seed)
    names = sorted(TOPICS)
    out = []
    for i in range(n):
        lang = i % 2
        first, second = rng.sample(names, 2)
        words = rng.sample(TOPICS[first][lang], 2) + rng.sample(TOPICS[second][lang], 2)
        words += rng.sample(FILLERS[lang], 3)
        rng.shuffle(words)
        out.append(Example(" ".join(words), first, (first, second)))
    return out
