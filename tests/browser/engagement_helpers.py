"""What the engagement stories share: the interface's words in Spanish and English, people
who chose a language, signing in through the login page, and ingesting through the real
service so that the pipeline understands and routes what customers write."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from panal.core import clock
from panal.demo import builders
from panal.engagement.models import Case
from panal.listening import services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item
from panal.org import services as org_services
from panal.org.models import Membership, Team
from panal.understanding.models import Understanding
from tests.conftest import PASSWORD

LANGS = ["es", "en"]

# What the pages say in Spanish, by their English text (written out here, not read from
# the catalogue, so that an untranslated or mistranslated label fails the Spanish runs).
SPANISH = {
    "Log in": "Iniciar sesión",
    "Cases": "Casos",
    "Leads": "Leads",
    "Approvals": "Aprobaciones",
    "Notifications": "Notificaciones",
    "Conversation": "Conversación",
    "Reply": "Respuesta",
    "This reply is public.": "Esta respuesta es pública.",
    "From the knowledge base": "De la base de conocimiento",
    "Insert answer": "Insertar respuesta",
    "Your reply": "Tu respuesta",
    "Send": "Enviar",
    "Sent": "Enviada",
    "On the network": "En la red",
    "Internal notes": "Notas internas",
    "Note": "Nota",
    "Add note": "Añadir nota",
    "%(who)s mentioned you on case #%(id)s": "%(who)s te mencionó en el caso #%(id)s",
    "Write an article from this case": "Escribir un artículo a partir de este caso",
    "Title": "Título",
    "Text": "Texto",
    "Language": "Idioma",
    "Save and publish": "Guardar y publicar",
    "Stage": "Etapa",
    "New": "Nuevo",
    "Contacted": "Contactado",
    "Set stage": "Cambiar la etapa",
    "Goodwill": "Compensación",
    "Kind": "Tipo",
    "Refund": "Reembolso",
    "Credit": "Crédito",
    "Reason": "Motivo",
    "Grant": "Conceder",
    "Waiting for approval": "Esperando aprobación",
    "Granted": "Concedida",
    "decided by %(who)s": "decidida por %(who)s",
    "Waiting for your decision": "Esperando tu decisión",
    "Approve": "Aprobar",
    "Approved: case #%(id)s.": "Aprobada: caso #%(id)s.",
}
# An amount as the pages write it: two decimals in the language's way, then the currency.
AMOUNT = {"es": "{},00\u00a0EUR", "en": "{}.00\u00a0EUR"}


def say(lang: str, text: str, **values) -> str:
    """The interface's `text` (its English source) as the pages show it in `lang`."""
    words = SPANISH[text] if lang == "es" else text
    return words % values if values else words


def money(lang: str, amount: int) -> str:
    return AMOUNT[lang].format(amount)


def seasoned(org) -> None:
    """Everyone joined a year ago: no new-staff approval of their replies."""
    Membership.objects.filter(organisation=org).update(joined_at=clock.now() - timedelta(days=365))


def speaking(lang: str, *users) -> None:
    """Each user chose `lang` as their interface language."""
    for user in users:
        org_services.set_language(user, lang)


def move_to_team(org, user, department: str) -> None:
    """Keep the user's roles, in the team of that department."""
    membership = Membership.objects.get(organisation=org, user=user)
    team = Team.objects.get(organisation=org, department=department)
    org_services.add_member(org, user, membership.roles, team)


def salesperson(org, lang: str):
    """`ventas`: an agent of the sales team, speaking `lang`."""
    user = builders.member(org, "agent", username="ventas", password=PASSWORD)
    move_to_team(org, user, "sales")
    speaking(lang, user)
    return user


def login(page: Page, live_server, username: str, lang: str, path: str = "/") -> None:
    """Sign in through the login page and land on `path` in the user's language.

    The browser asks for Spanish (its locale), so the login page is in Spanish; once
    signed in, the language the user chose in Panal (`speaking`) is the page's."""
    page.goto(f"{live_server.url}/login/?next={path}")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=say("es", "Log in")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
    expect(page.locator("html")).to_have_attribute("lang", lang)


def ingest(account, *rows: dict) -> list[Mention]:
    """Store rows through the real ingest service. Called outside any test transaction,
    the pipeline (understanding, then routing) runs at commit as in production."""
    result = services.ingest(account, [parse_item(r) for r in rows])
    found = Mention.objects.in_bulk([result.ids[r["external_id"]] for r in rows])
    return [found[result.ids[r["external_id"]]] for r in rows]


def intents(mention: Mention) -> list[str]:
    """The intents the built-in models found in the mention."""
    understanding = Understanding.objects.get(mention=mention)
    return [item["label"] for item in understanding.intents or []]


def case_of(mention: Mention) -> Case:
    """The case routing opened (or joined) for the mention."""
    return Case.objects.get(links__mention=mention)
