"""`panal classify` through call_command, with real files and the shipped models."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from panal.org.models import CatalogueItem
from panal.understanding import entities, intent, language, sentiment, urgency

LINES = [
    {"id": 1, "text": "Pésimo servicio, llevo tres días sin internet y nadie me responde."},
    {"id": 2, "text": "I love the new app, thank you so much for the quick fix!"},
    {"id": 3, "text": "😍🔥🎉"},
    {"id": 4, "text": "¿Cuánto cuesta el plan familiar? Quiero contratarlo. " * 1000},  # ~50 KB
]


def write(path, lines: list[str]) -> str:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("classify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + f"\nexit {exc.returncode}: {exc}"
    return out.getvalue(), err.getvalue()


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_every_line_gets_the_default_path(tmp_path):
    assert len(LINES[3]["text"]) > 50_000
    source = write(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in LINES])
    stdout, stderr = run(source, "--out", str(tmp_path / "out.jsonl"))
    assert stdout == ""
    assert "classified 4 texts (0 bad lines)" in stderr and "texts/s" in stderr
    es, en, emoji, long = records((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert [r["id"] for r in (es, en, emoji, long)] == [1, 2, 3, 4]  # original fields kept
    assert es["text"] == LINES[0]["text"]
    assert (es["lang"], en["lang"], emoji["lang"], long["lang"]) == ("es", "en", "und", "es")
    assert es["sentiment"] == "negative" and en["sentiment"] == "positive"
    assert emoji["sentiment"] == "positive"  # the lexicon knows emoji
    assert -1 <= es["sentiment_score"] < 0 < en["sentiment_score"] <= 1
    assert 0 < es["sentiment_confidence"] <= 1 and 0 < es["lang_confidence"] <= 1
    assert "complaint" in {i["label"] for i in es["intents"]}
    assert emoji["intents"] == []  # no letter or digit: no intent
    assert all(set(i) == {"label", "confidence"} for r in (es, en, long) for i in r["intents"])
    assert es["models"] == {
        "language": language.MODEL,
        "sentiment": sentiment.shipped().name,
        "intent": intent.model_name(intent.load()),
        "urgency": urgency.MODEL,
        "entities": entities.MODEL,
    }
    assert es["urgency_level"] in {"low", "normal", "high", "critical"}
    assert 0 <= es["urgency"] <= 1 and es["urgency_reasons"]
    assert emoji["entities"] == [] and long["entities"] == []


def test_urgency_reads_the_lines_author_and_entities_the_catalogue(tmp_path, db, org):
    CatalogueItem.objects.create(
        organisation=org, kind="competitor", name="Telco Rival", aliases="rivalnet"
    )
    exposed = {
        "text": "Voy a demandar a RivalNet por estafa, lo cuento en Montevideo",
        "visibility": "public",
        "author": {"id": "9", "followers": 250_000, "verified": True,
                   "description": "Periodista de tecnología"},
    }  # fmt: skip
    quiet = {"text": "Voy a demandar a RivalNet por estafa, lo cuento en Montevideo",
             "visibility": "private"}  # fmt: skip
    source = write(
        tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in (exposed, quiet)]
    )
    loud, calm = records(run(source, "--org", org.slug)[0])
    assert loud["urgency"] > calm["urgency"]
    assert {r["reason"] for r in loud["urgency_reasons"]} >= {"followers", "verified", "journalist"}
    assert "journalist" not in {r["reason"] for r in calm["urgency_reasons"]}
    named = {(e["kind"], e["text"]) for e in loud["entities"]}
    assert ("competitor", "RivalNet") in named and ("place", "Montevideo") in named
    # Without the organisation, its catalogue is not known; places still are.
    plain = records(run(source)[0])[0]
    assert {e["kind"] for e in plain["entities"]} == {"place"}


def test_an_unknown_organisation_is_refused(tmp_path, db):
    source = write(tmp_path / "in.jsonl", ['{"text": "hola"}'])
    assert "exit 2: no organisation 'nope'" in run(source, "--org", "nope")[1]


def test_same_answers_as_the_stage_functions(tmp_path):
    texts = [r["text"] for r in LINES]
    source = write(tmp_path / "in.jsonl", [json.dumps({"text": t}) for t in texts])
    found = records(run(source)[0])
    assert [r["intents"] for r in found] == intent.label_sets(intent.load(), texts)
    assert [r["sentiment"] for r in found] == [s[0] for s in sentiment.shipped().scores(texts)]


def test_a_bad_line_is_named_and_the_rest_goes_on(tmp_path):
    lines = [
        json.dumps(LINES[1]),
        "{not json",
        "",
        json.dumps({"title": "no text"}),
        "[1, 2]",
        json.dumps(LINES[0], ensure_ascii=False),
    ]
    source = tmp_path / "in.jsonl"
    write(source, lines)
    source.write_bytes(source.read_bytes() + b'{"text": "caf\xe9"}\n')
    stdout, stderr = run(str(source))
    assert [r["id"] for r in records(stdout)] == [2, 1]
    assert "in.jsonl, line 2: not JSON" in stderr
    assert 'in.jsonl, line 4: no "text" string' in stderr
    assert "in.jsonl, line 5: not a JSON object" in stderr
    assert "in.jsonl, line 7: not UTF-8" in stderr
    assert "classified 2 texts (4 bad lines)" in stderr
    assert "exit 1: 4 bad line(s) in in.jsonl" in stderr


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError) as failed:
        call_command("classify", str(tmp_path / "nope.jsonl"), stdout=StringIO(), stderr=StringIO())
    assert failed.value.returncode == 1
    assert "nope.jsonl" in str(failed.value)
