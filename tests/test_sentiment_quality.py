"""The shipped sentiment model's two paths: the fast one the pipeline calls on every
mention, the surer one (e5 embeddings) for the mentions it is unsure of, the
`sentiment_refine` stage that runs it in the background, and its quality on real tweets
it never trained on (data/sentiment_tweets_dev.jsonl)."""

import json
import shutil

import numpy as np
import pytest

from panal.listening import pipeline, services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.understanding import builtin, engine, metrics, refine, sentiment
from panal.understanding.models import Understanding

# Floors well under what the shipped model measures on the real-tweet dev file (the
# model card's `scores`; docs/understanding.md#sentiment), so a broken model fails.
FLOORS = {"en": ("macro_recall", 0.60), "es": ("macro_f1", 0.58)}
FAST_FLOORS = {"en": ("macro_recall", 0.55), "es": ("macro_f1", 0.54)}

OBVIOUS = [
    ("Qué partidazo, estoy feliz con el triunfo de mi equipo 🎉", "positive"),
    ("Me encantó la película, la recomiendo muchísimo", "positive"),
    ("Odio este tráfico, llevo dos horas atrapado y nadie hace nada 😡", "negative"),
    ("Qué tristeza tan grande, perdimos todo en la inundación", "negative"),
    ("El gobierno presentará el presupuesto el próximo martes", "neutral"),
    ("What a fantastic concert last night, best show ever!", "positive"),
    ("This update is terrible, my phone keeps crashing. So annoyed", "negative"),
    ("The council meeting has been moved to Thursday at 6pm", "neutral"),
]
ODD = ["", "😡😡", "❤️👏🎉", "1234", "x" * 50_000, "<p>hola</p>" * 5000, "\ud800 roto", " \n "]


def tweets(lang):
    path = builtin.DATA_DIR / builtin.TWEETS_DEV
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["lang"] == lang]


@pytest.fixture(scope="module")
def model():
    return sentiment.shipped()


def test_the_shipped_model_has_its_surer_path(model):
    assert model.refiner is not None
    assert 0 < model.threshold <= 1
    card = model.card["refine"]
    assert card["threshold"] == model.threshold and card["file"] == sentiment.REFINE_FILE
    assert model.refined_name == f"{model.name}+e5"


@pytest.mark.parametrize(("text", "label"), OBVIOUS)
def test_obvious_cases(model, text, label):
    assert model.predict_labels([text]) == [label]


def test_scores_stays_on_the_fast_path_unless_asked(model):
    texts = [t for t, _ in OBVIOUS] + ["meh", "ok then", "pues nada"]
    fast = model.predict_proba(texts)
    assert [label for label, _, _ in model.scores(texts)] == [
        sentiment.LABELS[i] for i in fast.argmax(axis=1)
    ]
    assert [label for label, _, _ in model.scores(texts, refine=True)] == model.predict_labels(
        texts
    )


def test_odd_texts_never_crash_either_path(model):
    for found in (model.scores(ODD), model.scores(ODD, refine=True)):
        assert len(found) == len(ODD)
        assert all(label in sentiment.LABELS for label, _, _ in found)
        assert all(-1 <= score <= 1 and 0 < conf <= 1 for _, score, conf in found)
    assert model.predict_labels(ODD)[0] == "neutral"
    assert model.predict_labels([]) == [] and model.scores([], refine=True) == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_quality_on_real_tweets_it_never_trained_on(model, lang):
    rows = tweets(lang)
    assert len(rows) >= 200
    texts, gold = [r["text"] for r in rows], [r["label"] for r in rows]
    metric, floor = FLOORS[lang]
    assert metrics.scores(gold, model.predict_labels(texts))[metric] >= floor
    fast = [label for label, _, _ in model.scores(texts)]
    metric, floor = FAST_FLOORS[lang]
    assert metrics.scores(gold, fast)[metric] >= floor


