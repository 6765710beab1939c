"""`panal model train|evaluate|show` through call_command, with real files."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from panal.understanding.corpus import stratified_split

from . import synthetic


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("model", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    train, test = stratified_split(synthetic.examples(per_label=40, seed=5), 0.25, seed=2)
    train, dev = stratified_split(train, 0.2, seed=3)
    return {
        "train": synthetic.write(folder / "train.jsonl", train),
        "dev": synthetic.write(folder / "dev.jsonl", dev + synthetic.gibberish(8)),
        "test": synthetic.write(folder / "test.jsonl", test + synthetic.gibberish(6, seed=9)),
        "folder": folder,
    }


@pytest.fixture(scope="module")
def trained(files):
    out_dir = files["folder"] / "model"
    stdout, _ = run(
        "train", "--task", "topic", "--train", str(files["train"]), "--dev", str(files["dev"]),
        "--oos-label", "oos", "--out", str(out_dir), "--min-df", "1", "--quiet",
    )  # fmt: skip
    return out_dir, stdout


def test_train_saves_a_model_and_prints_dev_scores(trained):
    out_dir, stdout = trained
    assert (out_dir / "model.json").is_file() and (out_dir / "weights.npz").is_file()
    assert "Saved topic model" in stdout
    assert "Dev scores (dev file dev.jsonl)" in stdout
    assert "out-of-scope recall" in stdout
    card = json.loads((out_dir / "model.json").read_text())
    assert card["training"]["lines"] == 144
    assert len(card["training"]["sha256"]) == 64
    assert card["dev"]["scores"]["n"] == 44
    assert card["threshold"] is not None


def test_evaluate_prints_one_json_object(trained, files):
    out_dir, _ = trained
    stdout, _ = run("evaluate", "--model", str(out_dir), "--test", str(files["test"]))
    result = json.loads(stdout)
    for key in (
        "n", "accuracy", "macro_f1", "macro_recall", "per_label", "in_scope_accuracy",
        "oos_recall", "texts_per_second",
    ):  # fmt: skip
        assert key in result, key
    assert result["n"] == 66
    assert result["in_scope_accuracy"] >= 0.9
    assert result["oos_recall"] == 1.0
    assert set(result["per_label"]["billing"]) == {"precision", "recall", "f1", "support"}


def test_evaluate_on_labels_the_model_does_not_know(trained, files):
    out_dir, _ = trained
    path = files["folder"] / "other.jsonl"
    path.write_text(
        '{"text": "mi factura", "label": "billing"}\n{"text": "¿y el clima?", "label": "weather"}\n'
    )
    result = json.loads(run("evaluate", "--model", str(out_dir), "--test", str(path))[0])
    assert result["n"] == 2
    assert result["per_label"]["weather"]["recall"] == 0.0
    assert result["oos_recall"] is None


def test_train_without_dev_holds_part_out(files, tmp_path):
    stdout, stderr = run(
        "train", "--task", "topic", "--train", str(files["train"]), "--out", str(tmp_path / "m"),
        "--min-df", "1",
    )  # fmt: skip
    assert "10% held out" in stdout
    assert "No dev file: holding out 12 texts (10% of each label)" in stderr
    assert "Refitting on every training line" in stderr
    card = json.loads((tmp_path / "m" / "model.json").read_text())
    assert card["dev"]["source"] == "holdout"
    assert card["training"]["examples"] == 144  # refitted on every line


def test_a_bad_line_names_its_number(files, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(files["train"].read_text() + '{"text": "sin etiqueta"}\n')
    with pytest.raises(CommandError, match=r"line 145: no \"label\" string"):
        run("train", "--task", "t", "--train", str(path), "--out", str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_a_broken_model_is_an_error_not_labels(trained, files, tmp_path):
    out_dir, _ = trained
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text((out_dir / "model.json").read_text())
    (broken / "weights.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CommandError, match="checksum"):
        run("evaluate", "--model", str(broken), "--test", str(files["test"]))
    with pytest.raises(CommandError, match="not shipped"):
        run("evaluate", "--model", "builtin:nothing", "--test", str(files["test"]))


def test_show_prints_the_card(trained):
    out_dir, _ = trained
    card = json.loads(run("show", str(out_dir))[0])
    assert card["task"] == "topic"
    assert card["oos_label"] == "oos"


def test_train_refuses_to_overwrite_a_folder_that_is_not_a_model(files, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not a model directory"):
        run("train", "--task", "t", "--train", str(files["train"]), "--out", str(tmp_path))
    assert (tmp_path / "notes.txt").is_file()


@pytest.mark.parametrize("action", ["train", "evaluate", "show"])
def test_every_action_has_help(action, capsys):
    with pytest.raises(SystemExit) as done:
        call_command("model", action, "--help")
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out
