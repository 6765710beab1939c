"""The topics API: topics, queries, versions, the check, backfills, a topic's mentions and
share of voice — every route with and without its permission, other organisations' objects
as 404, bad queries refused with their column and nothing saved, hostile text kept as is."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.api.services import create_token
from panal.demo import builders
from panal.listening import topics
from panal.listening.models import Backfill, ListeningQuery, QueryVersion, Topic, TopicMatch
from panal.org.choices import Role
from panal.org.roles import ROLE_PERMISSIONS

from .conftest import bearer

API = "/api/v1"
READERS = [r for r in Role.values if "listening.view_mention" in ROLE_PERMISSIONS[r]]
WRITERS = [r for r in Role.values if "listening.manage_queries" in ROLE_PERMISSIONS[r]]
REPORTERS = [r for r in Role.values if "org.view_reports" in ROLE_PERMISSIONS[r]]
HOSTILE = [
    '<script>alert("x")</script>',
    "Robert'); DROP TABLE listening_topic;--",
    "{{ request.user }} {% debug %} ${7*7}",
    "emoji 🚀 ñandú עברית العربية \u202eabc",
    "<img src=x onerror=alert(1)> &amp; &lt;",
]


def now_iso(days_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def acme(org):
    """Acme's brand topic with one query, and a competitor topic without queries."""
    brand = topics.create_topic(org, name="Acme", kind="brand", description="Our brand")
    query = topics.save_query(brand, "acme OR #acme", name="Nombre")
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    return brand, query, rival


@pytest.fixture
def foreign(other_org):
    """Another organisation's topic, query and backfill, and one of its members."""
    topic = topics.create_topic(other_org, name="Secreto", kind="brand")
    query = topics.save_query(topic, "secreto")
    backfill = Backfill.objects.create(
        organisation=other_org, topic=topic, created_at=datetime.now(UTC)
    )
    outsider = builders.member(other_org, Role.ANALYST, username="outsider")
    return topic, query, backfill, outsider


def url(path: str, **ids) -> str:
    return API + path.format(**{k: str(v) for k, v in ids.items()})


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def patch(client, path, body):
    return client.patch(path, body, content_type="application/json")


