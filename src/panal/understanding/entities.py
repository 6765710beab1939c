"""Entities: the organisation's products, brands, competitors and people, and places,
found in each mention (docs/understanding.md#entities).

One `Matcher` per organisation, compiled from its catalogue (`org.CatalogueItem`: name
and aliases), its brands (name and keywords) and our own gazetteer of places, matches
whole words, accent- and case-insensitively, names of several words included; where two
matches overlap the longer wins (at equal length: catalogue, then brand, then place).
Beyond the catalogue, people are found by a conservative heuristic: two or more
consecutive capitalised words that do not open a sentence and are not common words, or a
name after señor, Sra., Mr., Dr. and the like. @handles and #hashtags are never people.

Offsets are character offsets into `stages.text_of(mention)`, the text the models read.
The `entities` stage (order 260, after brands) writes one bulk upsert per batch.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from django.db import connection

from panal.core import clock
from panal.core.text import fold
from panal.listening.models import Mention
from panal.listening.pipeline import stage
from panal.org.models import Brand, CatalogueItem

from .stages import store, text_of

MODEL = "panal-entities@1"
KINDS = ("brand", "product", "competitor", "person", "place")
MAX_ENTITIES = 200  # per mention: a 50 KB text names many things; the page shows these
# At equal length, the first of these wins an overlap.
CATALOGUE, BRAND, GAZETTEER, HEURISTIC = 0, 1, 2, 3

# Letters and digits, with any combining accent (text that arrives decomposed).
_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
# What may stand between the words of one name: spaces, or one joiner ("AT&T",
# "Wi-Fi", "EE.UU."), or a spaced joiner ("Fibra + TV"). Not a sentence end.
_JOIN = re.compile(r"[ \t\u00a0]+|[-&'\u2019_/+.·]|[ \t\u00a0]*[-&+/·][ \t\u00a0]*")
_SENTENCE_END = re.compile(r"[.!?¡¿…\n:;\"“”«»()\[\]]")
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- our own gazetteer: countries and major cities of the Spanish- and English-speaking
# world (and a few others people travel to), each with its es and en names. A place is
# matched only when written with a capital (or in capitals): "lima" and "chile" are also
# a fruit and a pepper.
PLACES: tuple[tuple[str, ...], ...] = (
    ("México", "Mexico"), ("Estados Unidos", "United States", "USA", "EE.UU.", "EEUU"),
    ("Canadá", "Canada"), ("Guatemala",), ("Honduras",), ("El Salvador",), ("Nicaragua",),
    ("Costa Rica",), ("Panamá", "Panama"), ("Cuba",),
    ("República Dominicana", "Dominican Republic"), ("Puerto Rico",), ("Colombia",),
    ("Venezuela",), ("Ecuador",), ("Perú", "Peru"), ("Bolivia",), ("Chile",),
    ("Argentina",), ("Uruguay",), ("Paraguay",), ("Brasil", "Brazil"), ("España", "Spain"),
    ("Reino Unido", "United Kingdom", "UK"), ("Inglaterra", "England"),
    ("Escocia", "Scotland"), ("Irlanda", "Ireland"), ("Gales", "Wales"), ("Australia",),
    ("Nueva Zelanda", "New Zealand"), ("Francia", "France"), ("Alemania", "Germany"),
    ("Italia", "Italy"), ("Portugal",), ("Japón", "Japan"), ("China",), ("India",),
    ("Filipinas", "Philippines"), ("Sudáfrica", "South Africa"), ("Jamaica",),
    ("Europa", "Europe"), ("Latinoamérica", "América Latina", "Latin America", "LatAm"),
    ("Ciudad de México", "CDMX", "Mexico City", "DF"), ("Guadalajara",), ("Monterrey",),
    ("Puebla",), ("Tijuana",), ("Mérida", "Merida"), ("Querétaro", "Queretaro"),
    ("Cancún", "Cancun"), ("Oaxaca",), ("Veracruz",), ("Jalisco",), ("Nuevo León",),
    ("Bogotá", "Bogota"), ("Medellín", "Medellin"), ("Cali",), ("Barranquilla",),
    ("Cartagena",), ("Bucaramanga",), ("Antioquia",), ("Lima",), ("Arequipa",),
    ("Cusco", "Cuzco"), ("Quito",), ("Guayaquil",), ("Caracas",), ("Maracaibo",),
    ("La Paz",), ("Santa Cruz",), ("Santiago",), ("Valparaíso", "Valparaiso"),
    ("Concepción",), ("Buenos Aires",), ("Córdoba", "Cordoba"), ("Rosario",), ("Mendoza",),
    ("Montevideo",), ("Asunción", "Asuncion"), ("Madrid",), ("Barcelona",), ("Valencia",),
    ("Sevilla", "Seville"), ("Bilbao",), ("Málaga", "Malaga"), ("Zaragoza",), ("San Juan",),
    ("Santo Domingo",), ("La Habana", "Havana"), ("Ciudad de Panamá", "Panama City"),
    ("San José",), ("Ciudad de Guatemala", "Guatemala City"), ("San Salvador",),
    ("Tegucigalpa",), ("Managua",), ("Nueva York", "New York", "NYC"),
    ("Los Ángeles", "Los Angeles"), ("Miami",), ("Chicago",), ("Houston",),
    ("San Francisco",), ("Washington",), ("Boston",), ("Seattle",), ("Dallas",),
    ("Atlanta",), ("Texas",), ("California",), ("Florida",), ("Toronto",), ("Vancouver",),
    ("Montreal", "Montreal"), ("Londres", "London"), ("Manchester",), ("Liverpool",),
    ("Edimburgo", "Edinburgh"), ("Dublín", "Dublin"), ("Sídney", "Sydney"),
    ("Melbourne",), ("Auckland",), ("París", "Paris"), ("Berlín", "Berlin"),
    ("Roma", "Rome"), ("Lisboa", "Lisbon"), ("Tokio", "Tokyo"),
)  # fmt: skip
# Places that are also first names: they may open a person's name ("Santiago Rodríguez").
_NAME_PLACES = _wordset(
    "santiago victoria florencia mercedes rosario concepcion asuncion dolores lourdes "
    "guadalupe paris sydney florida lima india china"
)

# --- the people heuristic ---------------------------------------------------------------
_HONORIFICS = _wordset(
    "senor senora senorita sr sra srta mr mrs ms miss dr dra doctor doctora "
    "licenciado licenciada lic ing ingeniero ingeniera"
)
# Capitalised words that are not names: greetings, function words, days and months, and
# the words of organisations, products and events ("Diario Horizonte", "Black Friday").
_NOT_NAMES = _wordset(
    """
    el la los las un una unos unas lo al del de y o e u que en por para con sin mi mis tu
    tus su sus yo nosotros ustedes usted este esta estos estas ese esa eso hay no si ya muy
    hola buenas buenos buen dia dias tardes noches gracias saludos estimado estimada
    estimados querido querida feliz atentamente cordialmente urgente ayuda favor porfa
    the a an and or of in on at to for with my your our their i we you he she they it its
    this that these those hi hello hey dear thanks thank please regards best kind happy
    new merry good great hoy ayer manana today yesterday tomorrow
    lunes martes miercoles jueves viernes sabado domingo monday tuesday wednesday thursday
    friday saturday sunday enero febrero marzo abril mayo junio julio agosto septiembre
    setiembre octubre noviembre diciembre january february march april may june july
    august september october november december navidad christmas semana santa ano
    diario revista radio noticias noticiero periodico semanario prensa grupo banco
    universidad hospital clinica colegio escuela instituto calle avenida av plaza centro
    ciudad gobierno ministerio secretaria tienda store app play google apple samsung
    android tv smart wifi internet plan combo fibra movil telecom red servicio cliente
    clientes atencion soporte equipo news times post weekly journal review business
    company inc corp ltd sa tech digital online team support customer service street
    avenue university bank black cyber day weekend week dios jaja lol ok okay wow omg
    tecnologico san santa santo villa cerro pueblo playa punta zona estacion barrio colonia
    puerto rio lago monte valle nuevo nueva alto alta bajo norte sur este oeste central
    jardin parque country torre lomas bosque
    """
)
_MAX_NAME_WORDS = 4


@dataclass(frozen=True, slots=True)
class Entry:
    words: tuple[str, ...]  # folded tokens of the name
    kind: str
    ref: int | None
    source: int  # CATALOGUE, BRAND, GAZETTEER
    cased: bool = False  # the text must write its first word with a capital


_fold_cache: dict[str, str] = {}


def _fold(token: str) -> str:
    folded = _fold_cache.get(token)
    if folded is None:
        if len(_fold_cache) > 200_000:
            _fold_cache.clear()
        folded = _fold_cache[token] = token.lower() if token.isascii() else fold(token)
    return folded


def name_words(name: str) -> tuple[str, ...]:
    return tuple(_fold(t) for t in _TOKEN.findall(name))


def _joined(gap: str) -> bool:
    return _JOIN.fullmatch(gap) is not None


def _capitalised(token: str) -> bool:
    return len(token) > 1 and token[0].isupper() and token[1:].islower()


class Matcher:
    """Finds the names of `entries` and, beyond them, places and people in a text."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        by_first: dict[str, dict[tuple[str, ...], Entry]] = defaultdict(dict)
        for e in entries:
            if e.words:
                known = by_first[e.words[0]].get(e.words)
                if known is None or e.source < known.source:
                    by_first[e.words[0]][e.words] = e
        # Longest names first, so the first that fits at a word is the longest there.
        self.by_first = {
            first: sorted(names.values(), key=lambda e: (-len(e.words), e.source))
            for first, names in by_first.items()
        }

    def find(self, text: str) -> list[dict]:
        """The entities of `text`: [{"kind", "text", "start", "end", "ref"}] by position."""
        if not text:
            return []
        raw = _TOKEN.findall(text)
        if not raw:
            return []
        cache = _fold_cache
        folded = [cache[t] if t in cache else _fold(t) for t in raw]
        by_first = self.by_first
        hits = [i for i, word in enumerate(folded) if word in by_first]
        caps = [i for i, t in enumerate(raw) if t[0].isupper()]
        honorific = not _HONORIFICS.isdisjoint(folded)
        names = honorific or any(b - a == 1 for a, b in itertools.pairwise(caps))
        if not hits and not names:
            return []  # most texts: nothing to look at closer
        spans = [m.span() for m in _TOKEN.finditer(text)]
        masked = _masked(text, spans) if ("@" in text or "/" in text or "www" in text) else ()
        found = self._named(text, spans, raw, folded, masked, hits)
        if names:
            taken: set[int] = set()
            places: set[int] = set()
            for i, j, e in found:
                taken.update(range(i, j))
                if e.source == GAZETTEER:
                    places.update(range(i, j))
            people = _people(text, spans, raw, folded, masked, taken, places, caps, honorific)
            if people:
                found = _resolve(found + people)
        return [
            {
                "kind": e.kind,
                "text": text[spans[i][0] : spans[j - 1][1]],
                "start": spans[i][0],
                "end": spans[j - 1][1],
                "ref": e.ref,
            }
            for i, j, e in sorted(found, key=lambda f: f[0])[:MAX_ENTITIES]
        ]

    def _named(self, text, spans, raw, folded, masked, hits) -> list[tuple[int, int, Entry]]:
        """The longest name from the entries starting at each word, then overlaps resolved."""
        candidates = []
        n_tokens = len(spans)
        for i in hits:
            if i in masked:
                continue
            for e in self.by_first[folded[i]]:
                n = len(e.words)
                if i + n > n_tokens or (e.cased and not raw[i][0].isupper()):
                    continue
                if n > 1 and (
                    tuple(folded[i : i + n]) != e.words
                    or any(k in masked for k in range(i + 1, i + n))
                    or not all(
                        _joined(text[spans[k][1] : spans[k + 1][0]]) for k in range(i, i + n - 1)
                    )
                ):
                    continue
                candidates.append((i, i + n, e))
                break
        return _resolve(candidates) if len(candidates) > 1 else candidates


