"""The classifier engine through its Python API: accuracy, out-of-scope, save/load, explain."""

import json

import numpy as np
import pytest

from panal.core.text import words
from panal.understanding import engine
from panal.understanding.corpus import DataError, Example, read_examples, stratified_split
from panal.understanding.engine import EngineParams, ModelError, TrainingError
from panal.understanding.metrics import scores

from . import synthetic

SMALL = EngineParams(min_df=1, c=10.0)


@pytest.fixture(scope="module")
def split():
    return stratified_split(synthetic.examples(per_label=40), 0.25, seed=1)


@pytest.fixture(scope="module")
def model(split):
    train, _ = split
    return engine.train(train, task="topic", params=SMALL)


def test_held_out_texts_are_labelled_right(model, split):
    _, held = split
    predicted = model.predict_labels([e.text for e in held])
    accuracy = np.mean([p == e.label for p, e in zip(predicted, held, strict=True)])
    assert len(held) == 60
    assert accuracy >= 0.95


def test_predictions_carry_a_confidence_and_top_k_is_ordered(model):
    text = "Necesito ayuda con mi factura y el cobro de hoy"
    [prediction] = model.predict([text])
    assert prediction.label == "billing"
    assert 0.5 < prediction.confidence <= 1.0
    [top] = model.top_k([text], k=3)
    assert top[0][0] == "billing"
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(p for _, p in model.top_k([text], k=len(model.labels))[0]) == pytest.approx(1.0)


def test_empty_emoji_and_huge_texts_get_an_answer(model):
    texts = ["", "🙂🙂", "<p>factura</p>", "pago " * 20_000, "hello \x00 señal"]
    predictions = model.predict(texts)
    assert len(predictions) == len(texts)
    assert all(p.label in model.labels for p in predictions)
    assert model.predict([]) == []


def test_out_of_scope_is_answered_for_unknown_words(split):
    train, dev = split
    dev = dev + synthetic.gibberish(15)
    model = engine.train(train, task="topic", dev=dev, oos_label="oos", params=SMALL)
    assert model.threshold is not None and 0 < model.threshold < 1
    assert model.card["oos"]["variant"] == "without_oos"
    unknown = ["qwzx plokk brrrn", "mmmh yyyyk zzzap"]
    assert model.predict_labels(unknown) == ["oos", "oos"]
    assert model.predict_labels(["me llegó la factura con un recargo"]) == ["billing"]


def test_out_of_scope_examples_in_training_are_tried_as_a_class(split):
    train, dev = split
    model = engine.train(
        train + synthetic.gibberish(20, seed=11),
        task="topic",
        dev=dev + synthetic.gibberish(10, seed=12),
        oos_label="oos",
        params=SMALL,
    )
    assert set(model.card["oos"]["variants"]) == {"without_oos", "with_oos"}
    assert model.predict_labels(["blorft glarp zxqv"]) == ["oos"]


def test_saved_model_loads_and_predicts_the_same(model, split, tmp_path):
    _, held = split
    texts = [e.text for e in held]
    path = model.save(tmp_path / "topic")
    loaded = engine.load(path)
    assert loaded.labels == model.labels
    assert loaded.predict_labels(texts) == model.predict_labels(texts)
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    card = json.loads((path / "model.json").read_text())
    assert card["task"] == "topic" and card["version"] == card["weights"]["sha256"][:12]
    assert card["params"]["c"] == SMALL.c


def test_a_damaged_weights_file_is_refused(model, tmp_path):
    path = model.save(tmp_path / "topic")
    weights = path / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum") as caught:
        engine.load(path)
    assert caught.value.path == str(weights)


def test_missing_or_unreadable_models_are_refused(model, tmp_path):
    with pytest.raises(ModelError, match="no such model directory"):
        engine.load(tmp_path / "nowhere")
    path = model.save(tmp_path / "topic")
    (path / "weights.npz").unlink()
    with pytest.raises(ModelError, match="missing"):
        engine.load(path)
    (path / "model.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable model card"):
        engine.load(path)


