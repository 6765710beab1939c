"""The `understand` stage (language, sentiment, intents in one pass and one write) and the
start-up check of the shipped models (docs/pipeline.md, docs/understanding.md)."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core import checks
from django.core.checks.registry import registry as check_registry

from panal import cli
from panal.core import clock
from panal.demo import builders
from panal.listening import pipeline, services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.understanding import engine, intent, language, learning, registry, sentiment
from panal.understanding.checks import check_shipped_models
from panal.understanding.corpus import Example
from panal.understanding.models import OrgModel, Understanding
from panal.understanding.stages import text_of

COMPLAINT = "Me cobraron dos veces la factura y nadie responde, pésimo servicio"
PRAISE = "Thank you so much, the support team fixed my internet in minutes! Amazing"


def ingest(account, *rows):
    return services.ingest(account, [parse_item(r) for r in rows])


def rows_by_external_id() -> dict[str, Understanding]:
    return {u.mention.external_id: u for u in Understanding.objects.select_related("mention")}


def test_one_row_holds_language_sentiment_and_intents(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account,
            {"external_id": "c1", "text": COMPLAINT},
            {"external_id": "p1", "text": PRAISE, "title": "Great service"},
        )
    rows = rows_by_external_id()
    assert Understanding.objects.count() == 2
    texts = [text_of(Mention.objects.get(external_id=e)) for e in ("c1", "p1")]
    feelings = sentiment.shipped().scores(texts)
    intents = intent.label_sets(intent.load(), texts)
    for ext, found, feeling, labels in zip(
        ("c1", "p1"), language.detect(texts), feelings, intents, strict=True
    ):
        row = rows[ext]
        assert (row.lang, row.lang_confidence) == (found.lang, pytest.approx(found.confidence))
        assert row.lang_model == language.MODEL
        assert row.sentiment == feeling[0]
        assert row.sentiment_score == pytest.approx(feeling[1], abs=1e-4)
        assert row.sentiment_confidence == pytest.approx(feeling[2], abs=1e-4)
        assert row.sentiment_model == sentiment.shipped().name
        assert row.intents == labels
        assert row.intent_model == intent.model_name(intent.load())
    assert (rows["c1"].lang, rows["c1"].sentiment) == ("es", "negative")
    assert (rows["p1"].lang, rows["p1"].sentiment) == ("en", "positive")
    assert rows["c1"].intents and rows["c1"].intents[0]["label"] in {"billing", "complaint"}
    names = [s.name for s in pipeline.stages()]
    assert "understand" in names and not {"language", "sentiment", "intent"} & set(names)
    assert "understand" in Mention.objects.get(external_id="c1").stages_done


def test_deleting_a_mention_deletes_its_understanding(account, django_capture_on_commit_callbacks):
    # The row has no database constraint on its mention (models.Understanding): Django's
    # on_delete is what removes it.
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account, {"external_id": "d1", "text": COMPLAINT}, {"external_id": "d2", "text": PRAISE}
        )
    assert Understanding.objects.count() == 2
    Mention.objects.filter(external_id="d1").delete()
    assert list(Understanding.objects.values_list("mention__external_id", flat=True)) == ["d2"]


def test_agent_corrections_survive_an_edit(account, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(account, {"external_id": "e1", "text": COMPLAINT})
    mention = Mention.objects.get(external_id="e1")
    learning.correct(users["agent"], mention, "sentiment", "positive")
    learning.correct(users["agent"], mention, "intents", ["product_idea", "question"])
    learning.correct(users["agent"], mention, "language", "pt")
    with django_capture_on_commit_callbacks(execute=True):  # an edit runs the pipeline again
        ingest(account, {"external_id": "e1", "text": PRAISE})
    mention.refresh_from_db()
    row = Understanding.objects.get(mention=mention)
    assert "understand" in mention.stages_done
    agent = f"agent:{users['agent'].get_username()}"
    assert (row.sentiment, row.sentiment_score, row.sentiment_confidence) == ("positive", 1.0, 1.0)
    assert row.sentiment_model == agent
    assert row.intents == [
        {"label": "question", "confidence": 1.0},
        {"label": "product_idea", "confidence": 1.0},
    ]
    assert row.intent_model == agent
    # The model's own reading is still recorded; the agent's language stays on the mention.
    assert row.lang == "en"
    assert (mention.lang, mention.lang_source) == ("pt", learning.AGENT)


def test_only_the_corrected_field_is_kept(account, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(account, {"external_id": "e2", "text": PRAISE})
    mention = Mention.objects.get(external_id="e2")
    learning.correct(users["agent"], mention, "sentiment", "neutral")
    with django_capture_on_commit_callbacks(execute=True):
        ingest(account, {"external_id": "e2", "text": COMPLAINT})
    row = Understanding.objects.get(mention=mention)
    assert (row.sentiment, row.sentiment_model[:6]) == ("neutral", "agent:")
    # The intents were not corrected: the model reads the new text.
    assert row.intents == intent.label_sets(intent.load(), [COMPLAINT])[0]
    assert row.intent_model == intent.model_name(intent.load())
    assert row.lang == "es"


def test_language_rules(account, django_capture_on_commit_callbacks):
    spanish = "Buenas tardes, hace tres días que no tengo internet en la casa y nadie responde."
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account,
            {"external_id": "n1", "text": "ok 👍", "lang": "en"},  # too short to argue
            {"external_id": "n2", "text": spanish, "lang": "en"},  # network plainly wrong
            {"external_id": "n3", "text": spanish},  # no network language
            {"external_id": "n4", "text": "🙏🙏🙏"},  # nothing to go on
        )
    got = {m.external_id: (m.lang, m.lang_source) for m in Mention.objects.all()}
    assert got == {
        "n1": ("en", "network"),
        "n2": ("es", "detected"),
        "n3": ("es", "detected"),
        "n4": ("", "detected"),
    }
    rows = rows_by_external_id()
    assert rows["n1"].lang == "und" and rows["n4"].lang == "und"
    # A source the detector does not own (an agent's, say) is never replaced.
    Mention.objects.filter(external_id="n3").update(lang="ca", lang_source="agent")
    pipeline.run(list(Mention.objects.values_list("id", flat=True)))
    assert Mention.objects.filter(external_id="n3").values_list("lang", "lang_source").get() == (
        "ca",
        "agent",
    )
    assert Understanding.objects.get(mention__external_id="n3").lang == "es"


def _tiny_intent_model() -> engine.Model:
    """An organisation's own intent model: it files talk of bills as praise."""
    examples = [Example(f"gracias por la factura número {i}", "praise") for i in range(6)]
    examples += [
        Example(f"quiero trabajar con ustedes, puesto {i}", "recruiting_hr") for i in range(6)
    ]
    model = engine.train(examples, task="intent")
    model.card["label_threshold"] = 0.99
    return model