def _masked(text: str, spans) -> frozenset[int]:
    """Words inside web addresses and e-mail addresses: not names."""
    found = [(m.start(), m.end()) for m in _ADDRESS.finditer(text)]
    if not found:
        return frozenset()
    return frozenset(
        i for i, (s, e) in enumerate(spans) if any(a <= s and e <= b for a, b in found)
    )


def _resolve(candidates: list[tuple[int, int, Entry]]) -> list[tuple[int, int, Entry]]:
    """Non-overlapping matches: the longer (in words) first; at equal length the source
    that ranks first (catalogue, brand, place, heuristic), then the earlier."""
    chosen = []
    used: set[int] = set()
    for i, j, e in sorted(candidates, key=lambda c: (c[0] - c[1], c[2].source, c[0])):
        if used.isdisjoint(range(i, j)):
            used.update(range(i, j))
            chosen.append((i, j, e))
    return chosen


_PERSON = Entry((), "person", None, HEURISTIC)


def _people(
    text, spans, raw, folded, masked, taken, places, caps, honorific
) -> list[tuple[int, int, Entry]]:
    """People by the heuristic, among the words no catalogue or brand name took. Only
    the capitalised words (`caps`) and the honorifics are looked at."""
    n = len(spans)
    found: list[tuple[int, int, Entry]] = []
    headlines: dict[int, bool] = {}

    def nameable(i: int) -> bool:
        if (i in taken and i not in places) or i in masked:
            return False
        if not _capitalised(raw[i]) or folded[i] in _NOT_NAMES:
            return False
        s = spans[i][0]
        return not (s and text[s - 1] in "@#")  # a handle or a hashtag

    def spaced(i: int) -> bool:  # word i follows word i-1 after plain spaces
        gap = text[spans[i - 1][1] : spans[i][0]]
        return bool(gap) and gap.strip(" \t\u00a0") == ""

    def opens_sentence(i: int) -> bool:
        return i == 0 or _SENTENCE_END.search(text, spans[i - 1][1], spans[i][0]) is not None

    def in_headline(i: int) -> bool:
        """A line written in Title Case (a headline) says nothing about names."""
        start = text.rfind("\n", 0, spans[i][0]) + 1
        if start not in headlines:
            end = text.find("\n", start)
            words = _TOKEN.findall(text, start, len(text) if end < 0 else end)
            capitalised = sum(1 for w in words if _capitalised(w))
            headlines[start] = len(words) >= 4 and capitalised >= 0.7 * len(words)
        return headlines[start]

    used: set[int] = set()
    if honorific:
        # A name after an honorific ("Sr. Pérez", "señora Gómez", "Dr. Ana Ruiz").
        for i in [i for i, word in enumerate(folded) if word in _HONORIFICS]:
            if i + 1 >= n or i + 1 in used or not nameable(i + 1):
                continue
            gap = text[spans[i][1] : spans[i + 1][0]]
            if gap.strip(" \t\u00a0") not in ("", ".") or gap == ".":
                continue
            j = i + 1
            while j + 1 < n and j - i < _MAX_NAME_WORDS and nameable(j + 1):
                if not spaced(j + 1) or j + 1 in places:
                    break
                j += 1
            found.append((i + 1, j + 1, _PERSON))
            used.update(range(i + 1, j + 1))
    # Runs of consecutive capitalised words.
    run_starts = [i for i in caps if i not in used and nameable(i)]
    k = 0
    while k < len(run_starts):
        i = j = run_starts[k]
        k += 1
        while (
            k < len(run_starts) and run_starts[k] == j + 1 and spaced(j + 1) and j + 1 not in places
        ):
            j += 1
            k += 1
        if j == i or in_headline(i):
            continue
        run = list(range(i, j + 1))
        if opens_sentence(i):
            run = run[1:]  # the first word of a sentence is capitalised anyway
        # A place may only open a name when it is also a first name (Santiago).
        if run and run[0] in places and folded[run[0]] not in _NAME_PLACES:
            run = run[1:]
        if 2 <= len(run) <= _MAX_NAME_WORDS:
            found.append((run[0], run[-1] + 1, _PERSON))
    return found


