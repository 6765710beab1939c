"""The knowledge-base and lead pages through HTTP: who may read and write, an article
from a case's notes, publishing, search, the lead with its conversation, stage and
owner changes, other organisations, and escaping."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from panal.engagement import cases, knowledge, leads
from panal.engagement.models import Article, CaseEvent, Lead

from .test_leads import author, mention, open_case, sales_team, seller

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
XSS = "<script>alert(1)</script>"


def text(response) -> str:
    return response.content.decode()


def make(user, org, title, body="Texto", *, publish=True, lang="es", **extra):
    return knowledge.create_article(
        user, org.pk, title=title, body=body, lang=lang, publish=publish, **extra
    )


@pytest.fixture
def published(org, users):
    return make(users["curator"], org, "Reiniciar el router", "Desenchúfalo 30 segundos.",
                tags=["router"])  # fmt: skip


@pytest.fixture
def draft(org, users):
    return make(users["curator"], org, "Borrador de tarifas", "Aún no.", publish=False)


# --- the knowledge base: who may do what --------------------------------------------------------


@pytest.mark.parametrize("name", ["kb", "kb-new", "leads"])
def test_anonymous_users_are_sent_to_login(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["everyone", "advocate", "analyst"])
def test_roles_without_view_article_get_403(client_for, role, published):
    client = client_for(role)
    assert client.get(reverse("kb")).status_code == 403
    assert client.get(reverse("kb-article", args=[published.pk])).status_code == 403


def test_an_agent_reads_published_articles_but_cannot_write(client_for, published, draft):
    client = client_for("agent")
    page = client.get(reverse("kb"))
    assert page.status_code == 200
    assert "Reiniciar el router" in text(page)
    assert "Borrador de tarifas" not in text(page)
    assert reverse("kb-new") not in text(page)
    article = client.get(reverse("kb-article", args=[published.pk]))
    assert article.status_code == 200
    assert "Desenchúfalo 30 segundos." in text(article)
    assert 'name="action" value="save"' not in text(article)
    assert client.get(reverse("kb-article", args=[draft.pk])).status_code == 404
    assert client.get(reverse("kb-new")).status_code == 403
    posted = client.post(reverse("kb-new"), {"title": "T", "body": "B", "lang": "es"})
    assert posted.status_code == 403
    unpublish = client.post(reverse("kb-article", args=[published.pk]), {"action": "unpublish"})
    assert unpublish.status_code == 403
    assert Article.objects.count() == 2
    assert Article.objects.get(pk=published.pk).status == "published"


def test_a_curator_writes_edits_and_publishes(client_for, client_en, org):
    client = client_en("curator")
    assert client.get(reverse("kb-new")).status_code == 200
    response = client.post(
        reverse("kb-new"),
        {"title": "Router sin luz", "body": "Comprueba el enchufe.", "lang": "es",
         "tags": "router, luz", "action": "draft"},
    )  # fmt: skip
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("kb-article", args=[article.pk])
    assert article.status == "draft"
    assert article.tags == ["router", "luz"]
    assert "Borrador" not in text(client.get(reverse("kb")))  # a label, not the title
    assert "Router sin luz" in text(client.get(reverse("kb")))  # drafts listed for writers

    url = reverse("kb-article", args=[article.pk])
    assert client.post(url, {"action": "publish"}).status_code == 302
    assert Article.objects.get().status == "published"
    edited = client.post(
        url,
        {"action": "save", "title": "Router sin luces", "body": "Mira el enchufe.",
         "lang": "es", "tags": ""},
    )  # fmt: skip
    assert edited.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body, article.tags) == (
        "Router sin luces",
        "Mira el enchufe.",
        [],
    )
    assert client.post(url, {"action": "unpublish"}).status_code == 302
    assert Article.objects.get().status == "draft"


def test_publishing_at_creation(client_for):
    response = client_for("community_manager").post(
        reverse("kb-new"),
        {"title": "Horario", "body": "De 9 a 18.", "lang": "es", "action": "publish"},
    )
    assert response.status_code == 302
    assert Article.objects.get().status == "published"


def test_bad_input_is_a_400_that_keeps_what_was_typed(client_for, client_en, published):
    client = client_en("curator")
    response = client.post(reverse("kb-new"), {"title": "", "body": "Mi texto", "lang": "es"})
    assert response.status_code == 400
    assert "Mi texto" in text(response)
    assert Article.objects.count() == 1
    url = reverse("kb-article", args=[published.pk])
    response = client.post(url, {"action": "save", "title": "Nuevo", "body": "B", "lang": "??"})
    assert response.status_code == 400
    assert "language code" in text(response)
    response = client.post(url, {"action": "explode", "title": "X", "body": "B", "lang": "es"})
    assert response.status_code == 400
    published.refresh_from_db()
    assert published.title == "Reiniciar el router"


def test_search_on_the_list(client_for, org, users, published):
    make(users["curator"], org, "Cambiar la contraseña", "Entra en Mi cuenta.")
    page = text(client_for("agent").get(reverse("kb"), {"q": "router se reinicia"}))
    assert "Reiniciar el router" in page
    assert "Cambiar la contraseña" not in page


def test_other_organisations_articles_are_404(client_for, client_en, other_org):
    foreign = Article.objects.create(
        organisation=other_org, title="Secreto", body="x", lang="es", status="published",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    client = client_en("curator")
    assert client.get(reverse("kb-article", args=[foreign.pk])).status_code == 404
    assert (
        client.post(reverse("kb-article", args=[foreign.pk]), {"action": "unpublish"}).status_code
        == 404
    )
    assert "Secreto" not in text(client.get(reverse("kb")))
    assert client.get(reverse("kb-article", args=[2**62])).status_code == 404


# --- an article from a case -------------------------------------------------------------------


@pytest.fixture
def forum_case(org, users, account):
    """A recurring forum problem, discussed internally on the case."""
    case = open_case(
        org, [mention(account, author(org), "El router se reinicia cada noche")],
        subject="Router que se reinicia", visible_to_all=True,
    )  # fmt: skip
    cases.add_note(users["agent"], case, "Es el firmware 2.1: actualizar a 2.2 lo arregla.")
    cases.add_note(users["agent"], case, f"@curator ¿lo publicamos? {XSS}")
    return case


def test_a_new_article_from_a_case_is_prefilled_and_recorded(
    client_for, client_en, users, forum_case
):
    client = client_en("curator")
    page = client.get(reverse("kb-new"), {"case": forum_case.pk})
    assert page.status_code == 200
    body = text(page)
    assert 'value="Router que se reinicia"' in body
    assert "Es el firmware 2.1: actualizar a 2.2 lo arregla." in body
    assert XSS not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    response = client.post(
        reverse("kb-new"),
        {"case": forum_case.pk, "title": "Router que se reinicia", "lang": "es",
         "body": "Actualiza el firmware a la 2.2.", "action": "publish"},
    )  # fmt: skip
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.source_case == forum_case
    assert article.created_by == users["curator"]
    event = CaseEvent.objects.get(case=forum_case, kind=CaseEvent.Kind.ARTICLE)
    assert event.data["article"] == article.pk
    assert event.actor == users["curator"]
    assert "2.2" in text(client.get(reverse("kb-article", args=[article.pk])))


def test_a_case_the_writer_cannot_see_is_404(client_for, client_en, org, account, other_org):
    hidden = open_case(org, [mention(account, author(org), "x")], subject="Privado")
    client = client_en("curator")
    assert client.get(reverse("kb-new"), {"case": hidden.pk}).status_code == 404
    assert client.get(reverse("kb-new"), {"case": "abc"}).status_code == 404
    posted = client.post(reverse("kb-new"), {"case": hidden.pk, "title": "T", "body": "B",
                                             "lang": "es"})  # fmt: skip
    assert posted.status_code == 404
    foreign = open_case(other_org, [], subject="Ajeno", visible_to_all=True)
    assert client.get(reverse("kb-new"), {"case": foreign.pk}).status_code == 404
    assert not Article.objects.exists()


def test_article_text_is_escaped(client_for, org, users):
    article = make(users["curator"], org, f"Título {XSS}", f"Línea 1\n{XSS}\nLínea 3",
                   tags=["tag"])  # fmt: skip
    for url in [reverse("kb"), reverse("kb-article", args=[article.pk])]:
        body = text(client_for("agent").get(url))
        assert XSS not in body, url
        assert "&lt;script&gt;" in body, url
    detail = text(client_for("agent").get(reverse("kb-article", args=[article.pk])))
    assert "Línea 1<br>&lt;script&gt;alert(1)&lt;/script&gt;<br>Línea 3" in detail


def test_the_suggestions_fragment_renders_escaped(org, users):
    from django.template.loader import render_to_string

    article = make(users["curator"], org, f"Router {XSS}", f"Reinicia {XSS}")
    html = render_to_string("engagement/kb/_suggestions.html", {"suggestions": [article]})
    assert XSS not in html
    assert reverse("kb-article", args=[article.pk]) in html
    empty = render_to_string("engagement/kb/_suggestions.html", {"suggestions": []})
    assert "No article" in empty


# --- leads ---------------------------------------------------------------------------------------


@pytest.fixture
def sale(org, account):
    """A purchase question owned by the sales team, its lead owned by "s1"."""
    s1 = seller(org, "s1")
    ana = author(org, "ana", f"Ana {XSS}")
    case = open_case(
        org,
        [mention(account, ana, f"¿Quién me recomienda qué portátil comprar? {XSS}"),
         mention(account, ana, "Para diseño gráfico, hasta 1500 €", minutes=2)],
        subject="Recomendación de portátil", team=sales_team(org),
    )  # fmt: skip
    return s1, leads.create_lead(case)


def test_a_seller_sees_the_lead_with_the_conversation(client_for, sale):
    s1, lead = sale
    client = Client()
    client.force_login(s1)
    listing = client.get(reverse("leads"))
    assert listing.status_code == 200
    assert "Recomendación de portátil" in text(listing)
    page = client.get(reverse("lead", args=[lead.pk]))
    assert page.status_code == 200
    body = text(page)
    assert "¿Quién me recomienda qué portátil comprar?" in body
    assert "Para diseño gráfico, hasta 1500 €" in body
    assert body.index("portátil comprar") < body.index("diseño gráfico")
    assert "Ana &lt;script&gt;" in body
    assert XSS not in body
    assert f'href="/cases/{lead.case_id}/"' in body


def test_stage_and_owner_forms(org, sale):
    s1, lead = sale
    s2 = seller(org, "s2")
    client = Client()
    client.force_login(s1)
    url = reverse("lead", args=[lead.pk])
    assert client.post(url, {"action": "stage", "stage": "qualified"}).status_code == 302
    assert client.post(url, {"action": "owner", "owner": s2.pk}).status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == ("qualified", s2)
    bad = client.post(url, {"action": "stage", "stage": "sold"})
    assert bad.status_code == 400
    assert "sold" in text(bad)
    assert client.post(url, {"action": "owner", "owner": "x"}).status_code == 400
    assert client.post(url, {"action": "dance"}).status_code == 400
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == ("qualified", s2)
    # Handed to the team.
    assert client.post(url, {"action": "owner", "owner": ""}).status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_the_stage_filter(org, sale):
    s1, _lead = sale
    won = Lead.objects.create(organisation=org, title="Ganado", stage="won", owner=s1,
                              created_at=NOW)  # fmt: skip
    client = Client()
    client.force_login(s1)
    page = text(client.get(reverse("leads"), {"stage": "won"}))
    assert "Ganado" in page
    assert "Recomendación de portátil" not in page
    assert won.title in text(client.get(reverse("leads"), {"stage": "nonsense"}))


def test_who_sees_a_lead(client_for, org, sale, users, other_org):
    _s1, lead = sale
    url = reverse("lead", args=[lead.pk])
    # Customer service cannot see the sales team's case and is not in sales.
    assert client_for("agent").get(url).status_code == 404
    assert "portátil" not in text(client_for("agent").get(reverse("leads")))
    # The director sees every lead; the analyst sees it but may not change it.
    assert client_for("director").get(url).status_code == 200
    analyst = client_for("analyst")
    assert analyst.get(url).status_code == 200
    assert analyst.post(url, {"action": "stage", "stage": "won"}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == "new"
    # Without view_case: 403.
    assert client_for("everyone").get(reverse("leads")).status_code == 403
    assert client_for("advocate").get(url).status_code == 403
    # Another organisation's lead is a 404, even for its director's counterpart here.
    foreign = Lead.objects.create(organisation=other_org, title="Ajeno", created_at=NOW)
    assert client_for("director").get(reverse("lead", args=[foreign.pk])).status_code == 404
    assert client_for("director").get(reverse("lead", args=[2**62])).status_code == 404


def test_a_team_member_sees_the_conversation_without_the_case(org, account):
    s1 = seller(org, "s1")
    hidden = open_case(org, [mention(account, author(org), "Quiero comprar tres móviles")],
                       subject="Tres móviles")  # fmt: skip
    lead = leads.create_lead(hidden)
    assert lead.owner == s1
    mate = seller(org, "mate")
    client = Client()
    client.force_login(mate)
    body = text(client.get(reverse("lead", args=[lead.pk])))
    assert "Quiero comprar tres móviles" in body
    assert f"/cases/{hidden.pk}/" not in body
