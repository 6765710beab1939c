"""Intents: the shipped model on clear examples, the `intent` stage through ingest, the data."""

import json
from collections import Counter
from pathlib import Path

import pytest

from panal.core.text import fold
from panal.listening import pipeline, services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.understanding import intent
from panal.understanding.corpus import read_examples
from panal.understanding.models import Understanding

DATA = Path(intent.__file__).parent / "data"
FILES = ["intent_es.jsonl", "intent_es_dev.jsonl", "intent_en.jsonl", "intent_en_dev.jsonl"]

# Written for this table; none of these texts is in the data files (checked below).
CLEAR = [
    ("praise", "es", "Gracias por la atención de hoy, la cajera fue amabilísima, 10 de 10"),
    ("praise", "en", "Huge thanks to your team, best service I've had all year"),
    ("complaint", "es", "Pésima atención, llevo dos semanas esperando y nadie me responde"),
    ("complaint", "en", "Terrible customer service, nobody ever answers and I'm fed up"),
    ("question", "es", "¿A qué hora abren la sucursal del centro los domingos?"),
    ("question", "en", "What time does your downtown branch open on sundays?"),
    ("purchase_intent", "es", "Quiero contratar el plan de fibra, ¿cuánto cuesta y cómo lo pido?"),
    (
        "purchase_intent",
        "en",
        "I want to buy the premium plan, how much is it and how do I sign up?",
    ),
    ("technical_support", "es", "La app no me deja iniciar sesión, me sale error al entrar"),
    ("technical_support", "en", "The app crashes every time I try to log in, error on startup"),
    ("billing", "es", "Me cobraron dos veces la factura de este mes, quiero el reembolso"),
    ("billing", "en", "You charged my card twice for this month's bill, I want a refund"),
    ("media_opportunity", "es", "Soy periodista de un diario y quisiera entrevistar a su vocero"),
    (
        "media_opportunity",
        "en",
        "I'm a reporter writing a story, could I interview your spokesperson?",
    ),
    ("product_idea", "es", "Deberían agregar modo oscuro a la app, sería genial"),
    ("product_idea", "en", "You should add a dark mode to the app, that would be great"),
    ("competitor", "es", "Me paso a la competencia, me ofrecen lo mismo por la mitad"),
    ("competitor", "en", "Switching to your competitor, they offer the same for half the price"),
    ("recruiting_hr", "es", "¿Están contratando? Quiero postular a la vacante de vendedor"),
    ("recruiting_hr", "en", "Are you hiring? I'd like to apply for the sales rep opening"),
    ("legal_risk", "es", "Voy a demandarlos, ya presenté la denuncia ante el regulador"),
    ("legal_risk", "en", "I'm suing you, my lawyer is filing a complaint with the regulator"),
    ("spam", "es", "🔥 Gana dinero desde casa con bitcoin, link en mi bio 🔥"),
    ("spam", "en", "🔥 Make money from home with crypto, link in bio 🔥"),
    ("none", "es", "qué lindo amanecer hoy en la playa"),
    ("none", "en", "what a lovely sunrise at the beach today"),
]


def read(name):
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def key(text):
    return " ".join(fold(text).lower().split())


@pytest.mark.parametrize(("label", "lang", "text"), CLEAR)
def test_the_shipped_model_labels_clear_examples(label, lang, text):
    [found] = intent.label_sets(intent.load(), [text])
    if label == "none":
        assert found == []
    else:
        assert found and found[0]["label"] == label
        assert 0 < found[0]["confidence"] <= 1


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏🙏", "😡", "!!!", "👍🏽 🎉"])
def test_texts_without_words_get_no_intent(text):
    assert intent.label_sets(intent.load(), [text]) == [[]]


def test_every_label_set_is_ordered_and_each_label_passes_its_own_threshold():
    model = intent.load()
    thresholds = model.card["label_thresholds"]
    sets = intent.label_sets(model, [t for _, _, t in CLEAR] + ["x" * 50_000, "ok " * 2000])
    for found in sets:
        confidences = [f["confidence"] for f in found]
        assert confidences == sorted(confidences, reverse=True)
        assert all(f["confidence"] >= round(thresholds[f["label"]], 4) - 1e-4 for f in found)
        assert all(f["label"] in intent.LABELS for f in found)
        assert len({f["label"] for f in found}) == len(found)


# Written for this table, not in the data files: several intents at once.
SEVERAL = [
    (
        {"complaint", "billing", "legal_risk"},
        "Servicio pésimo: me cobraron dos veces la factura, nadie responde y ya fui con "
        "mi abogado para demandarlos",
    ),
    (
        {"billing", "legal_risk"},
        "You double charged my card again, refund it or I'm filing a complaint with the "
        "regulator and suing",
    ),
]


