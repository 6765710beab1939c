"""Entities: the matcher (word boundaries, aliases, accents, overlaps, offsets, places,
the people heuristic), the per-organisation cache, the `entities` stage through ingest,
the catalogue in the admin, and what the mention page shows, escaped."""

import pytest
from django.urls import reverse

from panal.listening.models import Mention
from panal.org.models import Brand, CatalogueItem
from panal.understanding import entities
from panal.understanding.models import Understanding

CATALOGUE = [
    (1, "product", "App", "Mi Acme App"),
    (2, "competitor", "Movistar", "Movi Star\nMovistar MX"),
    (3, "product", "Plan Ilimitado", "Ilimitado Plus"),
    (4, "product", "Plan Ilimitado Plus Max", ""),
    (5, "competitor", "Vértice Telecom", "Vértice"),
    (6, "product", "Combo Fibra + TV", ""),
    (7, "competitor", "AT&T", ""),
    (8, "person", "Mariana Ledesma", ""),
    (9, "place", "Tienda Reforma", ""),
]
BRANDS = [(20, "Acme Móvil", "AcmeMovil\nMi Acme")]


@pytest.fixture(scope="module")
def matcher():
    return entities.compile_matcher(CATALOGUE, BRANDS)


def found(matcher, text):
    out = matcher.find(text)
    for e in out:  # offsets point at the matched text
        assert text[e["start"] : e["end"]] == e["text"]
    return [(e["kind"], e["text"], e["ref"]) for e in out]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la App no abre", [("product", "App", 1)]),
        ("mi apple y la application y happy", []),  # "App" is a whole word or nothing
        ("me cambio a movistar", [("competitor", "movistar", 2)]),
        ("ME CAMBIO A MOVISTAR!!!", [("competitor", "MOVISTAR", 2)]),
        ("Movistar's plan", [("competitor", "Movistar", 2)]),
        ("movistares y xmovistar", []),
        (
            "Vertice y VÉRTICE TELECOM",
            [("competitor", "Vertice", 5), ("competitor", "VÉRTICE TELECOM", 5)],
        ),
        ("odio a movi star", [("competitor", "movi star", 2)]),  # an alias of several words
        ("Movistar MX es caro", [("competitor", "Movistar MX", 2)]),  # the longer name wins
        ("tengo el Plan Ilimitado Plus", [("product", "Plan Ilimitado", 3)]),
        ("tengo el Plan Ilimitado Plus Max", [("product", "Plan Ilimitado Plus Max", 4)]),
        (
            "el Combo Fibra + TV y el combo fibra+tv",
            [("product", "Combo Fibra + TV", 6), ("product", "combo fibra+tv", 6)],
        ),
        ("cambio a AT&T ya", [("competitor", "AT&T", 7)]),
        ("Plan. Ilimitado", []),  # a sentence end is not inside a name
        ("Plan\nIlimitado", []),
        ("me escribió Mariana Ledesma", [("person", "Mariana Ledesma", 8)]),
        ("fui a la Tienda Reforma", [("place", "Tienda Reforma", 9)]),
        (
            "la app de Acme Móvil y Mi Acme App",
            [("product", "app", 1), ("brand", "Acme Móvil", 20), ("product", "Mi Acme App", 1)],
        ),
        ("escriban a ventas@movistar.example o https://www.movistar.example/app", []),
    ],
)  # fmt: skip
def test_catalogue_and_brand_names(matcher, text, expected):
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Viajé de México a Bogotá", ["México", "Bogotá"]),
        ("Flying from New York to London", ["New York", "London"]),
        ("vivo en CDMX y trabajo en Buenos Aires", ["CDMX", "Buenos Aires"]),
        ("Sin señal en Mexico City ni en Montevideo", ["Mexico City", "Montevideo"]),
        ("me gusta la lima y el chile", []),  # a fruit and a pepper: places need a capital
        ("LIMA y MADRID", ["LIMA", "MADRID"]),
    ],
)
def test_places_from_the_gazetteer(matcher, text, expected):
    assert [t for kind, t, _ in found(matcher, text) if kind == "place"] == expected


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("Ayer hablé con Carolina Méndez sobre la factura", ["Carolina Méndez"]),
        ("Me atendió el Sr. Pérez y luego la señora Ana Gómez", ["Pérez", "Ana Gómez"]),
        ("Thanks to Dr. Watson and to John Smith Jr", ["Watson", "John Smith Jr"]),
        ("Carolina Méndez me atendió", []),  # a sentence's first word is capitalised anyway
        ("Hola. Juan Pérez aquí", []),
        ("escríbanle a #JuanPerez o a @Juan Pérez", []),  # hashtags and handles are not people
        ("sigo a #Juan Pérez", []),
        ("Ceibo Launches New Fiber Plan In Lima\nya lo vi", []),  # a Title Case headline
        ("Feliz Navidad a todos, Buenos Días", []),
        ("vi a Santiago Rodríguez en Santiago", ["Santiago Rodríguez"]),
        ("de Bogotá Colombia", []),  # two places, not a person
        ("QUE ALGUIEN ME AYUDE POR FAVOR", []),
    ],
)
def test_people_by_the_conservative_heuristic(matcher, text, people):
    assert [
        t for kind, t, ref in found(matcher, text) if kind == "person" and ref is None
    ] == people


