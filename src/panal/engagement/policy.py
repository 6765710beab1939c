"""The policy checker: risky text in a reply, before it goes out (docs/engagement.md#replies).

`check(text, user=…, case=…)` returns `Flag`s, each with a code, a severity and a plain
message in the user's language:

- `personal_data` (block): an e-mail address, a phone number, an IBAN (mod 97), a payment
  card number (Luhn) or a Spanish DNI/NIE (its control letter). Never in a public reply;
  in a private one (a direct message) it is only a warning.
- `regulated` (warn): promises and advice that consumer, financial and health rules
  single out ("guaranteed returns", "sin riesgo", "cura"…), in Spanish and English.
- `authority` (block, lifted by approval): a money amount with its currency ("300 €",
  "USD 50") above the goodwill the author may grant.
- `empty` and `too_long` (block): what the channel itself would refuse.

Everything here is pure text work except the author's limit (`panal.engagement.authority`)
and the channel's length rule (`panal.channels.replies.refusal`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

BLOCK = "block"
WARN = "warn"
MAX_FLAGS = 20
EXCERPT = 60


@dataclass(frozen=True)
class Flag:
    code: str  # personal_data | regulated | authority | empty | too_long
    severity: str  # block | warn
    message: str
    excerpt: str = ""

    @property
    def blocks(self) -> bool:
        return self.severity == BLOCK

    @property
    def lifted_by_approval(self) -> bool:
        """A block an approver may lift (promising more than one's own authority)."""
        return self.code == "authority"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str  # an ISO code when known, else the sign as written ("$")
    start: int
    end: int
    text: str


# --- personal data ------------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.@+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A national number or one with its international prefix; the shape is checked after.
PHONE = re.compile(r"(?<![\w+#/.,-])(?:\+|00)?\(?\d[\d \-.()]{5,20}\d(?![\w])")
US_PHONE = re.compile(r"^\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}$")
CARD = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w])")
# The control letter: upper case, or lower case written right after the digits (so that
# "12345678 y" is a number and a word, not a DNI).
DNI = re.compile(r"(?<![\w])(\d{8})(?:[ -]?([A-Z])|([a-z]))(?!\w)")
NIE = re.compile(r"(?<![\w])([XYZ])[ -]?(\d{7})(?:[ -]?([A-Z])|([a-z]))(?!\w)")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# IBAN lengths of the countries our customers bank in most; others: 15 to 34.
IBAN_LENGTHS = {
    "ES": 24, "PT": 25, "FR": 27, "IT": 27, "DE": 22, "GB": 22, "IE": 22, "NL": 18,
    "BE": 16, "AT": 20, "CH": 21, "LU": 20, "AD": 24, "PL": 28, "SE": 24, "DK": 18,
}  # fmt: skip
# A number right after these words is an order, ticket or case number, not a phone.
REFERENCE_BEFORE = re.compile(
    r"(?:#|\b(?:pedido|pedidos|order|orders|ref|referencia|reference|factura|invoice|ticket"
    r"|tracking|seguimiento|albar[aá]n|env[ií]o|shipment|caso|case|incidencia|expediente"
    r"|localizador|booking|reserva|cliente|customer|contrato|contract|p[oó]liza|policy)\b)"
    r"\s*(?:n(?:[º°o]|\.º|um(?:ber)?|[uú]mero)?\.?\s*)?[:#]?\s*$",
    re.IGNORECASE,
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _is_reference(text: str, start: int) -> bool:
    return bool(REFERENCE_BEFORE.search(text[max(0, start - 30) : start]))


def _phone_shape(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    stripped = raw.lstrip("(")
    if stripped.startswith("+") or stripped.startswith("00"):
        national = digits[2:] if stripped.startswith("00") else digits
        return 8 <= len(national) <= 15
    if len(digits) == 9 and digits[0] in "6789":  # Spanish mobiles and landlines
        return True
    return bool(US_PHONE.match(raw))


def personal_data(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each piece of personal data in `text`, in order."""
    found: list[tuple[str, int, int]] = []
    taken = [False] * len(text)

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(kind: str, start: int, end: int) -> None:
        found.append((kind, start, end))
        for i in range(start, end):
            taken[i] = True

    for m in IBAN.finditer(text):
        compact = m.group().replace(" ", "")
        # The greedy match may run into a following code: try the country's length.
        length = IBAN_LENGTHS.get(compact[:2], len(compact))
        if len(compact) >= length and _iban_ok(compact[:length]):
            end, seen = m.start(), 0
            while seen < length:
                if text[end] != " ":
                    seen += 1
                end += 1
            take("iban", m.start(), end)
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if (
            free(*m.span())
            and 13 <= len(digits) <= 19
            and digits[0] in "23456"
            and _luhn(digits)
            and not _is_reference(text, m.start())
        ):
            take("card", *m.span())
    for m in DNI.finditer(text):
        number, letter = m.group(1), (m.group(2) or m.group(3)).upper()
        if free(*m.span()) and DNI_LETTERS[int(number) % 23] == letter:
            take("dni", *m.span())
    for m in NIE.finditer(text):
        prefix, number, letter = m.group(1), m.group(2), (m.group(3) or m.group(4)).upper()
        value = int(str("XYZ".index(prefix)) + number)
        if free(*m.span()) and DNI_LETTERS[value % 23] == letter:
            take("dni", *m.span())
    for m in EMAIL.finditer(text):
        if free(*m.span()):
            take("email", *m.span())
    for m in PHONE.finditer(text):
        raw = m.group().rstrip(" .-(")
        end = m.start() + len(raw)
        if free(m.start(), end) and _phone_shape(raw) and not _is_reference(text, m.start()):
            take("phone", m.start(), end)
    return sorted(found, key=lambda f: f[1])


def _kind_label(kind: str) -> str:
    return {
        "email": _("an e-mail address"),
        "phone": _("a phone number"),
        "iban": _("a bank account number (IBAN)"),
        "card": _("a payment card number"),
        "dni": _("an identity document number (DNI/NIE)"),
    }[kind]


# --- regulated promises and advice ------------------------------------------------------------

# Chosen from what the rules single out as misleading or reserved: the EU's Unfair
# Commercial Practices Directive (Annex I: claims that a product cures illnesses, "free"
# and risk-free offers), Spain's rules on health advertising (RD 1907/1996: "cura",
# "milagro", no side effects) and on investments (CNMV warnings: guaranteed returns,
# "sin riesgo", doubling money), and advice only a licensed professional may give
# (medical, legal, financial). Compared without accents or case, as whole words; a
# match is a warning for the author to check, never a refusal.
REGULATED_TERMS = {
    "es": [
        "garantizado", "garantizada", "garantizados", "garantizadas", "garantizamos",
        "te lo garantizo", "os lo garantizo", "rentabilidad garantizada",
        "beneficio garantizado", "beneficios garantizados", "sin riesgo", "sin riesgos",
        "libre de riesgo", "cero riesgo", "100% seguro", "100% segura", "totalmente seguro",
        "cura", "curar", "curara", "cura definitiva", "milagro", "milagroso", "milagrosa",
        "sin efectos secundarios", "consejo medico", "asesoramiento financiero",
        "consejo financiero", "asesoramiento legal", "consejo legal", "duplica tu dinero",
        "duplicar tu dinero", "no puedes perder", "dinero facil", "hazte rico",
    ],
    "en": [
        "guaranteed", "we guarantee", "i guarantee", "guaranteed return", "guaranteed returns",
        "guaranteed profit", "guaranteed profits", "guaranteed income", "risk-free",
        "risk free", "no risk", "zero risk", "100% safe", "100% secure", "100% guaranteed",
        "cure", "cures", "will cure", "miracle", "miraculous", "no side effects",
        "medical advice", "financial advice", "investment advice", "legal advice",
        "double your money", "can't lose", "cannot lose", "easy money", "get rich",
    ],
}  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so positions stay the same."""
    out = []
    for ch in text:
        low = ch.lower()
        out.append(unicodedata.normalize("NFD", low)[:1] or ch if len(low) else ch)
    return "".join(out).replace("\u2019", "'")


def _term_pattern(term: str) -> str:
    parts = []
    for word in fold(term).split():
        piece = re.escape(word)
        piece = piece.replace("%", r"\s?%").replace(r"\-", r"[-\s]?")
        parts.append(piece)
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


# Longest first, so "rentabilidad garantizada" is reported rather than "garantizada".
REGULATED = re.compile(
    "|".join(
        _term_pattern(t)
        for t in sorted({t for ts in REGULATED_TERMS.values() for t in ts}, key=len, reverse=True)
    )
)


def regulated_terms(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in REGULATED.finditer(fold(text))]


# --- money ------------------------------------------------------------------------------------

CURRENCY_CODES = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "$": "$", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "dolar": "USD", "dolares": "USD", "dólar": "USD", "dólares": "USD",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "libra": "GBP", "libras": "GBP",
    "mxn": "MXN", "ars": "ARS", "cop": "COP", "clp": "CLP", "chf": "CHF",
}  # fmt: skip
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
# Codes in capitals only ("50 cop" is not Colombian pesos); words in any case.
_CODES = r"(?-i:EUR|USD|GBP|MXN|ARS|COP|CLP|CHF)"
_SIGN_BEFORE = rf"US\$|€|\$|£|\b{_CODES}\b"
_SIGN_AFTER = rf"€|\$|£|\b(?:{_CODES}|euros?|d[oó]lar(?:es)?|dollars?|libras?|pounds?)\b"
MONEY = re.compile(
    rf"(?P<cur1>{_SIGN_BEFORE})[ \u00a0]?(?P<num1>{_NUMBER})(?![\d.,]*\d)"
    rf"|(?<![\w.,])(?P<num2>{_NUMBER})[ \u00a0]?(?P<cur2>{_SIGN_AFTER})",
    re.IGNORECASE,
)


def parse_number(raw: str) -> Decimal:
    """A written amount with Spanish or English separators ("1.234,56", "1,234.56")."""
    s = raw.replace("\u00a0", "").replace("\u202f", "")
    if "," in s and "." in s:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        s = s.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        pieces = s.split(sep)
        # "1.500" and "1,500" are thousands; "12,50" and "12.5" are decimals.
        s = s.replace(sep, "") if len(pieces) > 2 or len(pieces[-1]) == 3 else s.replace(sep, ".")
    return Decimal(s)


def amounts(text: str) -> list[Amount]:
    """Money amounts written with a currency sign, code or word."""
    out = []
    for m in MONEY.finditer(text):
        number = m.group("num1") or m.group("num2")
        sign = (m.group("cur1") or m.group("cur2")).lower()
        try:
            value = parse_number(number)
        except InvalidOperation:
            continue
        out.append(Amount(value, CURRENCY_CODES.get(sign, sign.upper()), *m.span(), m.group()))
    return out


# --- the check ------------------------------------------------------------------------------


def excerpt(text: str, start: int, end: int) -> str:
    """The matched text with a little context, on one line."""
    left = max(0, start - 15)
    right = min(len(text), end + 15)
    piece = " ".join(text[left:right].split())
    if len(piece) > EXCERPT:
        piece = piece[: EXCERPT - 1] + "…"
    return ("…" if left else "") + piece + ("…" if right < len(text) else "")


def replies_privately(mention) -> bool:
    """Whether a reply to `mention` is seen only by the customer (a direct message)."""
    from panal.listening.choices import Kind, ReplyCapability

    if mention is None:
        return False
    return mention.reply_capability in (
        ReplyCapability.PRIVATE_REPLY,
        ReplyCapability.DM_WINDOW,
    ) or mention.kind in (Kind.DIRECT_MESSAGE, Kind.EMAIL)


def text_flags(text: str, *, private: bool) -> list[Flag]:
    """The flags that depend on the text alone (personal data and regulated terms)."""
    flags: list[Flag] = []
    for kind, start, end in personal_data(text):
        label = _kind_label(kind)
        if private:
            message = _(
                "Personal data (%(kind)s): this reply is private, but check the customer "
                "needs to see it."
            ) % {"kind": label}
        else:
            message = _(
                "Personal data (%(kind)s) must never be published in a public reply; ask the "
                "customer to continue by private message."
            ) % {"kind": label}
        flags.append(
            Flag("personal_data", WARN if private else BLOCK, message, text[start:end][:EXCERPT])
        )
    for start, end in regulated_terms(text):
        term = text[start:end]
        message = _(
            "“%(term)s” may be a regulated promise or advice: make sure it is true and "
            "allowed before sending."
        ) % {"term": term}
        flags.append(Flag("regulated", WARN, message, excerpt(text, start, end)))
    return flags


def authority_flags(text: str, user, case) -> list[Flag]:
    """A block when the text promises more money than the author may grant."""
    found = amounts(text)
    if not found or user is None or not getattr(user, "pk", None):
        return []
    try:
        from . import authority
    except ImportError:  # the authority module is not installed: no limit to check
        return []
    organisation = case.organisation
    over = authority.promises_above_authority(user, organisation, [a.value for a in found])
    if over is None:
        return []
    limit = authority.limit_for(user, organisation)
    worst = next((a for a in found if a.value == over), max(found, key=lambda a: a.value))
    from .cases import config_for

    currency = config_for(organisation.pk).currency
    if limit is None:
        message = _(
            "The reply promises %(amount)s, above what you may grant; it needs approval."
        ) % {"amount": worst.text}
    else:
        message = _(
            "The reply promises %(amount)s, above your goodwill limit of %(limit)s per case; "
            "it needs approval."
        ) % {"amount": worst.text, "limit": authority.money(limit, currency)}
    return [Flag("authority", BLOCK, message, worst.text)]


def channel_flags(text: str, mention) -> list[Flag]:
    """`too_long`: the channel takes the reply's account and window but not this text."""
    if mention is None or not text.strip():
        return []
    from panal.channels import replies

    if replies.refusal(mention) is not None:  # the channel itself refuses: said elsewhere
        return []
    reason = replies.refusal(mention, text)
    return [Flag("too_long", BLOCK, reason)] if reason else []


def check(text: str, *, user, case, mention=None) -> list[Flag]:
    """Everything risky in a reply to `case` (its latest mention unless `mention`)."""
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        return [Flag("empty", BLOCK, _("The reply is empty."))]
    if mention is None:
        from .cases import mentions_of

        mention = mentions_of(case).last()
    flags = [
        *channel_flags(text, mention),
        *text_flags(text, private=replies_privately(mention)),
        *authority_flags(text, user, case),
    ]
    flags.sort(key=lambda f: f.severity != BLOCK)
    return flags[:MAX_FLAGS]


def blocking(flags: list[Flag]) -> list[Flag]:
    return [f for f in flags if f.blocks]
