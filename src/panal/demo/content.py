"""Demo mentions for Ceibo Telecom: varied, plausible, deterministic (docs/demo.md).

`generate(n, seed=..., days=..., now=...)` returns `n` DemoMention(account, data) where
`data` is a dict in Panal's normalised item format (what `parse_item` and `panal ingest`
read); `mention_dicts(...)` returns only the dicts. The demo loader, the tests and the
benchmarks all use it.

Every mention is built from its own random stream, seeded by (seed, index), so:

- the first N mentions of a longer run are the mentions of a run of N;
- a second run produces the same external ids, texts and authors (loading is idempotent);
- only timestamps follow `now`: mention i keeps its offset from the moment of the run.

Texts are composed from the parts in `phrases`: opener x core x detail x closer, filled
with places, plans, amounts and people of one of four countries, then dressed for the
channel (a handle, hashtags, emoji, an e-mail's greeting and signature, a review title)
and roughened like real writing (no accents, "q"/"xq", shouting, repeated letters).
The intended category is kept in `raw["demo_category"]` for evaluations; nothing in
Panal may read it.

Pure Python: no Django import, so `bench/` can generate files before Django starts.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from panal.core import clock

from . import phrases as P

DEFAULT_SEED = 2011  # the year of the articles in docs/seeds: a fixed, meaningless number
CATEGORIES = (
    "complaint",
    "question",
    "support",
    "praise",
    "billing",
    "purchase_intent",
    "spam",
    "competitor",
    "legal",
    "idea",
    "media",
    "recruiting",
)
CATEGORY_WEIGHTS = (22, 11, 11, 11, 8, 8, 8, 6, 5, 4, 3, 3)
FRESH_PER_CATEGORY = 3  # posts of each category placed in the last day (`_time`)

# Where each kind of mention tends to show up (relative weights per channel).
CHANNEL_WEIGHTS = {
    "complaint": {"x": 25, "facebook": 18, "instagram": 8, "whatsapp": 10, "google_play": 5,
                  "app_store": 2, "reddit": 8, "mastodon": 3, "bluesky": 3, "youtube": 5,
                  "telegram": 3, "email": 5, "rss": 2, "api": 3},
    "praise": {"x": 18, "facebook": 12, "instagram": 15, "google_play": 12, "app_store": 6,
               "youtube": 8, "mastodon": 4, "bluesky": 4, "reddit": 5, "api": 6, "whatsapp": 4,
               "telegram": 2, "email": 2, "rss": 2},
    "question": {"x": 14, "facebook": 14, "instagram": 10, "whatsapp": 15, "telegram": 8,
                 "reddit": 8, "api": 12, "youtube": 5, "mastodon": 3, "bluesky": 3, "email": 6},
    "support": {"whatsapp": 20, "telegram": 10, "api": 18, "x": 10, "facebook": 10,
                "google_play": 6, "app_store": 3, "reddit": 6, "youtube": 5, "email": 6,
                "instagram": 4, "mastodon": 1, "bluesky": 1},
    "purchase_intent": {"whatsapp": 18, "facebook": 15, "x": 12, "instagram": 12, "reddit": 12,
                        "api": 6, "email": 8, "telegram": 5, "youtube": 4, "mastodon": 2,
                        "bluesky": 2},
    "billing": {"whatsapp": 18, "email": 16, "x": 14, "facebook": 14, "google_play": 6,
                "app_store": 3, "telegram": 6, "api": 6, "reddit": 5, "instagram": 4},
    "media": {"email": 40, "x": 20, "rss": 20, "mastodon": 5, "bluesky": 7, "facebook": 3,
              "youtube": 3, "reddit": 2},
    "idea": {"api": 30, "google_play": 12, "app_store": 6, "x": 10, "reddit": 10, "facebook": 8,
             "mastodon": 5, "bluesky": 5, "instagram": 5, "youtube": 4, "email": 3},
    "competitor": {"x": 22, "reddit": 18, "facebook": 14, "instagram": 8, "rss": 10,
                   "youtube": 8, "mastodon": 4, "bluesky": 5, "whatsapp": 5, "api": 3},
    "recruiting": {"email": 20, "reddit": 20, "x": 15, "rss": 12, "facebook": 10,
                   "instagram": 6, "mastodon": 4, "bluesky": 4, "api": 3, "youtube": 3,
                   "telegram": 3},
    "legal": {"x": 22, "email": 22, "facebook": 15, "whatsapp": 8, "reddit": 10, "rss": 8,
              "google_play": 3, "mastodon": 3, "bluesky": 3, "instagram": 3, "telegram": 3},
    "spam": {"x": 20, "instagram": 20, "facebook": 15, "youtube": 15, "telegram": 8,
             "whatsapp": 4, "email": 8, "google_play": 4, "mastodon": 2, "bluesky": 4,
             "reddit": 3, "api": 3},
}  # fmt: skip

SOCIAL = {"x", "mastodon", "bluesky", "instagram", "facebook", "youtube"}
PRIVATE_CHANNELS = {"whatsapp", "telegram", "email"}
# Channels whose items say which language they are in (CHANNELS.md §13).
LANG_GIVEN = {"x", "mastodon", "bluesky", "google_play"}
# Local hour weights (0-23): quiet nights, busy evenings.
HOUR_WEIGHTS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5,
                5.5, 5.5, 5, 5, 5, 5.5, 6, 6.5, 6.5, 5.5, 4, 2.5)  # fmt: skip
COUNTRY_WEIGHTS = {"MX": 35, "CO": 25, "CL": 20, "AR": 20}
ENGLISH_SHARE = 0.2
AUTHOR_POOL = 700  # distinct regular authors per channel


@dataclass(frozen=True)
class AccountSpec:
    """A channel account of the demo company (the loader creates it with this slug)."""

    slug: str
    kind: str
    name: str
    handle: str = ""
    brand: str | None = None  # key of phrases.BRANDS


ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("ceibo-x-movil", "x", "Ceibo Móvil en X", "CeiboMovil", "movil"),
    AccountSpec("ceibo-x-fibra", "x", "Ceibo Fibra en X", "CeiboFibra", "fibra"),
    AccountSpec("ceibo-facebook-movil", "facebook", "Página de Ceibo Móvil", "CeiboMovil", "movil"),
    AccountSpec("ceibo-facebook-fibra", "facebook", "Página de Ceibo Fibra", "CeiboFibra", "fibra"),
    AccountSpec("ceibo-instagram", "instagram", "Instagram @ceibo.oficial", "ceibo.oficial"),
    AccountSpec("ceibo-mastodon", "mastodon", "Mastodon @ceibo", "ceibo@mastodon.social"),
    AccountSpec("ceibo-bluesky", "bluesky", "Bluesky", "ceibotelecom.bsky.social"),
    AccountSpec("ceibo-reddit", "reddit", "Reddit (escucha)", ""),
    AccountSpec("ceibo-youtube", "youtube", "YouTube Ceibo Telecom", "@CeiboTelecom"),
    AccountSpec("ceibo-telegram", "telegram", "Bot de Telegram", "CeiboAyudaBot"),
    AccountSpec(
        "ceibo-whatsapp-movil", "whatsapp", "WhatsApp Ceibo Móvil", "+52 55 5000 2301", "movil"
    ),
    AccountSpec(
        "ceibo-whatsapp-fibra", "whatsapp", "WhatsApp Ceibo Fibra", "+57 601 555 0199", "fibra"
    ),
    AccountSpec("ceibo-prensa", "email", "prensa@ceibo.example", "prensa@ceibo.example"),
    AccountSpec("ceibo-contacto", "email", "contacto@ceibo.example", "contacto@ceibo.example"),
    AccountSpec("ceibo-noticias", "rss", "Noticias, blogs y reseñas", ""),
    AccountSpec(
        "mi-ceibo-google-play", "google_play", "Mi Ceibo (Google Play)", "com.ceibo.miceibo"
    ),
    AccountSpec("mi-ceibo-app-store", "app_store", "Mi Ceibo (App Store)", "6443210987"),
    AccountSpec("ceibo-comunidad", "api", "Comunidad Ceibo (webhook)", "comunidad.ceibo.example"),
    # Receives files imported with `panal ingest`; the generator writes nothing to it.
    AccountSpec("ceibo-historico", "file", "Importación histórica", ""),
)
IMPORT_ACCOUNT = "ceibo-historico"


@dataclass(frozen=True)
class DemoMention:
    account: str  # AccountSpec.slug
    data: dict  # normalised item (parse_item input)


@dataclass
class Author:
    external_id: str
    handle: str
    display_name: str
    followers: int | None
    lang: str
    country: str
    first: str
    last: str
    is_bot: bool | None = None
    outlet: str = ""
    kind: str = "person"  # person, journalist, influencer, spammer
    verified: bool | None = None  # the network's badge; None where it has none
    bio: str = ""


# --- small random helpers -------------------------------------------------------------

_B32 = "234567abcdefghijklmnopqrstuvwxyz"
_B64URL = string.ascii_letters + string.digits + "-_"
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")


def _digits(rng: random.Random, count: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(count - 1))


def _chars(rng: random.Random, alphabet: str, count: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(count))


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _tag(i: int, width: int = 6) -> str:
    """A base-36 rendering of the index, embedded in ids so they never collide."""
    digits = string.digits + string.ascii_lowercase
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = digits[r] + out
        if i == 0:
            break
    return out.rjust(width, "0")


# --- the context of one mention: slot values ------------------------------------------


class Context:
    """Slot values for one mention: its country, language, brand and channel."""

    def __init__(
        self,
        rng: random.Random,
        lang: str,
        country: str,
        brand: str,
        channel: str,
        handle: str,
        private: bool,
    ) -> None:
        self.rng = rng
        self.lang = lang
        self.country = country
        self.c = P.COUNTRIES[country]
        self.brand = brand
        self.channel = channel
        self.handle = handle
        self.private = private
        self.city = rng.choice(list(self.c["cities"]))
        self.hood = rng.choice(self.c["cities"][self.city])
        if lang == "en":
            self.hood = self.hood.removeprefix("la ").removeprefix("el ")
        self._cache: dict[str, str] = {}
        self.used_cores: set[str] = set()

    # Values that stay the same within one mention (the city of the opener and the core).
    STABLE = {
        "city",
        "hood",
        "plan",
        "comp",
        "outlet",
        "outlet_en",
        "tech",
        "trip",
        "trip_en",
        "job",
        "job_en",
        "press_topic",
        "press_topic_en",
        "spokes",
        "legal_reason",
        "month",
    }

    def pin(self, name: str, value: str) -> None:
        """Fix a slot's value for this mention (a journalist's own outlet)."""
        self._cache[name] = value

    def slot(self, name: str) -> str:
        if name in self._cache:
            return self._cache[name]
        value = self._value(name)
        if name in self.STABLE:
            self._cache[name] = value
        return value

    def _money(self, low: int, high: int, step: int, ending: int) -> str:
        value = self.rng.randrange(low, high, step) + ending
        fmt, sep = self.c["money"]
        return "$" + fmt.format(max(value, step)).replace(",", sep)

    def _value(self, name: str) -> str:
        rng, c, en = self.rng, self.c, self.lang == "en"
        match name:
            case "co":
                return P.COMPANY
            case "B":
                return self.brand_ref()
            case "Bname":
                return P.BRANDS[self.brand]
            case "city":
                return self.city
            case "hood":
                return self.hood
            case "country_name":
                return c["name"]
            case "plan":
                plans = P.PLANS_EN if en else P.PLANS
                return rng.choice(plans[self.brand])
            case "planm":
                return rng.choice((P.PLANS_EN if en else P.PLANS)["movil"])
            case "planf" | "planf2":
                return rng.choice((P.PLANS_EN if en else P.PLANS)["fibra"])
            case "amount":
                return (
                    self._money(*c["plan_range"])
                    if rng.random() < 0.5
                    else self._money(*c["charge_range"])
                )
            case "amount2":
                return self._money(*c["plan_range"])
            case "hours":
                return rng.choice(
                    [
                        "2 horas",
                        "5 horas",
                        "toda la mañana",
                        "todo el día",
                        "desde anoche",
                        "más de 24 horas",
                        "12 horas",
                        "tres días",
                        "48 horas",
                        "toda la tarde",
                    ]
                )
            case "hours_en":
                return rng.choice(["3 hours", "the whole day", "since last night", "36 hours"])
            case "days":
                return rng.choice(
                    [
                        "2 días",
                        "3 días",
                        "una semana",
                        "10 días",
                        "dos semanas",
                        "un mes",
                        "cinco días",
                        "casi un mes",
                    ]
                )
            case "days_en":
                return rng.choice(["2 days", "a week", "10 days", "two weeks", "a month"])
            case "n":
                return str(rng.randint(2, 6))
            case "nth":
                return rng.choice(["segunda", "tercera", "cuarta", "quinta"])
            case "lines":
                return str(rng.choice([5, 8, 10, 12, 15, 20, 25, 40, 60]))
            case "speed_p":
                return str(rng.choice([200, 300, 500, 600, 700, 1000]))
            case "speed_r":
                return str(rng.choice([3, 5, 8, 12, 15, 20, 25, 40, 60, 80]))
            case "speed_ok":
                return str(rng.choice([290, 480, 510, 590, 650, 870, 920, 940]))
            case "ping":
                return str(rng.choice([120, 180, 250, 300, 400]))
            case "ping_ok":
                return str(rng.choice([4, 6, 8, 9, 12]))
            case "gb":
                return str(rng.choice([5, 8, 10, 12, 15, 20, 30, 50]))
            case "comp":
                return rng.choice(P.COMPETITORS)
            case "reg":
                return c["reg"].removeprefix("el ").removeprefix("la ") if en else c["reg"]
            case "treg":
                return c["treg"]
            case "dreg":
                return c["dreg"]
            case "drights":
                return c["drights"]
            case "ticket_word":
                return c["ticket"]
            case "ticket":
                return "#" + _digits(rng, rng.choice([7, 8, 9]))
            case "contract":
                return f"{rng.choice('ACFM')}{_digits(rng, 9)}"
            case "month":
                return rng.choice(P.MONTHS_ES)
            case "month_en":
                return rng.choice(P.MONTHS_EN)
            case "weekday" | "weekday2":
                return rng.choice(P.WEEKDAYS_ES)
            case "weekday_en":
                return rng.choice(P.WEEKDAYS_EN)
            case "tech":
                return rng.choice(P.TECH_NAMES)
            case "trip":
                return rng.choice(P.TRIPS_ES)
            case "trip_en":
                return rng.choice(P.TRIPS_EN)
            case "device":
                return rng.choice(P.DEVICES)
            case "year":
                return str(rng.randint(2009, 2025))
            case "years":
                return str(rng.randint(2, 12))
            case "months":
                return str(rng.randint(2, 18))
            case "age":
                return str(rng.randint(19, 74))
            case "close_hour":
                return rng.choice(["las 5 pm", "las 18:00", "las 20 h", "mediodía", "las 3"])
            case "outlet":
                return rng.choice(P.OUTLETS_ES)
            case "outlet_en":
                return rng.choice(P.OUTLETS_EN)
            case "job":
                return rng.choice(P.JOBS_ES)
            case "job_en":
                return rng.choice(P.JOBS_EN)
            case "press_topic":
                return rng.choice(P.PRESS_TOPICS_ES)
            case "press_topic_en":
                return rng.choice(P.PRESS_TOPICS_EN)
            case "spokes":
                return rng.choice(P.SPOKESPEOPLE["en" if en else "es"])
            case "legal_reason":
                return rng.choice(P.LEGAL_REASONS_ES)
            case "legal_reason_en":
                return rng.choice(P.LEGAL_REASONS_EN)
            case "full_name":
                return f"{rng.choice(c['first'])} {rng.choice(c['last'])} {rng.choice(c['last'])}"
            case "spam_handle":
                return rng.choice(
                    [
                        "premios_ya",
                        "sorteos.mx",
                        "gana_hoy_2026",
                        "promo_recargas",
                        "cripto_facil",
                        "regalos_latam",
                    ]
                )
            case "fake_phone":
                prefix = rng.choice(["52 55", "57 3", "56 9", "54 9 11"])
                return f"+{prefix}{_digits(rng, 4)} {_digits(rng, 4)}"
            case "friend":
                return (
                    _ascii(rng.choice(c["nick"]))
                    + rng.choice(["", "_", "."])
                    + str(rng.randint(1, 99))
                )
            case "phish_url":
                return rng.choice(
                    [
                        "http://ceibo-premios.example-login.top/reclamar",
                        "https://bit.example/ceibo-gb",
                        "http://ceib0.example/regalo",
                    ]
                )
        raise KeyError(f"unknown slot {{{name}}}")

    def brand_ref(self) -> str:
        """How the author names the brand: the account's handle on social networks, else a name."""
        rng = self.rng
        name = P.BRANDS[self.brand]
        if self.private:
            return rng.choice([P.COMPANY, name])
        if self.channel in SOCIAL and self.handle and rng.random() < 0.7:
            return "@" + self.handle.lstrip("@").split("@")[0]
        return rng.choice([P.COMPANY, name, name, name.lower(), P.COMPANY.lower()])


