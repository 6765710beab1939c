"""Inbox search in the listening query language: the SQL superset never drops a match, and
the inbox and the API show exactly what `Query.matches` accepts (docs/query.md#inbox-search)."""

import html
import random
import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panal.demo import builders
from panal.listening import documents, queries, search
from panal.listening.models import Mention
from panal.listening.query import Query
from panal.org.models import Brand
from panal.understanding.models import Understanding
from tests.listening.test_query_property import HANDLES, HASHTAGS, PUNCT, WORDS, query_text

ROW_RE = re.compile(r'data-mention="(\d+)"')
MORE_RE = re.compile(r'id="inbox-more"[^>]*>\s*<a [^>]*hx-get="([^"]+)"')
POLL_RE = re.compile(r'id="inbox-poll"[^>]*hx-get="([^"]+)"')
API = "/api/v1/mentions"


@pytest.fixture
def agent(client_for):
    return client_for("agent")


@pytest.fixture
def api(users):
    """An API client with a token of the agent."""
    from panal.api.services import create_token

    return Client(headers={"Authorization": f"Bearer {create_token(users['agent'], 't').raw}"})


def shown(response) -> list[str]:
    """External ids of the rows of an inbox page or fragment, top to bottom."""
    assert response.status_code in (200, 204), response.status_code
    ids = [int(i) for i in ROW_RE.findall(response.content.decode())]
    by_id = dict(Mention.objects.filter(id__in=ids).values_list("id", "external_id"))
    return [by_id[i] for i in ids]


def listed(client, params) -> list[str]:
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    ids = [int(m["id"]) for m in response.json()["items"]]
    by_id = dict(Mention.objects.filter(id__in=ids).values_list("id", "external_id"))
    return [by_id[i] for i in ids]


def exact(query: str) -> list[str]:
    """What Query.matches accepts among the stored mentions, newest first."""
    q = Query(query)
    live = Mention.objects.filter(deleted_at__isnull=True)
    external = dict(live.values_list("id", "external_id"))
    return [
        external[i] for i, _, doc in documents.docs_of(live, newest_first=True) if q.matches(doc)
    ]


# --- a table of tricky cases, through the inbox page and the API ------------------------

TRICKY = [
    {"external_id": "atencion", "text": "Pésima ATENCIÓN al cliente de Ceibo", "lang": "es"},
    {"external_id": "atencion2", "text": "la atencion fue buena", "lang": "es"},
    {"external_id": "hashtag", "text": "Otra vez sin señal #Reclamo @CeiboMovil", "lang": "es"},
    {"external_id": "reclamo", "text": "Quiero hacer un reclamo formal", "lang": "es"},
    {"external_id": "dotted", "text": "Escribí a @ceibo.oficial y nada", "lang": "es"},
    {"external_id": "email", "text": "Mandé un correo a prensa@ceibo.example sin respuesta"},
    {"external_id": "url", "text": "Mirá la promo https://ceibo.example/promo/fibra?x=1"},
    {"external_id": "apple", "text": "My apple phone works", "lang": "en"},
    {"external_id": "app", "text": "The app crashes every time", "lang": "en"},
    {"external_id": "colour", "text": "What a lovely colour", "lang": "en"},
    {"external_id": "color", "text": "nice color scheme", "lang": "en"},
    {"external_id": "reembolso", "text": "Todavía espero el reembolso", "lang": "es"},
    {"external_id": "reembolsaron", "text": "Por fin me reembolsaron", "lang": "es"},
    {"external_id": "near", "text": "Ceibo anda muy lento hoy", "lang": "es"},
    {"external_id": "far", "text": "Ceibo anda muy pero muy lento", "lang": "es"},
    {"external_id": "spam", "text": "Ceibo lento sorteo gratis spam", "lang": "es"},
    {"external_id": "mal", "text": "Mal servicio, de verdad", "lang": "es"},
    {"external_id": "servicio-mal", "text": "El servicio mal prestado", "lang": "es"},
    {"external_id": "customer", "text": "Terrible customer service today", "lang": "en"},
    {"external_id": "says", "text": "The customer says service was terrible", "lang": "en"},
    {"external_id": "author", "text": "hola", "lang": "es",
     "author": {"id": "p1", "handle": "Pato_1326", "display_name": "Laura Muñoz"}},
    {"external_id": "underscore", "text": "mi usuario es pato_1326", "lang": "es"},
    {"external_id": "fediverse", "text": "cc @user@mastodon.social por favor", "lang": "es"},
    {"external_id": "numbers", "text": "Plan 5G a 3.5 GHz", "lang": "es"},
    {"external_id": "cyrillic", "text": "Привет, Ceibo!", "lang": "ru"},
    {"external_id": "e-mail", "text": "Send an e-mail to support", "lang": "en"},
    {"external_id": "brand", "text": "Mi Acme Móvil no anda", "lang": "es-MX"},
    {"external_id": "title", "title": "Ceibo", "text": "lento como siempre", "lang": "es"},
    # PostgreSQL keeps 256 positions of a word: this phrase is past them.
    {"external_id": "long", "text": "servicio " * 300 + "mal servicio", "lang": "es"},
]  # fmt: skip

