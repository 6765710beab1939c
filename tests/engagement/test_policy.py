"""The policy checker: personal data, regulated promises, authority, the channel's length,
in Spanish and English, with the look-alikes it must leave alone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from panal.engagement import cases, policy
from tests.channels.test_telegram import TelegramHarness
from tests.engagement.test_composer import open_case, telegram_mention


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def tg(org, users):
    harness = TelegramHarness(org)
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def dm_case(org, tg):
    """A case on a private Telegram message (Telegram takes at most 4096 characters)."""
    return open_case(org, telegram_mention(tg, 0))


def kinds(text: str) -> list[tuple[str, str]]:
    return [(kind, text[start:end]) for kind, start, end in policy.personal_data(text)]


# --- personal data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Escríbenos a ana.ruiz+pedidos@correo.example.es",
            [("email", "ana.ruiz+pedidos@correo.example.es")],
        ),
        ("Write to support@acme.example.com.", [("email", "support@acme.example.com")]),
        ("Llámanos al 612 345 678, de 9 a 18", [("phone", "612 345 678")]),
        ("o al +34 912-345-678", [("phone", "+34 912-345-678")]),
        ("o al 0034 612345678", [("phone", "0034 612345678")]),
        ("Call us on +44 20 7946 0958 today", [("phone", "+44 20 7946 0958")]),
        (
            "Call (555) 123-4567 or 555.123.4567",
            [("phone", "(555) 123-4567"), ("phone", "555.123.4567")],
        ),
        ("Tu IBAN ES91 2100 0418 4502 0005 1332 OK", [("iban", "ES91 2100 0418 4502 0005 1332")]),
        ("IBAN DE89370400440532013000.", [("iban", "DE89370400440532013000")]),
        ("card 4111 1111 1111 1111 please", [("card", "4111 1111 1111 1111")]),
        ("tarjeta 5500-0000-0000-0004", [("card", "5500-0000-0000-0004")]),
        ("DNI 12345678Z y NIE X1234567L", [("dni", "12345678Z"), ("dni", "X1234567L")]),
        ("dni 12345678-Z", [("dni", "12345678-Z")]),
    ],
)
def test_personal_data_is_found(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "En 2026 abrimos tienda; desde 1999 con vosotros",  # years
        "Tu pedido 612345678 sale hoy",  # an order number that looks like a mobile
        "Order #5551234567 has shipped",
        "Ref: 912345678, factura nº 612345678",
        "Seguimiento 4500123456 y caso 12345",
        "La cita es el 12.05.2026 a las 10:30",
        "Cuesta 1.500,50 € o 1,500.50 USD",
        "card 4111 1111 1111 1112 (Luhn fails)",  # not a card, not a phone
        "número 1234567890123",  # 13 digits starting with 1: no card network
        "DNI 12345678A",  # wrong control letter
        "el pedido 12345678 y luego",  # a number and the word "y"
        "Hola @ana@mastodon.social, te leemos",  # a fediverse handle, not an e-mail
        "IBAN ES00 2100 0418 4502 0005 1332",  # fails mod 97
        "Mira https://acme.example/p/612345678",
    ],
)
def test_look_alikes_are_not_personal_data(text):
    assert kinds(text) == []


# --- regulated promises ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Rentabilidad GARANTIZADA, sin riesgo", "Rentabilidad GARANTIZADA"),
        ("Es una inversión sin riesgos", "sin riesgos"),
        ("Te lo garantizo", "Te lo garantizo"),
        ("Es 100 % seguro", "100 % seguro"),
        ("Este gel cura la dermatitis", "cura"),
        ("Un producto milagroso", "milagroso"),
        ("It's risk-free and guaranteed", "risk-free"),
        ("Guaranteed returns of 8%", "Guaranteed returns"),
        ("This cream will cure acne", "will cure"),
        ("Our advisers give financial advice", "financial advice"),
        ("You can't lose", "can't lose"),
        ("You can’t lose", "can’t lose"),  # noqa: RUF001 - the typographic apostrophe
    ],
)
def test_regulated_terms_are_found_in_both_languages(text, term):
    found = [text[s:e] for s, e in policy.regulated_terms(text)]
    assert found[0] == term


@pytest.mark.parametrize(
    "text",
    [
        "Tiene garantía de dos años",  # a warranty is not a guarantee of results
        "Procuramos responder rápido",  # "cura" inside a word
        "Security updates are curated weekly",  # "cure" inside a word
        "Es un seguro de hogar",  # insurance, not "100% seguro"
        "No risks were found in the audit report",
    ],
)
def test_regulated_terms_need_whole_words(text):
    assert policy.regulated_terms(text) == []


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("300 €", "300", "EUR"),
        ("€300", "300", "EUR"),
        ("300€", "300", "EUR"),
        ("300 euros", "300", "EUR"),
        ("USD 50", "50", "USD"),
        ("50 USD", "50", "USD"),
        ("$50", "50", "$"),
        ("US$ 12", "12", "USD"),
        ("£20.", "20", "GBP"),
        ("1.234,56 €", "1234.56", "EUR"),
        ("$1,234.56", "1234.56", "$"),
        ("1.500 €", "1500", "EUR"),
        ("1,500 dollars", "1500", "USD"),
        ("12,50€", "12.50", "EUR"),
        ("12.5 EUR", "12.5", "EUR"),
        ("200 dólares", "200", "USD"),
    ],
)
def test_amounts_are_read_with_spanish_and_english_separators(text, value, currency):
    (amount,) = policy.amounts(text)
    assert amount.value == Decimal(value)
    assert amount.currency == currency


@pytest.mark.parametrize(
    "text", ["En 2026", "pedido 300", "50%", "50 usd", "3 pen drives", "1500 puntos"]
)
def test_numbers_without_a_currency_are_not_amounts(text):
    assert policy.amounts(text) == []


# --- the whole check on a case --------------------------------------------------------------------


def codes(flags) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in flags]


def test_personal_data_blocks_a_public_reply_and_warns_in_a_private_one(org, users, tg, dm_case):
    public = open_case(org, telegram_mention(tg, 4))
    text = "Escríbenos a ana@acme.example"
    flags = policy.check(text, user=users["agent"], case=public)
    assert codes(flags) == [("personal_data", "block")]
    assert "an e-mail address" in flags[0].message and "public reply" in flags[0].message
    assert flags[0].excerpt == "ana@acme.example"
    assert codes(policy.check(text, user=users["agent"], case=dm_case)) == [
        ("personal_data", "warn")
    ]


def test_regulated_terms_warn(users, dm_case):
    flags = policy.check("Sin riesgo y garantizado", user=users["agent"], case=dm_case)
    assert codes(flags) == [("regulated", "warn"), ("regulated", "warn")]
    assert "“Sin riesgo”" in flags[0].message


def test_a_promise_above_the_authors_limit_blocks_with_the_limit(users, dm_case):
    text = "Te devolvemos 300 € y un regalo de 20 €"
    (flag,) = policy.check(text, user=users["agent"], case=dm_case)
    assert (flag.code, flag.severity, flag.excerpt) == ("authority", "block", "300 €")
    assert flag.lifted_by_approval
    assert "150.00" in flag.message and "EUR" in flag.message
    # Within the limit, or from someone with no limit: nothing to flag.
    assert policy.check("Te devolvemos 100 €", user=users["agent"], case=dm_case) == []
    assert policy.check(text, user=users["director"], case=dm_case) == []
    # The organisation raises the agents' limit.
    config = cases.config_for(dm_case.organisation_id)
    config.authority = {"agent": "500"}
    config.save()
    assert policy.check(text, user=users["agent"], case=dm_case) == []


def test_empty_and_too_long_for_the_channel(users, dm_case):
    assert codes(policy.check("  \n", user=users["agent"], case=dm_case)) == [("empty", "block")]
    (flag,) = policy.check("x" * 4097, user=users["agent"], case=dm_case)
    assert flag.code == "too_long" and "4096" in flag.message
    assert policy.check("x" * 4096, user=users["agent"], case=dm_case) == []