def test_each_organisation_uses_its_own_models(account, org, other_org, tmp_path):
    tiny = _tiny_intent_model()
    tiny.save(tmp_path / "tiny")
    now = clock.now()
    OrgModel.objects.create(
        organisation=other_org, task="intent", version=1, status=OrgModel.Status.PROMOTED,
        archive=registry.pack(tmp_path / "tiny"), created_at=now, promoted_at=now,
    )  # fmt: skip
    other_account = builders.channel_account(other_org, kind="api", slug="other", name="Other")
    registry.forget()
    ids = list(ingest(account, {"external_id": "a1", "text": COMPLAINT}).ids.values())
    ids += ingest(other_account, {"external_id": "b1", "text": COMPLAINT}).ids.values()
    assert pipeline.run(ids) == 2  # one batch, two organisations
    rows = rows_by_external_id()
    shipped = intent.load()
    assert rows["a1"].intents == intent.label_sets(shipped, [COMPLAINT])[0]
    assert rows["a1"].intent_model == intent.model_name(shipped)
    assert rows["b1"].intents == intent.label_sets(tiny, [COMPLAINT])[0]
    assert rows["b1"].intents != rows["a1"].intents
    assert rows["b1"].intent_model.startswith(f"{intent.NAME}@{tiny.card['version']}")
    assert rows["b1"].intent_model.endswith("+other.v1")
    # Neither organisation has its own sentiment model: both use the shipped one.
    assert rows["a1"].sentiment_model == rows["b1"].sentiment_model == sentiment.shipped().name
    registry.forget()