CASES = [
    ("atención", {"atencion", "atencion2"}),
    ("ATENCION cliente", {"atencion"}),
    ("#Reclamo", {"hashtag"}),
    ("reclamo", {"hashtag", "reclamo"}),
    ("@CeiboMovil", {"hashtag"}),
    ("@ceibo.oficial", {"dotted"}),
    ("@ceibo", set()),  # an e-mail's domain and a longer handle are not @ceibo
    ("example", {"email", "url"}),
    ("promo fibra", {"url"}),
    ("app", {"app"}),
    ("app*", {"app", "apple"}),
    ("colo?r", {"colour"}),
    ("re*bolso", {"reembolso"}),
    ("reembols*", {"reembolso", "reembolsaron"}),
    ("ceibo NEAR/2 lento", {"near", "spam"}),
    ("lento NEAR/2 ceibo NOT spam", {"near"}),
    ("ceibo lento", {"near", "far", "spam", "title"}),
    ('"ceibo lento"', {"spam"}),  # title and text are not one phrase
    ("ceibo lento NOT (spam OR pero)", {"near", "title"}),
    ('"mal servicio"', {"mal", "long"}),
    ('"servicio mal"', {"servicio-mal", "long"}),
    ('"customer service"', {"customer"}),
    ('"customer service"~1', {"customer", "says"}),
    ("terrible NEAR/0 service", set()),
    ("author:pato_1326", {"author"}),
    ('author:"laura muñoz"', {"author"}),
    ("pato_1326", {"underscore"}),
    ("@pato_1326", {"author"}),
    ("laura", set()),  # author names are found with author:, not as words
    ("@user@mastodon.social", {"fediverse"}),
    ("5g", {"numbers"}),
    ('"3.5" ghz', {"numbers"}),
    ("привет", {"cyrillic"}),
    ("e-mail", {"e-mail"}),
    ("lang:en app*", {"app", "apple"}),
    ("lang:es NOT lang:es", set()),
    ("(app OR apple) NOT lang:es", {"app", "apple"}),
    ("anda lang:es", {"near", "far", "brand"}),
    ("brand:acme-movil", {"brand"}),
    ('brand:"Acme Móvil" OR app', {"brand", "app"}),
    ("channel:mastodon", {"masto"}),
    ("channel:api reclamo", {"hashtag", "reclamo"}),
    ("sentiment:negative", {"app"}),
    ("(app OR apple) NOT sentiment:negative", {"apple"}),
    ("intent:complaint", {"near"}),
    ("url:mastodon.example", {"masto"}),
    ("lento OR url:mastodon.example", {"near", "far", "spam", "title", "masto"}),
    ("NOT (ceibo OR lento OR reclamo) lang:es", None),  # checked against Query.matches only
]


