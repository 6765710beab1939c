"""Language identification: the detector on its own, and the `language` stage through ingest."""

import json
from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from panal.listening import services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.understanding import language
from panal.understanding.models import Understanding

DATA = Path(language.__file__).parent / "data"

# Social texts of every length, written for this table.
EXAMPLES = [
    ("es", "no tengo señal desde ayer"),
    ("es", "me cobraron dos veces la factura"),
    ("es", "¿A qué hora abren la sucursal de Providencia mañana?"),
    ("es", "OTRA VEZ SIN INTERNET, YA VAN TRES DÍAS. RESPONDAN POR FAVOR"),
    ("es", "parce, qué servicio tan bacano, me resolvieron todo en cinco minutos 🙌"),
    (
        "es",
        "Estimados: desde el lunes la fibra se corta cada media hora en Coyoacán. Ya reinicié "
        "el módem, cambié el cable y llamé dos veces al soporte, y nadie me da una fecha.",
    ),
    ("en", "no signal since yesterday"),
    ("en", "they charged me twice this month"),
    ("en", "What time does the downtown store open tomorrow?"),
    ("en", "WORST SERVICE EVER, NEVER AGAIN"),
    (
        "en",
        "Three technicians, two routers and a week without stable internet. I have called "
        "support four times and every agent tells me something different.",
    ),
    ("pt", "estou sem sinal desde ontem"),
    ("pt", "o aplicativo não me deixa entrar, alguém mais?"),
    ("pt", "Péssimo atendimento, esperei uma hora e ninguém resolveu nada."),
    ("fr", "pas de réseau depuis hier"),
    ("fr", "Bonjour, vous ouvrez à quelle heure demain ?"),
    ("fr", "Service nul, ça fait une heure que j'attends et personne ne répond."),
    ("it", "il sito della banca non funziona"),
    ("de", "seit gestern kein Netz, was ist los?"),
    ("ca", "m'han cobrat dues vegades la factura"),
]


@pytest.mark.parametrize(("lang", "text"), EXAMPLES)
def test_detects_the_language(lang, text):
    [found] = language.detect([text])
    assert found.lang == lang
    assert language.MIN_CONFIDENCE <= found.confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😂😂😂",
        "👏👏 👀",
        "1234 5678",
        "+1",
        "ok",
        "!!!",
        "@ceibo https://x.example/a #",
        None,
    ],
)
def test_too_little_to_go_on_is_und(text):
    assert language.detect([text]) == [language.Detection("und", 0.0)]


def test_a_batch_answers_in_order_and_alone_the_same():
    texts = [t for _, t in EXAMPLES] + ["", "🙏"]
    batch = language.detect(texts)
    assert batch == [language.detect([t])[0] for t in texts]
    assert [d.lang for d in batch] == [lang for lang, _ in EXAMPLES] + ["und", "und"]


def test_the_batch_scorer_agrees_with_py3langid():
    """Panal's batch scorer reads py3langid's model file: it must say what py3langid says."""
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    reference.set_languages(list(language.LANGUAGES))
    reference.nb_pc = reference.nb_pc.copy()
    for lang, boost in language.PRIOR_BOOST.items():
        reference.nb_pc[reference.nb_classes.index(lang)] += boost
    texts = [language.prepare(t).lower() for _, t in EXAMPLES]
    ours = language._model().probabilities([t.encode() for t in texts])
    for text, row in zip(texts, ours, strict=True):
        lang, confidence = reference.classify(text)
        assert language.LANGUAGES[row.argmax()] == lang
        assert row.max() == pytest.approx(confidence, abs=1e-4)


def test_mixed_languages_without_a_majority_are_und():
    [found] = language.detect(["El servicio es malo. The service is bad."])
    assert found.lang == "und"


def test_long_text_html_and_odd_characters_do_not_crash():
    long_text = "La atención fue pésima y nadie responde los reclamos. " * 1000  # ~54 KB
    html = "<p>Hola <b>equipo</b>,</p><script>alert(1)</script><p>¿cómo están todos?</p>"
    odd = "\x00\x1f\u202e\ufeff texto raro \udcff con controles \x85"
    found = language.detect([long_text, html, odd, "x" * 50_000])
    assert found[0].lang == "es"
    assert found[1].lang == "es"
    assert all(isinstance(d.confidence, float) for d in found)


