"""The demo company's engagement, as a team would find it after a busy month.

Business hours (Mexico City, with Saturday mornings and the year-end holidays), an SLA
per priority, agents with their skills and languages, a salesperson, five rules, reply
templates in Spanish and English, knowledge-base articles — set up before the mentions
go through the pipeline, so routing opens the cases. Afterwards some cases carry what
people did with them: notes with @mentions, replies, resolutions, goodwill within and
above authority (a pending approval), an agency draft waiting for approval, and the SLA
clocks checked.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from panal.core import clock
from panal.engagement import authority, cases, composer, csat, ideas, rules, sla
from panal.engagement.models import (
    AgentProfile,
    Article,
    Case,
    Csat,
    EngagementConfig,
    Idea,
    Note,
    ReplyTemplate,
)
from panal.org import services as org_services
from panal.org.choices import Role
from panal.org.models import Organisation, Team

HOURS = {
    "timezone": "America/Mexico_City",
    "week": {
        **{d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["09:00", "14:00"]],
    },
    "holidays": ["2026-12-25", "2027-01-01", "2027-12-25"],
}

PROFILES = {
    # username: (capacity, skills, languages)
    "agente": (25, ["technical_support", "complaint", "question"], ["es", "en"]),
    "gerente": (8, [], ["es", "en"]),
    "callcenter": (30, ["billing", "complaint", "purchase_intent"], ["es"]),
    "community": (15, ["media_opportunity", "praise", "crisis"], ["es", "en"]),
    "ventas": (20, ["purchase_intent", "question"], ["es", "en"]),
}

RULES = (
    {
        "name": "Influencers y periodistas: prioridad alta",
        "conditions": "author.followers >= 50000",
        "actions": "priority high\ntag influencer\nnotify team:pr",
    },
    {
        "name": "Facturación por WhatsApp al equipo de facturación",
        "conditions": "channel = whatsapp\nintent = billing",
        "actions": "assign team:billing\ntag whatsapp",
    },
    {
        "name": "Riesgo legal: escalar",
        "conditions": "intents has legal_risk",
        "actions": "escalate\nnotify team:legal\ntag legal",
        "stop_processing": True,
    },
    {
        "name": "Intención de compra que menciona a la competencia",
        "conditions": "intents has purchase_intent\nintents has competitor",
        "actions": "create_lead\ntag competencia",
    },
    {
        "name": "Agradecer los elogios en Mastodon",
        "conditions": "channel = mastodon\nintent = praise",
        "actions": "auto_reply template:gracias",
        "enabled": False,
    },
)

TEMPLATES = (
    ("Gracias", "gracias", "es", "¡Gracias, {first_name}! Se lo contamos al equipo. 💚",
     ["praise"]),
    ("Thanks", "gracias", "en", "Thank you, {first_name}! We'll pass it on to the team. 💚",
     ["praise"]),
    ("Disculpa y caso abierto", "disculpa", "es",
     "Hola {first_name}, lamentamos lo ocurrido. Abrimos el caso {case} y {agent} lo sigue "
     "personalmente; te escribimos por privado.", ["complaint", "technical_support"]),
    ("Apology and case", "disculpa", "en",
     "Hi {first_name}, we're sorry about this. We've opened case {case} and {agent} is "
     "following it personally; we'll message you privately.", ["complaint", "technical_support"]),
    ("Pedir datos por privado", "datos", "es",
     "Hola {first_name}, ¿nos envías por mensaje privado tu número de cliente? Así lo "
     "revisamos enseguida.", ["billing", "complaint"]),
    ("Ask for details privately", "datos", "en",
     "Hi {first_name}, could you send us your customer number by private message? We'll look "
     "into it right away.", ["billing", "complaint"]),
)  # fmt: skip

ARTICLES = (
    ("Cómo reiniciar el módem de fibra", "es", ["fibra", "router"],
     "1. Desconecta el módem de la corriente 30 segundos.\n2. Vuelve a conectarlo y espera a "
     "que la luz PON quede fija (unos 3 minutos).\n3. Si la luz LOS parpadea en rojo, hay un "
     "corte en la línea: abre un caso y enviaremos un técnico."),
    ("How to restart your fibre modem", "en", ["fibre", "router"],
     "1. Unplug the modem for 30 seconds.\n2. Plug it back in and wait until the PON light "
     "stays on (about 3 minutes).\n3. If the LOS light blinks red, the line is cut: open a "
     "case and we will send a technician."),
    ("Cómo leer tu factura", "es", ["factura", "cobro"],
     "Tu factura tiene tres bloques: la cuota del plan, los consumos fuera del plan y los "
     "impuestos. Un cobro duplicado suele ser un prorrateo por cambio de plan a mitad de mes."),
    ("Activar el roaming antes de viajar", "es", ["roaming", "viaje"],
     "Entra en la app Ceibo, Ajustes > Roaming, y activa el paquete del país de destino. El "
     "cambio tarda hasta 15 minutos."),
    ("Configurar el APN en Android", "es", ["apn", "datos móviles"],
     "Ajustes > Redes móviles > Nombres de puntos de acceso. Crea uno nuevo con el nombre "
     "internet.ceibo y deja el resto en blanco."),
    ("Setting up mobile data (APN) on Android", "en", ["apn", "mobile data"],
     "Settings > Mobile networks > Access point names. Add one named internet.ceibo and "
     "leave the rest empty."),
)  # fmt: skip

# How customers answer the satisfaction survey after a resolution: about half answer,
# mostly pleased; (score, comment) with an empty comment for most.
SURVEY_ANSWERS = (
    (5, ""), (5, ""), (5, "Rápido y amable, gracias."), (4, ""), (4, ""),
    (4, "Se resolvió, aunque tardaron un día."), (3, ""), (2, "Tuve que escribir tres veces."),
    (1, "Sigo sin señal en casa."), (5, "Great support, thanks!"),
)  # fmt: skip

NOTES = (
    "Tercera vez este mes que vemos este corte en la misma zona. @gerente ¿lo escalamos a red?",
    "El cliente ya llamó al call center ayer, @callcenter tiene el historial.",
    "Recurrent issue on the forum too; @curadora could we publish an article with the fix?",
)


def configure(org: Organisation, password_hash: str | None = None) -> dict:
    """Settings, people, rules, templates and articles: before the pipeline routes."""
    with transaction.atomic():
        EngagementConfig.objects.update_or_create(
            organisation=org,
            defaults={"business_hours": HOURS, "currency": "MXN", "csat_enabled": True,
                      "authority": {"agent": "2500", "crm_call_center": "2500",
                                    "community_manager": "5000", "area_manager": "20000"}},
        )  # fmt: skip
        sales = Team.objects.filter(organisation=org, department="sales").first()
        user_model = get_user_model()
        seller = user_model.objects.filter(username="ventas").first()
        if seller is None:
            seller = user_model.objects.create_user(
                "ventas", email=f"ventas@{org.slug}.example", first_name="Bruno",
                last_name="Ortega", password=None,
            )  # fmt: skip
            seller.password = password_hash or make_password("panal-demo")
            seller.save(update_fields=["password"])
        org_services.add_member(org, seller, [Role.AGENT, Role.EVERYONE], sales)
        people = {u.username: u for u in user_model.objects.filter(username__in=PROFILES)}
        for username, (capacity, skills, languages) in PROFILES.items():
            if username in people:
                AgentProfile.objects.update_or_create(
                    organisation=org, user=people[username],
                    defaults={"capacity": capacity, "skills": skills, "languages": languages},
                )  # fmt: skip
        for name, shortcut, lang, body, intents in TEMPLATES:
            ReplyTemplate.objects.update_or_create(
                organisation=org, shortcut=shortcut, lang=lang,
                defaults={"name": name, "body": body, "intents": intents},
            )  # fmt: skip
        director = user_model.objects.get(username="director")
        made = 0
        if not rules.rules_of(org).exists():
            for spec in RULES:
                rules.create_rule(
                    director, org, name=spec["name"], conditions=spec["conditions"],
                    actions=spec["actions"], stop_processing=spec.get("stop_processing", False),
                    enabled=spec.get("enabled", True),
                )  # fmt: skip
                made += 1
        now = clock.now()
        curator = user_model.objects.filter(username="curadora").first()
        for title, lang, tags, body in ARTICLES:
            Article.objects.update_or_create(
                organisation=org, title=title,
                defaults={"lang": lang, "tags": tags, "body": body, "status": "published",
                          "created_by": curator, "created_at": now, "updated_at": now},
            )  # fmt: skip
    return {"rules": made, "templates": len(TEMPLATES), "articles": len(ARTICLES)}


def _answer_surveys(org: Organisation, rng: random.Random) -> int:
    """Answer about half of the surveys the resolutions sent, through the survey page's
    own service."""
    answered = 0
    for survey in Csat.objects.filter(case__organisation=org, answered_at__isnull=True):
        if rng.random() < 0.5:
            score, comment = rng.choice(SURVEY_ANSWERS)
            csat.answer_by_link(survey, score, comment)
            answered += 1
    return answered


def _hand_to_departments(org: Organisation, agent, open_cases: list[Case]) -> int:
    """The hub at work: the agent hands the open cases that belong to another department
    (billing, sales, legal…) to that department's team, as hub and spoke says; the
    engagement page can then tell which model the company practises."""
    teams = {t.pk: t for t in Team.objects.filter(organisation=org)}
    handed = 0
    for case in open_cases:
        domain, owner = teams.get(case.domain_team_id), teams.get(case.owner_team_id)
        if (case.is_open and domain is not None and not domain.is_hub and owner is not None
                and owner.is_hub and cases.can_work(agent, case)):  # fmt: skip
            cases.move_to_team(agent, case, domain, "Lo atiende su área")
            handed += 1
    return handed


# Ideas the demo's customers put forward: (title, words of the cases that ask for it, status)
IDEAS = (
    ("Modo oscuro en la app", ("app", "aplicación"), Idea.Status.PLANNED),
    ("Factura detallada por servicio", ("factura", "cobro"), Idea.Status.UNDER_REVIEW),
    ("Elegir la hora de la visita del técnico", ("técnico", "instalación"), Idea.Status.NEW),
)


def _ideas(org: Organisation, agent, manager) -> int:
    """The product ideas customers asked for: each linked to up to three cases that ask
    for it (product-idea cases first), then moved along by the area manager."""
    if Idea.objects.filter(organisation=org).exists():
        return 0
    if not agent.has_perm("engagement.work_case"):
        return 0
    workable = list(cases.visible_cases(agent).filter(organisation=org).order_by("opened_at"))
    workable.sort(key=lambda c: c.intent != "product_idea")  # stable: the ideas first
    made = 0
    for n, (title, words, status) in enumerate(IDEAS):
        fitting = [c for c in workable if any(w in c.subject.lower() for w in words)]
        linked = (fitting or workable[n : n + 1])[:3]
        idea = ideas.create_idea(agent, org, title, case=linked[0] if linked else None)
        for case in linked[1:]:
            ideas.link_case(agent, idea, case)
        if manager is not None and status != Idea.Status.NEW:
            ideas.update_idea(manager, idea, status=status)
        made += 1
    return made


def activity(org: Organisation, *, seed: int = 8) -> dict:
    """What people did with the routed cases: notes, replies, resolutions, goodwill."""
    rng = random.Random(seed)
    user_model = get_user_model()
    people = {u.username: u for u in user_model.objects.filter(
        username__in=["agente", "gerente", "callcenter", "agencia", "community"])}  # fmt: skip
    agent = people.get("agente")
    open_cases = list(Case.objects.filter(organisation=org, is_open=True).order_by("opened_at"))
    counts = {"notes": 0, "resolved": 0, "goodwill": 0, "approvals": 0, "drafts": 0}
    if agent is None or not open_cases or Note.objects.filter(case__organisation=org).exists():
        return counts  # nobody to work them, or done on an earlier run
    older = open_cases[: len(open_cases) // 2]
    for case in rng.sample(older, k=min(len(older), max(1, len(older) * 2 // 5))):
        with transaction.atomic():
            cases.apply_status(case, Case.Status.RESOLVED, actor=case.assignee or agent)
        # The survey goes out after commit; inside an outer transaction that is later,
        # so it is asked for here (a second call finds it and does nothing).
        csat.after_resolved(case.pk)
        counts["resolved"] += 1
    counts["surveys_answered"] = _answer_surveys(org, rng)
    counts["handed_over"] = _hand_to_departments(org, agent, open_cases)
    counts["ideas"] = _ideas(org, agent, people.get("gerente"))
    workable = [c for c in open_cases if c.is_open and cases.can_work(agent, c)]
    for note, case in zip(NOTES, workable[:3], strict=False):
        cases.add_note(agent, case, note)
        counts["notes"] += 1
    if len(workable) > 4:
        authority.grant(agent, workable[3], "credit", Decimal("300"), "Compensación por el corte")
        authority.grant(
            agent, workable[4], "refund", Decimal("3200"), "Reembolso de dos meses de servicio"
        )
        counts["goodwill"] += 2
        counts["approvals"] += 1
    agency = people.get("agencia")
    shared = [c for c in open_cases if c.is_open and cases.can_answer(agency, c)] if agency else []
    if shared:
        draft = composer.save_draft(
            agency, shared[0], "¡Hola! Te invitamos a probar el nuevo plan Ceibo Fibra 1 Gb. 🚀"
        )
        composer.submit(agency, draft)
        counts["drafts"] += 1
    counts["sla"] = sla.tick(organisation=org)
    return counts
