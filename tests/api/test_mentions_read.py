"""GET /api/v1/mentions and /api/v1/mentions/{id}: permissions, isolation, filters, pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.demo import builders
from panal.listening.normalise import parse_item
from panal.org.choices import Role
from panal.org.roles import ROLE_PERMISSIONS

from .conftest import URL

QUERY_BASELINE = 8
READERS = [r for r in Role.values if "listening.view_mention" in ROLE_PERMISSIONS[r]]


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()["items"]]


@pytest.fixture
def sample(account, store):
    """Three mentions in Acme's webhook account, oldest id first."""
    ids = store(
        account,
        {"external_id": "m1", "text": "Mi Acme Móvil no tiene señal", "lang": "es",
         "created_at": "2026-11-01T09:00:00Z", "author": {"id": "u1", "handle": "ana"}},
    )  # fmt: skip
    ids |= store(
        account,
        {"external_id": "m2", "text": "Great service, thanks", "lang": "en-GB",
         "created_at": "2026-11-02T09:00:00Z", "author": {"id": "u2", "handle": "bob"}},
    )  # fmt: skip
    ids |= store(
        account,
        {"external_id": "m3", "text": "Respuesta a Ana", "lang": "es",
         "created_at": "2026-11-03T09:00:00Z", "in_reply_to_external_id": "m1",
         "thread_external_id": "m1", "author": {"id": "u2", "handle": "bob"}},
    )  # fmt: skip
    return {ext: str(pk) for ext, pk in ids.items()}


# --- permissions -------------------------------------------------------------


def test_every_reader_role_may_list(api_for, sample):
    assert "agent" in READERS and "advocate" not in READERS
    for role in READERS:
        assert len(ids_of(api_for(role).get(URL))) == 3, role


@pytest.mark.parametrize("path", ["", "/{m1}"])
def test_advocate_is_403_with_a_message(api_for, sample, path):
    response = api_for("advocate").get(URL + path.format(**sample))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Missing permission: listening.view_mention"}


@pytest.mark.parametrize("path", ["", "/{m1}"])
def test_anonymous_is_401(client, sample, path):
    assert client.get(URL + path.format(**sample)).status_code == 401


def test_session_user_reads_like_a_token_user(client_for, api_for, sample):
    assert client_for("agent").get(URL).json() == api_for("agent").get(URL).json()


# --- other organisations ---------------------------------------------------------


@pytest.fixture
def foreign(other_org, store):
    """A mention of another organisation, and one of its members allowed to read."""
    foreign_account = builders.channel_account(other_org, "api", "other-hooks", "Other hooks")
    ids = store(foreign_account, {"external_id": "f1", "text": "secreto de Other"})
    outsider = builders.member(other_org, Role.AGENT, username="outsider")
    return str(ids["f1"]), outsider


def test_a_user_sees_only_their_organisations(api_for, sample, foreign):
    foreign_id, _ = foreign
    listed = ids_of(api_for("agent").get(URL))
    assert foreign_id not in listed and len(listed) == 3
    assert ids_of(api_for("agent").get(URL, {"account": "other-hooks"})) == []


def test_another_organisations_mention_is_404_like_a_missing_one(api_for, sample, foreign):
    foreign_id, outsider = foreign
    agent = api_for("agent")
    hidden = agent.get(f"{URL}/{foreign_id}")
    missing = agent.get(f"{URL}/{int(foreign_id) + 1}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Mention not found."}
    # ...while its own organisation reads it.
    from panal.api.services import create_token

    from .conftest import bearer

    own = bearer(create_token(outsider, "t").raw)
    assert own.get(f"{URL}/{foreign_id}").status_code == 200
    assert ids_of(own.get(URL)) == [foreign_id]


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "0", str(2**63), "9" * 40, "%20", "1e3"])
def test_malformed_ids_are_404(api_for, sample, bad_id):
    response = api_for("agent").get(f"{URL}/{bad_id}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


# --- filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["m3", "m2", "m1"]),
        ({"lang": "es"}, ["m3", "m1"]),
        ({"lang": "en"}, ["m2"]),
        ({"lang": "en-US"}, ["m2"]),
        ({"channel": "api"}, ["m3", "m2", "m1"]),
        ({"channel": "mastodon"}, []),
        ({"account": "acme-hooks"}, ["m3", "m2", "m1"]),
        ({"account": "nope"}, []),
        ({"brand": "acme-movil"}, ["m1"]),
        ({"brand": "acme-hogar"}, []),
        ({"since": "2026-11-02T09:00:00Z"}, ["m3", "m2"]),
        ({"until": "2026-11-02T09:00:00Z"}, ["m1"]),
        ({"since": "2026-11-01T10:00:00", "until": "2026-11-03T00:00:00+00:00"}, ["m2"]),
        ({"since": "2026-11-02T10:00:00+01:00"}, ["m3", "m2"]),
        ({"q": "senal"}, ["m1"]),
        ({"q": "Ana"}, ["m3"]),  # a word is looked for in the text, not in author names
        ({"q": "Ana OR @ana"}, ["m3", "m1"]),  # @handle: also a mention written by it
        ({"q": "author:ana"}, ["m1"]),
        ({"q": '"great service"'}, ["m2"]),
        ({"q": "serv*"}, ["m2"]),
        ({"q": "ana", "lang": "en"}, []),
    ],
)
def test_filters(api_for, sample, params, expected):
    by_id = {v: k for k, v in sample.items()}
    assert [by_id[i] for i in ids_of(api_for("agent").get(URL, params))] == expected


