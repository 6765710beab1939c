"""The topic, query and share-of-voice pages through HTTP: permissions per role, the query
editor's check and preview, versions, backfill progress, share of voice, escaping."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panal.core import clock
from panal.demo import builders
from panal.listening import preview, topics
from panal.listening.models import Backfill, ListeningQuery, Mention, QueryVersion, Topic
from panal.listening.query import Query
from panal.understanding.models import Understanding

EDITORS = ["analyst", "community_manager", "director"]
READERS = ["agent", "everyone"]
ROW_RE = re.compile(r'data-mention="(\d+)"')
BROKEN = 'acme AND (lento OR "caída'
XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def text(response) -> str:
    return response.content.decode()


def shown(response) -> list[int]:
    return [int(i) for i in ROW_RE.findall(text(response))]


def row(n, body, **extra):
    return {"external_id": f"m{n}", "text": body, **extra}


@pytest.fixture
def topic(org):
    return topics.create_topic(org, name="Acme", kind="brand")


@pytest.fixture
def query(topic, users):
    return topics.save_query(topic, "acme OR #acme", name="Marca", user=users["analyst"])


@pytest.fixture
def foreign(other_org):
    """A topic and a query of an organisation none of the test users belongs to."""
    topic = topics.create_topic(other_org, name="Secreto", kind="brand")
    return topic, topics.save_query(topic, "secreto")


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["topics", "share-of-voice"])
def test_anonymous_users_are_sent_to_login(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_advocate_sees_nothing(client_for, topic, query):
    client = client_for("advocate")
    for url in [
        reverse("topics"),
        reverse("topic", args=[topic.id]),
        reverse("query", args=[query.id]),
        reverse("topic-backfills", args=[topic.id]),
        reverse("share-of-voice"),
        reverse("share-of-voice-export"),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "acme OR #acme" not in text(response)
    assert client.post(reverse("query-check", args=[topic.id]), {"text": "x"}).status_code == 403
    assert 'href="/topics/"' not in text(client.get(reverse("inbox")))


@pytest.mark.parametrize("role", READERS)
def test_readers_see_topics_and_queries_but_no_buttons(client_for, topic, query, role):
    client = client_for(role)
    page = text(client.get(reverse("topics")))
    assert reverse("topic", args=[topic.id]) in page
    assert 'name="description"' not in page  # no creation form
    page = text(client.get(reverse("topic", args=[topic.id])))
    assert "acme OR #acme" in page
    assert reverse("query-new", args=[topic.id]) not in page
    assert reverse("topic-backfill", args=[topic.id]) not in page
    page = text(client.get(reverse("query", args=[query.id])))
    assert "readonly" in page
    assert reverse("query-restore", args=[query.id]) not in page
    assert reverse("query-delete", args=[query.id]) not in page


@pytest.mark.parametrize("role", READERS)
def test_readers_cannot_change_anything(client_for, topic, query, role):
    client = client_for(role)
    attempts = [
        (reverse("topics"), {"name": "Nuevo", "kind": "brand"}),
        (reverse("topic", args=[topic.id]), {"name": "Otro", "kind": "brand"}),
        (reverse("topic-delete", args=[topic.id]), {}),
        (reverse("topic-backfill", args=[topic.id]), {}),
        (reverse("query-new", args=[topic.id]), {"text": "nuevo"}),
        (reverse("query", args=[query.id]), {"text": "cambiado"}),
        (reverse("query-restore", args=[query.id]), {"number": "1"}),
        (reverse("query-delete", args=[query.id]), {}),
    ]
    for url, data in attempts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "no puede cambiar temas" in text(response)
    assert client.get(reverse("query-new", args=[topic.id])).status_code == 403
    assert list(Topic.objects.values_list("name", flat=True)) == ["Acme"]
    assert ListeningQuery.objects.get().text == "acme OR #acme"
    assert not Backfill.objects.exists()


@pytest.mark.parametrize("role", EDITORS)
def test_editors_create_and_edit_topics(client_for, org, role):
    client = client_for(role)
    assert 'name="description"' in text(client.get(reverse("topics")))
    team = org.teams.get(slug="marketing")
    data = {"name": "Rival Telecom", "kind": "competitor", "team": team.id, "description": "Su 5G"}
    response = client.post(reverse("topics"), data)
    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("topic", args=[topic.id]) + "?done=created"
    assert (topic.organisation, topic.kind, topic.team, topic.is_active) == (
        org,
        "competitor",
        team,
        True,
    )
    data = {"name": "Rival", "kind": "competitor", "team": "", "description": ""}
    response = client.post(reverse("topic", args=[topic.id]), data)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.team, topic.is_active) == ("Rival", None, False)


def test_a_topic_needs_a_name_and_a_team_of_its_organisation(client_for, other_org):
    client = client_for("analyst")
    response = client.post(reverse("topics"), {"name": "   ", "kind": "brand"})
    assert response.status_code == 400
    stranger = other_org.teams.first()
    response = client.post(reverse("topics"), {"name": "X", "kind": "brand", "team": stranger.id})
    assert response.status_code == 400
    assert 'class="field-error"' in text(response)
    assert not Topic.objects.exists()


def test_deleting_a_topic_asks_first(client_for, topic, query):
    client = client_for("analyst")
    confirm = client.get(reverse("topic-delete", args=[topic.id]))
    assert confirm.status_code == 200 and Topic.objects.exists()
    response = client.post(reverse("topic-delete", args=[topic.id]))
    assert response["Location"] == reverse("topics") + "?done=deleted"
    assert not Topic.objects.exists() and not ListeningQuery.objects.exists()


def test_another_organisations_topics_and_queries_are_404(client_for, foreign):
    topic, query = foreign
    client = client_for("analyst")
    assert "Secreto" not in text(client.get(reverse("topics")))
    for url in [
        reverse("topic", args=[topic.id]),
        reverse("topic-delete", args=[topic.id]),
        reverse("topic-backfills", args=[topic.id]),
        reverse("query-new", args=[topic.id]),
        reverse("query", args=[query.id]),
        reverse("query-delete", args=[query.id]),
    ]:
        assert client.get(url).status_code == 404, url
    for url, data in [
        (reverse("topic", args=[topic.id]), {"name": "Mío", "kind": "brand"}),
        (reverse("topic-backfill", args=[topic.id]), {}),
        (reverse("query-check", args=[topic.id]), {"text": "secreto"}),
        (reverse("query-new", args=[topic.id]), {"text": "mio"}),
        (reverse("query", args=[query.id]), {"text": "mio"}),
        (reverse("query-restore", args=[query.id]), {"number": "1"}),
        (reverse("query-delete", args=[query.id]), {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert ListeningQuery.objects.get().text == "secreto"
    assert Topic.objects.get(id=topic.id).name == "Secreto"
    assert not Backfill.objects.exists()


# --- the topics list ---------------------------------------------------------------------


def test_the_list_groups_topics_by_kind_with_queries_and_recent_matches(client_for, org, add):
    brand = topics.create_topic(org, name="Acme", kind="brand", team=org.teams.first())
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    topics.save_query(brand, "acme")
    topics.save_query(brand, "#acme")
    topics.save_query(rival, "rival")
    old = (clock.now() - timedelta(days=40)).isoformat()
    add(row(1, "acme hoy"), row(2, "acme y rival"), row(3, "acme antes", created_at=old))
    page = text(client_for("agent").get(reverse("topics")))
    assert page.count('class="section-title"') >= 2  # one section per kind
    assert page.index(f'data-topic="{brand.id}"') < page.index(f'data-topic="{rival.id}"')
    cells = {
        int(t): (int(q), int(m))
        for t, q, m in re.findall(
            r'data-topic="(\d+)".*?<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
            page,
            re.S,
        )
    }
    assert cells == {brand.id: (2, 2), rival.id: (1, 1)}


def test_the_list_costs_the_same_queries_for_one_topic_or_many(client_for, org):
    client = client_for("agent")
    topics.save_query(topics.create_topic(org, name="T0", kind="brand"), "t0")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("topics"))
    for n in range(1, 6):
        topic = topics.create_topic(org, name=f"T{n}", kind="product", team=org.teams.first())
        topics.save_query(topic, f"t{n}")
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("topics"))
    assert len(six) == len(one)


def test_a_topic_page_costs_the_same_queries_for_few_or_many_matches(client_for, topic, add):
    client = client_for("analyst")
    topics.save_query(topic, "acme", user=None)
    add(row(1, "acme uno"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("topic", args=[topic.id]))
    topics.save_query(topic, "#acme")
    add(*(row(n, f"acme {n}") for n in range(2, 8)))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("topic", args=[topic.id]))
    assert len(shown(response)) == 7
    assert len(many) == len(few)


# --- the query editor --------------------------------------------------------------------


def test_a_bad_query_is_shown_with_its_column_and_nothing_is_saved(client_for, topic):
    client = client_for("analyst")
    column = topics.check(BROKEN).error.column
    response = client.post(reverse("query-new", args=[topic.id]), {"text": BROKEN, "name": "x"})
    assert response.status_code == 400
    page = text(response)
    assert f"En la columna {column}:" in page
    assert "\n" + " " * (column - 1) + "^</pre>" in page
    assert not ListeningQuery.objects.exists() and not QueryVersion.objects.exists()


def test_a_bad_change_keeps_the_saved_version(client_for, query):
    response = client_for("analyst").post(reverse("query", args=[query.id]), {"text": BROKEN})
    assert response.status_code == 400
    query.refresh_from_db()
    assert (query.text, query.version, query.versions.count()) == ("acme OR #acme", 1, 1)


def test_an_empty_query_is_refused(client_for, topic):
    response = client_for("analyst").post(reverse("query-new", args=[topic.id]), {"text": "  "})
    assert response.status_code == 400
    assert "La consulta está vacía." in text(response)
    assert not ListeningQuery.objects.exists()


def test_a_good_query_is_saved_and_offers_the_backfill(client_for, users, topic):
    client = client_for("community_manager")
    data = {"text": "acme NOT sorteo", "name": "Marca", "is_active": "on"}
    response = client.post(reverse("query-new", args=[topic.id]), data)
    saved = ListeningQuery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("query", args=[saved.id]) + "?done=saved"
    assert (saved.topic, saved.text, saved.is_active, saved.updated_by) == (
        topic,
        "acme NOT sorteo",
        True,
        users["community_manager"],
    )
    page = text(client.get(response["Location"]))
    assert "Guardada como versión 1." in page
    assert f'action="{reverse("topic-backfill", args=[topic.id])}"' in page


def test_versions_show_their_diff_and_an_old_one_can_be_restored(client_for, users, query):
    client = client_for("director")
    data = {"text": "acme OR @acme_es", "name": "Marca", "is_active": "on"}
    assert client.post(reverse("query", args=[query.id]), data).status_code == 302
    page = text(client.get(reverse("query", args=[query.id])))
    versions = re.findall(r'<li data-version="(\d+)">', page)
    assert versions == ["2", "1"]
    assert "<del>#acme</del>" in page
    assert "<ins>@acme_es</ins>" in page
    assert "analyst" in page and "director" in page  # the authors
    response = client.post(reverse("query-restore", args=[query.id]), {"number": "1"})
    assert response["Location"] == reverse("query", args=[query.id]) + "?done=restored"
    query.refresh_from_db()
    assert (query.version, query.text, query.updated_by) == (3, "acme OR #acme", users["director"])
    bad = client.post(reverse("query-restore", args=[query.id]), {"number": "9"})
    assert bad.status_code == 400
    assert query.versions.count() == 3


def test_deleting_a_query_asks_first(client_for, topic, query):
    client = client_for("analyst")
    assert client.get(reverse("query-delete", args=[query.id])).status_code == 200
    response = client.post(reverse("query-delete", args=[query.id]))
    assert response["Location"] == reverse("topic", args=[topic.id]) + "?done=query-deleted"
    assert not ListeningQuery.objects.exists()


def test_the_check_shows_the_error_then_the_preview(client_for, topic, add):
    hit, _miss = add(row(1, "ACME anda lentísimo"), row(2, "nada que ver"))
    client = client_for("analyst")
    url = reverse("query-check", args=[topic.id])
    broken = text(client.post(url, {"text": BROKEN}))
    error = topics.check(BROKEN).error
    assert f"En la columna {error.column}:" in broken
    assert error.hint in broken.replace("&quot;", '"').replace("&#x27;", "'")
    fine = client.post(url, {"text": "acme  lentísimo OR zz*"})
    page = text(fine)
    assert Query("acme lentísimo OR zz*").normalised in page
    assert 'data-code="short-wildcard"' in page
    assert shown(fine) == [hit.id]
    assert "<svg" in page and "<polyline" in page
    assert "Escribe una consulta" in text(client.post(url, {"text": " "}))


def test_the_check_speaks_the_users_language(client_for, topic):
    client = client_for("analyst")
    url = reverse("query-check", args=[topic.id])
    spanish = text(client.post(url, {"text": BROKEN}))
    assert '<span class="query-error-message">esta comilla no se cierra nunca</span>' in spanish
    assert '<p class="query-hint">Sugerencia: cierra la frase con &quot;</p>' in spanish
    warned = text(client.post(url, {"text": "acme NOT spam OR NOT promo"}))
    assert (
        '<li data-code="negative-only"><strong>En la columna 6:</strong> la consulta encuentra '
        "menciones sin ninguna de sus palabras: casi todas"
    ) in warned
    client.post(reverse("set-language"), {"language": "en"})
    english = text(client.post(url, {"text": BROKEN}))
    assert '<span class="query-error-message">this quote is never closed</span>' in english
    assert '<p class="query-hint">Hint: close the phrase with &quot;</p>' in english


# --- the preview -------------------------------------------------------------------------


@pytest.fixture
def corpus(org, other_org, add):
    """Mentions of the last 30 days that match `acme NOT sorteo` or not, and ones that must
    be left out: deleted, older than 30 days, another organisation's."""
    now = clock.now()
    old = (now - timedelta(days=40)).isoformat()
    stranger = builders.channel_account(other_org, kind="api", slug="other-hooks", name="Other")
    mentions = add(
        row(1, "Acme me cobró dos veces", created_at=(now - timedelta(days=3)).isoformat()),
        row(2, "Sorteo de Acme: gana un móvil"),
        row(3, "rival es mejor"),
        row(4, "acme, qué lento"),
        row(5, "acme borrado"),
        row(6, "acme de hace mucho", created_at=old),
        row(7, "#acme caído"),
    )
    Mention.objects.filter(id=mentions[4].id).update(deleted_at=now)
    add(row(8, "acme ajeno"), to=stranger)
    return mentions


