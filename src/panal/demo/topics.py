"""What Ceibo listens for: its brands, products, competitors, its industry, a campaign and
its spokespeople, as topics with the queries an analyst would write (docs/demo.md#topics).

The queries use the names, handles and hashtags the generated mentions use (phrases.py),
so every topic has matches and share of voice has data. They are made through
`panal.listening.topics`, the same functions the topic pages, the API and the CLI call.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify

from panal.listening import topics
from panal.listening.models import Topic
from panal.org.models import Organisation, Team

from . import phrases as P

K = Topic.Kind


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    name: str
    kind: str
    team: str  # slug of the owner team (builders: one team per department)
    description: str
    queries: tuple[tuple[str, str], ...]  # (name, text)


def _quoted(name: str) -> str:
    return f'"{name.lower()}"' if " " in name else name


def _competitors() -> list[TopicSpec]:
    """One topic per competitor of the catalogue, with the names people use for it."""
    return [
        TopicSpec(
            slug=slugify(name),
            name=name,
            kind=K.COMPETITOR,
            team="marketing",
            description=f"Lo que se dice de {name}.",
            queries=(("Nombres", " OR ".join(_quoted(n) for n in (name, *aliases))),),
        )
        for name, aliases, _brand in P.CATALOGUE["competitor"]
    ]


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "ceibo-movil", "Ceibo Móvil", K.BRAND, "marketing",
        "La marca móvil: su nombre, sus cuentas y las menciones que el pipeline le asigna.",
        (
            ("Nombre y cuentas", '"ceibo móvil" OR CeiboMovil OR @CeiboMovil OR "ceibo prepago"'),
            ("Marca asignada", "brand:ceibo-movil"),
        ),
    ),
    TopicSpec(
        "ceibo-fibra", "Ceibo Fibra", K.BRAND, "marketing",
        "La marca de fibra y TV: nombre, cuentas, marca asignada y el hashtag de las caídas.",
        (
            ("Nombre y cuentas",
             '"ceibo fibra" OR CeiboFibra OR @CeiboFibra OR "ceibo tv" OR "ceibo hogar"'),
            ("Marca asignada", "brand:ceibo-fibra"),
            ("Caídas", "#CeiboCaido OR #CeiboNoFunciona"),
        ),
    ),
    TopicSpec(
        "app-mi-ceibo", "App Mi Ceibo", K.PRODUCT, "product",
        "La app: lo que se dice de ella y sus reseñas en Google Play y App Store.",
        (
            ("Nombre", '"mi ceibo"'),
            ("Reseñas", "channel:google_play OR channel:app_store"),
        ),
    ),
    TopicSpec(
        "modem-y-deco", "Módem y decodificador", K.PRODUCT, "product",
        "El equipo en casa del cliente: módem, router y decodificador de Ceibo TV.",
        (("Equipos", "módem OR router OR decodificador OR deco"),),
    ),
    TopicSpec(
        "plan-viajero", "Plan Viajero y roaming", K.PRODUCT, "product",
        "El plan para viajar y el roaming de Ceibo Móvil.",
        (("Plan y roaming", '"plan viajero" OR roaming'),),
    ),
    *_competitors(),
    TopicSpec(
        "sector-telecom", "Sector telecom", K.INDUSTRY, "legal",
        "Reguladores, defensa del consumidor y redes (5G, fibra) en los cuatro países.",
        (
            ("Reguladores",
             'PROFECO OR SIC OR CRC OR SERNAC OR Subtel OR ENACOM OR "defensa del consumidor"'),
            ("5G y redes", '5G OR "fibra óptica" OR #Telecom'),
        ),
    ),
    TopicSpec(
        "promo-portabilidad", "Promo Portabilidad", K.CAMPAIGN, "sales",
        "La campaña de promociones para quien se cambia a Ceibo (sin el spam de #promo).",
        (("Promos", "(promo OR promoción OR oferta OR descuento OR portabilidad) "
                    "NOT (#promo OR #gratis)"),),
    ),
    TopicSpec(
        "voceros", "Voceros de Ceibo", K.PERSON, "pr",
        "Quienes hablan por Ceibo en la prensa.",
        (("Nombres", " OR ".join(_quoted(n) for n, _a, _b in P.CATALOGUE["person"])),),
    ),
)  # fmt: skip


def load(org: Organisation) -> list[Topic]:
    """Make the topics (and their queries) the organisation does not have yet, by slug;
    returns the new ones. A topic already there is left as it is (it may have been edited)."""
    teams = {t.slug: t for t in Team.objects.filter(organisation=org)}
    new = []
    for spec in TOPICS:
        topic, created = topics.topic_by_slug(
            org,
            spec.slug,
            kind=spec.kind,
            name=spec.name,
            team=teams.get(spec.team),
            description=spec.description,
        )
        if not created:
            continue
        for name, text in spec.queries:
            topics.save_query(topic, text, name=name)
        new.append(topic)
    return new