@pytest.mark.parametrize(
    "params",
    [
        {"channel": "myspace"},
        {"since": "yesterday"},
        {"limit": "0"},
        {"limit": "201"},
        {"before": "abc"},
        {"before": str(2**63)},
        {"lang": "'; drop table"},
        {"q": "x" * 501},
    ],
)
def test_bad_filters_are_422(api_for, sample, params):
    response = api_for("agent").get(URL, params)
    assert response.status_code == 422
    assert response.json()["detail"]


# --- pages -------------------------------------------------------------------------


def test_keyset_pages_walk_everything_once(api_for, account, store):
    rows = [{"external_id": f"p{i}", "text": f"número {i}"} for i in range(7)]
    stored = store(account, *rows)
    agent = api_for("agent")
    seen, before, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"before": before} if before else {})
        body = agent.get(URL, params).json()
        seen += [m["id"] for m in body["items"]]
        pages += 1
        before = body["next_before"]
        if before is None:
            break
        assert before == body["items"][-1]["id"]
    assert pages == 3
    assert seen == sorted((str(i) for i in stored.values()), key=int, reverse=True)


def test_limit_defaults_to_50_and_the_last_full_page_ends(api_for, account, store):
    store(account, *[{"external_id": f"p{i}", "text": "t"} for i in range(51)])
    body = api_for("agent").get(URL).json()
    assert len(body["items"]) == 50 and body["next_before"] is not None
    rest = api_for("agent").get(URL, {"before": body["next_before"]}).json()
    assert len(rest["items"]) == 1 and rest["next_before"] is None
    # Exactly `limit` left: no empty extra page.
    exact = api_for("agent").get(URL, {"limit": 51}).json()
    assert len(exact["items"]) == 51 and exact["next_before"] is None


def test_ids_are_strings_and_cursor_accepts_them_beyond_2_53(api_for, sample):
    body = api_for("agent").get(URL).json()
    first = body["items"][0]
    assert isinstance(first["id"], str) and int(first["id"]) > 2**53
    assert isinstance(first["author"]["id"], str)
    older = api_for("agent").get(URL, {"before": first["id"]}).json()
    assert [m["id"] for m in older["items"]] == [m["id"] for m in body["items"][1:]]


def test_list_query_count_does_not_grow_with_items(client_for, account, store):
    """Bounded queries: as many for 2 rows as for 40 (authors, brands, accounts eager)."""
    client = client_for("agent")

    def page() -> tuple[list[str], int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"limit": 200})
        assert response.status_code == 200
        return [q["sql"] for q in ctx.captured_queries], len(response.json()["items"])

    store(account, *[
        {"external_id": f"a{i}", "text": "Acme Móvil", "author": {"id": f"u{i}"}} for i in range(2)
    ])  # fmt: skip
    small, n_small = page()
    store(account, *[
        {"external_id": f"b{i}", "text": "Acme Hogar", "author": {"id": f"w{i}"}}
        for i in range(38)
    ])  # fmt: skip
    large, n_large = page()
    assert (n_small, n_large) == (2, 40)
    assert len(small) == len(large)
    # Recorded baseline: session, user, UI language, permissions (2), organisations, page,
    # and the page's topic matches (one prefetch).
    assert len(large) <= QUERY_BASELINE, large


# --- one mention ---------------------------------------------------------------------