def test_the_preview_finds_exactly_the_matching_mentions_newest_first(org, corpus):
    m1, _m2, _m3, m4, _m5, _m6, m7 = corpus
    result = preview.preview(org.id, Query("acme NOT sorteo"))
    assert [m.id for m in result.mentions] == [m7.id, m4.id, m1.id]
    assert result.matched == 3
    today = clock.now().astimezone(UTC).date()
    by_day = dict(result.days)
    assert by_day[today] == 2
    assert by_day[today - timedelta(days=3)] == 1
    # The full-text superset leaves out "rival es mejor": only the four naming acme are read.
    assert (result.looked_at, result.truncated) == (4, False)
    assert len(result.points.split()) == 30


def test_the_preview_stops_at_its_bound_and_says_so(org, corpus):
    q = Query("acme NOT sorteo")
    cut = preview.preview(org.id, q, scan_limit=2)
    assert (cut.looked_at, cut.truncated) == (2, True)
    # The newest two stored (the deleted one is not looked at): both match.
    assert ([m.id for m in cut.mentions], cut.matched) == ([corpus[6].id, corpus[3].id], 2)
    exact = preview.preview(org.id, q, scan_limit=4)  # the four that name acme
    assert (exact.looked_at, exact.truncated) == (4, False)
    shown_few = preview.preview(org.id, q, shown=1)
    assert ([m.id for m in shown_few.mentions], shown_few.matched) == ([corpus[6].id], 3)