def test_weights_that_do_not_fit_the_card_are_refused(model, tmp_path):
    path = model.save(tmp_path / "topic")
    card = json.loads((path / "model.json").read_text())
    card["labels"] = card["labels"][:-1]
    (path / "model.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="do not fit"):
        engine.load(path)


def test_a_builtin_that_is_not_shipped_says_so():
    with pytest.raises(ModelError, match="not shipped"):
        engine.load("builtin:no-such-model")
    with pytest.raises(ModelError, match="lower-case"):
        engine.load("builtin:../etc")


def test_explain_names_words_of_the_text(model):
    text = "Hola, necesito ayuda: el repartidor no trajo mi paquete"
    reasons = model.explain(text, "delivery", k=3)
    assert len(reasons) == 3
    present = set(words(text))
    assert all(set(feature.split()) <= present for feature, _ in reasons)
    assert {"repartidor", "paquete"} & {feature for feature, _ in reasons}
    assert reasons[0][1] >= reasons[1][1] >= reasons[2][1] > 0
    with pytest.raises(KeyError):
        model.explain(text, "no-such-label")


def test_training_needs_two_labels():
    with pytest.raises(TrainingError, match="two labels"):
        engine.train([Example("a", "x"), Example("b", "x")], task="t")
    with pytest.raises(TrainingError, match="development"):
        engine.train(synthetic.examples(5), task="t", oos_label="oos")


def test_bad_lines_are_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"text": "hola", "label": "a"}\n\n{"text": "x", "label": "b"}\n{"text": "y"}\n'
    )
    with pytest.raises(DataError, match="line 4") as caught:
        read_examples(path)
    assert caught.value.line == 4
    path.write_bytes(b'{"text": "hola", "label": "a"}\n{"text": "\xff", "label": "a"}\n')
    with pytest.raises(DataError, match="line 2: not valid UTF-8"):
        read_examples(path)
    path.write_text('{"text": "ok", "label": "a"}\n[1, 2]\n')
    with pytest.raises(DataError, match="line 2: not a JSON object"):
        read_examples(path)
    path.write_text("{oops\n")
    with pytest.raises(DataError, match="line 1: not valid JSON"):
        read_examples(path)


def test_scores_count_unknown_and_missing_labels_as_errors():
    result = scores(["a", "a", "b", "zzz"], ["a", "b", "b", "a"], oos_label=None)
    assert result["n"] == 4
    assert result["accuracy"] == 0.5
    assert result["per_label"]["zzz"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["per_label"]["a"]["precision"] == 0.5
    assert result["macro_recall"] == pytest.approx((0.5 + 1.0 + 0.0) / 3, abs=1e-4)
    oos = scores(["a", "oos", "oos", "b"], ["a", "oos", "a", "oos"], oos_label="oos")
    assert oos["in_scope_accuracy"] == 0.5
    assert oos["oos_recall"] == 0.5


def test_explanations_add_up_to_the_score(model):
    text = "Hola, la factura del envío llegó con un recargo?"
    label = "billing"
    everything = model.explain(text, label, k=1000)
    row = model.labels.index(label)
    score = float((model.featuriser.transform([text]) @ model.coef[row]).sum())
    assert sum(w for _, w in everything) == pytest.approx(score, abs=1e-2)


def test_two_labels_work_like_any_other(split):
    train, held = split
    pairs = [e for e in train if e.label in {"praise", "outage"}]
    model = engine.train(pairs, task="binary", params=SMALL)
    assert model.labels == ["outage", "praise"]
    held = [e for e in held if e.label in {"praise", "outage"}]
    assert model.predict_labels([e.text for e in held]) == [e.label for e in held]
    assert np.allclose(model.predict_proba(["genial, gracias"]).sum(axis=1), 1.0)


def test_saving_never_replaces_what_is_not_a_model(model, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ModelError, match="not a model directory"):
        model.save(precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    first = model.save(tmp_path / "m")
    assert model.save(first) == first  # a model directory is replaced
    assert engine.load(first).labels == model.labels