@pytest.fixture
def tricky(add, org):
    masto = builders.channel_account(org, kind="mastodon", slug="acme-masto", name="Masto")
    add(*TRICKY)
    add(
        {"external_id": "masto", "text": "Toot sobre otra cosa", "lang": "es",
         "url": "https://mastodon.example/@acme/1"},
        to=masto,
    )  # fmt: skip
    ids = dict(Mention.objects.values_list("external_id", "id"))
    Understanding.objects.filter(mention_id__in=ids.values()).update(sentiment="", intents=[])
    Understanding.objects.filter(mention_id=ids["app"]).update(sentiment="negative")
    Understanding.objects.filter(mention_id=ids["near"]).update(
        intents=[{"label": "complaint", "confidence": 0.9}]
    )
    Understanding.objects.filter(mention_id=ids["apple"]).delete()  # not understood yet
    return ids


def test_the_inbox_and_the_api_find_exactly_what_the_query_matches(tricky, agent, api, subtests):
    for query, expected in CASES:
        with subtests.test(query=query):
            want = exact(query)
            if expected is not None:
                assert set(want) == expected, "the expectation disagrees with Query.matches"
            assert shown(agent.get(reverse("inbox"), {"q": query})) == want
            assert listed(api, {"q": query, "limit": 200}) == want


def test_the_search_and_the_other_filters_narrow_together(tricky, agent, api):
    assert shown(agent.get(reverse("inbox"), {"q": "app*", "lang": "en"})) == ["app", "apple"]
    assert shown(agent.get(reverse("inbox"), {"q": "app*", "lang": "es"})) == []
    assert listed(api, {"q": "reclamo", "lang": "es"}) == ["reclamo", "hashtag"]


# --- paging, the scan bound and the live poll ------------------------------------------


@pytest.fixture
def interleaved(add):
    """20 mentions, oldest first: the even ones are about a refund, the odd ones not."""
    rows = [
        {"external_id": f"m{i:02}", "text": f"reembolso {i}" if i % 2 == 0 else f"otra cosa {i}"}
        for i in range(20)
    ]
    add(*rows)
    return [f"m{i:02}" for i in range(18, -1, -2)]  # the matches, newest first


def walk_inbox(agent, params) -> tuple[list[str], int]:
    """Every row of the first page and the pages behind "Show older mentions"."""
    page = agent.get(reverse("inbox"), params)
    rows, pages = shown(page), 1
    more = MORE_RE.search(page.content.decode())
    while more:
        page = agent.get(html.unescape(more.group(1)), headers={"HX-Request": "true"})
        rows += shown(page)
        pages += 1
        more = MORE_RE.search(page.content.decode())
    return rows, pages


def walk_api(client, params) -> tuple[list[str], int]:
    rows, pages, before = [], 0, None
    while True:
        response = client.get(API, {**params, **({"before": before} if before else {})})
        assert response.status_code == 200
        body = response.json()
        ids = [int(m["id"]) for m in body["items"]]
        by_id = dict(Mention.objects.filter(id__in=ids).values_list("id", "external_id"))
        rows += [by_id[i] for i in ids]
        pages += 1
        before = body["next_before"]
        if before is None:
            return rows, pages