def test_the_page_says_when_the_preview_is_bounded(client_for, topic, corpus, monkeypatch):
    monkeypatch.setattr(preview, "SCAN_LIMIT", 2)
    url = reverse("query-check", args=[topic.id])
    page = text(client_for("analyst").post(url, {"text": "acme"}))
    assert "según las 2 menciones más recientes" in page


def test_pointer_cuts_the_line_of_the_column():
    assert preview.pointer("acme AND (", 10) == ("acme AND (", " " * 9)
    assert preview.pointer("acme\nAND (lento", 10) == ("AND (lento", " " * 4)
    line, pad = preview.pointer("x " * 100 + "(", 201)
    assert line.startswith("…") and line[len(pad)] == "("


# --- backfill ----------------------------------------------------------------------------


def test_the_backfill_button_queues_a_run_and_the_panel_shows_its_progress(
    client_for, topic, add, django_capture_on_commit_callbacks
):
    add(row(1, "acme lento"), row(2, "otra cosa"), row(3, "#acme"))
    topics.save_query(topic, "acme")  # saved after the mentions: they are not tagged yet
    client = client_for("analyst")
    url = reverse("topic-backfill", args=[topic.id])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, {"since": ""})
    assert response["Location"] == reverse("topic", args=[topic.id]) + "?done=backfill"
    assert len(queued) == 1
    fragment = text(client.get(reverse("topic-backfills", args=[topic.id])))
    assert 'hx-trigger="every 2s"' in fragment and 'data-status="queued"' in fragment

    queued[0]()  # the worker picks it up (the immediate task backend in tests)
    backfill = Backfill.objects.get()
    assert (backfill.status, backfill.added, backfill.requested_by.username) == (
        "done",
        2,
        "analyst",
    )
    fragment = text(client.get(reverse("topic-backfills", args=[topic.id])))
    assert 'data-status="done"' in fragment and "every 2s" not in fragment
    # Every mention that could match was looked at (search may skip ones that cannot).
    assert backfill.done == backfill.total >= 2
    assert f"{backfill.done} de {backfill.total} menciones revisadas" in fragment
    assert "2 añadidas, 0 quitadas" in fragment
    assert 'aria-valuenow="100"' in fragment
    page = text(client.get(reverse("topic", args=[topic.id])))
    assert len(shown(client.get(reverse("topic", args=[topic.id])))) == 2
    assert 'id="backfill"' in page