@pytest.mark.parametrize("text", ["", "🙂🙂🙂", "   \n\n  ", "!!!???", "<b></b>"])
def test_texts_without_words(matcher, text):
    assert matcher.find(text) == []


def test_a_long_text_is_matched_to_its_end(matcher):
    text = ("Pésimo servicio de Movistar en Lima. " * 1500)[:50_000] + " y al final la App"
    out = matcher.find(text)
    assert len(out) == entities.MAX_ENTITIES
    tail = entities.compile_matcher(CATALOGUE, BRANDS).find("x " * 25_000 + "la App")
    assert tail[-1]["text"] == "App" and tail[-1]["start"] == 50_003


def test_decomposed_accents_and_hostile_markup(matcher):
    decomposed = "Ve\u0301rtice Telecom <script>alert('Movistar')</script>"
    out = found(matcher, decomposed)
    assert out == [("competitor", "Ve\u0301rtice Telecom", 5), ("competitor", "Movistar", 2)]


# --- per organisation, and the cache ----------------------------------------------------------


def test_the_matcher_follows_the_catalogue_and_brands(org, other_org):
    item = CatalogueItem.objects.create(organisation=org, kind="competitor", name="Zenda")
    first = entities.matchers_for([org.id, other_org.id])
    assert [e["ref"] for e in first[org.id].find("me voy a Zenda")] == [item.id]
    assert first[other_org.id].find("me voy a Zenda") == []  # another organisation's
    assert entities.matchers_for([org.id])[org.id] is first[org.id]  # nothing changed
    item.aliases = "Zenda Telecom\nZT"
    item.save()
    assert [e["text"] for e in entities.matchers_for([org.id])[org.id].find("odio ZT")] == ["ZT"]
    brand = Brand.objects.get(organisation=org, name="Acme Móvil")
    brand.keywords = "AcmeCel"
    brand.save()
    assert entities.matchers_for([org.id])[org.id].find("#AcmeCel")[0]["ref"] == brand.id
    item.delete()
    assert entities.matchers_for([org.id])[org.id].find("me voy a Zenda") == []


# --- the stage, through ingest ----------------------------------------------------------------


def test_the_stage_records_entities_through_ingest(org, add):
    zenda = CatalogueItem.objects.create(
        organisation=org, kind="competitor", name="Zenda", aliases="Zenda Telecom"
    )
    brand = Brand.objects.get(organisation=org, name="Acme Móvil")
    one, titled, empty, emoji = add(
        {"external_id": "e1",
         "text": "Me paso de Acme Móvil a ZENDA TELECOM, lo dijo Ana Ruiz en Lima"},
        {"external_id": "e2", "title": "Zenda en Madrid", "text": "sin señal"},
        {"external_id": "e3", "text": " "},
        {"external_id": "e4", "text": "🔥🔥"},
    )  # fmt: skip
    rows = {u.mention_id: u for u in Understanding.objects.all()}
    got = [(e["kind"], e["text"], e["ref"]) for e in rows[one.id].entities]
    assert got == [
        ("brand", "Acme Móvil", brand.id), ("competitor", "ZENDA TELECOM", zenda.id),
        ("person", "Ana Ruiz", None), ("place", "Lima", None),
    ]  # fmt: skip
    assert rows[one.id].entity_model == "panal-entities@1"
    # Offsets are into the text the models read: the title, a new line, the text.
    (first, place) = rows[titled.id].entities
    assert (first["start"], first["end"], place["text"]) == (0, 5, "Madrid")
    assert rows[empty.id].entities == [] and rows[emoji.id].entities == []
    done = Mention.objects.get(id=one.id).stages_done
    assert done.index("brands") < done.index("entities")
    # Other stages' fields are kept by this stage's upsert.
    assert rows[one.id].lang and rows[one.id].sentiment