def render(template: str, ctx: Context, depth: int = 0) -> str:
    """Fill `[a|b]` choices and `{slot}` values (slot values may hold templates too)."""
    text = template
    while "[" in text:
        new = _BRACKETS.sub(lambda m: ctx.rng.choice(m.group(1).split("|")), text)
        if new == text:
            break
        text = new

    def fill(m: re.Match) -> str:
        value = ctx.slot(m.group(1))
        if depth < 3 and ("{" in value or "[" in value):
            value = render(value, ctx, depth + 1)
        return value

    return _SLOT.sub(fill, text)


def _join(parts: Sequence[str]) -> str:
    """Join sentence parts, fixing the capital letter after each part's end."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = _capitalise(part)
        elif out[-1] in ".!?:…" or out.endswith(("🙏", "😡")):
            out += " " + _capitalise(part)
        else:
            out += " " + part
    out = re.sub(r"\s+([,.])", r"\1", out)
    return re.sub(r"([?!])\.", r"\1", out).strip()


def _capitalise(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
        if ch not in "¿¡\"'“(":
            return text
    return text


# --- roughening: how real people write ---------------------------------------------------

_TYPOS_ES = [
    (r"\bque\b", "q"),
    (r"\bporque\b", "xq"),
    (r"\bpor favor\b", "porfa"),
    (r"\btambién\b", "tmb"),
    (r"\bpor\b", "x"),
    (r"\bestá\b", "esta"),
    (r"\bnada\b", "nda"),
    (r"\bmás\b", "mas"),
    (r"\bsí\b", "si"),
    (r"\bqué\b", "que"),
    (r"\bhola\b", "ola"),
]
_TYPOS_EN = [
    (r"\byou\b", "u"),
    (r"\bplease\b", "pls"),
    (r"\bthanks\b", "thx"),
    (r"\bbecause\b", "bc"),
]


def roughen(text: str, rng: random.Random, lang: str, mood: str) -> str:
    """Apply the habits of informal writing, each with its own probability."""
    if lang == "es" and rng.random() < 0.18:
        text = _ascii(text)  # no accents
    if rng.random() < 0.22:
        for pattern, repl in _TYPOS_ES if lang == "es" else _TYPOS_EN:
            if rng.random() < 0.6:
                text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    if lang == "es" and rng.random() < 0.15:
        text = text.replace("¿", "").replace("¡", "")
    if rng.random() < 0.12:
        text = text[:1].lower() + text[1:]
    if mood == "angry":
        if rng.random() < 0.06:
            text = text.upper()
        elif rng.random() < 0.15:
            text = re.sub(r"[.!]$", "!!!", text) if text.endswith((".", "!")) else text + "!!"
    if rng.random() < 0.07:  # a stretched last word: "graciaaas", "porfaaa"
        words = text.split(" ")
        w = words[-1]
        if len(w) >= 3 and w.isalpha():
            words[-1] = w + w[-1] * rng.randint(2, 4)
        elif len(w) >= 4 and w[:-1].isalpha():
            words[-1] = w[:-1] + w[-2] * rng.randint(2, 4) + w[-1]
        text = " ".join(words)
    if rng.random() < 0.05:
        text = text.rstrip(".") + "..."
    return text


def _decorate(text: str, rng: random.Random, ctx: Context, mood: str) -> str:
    """Emoji and hashtags where the channel invites them."""
    if ctx.channel in SOCIAL | {"telegram", "whatsapp"} and rng.random() < 0.35:
        emoji = rng.choice(P.EMOJI[mood])
        text = f"{text} {emoji * rng.choice([1, 1, 1, 2, 3])}".strip()
    if (
        ctx.channel in {"x", "instagram", "mastodon", "bluesky"}
        and not ctx.private
        and rng.random() < 0.25
    ):
        tags = P.HASHTAGS[ctx.lang][mood]
        picked = rng.sample(tags, k=min(len(tags), rng.choice([1, 1, 2, 3])))
        text += " " + " ".join(t.replace("{co}", P.COMPANY) for t in picked)
    if ctx.channel == "instagram" and rng.random() < 0.1:
        text += (
            " "
            + rng.choice(["@", "cc @"])
            + _ascii(rng.choice(ctx.c["nick"]))
            + str(rng.randint(1, 99))
        )
    return text


# --- authors ---------------------------------------------------------------------------


class Authors:
    """Deterministic author pools per channel; a few people post often, most once."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._cache: dict[tuple[str, str, int], Author] = {}
        self._handles: set[tuple[str, str]] = set()  # (channel, handle): handles are unique

    def pick(self, rng: random.Random, channel: str, category: str) -> Author:
        if category == "media" and channel in SOCIAL | {"email"} and rng.random() < 0.8:
            return self.get(channel, "journalist", rng.randrange(len(P.JOURNALISTS)))
        if category == "spam" and rng.random() < 0.7:
            return self.get(channel, "spammer", rng.randrange(40))
        if (
            channel in {"x", "instagram", "youtube", "bluesky"}
            and category in {"praise", "complaint", "competitor", "idea"}
            and rng.random() < 0.03
        ):
            return self.get(channel, "influencer", rng.randrange(len(P.INFLUENCERS)))
        return self.get(channel, "person", int(AUTHOR_POOL * rng.random() ** 1.7))

    def get(self, channel: str, kind: str, j: int) -> Author:
        key = (channel, kind, j)
        if key not in self._cache:
            rng = random.Random(f"panal-demo:{self.seed}:author:{channel}:{kind}:{j}")
            author = self._make(rng, channel, kind, j)
            if author.handle and (channel, author.handle) in self._handles:
                author.handle = self._renamed(channel, author.handle, j)
            self._handles.add((channel, author.handle))
            self._cache[key] = author
        return self._cache[key]

    @staticmethod
    def _renamed(channel: str, handle: str, j: int) -> str:
        """The same name taken: add the pool index, as people add digits."""
        if channel == "mastodon":
            user, host = handle.split("@", 1)
            return f"{user}{j}@{host}"
        if channel == "bluesky":
            return handle.replace(".bsky.social", f"{j}.bsky.social")
        return f"{handle}{j}"

    def _make(self, rng: random.Random, channel: str, kind: str, j: int) -> Author:
        outlet = ""
        is_bot: bool | None = None
        if kind == "journalist":
            display, stem, followers, lang, country, outlet = P.JOURNALISTS[j]
            first, last = display.split()[0], display.split()[1]
            handle = stem
        elif kind == "influencer":
            display, stem, followers, lang, country = P.INFLUENCERS[j]
            first, last, handle = display.split()[0], "", stem
        else:
            lang = "en" if rng.random() < ENGLISH_SHARE else "es"
            country = _weighted(rng, COUNTRY_WEIGHTS)
            if kind.startswith("burst:"):  # a voice of a fast-growing thread (see BURSTS)
                lang, country = "es", kind.split(":", 1)[1]
            c = P.COUNTRIES[country]
            if lang == "en":
                first, last, nicks = rng.choice(P.EN_FIRST), rng.choice(P.EN_LAST), P.EN_NICK
            else:
                first, last, nicks = rng.choice(c["first"]), rng.choice(c["last"]), c["nick"]
            if kind == "spammer":
                stem = rng.choice(
                    [
                        "promo",
                        "gana",
                        "sorteo",
                        "cripto",
                        "recargas",
                        "ofertas",
                        "followers",
                        "premios",
                    ]
                )
                tail = rng.choice(["ya", "hoy", "latam", "mx", "vip"])
                handle = f"{stem}_{tail}{rng.randint(10, 9999)}"
                display = rng.choice(
                    [handle.upper(), "Promociones 🎁", "💰 Gana Dinero 💰", "Ofertas Latam", handle]
                )
                followers = rng.randint(0, 300)
                is_bot = rng.random() < 0.5 or None
            else:
                handle = self._handle(rng, first, last, nicks, country)
                display = self._display(rng, first, last, nicks, c["flag"])
                followers = int(rng.lognormvariate(4.6, 1.4))
                if rng.random() < 0.02:
                    followers = rng.randint(10_000, 90_000)  # a local voice
        first_ascii = _ascii(first).lower()
        ext, handle_out = self._identity(rng, channel, handle, first_ascii, j, kind)
        if channel in PRIVATE_CHANNELS | {"google_play", "app_store", "rss", "api", "reddit"}:
            followers = None  # these networks do not say
        if channel == "facebook":
            handle_out = ""  # pages see a name and a page-scoped id, no handle
        verified, bio = self._profile(rng, channel, kind, lang, outlet, country)
        return Author(
            external_id=ext,
            handle=handle_out,
            display_name=display,
            followers=followers,
            lang=lang,
            country=country,
            first=first,
            last=last,
            is_bot=is_bot,
            outlet=outlet,
            kind=kind,
            verified=verified,
            bio=bio,
        )

    @staticmethod
    def _profile(
        rng: random.Random, channel: str, kind: str, lang: str, outlet: str, country: str
    ) -> tuple[bool | None, str]:
        """(verified, bio) where the network shows them: journalists and influencers are
        verified and say what they do; some people write a line about themselves."""
        if channel not in SOCIAL:
            return None, ""
        if kind == "journalist":
            bio = rng.choice(P.JOURNALIST_BIOS[lang]).replace("{outlet}", outlet)
            return True, bio
        if kind == "influencer":
            return True, P.INFLUENCER_BIOS[lang]
        if kind == "spammer":
            return False, rng.choice(["", "💰💰💰", "Gana dinero desde casa"])
        bio = ""
        if rng.random() < 0.3:
            city = rng.choice(list(P.COUNTRIES[country]["cities"]))
            bio = rng.choice(P.PERSON_BIOS[lang]).replace("{city}", city)
        return False, bio

    @staticmethod
    def _handle(rng: random.Random, first: str, last: str, nicks: list[str], country: str) -> str:
        f, la = _ascii(first).lower().replace(" ", ""), _ascii(last).lower().replace("'", "")
        style = rng.randrange(6)
        if style == 0:
            return f"{f}{la}{rng.randint(1, 99)}"
        if style == 1:
            return f"{f}_{la[:1]}"
        if style == 2:
            return f"{_ascii(rng.choice(nicks))}.{country.lower()}"
        if style == 3:
            return f"{f[:1]}{la}"
        if style == 4:
            return f"{_ascii(rng.choice(nicks))}_{rng.randint(80, 2005)}"
        return f"{la}{f[:3]}"

    @staticmethod
    def _display(rng: random.Random, first: str, last: str, nicks: list[str], flag: str) -> str:
        style = rng.randrange(6)
        if style == 0:
            return f"{first} {last}"
        if style == 1:
            return first
        if style == 2:
            return f"{rng.choice(nicks).capitalize()} {flag}"
        if style == 3:
            return f"{first} {last[:1]}."
        if style == 4:
            return f"{first} {last} {rng.choice(['✨', '🌵', '⚽', '🎧', '📚', '🐾', ''])}".strip()
        return f"{first.lower()} {last.lower()}"

    @staticmethod
    def _identity(
        rng: random.Random, channel: str, handle: str, first: str, j: int, kind: str
    ) -> tuple[str, str]:
        """(external id, handle) in the network's own shape."""
        uniq = f"{kind[0]}{j}"
        match channel:
            case "mastodon":
                host = rng.choice(
                    [
                        "mastodon.social",
                        "mstdn.mx",
                        "tkz.one",
                        "mastodon.cl",
                        "col.social",
                        "mastodon.online",
                    ]
                )
                return _digits(rng, 18), f"{handle}@{host}"
            case "bluesky":
                return "did:plc:" + _chars(rng, _B32, 24), f"{handle}.bsky.social"
            case "reddit":
                return "t2_" + _chars(rng, string.ascii_lowercase + string.digits, 8), handle
            case "x":  # letters, digits and underscores only
                return _digits(rng, rng.choice([9, 10, 18, 19])), handle.replace(".", "_")
            case "facebook":
                return _digits(rng, 16), ""
            case "instagram":
                return _digits(rng, 17), handle.replace("-", "_")
            case "youtube":
                return "UC" + _chars(rng, _B64URL, 22), "@" + handle.replace(".", "")
            case "telegram":
                return _digits(rng, 10), handle if rng.random() < 0.7 else ""
            case "whatsapp":
                prefix = rng.choice(["52155", "573", "569", "54911"])
                return prefix + _digits(rng, 8), ""
            case "email":
                domain = rng.choice(
                    ["correo.example", "mail.example.com", "posta.example", "inbox.example.org"]
                )
                address = f"{handle.replace('_', '.')}@{domain}"
                return address, address
            case "google_play" | "app_store" | "rss":
                return f"{channel}:{uniq}:{handle}", ""
            case "api":
                return f"u-{uniq}", handle
        return f"{channel}:{uniq}", handle


