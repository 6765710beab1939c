"""Knowledge-base suggestions and search: the right article for Spanish and English
questions, nothing for unrelated text, the language fallback, the per-organisation index
and its invalidation, and the article services' rules."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from panal.engagement import knowledge
from panal.engagement.cases import add_note
from panal.engagement.models import Article, CaseEvent

from .test_leads import author, mention, open_case

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

ARTICLES = {
    "router-es": (
        "es",
        "Cómo reiniciar el router cuando no hay conexión a internet",
        "Si el router no conecta a internet, desenchúfalo 30 segundos, vuelve a enchufarlo y "
        "espera a que la luz de conexión esté verde. Si sigue sin conexión, revisa el cable "
        "de fibra.",
        ["router", "internet", "wifi"],
    ),
    "router-en": (
        "en",
        "How to restart your router when the internet is down",
        "If the router does not connect, unplug it for 30 seconds, plug it back in and wait "
        "for the connection light to turn green. Still offline? Check the fibre cable.",
        ["router", "internet", "wifi"],
    ),
    "password-es": (
        "es",
        "Cambiar la contraseña de tu cuenta",
        "Entra en Mi cuenta, pulsa Seguridad y elige Cambiar contraseña. Te enviamos un "
        "correo para confirmar el cambio.",
        ["cuenta", "contraseña"],
    ),
    "password-en": (
        "en",
        "Reset your account password",
        "Open My account, choose Security, then Change password. We email you a link to "
        "confirm the change.",
        ["account", "password"],
    ),
    "bill-es": (
        "es",
        "Entender tu factura mensual",
        "La factura llega el día 1 de cada mes. Incluye la cuota, el consumo extra y los "
        "impuestos. Puedes descargarla en PDF desde Mi cuenta.",
        ["factura", "pago"],
    ),
    "returns-es": (
        "es",
        "Devolver un producto en 30 días",
        "Tienes 30 días para devolver cualquier producto. Pide la recogida desde Mis pedidos "
        "y te devolvemos el dinero en 5 días laborables.",
        ["devolución", "reembolso"],
    ),
    "roaming-en": (
        "en",
        "Roaming charges abroad",
        "Roaming inside the EU costs nothing extra. Outside the EU, buy a daily roaming pass "
        "from the app before you travel.",
        ["roaming", "travel"],
    ),
}


@pytest.fixture
def kb(org, users):
    """The articles above, published by the curator, by key."""
    return {
        key: knowledge.create_article(
            users["curator"], org.pk, title=title, body=body, lang=lang, tags=tags, publish=True
        )
        for key, (lang, title, body, tags) in ARTICLES.items()
    }


def keys(kb, articles):
    names = {a.pk: key for key, a in kb.items()}
    return [names.get(a.pk, a.title) for a in articles]


# --- suggestions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "lang", "best"),
    [
        ("Hola, mi router no se conecta a internet desde ayer, ¿qué hago?", "es", "router-es"),
        ("¿Cómo cambio la contraseña de mi cuenta?", "es", "password-es"),
        ("No entiendo los impuestos de mi factura de este mes", "es", "bill-es"),
        ("Quiero devolver el producto que compré, ¿cuántos días tengo?", "es", "returns-es"),
        ("My internet is down, should I restart the router?", "en", "router-en"),
        ("I forgot my password, how do I reset it?", "en", "password-en"),
        ("How much does roaming cost when I travel outside the EU?", "en", "roaming-en"),
    ],
)
def test_the_right_article_comes_first(org, kb, question, lang, best):
    found = keys(kb, knowledge.suggest(org.pk, question, lang))
    assert found[0] == best


def test_only_the_questions_language_when_it_has_an_answer(org, kb):
    found = keys(kb, knowledge.suggest(org.pk, "El router no conecta a internet", "es"))
    assert "router-en" not in found
    found = keys(kb, knowledge.suggest(org.pk, "The router does not connect", "en"))
    assert "router-es" not in found


def test_another_language_when_none_in_the_questions_fits(org, kb):
    found = keys(kb, knowledge.suggest(org.pk, "¿Cuánto cuesta el roaming fuera de la UE?", "es"))
    assert found == ["roaming-en"]


def test_a_regional_language_tag_counts_as_its_language(org, kb):
    found = keys(kb, knowledge.suggest(org.pk, "Mi router no tiene conexión", "es-MX"))
    assert found[0] == "router-es"
    assert "router-en" not in found


@pytest.mark.parametrize(
    "question",
    [
        "¿Quién ganó el partido del Real Madrid anoche?",
        "What a lovely sunny day at the beach",
        # One ordinary word shared with the billing and password articles is not enough.
        "Me encanta el nuevo anuncio, muy buena música en la cuenta de Instagram",
        "Hola, gracias por todo, ¿alguien me ayuda con un problema?",
        "Tengo 30 años",
        "El cable de mi cargador está roto",
        "",
    ],
)
def test_nothing_for_unrelated_text(org, kb, question):
    assert knowledge.suggest(org.pk, question, "es") == []


def test_drafts_and_other_organisations_are_never_suggested(org, other_org, users, kb):
    draft = knowledge.create_article(
        users["curator"], org.pk, title="Tarifa de fibra 1 Gb", lang="es",
        body="La nueva tarifa de fibra de 1 Gb cuesta 30 euros al mes.",
    )  # fmt: skip
    foreign = Article.objects.create(
        organisation=other_org, title="Tarifa de fibra 1 Gb", lang="es", status="published",
        body="La tarifa de fibra de 1 Gb cuesta 30 euros.", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    found = knowledge.suggest(org.pk, "¿Cuánto cuesta la tarifa de fibra de 1 Gb?", "es")
    assert draft not in found
    assert foreign not in found
    assert knowledge.suggest(other_org.pk, "¿Cuánto cuesta la tarifa de fibra?", "es") == [foreign]


def test_limit(org, kb):
    assert len(knowledge.suggest(org.pk, "router internet conexión cuenta", "es", limit=1)) == 1
    assert knowledge.suggest(org.pk, "router internet", "es", limit=0) == []


def test_suggestions_for_a_case_read_its_conversation(org, account, kb):
    ana = author(org)
    case = open_case(
        org,
        [mention(account, ana, "Buenas, desde esta mañana el wifi no va"),
         mention(account, ana, "Ya he probado a reiniciar el router y nada", minutes=3)],
        subject="Sin wifi",
    )  # fmt: skip
    assert keys(kb, knowledge.suggest_for_case(case))[0] == "router-es"


# --- the index and its cache ------------------------------------------------------------------


def test_the_index_is_kept_while_nothing_changes(org, kb, django_assert_num_queries):
    first = knowledge.index_for(org.pk)
    assert knowledge.index_for(org.pk) is first
    # A suggestion costs the freshness check and loading the chosen articles.
    with django_assert_num_queries(2):
        knowledge.suggest(org.pk, "mi router no conecta", "es")


def test_an_edit_elsewhere_is_seen_through_updated_at(org, kb):
    knowledge.index_for(org.pk)
    # Another process rewrites the returns article (no signal reaches this one).
    Article.objects.filter(pk=kb["returns-es"].pk).update(
        title="Garantía de los auriculares",
        body="Los auriculares tienen dos años de garantía; escríbenos con el número de serie.",
        tags=["garantía"],
        updated_at=NOW + timedelta(minutes=1),
    )
    assert keys(
        kb, knowledge.suggest(org.pk, "¿Cuánta garantía tienen los auriculares?", "es")
    ) == ["returns-es"]
    assert (
        knowledge.suggest(org.pk, "Quiero devolver un producto, ¿cuántos días tengo?", "es") == []
    )


def test_a_refresh_tokenises_only_the_changed_articles(org, kb):
    before = {doc.id: doc.counts for doc in knowledge.index_for(org.pk).docs}
    changed = kb["bill-es"].pk
    Article.objects.filter(pk=changed).update(
        body="Nueva factura electrónica", updated_at=NOW + timedelta(minutes=1)
    )
    after = {doc.id: doc.counts for doc in knowledge.index_for(org.pk).docs}
    assert after.keys() == before.keys()
    assert [i for i in after if after[i] is not before[i]] == [changed]
    assert "electronica" in after[changed]


def test_a_deletion_elsewhere_is_seen_through_the_count(org, kb):
    knowledge.index_for(org.pk)
    # Another process deletes the billing article (plain SQL: no signal here).
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Article._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [kb["bill-es"].pk])  # noqa: S608 - our table name
    assert knowledge.suggest(org.pk, "No entiendo los impuestos de mi factura", "es") == []


def test_an_edit_through_the_service_at_the_same_instant_is_seen(org, users, kb):
    knowledge.index_for(org.pk)
    knowledge.update_article(
        users["curator"], kb["roaming-en"], title="Data in other countries", lang="en", tags=[],
        body="Using mobile data in another country is free inside the EU.",
    )  # fmt: skip
    assert knowledge.suggest(org.pk, "roaming charges abroad", "en") == []
    assert keys(kb, knowledge.suggest(org.pk, "mobile data in another country", "en")) == [
        "roaming-en"
    ]


def test_unpublishing_removes_it_from_suggestions(org, users, kb):
    question = "¿Cómo cambio la contraseña de mi cuenta?"
    assert keys(kb, knowledge.suggest(org.pk, question, "es"))[0] == "password-es"
    knowledge.set_published(users["curator"], kb["password-es"], False)
    assert "password-es" not in keys(kb, knowledge.suggest(org.pk, question, "es"))


def test_terms_fold_accents_and_plurals_and_drop_stop_words():
    assert knowledge.terms("¿Cómo actualizo las Conexiones del Router?") == [
        "actualizo", "conexion", "router",
    ]  # fmt: skip
    assert knowledge.terms("The routers and the passwords") == ["router", "password"]
    assert knowledge.terms("access status") == ["access", "status"]


# --- search -------------------------------------------------------------------------------


def test_search_ranks_and_hides_drafts_from_readers(org, users, kb):
    draft = knowledge.create_article(
        users["curator"], org.pk, title="Router nuevo: guía", lang="es",
        body="Cómo instalar el router nuevo paso a paso.",
    )  # fmt: skip
    found = knowledge.search(org.pk, "router")
    assert keys(kb, found)[:2] in (["router-es", "router-en"], ["router-en", "router-es"])
    assert draft not in found
    assert draft in knowledge.search(org.pk, "router", drafts=True)
    # No query: the latest, drafts only for writers.
    assert len(knowledge.search(org.pk, "")) == len(ARTICLES)
    assert len(knowledge.search(org.pk, "", drafts=True)) == len(ARTICLES) + 1
    assert knowledge.search(org.pk, "zzzz") == []


# --- the article services ---------------------------------------------------------------------


def test_writing_needs_the_permissions(org, users):
    fields = {"title": "T", "body": "B", "lang": "es"}
    with pytest.raises(PermissionDenied):
        knowledge.create_article(users["agent"], org.pk, **fields)
    # Publishing needs change_article: the curator has it.
    article = knowledge.create_article(users["curator"], org.pk, **fields, publish=True)
    assert article.status == "published"
    with pytest.raises(PermissionDenied):
        knowledge.set_published(users["agent"], article, False)
    with pytest.raises(PermissionDenied):
        knowledge.update_article(users["agent"], article, **fields, tags=[])


def test_only_members_write_in_an_organisation(org, other_org, users):
    with pytest.raises(PermissionDenied):
        knowledge.create_article(users["curator"], other_org.pk, title="T", body="B", lang="es")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  ", "body": "B", "lang": "es"}, "title"),
        ({"title": "T", "body": "", "lang": "es"}, "text"),
        ({"title": "T" * 301, "body": "B", "lang": "es"}, "300"),
        ({"title": "T", "body": "B", "lang": "español!"}, "language"),
        ({"title": "T", "body": "B", "lang": "es", "tags": ["<b>"]}, "tag"),
        ({"title": "T", "body": "B", "lang": "es", "tags": [f"t{i}" for i in range(21)]}, "20"),
    ],
)
def test_bad_articles_are_refused(org, users, fields, message):
    with pytest.raises(knowledge.ArticleError, match=message):
        knowledge.create_article(users["curator"], org.pk, **fields)
    assert not Article.objects.exists()


def test_an_article_from_a_case_takes_its_notes_and_is_recorded(org, users, account):
    case = open_case(org, [mention(account, author(org), "El router se reinicia solo")],
                     subject="Router que se reinicia", visible_to_all=True)  # fmt: skip
    add_note(users["agent"], case, "Pasa con el firmware 2.1: actualizar a 2.2 lo arregla.")
    add_note(users["agent"], case, "@curator ¿lo publicamos?")
    filled = knowledge.prefill_from_case(users["curator"], case)
    assert filled["title"] == "Router que se reinicia"
    assert filled["body"] == (
        "Pasa con el firmware 2.1: actualizar a 2.2 lo arregla.\n\n@curator ¿lo publicamos?"
    )
    assert filled["lang"] == "es"
    article = knowledge.create_article(
        users["curator"], org.pk, title=filled["title"], body=filled["body"], lang="es",
        source_case=case,
    )  # fmt: skip
    knowledge.set_published(users["curator"], article, True)
    events = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ARTICLE)
    assert [(e.data["action"], e.data["article"]) for e in events] == [
        ("created", article.pk),
        ("published", article.pk),
    ]


def test_a_case_the_writer_cannot_see_is_refused(org, users, account):
    hidden = open_case(org, [mention(account, author(org), "secreto")], subject="Secreto")
    with pytest.raises(knowledge.ArticleError):
        knowledge.create_article(users["curator"], org.pk, title="T", body="B", lang="es",
                                 source_case=hidden)  # fmt: skip
    assert not CaseEvent.objects.filter(case=hidden).exists()