# --- per organisation: compiled once, recompiled when the catalogue or brands change ----


def gazetteer_entries() -> list[Entry]:
    return [
        Entry(name_words(name), "place", None, GAZETTEER, cased=True)
        for names in PLACES
        for name in names
    ]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def compile_matcher(catalogue: Sequence[tuple], brands: Sequence[tuple]) -> Matcher:
    """A matcher from catalogue rows (id, kind, name, aliases) and brand rows
    (id, name, keywords), plus the gazetteer."""
    entries = [
        Entry(name_words(name), kind, pk, CATALOGUE)
        for pk, kind, name, aliases in catalogue
        for name in [name, *_lines(aliases)]
    ]
    entries += [
        Entry(name_words(name), "brand", pk, BRAND)
        for pk, name, keywords in brands
        for name in [name, *_lines(keywords)]
    ]
    return Matcher([*entries, *gazetteer_entries()])


# organisation id → (the catalogue and brand rows it was compiled from, matcher)
_matchers: dict[int, tuple[tuple, Matcher]] = {}


def matchers_for(org_ids: Iterable[int]) -> dict[int, Matcher]:
    """The matcher of each organisation. Two small queries per batch read the catalogue
    and the brands; a matcher is compiled again only when what they hold has changed (an
    edit in the admin, in any process, shows in the next batch)."""
    org_ids = set(org_ids)
    catalogue: dict[int, list[tuple]] = defaultdict(list)
    brands: dict[int, list[tuple]] = defaultdict(list)
    for org, *row in (
        CatalogueItem.objects.filter(organisation_id__in=org_ids)
        .order_by("organisation_id", "kind", "name", "id")
        .values_list("organisation_id", "id", "kind", "name", "aliases")
    ):
        catalogue[org].append(tuple(row))
    for org, *row in (
        Brand.objects.filter(organisation_id__in=org_ids)
        .order_by("organisation_id", "id")
        .values_list("organisation_id", "id", "name", "keywords")
    ):
        brands[org].append(tuple(row))
    out = {}
    for org in org_ids:
        fingerprint = (tuple(catalogue[org]), tuple(brands[org]))
        cached = _matchers.get(org)
        if cached is None or cached[0] != fingerprint:
            cached = _matchers[org] = (fingerprint, compile_matcher(catalogue[org], brands[org]))
        out[org] = cached[1]
    return out


@stage("entities", order=260)
def find_entities(mentions: list[Mention]) -> None:
    """The catalogue's products, competitors and people, brands, places and people named."""
    matchers = matchers_for({m.organisation_id for m in mentions})
    now = connection.ops.adapt_datetimefield_value(clock.now())
    store(
        [
            (m.id, orjson.dumps(matchers[m.organisation_id].find(text_of(m))).decode(), MODEL, now)
            for m in mentions
        ],
        STORED,
    )


STORED = ("mention", "entities", "entity_model", "updated_at")