def test_a_running_backfill_shows_its_percent_and_a_failed_one_its_error(client_for, topic):
    now = clock.now()
    Backfill.objects.create(
        organisation=topic.organisation, topic=topic, status="failed", error=XSS,
        created_at=now - timedelta(minutes=5),
    )  # fmt: skip
    Backfill.objects.create(
        organisation=topic.organisation, topic=topic, status="running", total=200, done=50,
        added=7, removed=1, created_at=now,
    )  # fmt: skip
    fragment = text(client_for("agent").get(reverse("topic-backfills", args=[topic.id])))
    assert 'aria-valuenow="25"' in fragment and "50 de 200" in fragment
    assert "7 añadidas, 1 quitadas" in fragment and "every 2s" in fragment
    assert 'data-status="failed"' in fragment  # the earlier run, listed
    assert XSS not in fragment and "&lt;script&gt;" in fragment


def test_the_backfill_takes_a_first_day_and_refuses_a_bad_one(client_for, topic):
    client = client_for("analyst")
    assert (
        client.post(reverse("topic-backfill", args=[topic.id]), {"since": "ayer"}).status_code
        == 400
    )
    assert not Backfill.objects.exists()
    response = client.post(
        reverse("topic-backfill", args=[topic.id]), {"since": "2026-01-15"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'id="backfill"' in text(response)
    assert Backfill.objects.get().since == datetime(2026, 1, 15, tzinfo=UTC)


# --- share of voice ----------------------------------------------------------------------


@pytest.fixture
def voices(org, add):
    """Acme (brand) and Rival (competitor) with today's mentions: Acme 4, Rival 2 (one
    mention names both); positive: one each; negative: one of Acme's."""
    acme = topics.create_topic(org, name="Acme", kind="brand")
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    industry = topics.create_topic(org, name="Telecom", kind="industry")
    topics.save_query(acme, "acme")
    topics.save_query(rival, "rival")
    topics.save_query(industry, "telecom")
    m = add(
        row(1, "acme uno"),
        row(2, "acme dos"),
        row(3, "acme tres"),
        row(4, "rival solo"),
        row(5, "acme y rival"),
        row(6, "telecom"),
    )
    sentiment = {0: "positive", 1: "negative", 2: "neutral", 3: "positive", 4: "neutral"}
    for i, value in sentiment.items():
        Understanding.objects.filter(mention=m[i]).update(sentiment=value)
    return acme, rival, industry


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text(response))))


