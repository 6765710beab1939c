"""The CSV / JSON Lines reader, without a database: properties and the awkward files."""

import csv
import gzip
import io
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.channels import files
from panal.channels.files import FileFormatError, read_csv, read_jsonl
from panal.listening.normalise import Item, ItemError, parse_item

# --- strategies -------------------------------------------------------------------

# Any text a database can hold: no NUL, no lone surrogates. Separators, quotes and
# line breaks are drawn often, because they are what breaks readers.
safe_char = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
tricky = st.sampled_from(["\n", "\r\n", "\r", '"', ",", ";", "\t", "'", "\\", " ", "\u2028", "é"])
text = st.lists(st.one_of(tricky, safe_char), min_size=1, max_size=40).map("".join)
ident = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)
when = st.datetimes(
    min_value=datetime(1990, 1, 2),
    max_value=datetime(2199, 12, 30),
    timezones=st.just(UTC),
)

COLUMNS = [
    "external_id",
    "text",
    "title",
    "created_at",
    "author_handle",
    "author_followers",
    "rating",
]


@st.composite
def rows(draw):
    """One valid mention as CSV cells (all strings; empty means absent)."""
    return {
        "external_id": draw(ident),
        "text": draw(text),
        "title": draw(st.one_of(st.just(""), text)),
        "created_at": draw(st.one_of(st.just(""), when.map(lambda d: d.isoformat()))),
        "author_handle": draw(st.one_of(st.just(""), ident)),
        "author_followers": draw(st.one_of(st.just(""), st.integers(0, 10**12).map(str))),
        "rating": draw(st.one_of(st.just(""), st.integers(1, 5).map(str))),
    }


@st.composite
def objects(draw):
    """One valid mention as a JSON object, with typed values and nested parts."""
    obj = {"external_id": draw(ident), "text": draw(text)}
    if draw(st.booleans()):
        obj["created_at"] = draw(
            st.one_of(when.map(lambda d: d.isoformat()), st.integers(10**9, 4 * 10**9))
        )
    if draw(st.booleans()):
        obj["author"] = {
            "id": draw(ident),
            "handle": draw(ident),
            "followers": draw(st.integers(0, 10**6)),
        }
    if draw(st.booleans()):
        obj["metrics"] = draw(st.dictionaries(ident, st.integers(-(2**40), 2**40), max_size=3))
    if draw(st.booleans()):
        obj["kind"] = draw(st.sampled_from(["post", "comment", "review"]))
    return obj