# --- one mention -----------------------------------------------------------------------


class _Builder:
    def __init__(
        self, seed: int, days: float, now: datetime, accounts: Sequence[AccountSpec]
    ) -> None:
        self.seed, self.days, self.now = seed, days, now
        self.accounts = [a for a in accounts if a.kind != "file"] or list(accounts)
        self.spec = {a.slug: a for a in self.accounts}
        self.by_channel: dict[str, list[AccountSpec]] = {}
        for a in self.accounts:
            self.by_channel.setdefault(a.kind, []).append(a)
        self.authors = Authors(seed)
        # Per account: recent mentions others may reply to, and private chats by author.
        self.recent: dict[str, list[tuple[dict, str, str]]] = {}
        self.chats: dict[tuple[str, str], dict] = {}
        self.incident_at = now - timedelta(days=min(6.0, days * 0.2), hours=3)
        self.bursts: dict[str, tuple[dict, str]] = {}  # key → (root item, its city)
        self.fresh: Counter = Counter()  # category → its first posts placed in the last day

    def account_for(self, rng: random.Random, category: str) -> AccountSpec:
        weights = {ch: w for ch, w in CHANNEL_WEIGHTS[category].items() if ch in self.by_channel}
        if not weights:
            return rng.choice(self.accounts)
        channel = _weighted(rng, weights)
        options = self.by_channel[channel]
        if channel == "email" and len(options) > 1:
            want = "prensa" if category in {"media", "recruiting"} else "contacto"
            options = [a for a in options if want in a.slug] or options
        return rng.choice(options)

    def build(self, i: int) -> tuple[DemoMention, Author, dict | None]:
        """Mention i, its author, and the earlier item it answers (if any)."""
        rng = random.Random(f"panal-demo:{self.seed}:{i}")
        if i < 2 * len(CATEGORIES):  # the first few cover every category, for small demos
            category = CATEGORIES[i % len(CATEGORIES)]
        else:
            category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
        account = self.account_for(rng, category)
        channel = account.kind
        # A public reply to an earlier mention on the same account?
        parent = None
        candidates = self.recent.get(account.slug, [])
        threaded = channel not in {"rss", "google_play", "app_store", "email"}
        share = 0.22 if channel in {"reddit", "facebook", "youtube", "api"} else 0.14
        if candidates and threaded and rng.random() < share:
            parent = candidates[int(len(candidates) * (1 - rng.random() ** 2)) - 1]
        if parent is not None:
            category = (
                parent[1] if rng.random() < 0.8 else rng.choice(["complaint", "question", "spam"])
            )
        author = self.authors.pick(rng, channel, category)
        brand = account.brand or rng.choice(["movil", "movil", "fibra", "fibra", "fibra"])
        private = parent is None and self._private(rng, channel, category)
        # A private message from someone who wrote here before continues that chat.
        chat = self.chats.get((account.slug, author.external_id)) if private else None
        follows = chat is not None and rng.random() < 0.6
        if follows and chat is not None:
            category = chat["raw"]["demo_category"]
        ctx = Context(rng, author.lang, author.country, brand, channel, account.handle, private)
        if author.outlet:
            ctx.pin("outlet_en" if author.lang == "en" else "outlet", author.outlet)
        item = self._compose(rng, ctx, category, author, parent, chat if follows else None)
        item["raw"] = {
            "demo_category": category,
            "demo_lang": author.lang,
            "demo_country": author.country,
            **item.get("raw", {}),
        }
        self._remember(account, item, category, author)
        answered = parent[0] if parent is not None else (chat if follows else None)
        return DemoMention(account.slug, item), author, answered

    def burst(self, i: int) -> tuple[DemoMention, Author, dict | None] | None:
        """Mention i of a fast-growing complaint thread (phrases.BURSTS): its root, or one
        of the replies that pile up within the hour. None when the account is not there."""
        key, k = BURST_PLAN[i]
        slug, country, roots, replies = P.BURSTS[key]
        account = self.spec.get(slug)
        if account is None or (k >= 0 and key not in self.bursts):
            return None
        rng = random.Random(f"panal-demo:{self.seed}:burst:{i}")
        author = self.authors.get(account.kind, f"burst:{country}", i)
        brand = account.brand or "fibra"
        ctx = Context(rng, "es", country, brand, account.kind, account.handle, False)
        parent = None
        if k < 0:
            text = render(rng.choice(roots), ctx)
        else:
            parent, city = self.bursts[key]
            ctx.pin("city", city)
            ctx.hood = rng.choice(ctx.c["cities"].get(city) or [ctx.hood])
            text = roughen(render(replies[k % len(replies)], ctx), rng, "es", "angry")
        item = {
            "visibility": "public",
            "text": text,
            "raw": {
                "demo_category": "complaint",
                "demo_lang": "es",
                "demo_country": country,
                "demo_burst": key,
            },
        }
        if k < 0:  # others may answer the root too (its replies are near "now": not them)
            self.bursts[key] = (item, ctx.city)
            self._remember(account, item, "complaint", author)
        return DemoMention(account.slug, item), author, parent

    def _private(self, rng: random.Random, channel: str, category: str) -> bool:
        if channel in PRIVATE_CHANNELS:
            return True
        if channel in {"facebook", "instagram", "x"}:
            dm_share = (
                0.3 if category in {"support", "billing", "purchase_intent", "question"} else 0.05
            )
            return rng.random() < dm_share
        return False

    def _remember(self, account: AccountSpec, item: dict, category: str, author: Author) -> None:
        if item["visibility"] == "private":
            self.chats[(account.slug, author.external_id)] = item
            return
        if account.kind in {"rss", "google_play", "app_store", "email"}:
            return
        bucket = self.recent.setdefault(account.slug, [])
        bucket.append((item, category, author.external_id))
        del bucket[:-60]

    # -- text ------------------------------------------------------------------------

    def _core(self, rng: random.Random, ctx: Context, category: str) -> str:
        """One core sentence of the category, never the same template twice in a mention."""
        bank = P.CORES[ctx.lang][category]
        pool = bank.get(ctx.brand, []) + bank.get("any", [])
        if rng.random() < 0.3:
            pool = bank.get("any") or pool
        used = ctx.used_cores
        fresh = [t for t in pool if t not in used] or pool
        template = rng.choice(fresh)
        used.add(template)
        return render(template, ctx)

    def _sentence(
        self,
        rng: random.Random,
        ctx: Context,
        category: str,
        *,
        long: bool = False,
        frame: bool = True,
    ) -> str:
        """Opener, core, details and closer (`frame=False`: no opener or closer, for e-mail)."""
        mood = P.MOOD[category]
        lang = ctx.lang
        if category == "spam":
            parts = [
                render(rng.choice(P.SPAM_HOOKS[lang]), ctx),
                self._core(rng, ctx, category),
                render(rng.choice(P.SPAM_CALLS[lang]), ctx),
            ]
            text = _join(parts)
            return text.upper() if rng.random() < 0.1 else text
        opener_pool = list(P.OPENERS[lang][mood])
        closer_pool = list(P.CLOSERS[lang][mood])
        if lang == "es" and mood in {"angry", "happy", "ask"} and rng.random() < 0.45:
            key = {"angry": "angry", "happy": "happy", "ask": "ask"}[mood]
            opener_pool = ctx.c[f"{key}_open"]
            closer_pool = closer_pool + ctx.c[f"{key}_close"] * 2
        first = render(rng.choice(opener_pool), ctx) if frame else ""
        core = self._core(rng, ctx, category)
        n_details = (1 if rng.random() < 0.35 else 0) + (rng.randint(1, 2) if long else 0)
        pool = P.DETAILS[lang][mood]
        details = [render(t, ctx) for t in rng.sample(pool, k=min(n_details, len(pool)))]
        if long and rng.random() < 0.4 and category != "spam":
            details.append(self._core(rng, ctx, category))
        closer = render(rng.choice(closer_pool), ctx)
        if lang == "es" and rng.random() < 0.08 and mood != "formal":
            closer = f"{closer} {rng.choice(ctx.c['slang'])}".strip()
        text = _join([first, core, *details, closer if frame else ""])
        if mood == "formal":
            return text
        return roughen(text, rng, lang, mood)

    def _compose(
        self,
        rng: random.Random,
        ctx: Context,
        category: str,
        author: Author,
        parent: tuple | None,
        chat: dict | None,
    ) -> dict:
        """The item's text fields; `chat` is the author's earlier private message it follows."""
        channel, lang, mood = ctx.channel, ctx.lang, P.MOOD[category]
        item: dict = {"visibility": "private" if ctx.private else "public"}
        if parent is not None and category == "spam" and parent[1] != "spam":
            text = self._sentence(rng, ctx, "spam")  # a bot answering a real person
        elif parent is not None:
            pool = P.REPLIES[lang].get(category) or P.REPLIES[lang]["complaint"]
            parts = [render(rng.choice(pool), ctx)]
            if rng.random() < 0.4 and category != "spam":
                parts.append(self._core(rng, ctx, category))
            tails = P.REPLY_TAILS[lang]["angry" if mood == "angry" else "other"]
            parts.append(render(rng.choice(tails), ctx))
            text = roughen(_join(parts), rng, lang, mood)
        elif chat is not None:
            text = _join(
                [
                    render(rng.choice(P.DM_PREFIXES[lang]), ctx),
                    render(rng.choice(P.DM_FOLLOWUPS[lang]), ctx),
                ]
            )
            text = roughen(text, rng, lang, "ask")
            if chat.get("title"):
                item["title"] = "Re: " + chat["title"].removeprefix("Re: ")
                text += f"\n\n{author.first}"
        elif channel in {"google_play", "app_store"}:
            cat = category if category in P.REVIEW[lang] else "complaint"
            parts = [
                render(rng.choice(P.REVIEW_OPENERS[lang][cat]), ctx),
                render(rng.choice(P.REVIEW[lang][cat]), ctx),
            ]
            if rng.random() < 0.4 and cat != "spam":
                parts.append(self._core(rng, ctx, cat))
            parts.append(render(rng.choice(P.REVIEW_TAILS[lang]), ctx))
            text = roughen(_join(parts), rng, lang, P.MOOD[cat])
            low, high = P.RATING[cat]
            item["rating"] = rng.randint(low, high)
            if channel == "app_store":
                item["title"] = render(rng.choice(P.REVIEW_TITLES[lang][cat]), ctx)
        elif channel == "rss":
            text = self._article(rng, ctx, category, item)
        elif channel == "email":
            text = self._email(rng, ctx, category, author, item)
        elif channel in {"reddit", "api"}:
            text = self._sentence(rng, ctx, category, long=rng.random() < 0.6)
            titles = (P.REDDIT_TITLES if channel == "reddit" else P.COMMUNITY_TITLES)[lang]
            if category in titles:
                item["title"] = render(rng.choice(titles[category]), ctx)
        else:
            text = self._sentence(rng, ctx, category)
            if channel == "x" and len(text) > 280:
                text = text[:277].rsplit(" ", 1)[0] + "…"
        if channel not in {"rss", "email", "google_play", "app_store", "api", "reddit"}:
            text = _decorate(text, rng, ctx, mood)
        item["text"] = text
        return item

    def _article(self, rng: random.Random, ctx: Context, category: str, item: dict) -> str:
        bank = P.ARTICLES[ctx.lang]
        cat = category if category in bank else "media"
        if category == "recruiting":
            site = next(s for s in P.RSS_SITES if s[1].startswith("opinatrabajo"))
        else:
            sites = [s for s in P.RSS_SITES if s[2] == ctx.lang and not s[1].startswith("opina")]
            site = rng.choice(sites)
        title, summary = rng.choice(bank[cat])
        item["title"] = render(title, ctx)
        item["raw"] = {"site": site[0]}
        item["_site"] = site[1]
        parts = [render(summary, ctx), render(rng.choice(P.ARTICLE_EXTRAS[ctx.lang]), ctx)]
        if cat in {"media", "complaint", "legal", "competitor"} and rng.random() < 0.5:
            parts.append(render(rng.choice(P.SPOKESPEOPLE_QUOTES[ctx.lang]), ctx))
        return _join(parts)

    def _email(
        self, rng: random.Random, ctx: Context, category: str, author: Author, item: dict
    ) -> str:
        lang = ctx.lang
        subjects = P.EMAIL_SUBJECTS[lang]
        item["title"] = render(rng.choice(subjects.get(category) or subjects["question"]), ctx)
        body = self._sentence(rng, ctx, category, long=True, frame=False)
        greeting = render(rng.choice(P.EMAIL_GREETINGS[lang]), ctx)
        signoff = rng.choice(P.EMAIL_SIGNOFFS[lang])
        name = f"{author.first} {author.last}".strip()
        signature = f"{signoff}\n{name}"
        if author.outlet:
            signature += f"\n{author.outlet}"
        elif category == "purchase_intent" and rng.random() < 0.6:
            signature += "\n" + rng.choice(
                ["Compras", "Administración", "Gerencia", "Coordinación de TI"]
            )
        if category == "spam":
            return body
        return f"{greeting}\n\n{body}\n\n{signature}"


