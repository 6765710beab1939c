"""`panal ingest FILE --account SLUG` through call_command, with real files."""

import gzip
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from panal.channels.models import ChannelAccount
from panal.demo import builders
from panal.listening.models import Mention, MentionVersion


def ingest(*paths, **options):
    """Run the command; returns (stdout, stderr, exit code)."""
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("account", "acme-hooks")
    code = 0
    try:
        call_command("ingest", *map(str, paths), stdout=out, stderr=err, **options)
    except CommandError as exc:
        code = exc.returncode
        err.write(f"CommandError: {exc}\n")
    return out.getvalue(), err.getvalue(), code


def jsonl(*objs) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode()


CSV = (
    "external_id,text,created_at,author_handle,author_followers,rating,kind\n"
    "r1,Muy buena atención,2026-11-01T10:00:00Z,ana,120,5,review\n"
    'r2,"Tardaron, pero\nlo arreglaron",2026-11-02T10:00:00Z,bea,,4,review\n'
    "r3,Fatal,2026-11-03T10:00:00Z,,,1,review\n"
)


def stored(account):
    return list(Mention.objects.filter(account=account).order_by("id").values())


def test_good_csv_file(tmp_path, account):
    path = tmp_path / "reviews.csv"
    path.write_text(CSV)
    out, err, code = ingest(path, no_progress=True)
    assert code == 0, err
    assert "reviews.csv: 3 created, 0 edited, 0 deleted, 0 unchanged, 0 bad lines" in out
    r2 = Mention.objects.get(account=account, external_id="r2")
    assert r2.text == "Tardaron, pero\nlo arreglaron"
    assert (r2.author_handle, r2.rating, r2.kind) == ("bea", 4, "review")
    account.refresh_from_db()
    assert account.last_event_at is not None


def test_good_jsonl_file_in_small_batches(tmp_path, account):
    path = tmp_path / "history.jsonl"
    objs = [{"external_id": f"m{i}", "text": f"mención {i}"} for i in range(7)]
    objs.append({"external_id": "m0", "text": "mención 0, corregida", "event": "edited"})
    path.write_bytes(jsonl(*objs))
    out, _, code = ingest(path, no_progress=True, batch_size=3)
    assert code == 0
    assert "7 created, 1 edited" in out
    assert Mention.objects.get(external_id="m0").text == "mención 0, corregida"
    assert MentionVersion.objects.filter(mention__external_id="m0").count() == 1


def test_rerun_imports_nothing_new(tmp_path, account):
    path = tmp_path / "reviews.csv"
    path.write_text(CSV)
    ingest(path, no_progress=True)
    before = stored(account)
    out, _, code = ingest(path, no_progress=True)
    assert code == 0
    assert "0 created, 0 edited, 0 deleted, 3 unchanged" in out
    assert stored(account) == before


def test_bad_lines_are_reported_with_numbers_and_the_rest_imported(tmp_path, account):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        jsonl({"external_id": "a", "text": "uno"})
        + b"not json at all\n"
        + jsonl({"external_id": "b", "text": "dos", "created_at": "ayer"})
        + jsonl({"external_id": "c", "text": "tres"})
        + jsonl({"text": "sin id"})
    )
    out, err, code = ingest(path, no_progress=True)
    assert code == 1
    assert "mixed.jsonl: line 2: not valid JSON" in err
    assert "mixed.jsonl: line 3: 'created_at' is not a date and time: 'ayer'" in err
    assert "mixed.jsonl: line 5: 'external_id' is required" in err
    assert "2 created, 0 edited, 0 deleted, 0 unchanged, 3 bad lines" in out
    assert "3 bad lines were skipped" in err
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["a", "c"]


def test_wrong_encoding_reports_the_line(tmp_path, account):
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"external_id,text\n1,hola\n" + "2,se\xf1al\n".encode("latin-1") + b"3,adios\n"
    )
    _, err, code = ingest(path, no_progress=True)
    assert code == 1
    assert "export.csv: line 3: not valid utf-8 text: byte 0xf1" in err
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["1", "3"]
    # With the right encoding the same file imports completely.
    _, err, code = ingest(path, no_progress=True, encoding="latin-1")
    assert code == 0, err
    assert Mention.objects.get(external_id="2").text == "señal"


def test_missing_column_stops_before_anything_is_imported(tmp_path, account):
    good = tmp_path / "a.jsonl"
    good.write_bytes(jsonl({"external_id": "a", "text": "uno"}))
    bad = tmp_path / "b.csv"
    bad.write_text("external_id,cuerpo\n1,hola\n")
    _, err, code = ingest(good, bad, no_progress=True)
    assert code == 2
    assert "missing required column 'text'" in err
    assert not Mention.objects.exists()


def test_unknown_account_is_named(tmp_path, account):
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl({"external_id": "a", "text": "uno"}))
    with pytest.raises(
        CommandError, match=r"no channel account with slug 'nadie'.*acme-hooks"
    ) as excinfo:
        call_command("ingest", str(path), account="nadie", no_progress=True, stdout=io.StringIO())
    assert excinfo.value.returncode == 2
    assert not Mention.objects.exists()


