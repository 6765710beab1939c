"""The engine's multi-label form (one binary model per label, a threshold each), label
lists in data files, label-set scores, old models, and the embeddings option."""

import json

import numpy as np
import pytest

from panal.understanding import engine, metrics
from panal.understanding.corpus import DataError, Example, read_examples, write_examples
from panal.understanding.engine import EngineParams, ModelError

from . import synthetic

MULTI = EngineParams(min_df=1, c=10.0, multilabel=True)


@pytest.fixture(scope="module")
def corpus():
    singles = synthetic.examples(per_label=40)
    both = synthetic.pairs(160)
    train = singles[:180] + both[:120] + synthetic.gibberish(20, seed=11)
    dev = singles[180:210] + both[120:140] + synthetic.gibberish(10, seed=12)
    test = singles[210:] + both[140:]
    return train, dev, test


@pytest.fixture(scope="module")
def model(corpus):
    train, dev, _ = corpus
    return engine.train(train, task="topic", dev=dev, oos_label="oos", params=MULTI)


def test_a_text_about_two_topics_gets_both_labels(model, corpus):
    _, _, test = corpus
    two = [e for e in test if len(e.label_set) == 2]
    one = [e for e in test if len(e.label_set) == 1]
    assert len(two) == 20 and len(one) == 30
    found = model.predict_sets([e.text for e in two])
    both = [set(e.label_set) <= {label for label, _ in f} for e, f in zip(two, found, strict=True)]
    assert np.mean(both) >= 0.85
    found = model.predict_sets([e.text for e in one])
    right = [f[:1] and f[0][0] == e.label for e, f in zip(one, found, strict=True)]
    assert np.mean(right) >= 0.9


def test_each_label_has_its_own_probability_and_threshold(model, tmp_path):
    assert model.multilabel and model.oos_label not in model.labels
    assert model.label_thresholds.shape == (len(model.labels),)
    assert len(set(model.label_thresholds.tolist())) > 1  # tuned per label, not one value
    proba = model.predict_proba(["factura cobro envío paquete"])
    assert proba.shape == (1, len(model.labels))
    assert proba.sum() > 1.2  # independent probabilities, not a distribution
    path = model.save(tmp_path / "multi")
    card = json.loads((path / "model.json").read_text())
    assert card["multilabel"] is True
    assert card["label_thresholds"] == {
        label: round(float(t), 4)
        for label, t in zip(model.labels, model.label_thresholds, strict=True)
    }
    assert card["oos"]["variant"] == "no_label"
    loaded = engine.load(path)
    texts = ["factura cobro envío paquete", "gracias excelente", "zxqv blorft glarp"]
    before, after = model.predict_sets(texts), loaded.predict_sets(texts)
    assert [[label for label, _ in s] for s in after] == [[label for label, _ in s] for s in before]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.predict_labels(texts) == model.predict_labels(texts)


def test_nothing_passing_is_out_of_scope(model):
    unknown = ["qwzx plokk brrrn", "mmmh yyyyk zzzap", ""]
    assert model.predict_sets(unknown) == [[], [], []]
    assert model.predict_labels(unknown) == ["oos"] * 3
    [prediction] = model.predict(["qwzx plokk brrrn"])
    assert prediction.label == "oos" and 0 < prediction.confidence <= 1


def test_sets_are_ordered_and_every_member_passes_its_threshold(model, corpus):
    _, _, test = corpus
    proba = model.predict_proba([e.text for e in test])
    for row, found in zip(proba, model.sets_of(proba), strict=True):
        confidences = [p for _, p in found]
        assert confidences == sorted(confidences, reverse=True)
        passing = {model.labels[j] for j in np.flatnonzero(row >= model.label_thresholds)}
        assert {label for label, _ in found} == passing


def test_a_text_given_twice_with_different_labels_is_one_text_with_both():
    train = synthetic.examples(per_label=30)
    text = "factura cobro paquete envío"
    extra = [Example(text, "billing"), Example(text, "delivery")] * 5
    model = engine.train(train + extra, task="t", params=MULTI)
    assert model.card["label_sets"]["texts"] == len({e.text for e in train + extra})
    [proba] = model.predict_proba([text])
    assert proba[model.labels.index("billing")] > 0.5
    assert proba[model.labels.index("delivery")] > 0.5