def test_the_network_language_stays_unless_the_model_is_very_sure():
    sure = language.Detection("pt", 0.99)
    unsure = language.Detection("pt", 0.7)
    assert language.choose("es", unsure) == ("es", "network")
    assert language.choose("es", language.Detection("und", 0.0)) == ("es", "network")
    assert language.choose("es", sure) == ("pt", "detected")
    assert language.choose("", unsure) == ("pt", "detected")
    assert language.choose("", language.Detection("und", 0.1)) == ("und", "detected")


def ingest(account, *rows):
    return services.ingest(account, [parse_item(r) for r in rows])


def test_the_stage_sets_the_language_through_ingest(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account,
            {"external_id": "l1", "text": "Hola, ¿por qué me cobraron dos veces la factura?"},
            {"external_id": "l2", "text": "Why was I charged twice on this bill?"},
            {"external_id": "l3", "text": "🙏🙏🙏"},
            {"external_id": "l4", "text_html": "<p>Estou sem <b>sinal</b> desde ontem à noite</p>"},
        )
    got = {
        m.external_id: (m.lang, m.lang_source, m.understanding.lang)
        for m in Mention.objects.select_related("understanding")
    }
    assert got == {
        "l1": ("es", "detected", "es"),
        "l2": ("en", "detected", "en"),
        "l3": ("", "detected", "und"),  # a blank language is "unknown" on a mention
        "l4": ("pt", "detected", "pt"),
    }
    row = Understanding.objects.get(mention__external_id="l1")
    assert row.lang_model == language.MODEL
    assert row.lang_model.startswith("panal-language@") and "py3langid-" in row.lang_model
    assert 0.5 < row.lang_confidence <= 1
    assert Mention.objects.get(external_id="l1").stages_done[:2] == ["normalise", "understand"]


def test_the_network_language_is_kept(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account,
            # The network says Spanish and the model agrees.
            {"external_id": "n1", "text": "no tengo señal desde ayer", "lang": "es-MX"},
            # Too short to argue with the network.
            {"external_id": "n2", "text": "ok 👍", "lang": "en"},
            # The model is unsure (Spanish or Catalan?): the network's Catalan stays.
            {"external_id": "n3", "text": "Igual aquí", "lang": "ca"},
            # The network is plainly wrong and the model is sure: the model wins.
            {"external_id": "n4", "lang": "en", "text": "Buenas tardes, hace tres días que no "
             "tengo internet en la casa y nadie del soporte técnico me da una respuesta."},
        )  # fmt: skip
    got = {m.external_id: (m.lang, m.lang_source) for m in Mention.objects.all()}
    assert got == {
        "n1": ("es", "network"),
        "n2": ("en", "network"),
        "n3": ("ca", "network"),
        "n4": ("es", "detected"),
    }
    assert Understanding.objects.get(mention__external_id="n2").lang == "und"


def test_an_edit_is_detected_again_and_rows_are_upserted(
    account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(account, {"external_id": "e1", "text": "Why was I charged twice on this bill?"})
        ingest(account, {"external_id": "e1", "text": "¿Por qué me cobraron dos veces la factura?"})
    mention = Mention.objects.get(external_id="e1")
    assert (mention.lang, mention.lang_source) == ("es", "detected")
    assert Understanding.objects.filter(mention=mention).count() == 1
    assert Understanding.objects.get(mention=mention).lang == "es"


def test_a_long_html_mention_is_processed(account, django_capture_on_commit_callbacks):
    paragraph = "<p>La fibra se corta cada media hora y el soporte no responde.</p>"
    with django_capture_on_commit_callbacks(execute=True):
        ingest(account, {"external_id": "big", "text_html": paragraph * 800})  # ~52 KB
    mention = Mention.objects.get(external_id="big")
    assert (mention.lang, mention.lang_source) == ("es", "detected")
    assert "understand" in mention.stages_done


# --- the sentiment seed data ------------------------------------------------------------

LABELS = {"negative", "neutral", "positive"}


def read(name):
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_sentiment_seed_data_is_well_formed(lang):
    train, dev = read(f"sentiment_{lang}.jsonl"), read(f"sentiment_{lang}_dev.jsonl")
    for row in train + dev:
        assert set(row) == {"text", "label", "lang"}
        assert row["label"] in LABELS and row["lang"] == lang
        assert row["text"] == row["text"].strip() and row["text"]
    assert len(train) >= 600
    for label in LABELS:  # balanced-ish in both parts
        assert sum(r["label"] == label for r in train) >= len(train) // 4
        assert sum(r["label"] == label for r in dev) >= len(dev) // 4
    texts = [r["text"].casefold() for r in train + dev]
    assert len(texts) == len(set(texts)), "a text appears twice"
    assert 0.15 <= len(dev) / (len(train) + len(dev)) <= 0.25
