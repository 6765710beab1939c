"""Topics and their queries: saving with versions, live matching in the pipeline, backfill,
share of voice (panal.listening.topics, share)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from panal.core import clock
from panal.listening import share, topics
from panal.listening.models import Backfill, ListeningQuery, QueryVersion, Topic, TopicMatch
from panal.listening.query import QueryError
from panal.listening.reports import Period

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def _row(n, text, **extra):
    return {"external_id": f"m{n}", "text": text, "created_at": NOW.isoformat(), **extra}


def _topics_of(mention):
    return set(TopicMatch.objects.filter(mention=mention).values_list("topic__slug", flat=True))


def test_a_bad_query_is_refused_with_its_column_and_nothing_is_saved(org):
    topic = topics.create_topic(org, name="Acme", kind="brand")
    with pytest.raises(QueryError) as error:
        topics.save_query(topic, 'acme AND (lento OR "caída')
    assert error.value.column > 1
    assert not ListeningQuery.objects.exists()
    assert not QueryVersion.objects.exists()


def test_every_change_is_a_version_with_its_author_and_a_diff(org, users):
    topic = topics.create_topic(org, name="Acme", kind="brand")
    analyst = users["analyst"]
    q = topics.save_query(topic, "acme OR #acme", user=analyst)
    again = topics.save_query(topic, "acme OR #acme", name=q.name, user=analyst, query=q)
    assert again.version == 1  # nothing changed: no new version
    q = topics.save_query(topic, "acme OR #acme OR @acme_es", name=q.name, user=analyst, query=q)
    assert q.version == 2
    [(v2, diff2), (v1, diff1)] = topics.versions_with_diffs(q)
    assert (v2.number, v2.author, v1.number) == (2, analyst, 1)
    assert ("+", " OR @acme_es") in diff2 or any(op == "+" and "@acme_es" in t for op, t in diff2)
    assert [op for op, _ in diff1] == ["+"]
    q = topics.restore_version(q, 1, user=analyst)
    assert (q.version, q.text) == (3, "acme OR #acme")


def test_topic_names_are_checked_and_slugs_unique(org, other_org):
    with pytest.raises(topics.TopicError):
        topics.create_topic(org, name="  ", kind="brand")
    with pytest.raises(topics.TopicError):
        topics.create_topic(org, name="X", kind="weather")
    other_team = other_org.teams.create(slug="t", name="T", department="support")
    with pytest.raises(topics.TopicError):
        topics.create_topic(org, name="X", kind="brand", team=other_team)
    a = topics.create_topic(org, name="Señal 5G", kind="industry")
    b = topics.create_topic(org, name="Señal 5G", kind="industry")
    assert (a.slug, b.slug) == ("senal-5g", "senal-5g-2")


def test_live_matching_tags_mentions_and_follows_query_changes(org, add):
    brand = topics.create_topic(org, name="Acme", kind="brand")
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    q = topics.save_query(brand, "acme NOT sorteo")
    topics.save_query(rival, '"rival telecom" OR #rivaltelecom')
    m1, m2, m3, m4 = add(
        _row(1, "La atención de ACME es lentísima"),
        _row(2, "Me paso a Rival Telecom, adiós Acme"),
        _row(3, "Sorteo de Acme: gana un móvil"),
        _row(4, "apple acmez nada que ver"),
    )
    assert _topics_of(m1) == {"acme"}
    assert _topics_of(m2) == {"acme", "rival"}
    assert _topics_of(m3) == set()
    assert _topics_of(m4) == set()
    # The compiled set is rebuilt when a query changes: the next mention sees the new text.
    topics.save_query(brand, "acme OR sorteo", name=q.name, query=q)
    (m5,) = add(_row(5, "Otro sorteo más"))
    assert _topics_of(m5) == {"acme"}
    # A deactivated topic no longer matches.
    topics.update_topic(rival, is_active=False)
    (m6,) = add(_row(6, "rival telecom again"))
    assert _topics_of(m6) == set()


def test_field_filters_see_the_pipeline_understanding(org, add):
    t = topics.create_topic(org, name="Quejas", kind="industry")
    topics.save_query(t, "acme sentiment:negative lang:es")
    bad, good = add(
        _row(1, "Acme es un desastre, pésimo servicio, estoy harto", lang="es"),
        _row(2, "Gracias Acme, excelente atención, los recomiendo", lang="es"),
    )
    assert _topics_of(bad) == {"quejas"}
    assert _topics_of(good) == set()


def test_an_edited_mention_is_matched_again(org, add):
    t = topics.create_topic(org, name="Acme", kind="brand")
    topics.save_query(t, "acme")
    (m,) = add(_row(1, "acme está caído"))
    assert _topics_of(m) == {"acme"}
    (m,) = add(_row(1, "ya funciona todo", edited_at=NOW.isoformat()))
    assert _topics_of(m) == set()


def test_backfill_adds_and_removes_matches_over_history(
    org, add, django_capture_on_commit_callbacks
):
    mentions = add(
        *[_row(n, f"mensaje {n} sobre {'fibra' if n % 3 else 'móvil'}") for n in range(30)]
    )
    t = topics.create_topic(org, name="Fibra", kind="product")
    q = topics.save_query(t, "fibra")
    assert not TopicMatch.objects.exists()  # a new query does not look back by itself
    backfill = topics.run_backfill(
        Backfill.objects.create(organisation=org, topic=t, created_at=NOW)
    )
    expected = {m.id for m in mentions if "fibra" in m.text}
    assert set(TopicMatch.objects.filter(topic=t).values_list("mention_id", flat=True)) == expected
    assert (backfill.status, backfill.added, backfill.removed) == ("done", 20, 0)
    assert backfill.done >= len(expected) and backfill.percent == 100
    # Edited to the other word: the backfill moves the matches.
    topics.save_query(t, "móvil", name=q.name, query=q)
    with django_capture_on_commit_callbacks(execute=True):
        queued = topics.start_backfill(t)
    queued.refresh_from_db()
    assert (queued.status, queued.added, queued.removed) == ("done", 10, 20)
    now = set(TopicMatch.objects.filter(topic=t).values_list("mention_id", flat=True))
    assert now == {m.id for m in mentions} - expected


def test_backfill_since_leaves_older_mentions_alone(org, add):
    old = add(_row(1, "fibra vieja", created_at=(NOW - timedelta(days=40)).isoformat()))[0]
    new = add(_row(2, "fibra nueva"))[0]
    t = topics.create_topic(org, name="Fibra", kind="product")
    topics.save_query(t, "fibra")
    backfill = Backfill.objects.create(
        organisation=org, topic=t, created_at=NOW, since=NOW - timedelta(days=7)
    )
    topics.run_backfill(backfill)
    assert set(TopicMatch.objects.filter(topic=t).values_list("mention_id", flat=True)) == {new.id}
    assert old.id not in TopicMatch.objects.values_list("mention_id", flat=True)


def test_share_of_voice_per_day_and_sentiment(org, add, frozen):
    acme = topics.create_topic(org, name="Acme", kind="brand")
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    topics.create_topic(org, name="Campaña", kind="campaign")
    topics.save_query(acme, "acme")
    topics.save_query(rival, "rival")
    yesterday = (NOW - timedelta(days=1)).isoformat()
    add(
        _row(1, "Acme excelente, gracias, los recomiendo, muy contento"),
        _row(2, "Acme pésimo servicio, un desastre total, estoy harto"),
        _row(3, "Rival pésimo servicio, un desastre total, estoy harto"),
        _row(4, "acme y rival hoy"),
        _row(5, "rival ayer", created_at=yesterday),
    )
    chosen = share.default_topics(org.id)
    assert [t.slug for t in chosen] == ["acme", "rival"]  # own brand and competitors
    sov = share.share_of_voice(chosen, Period.last(7))
    a, r = sov.series
    assert sov.dates[-1] == NOW.date()
    assert (a.days[-1].count, r.days[-1].count) == (3, 2)
    assert a.days[-1].share == pytest.approx(60.0)
    assert (a.days[-2].count, r.days[-2].share) == (0, 100.0)
    assert a.total.count == 3 and r.total.count == 3 and a.total.share == 50.0
    assert a.negative[-1].count == 1 and r.negative[-1].count == 1
    assert a.negative[-1].share == 50.0
    assert a.positive[-1].count >= 1
    assert sov.totals[-1] == 5 and sov.total == 6


def test_the_topics_stage_is_registered_after_understanding():
    from panal.listening.pipeline import stages

    names = [s.name for s in stages()]
    assert names.index("understand") < names.index("topics")
    assert names.index("brands") < names.index("topics")
    assert names.index("entities") < names.index("topics")


def test_topic_kinds_cover_the_issue():
    assert set(Topic.Kind.values) == {
        "brand", "product", "competitor", "industry", "person", "campaign"
    }  # fmt: skip


def test_an_empty_query_is_an_error_at_column_one():
    with translation.override("en"):
        result = topics.check("   ")
    assert not result.ok
    assert (result.error.column, result.error.message) == (1, "Write a query.")


def test_the_inbox_shows_topic_chips_and_filters_by_topic(org, add, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    acme = topics.create_topic(org, name="Acme <b>", kind="brand")
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    topics.save_query(acme, "acme")
    topics.save_query(rival, "rival")
    m1, m2, m3 = add(_row(1, "acme va lento"), _row(2, "rival y acme"), _row(3, "nada"))
    client = client_for("agent")
    page = client.get(reverse("inbox")).content.decode()
    assert "Acme &lt;b&gt;" in page and "Acme <b>" not in page
    assert page.count('class="tag tag-topic') == 3
    filtered = client.get(reverse("inbox"), {"topic": rival.id}).content.decode()
    assert f'id="mention-{m2.id}"' in filtered
    assert f'id="mention-{m1.id}"' not in filtered and f'id="mention-{m3.id}"' not in filtered
    detail = client.get(reverse("mention-detail", args=[m2.id])).content.decode()
    assert reverse("topic", args=[rival.id]) in detail
    # The chips cost one query for the whole page, however many rows.
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox"))
    add(*[_row(n, f"acme {n}") for n in range(10, 30)])
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("inbox"))
    assert len(many) == len(few)


def test_the_mentions_api_lists_and_filters_by_topic(org, add, client_for):
    acme = topics.create_topic(org, name="Acme", kind="brand")
    rival = topics.create_topic(org, name="Rival", kind="competitor")
    topics.save_query(acme, "acme")
    topics.save_query(rival, "rival")
    m1, m2, _m3 = add(_row(1, "acme va lento"), _row(2, "rival y acme"), _row(3, "nada"))
    client = client_for("agent")
    items = client.get("/api/v1/mentions").json()["items"]
    assert {i["id"]: i["topics"] for i in items} == {
        str(m1.id): ["acme"], str(m2.id): ["acme", "rival"], str(_m3.id): []
    }  # fmt: skip
    only = client.get("/api/v1/mentions", {"topic": "rival"}).json()["items"]
    assert [i["id"] for i in only] == [str(m2.id)]
    searched = client.get("/api/v1/mentions", {"topic": "acme", "q": "lento"}).json()["items"]
    assert [(i["id"], i["topics"]) for i in searched] == [(str(m1.id), ["acme"])]
    assert client.get(f"/api/v1/mentions/{m2.id}").json()["topics"] == ["acme", "rival"]


def test_a_url_filter_sees_every_link_live_as_in_backfill(org, add):
    t = topics.create_topic(org, name="Play", kind="industry")
    topics.save_query(t, "url:play.google.com")
    (m,) = add(_row(1, "mirad esto", urls=["https://play.google.com/store/apps/details?id=x"]))
    assert _topics_of(m) == {"play"}


def test_the_inbox_search_box_is_one_well_formed_input(client_for):
    from html.parser import HTMLParser

    from django.urls import reverse

    found = []

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "input" and ("name", "q") in attrs:
                found.append(dict(attrs))

    Inputs().feed(client_for("agent").get(reverse("inbox")).content.decode())
    [box] = found
    assert set(box) <= {"type", "id", "name", "value", "maxlength", "placeholder",
                        "aria-invalid", "aria-describedby"}  # fmt: skip
    assert box["placeholder"].endswith("lang:es…")