# --- the catalogue in the admin, and the page ---------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    return client


def test_the_catalogue_is_edited_in_the_admin(org, other_org, admin_client):
    hostile = '<script>alert("alias")</script>'
    page = admin_client.get(reverse("admin:org_organisation_change", args=[org.id]))
    assert page.status_code == 200 and b"catalogue-group" in page.content
    brand = Brand.objects.get(organisation=org, name="Acme Móvil")
    response = admin_client.post(
        reverse("admin:org_catalogueitem_add"),
        {"organisation": org.id, "kind": "product", "name": "Plan X", "aliases": hostile,
         "brand": brand.id},
    )  # fmt: skip
    assert response.status_code == 302
    item = CatalogueItem.objects.get(name="Plan X")
    assert item.aliases == hostile and item.brand == brand
    listing = admin_client.get(reverse("admin:org_catalogueitem_changelist") + "?q=alias")
    assert b"Plan X" in listing.content
    detail = admin_client.get(reverse("admin:org_catalogueitem_change", args=[item.id]))
    assert hostile.encode() not in detail.content
    # A brand of another organisation is refused.
    foreign = Brand.objects.get(organisation=other_org)
    refused = admin_client.post(
        reverse("admin:org_catalogueitem_add"),
        {"organisation": org.id, "kind": "product", "name": "Plan Y", "brand": foreign.id},
    )
    assert refused.status_code == 200 and not CatalogueItem.objects.filter(name="Plan Y").exists()


def test_the_catalogue_admin_needs_the_permission(org, client_for):
    listing = reverse("admin:org_catalogueitem_changelist")
    assert client_for("agent").get(listing).status_code == 302  # not staff: to the login
    assert client_for("tool_admin").get(listing).status_code == 200  # the tool administrator


def test_the_page_shows_entities_as_chips_escaped(org, add, client_for):
    CatalogueItem.objects.create(
        organisation=org, kind="competitor", name="AT&T", aliases="<b>Zen</b>\nZen Co"
    )
    (mention,) = add(
        {"external_id": "p1",
         "text": "Odio AT&T <img src=x onerror=alert(1)> y a Zen Co, dice Ana Ruiz en Lima"},
    )  # fmt: skip
    page = (
        client_for("agent")
        .get(reverse("mention-detail", args=[mention.id]), headers={"accept-language": "en"})
        .content.decode()
    )
    section = page.split('id="understanding-title"')[1].split("</section>")[0]
    assert '<bdi class="entity-text">AT&amp;T</bdi>' in section
    assert '<bdi class="entity-text">Zen Co</bdi>' in section
    assert 'data-kind="competitor"' in section and 'data-kind="place"' in section
    assert 'data-kind="person"' in section and "panal-entities@1" in section
    assert "<img src=x" not in page and "<b>Zen" not in page
    spanish = (
        client_for("agent")
        .get(reverse("mention-detail", args=[mention.id]), headers={"accept-language": "es"})
        .content.decode()
    )
    assert "Entidades" in spanish and "Competencia" in spanish and "Lugar" in spanish


def test_the_demo_company_has_a_catalogue_its_mentions_name(db):
    from panal.demo import content, loader

    org = loader.company()
    loader.company()  # idempotent
    items = CatalogueItem.objects.filter(organisation=org)
    assert {"product", "competitor", "person"} <= set(items.values_list("kind", flat=True))
    assert items.filter(kind="competitor", name="Norte Móvil", aliases__contains="NorteMovil")
    assert items.filter(name="Mi Ceibo", kind="product").exclude(brand=None).exists()
    matcher = entities.matchers_for([org.id])[org.id]
    texts = [d["text"] for d in content.mention_dicts(600)]
    kinds = {e["kind"] for text in texts for e in matcher.find(text)}
    assert {"brand", "product", "competitor", "person", "place"} <= kinds
    named = {e["text"] for text in texts for e in matcher.find(text) if e["kind"] == "person"}
    assert named & {"Mariana Ledesma", "Joaquín Ferrer", "Inés Caballero"}
