"""The inbox pages through HTTP: permissions, filters, the live poll, escaping, query counts."""

import html
import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from panal.demo import builders
from panal.listening import queries, services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.listening.tasks import process_mentions
from panal.org.models import Brand
from tests.conftest import PASSWORD

ROW_RE = re.compile(r'data-mention="(\d+)"')
POLL_RE = re.compile(r'id="inbox-poll"[^>]*hx-get="([^"]+)"')
MORE_RE = re.compile(r'id="inbox-more"[^>]*>\s*<a [^>]*hx-get="([^"]+)"')


@pytest.fixture
def agent(client_for):
    return client_for("agent")


def shown(response) -> list[str]:
    """External ids of the mention rows in a page or fragment, top to bottom."""
    ids = [int(i) for i in ROW_RE.findall(response.content.decode())]
    by_id = dict(Mention.objects.filter(id__in=ids).values_list("id", "external_id"))
    return [by_id[i] for i in ids]


def poll_url(response) -> str:
    match = POLL_RE.search(response.content.decode())
    assert match, "the page has no live poller"
    return html.unescape(match.group(1))


def text(response) -> str:
    return response.content.decode()


# --- who may see what -----------------------------------------------------------


@pytest.fixture
def pages(add):
    mention = add({"external_id": "p1", "text": "hola"})[0]
    return {
        "inbox": reverse("inbox"),
        "poll": reverse("inbox-poll") + "?after=0",
        "older": reverse("inbox-older") + f"?before={mention.id + 1}",
        "detail": reverse("mention-detail", args=[mention.id]),
    }


@pytest.mark.parametrize("page", ["inbox", "poll", "older", "detail"])
def test_anonymous_users_are_sent_to_login(pages, page):
    response = Client().get(pages[page])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_an_anonymous_live_poll_moves_the_whole_page_to_login(pages):
    response = Client().get(pages["poll"], headers={"HX-Request": "true"})
    # A plain redirect would be followed by the XHR and the login page put into the list.
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")
    assert "hola" not in text(response)


@pytest.mark.parametrize("page", ["inbox", "poll", "older", "detail"])
def test_a_role_without_view_mention_gets_403(pages, client_for, page):
    response = client_for("advocate").get(pages[page])
    assert response.status_code == 403
    assert "hola" not in text(response)
    assert "403" in text(response)


@pytest.mark.parametrize("role", ["agent", "everyone", "analyst", "tool_admin"])
@pytest.mark.parametrize("page", ["inbox", "poll", "older", "detail"])
def test_readers_see_every_page(pages, client_for, role, page):
    response = client_for(role).get(pages[page])
    assert response.status_code == 200
    assert "hola" in text(response)


def test_another_organisations_mention_is_not_found(add, agent, other_org):
    theirs = builders.channel_account(other_org, kind="api", slug="other-hooks", name="Other")
    secret = add({"external_id": "x1", "text": "secreto de otros"}, to=theirs)[0]
    response = agent.get(reverse("mention-detail", args=[secret.id]))
    missing = agent.get(reverse("mention-detail", args=[secret.id + 1]))
    assert response.status_code == missing.status_code == 404
    assert "secreto" not in text(response)
    assert "secreto" not in text(agent.get(reverse("inbox")))
    assert "secreto" not in text(agent.get(reverse("inbox-poll") + "?after=0"))


def test_a_deleted_mention_is_not_found(add, agent, account):
    gone = add({"external_id": "d1", "text": "borrado"})[0]
    services.ingest(account, [parse_item({"external_id": "d1", "event": "deleted"})])
    assert agent.get(reverse("mention-detail", args=[gone.id])).status_code == 404


# --- login, logout and the page shell ----------------------------------------------