def test_explain_uses_the_labels_own_model(model):
    text = "necesito ayuda con la factura y el paquete del repartidor"
    for label in ("billing", "delivery"):
        everything = model.explain(text, label, k=1000)
        row = model.labels.index(label)
        score = float((model.featuriser.transform([text]) @ model.coef[row]).sum())
        assert sum(w for _, w in everything) == pytest.approx(score, abs=1e-2)
    assert model.explain(text, "billing", k=1)[0][0] == "factura"
    assert model.explain(text, "delivery", k=3)[0][0] in {"paquete", "repartidor"}


def test_label_set_scores():
    result = metrics.label_set_scores(
        [["a", "b"], ["a"], ["oos"], ["b"]], [["a"], ["a"], [], ["a", "b"]], oos_label="oos"
    )
    assert result["label_set_f1"] == pytest.approx((2 / 3 + 1 + 1 + 2 / 3) / 4, abs=1e-4)
    assert result["label_set_exact"] == 0.5
    assert result["label_set_per_label"]["a"] == {
        "precision": pytest.approx(2 / 3, abs=1e-4),
        "recall": 1.0,
        "f1": 0.8,
        "support": 2,
    }


def test_evaluate_reports_label_sets_for_multi_label_files(model, corpus):
    _, _, test = corpus
    result = metrics.evaluate(model, test)
    assert 0.8 <= result["label_set_f1"] <= 1
    assert set(result["label_set_per_label"]) <= set(model.labels)
    # Single-label scores: the main label against the most probable passing one.
    one = [e for e in test if len(e.label_set) == 1]
    assert metrics.evaluate(model, one)["accuracy"] >= 0.9


def test_an_old_single_label_model_still_loads_and_predicts(tmp_path):
    model = engine.train(synthetic.examples(per_label=20), task="t", params=EngineParams(min_df=1))
    path = model.save(tmp_path / "old")
    card = json.loads((path / "model.json").read_text())
    for key in ("multilabel", "label_thresholds", "embeddings"):
        card.pop(key, None)
    for key in ("multilabel", "embeddings", "dense_c"):
        card["params"].pop(key)
    (path / "model.json").write_text(json.dumps(card))
    old = engine.load(path)
    assert not old.multilabel and old.dense is None
    texts = ["la factura y el cobro", "gracias, excelente"]
    assert old.predict_labels(texts) == ["billing", "praise"]
    assert np.allclose(old.predict_proba(texts).sum(axis=1), 1.0)
    assert [s[0][0] for s in old.predict_sets(texts)] == ["billing", "praise"]


def test_a_card_that_lost_its_thresholds_is_refused(model, tmp_path):
    path = model.save(tmp_path / "multi")
    card = json.loads((path / "model.json").read_text())
    del card["label_thresholds"][model.labels[0]]
    (path / "model.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="incomplete model card"):
        engine.load(path)


# --- label lists in data files -------------------------------------------------------------


def test_lines_with_label_lists_are_read(tmp_path):
    path = tmp_path / "multi.jsonl"
    path.write_text(
        '{"text": "uno", "label": "a"}\n'
        '{"text": "dos", "labels": ["b", "a"]}\n'
        '{"text": "tres", "labels": ["a", "b"], "label": "b"}\n'
        '{"text": "cuatro", "labels": ["c"]}\n',
        encoding="utf-8",
    )
    examples = read_examples(path).examples
    assert [e.label for e in examples] == ["a", "b", "b", "c"]
    assert [e.label_set for e in examples] == [("a",), ("b", "a"), ("b", "a"), ("c",)]
    again = read_examples(write_examples(tmp_path / "again.jsonl", examples)).examples
    assert again == examples


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "x", "labels": "a"}', '"labels" is not a list'),
        ('{"text": "x", "labels": []}', '"labels" is not a list'),
        ('{"text": "x", "labels": ["a", 3.5]}', 'no "labels" item string'),
        ('{"text": "x", "labels": ["a", " "]}', 'an empty "labels" item'),
        ('{"text": "x", "labels": ["a", "a"]}', "a label repeated"),
        ('{"text": "x", "labels": ["a", "b"], "label": "c"}', "'c' is not one of"),
        ('{"labels": ["a", "b"]}', 'no "text" string'),
    ],
)
def test_bad_label_lists_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"line 3: .*{message}") as caught:
        read_examples(path)
    assert caught.value.line == 3