def test_detail_has_author_thread_and_history(api_for, account, sample, store):
    assert api_for("agent").get(f"{URL}/{sample['m1']}").json()["brand"] == "acme-movil"
    store(account, {"external_id": "m1", "text": "Ya tengo señal", "lang": "es",
                    "author": {"id": "u1", "handle": "ana"}})  # fmt: skip
    body = api_for("agent").get(f"{URL}/{sample['m1']}").json()
    assert body["id"] == sample["m1"]
    assert body["text"] == "Ya tengo señal"
    assert body["account"] == "acme-hooks" and body["channel"] == "api"
    assert body["author"]["handle"] == "ana" and body["author"]["external_id"] == "u1"
    assert body["author"]["id"] is not None
    assert body["thread_ids"] == [sample["m1"], sample["m3"]]
    assert body["edited_at"] is not None
    assert [v["text"] for v in body["versions"]] == ["Mi Acme Móvil no tiene señal"]

    reply = api_for("agent").get(f"{URL}/{sample['m3']}").json()
    assert reply["parent_id"] == reply["thread_root_id"] == sample["m1"]
    assert reply["in_reply_to_external_id"] == "m1"
    assert reply["thread_ids"] == [sample["m1"], sample["m3"]]


def test_deleted_mentions_are_not_visible(api_for, account, sample, store):
    store(account, {"external_id": "m2", "event": "deleted"})
    agent = api_for("agent")
    assert agent.get(f"{URL}/{sample['m2']}").status_code == 404
    assert sample["m2"] not in ids_of(agent.get(URL))
    assert sample["m2"] not in agent.get(f"{URL}/{sample['m1']}").json()["thread_ids"]


HOSTILE = {
    # No control or bidi-override characters: the pipeline's normalise stage removes those.
    "text": "<script>alert('x')</script> \"quotes\" & ampersands \\ backslash 🐝 مرحبا",
    "title": "</title><img src=x onerror=alert(1)>",
    "text_html": "<p onclick='steal()'>hola</p>{{ 7*7 }}{% now %}",
    "author": {"id": "<u>", "handle": "@ana<script>", "display_name": "Ana \"Robert'); DROP"},
}


def test_hostile_strings_round_trip_exactly(api_for, account, store):
    pk = store(account, {"external_id": "<x>&'\"", **HOSTILE})["<x>&'\""]
    response = api_for("agent").get(f"{URL}/{pk}")
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["external_id"] == "<x>&'\""
    for key in ("text", "title", "text_html"):
        assert body[key] == HOSTILE[key]
    assert body["author"]["external_id"] == "<u>"
    assert body["author"]["display_name"] == "Ana \"Robert'); DROP"
    listed = api_for("agent").get(URL).json()["items"][0]
    assert listed["text"] == HOSTILE["text"]


def test_item_fields_match_what_was_stored(api_for, account, store):
    row = {"external_id": "full", "text": "Reseña", "kind": "review", "rating": 2,
           "visibility": "public", "url": "https://example.com/r/1",
           "urls": ["https://example.com/a"], "media": [{"type": "image", "url": "https://x/1.png"}],
           "metrics": {"likes": 3}, "raw": {"network": {"nested": [1, 2]}},
           "created_at": "2026-11-05T12:30:00+02:00"}  # fmt: skip
    pk = store(account, row)["full"]
    body = api_for("agent").get(f"{URL}/{pk}").json()
    expected = parse_item(row)
    assert body["kind"] == "review" and body["rating"] == 2
    assert body["url"] == row["url"] and body["urls"] == row["urls"]
    assert body["media"] == row["media"] and body["metrics"] == row["metrics"]
    assert body["raw"] == row["raw"]
    assert body["created_at"].replace("Z", "+00:00") == expected.created_at.isoformat()


def test_detail_query_count_does_not_grow_with_history_or_thread(client_for, account, store):
    client = client_for("agent")

    def detail(pk) -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{URL}/{pk}")
        body = response.json()
        return len(ctx.captured_queries), len(body["versions"]), len(body["thread_ids"])

    small = store(account, {"external_id": "s", "text": "v0"})["s"]
    store(account, {"external_id": "s", "text": "v1"})
    big = store(account, {"external_id": "b", "text": "v0", "author": {"id": "a"}})["b"]
    for n in range(1, 6):
        store(account, {"external_id": "b", "text": f"v{n}", "author": {"id": "a"}})
        store(account, {"external_id": f"r{n}", "text": "re", "in_reply_to_external_id": "b",
                        "author": {"id": f"r{n}"}})  # fmt: skip
    (small_queries, *small_shape), (big_queries, *big_shape) = detail(small), detail(big)
    assert (small_shape, big_shape) == ([1, 1], [5, 6])
    assert small_queries == big_queries
