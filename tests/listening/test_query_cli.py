"""`panal query check|match` (real files) and `panal query topics|add|backfill` (the
database) through call_command."""

import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from panal.listening import topics
from panal.listening.models import Backfill, ListeningQuery, Topic, TopicMatch


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


def test_the_cli_speaks_english_whatever_the_language_setting():
    err = StringIO()
    with translation.override("es"):
        out, _ = run("check", "re* NOT spam")
        with pytest.raises(SystemExit):
            call_command("query", "check", 'ceibo "lento', stdout=StringIO(), stderr=err)
        assert translation.get_language() == "es"  # given back after the command
    assert out.splitlines()[1] == (
        "warning at column 1: re* matches every word starting with 're' "
        "(add letters before the wildcard, e.g. reembols*)"
    )
    assert err.getvalue().strip() == (
        'error at column 7: this quote is never closed (close the phrase with ")'
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


# --- topics, add and backfill (the database) ---------------------------------------------


def run_db(*args, stdout=None):
    """Run `panal query …`; returns (stdout, stderr, exit code)."""
    out, err = stdout or StringIO(), StringIO()
    code = 0
    try:
        call_command("query", *args, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        err.write(f"{exc}\n")
    except SystemExit as exc:
        code = exc.code
    return out.getvalue(), err.getvalue(), code


def test_add_makes_the_topic_once_then_adds_queries(org):
    out, err, code = run_db(
        "add", "--org", "acme", "--topic", "rival", "--kind", "competitor",
        "--name", "Rival Telecom", '"rival telecom" OR #RivalTelecom OR re*',
    )  # fmt: skip
    assert (code, err) == (0, "")
    topic = Topic.objects.get(organisation=org, slug="rival")
    assert (topic.name, topic.kind) == ("Rival Telecom", "competitor")
    [query] = topic.queries.all()
    assert (query.text, query.version) == ('"rival telecom" OR #RivalTelecom OR re*', 1)
    lines = out.splitlines()
    assert lines[0] == "topic rival created (competitor, 'Rival Telecom')"
    assert (
        lines[1] == f'query {query.id} saved (version 1): "rival telecom" OR #rivaltelecom OR re*'
    )
    assert lines[2].startswith("warning at column 37: re* matches every word")
    assert lines[3] == "stored mentions: panal query backfill --org acme --topic rival"
    out, _, code = run_db(
        "add", "--org", "acme", "--topic", "rival", "--kind", "brand", "--query-name", "Cuenta",
        "@rival_tel",
    )  # fmt: skip
    assert code == 0 and "created" not in out
    topic.refresh_from_db()
    assert topic.kind == "competitor"  # --kind shapes a new topic only
    assert sorted(topic.queries.values_list("name", flat=True)) == [
        '"rival telecom" OR #RivalTelecom OR re*', "Cuenta"
    ]  # fmt: skip


def test_add_keeps_the_slug_it_is_given(org):
    topics.create_topic(org, name="Señal", kind="industry")  # takes the slug "senal"
    _, _, code = run_db("add", "--org", "acme", "--topic", "senal-5g", "--name", "Señal", "5g")
    assert code == 0
    topic = Topic.objects.get(slug="senal-5g")
    assert (topic.name, topic.kind) == ("Señal", "brand")
    _, _, code = run_db("add", "--org", "acme", "--topic", "mi-marca", "marca")
    assert code == 0 and Topic.objects.get(slug="mi-marca").name == "Mi marca"


def test_add_refuses_a_bad_query_and_saves_nothing(org):
    out, err, code = run_db("add", "--org", "acme", "--topic", "nueva", "acme AND (lento")
    assert code == 2 and out == ""
    assert err.strip() == "error at column 10: this parenthesis is never closed (close it with ))"
    _, err, code = run_db("add", "--org", "acme", "--topic", "nueva", "  ")
    assert code == 2 and err.startswith("error at column 1: ")
    assert not Topic.objects.exists() and not ListeningQuery.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--topic", "t"], "no organisation 'nope'"),
        (["--org", "acme", "--topic", "No Slug"], "Not a valid slug: No Slug"),
        (["--org", "acme", "--topic", "x" * 61], "Not a valid slug"),
    ],
)
def test_add_refuses_unknown_organisations_and_bad_slugs(org, args, message):
    _, err, code = run_db("add", *args, "acme")
    assert code == 2 and message in err
    assert not Topic.objects.exists()