def test_share_of_voice_figures_and_csv(client_for, voices):
    acme, rival, _industry = voices
    client = client_for("agent")
    page = text(client.get(reverse("share-of-voice"), {"days": "7"}))
    assert "Telecom</bdi> <span" in page  # offered, not chosen by default
    assert re.findall(r'<tr data-topic="(\d+)"', page) == [str(acme.id), str(rival.id)]
    assert "66,7 %" in page and "33,3 %" in page  # Spanish decimals
    rows = csv_of(client.get(reverse("share-of-voice-export"), {"days": "7"}))
    assert rows[0][:4] == ["day", "topic", "mentions", "share"]
    totals = {r[1]: r[2:] for r in rows if r[0] == "total"}
    assert totals == {
        "Acme": ["4", "66.67", "1", "50.0", "1", "100.0"],
        "Rival": ["2", "33.33", "1", "50.0", "0", "0.0"],
    }
    today = clock.now().astimezone(UTC).date().isoformat()
    days = [r for r in rows if r[0] not in ("day", "total")]
    assert len(days) == 7 * 2
    assert {r[1]: r[2] for r in days if r[0] == today} == {"Acme": "4", "Rival": "2"}


def test_share_of_voice_compares_the_chosen_topics_only(client_for, voices, foreign):
    acme, _rival, industry = voices
    params = {"chosen": "1", "topic": [industry.id, acme.id, foreign[0].id], "days": "30"}
    rows = csv_of(client_for("analyst").get(reverse("share-of-voice-export"), params))
    totals = {r[1]: r[2:4] for r in rows if r[0] == "total"}
    assert totals == {"Acme": ["4", "80.0"], "Telecom": ["1", "20.0"]}
    page = text(client_for("analyst").get(reverse("share-of-voice"), {"chosen": "1"}))
    assert "Elige al menos un tema" in page