def test_pages_of_search_results(interleaved, agent, api, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    assert walk_inbox(agent, {"q": "reembolso"}) == (interleaved, 4)
    assert walk_api(api, {"q": "reembolso", "limit": 3}) == (interleaved, 4)
    assert walk_inbox(agent, {"q": "otra NOT cosa"}) == ([], 1)


def test_a_search_that_stops_early_hands_on_a_cursor(interleaved, agent, api, monkeypatch):
    """Past MAX_SCANNED candidates a page ends, maybe short or empty, and the next goes on
    from where the scan stopped: nothing is skipped, nothing shown twice."""
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    monkeypatch.setattr(search, "FIRST_CHUNK", 2)
    monkeypatch.setattr(search, "MAX_CHUNK", 2)
    monkeypatch.setattr(search, "MAX_SCANNED", 2)
    for query in ("reembolso", "NOT cosa", "url:nada OR reembolso"):  # by text, by id, by id
        rows, pages = walk_inbox(agent, {"q": query})
        assert rows == interleaved and pages > 4, query
        rows, pages = walk_api(api, {"q": query, "limit": 3})
        assert rows == interleaved and pages > 4, query


def test_the_poll_sends_only_new_mentions_the_query_matches(add, agent):
    add({"external_id": "old", "text": "reembolso pendiente"})
    page = agent.get(reverse("inbox"), {"q": "reembolso NOT spam"})
    assert shown(page) == ["old"]
    url = html.unescape(POLL_RE.search(page.content.decode()).group(1))
    assert "q=reembolso" in url
    add(
        {"external_id": "new", "text": "¿Y mi reembolso?"},
        {"external_id": "spam", "text": "reembolso gratis spam"},
        {"external_id": "other", "text": "otra cosa"},
    )
    response = agent.get(url, headers={"HX-Request": "true"})
    assert shown(response) == ["new"]
    assert (
        agent.get(html.unescape(POLL_RE.search(response.content.decode()).group(1))).status_code
        == 204
    )


# --- malformed queries -------------------------------------------------------------------


def test_a_malformed_query_shows_its_error_in_the_inbox(add, agent):
    add({"external_id": "a", "text": "ceibo lento"})
    response = agent.get(reverse("inbox"), {"q": "ceibo AND (lento"})
    assert response.status_code == 200
    page = response.content.decode()
    assert shown(response) == []
    assert search_error(page) == (
        "Error en la columna 11: este paréntesis no se cierra nunca (ciérralo con ))"
    )
    assert 'aria-invalid="true"' in page
    assert (
        agent.get(reverse("inbox-poll"), {"q": "ceibo AND (lento", "after": 0}).status_code == 204
    )
    older = agent.get(reverse("inbox-older"), {"q": "ceibo AND (lento", "before": 2**40})
    assert older.status_code == 200 and shown(older) == []


def search_error(page: str) -> str:
    error = re.search(r'<p[^>]*id="f-q-error"[^>]*>(.*?)</p>', page, re.S).group(1)
    return html.unescape(" ".join(error.split()))


def search_hints(page: str) -> list[str]:
    hints = re.search(r'id="f-q-hints"[^>]*>(.*?)</div>', page, re.S).group(1)
    return [html.unescape(" ".join(p.split())) for p in re.findall(r"<p>(.*?)</p>", hints, re.S)]


def test_the_search_error_and_hints_follow_the_users_language(add, agent):
    spanish = agent.get(reverse("inbox"), {"q": "re* NOT spam"}).content.decode()
    assert search_hints(spanish) == [
        "Columna 1: re* encuentra toda palabra que empiece por 're' "
        "(añade letras antes del comodín, p. ej. reembols*)"
    ]
    agent.post(reverse("set-language"), {"language": "en"})
    english = agent.get(reverse("inbox"), {"q": "re* NOT spam"}).content.decode()
    assert search_hints(english) == [
        "Column 1: re* matches every word starting with 're' "
        "(add letters before the wildcard, e.g. reembols*)"
    ]
    page = agent.get(reverse("inbox"), {"q": 'ceibo "lento'}).content.decode()
    assert search_error(page) == (
        'Error at column 7: this quote is never closed (close the phrase with ")'
    )


def test_the_error_and_the_lint_hints_are_escaped(add, agent):
    page = agent.get(reverse("inbox"), {"q": "<>"}).content.decode()
    assert "&#x27;&lt;&gt;&#x27;" in page and "'<>'" not in page
    hinted = agent.get(reverse("inbox"), {"q": "re* NOT <b>spam"}).content.decode()
    hints = re.search(r'id="f-q-hints"[^>]*>(.*?)</div>', hinted, re.S).group(1)
    assert "re*" in hints  # short-wildcard
    assert "<b>spam" not in hinted and "&lt;b&gt;spam" in hinted


def test_the_api_answers_422_naming_the_column(api, add):
    response = api.get(API, {"q": "ceibo AND (lento"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "q"]
    assert "column 11" in error["msg"]
    assert error["ctx"] == {"column": 11, "message": "this parenthesis is never closed",
                            "hint": "close it with )"}  # fmt: skip
    unknown = api.get(API, {"q": "autor:pato"}, HTTP_ACCEPT_LANGUAGE="en").json()["detail"][0]
    assert "column 1" in unknown["msg"] and "author:" in unknown["msg"]
    spanish = api.get(API, {"q": "ceibo AND (lento"}).json()["detail"][0]
    assert spanish["msg"] == (
        "error en la columna 11: este paréntesis no se cierra nunca (ciérralo con ))"
    )
    assert spanish["ctx"]["message"] == "este paréntesis no se cierra nunca"


# --- the superset, by property ------------------------------------------------------------

EXTRA_TOKENS = [
    "pato_1", "@ceibo.oficial", "prensa@ceibo.example", "https://ceibo.example/a?b=c", "e-mail",
    "3.5", "12e3x", "Привет", "日本語", "x\u0303yz", "¼", "_", "colour", "reembolsó", "REFUNDS",
]  # fmt: skip


def _text(rng: random.Random) -> str:
    tokens = WORDS + HASHTAGS + HANDLES + EXTRA_TOKENS
    return "".join(rng.choice(tokens) + rng.choice(PUNCT) for _ in range(rng.randint(1, 14)))


@pytest.fixture
def varied(org, add):
    """40 mentions made from the property tests' vocabulary, with every field set."""
    rng = random.Random(6)
    Brand.objects.create(organisation=org, slug="fibra", name="Ceibo Fibra")
    accounts = {
        kind: builders.channel_account(org, kind=kind, slug=f"acme-{kind}", name=kind)
        for kind in ("x", "facebook", "api")
    }
    rows: dict[str, list[dict]] = {kind: [] for kind in accounts}
    for i in range(40):
        author = rng.choice([None, ("pato_1", ""), ("CeiboMovil", "Ana Pérez"), ("u", "ana perez")])
        title = rng.choice(["", "Ceibo", "mal servicio"])
        row = {"external_id": f"v{i}", "text": _text(rng), "title": title}
        if author:
            row["author"] = {"id": author[0], "handle": author[0], "display_name": author[1]}
        if rng.random() < 0.5:
            row["url"] = rng.choice(["https://ceibo.example/a", "https://x.example"])
        rows[rng.choice(list(accounts))].append(row)
    for kind, batch in rows.items():
        add(*batch, to=accounts[kind])
    fibra = Brand.objects.get(organisation=org, slug="fibra")
    for mention in Mention.objects.filter(organisation=org):
        Mention.objects.filter(id=mention.id).update(
            lang=rng.choice(["", "es", "en", "es-MX"]),
            country=rng.choice(["", "MX", "CO"]),
            brand=rng.choice([None, fibra]),
        )
        Understanding.objects.filter(mention_id=mention.id).update(
            sentiment=rng.choice(["", "negative", "positive"]),
            intents=rng.choice([[], [{"label": "complaint"}], [{"label": "billing"}]]),
        )
    return Mention.objects.filter(organisation=org, deleted_at__isnull=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(query_text, st.sampled_from([c[0] for c in CASES])))
def test_the_sql_superset_never_drops_a_match(varied, text):
    query = Query(text)
    docs = list(documents.docs_of(varied, newest_first=True))
    matching = [i for i, _, doc in docs if query.matches(doc)]
    superset = search.superset_ids(varied, query)
    if superset is not None:
        assert set(matching) <= set(superset), search.prefilter(query)
    assert search.newest_matches(varied, query, limit=len(docs)).ids == matching
    assert (
        list(search.search(varied, query).order_by("-id").values_list("id", flat=True)) == matching
    )


NEAR_WORDS = ["ceibo", "lento", "mal", "servicio", "#fibra", "@ceibo.oficial", "pato_1"]
near_atom = st.one_of(
    st.sampled_from([*NEAR_WORDS, "lent*", "servic?o", "#fib*"]),
    st.builds(
        lambda ws, slop: '"' + " ".join(ws) + '"' + (f"~{slop}" if slop is not None else ""),
        st.lists(st.sampled_from(NEAR_WORDS), min_size=2, max_size=3),
        st.none() | st.integers(0, 3),
    ),
)
near_side = st.one_of(near_atom, st.builds(lambda a, b: f"({a} OR {b})", near_atom, near_atom))
near_query = st.builds(
    lambda a, b, n, rest: f"{a} NEAR/{n} {b}{rest}",
    near_side,
    near_side,
    st.integers(0, 4),
    st.sampled_from(["", " NOT spam", " OR mal", " lento"]),
)


@pytest.fixture
def crowded(add):
    """30 mentions of a few words in many orders, for distances and phrases."""
    rng = random.Random(11)
    rows = []
    for i in range(30):
        words = [rng.choice(NEAR_WORDS) for _ in range(rng.randint(2, 9))]
        text = "".join(w + rng.choice(PUNCT) for w in words)
        rows.append({"external_id": f"c{i}", "text": text, "title": rng.choice(["", "mal"])})
    add(*rows)
    return Mention.objects.filter(deleted_at__isnull=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=near_query)
def test_distances_and_phrases_never_drop_a_match(crowded, text):
    query = Query(text)
    docs = list(documents.docs_of(crowded, newest_first=True))
    matching = [i for i, _, doc in docs if query.matches(doc)]
    superset = search.superset_ids(crowded, query)
    assert superset is not None
    assert set(matching) <= set(superset), search.prefilter(query)
    assert search.newest_matches(crowded, query, limit=len(docs)).ids == matching


def test_the_property_mentions_are_all_indexed(varied):
    assert varied.count() == 40
    assert search.superset_ids(varied, "v OR NOT v") is None  # nothing to restrict by
    assert len(search.superset_ids(varied, "ceibo OR fibra OR mal OR servicio") or []) > 10


# --- the indexed text ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_every_word_is_one_index_token(text):
    from panal.listening.query import tokenize

    tokens = search.body_of("", text).split()
    expected = [t for t in map(search.index_token, tokenize(text)) if t]
    if len(expected) > search.LONG_TOKENS:
        expected.append(search.LONG_MARK)
    assert tokens == expected
    assert all(re.fullmatch(r"[a-z0-9]{1,100}", t) for t in tokens)


def test_index_tokens_keep_word_beginnings():
    assert search.index_token("@ceibo.oficial") == "ceibooficial"
    assert search.index_token("#reclamo") == "reclamo"
    assert search.index_token("при") == search.index_token("привет")[:12]
    assert len(search.index_token("a" * 500)) == search.MAX_TOKEN


def test_what_restricts_and_what_does_not():
    text = search.prefilter  # the SQL superset of a query, before any database work

    assert text("reembolso re*").text == search.Seq(("reembolso",))  # an AND drops re*
    assert not text("re*").restricts and not text("re*bolso").restricts
    assert text("colo?r").text == search.Seq(("colo",), prefix=True)
    many = " OR ".join(f"word{i}*" for i in range(search.MAX_WILDCARDS + 1))
    assert not text(many).restricts
    assert not text("ceibo OR NOT spam").restricts  # an OR is only as narrow as its widest
    assert text("ceibo NOT spam").text == search.Seq(("ceibo",))  # NOT of words: nothing
    assert text("NOT lang:pt").where is not None  # NOT of a column condition: exact
    assert text('"a b c"~2').text == search.Within(
        (search.Seq(("a",)), search.Seq(("b",)), search.Seq(("c",))), 3
    )
    assert search.fts5_match(text("@ceibo.oficial #Reclamo").text) == (
        '("ceibooficial" AND "reclamo")'
    )
    assert search.tsquery(text('"mal servicio"').text) == (
        f"('mal' <-> 'servicio' | 'mal' & 'servicio' & '{search.LONG_MARK}')"
    )


def test_a_mention_given_twice_to_one_index_call_is_found_by_its_last_text(add, api):
    add({"external_id": "twice", "text": "primera versión"})
    mention = Mention.objects.get(external_id="twice")
    Mention.objects.filter(pk=mention.pk).update(text="segunda versión")
    edited = Mention.objects.get(pk=mention.pk)
    search.index([mention, edited])  # one statement on PostgreSQL: each row once
    assert listed(api, {"q": "segunda"}) == ["twice"]
    assert listed(api, {"q": "primera"}) == []