def test_topics_lists_every_query_tab_separated(org, other_org):
    brand = topics.create_topic(org, name="Acme", kind="brand")
    q1 = topics.save_query(brand, "acme OR #acme", name="Nombre")
    q2 = topics.save_query(brand, "@acme\tOR\nacme_es", name="Cuentas", is_active=False)
    topics.create_topic(org, name="Rival", kind="competitor")
    topics.save_query(topics.create_topic(other_org, name="Otra", kind="brand"), "otra")
    out, err, code = run_db("topics", "--org", "acme")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"acme\tbrand\tactive\tAcme\t{q2.id}\tinactive\tCuentas\t@acme OR acme_es",
        f"acme\tbrand\tactive\tAcme\t{q1.id}\tactive\tNombre\tacme OR #acme",
        "rival\tcompetitor\tactive\tRival\t\t\t\t",
    ]
    assert all(len(line.split("\t")) == 8 for line in out.splitlines())
    assert run_db("topics", "--org", "nope")[2] == 2


NOW = datetime.now(UTC)


def _rows(*texts, days_ago=0):
    when = (NOW - timedelta(days=days_ago)).isoformat()
    return [
        {"external_id": f"{days_ago}-{n}", "text": text, "created_at": when}
        for n, text in enumerate(texts)
    ]


def test_backfill_one_topic_prints_a_summary(org, add):
    add(*_rows("rival uno", "nada", "rival dos"), *_rows("rival viejo", days_ago=40))
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    topics.save_query(rival, "rival")
    assert not TopicMatch.objects.exists()  # stored before the query: not matched yet
    out, err, code = run_db("backfill", "--org", "acme", "--topic", "rival", "--no-progress")
    assert (code, err) == (0, "")
    assert re.fullmatch(
        r"rival: \d+ mentions looked at, 3 matches added, 0 removed \(\d+\.\d s\)\n", out
    )
    assert TopicMatch.objects.filter(topic=rival).count() == 3
    # Since a day: the old mention's match is out of reach, the others still hold.
    topics.save_query(rival, "uno", name="rival", query=rival.queries.get())
    since = (NOW - timedelta(days=7)).date().isoformat()
    out, _, code = run_db("backfill", "--org", "acme", "--topic", "rival", "--since", since)
    assert code == 0 and ", 0 matches added, 1 removed" in out
    texts = TopicMatch.objects.filter(topic=rival).values_list("mention__text", flat=True)
    assert sorted(texts) == ["rival uno", "rival viejo"]


def test_backfill_all_runs_every_active_topic(org, add):
    add(*_rows("acme y rival", "solo acme"))
    for name, text in (("Acme", "acme"), ("Rival", "rival"), ("Dormido", "acme")):
        topics.save_query(topics.create_topic(org, name=name, kind="brand"), text)
    topics.update_topic(Topic.objects.get(slug="dormido"), is_active=False)
    TopicMatch.objects.all().delete()
    out, _, code = run_db("backfill", "--org", "acme", "--all")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["acme", "rival"]
    counts = {t.slug: t.matches.count() for t in Topic.objects.all()}
    assert counts == {"acme": 2, "rival": 1, "dormido": 0}


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_backfill_shows_a_progress_bar_on_a_terminal(org, add):
    add(*_rows("rival uno", "rival dos"))
    topics.save_query(topics.create_topic(org, name="Rival", kind="competitor"), "rival")
    TopicMatch.objects.all().delete()
    out, _, code = run_db("backfill", "--org", "acme", "--topic", "rival", stdout=Terminal())
    assert code == 0
    assert "2/2" in out and "+2 -0 matches" in out  # the bar's last state
    assert "rival: 2 mentions looked at, 2 matches added, 0 removed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--all"], "no organisation 'nope'"),
        (["--org", "acme", "--topic", "nada"], "no topic 'nada' in organisation 'acme'"),
        (["--org", "acme", "--all", "--since", "ayer"], "--since 'ayer' is not a day"),
    ],
)
def test_backfill_refuses_unknown_names(org, args, message):
    out, err, code = run_db("backfill", *args)
    assert code == 2 and message in err and out == ""
    assert not Backfill.objects.exists()