def test_login_form_leads_to_the_inbox_and_logout_back(users):
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="password"' in text(page)
    response = client.post(reverse("login"), {"username": "agent", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox")
    assert client.get(reverse("inbox")).status_code == 200
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("inbox")).status_code == 302


def test_a_wrong_password_is_refused(users):
    response = Client().post(reverse("login"), {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in text(response)


def test_the_nav_shows_user_organisation_roles_and_admin_for_staff(client_for, users):
    users["agent"].first_name, users["agent"].last_name = "Ana", "Ruiz"
    users["agent"].save()
    page = text(client_for("agent").get(reverse("inbox")))
    assert "Ana Ruiz" in page
    assert "<bdi>Acme</bdi>" in page
    assert "Agente social" in page
    assert 'action="/logout/"' in page
    assert reverse("admin:index") not in page
    assert reverse("admin:index") in text(client_for("tool_admin").get(reverse("inbox")))


# --- filters ---------------------------------------------------------------------


@pytest.fixture
def mixed(add, org):
    mastodon = builders.channel_account(org, kind="mastodon", slug="acme-masto", name="Masto")
    add(
        {"external_id": "es-movil", "text": "Mi Acme Móvil no tiene cobertura", "lang": "es",
         "created_at": "2026-01-10T09:00:00Z"},
        {"external_id": "en-hogar", "text": "Acme Hogar heater broke again", "lang": "en",
         "created_at": "2026-02-15T09:00:00Z"},
        {"external_id": "unknown", "text": "???", "created_at": "2026-03-20T09:00:00Z"},
    )  # fmt: skip
    add(
        {"external_id": "masto", "text": "cobertura excelente", "lang": "es",
         "created_at": "2026-02-01T12:00:00Z"},
        to=mastodon,
    )  # fmt: skip
    return {b.slug: b for b in Brand.objects.filter(organisation=org)}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"es-movil", "en-hogar", "unknown", "masto"}),
        ({"channel": "mastodon"}, {"masto"}),
        ({"channel": "api"}, {"es-movil", "en-hogar", "unknown"}),
        ({"lang": "es"}, {"es-movil", "masto"}),
        ({"lang": "en"}, {"en-hogar"}),
        ({"lang": "und"}, {"unknown"}),
        ({"brand": "acme-movil"}, {"es-movil"}),
        ({"brand": "acme-hogar"}, {"en-hogar"}),
        ({"from": "2026-02-01"}, {"en-hogar", "unknown", "masto"}),
        ({"to": "2026-02-01"}, {"es-movil", "masto"}),  # the whole "to" day counts
        ({"from": "2026-02-02", "to": "2026-02-28"}, {"en-hogar"}),
        ({"q": "cobertura"}, {"es-movil", "masto"}),
        ({"q": "cobertura", "channel": "api"}, {"es-movil"}),
        ({"q": "movil"}, {"es-movil"}),  # accent-insensitive
        ({"channel": "nonsense", "lang": "12", "brand": "x", "from": "ayer"}, None),  # ignored
        ({"from": "0001-01-01", "to": "9999-12-31"}, None),
    ],
)
def test_each_filter_narrows_the_inbox(mixed, agent, params, expected):
    params = dict(params)
    if params.get("brand") in mixed:
        params["brand"] = mixed[params["brand"]].id
    response = agent.get(reverse("inbox"), params)
    assert response.status_code == 200
    expected = expected or {"es-movil", "en-hogar", "unknown", "masto"}
    assert set(shown(response)) == expected


def test_filters_are_kept_in_the_links_and_the_form(mixed, agent):
    brand = mixed["acme-movil"]
    page = text(agent.get(reverse("inbox"), {"q": "cobertura", "brand": brand.id}))
    assert 'value="cobertura"' in page
    assert f'<option value="{brand.id}" selected>' in page
    detail = re.search(r'href="(/mentions/\d+/\?[^"]+)"', page).group(1)
    assert "q=cobertura" in detail and f"brand={brand.id}" in detail
    back = text(agent.get(html.unescape(detail)))
    assert f'href="/?q=cobertura&amp;brand={brand.id}"' in back