def test_bad_texts_get_a_result(account, django_capture_on_commit_callbacks):
    long_text = ("La fibra se corta cada media hora y el soporte no responde. " * 850)[:51_200]
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            account,
            {"external_id": "empty", "text_html": "<p> </p>"},
            {"external_id": "emoji", "text": "😡😡😡"},
            {"external_id": "long", "text": long_text},
            {"external_id": "mixed", "text": "Hola! I love it pero la entrega <b>tardó</b>"},
        )
    rows = rows_by_external_id()
    assert set(rows) == {"empty", "emoji", "long", "mixed"}
    assert Mention.objects.get(external_id="empty").text == ""
    assert (rows["empty"].lang, rows["empty"].intents) == ("und", [])
    assert (rows["emoji"].sentiment, rows["emoji"].intents) == ("negative", [])
    assert rows["long"].lang == "es" and rows["long"].sentiment == "negative"
    assert all(r.sentiment in sentiment.LABELS and r.sentiment_model for r in rows.values())


def test_a_deleted_mention_in_the_batch_is_skipped(account):
    result = ingest(
        account, {"external_id": "d1", "text": COMPLAINT}, {"external_id": "d2", "text": PRAISE}
    )
    ingest(account, {"external_id": "d2", "event": "deleted"})
    assert pipeline.run(list(result.ids.values())) == 1
    assert list(rows_by_external_id()) == ["d1"]
    assert Mention.objects.get(external_id="d2").stages_done == []


# --- the start-up check of the shipped models --------------------------------------------


@pytest.fixture
def model_copy(tmp_path, monkeypatch):
    """A copy of the shipped models that the test may break, used as the shipped ones."""
    copy = tmp_path / "models"
    shutil.copytree(engine.BUILTIN_DIR, copy)
    monkeypatch.setattr(engine, "BUILTIN_DIR", copy)
    return copy


def test_the_shipped_models_pass_the_check():
    assert check_shipped_models() == []
    assert check_shipped_models in check_registry.get_checks()


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _bad_json(path):
    path.write_text('{"format": "panal-classifier", ', encoding="utf-8")


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _unreadable_weights(path):
    """Garbage in weights.npz with a checksum to match: np.load itself must refuse it."""
    path.write_bytes(b"not a numpy archive at all")
    card_path = path.parent / engine.CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["weights"]["sha256"] = engine._sha256(path)
    card_path.write_text(json.dumps(card), encoding="utf-8")


@pytest.mark.parametrize(
    ("model", "file", "damage", "reason"),
    [
        ("intent", engine.WEIGHTS, _truncate, "does not match its checksum"),
        ("sentiment", engine.CARD, _bad_json, "unreadable model card"),
        ("intent", engine.WEIGHTS, lambda p: p.unlink(), "the weights file is missing"),
        ("sentiment", engine.WEIGHTS, _flip_a_byte, "does not match its checksum"),
        ("intent", engine.WEIGHTS, _unreadable_weights, "unreadable weights"),
        ("sentiment", "", lambda p: shutil.rmtree(p), "is not shipped"),
    ],
)
def test_a_broken_model_is_reported(model_copy, model, file, damage, reason):
    damage(model_copy / model / file if file else model_copy / model)
    errors = check_shipped_models()
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, checks.Error) and error.id == "understanding.E002"
    assert f"builtin:{model}" in error.msg and reason in error.msg
    assert str(model_copy / model) in f"{error.obj} {error.msg}"
    assert "panal train" in error.hint and "reinstall" in error.hint


def test_panal_check_fails_on_a_broken_model(model_copy, capsys):
    (model_copy / "intent" / engine.WEIGHTS).unlink()
    with pytest.raises(SystemExit) as exit_:
        cli.main(["panal", "check"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "understanding.E002" in err and "weights.npz" in err and "panal train" in err


def test_worker_and_migrate_refuse_to_start_on_a_broken_model(model_copy, db, capsys):
    _truncate(model_copy / "sentiment" / engine.WEIGHTS)
    for argv in (["panal", "worker", "--batch"], ["panal", "migrate", "--no-input"]):
        with pytest.raises(SystemExit) as exit_:
            cli.main(argv)
        assert exit_.value.code == 1
        assert "builtin:sentiment" in capsys.readouterr().err


def test_run_refuses_to_serve_on_a_broken_model(model_copy, monkeypatch, capsys):
    import uvicorn

    def serve(*args, **kwargs):
        raise AssertionError("served with a broken model")

    monkeypatch.setattr(uvicorn, "run", serve)
    _bad_json(model_copy / "intent" / engine.CARD)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["panal", "run", "--no-worker"])
    assert exit_.value.code == 1
    assert "builtin:intent" in capsys.readouterr().err