# --- ids, URLs, times ------------------------------------------------------------------


def _finish(
    b: _Builder, i: int, m: DemoMention, author: Author, rng: random.Random, parent: dict | None
) -> None:
    """Give the item its network-shaped ids, URL, author fields and metrics."""
    item = m.data
    spec = b.spec[m.account]
    channel = spec.kind
    private = item["visibility"] == "private"
    tag = _tag(i)
    reply_to = parent["external_id"] if parent else ""
    root = (parent.get("thread_external_id") or parent["external_id"]) if parent else ""
    kind = "mention"
    url = ""
    cap = "public_reply"
    match channel:
        case "mastodon":
            ext = f"11{_digits(rng, 10)}{i:06d}"
            kind = "reply" if parent else "mention"
            host = author.handle.split("@")[-1]
            url = f"https://{host}/@{author.handle.split('@')[0]}/{ext}"
            if private:
                item["visibility"] = "unlisted" if rng.random() < 0.3 else "private"
                cap = "private_reply"
        case "bluesky":
            rkey = "3l" + _chars(rng, _B32, 5) + tag[-6:].rjust(6, "2")
            ext = f"at://{author.external_id}/app.bsky.feed.post/{rkey}"
            kind = "reply" if parent else "mention"
            url = f"https://bsky.app/profile/{author.handle}/post/{rkey}"
        case "reddit":
            sub = rng.choice(
                P.COUNTRIES[author.country]["subs"]
                if author.lang == "es"
                else ["expats", "digitalnomad", "travel", "IWantOut"]
            )
            if parent:
                ext = "t1_" + _chars(rng, string.ascii_lowercase + string.digits, 3) + tag
                kind = "comment"
                post = root.removeprefix("t3_")
                sub = parent["raw"].get("subreddit", sub)
                slug = parent["raw"].get("slug", "post")
                permalink = f"/r/{sub}/comments/{post}/{slug}/{ext[3:]}/"
                item["title"] = ""
            else:
                ext = "t3_1" + _chars(rng, string.ascii_lowercase + string.digits, 1) + tag
                kind = "post"
                slug = re.sub(r"[^a-z0-9]+", "_", _ascii(item.get("title", "")).lower()).strip("_")
                slug = slug[:50] or "post"
                permalink = f"/r/{sub}/comments/{ext[3:]}/{slug}/"
                item["raw"] = {**item.get("raw", {}), "slug": slug}
            item["raw"] = {**item.get("raw", {}), "subreddit": sub, "permalink": permalink}
            url = "https://www.reddit.com" + permalink
        case "x":
            ext = f"18{_digits(rng, 11)}{i:06d}"
            if private:
                kind, cap = "direct_message", "private_reply"
                ext = f"dm-{ext}"
            else:
                kind = "reply" if parent else "mention"
                url = f"https://x.com/{author.handle}/status/{ext}"
        case "facebook":
            page = "1029384756" + ("01" if spec.brand == "movil" else "02")
            if private:
                ext = "m_" + _chars(rng, _B64URL, 20) + tag
                kind, cap = "direct_message", "dm_window_open_until"
            elif parent:
                post = root.split("_")[1] if "_" in root else root
                ext = f"{post}_{_digits(rng, 9)}{i:06d}"
                kind = "reply"
                url = f"https://www.facebook.com/{page}/posts/{post}?comment_id={ext.split('_')[1]}"
            else:
                post = f"{_digits(rng, 9)}{i:06d}"
                ext = f"{page}_{post}"
                kind = "comment" if rng.random() < 0.8 else "post"
                url = f"https://www.facebook.com/{page}/posts/{post}"
        case "instagram":
            if private:
                ext = "aWdf" + _chars(rng, _B64URL, 24) + tag
                kind, cap = "direct_message", "dm_window_open_until"
            else:
                ext = f"17{_digits(rng, 9)}{i:06d}"
                kind = "reply" if parent else "comment"
                code = (parent or {}).get("raw", {}).get("shortcode") or _chars(rng, _B64URL, 11)
                item["raw"] = {**item.get("raw", {}), "shortcode": code}
                url = f"https://www.instagram.com/p/{code}/c/{ext}/"
        case "youtube":
            video = (parent or {}).get("raw", {}).get("video") or _chars(rng, _B64URL, 11)
            item["raw"] = {**item.get("raw", {}), "video": video}
            if parent:
                ext = f"{root}.{_chars(rng, _B64URL, 16)}{tag}"
                kind = "reply"
            else:
                ext = "Ugz" + _chars(rng, _B64URL, 17) + tag
                kind = "comment"
            url = f"https://www.youtube.com/watch?v={video}&lc={ext}"
        case "telegram":
            chat = author.external_id
            ext = f"{chat}:{1000 + i}"
            kind, cap = "direct_message", "private_reply"
            item["thread_external_id"] = chat
        case "whatsapp":
            ext = "wamid.HBgM" + _chars(rng, _B64URL, 28) + tag
            kind, cap = "direct_message", "dm_window_open_until"
            item["thread_external_id"] = author.external_id
        case "email":
            ext = f"<{_chars(rng, _B64URL, 16)}.{tag}@{author.handle.split('@')[-1]}>"
            kind, cap = "email", "private_reply"
        case "rss":
            site = item.pop("_site")
            slug = re.sub(r"[^a-z0-9]+", "-", _ascii(item["title"]).lower()).strip("-")[:70]
            ext = url = f"https://{site}/{rng.choice(P.RSS_SECTIONS)}/{slug}-{tag}"
            kind, cap = "article", "none"
        case "google_play":
            ext = "gp:AOqpTO" + _chars(rng, _B64URL, 40) + tag
            kind = "review"
            url = f"https://play.google.com/store/apps/details?id={spec.handle}&reviewId={ext}"
        case "app_store":
            ext = f"{_digits(rng, 5)}{i:06d}"
            kind = "review"
            url = f"https://apps.apple.com/app/id{spec.handle}?see-all=reviews"
            cap = "public_reply"
        case _:  # api: the owned community forum behind the signed webhook
            topic = parent["raw"].get("topic") if parent else f"{rng.randint(1000, 9999)}{tag}"
            ext = f"post-{topic}-{1 if not parent else rng.randint(2, 60)}{tag}"
            kind = "comment" if parent else "post"
            item["raw"] = {**item.get("raw", {}), "topic": topic}
            url = f"https://{spec.handle or 'comunidad.ceibo.example'}/t/{topic}"
    if parent:
        item["in_reply_to_external_id"] = reply_to
        # Chats are threaded by conversation (wa_id, chat id), the rest by their first item.
        item.setdefault("thread_external_id", root)
    item["external_id"] = ext
    item["kind"] = kind
    item["reply_capability"] = cap
    if url:
        item["url"] = url
    item["author_external_id"] = author.external_id
    if author.handle:
        item["author_handle"] = author.handle
    item["author_display_name"] = author.display_name
    if author.followers is not None:
        item["author_followers"] = author.followers
    if author.is_bot:
        item["author_is_bot"] = True
    if author.verified is not None:
        item["author_verified"] = author.verified
    if author.bio:
        item["author_description"] = author.bio
    # The author's country, as a post's place, a store's territory or a phone number tells it.
    item["country"] = item["raw"]["demo_country"]
    if channel in LANG_GIVEN or (channel == "youtube" and rng.random() < 0.3):
        item["lang"] = author.lang
    if not private and channel in SOCIAL | {"reddit"}:
        reach = (author.followers or 50) ** 0.5
        item["metrics"] = {
            "likes": int(rng.random() ** 3 * reach * 3),
            "replies": int(rng.random() ** 4 * 12),
            "reposts": int(rng.random() ** 5 * reach),
        }