# --- the embeddings option (slow-ish: embeds about a hundred short texts) ------------------


@pytest.fixture(scope="module")
def tiny():
    examples = synthetic.examples(per_label=8, seed=21)
    return examples[:40], examples[40:]


def test_the_e5_option_trains_saves_and_predicts(tiny, tmp_path):
    train, dev = tiny
    params = EngineParams(min_df=1, c=10.0, embeddings="e5")
    model = engine.train(train, task="t", dev=dev, params=params)
    assert model.dense is not None and 0.0 <= model.dense.weight <= 1.0
    assert model.dense.coef.shape == (len(model.labels), 384)
    assert model.card["embeddings"]["explanations"].startswith("the sparse part only")
    path = model.save(tmp_path / "e5")
    card = json.loads((path / "model.json").read_text())
    assert card["embeddings"]["kind"] == "e5" and card["params"]["embeddings"] == "e5"
    loaded = engine.load(path)
    texts = [e.text for e in dev]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-5)
    right = np.mean([p == e.label for p, e in zip(loaded.predict_labels(texts), dev, strict=True)])
    assert right >= 0.8
    # Explanations cover the sparse part, scaled by its share of the blend.
    text = dev[0].text
    row = model.labels.index(dev[0].label)
    sparse = float((model.featuriser.transform([text]) @ model.coef[row]).sum())
    everything = model.explain(text, dev[0].label, k=1000)
    share = 1 - model.dense.weight
    assert sum(w for _, w in everything) == pytest.approx(share * sparse, abs=1e-2)


def test_the_e5_option_with_several_labels(tiny):
    train, dev = tiny
    params = EngineParams(min_df=1, c=10.0, embeddings="e5", multilabel=True)
    model = engine.train(train, task="t", dev=dev, params=params)
    assert model.multilabel and model.dense is not None
    assert model.dense.coef.shape == (len(model.labels), 384)
    found = model.predict_sets([e.text for e in dev])
    assert np.mean([f[:1] and f[0][0] == e.label for f, e in zip(found, dev, strict=True)]) >= 0.7


# --- through `panal model` -------------------------------------------------------------------


def _run(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("model", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_cli_trains_multi_label_from_label_lists_and_reports_label_sets(tmp_path):
    train = synthetic.examples(per_label=30, seed=4) + synthetic.pairs(80, seed=6)
    test = synthetic.examples(per_label=6, seed=8) + synthetic.pairs(20, seed=9)
    train_file = write_examples(tmp_path / "train.jsonl", train)
    test_file = write_examples(tmp_path / "test.jsonl", test)
    out = tmp_path / "model"
    stdout = _run(
        "train", "--task", "topic", "--train", str(train_file), "--out", str(out),
        "--min-df", "1", "--quiet",
    )  # fmt: skip
    assert "label-set F1" in stdout  # scored on the held-out 10%
    card = json.loads((out / "model.json").read_text())
    assert card["multilabel"] is True and card["params"]["multilabel"] is True
    assert set(card["label_thresholds"]) == set(card["labels"])
    assert "held-out part" in card["label_sets"]["thresholds"]
    result = json.loads(_run("evaluate", "--model", str(out), "--test", str(test_file)))
    assert result["label_set_f1"] >= 0.8
    assert "label_set_per_label" in result
    # A single-label file scored on the same model: the best passing label, no set scores.
    singles = write_examples(tmp_path / "singles.jsonl", synthetic.examples(6, seed=10))
    result = json.loads(_run("evaluate", "--model", str(out), "--test", str(singles)))
    assert result["accuracy"] >= 0.8 and result["label_set_f1"] >= 0.8


def test_the_cli_embeddings_flag(tmp_path):
    examples = synthetic.examples(per_label=8, seed=21)
    train_file = write_examples(tmp_path / "train.jsonl", examples[:40])
    dev_file = write_examples(tmp_path / "dev.jsonl", examples[40:])
    out = tmp_path / "model"
    stdout = _run(
        "train", "--task", "topic", "--train", str(train_file), "--dev", str(dev_file),
        "--out", str(out), "--min-df", "1", "--embeddings", "e5", "--quiet",
    )  # fmt: skip
    assert "embeddings e5 weight" in stdout
    card = json.loads((out / "model.json").read_text())
    assert card["embeddings"]["kind"] == "e5" and "dev_objective_by_weight" in card["embeddings"]