def write_csv(header, data_rows, delimiter=","):
    """The file bytes, and the line where each data row starts."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    starts, line = [], 2
    for row in data_rows:
        before = out.tell()
        writer.writerow([row[c] for c in header])
        starts.append(line)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue().encode(), starts


def read(reader, data: bytes, **kwargs):
    return list(reader(io.BytesIO(data), **kwargs))


def errors(records):
    return [(n, str(r)) for n, r in records if isinstance(r, ItemError)]


# --- properties -------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(rows(), max_size=12))
def test_csv_rows_round_trip_with_their_line_numbers(data_rows):
    data, starts = write_csv(COLUMNS, data_rows)
    records = read(read_csv, data)
    assert [n for n, _ in records] == starts
    assert [r for _, r in records] == [parse_item(row) for row in data_rows]


@settings(max_examples=150, deadline=None)
@given(st.lists(objects(), max_size=12), st.booleans())
def test_jsonl_objects_round_trip(objs, ascii_only):
    data = "".join(json.dumps(o, ensure_ascii=ascii_only) + "\n" for o in objs).encode()
    records = read(read_jsonl, data)
    assert records == [(i, parse_item(o)) for i, o in enumerate(objs, start=1)]


garbage_line = st.binary(max_size=80).filter(
    lambda b: (
        b"\n" not in b
        and b"external_id" not in b
        and b.decode("utf-8", "replace").lstrip("\ufeff").strip(" \t\r\n") != ""
    )
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(garbage_line.map(lambda b: ("bad", b)), objects().map(lambda o: ("ok", o))),
        max_size=15,
    )
)
def test_jsonl_garbage_lines_are_errors_at_their_own_line(lines):
    data = b"".join((json.dumps(v).encode() if kind == "ok" else v) + b"\n" for kind, v in lines)
    records = read(read_jsonl, data)
    assert [n for n, _ in records] == list(range(1, len(lines) + 1))
    for (kind, _), (_, record) in zip(lines, records, strict=True):
        assert isinstance(record, ItemError if kind == "bad" else Item)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["jsonl", "csv"]))
def test_any_bytes_never_raise_past_the_header(data, fmt):
    header = b"external_id,text\n" if fmt == "csv" else b""
    total_lines = (header + data).count(b"\n") + 1
    records = read(files.read_records, header + data, fmt=fmt, max_bytes=64)
    numbers = [n for n, _ in records]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= total_lines for n in numbers)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            rows().map(lambda r: ("ok", r)), st.binary(max_size=60).map(lambda b: ("junk", b))
        ),
        max_size=10,
    )
)
def test_csv_junk_never_raises_and_good_rows_survive_single_line_junk(entries):
    out, expected, line = [b"external_id,text\n"], [], 2
    for kind, value in entries:
        if kind == "ok":
            data, _ = write_csv(["external_id", "text"], [value])
            chunk = data.split(b"\r\n", 1)[1]
            expected.append((line, parse_item({k: value[k] for k in ("external_id", "text")})))
        else:
            # Junk of one line that cannot open a quote or be a row of two fields.
            chunk = value.replace(b"\n", b" ").replace(b'"', b"").replace(b",", b"") + b"\n"
        out.append(chunk)
        line += chunk.count(b"\n")
    records = read(read_csv, b"".join(out))
    good = [(n, r) for n, r in records if isinstance(r, Item)]
    assert good == expected


# --- JSON Lines, by example -----------------------------------------------------------


def test_jsonl_reports_each_bad_line_and_keeps_going():
    data = "\n".join(
        [
            '{"external_id": "1", "text": "uno"}',
            "",
            '{"external_id": "2", "text": "dos", "created_at": "ayer"}',
            '{"external_id": "3", "text": "tres",}',
            "[1, 2]",
            '{"external_id": "4", "text": "cuatro", "metrics": {"x": NaN}}',
            '{"external_id": "5", "text": "a\\u0000b"}',
            '{"external_id": "6", "text": "emoji \\ud83d\\ude00 ok"}',
            "   ",
            '{"external_id": "7", "text": "siete"}',
        ]
    ).encode()
    records = read(read_jsonl, data)
    assert errors(records) == [
        (3, "'created_at' is not a date and time: 'ayer'"),
        (4, "not valid JSON: Expecting property name enclosed in double quotes at column 37"),
        (5, "each item must be a JSON object"),
        (6, "not valid JSON: NaN is not a number JSON allows"),
        (7, "'text' contains a NUL character (U+0000)"),
    ]
    good = [(n, r.external_id, r.text) for n, r in records if isinstance(r, Item)]
    assert good == [(1, "1", "uno"), (8, "6", "emoji 😀 ok"), (10, "7", "siete")]


def test_jsonl_bom_crlf_and_no_final_newline():
    data = b'\xef\xbb\xbf{"external_id": "1", "text": "a"}\r\n{"external_id": "2", "text": "b"}'
    assert [(n, r.external_id) for n, r in read(read_jsonl, data)] == [(1, "1"), (2, "2")]


def test_jsonl_wrong_encoding_is_that_lines_error():
    data = (
        '{"external_id": "1", "text": "señal"}\n'.encode("latin-1")
        + b'{"external_id": "2", "text": "ok"}\n'
    )
    records = read(read_jsonl, data)
    assert errors(records) == [(1, "not valid utf-8 text: byte 0xf1 at byte 33")]
    assert isinstance(records[1][1], Item)
    latin = read(read_jsonl, data[:40], encoding="latin-1")
    assert latin[0][1].text == "señal"


def test_jsonl_long_line_is_skipped_without_loading_it():
    long_line = b'{"external_id": "big", "text": "' + b"x" * 5000 + b'"}\n'
    data = (
        b'{"external_id": "1", "text": "a"}\n' + long_line + b'{"external_id": "3", "text": "c"}\n'
    )
    records = read(read_jsonl, data, max_bytes=1000)
    assert errors(records) == [(2, "the line is longer than 1000 bytes")]
    assert [n for n, r in records if isinstance(r, Item)] == [1, 3]


def test_jsonl_deep_nesting_is_an_error():
    data = b"[" * 50_000 + b"]" * 50_000 + b"\n"
    assert errors(read(read_jsonl, data, max_bytes=200_000)) == [
        (1, "not valid JSON: nested too deeply")
    ]


# --- CSV, by example ----------------------------------------------------------------


def test_csv_aliases_bom_semicolons_and_header_case():
    data = "\ufeffID ; Text;AUTHOR\n7;hola; ana\n".encode()
    [(line, item)] = read(read_csv, data)
    assert (line, item.external_id, item.text, item.author_handle) == (2, "7", "hola", "ana")


def test_csv_tabs():
    [(_, item)] = read(read_csv, b"external_id\ttext\n1\tuno dos\n")
    assert item.text == "uno dos"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"external_id,title\n", "missing required column 'text'"),
        (b"foo,bar\n", "missing required columns 'external_id', 'text'"),
        (b"id,external_id,text\n", "the column 'external_id' appears twice"),
        (b"", "the file is empty"),
        (b"external_id,t\xe9xt\n", "line 1 (the header) is not valid utf-8"),
    ],
)
def test_csv_header_problems_stop_before_any_row(header, message):
    data = header + b"1,hello\n" if header else b""
    with pytest.raises(FileFormatError, match=re.escape(message)):
        read(read_csv, data)


def test_csv_bad_rows_are_numbered_where_they_start():
    data = (
        "external_id,text,created_at\n"  # 1
        '1,"a text\nwith two\nline breaks",2026-11-01T10:00:00Z\n'  # 2-4
        "2,fine,ayer\n"  # 5
        "3,too,many,fields\n"  # 6
        "4,se\xf1al,\n"  # 7 (written below as latin-1)
        "\n"  # 8 blank
        '5,"quote ""inside""",\n'  # 9
        '6,"left open,\n'  # 10
        "7,never,seen\n"  # 11 (inside the open quote)
    )
    records = read(read_csv, data.encode("latin-1"))
    assert errors(records) == [
        (5, "'created_at' is not a date and time: 'ayer'"),
        (6, "4 fields where the header has 3"),
        (7, "not valid utf-8 text: byte 0xf1 at byte 5"),
        (10, "2 fields where the header has 3 (the record runs to line 11: is a quote left open?)"),
    ]
    good = [(n, r.external_id, r.text) for n, r in records if isinstance(r, Item)]
    assert good == [(2, "1", "a text\nwith two\nline breaks"), (9, "5", 'quote "inside"')]