def test_inactive_account_is_refused(tmp_path, account):
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl({"external_id": "a", "text": "uno"}))
    _, err, code = ingest(path, no_progress=True)
    assert code == 2 and "inactive" in err


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        ("missing.csv", None, {}, "no such file"),
        ("data.json", b"[]", {}, "--format"),
        ("data.csv", b"", {}, "the file is empty"),
        ("data.csv", b"external_id,text\n", {"encoding": "utf-16"}, "not supported"),
        ("data.jsonl.gz", b"plain, not gzip\n", {}, "cannot read"),
        ("data.csv", b"external_id,text\n1,a\n", {"batch_size": 0}, "--batch-size"),
    ],
)
def test_file_problems_exit_2(tmp_path, account, name, content, options, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    _, err, code = ingest(path, no_progress=True, **options)
    assert code == 2
    assert message in err


def test_format_option_and_gzip(tmp_path, account):
    txt = tmp_path / "export.txt"
    txt.write_bytes(jsonl({"external_id": "a", "text": "uno"}))
    gz = tmp_path / "older.csv.gz"
    gz.write_bytes(gzip.compress(CSV.encode()))
    out, err, code = ingest(gz, txt, no_progress=False)
    assert code == 2  # .txt needs --format, and nothing is imported
    assert "export.txt: cannot tell the format" in err and out == ""
    assert not Mention.objects.exists()
    _, err, code = ingest(gz, no_progress=True)
    assert code == 0, err
    _, err, code = ingest(txt, format="jsonl", no_progress=True)
    assert code == 0, err
    assert Mention.objects.count() == 4


def test_ten_megabyte_text_is_one_bad_line(tmp_path, account):
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        f.write(jsonl({"external_id": "a", "text": "uno"}))
        f.write(b'{"external_id": "big", "text": "' + b"x" * 10_000_000 + b'"}\n')
        f.write(jsonl({"external_id": "c", "text": "tres"}))
    _, err, code = ingest(path, no_progress=True)
    assert code == 1
    assert "big.jsonl: line 2: the line is longer than" in err
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["a", "c"]


def test_unknown_columns_are_named_and_ignored(tmp_path, account):
    path = tmp_path / "x.csv"
    path.write_text("id,text,sentiment\n1,hola,positive\n")
    _, err, code = ingest(path, no_progress=True)
    assert code == 0
    assert "ignoring unknown columns 'sentiment'" in err
    assert Mention.objects.get(external_id="1").text == "hola"


def test_several_files_and_a_total(tmp_path, org, account):
    other = builders.channel_account(org, kind="file", slug="acme-archive", name="Archive")
    a = tmp_path / "a.jsonl"
    a.write_bytes(jsonl({"external_id": "1", "text": "uno"}, {"external_id": "2", "text": "dos"}))
    b = tmp_path / "b.csv"
    b.write_text(CSV)
    out, _, code = ingest(a, b, account="acme-archive", no_progress=True)
    assert code == 0
    assert "total: 5 created" in out
    assert Mention.objects.filter(account=other).count() == 5
    assert set(Mention.objects.values_list("channel", flat=True)) == {"file"}


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path, account):
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl({"external_id": "1", "text": "uno"}))
    out, _, code = ingest(path)  # progress not disabled, but stdout is a StringIO
    assert code == 0
    assert out == "a.jsonl: 1 created, 0 edited, 0 deleted, 0 unchanged, 0 bad lines\n"


def test_damaged_gzip_keeps_what_came_before(tmp_path, account):
    path = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(
        b"".join(jsonl({"external_id": f"m{i}", "text": "x"}) for i in range(3000))
    )
    path.write_bytes(whole[: len(whole) // 2])
    _, err, code = ingest(path, no_progress=True)
    assert code == 1
    read = int(re.search(r"cannot read the file after line (\d+)", err).group(1))
    assert 0 < read < 3000
    assert Mention.objects.count() == read  # the unfinished batch was stored too


def test_export_column_names_of_other_tools_are_understood(tmp_path, org, account):
    path = tmp_path / "export.csv"
    path.write_text(
        "tweet_id,full_text,screen_name,date,language,link,followers_count\n"
        "77,Sin señal en Lima,@ana,2026-11-01T10:00:00Z,es,https://x.example/77,12\n",
        encoding="utf-8",
    )
    call_command("ingest", str(path), "--account", account.slug, "--no-progress")
    mention = Mention.objects.get(external_id="77")
    assert (mention.text, mention.author_handle, mention.lang) == (
        "Sin señal en Lima",
        "ana",  # stored without the export's "@"
        "es",
    )
    assert mention.url == "https://x.example/77" and mention.author_followers == 12


def test_without_account_the_single_file_account_is_used(tmp_path, org, account):
    path = tmp_path / "h.jsonl"
    path.write_text('{"external_id": "h1", "text": "hola"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match=r"say which channel account.*acme-hooks"):
        call_command("ingest", str(path), "--no-progress")
    history = builders.channel_account(org, kind="file", slug="acme-history", name="History")
    call_command("ingest", str(path), "--no-progress")
    assert Mention.objects.get(external_id="h1").account == history