def test_the_real_tweets_are_not_training_data():
    dev = {r["text"] for lang in ("en", "es") for r in tweets(lang)}
    for name in builtin.SENTIMENT_SETS:
        for lang in builtin.SENTIMENT_LANGS:
            for split in ("", "_dev"):
                path = builtin.DATA_DIR / f"{name.format(lang=lang)}{split}.jsonl"
                for line in path.read_text(encoding="utf-8").splitlines():
                    assert json.loads(line)["text"] not in dev


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_a_broken_refiner_file_is_a_clear_error(tmp_path, damage):
    copy = tmp_path / "sentiment"
    shutil.copytree(engine.resolve(sentiment.BUILTIN), copy)
    if damage == "missing":
        (copy / sentiment.REFINE_FILE).unlink()
    else:
        (copy / sentiment.REFINE_FILE).write_bytes(b"not numpy")
    with pytest.raises(engine.ModelError, match="refiner"):
        sentiment.load(str(copy))


# --- the sentiment_refine stage -------------------------------------------------------

# Short posts of both kinds: some the fast path is sure of, some it is not.
POSTS = [
    "Pésimo servicio, tres días sin internet y nadie responde 😡",
    "Thank you so much, the support team was amazing!",
    "Mañana se juega la final en el estadio",
    "well that was something",
    "no sé qué pensar de lo que dijo el presidente",
    "Colorado is on fire.",
    "aquí vamos otra vez",
    "#Amuay ¿Hasta cuándo?",
]


def understood():
    """Each mention's Understanding row, by the mention's text."""
    return {u.mention.text: u for u in Understanding.objects.select_related("mention")}


def test_the_stage_refines_unsure_mentions_in_the_background(
    model, account, django_capture_on_commit_callbacks
):
    fast = model.predict_proba(POSTS).max(axis=1)
    unsure = model.unsure(fast)
    assert unsure.any() and not unsure.all(), "the posts should include both kinds"
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(
            account, [parse_item({"external_id": f"r{i}", "text": t}) for i, t in enumerate(POSTS)]
        )
    rows = understood()
    for text, was_unsure in zip(POSTS, unsure, strict=True):
        row = rows[text]
        if was_unsure:
            assert row.sentiment_model == model.refined_name
            assert [row.sentiment] == model.predict_labels([text])
        else:
            assert row.sentiment_model == model.name
        assert row.sentiment in sentiment.LABELS and 0 < row.sentiment_confidence <= 1
    mention = Mention.objects.get(external_id="r0")
    assert "sentiment_refine" in mention.stages_done


def test_refine_leaves_agent_corrections_alone(model, account):
    unsure = model.unsure(model.predict_proba(POSTS).max(axis=1))
    texts = [t for t, u in zip(POSTS, unsure, strict=True) if u]
    services.ingest(
        account, [parse_item({"external_id": f"a{i}", "text": t}) for i, t in enumerate(texts)]
    )
    ids = list(Mention.objects.order_by("id").values_list("id", flat=True))
    # The pipeline, in the test's transaction: the queued refine never runs by itself.
    pipeline.run(ids)
    assert refine.unsure_mentions(ids) == ids
    corrected = Understanding.objects.get(mention_id=ids[0])
    corrected.sentiment, corrected.sentiment_model = "positive", "agent:ana"
    corrected.save()
    assert refine.refine(ids) == len(ids) - 1
    corrected.refresh_from_db()
    assert (corrected.sentiment, corrected.sentiment_model) == ("positive", "agent:ana")
    others = Understanding.objects.exclude(mention_id=ids[0])
    assert {u.sentiment_model for u in others} == {model.refined_name}
    assert refine.unsure_mentions(ids) == []  # nothing left to refine
    assert refine.refine(ids) == 0


def test_refined_probabilities_are_distributions(model):
    proba = model.refined_proba([t for t, _ in OBVIOUS] + ODD)
    assert proba.shape == (len(OBVIOUS) + len(ODD), 3)
    assert np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