def in_english(client):
    """The client asks for English answers (the default language is Spanish)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# --- the roles ---------------------------------------------------------------------------


def test_the_tested_roles_are_the_expected_ones():
    assert sorted(WRITERS) == ["analyst", "community_manager", "director"]
    assert "advocate" not in READERS and "advocate" not in REPORTERS
    assert "agent" in READERS and "agent" not in WRITERS


# --- reading -----------------------------------------------------------------------------


def test_every_reader_lists_and_reads_topics_and_queries(api_for, acme):
    brand, query, _ = acme
    for role in READERS:
        client = api_for(role)
        listed = client.get(url("/topics"))
        assert listed.status_code == 200, role
        assert [t["slug"] for t in listed.json()] == ["acme", "rival"]
        one = client.get(url("/topics/{id}", id=brand.id)).json()
        assert one == {
            "id": str(brand.id),
            "organisation": "acme",
            "slug": "acme",
            "name": "Acme",
            "kind": "brand",
            "team": None,
            "description": "Our brand",
            "is_active": True,
            "query_count": 1,
            "created_at": one["created_at"],
            "updated_at": one["updated_at"],
        }
        [q] = client.get(url("/topics/{id}/queries", id=brand.id)).json()
        assert q["id"] == str(query.id) and q["topic"] == str(brand.id)
        assert (q["text"], q["normalised"], q["version"]) == ("acme OR #acme", "acme OR #acme", 1)
        assert client.get(url("/queries/{id}", id=query.id)).json() == q
        [v] = client.get(url("/queries/{id}/versions", id=query.id)).json()
        assert (v["number"], v["text"], v["diff"]) == (
            1,
            "acme OR #acme",
            [{"op": "+", "text": "acme OR #acme"}],
        )


def test_topics_filter_by_kind_state_and_organisation(api_for, acme):
    rival = acme[2]
    topics.update_topic(rival, is_active=False)
    client = api_for("agent")

    def slugs(**params):
        return [t["slug"] for t in client.get(url("/topics"), params).json()]

    assert slugs(kind="competitor") == ["rival"]
    assert slugs(active="true") == ["acme"]
    assert slugs(active="false") == ["rival"]
    assert slugs(organisation="acme") == ["acme", "rival"]
    assert slugs(organisation="other") == []
    assert client.get(url("/topics"), {"kind": "weather"}).status_code == 422


READ_ROUTES = [
    ("get", "/topics"),
    ("get", "/topics/{topic}"),
    ("get", "/topics/{topic}/queries"),
    ("get", "/topics/{topic}/mentions"),
    ("get", "/queries/{query}"),
    ("get", "/queries/{query}/versions"),
    ("get", "/backfills/{backfill}"),
    ("post", "/queries/check"),
]


@pytest.mark.parametrize(("method", "path"), READ_ROUTES)
def test_reading_needs_view_mention(api_for, client, acme, org, method, path):
    brand, query, _ = acme
    backfill = Backfill.objects.create(organisation=org, topic=brand, created_at=datetime.now(UTC))
    target = url(path.format(topic=brand.id, query=query.id, backfill=backfill.id))
    body = {"query": "acme"}
    advocate = getattr(api_for("advocate"), method)(target, body, content_type="application/json")
    assert advocate.status_code == 403
    assert advocate.json() == {"detail": "Missing permission: listening.view_mention"}
    assert getattr(client, method)(target, body, content_type="application/json").status_code == 401
    agent = getattr(api_for("agent"), method)(target, body, content_type="application/json")
    assert agent.status_code == 200, agent.content


def test_a_session_reads_like_a_token(client_for, api_for, acme):
    assert (
        client_for("agent").get(url("/topics")).json()
        == api_for("agent").get(url("/topics")).json()
    )


def test_listing_topics_costs_the_same_few_queries_for_more_topics(api_for, acme, org):
    client = api_for("agent")

    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("/topics")).status_code == 200
        return len(ctx.captured_queries)

    cost()  # the first call also notes when the token was last used
    few = cost()
    for n in range(5):
        t = topics.create_topic(org, name=f"Extra {n}", kind="product")
        topics.save_query(t, f"extra{n}")
    assert cost() == few


# --- writing: permissions ----------------------------------------------------------------


def test_only_writers_may_create_topics(api_for, users):
    for role in Role.values:
        response = post(api_for(role), url("/topics"), {"name": f"T {role}", "kind": "industry"})
        if role in WRITERS:
            assert response.status_code == 201, (role, response.content)
        else:
            assert response.status_code == 403, role
            assert response.json() == {"detail": "Missing permission: listening.manage_queries"}
    assert sorted(Topic.objects.values_list("name", flat=True)) == sorted(f"T {r}" for r in WRITERS)


WRITE_ROUTES = [
    ("patch", "/topics/{topic}", {"name": "Nuevo"}),
    ("delete", "/topics/{topic}", None),
    ("post", "/topics/{topic}/queries", {"text": "nuevo"}),
    ("patch", "/queries/{query}", {"text": "nuevo"}),
    ("delete", "/queries/{query}", None),
    ("post", "/queries/{query}/versions/1/restore", {}),
    ("post", "/topics/{topic}/backfill", {}),
]


def _state():
    return (
        list(Topic.objects.order_by("id").values_list("id", "name", "updated_at")),
        list(ListeningQuery.objects.order_by("id").values_list("id", "text", "version")),
        QueryVersion.objects.count(),
        Backfill.objects.count(),
    )


def _send(client, method, target, body):
    if body is None:
        return getattr(client, method)(target)
    return getattr(client, method)(target, body, content_type="application/json")


@pytest.mark.parametrize(("method", "path", "body"), WRITE_ROUTES)
def test_changing_needs_manage_queries(api_for, client, acme, method, path, body):
    brand, query, _ = acme
    target = url(path.format(topic=brand.id, query=query.id))
    before = _state()
    for role in set(Role.values) - set(WRITERS):
        response = _send(api_for(role), method, target, body)
        assert response.status_code == 403, (role, response.content)
    assert _send(client, method, target, body).status_code == 401
    assert _state() == before
    assert _send(api_for("analyst"), method, target, body).status_code in {200, 201, 202, 204}


# --- topics ------------------------------------------------------------------------------


def test_create_in_the_current_or_a_named_organisation(api_for, users, org, other_org):
    analyst = api_for("analyst")
    team = org.teams.get(slug="marketing")
    created = post(
        analyst,
        url("/topics"),
        {
            "name": "  Señal   5G ",
            "kind": "industry",
            "team": str(team.id),
            "description": "x",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["slug"], body["name"], body["team"], body["query_count"]) == (
        "senal-5g",
        "Señal 5G",
        str(team.id),
        0,
    )
    assert Topic.objects.get(id=int(body["id"])).organisation == org
    named = post(analyst, url("/topics"), {"name": "B", "kind": "brand", "organisation": "acme"})
    assert named.status_code == 201
    # Not one of the caller's organisations: 404, like one that does not exist.
    for slug in ("other", "nope"):
        response = post(
            analyst, url("/topics"), {"name": "X", "kind": "brand", "organisation": slug}
        )
        assert response.status_code == 404
        assert response.json() == {"detail": f"No organisation '{slug}' among yours."}
    assert not Topic.objects.filter(organisation=other_org).exists()


def test_topic_mistakes_are_422_with_the_field_and_nothing_is_saved(api_for, org, other_org):
    analyst = api_for("analyst")
    foreign_team = other_org.teams.first()
    cases = [
        ({"name": "   ", "kind": "brand"}, "name"),
        ({"name": "x" * 121, "kind": "brand"}, "name"),
        ({"name": "X", "kind": "brand", "team": str(foreign_team.id)}, "team"),
        ({"name": "X", "kind": "brand", "team": "abc"}, "team"),
    ]
    for body, field in cases:
        response = post(analyst, url("/topics"), body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field and response.json()["detail"]
    for body in (
        {"name": "X", "kind": "weather"},
        {"kind": "brand"},
        {"name": "a\x00b", "kind": "brand"},
        {"name": "X", "kind": "brand", "description": "d" * 2001},
    ):
        response = post(analyst, url("/topics"), body)
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], list)
    assert not Topic.objects.exists()


def test_patch_changes_only_what_is_sent(api_for, acme, org):
    brand, _, _ = acme
    team = org.teams.get(slug="pr")
    analyst = api_for("analyst")
    target = url("/topics/{id}", id=brand.id)
    body = patch(analyst, target, {"team": str(team.id), "is_active": False}).json()
    assert (body["name"], body["description"], body["team"], body["is_active"]) == (
        "Acme",
        "Our brand",
        str(team.id),
        False,
    )
    body = patch(analyst, target, {"team": None, "description": None, "kind": "product"}).json()
    assert (body["team"], body["description"], body["kind"], body["slug"]) == (
        None,
        "",
        "product",
        "acme",
    )
    for bad in ({"name": None}, {"is_active": None}, {"kind": "weather"}, {"name": ""}):
        assert patch(analyst, target, bad).status_code == 422, bad
    brand.refresh_from_db()
    assert (brand.name, brand.kind, brand.is_active) == ("Acme", "product", False)


def test_delete_a_topic_keeps_the_mentions(api_for, acme, account, store):
    brand, _, _ = acme
    ids = store(account, {"external_id": "m1", "text": "acme"})
    assert TopicMatch.objects.filter(topic=brand).exists()
    analyst = api_for("analyst")
    response = analyst.delete(url("/topics/{id}", id=brand.id))
    assert response.status_code == 204 and response.content == b""
    assert not Topic.objects.filter(id=brand.id).exists()
    assert not ListeningQuery.objects.filter(topic_id=brand.id).exists()
    assert api_for("agent").get(f"{API}/mentions/{ids['m1']}").status_code == 200
    assert analyst.get(url("/topics/{id}", id=brand.id)).status_code == 404


# --- queries -----------------------------------------------------------------------------


def test_queries_are_saved_as_versions_and_restored(api_for, users, acme):
    rival = acme[2]
    analyst = api_for("analyst")
    created = post(analyst, url("/topics/{id}/queries", id=rival.id), {"text": "Rival  OR rivál"})
    assert created.status_code == 201, created.content
    q = created.json()
    assert (q["version"], q["name"], q["updated_by"]) == (1, "Rival OR rivál", "analyst")
    assert q["text"] == "Rival  OR rivál"
    assert q["normalised"] == "rival OR rival" and q["is_active"] is True
    target = url("/queries/{id}", id=q["id"])
    q2 = patch(api_for("director"), target, {"text": "rival OR #rival", "name": "Nombre"}).json()
    assert (q2["version"], q2["updated_by"], q2["name"]) == (2, "director", "Nombre")
    same = patch(analyst, target, {"text": "rival OR #rival"}).json()
    assert same["version"] == 2  # nothing changed: no new version
    off = patch(analyst, target, {"is_active": False}).json()
    assert (off["version"], off["is_active"], off["text"]) == (3, False, "rival OR #rival")
    versions = analyst.get(target + "/versions").json()
    assert [(v["number"], v["author"]) for v in versions] == [
        (3, "analyst"),
        (2, "director"),
        (1, "analyst"),
    ]
    # A version's diff rebuilds both texts: the one before it and its own.
    diff = versions[1]["diff"]
    assert "".join(d["text"] for d in diff if d["op"] != "+") == "Rival  OR rivál"
    assert "".join(d["text"] for d in diff if d["op"] != "-") == "rival OR #rival"
    assert {d["op"] for d in diff} == {"=", "-", "+"}
    restored = post(analyst, target + "/versions/1/restore", {})
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["text"]) == (4, "Rival  OR rivál")
    assert post(analyst, target + "/versions/99/restore", {}).status_code == 404
    assert analyst.get(url("/topics/{id}", id=rival.id)).json()["query_count"] == 1
    assert analyst.delete(target).status_code == 204
    assert not QueryVersion.objects.filter(query_id=int(q["id"])).exists()
    assert analyst.get(target).status_code == 404


@pytest.mark.parametrize(
    ("text", "column", "hint"),
    [
        ('acme AND (lento OR "caída', 20, 'close the phrase with "'),
        ("autor:pato", 1, "did you mean author:?"),
        ("acme AND", 6, "add a term or remove the operator"),
        ("x" * 4001, 4001, "split it into several queries"),
        (" \n ", 1, "for example: ceibo OR #ceibo"),
    ],
)
def test_a_bad_query_is_422_with_its_column_and_nothing_is_saved(api_for, acme, text, column, hint):
    brand, query, _ = acme
    analyst = in_english(api_for("analyst"))
    before = _state()
    for response in (
        post(analyst, url("/topics/{id}/queries", id=brand.id), {"text": text}),
        patch(analyst, url("/queries/{id}", id=query.id), {"text": text}),
    ):
        assert response.status_code == 422
        body = response.json()
        assert (body["field"], body["column"], body["hint"]) == ("text", column, hint)
        assert body["detail"].startswith(f"error at column {column}: ")
    assert _state() == before


def test_query_names_and_text_have_bounds(api_for, acme):
    brand, query, _ = acme
    analyst = api_for("analyst")
    for body in (
        {"text": "a", "name": "n" * 501},
        {"text": "a\x00"},
        {"text": None},
        {},
    ):
        response = post(analyst, url("/topics/{id}/queries", id=brand.id), body)
        assert response.status_code == 422, body
    assert patch(analyst, url("/queries/{id}", id=query.id), {"text": None}).status_code == 422
    assert ListeningQuery.objects.count() == 1


# --- check ---------------------------------------------------------------------------------


def test_check_answers_200_for_good_and_bad_queries(api_for, acme):
    agent = in_english(api_for("agent"))
    good = post(agent, url("/queries/check"), {"query": "Acme and re*"})
    assert good.status_code == 200
    body = good.json()
    assert body["ok"] is True and body["error"] is None
    assert body["normalised"] == "acme AND and AND re*"
    assert [(w["code"], w["column"]) for w in body["warnings"]] == [
        ("lowercase-operator", 6),
        ("short-wildcard", 10),
    ]
    assert all(w["message"] for w in body["warnings"])
    bad = post(agent, url("/queries/check"), {"query": "acme AND (lento"})
    assert bad.status_code == 200
    assert bad.json() == {
        "ok": False,
        "normalised": None,
        "warnings": [],
        "error": {
            "message": "this parenthesis is never closed",
            "column": 10,
            "hint": "close it with )",
        },
    }
    blank = post(agent, url("/queries/check"), {"query": "  "})
    assert blank.status_code == 200
    assert blank.json()["error"]["column"] == 1 and blank.json()["ok"] is False
    assert post(agent, url("/queries/check"), {"query": 5}).status_code == 422
    assert not ListeningQuery.objects.exclude(id=acme[1].id).exists()


def test_query_errors_and_warnings_are_in_spanish_unless_asked_otherwise(api_for, acme):
    brand, _, _ = acme
    analyst = api_for("analyst")
    bad = post(analyst, url("/queries/check"), {"query": 'acme "lento'}).json()
    assert bad["error"] == {
        "message": "esta comilla no se cierra nunca",
        "column": 6,
        "hint": 'cierra la frase con "',
    }
    good = post(analyst, url("/queries/check"), {"query": "acme re*"}).json()
    assert [(w["code"], w["message"]) for w in good["warnings"]] == [
        ("short-wildcard", "re* encuentra toda palabra que empiece por 're'")
    ]
    refused = post(analyst, url("/topics/{id}/queries", id=brand.id), {"text": "acme AND"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "error en la columna 6: AND necesita un término detrás "
        "(añade un término o quita el operador)"
    )
    english = post(in_english(analyst), url("/queries/check"), {"query": 'acme "lento'}).json()
    assert english["error"]["message"] == "this quote is never closed"


# --- backfills ---------------------------------------------------------------------------


def test_backfill_is_queued_then_runs_and_reports(
    api_for, acme, account, store, django_capture_on_commit_callbacks
):
    _, _, rival = acme
    store(
        account,
        *[
            {
                "external_id": f"m{n}",
                "text": f"rival {n}" if n % 2 else f"otro {n}",
                "created_at": now_iso(days_ago=n),
            }
            for n in range(6)
        ],
    )
    topics.save_query(rival, "rival")
    analyst = api_for("analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(analyst, url("/topics/{id}/backfill", id=rival.id), {"since": None})
        assert response.status_code == 202, response.content
        queued = response.json()
        assert (queued["status"], queued["percent"], queued["topic"]) == (
            "queued",
            0,
            str(rival.id),
        )
    done = analyst.get(url("/backfills/{id}", id=queued["id"])).json()
    assert (done["status"], done["added"], done["removed"], done["percent"]) == ("done", 3, 0, 100)
    assert done["total"] == done["done"] >= 3 and done["error"] == ""
    assert api_for("agent").get(url("/backfills/{id}", id=queued["id"])).status_code == 200


def test_backfill_since_a_day(api_for, acme, django_capture_on_commit_callbacks):
    _, _, rival = acme
    with django_capture_on_commit_callbacks(execute=False):
        response = post(
            api_for("analyst"), url("/topics/{id}/backfill", id=rival.id), {"since": "2026-11-01"}
        )
    assert response.status_code == 202
    assert response.json()["since"].startswith("2026-11-01T00:00:00")
    assert (
        post(
            api_for("analyst"), url("/topics/{id}/backfill", id=rival.id), {"since": "ayer"}
        ).status_code
        == 422
    )


# --- a topic's mentions ------------------------------------------------------------------


def test_a_topics_mentions_newest_first_in_pages(api_for, acme, account, store, other_org):
    brand, _, rival = acme
    stored = store(
        account,
        *[
            {"external_id": f"m{n}", "text": f"acme número {n}" if n != 3 else "nada"}
            for n in range(6)
        ],
    )
    expected = [str(stored[f"m{n}"]) for n in (5, 4, 2, 1, 0)]
    agent = api_for("agent")
    first = agent.get(url("/topics/{id}/mentions", id=brand.id), {"limit": 3}).json()
    assert [m["id"] for m in first["items"]] == expected[:3]
    rest = agent.get(
        url("/topics/{id}/mentions", id=brand.id), {"limit": 3, "before": first["next_before"]}
    ).json()
    assert [m["id"] for m in rest["items"]] == expected[3:] and rest["next_before"] is None
    assert agent.get(url("/topics/{id}/mentions", id=rival.id)).json()["items"] == []
    assert agent.get(url("/topics/{id}/mentions", id=brand.id), {"limit": 0}).status_code == 422


# --- share of voice ----------------------------------------------------------------------


def test_share_of_voice_per_day_for_default_and_chosen_topics(api_for, acme, account, store):
    brand, _, rival = acme
    topics.save_query(rival, "rival")
    topics.create_topic(brand.organisation, name="Campaña", kind="campaign")
    store(
        account,
        *[
            {"external_id": "a1", "text": "acme hoy", "created_at": now_iso()},
            {"external_id": "a2", "text": "acme y rival hoy", "created_at": now_iso()},
            {"external_id": "a3", "text": "acme ayer", "created_at": now_iso(days_ago=1)},
            {"external_id": "r1", "text": "rival hace mucho", "created_at": now_iso(days_ago=20)},
        ],
    )
    for role in REPORTERS:
        response = api_for(role).get(url("/share-of-voice"), {"days": 7})
        assert response.status_code == 200, role
    body = response.json()
    assert body["days"] == 7 and len(body["dates"]) == 7
    assert body["dates"][-1] == datetime.now(UTC).date().isoformat()
    a, r = body["topics"]
    assert (a["topic"]["slug"], r["topic"]["slug"]) == ("acme", "rival")  # no campaign
    assert a["days"][-1] == {"count": 2, "share": 66.67}
    assert r["days"][-1] == {"count": 1, "share": 33.33}
    assert a["days"][-2] == {"count": 1, "share": 100.0}
    assert a["total"] == {"count": 3, "share": 75.0}
    assert len(a["positive"]) == len(a["negative"]) == 7
    assert {"count", "share"} == set(a["total_negative"])
    assert body["totals"][-1] == 3 and body["total"] == 4
    month = api_for("agent").get(url("/share-of-voice"), {"days": 30}).json()
    assert month["topics"][1]["total"]["count"] == 2
    only = (
        api_for("agent")
        .get(url("/share-of-voice") + f"?topic={rival.id}&topic={brand.id}&days=90")
        .json()
    )
    assert [s["topic"]["slug"] for s in only["topics"]] == ["rival", "acme"]


def test_share_of_voice_refuses_bad_parameters(api_for, acme, org, foreign):
    agent = api_for("agent")
    assert api_for("advocate").get(url("/share-of-voice")).json() == {
        "detail": "Missing permission: org.view_reports"
    }
    assert agent.get(url("/share-of-voice"), {"days": 5}).status_code == 422
    assert agent.get(url("/share-of-voice"), {"topic": "abc"}).status_code == 422
    assert agent.get(url("/share-of-voice"), {"topic": foreign[0].id}).status_code == 404
    assert agent.get(url("/share-of-voice"), {"organisation": "other"}).status_code == 404
    many = [topics.create_topic(org, name=f"T{n}", kind="competitor").id for n in range(13)]
    response = agent.get(url("/share-of-voice"), {"topic": many})
    assert response.status_code == 422 and "12" in response.json()["detail"]


# --- other organisations -----------------------------------------------------------------

ALL_ROUTES = [
    ("get", "/topics/{topic}", None),
    ("patch", "/topics/{topic}", {"name": "Mío"}),
    ("delete", "/topics/{topic}", None),
    ("get", "/topics/{topic}/queries", None),
    ("post", "/topics/{topic}/queries", {"text": "mio"}),
    ("get", "/topics/{topic}/mentions", None),
    ("post", "/topics/{topic}/backfill", {}),
    ("get", "/queries/{query}", None),
    ("patch", "/queries/{query}", {"text": "mio"}),
    ("delete", "/queries/{query}", None),
    ("get", "/queries/{query}/versions", None),
    ("post", "/queries/{query}/versions/1/restore", {}),
    ("get", "/backfills/{backfill}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES)
def test_another_organisations_objects_are_404_like_missing_ones(
    api_for, acme, foreign, method, path, body
):
    topic, query, backfill, outsider = foreign
    director = api_for("director")  # reads and writes, in Acme only
    before = _state()
    hidden = _send(
        director,
        method,
        url(path.format(topic=topic.id, query=query.id, backfill=backfill.id)),
        body,
    )
    missing = _send(
        director,
        method,
        url(path.format(topic=topic.id + 1, query=query.id + 1, backfill=backfill.id + 1)),
        body,
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert _state() == before
    # Its own organisation's member reaches it.
    own = bearer(create_token(outsider, "t").raw)
    target = url(path.format(topic=topic.id, query=query.id, backfill=backfill.id))
    assert _send(own, method, target, body).status_code in {200, 201, 202, 204}


def test_a_user_lists_only_their_organisations_topics(api_for, acme, foreign):
    assert "secreto" not in [t["slug"] for t in api_for("director").get(url("/topics")).json()]
    own = bearer(create_token(foreign[3], "t").raw)
    assert [t["slug"] for t in own.get(url("/topics")).json()] == ["secreto"]


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", str(2**63), "1.5", "9" * 40])
def test_malformed_ids_are_404(api_for, acme, bad_id):
    for path in ("/topics/{id}", "/queries/{id}", "/backfills/{id}", "/topics/{id}/mentions"):
        response = api_for("agent").get(url(path, id=bad_id))
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/json")


# --- hostile text ------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_round_trip_unchanged(api_for, text):
    analyst = api_for("analyst")
    created = post(analyst, url("/topics"), {"name": text, "kind": "campaign", "description": text})
    assert created.status_code == 201, created.content
    topic = analyst.get(url("/topics/{id}", id=created.json()["id"]))
    assert topic["Content-Type"].startswith("application/json")
    assert (topic.json()["name"], topic.json()["description"]) == (text, text)
    phrase = '"' + text.replace('"', "") + '" OR acme'
    saved = post(
        analyst,
        url("/topics/{id}/queries", id=created.json()["id"]),
        {"text": phrase, "name": text},
    )
    assert saved.status_code == 201, saved.content
    q = analyst.get(url("/queries/{id}", id=saved.json()["id"])).json()
    assert (q["text"], q["name"]) == (phrase, text)
    [version] = analyst.get(url("/queries/{id}/versions", id=q["id"])).json()
    assert (version["text"], version["name"]) == (phrase, text)


def test_unstorable_strings_are_refused_before_anything_is_saved(api_for, acme):
    brand, _, _ = acme
    analyst = api_for("analyst")
    lone = '{"name": "a\\ud800b", "kind": "brand"}'
    response = analyst.post(url("/topics"), lone, content_type="application/json")
    assert response.status_code == 422
    response = analyst.post(
        url("/topics/{id}/queries", id=brand.id),
        '{"text": "x\\udfff"}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert Topic.objects.count() == 2 and ListeningQuery.objects.count() == 1