def test_the_selects_offer_the_organisations_brands_and_channels(mixed, agent, other_org):
    builders.channel_account(other_org, kind="reddit", slug="other-reddit", name="R")
    page = text(agent.get(reverse("inbox")))
    assert ">Acme Móvil</option>" in page and ">Acme Hogar</option>" in page
    assert 'value="mastodon"' in page and 'value="api"' in page
    assert ">Other</option>" not in page  # the other organisation's brand
    assert 'value="reddit"' not in page


def test_the_inbox_lists_by_arrival_even_for_old_history(add, agent):
    add({"external_id": "new", "text": "hoy", "created_at": "2026-06-01T10:00:00Z"})
    add({"external_id": "history", "text": "hace un año", "created_at": "2025-06-01T10:00:00Z"})
    assert shown(agent.get(reverse("inbox"))) == ["history", "new"]


def test_pages_of_older_mentions(add, agent, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    for n in range(7):
        add({"external_id": f"m{n}", "text": f"mensaje {n}"})
    first = agent.get(reverse("inbox"), {"q": "mensaje"})
    assert shown(first) == ["m6", "m5", "m4"]
    more = html.unescape(MORE_RE.search(text(first)).group(1))
    assert "q=mensaje" in more
    second = agent.get(more, headers={"HX-Request": "true"})
    assert shown(second) == ["m3", "m2", "m1"]
    third = agent.get(html.unescape(MORE_RE.search(text(second)).group(1)))
    assert shown(third) == ["m0"]
    assert MORE_RE.search(text(third)) is None
    # Without JavaScript the same link opens a whole page, which is not live.
    before = re.search(r'id="inbox-more"[^>]*>\s*<a [^>]*href="([^"]+)"', text(first)).group(1)
    still = agent.get(html.unescape(before))
    assert shown(still) == ["m3", "m2", "m1"]
    assert 'id="inbox-poll"' not in text(still)


# --- the live poll -----------------------------------------------------------------


def test_the_poll_returns_only_mentions_the_page_does_not_show(add, agent):
    add({"external_id": "old1", "text": "uno"}, {"external_id": "old2", "text": "dos"})
    page = agent.get(reverse("inbox"))
    url = poll_url(page)
    assert agent.get(url).status_code == 204  # nothing new: htmx leaves the page alone
    add({"external_id": "new1", "text": "tres"})
    response = agent.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert shown(response) == ["new1"]
    assert "row--fresh" in text(response)
    # The fragment replaces the poller, so the next poll does not repeat it.
    assert 'hx-swap-oob="true"' in text(response)
    assert agent.get(poll_url(response)).status_code == 204
    add({"external_id": "new2", "text": "cuatro"}, {"external_id": "new3", "text": "cinco"})
    assert shown(agent.get(poll_url(response))) == ["new3", "new2"]


def test_the_poll_honours_the_filters(add, agent, org):
    movil = Brand.objects.get(organisation=org, slug="acme-movil")
    add({"external_id": "a", "text": "Acme Móvil uno", "lang": "es"})
    page = agent.get(reverse("inbox"), {"brand": movil.id, "lang": "es"})
    assert shown(page) == ["a"]
    add(
        {"external_id": "b", "text": "Acme Móvil dos", "lang": "es"},
        {"external_id": "c", "text": "Acme Hogar tres", "lang": "es"},
        {"external_id": "d", "text": "Acme Móvil four", "lang": "en"},
    )
    assert shown(agent.get(poll_url(page))) == ["b"]


def test_a_mention_that_matches_late_still_arrives(
    account, add, agent, django_capture_on_commit_callbacks
):
    """Searchable only after the pipeline ran, below the newest id shown: the poll finds it."""
    late = services.ingest_batch(
        account, [parse_item({"external_id": "late", "text": "avería"})], enqueue=False
    )
    add({"external_id": "early", "text": "otra avería"})
    page = agent.get(reverse("inbox"), {"q": "averia"})
    assert shown(page) == ["early"]
    with django_capture_on_commit_callbacks(execute=True):
        process_mentions.enqueue([late.ids["late"]])
    response = agent.get(poll_url(page))
    assert shown(response) == ["late"]
    assert agent.get(poll_url(response)).status_code == 204


def test_more_new_mentions_than_a_poll_sends_shows_a_notice(add, agent, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    page = agent.get(reverse("inbox"))
    add(*({"external_id": f"n{n}", "text": "ráfaga"} for n in range(3)))
    response = agent.get(poll_url(page))
    assert shown(response) == ["n2", "n1"]
    assert 'id="inbox-notice"' in text(response)


def test_a_forged_poll_state_is_harmless(add, agent):
    add({"external_id": "a", "text": "uno"})
    for query in ["after=abc&seen=-1", "after=99999999999999999999999", "seen=" + "1&seen=" * 500]:
        response = agent.get(reverse("inbox-poll") + "?" + query)
        assert response.status_code in (200, 204)


# --- strangers' strings ------------------------------------------------------------

HOSTILE = {
    "external_id": "evil",
    "title": "<img src=x onerror=alert(2)>",
    "text": "<script>alert(1)</script> hola 🐝 مرحبا بالعالم",
    "author": {"id": "e1", "handle": "evil<b>", "display_name": '" onmouseover="alert(3)'},
    "url": "https://example.com/a?b=1&c=<2>",
}


def assert_escaped(page: str) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert 'onmouseover="alert' not in page
    assert "&quot; onmouseover=&quot;alert(3)" in page
    assert "evil<b>" not in page
    assert "🐝" in page
    assert "مرحبا بالعالم" in page
    assert 'dir="auto"' in page


def test_hostile_strings_are_escaped_in_the_inbox_poll_and_detail(add, agent):
    page = agent.get(reverse("inbox"))
    evil = add(HOSTILE)[0]
    assert_escaped(text(agent.get(reverse("inbox"))))
    assert_escaped(text(agent.get(poll_url(page))))
    assert_escaped(text(agent.get(reverse("mention-detail", args=[evil.id]))))


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "//evil.example/"],
)
def test_only_http_addresses_become_links(add, agent, url):
    mention = add({"external_id": "u", "text": "enlace"})[0]
    # Stored as if a connector had let it through: the page must still not link it.
    Mention.objects.filter(id=mention.id).update(url=url, urls=[url, "https://ok.example/"])
    page = text(agent.get(reverse("mention-detail", args=[mention.id])))
    assert 'href="javascript' not in page.lower()
    assert 'href="data:' not in page
    assert 'href="//evil' not in page
    assert 'href="https://ok.example/" rel="noopener noreferrer nofollow" target="_blank"' in page