@pytest.mark.parametrize(("expected", "text"), SEVERAL)
def test_a_mention_can_have_several_intents_with_their_own_confidence(expected, text):
    [found] = intent.label_sets(intent.load(), [text])
    labels = {f["label"] for f in found}
    # At least two of the intents (the model misses some: a long text dilutes each word).
    assert len(expected & labels) >= 2, found
    assert len({f["confidence"] for f in found}) > 1 or len(found) == 1


def test_the_model_card_names_the_model_and_its_dev_scores():
    model = intent.load()
    assert intent.model_name(model) == f"panal-intent@{model.card['version']}"
    assert model.oos_label == "none" and model.multilabel
    assert set(model.labels) == set(intent.LABELS)
    assert set(model.answers) == {*intent.LABELS, "none"}
    assert set(model.card["label_thresholds"]) == set(intent.LABELS)
    for name in ("intent_es_dev.jsonl", "intent_en_dev.jsonl"):
        scores = model.card["scores"][name]
        assert 0 < scores["macro_f1"] <= 1 and 0 < scores["label_set_f1"] <= 1


def test_the_why_of_each_intent_comes_from_its_own_model():
    model = intent.load()
    text = "me cobraron dos veces la factura y voy a demandarlos ante el regulador"
    billing = dict(model.explain(text, "billing", k=20))
    legal = dict(model.explain(text, "legal_risk", k=20))
    assert billing["cobraron"] > billing.get("demandarlos", 0.0)
    assert legal["demandarlos"] > legal.get("cobraron", 0.0)


def ingest(account, *rows):
    return services.ingest(account, [parse_item(r) for r in rows])


def test_the_stage_sets_intents_through_ingest(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account,
            {"external_id": "i1", "text": "Me cobraron dos veces la factura, quiero el reembolso"},
            {"external_id": "i2", "text": "Are you hiring? I'd like to apply for the sales job"},
            {"external_id": "i3", "text": "🙏🙏🙏"},
            {"external_id": "i4", "text": "qué lindo amanecer hoy en la playa"},
        )  # fmt: skip
    rows = {u.mention.external_id: u for u in Understanding.objects.select_related("mention")}
    assert rows["i1"].intents[0]["label"] == "billing"
    assert rows["i2"].intents[0]["label"] == "recruiting_hr"
    assert rows["i3"].intents == [] and rows["i4"].intents == []
    name = intent.model_name(intent.load())
    assert {u.intent_model for u in rows.values()} == {name}
    # The same row holds the language.
    assert rows["i1"].lang == "es" and rows["i2"].lang == "en"
    done = Mention.objects.get(external_id="i1").stages_done
    assert done.index("normalise") < done.index("understand") < done.index("authors")
    assert "understand" in [s.name for s in pipeline.stages()]


def test_a_rerun_rewrites_the_intents(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(account, {"external_id": "e1", "text": "Deberían agregar modo oscuro a la app"})
        ingest(account, {"external_id": "e1", "text": "Voy a demandarlos ante el regulador"})
    [row] = Understanding.objects.all()
    assert row.intents[0]["label"] == "legal_risk"


@pytest.mark.parametrize("name", FILES)
def test_the_data_files_parse_with_known_labels(name):
    rows = read(name)
    lang = name.split("_")[1].split(".")[0]
    assert all(set(r) - {"labels"} == {"text", "label", "lang"} for r in rows)
    assert all(r["text"].strip() and r["lang"] == lang for r in rows)
    counts = Counter(r["label"] for r in rows)
    assert set(counts) == {*intent.LABELS, "none"}
    several = [r for r in rows if "labels" in r]
    assert several, "each file has lines with several intents"
    for r in several:
        assert r["labels"][0] == r["label"] and len(set(r["labels"])) == len(r["labels"]) > 1
        assert set(r["labels"]) <= set(intent.LABELS)
    # The reader takes them as one text with all its intents.
    examples = read_examples(DATA / name).examples
    assert sum(len(e.label_set) > 1 for e in examples) == len(several)
    if not name.endswith("_dev.jsonl"):
        assert min(counts.values()) >= 50


def test_no_text_is_repeated_within_or_across_train_and_dev():
    seen = Counter(key(r["text"]) for name in FILES for r in read(name))
    assert [t for t, n in seen.items() if n > 1] == []
    assert not {key(t) for _, _, t in CLEAR} & set(seen)