def test_share_of_voice_without_topics_links_to_them(client_for, org):
    page = text(client_for("director").get(reverse("share-of-voice")))
    assert 'id="sov-empty"' in page and f'href="{reverse("topics")}"' in page


# --- stranger's text ---------------------------------------------------------------------


def test_names_queries_and_mentions_are_escaped_on_pages_and_in_csv(client_for, org, add):
    topic = topics.create_topic(org, name=FORMULA, kind="brand", description=XSS)
    evil = topics.create_topic(org, name=XSS, kind="competitor")
    query = topics.save_query(topic, 'acme OR "<script>"', name=XSS)
    topics.save_query(evil, "acme")
    add(row(1, f"acme {XSS}", author={"handle": "x", "display_name": XSS}))
    client = client_for("analyst")
    pages = [
        client.get(reverse("topics")),
        client.get(reverse("topic", args=[topic.id])),
        client.get(reverse("query", args=[query.id])),
        client.post(reverse("query-check", args=[topic.id]), {"text": "acme"}),
        client.post(reverse("query-check", args=[topic.id]), {"text": f'{XSS} AND ("'}),
        client.get(reverse("share-of-voice")),
    ]
    for response in pages:
        assert response.status_code == 200
        assert "<script>" not in text(response)
    assert "&lt;script&gt;" in text(pages[2])
    rows = csv_of(client.get(reverse("share-of-voice-export")))
    names = {r[1] for r in rows[1:]}
    assert names == {"'" + FORMULA, XSS}