# --- the detail page -----------------------------------------------------------------


def test_the_detail_shows_the_whole_mention_thread_and_history(add, agent, account):
    root, reply = add(
        {"external_id": "r1", "text": "Mi Acme Móvil no carga", "lang": "es",
         "title": "Problema de carga", "url": "https://social.example/@ana/1",
         "created_at": "2026-11-02T09:00:00Z",
         "author": {"id": "u1", "handle": "ana", "display_name": "Ana Pérez", "followers": 1520}},
        {"external_id": "r2", "text": "¿Probaste otro cable?", "in_reply_to_external_id": "r1",
         "created_at": "2026-11-02T10:00:00Z", "author": {"id": "u2", "handle": "soporte"}},
    )  # fmt: skip
    add({"external_id": "r1", "text": "Mi Acme Móvil no carga nada", "lang": "es",
         "title": "Problema de carga", "url": "https://social.example/@ana/1",
         "author": {"id": "u1", "handle": "ana", "display_name": "Ana Pérez"}})  # fmt: skip
    page = text(agent.get(reverse("mention-detail", args=[root.id])))
    assert "Mi Acme Móvil no carga nada" in page
    assert "Problema de carga" in page
    assert (
        '<a class="btn" href="https://social.example/@ana/1" '
        'rel="noopener noreferrer nofollow" target="_blank">'
    ) in page
    assert "Ana Pérez" in page and "@ana" in page
    assert re.search(r"1[.,\s\u00a0]?520", page)  # followers, grouped per language
    assert "Acme webhook" in page  # the channel account
    assert "Acme Móvil</dd>" in page  # the brand
    assert ">ES</dd>" in page
    assert "2026" in page
    # The edit history keeps the earlier text; the thread shows the reply, linked.
    history = page.split('id="history-title"')[1]
    assert "Mi Acme Móvil no carga</div>" in history
    thread = page.split('id="thread-title"')[1].split('id="history-title"')[0]
    assert "¿Probaste otro cable?" in thread
    assert reverse("mention-detail", args=[reply.id]) in thread
    assert 'aria-current="true"' in thread
    reply_page = text(agent.get(reverse("mention-detail", args=[reply.id])))
    assert "Mi Acme Móvil no carga nada" in reply_page.split('id="thread-title"')[1]