def _time(b: _Builder, rng: random.Random, m: DemoMention, parent: dict | None) -> datetime:
    """Created time: a local hour weighted like real traffic; replies soon after their parent."""
    if parent is not None:
        parent_at = datetime.fromisoformat(parent["created_at"].replace("Z", "+00:00"))
        at = parent_at + timedelta(minutes=rng.lognormvariate(3.3, 1.2))
        return min(at, b.now - timedelta(seconds=rng.randint(5, 120)))
    data = m.data
    utc = P.COUNTRIES[data["raw"]["demo_country"]]["utc"]
    outage = (
        data["raw"]["demo_category"] == "complaint"
        and data["raw"]["demo_country"] == "CO"
        and rng.random() < 0.45
    )
    if outage:  # the evening the fibre failed in Colombia: a spike for crisis detection
        data["raw"]["demo_incident"] = "caida-fibra-co"
        return b.incident_at + timedelta(minutes=rng.randint(0, 7 * 60))
    day = int(rng.random() * b.days)
    category = data["raw"]["demo_category"]
    if b.fresh[category] < FRESH_PER_CATEGORY:
        # The first posts of each kind are from today or yesterday, whatever the hour the
        # demo is loaded: routing opens cases only for recent posts (a week), so every
        # story (a lead for sales, a complaint's case, …) has cases to show.
        b.fresh[category] += 1
        day = 0
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local_midnight = (b.now + timedelta(hours=utc)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    at = (
        local_midnight
        - timedelta(days=day, hours=utc)
        + timedelta(hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    )
    if at > b.now:
        at -= timedelta(days=1)
    return max(at, b.now - timedelta(days=b.days))


# --- fast-growing threads (phrases.BURSTS): a complaint and its replies within the hour ---

BURST_FIRST = 40  # the roots' indexes: 40, 41, …; their replies follow every 9th index


def _burst_plan() -> dict[int, tuple[str, int]]:
    """index → (burst key, reply number, -1 for the root). Fixed indexes, so even a
    small demo holds the threads, and mention i never depends on how many are made."""
    plan: dict[int, tuple[str, int]] = {}
    for n, (key, spec) in enumerate(P.BURSTS.items()):
        plan[BURST_FIRST + n] = (key, -1)
        slots = (
            i
            for i in range(BURST_FIRST + 3, 10_000)
            if i % 9 == (7 + 4 * n) % 9 and i not in P.HOSTILE and i not in plan
        )
        for k, _ in enumerate(spec[3]):
            plan[next(slots)] = (key, k)
    return plan


BURST_PLAN = _burst_plan()


def _burst_time(b: _Builder, i: int, rng: random.Random, parent: dict | None) -> datetime:
    """The root 55 minutes ago; its replies spread over the hour since, newest last."""
    if parent is None:
        return b.now - timedelta(minutes=55, seconds=rng.randint(0, 60))
    key, k = BURST_PLAN[i]
    parent_at = datetime.fromisoformat(parent["created_at"].replace("Z", "+00:00"))
    step = 50 / (len(P.BURSTS[key][3]) + 1)
    at = parent_at + timedelta(minutes=(k + 1) * step, seconds=rng.randint(0, 50))
    return min(at, b.now - timedelta(seconds=rng.randint(5, 60)))


# --- hostile inputs (phrases.HOSTILE): the demo shows they are stored and escaped ------


def _hostile(b: _Builder, i: int) -> DemoMention:
    channel, category, fields = P.HOSTILE[i]
    specs = b.by_channel.get(channel) or b.accounts
    rng = random.Random(f"panal-demo:{b.seed}:hostile:{i}")
    spec = specs[0]
    author = b.authors.get(spec.kind, "person", 900 + i)
    brand = spec.brand or "fibra"
    ctx = Context(
        rng, "es", author.country, brand, spec.kind, spec.handle, spec.kind in PRIVATE_CHANNELS
    )
    item: dict = {"visibility": "private" if ctx.private else "public", "text": ""}
    if spec.kind == "rss":
        item["_site"] = P.RSS_SITES[0][1]
        item["title"] = "Ceibo anuncia cobertura 5G <b>en todo el país</b>"
    item.update(
        {k: v for k, v in fields.items() if k not in {"lang", "author_display_name", "url"}}
    )
    item["raw"] = {
        "demo_category": category,
        "demo_lang": fields.get("lang", "es"),
        "demo_country": author.country,
        "demo_hostile": True,
    }
    m = DemoMention(spec.slug, item)
    _finish(b, i, m, author, rng, None)
    for key in ("lang", "author_display_name", "url"):
        if key in fields:
            item[key] = fields[key]
    return m


# --- the public functions --------------------------------------------------------------


def iter_mentions(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    days: float = 30,
    now: datetime | None = None,
    accounts: Sequence[AccountSpec] = ACCOUNTS,
) -> Iterator[DemoMention]:
    """`n` demo mentions over the last `days` days, one at a time (parents before replies)."""
    now = (now or clock.now()).replace(microsecond=0)
    b = _Builder(seed, days, now, accounts)
    for i in range(n):
        rng = random.Random(f"panal-demo:{seed}:{i}:shape")
        burst = b.burst(i) if i in BURST_PLAN else None
        if i in P.HOSTILE:
            m, parent = _hostile(b, i), None
        elif burst is not None:
            m, author, parent = burst
            _finish(b, i, m, author, rng, parent)
            m.data["created_at"] = _burst_time(b, i, rng, parent).strftime("%Y-%m-%dT%H:%M:%SZ")
            yield m
            continue
        else:
            m, author, parent = b.build(i)
            _finish(b, i, m, author, rng, parent)
        m.data["created_at"] = _time(b, rng, m, parent).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield m


def generate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    days: float = 30,
    now: datetime | None = None,
    accounts: Sequence[AccountSpec] = ACCOUNTS,
) -> list[DemoMention]:
    """`n` demo mentions as a list (see `iter_mentions`)."""
    return list(iter_mentions(n, seed=seed, days=days, now=now, accounts=accounts))


def mention_dicts(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    days: float = 30,
    now: datetime | None = None,
    accounts: Sequence[AccountSpec] = ACCOUNTS,
) -> list[dict]:
    """Only the normalised items of `generate` (for files, tests and benchmarks)."""
    return [m.data for m in generate(n, seed=seed, days=days, now=now, accounts=accounts)]


def summary(mentions: Sequence[DemoMention | dict]) -> dict[str, Counter]:
    """Counts per intended category, channel account and language."""
    out: dict[str, Counter] = {"category": Counter(), "account": Counter(), "lang": Counter()}
    for m in mentions:
        data = m.data if isinstance(m, DemoMention) else m
        out["category"][data["raw"]["demo_category"]] += 1
        out["lang"][data["raw"]["demo_lang"]] += 1
        if isinstance(m, DemoMention):
            out["account"][m.account] += 1
    return out


def fingerprint(items: Sequence[dict]) -> str:
    """A short digest of the generated texts and ids (what a re-run must reproduce)."""
    digest = hashlib.sha256()
    for d in items:
        digest.update(f"{d['external_id']}\x1f{d.get('title', '')}\x1f{d['text']}\x1e".encode())
    return digest.hexdigest()[:16]