def test_csv_latin1_with_the_encoding_option():
    data = "external_id,text\n1,se\xf1al\n".encode("cp1252")
    [(_, item)] = read(read_csv, data, encoding="cp1252")
    assert item.text == "señal"


def test_csv_long_record_is_skipped_to_its_end():
    many_lines = "\n".join(['a line of a long quoted text, with a "" quote'] * 100)
    data = f'external_id,text\n1,short\n2,"{many_lines}"\n3,after\n'.encode()
    records = read(read_csv, data, max_bytes=500)
    assert errors(records) == [(3, "the record is longer than 500 bytes")]
    assert [(n, r.external_id) for n, r in records if isinstance(r, Item)] == [(2, "1"), (103, "3")]


def test_csv_long_single_line_is_skipped():
    data = b"external_id,text\n1," + b"x" * 10_000 + b"\n2,ok\n"
    records = read(read_csv, data, max_bytes=500)
    assert errors(records) == [(2, "the record is longer than 500 bytes")]
    assert [(n, r.external_id) for n, r in records if isinstance(r, Item)] == [(3, "2")]


def test_csv_nul_is_refused():
    assert errors(read(read_csv, b"external_id,text\n1,a\x00b\n")) == [
        (2, "'text' contains a NUL character (U+0000)")
    ]


# --- names, encodings, compression ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("history.csv", ("csv", False)),
        ("export.TSV", ("csv", False)),
        ("data.jsonl", ("jsonl", False)),
        ("data.ndjson.gz", ("jsonl", True)),
        ("a.b.jsonlines", ("jsonl", False)),
        ("x.CSV.GZ", ("csv", True)),
    ],
)
def test_format_from_the_name(name, expected):
    assert files.detect_format(name) == expected


@pytest.mark.parametrize("name", ["data.json", "notes.txt", "noextension", "archive.gz"])
def test_unknown_names_ask_for_format(name):
    with pytest.raises(FileFormatError, match="--format"):
        files.detect_format(name)


@pytest.mark.parametrize(
    ("encoding", "message"), [("klingon", "unknown encoding"), ("utf-16", "not supported")]
)
def test_unusable_encodings(encoding, message):
    with pytest.raises(FileFormatError, match=message):
        files.check_encoding(encoding)


def test_gzip_files_and_damaged_gzip(tmp_path):
    path = tmp_path / "h.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"external_id": "1", "text": "a"}\n' * 3))
    with files.open_file(path, compressed=True) as (_, stream):
        assert len(list(read_jsonl(stream))) == 3
    path.write_bytes(gzip.compress(b'{"external_id": "1", "text": "a"}\n' * 3000)[:200])
    with (
        files.open_file(path, compressed=True) as (_, stream),
        pytest.raises(FileFormatError, match="cannot read"),
    ):
        list(read_jsonl(stream))


def test_csv_bare_carriage_returns_are_explained():
    records = read(read_csv, b"external_id,text\n1,a\rb\n2,ok\n")
    [(line, reason)] = errors(records)
    assert line == 2
    assert reason.startswith("not valid CSV: a carriage return (\\r) inside an unquoted cell")
    assert [n for n, r in records if isinstance(r, Item)] == [3]
    with pytest.raises(FileFormatError, match="old Mac line endings"):
        read(read_csv, b"external_id,text\r1,a\r2,b\r")


def test_country_is_read_from_its_aliases_and_a_bad_one_is_dropped():
    data = "id,text,country_code\n1,hola,mx\n2,hi,Spain\n3,hey,\n"
    rows = [item.country for _, item in read_csv(io.BytesIO(data.encode()))]
    assert rows == ["MX", "", ""]
    assert parse_item({"external_id": "r", "text": "ok", "territory": "es"}).country == "ES"
    assert parse_item({"external_id": "r", "text": "ok", "country": 34}).country == ""