# --- bounded queries -----------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def many(n: int, start: int = 0) -> list[dict]:
    return [
        {"external_id": f"q{i}", "text": f"Acme Móvil número {i}", "lang": "es",
         "title": f"t{i}", "author": {"id": f"a{i}", "handle": f"h{i}", "followers": i}}
        for i in range(start, start + n)
    ]  # fmt: skip


def test_inbox_query_count_does_not_grow_with_rows(add, agent):
    add(*many(5))
    small = count_queries(agent, reverse("inbox"))
    # A search adds two: the full-text index's newest ids, then their rows to check.
    searched = count_queries(agent, reverse("inbox") + "?q=acme&lang=es")
    assert searched == small + 2
    add(*many(25, start=5))
    assert len(shown(agent.get(reverse("inbox")))) == 30
    assert count_queries(agent, reverse("inbox")) == small
    assert count_queries(agent, reverse("inbox") + "?q=acme&lang=es") == searched


def test_poll_query_count_does_not_grow_with_rows(add, agent):
    base = agent.get(reverse("inbox"))
    add(*many(5))
    small = count_queries(agent, poll_url(base))
    add(*many(25, start=5))
    with CaptureQueriesContext(connection) as ctx:
        response = agent.get(poll_url(base))
    assert len(shown(response)) == 30
    assert len(ctx.captured_queries) == small


def test_detail_query_count_does_not_grow_with_the_thread(add, agent):
    root = add({"external_id": "root", "text": "raíz", "author": {"id": "a0"}})[0]
    add(*({"external_id": f"re{i}", "text": "respuesta", "in_reply_to_external_id": "root",
           "author": {"id": f"a{i}"}} for i in range(2)))  # fmt: skip
    small = count_queries(agent, reverse("mention-detail", args=[root.id]))
    add(*({"external_id": f"re{i}", "text": "respuesta", "in_reply_to_external_id": "root",
           "author": {"id": f"a{i}"}} for i in range(2, 20)))  # fmt: skip
    assert count_queries(agent, reverse("mention-detail", args=[root.id])) == small


def test_times_are_shown_for_the_viewer(add, agent):
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    add({"external_id": "t", "text": "hora", "created_at": when.isoformat()})
    assert 'datetime="2026-11-02T09:30:00+00:00"' in text(agent.get(reverse("inbox")))


def test_the_pages_assets_come_from_the_server(agent):
    """The stylesheet and the bundled htmx are served by Panal itself, never from a CDN."""
    page = text(agent.get(reverse("inbox")))
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any(a.endswith("panal/panal.css") for a in assets)
    assert any("htmx" in a and a.endswith(".js") for a in assets)
    assert not re.search(r'(?:href|src)="(?:https?:)?//', page)
    for asset in assets:
        response = agent.get(asset)
        assert response.status_code == 200, asset
        response.close()
