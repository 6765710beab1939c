"""`panal query check` and `panal query match` through call_command, with real files."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("query", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_check_prints_the_normalised_query_and_warnings():
    out, err = run("check", "Ceibo (lento OR caída) NOT spam and reembolso")
    lines = out.splitlines()
    assert lines[0] == "ceibo AND (lento OR caida) AND NOT spam AND and AND reembolso"
    assert lines[1].startswith("warning at column 33: 'and' is searched as a word")
    assert err == ""


def test_check_refuses_a_bad_query_with_its_column():
    err = StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("query", "check", "ceibo AND (lento", stdout=StringIO(), stderr=err)
    assert caught.value.code == 2
    assert err.getvalue().strip() == (
        "error at column 11: this parenthesis is never closed (close it with ))"
    )


def _write(path, lines):
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_match_prints_ids_or_line_numbers_and_reads_ingest_names(tmp_path):
    rows = [
        {"id": "a1", "text": "Ceibo está lentísimo", "lang": "es"},
        {"external_id": "b2", "content": "ceibo lento otra vez", "language": "es-MX"},
        {"text": "ceibo lento", "lang": "en"},
        {"text": "CEIBO LENTO", "author": {"handle": "pato"}, "intents": [{"label": "complaint"}]},
        {"text": "nada que ver"},
    ]
    path = _write(tmp_path / "m.jsonl", [json.dumps(r).encode() for r in rows])
    out, err = run("match", "--query", "ceibo lento", str(path))
    assert out.split() == ["b2", "3", "4"]
    out, _ = run("match", "--query", "ceibo lento lang:es", str(path))
    assert out.split() == ["b2"]
    out, _ = run("match", "--query", "author:pato intent:complaint", str(path))
    assert out.split() == ["4"]
    out, _ = run("match", "--query", "ceibo", "--count", str(path))
    assert out.split() == ["4"]
    assert err == ""


def test_match_reports_bad_lines_and_goes_on(tmp_path):
    path = _write(
        tmp_path / "bad.jsonl",
        [
            b'{"text": "ceibo uno"}',
            b"{not json",
            b'{"text": "ceibo \xff dos"}',
            b"",
            b"[1, 2]",
            b'{"text": "ceibo tres", "id": 7}',
        ],
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("query", "match", "--query", "ceibo", str(path), stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert out.getvalue().split() == ["1", "7"]
    messages = err.getvalue().splitlines()
    assert [m.split(":")[0] for m in messages] == ["line 2", "line 3", "line 5"]
    assert "not valid JSON" in messages[0] and "not UTF-8" in messages[1]


def test_match_refuses_a_bad_query_before_reading(tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command(
            "query", "match", "--query", "autor:x", str(tmp_path / "none.jsonl"),
            stdout=StringIO(), stderr=err,
        )  # fmt: skip
    assert caught.value.code == 2
    assert "did you mean author:?" in err.getvalue()


def test_match_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as caught:
        run("match", "--query", "ceibo", str(tmp_path / "none.jsonl"))
    assert caught.value.returncode == 2
