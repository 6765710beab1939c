"""Load the demo company, Ceibo Telecom, into the database (docs/demo.md).

`load()` is what `panal demo` calls. It is idempotent: the organisation, people,
accounts and topics are created once, and mentions are upserted on (account, external
id) through the one ingest service, so a second run stores nothing new. Mentions the
pipeline has not processed yet (new ones, or those of an interrupted run) are processed
right away, oldest first, so the inbox is complete when the command returns. The topics
are made before the mentions arrive, so the pipeline's `topics` stage tags them as it
goes; a topic new to a database that already holds mentions is backfilled at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import groupby

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from panal.listening import pipeline
from panal.listening import services as listening
from panal.listening import topics as listening_topics
from panal.listening.models import Mention, Topic
from panal.listening.normalise import parse_item
from panal.org import services as org_services
from panal.org.choices import Role
from panal.org.models import Brand, CatalogueItem, Organisation

from . import builders, content
from . import channels as demo_channels
from . import engagement as demo_engagement
from . import phrases as P
from . import topics as demo_topics

ORG_SLUG = "ceibo"
ORG_NAME = "Ceibo Telecom"
PASSWORD = "panal-demo"  # noqa: S105 - the documented demo password, printed by `panal demo`
INGEST_BATCH = 1000
PIPELINE_BATCH = 500


@dataclass(frozen=True)
class Login:
    username: str
    role: str  # Role code; "" for the superuser
    first_name: str
    last_name: str


# One person per role (docs/demo.md lists them); every one also holds "everyone",
# except the external advocate.
LOGINS: tuple[Login, ...] = (
    Login("director", Role.DIRECTOR, "Lucía", "Paredes"),
    Login("gerente", Role.AREA_MANAGER, "Andrés", "Molina"),
    Login("analista", Role.ANALYST, "Camila", "Soto"),
    Login("agente", Role.AGENT, "Diego", "Ramírez"),
    Login("community", Role.COMMUNITY_MANAGER, "Valentina", "Ríos"),
    Login("agencia", Role.AGENCY, "Tomás", "Herrera"),
    Login("callcenter", Role.CRM_CALL_CENTER, "Paola", "Castro"),
    Login("influencer", Role.ADVOCATE, "Nico", "Navarro"),
    Login("curadora", Role.CURATOR, "Sofía", "Márquez"),
    Login("sistemas", Role.TOOL_ADMIN, "Martín", "Cabrera"),
    Login("empleado", Role.EVERYONE, "Julia", "Vega"),
)
SUPERUSER = Login("admin", "", "Admin", "Ceibo")


@dataclass
class LoadResult:
    organisation: Organisation
    accounts: int = 0
    users: list[tuple[Login, object]] = field(default_factory=list)
    generated: int = 0
    created: int = 0
    edited: int = 0
    unchanged: int = 0
    processed: int = 0
    topics: int = 0  # the organisation's topics
    backfilled: int = 0  # matches the backfill of topics new to stored mentions added
    replies: int = 0  # sample replies sent by the demo agents
    cases: int = 0  # cases the routing stage opened
    engagement: dict = field(default_factory=dict)  # rules, templates, articles, activity
    seconds: float = 0.0


def company() -> Organisation:
    """Ceibo Telecom: two brands with their keywords, a team per department, hub and spoke."""
    org = builders.organisation(
        slug=ORG_SLUG,
        name=ORG_NAME,
        brands=list(P.BRANDS.values()),
        engagement_model="hub_and_spoke",
        default_language="es",
        brand_keywords={P.BRANDS[k]: words for k, words in P.BRAND_KEYWORDS.items()},
    )
    if org.timezone == "UTC":
        Organisation.objects.filter(pk=org.pk).update(timezone="America/Mexico_City")
        org.timezone = "America/Mexico_City"
    catalogue(org)
    return org


def catalogue(org: Organisation) -> int:
    """Ceibo's catalogue (phrases.CATALOGUE): its plans, devices and app, its competitors
    with the names people use for them, and its spokespeople. Returns how many are new."""
    brands = {b.slug: b for b in Brand.objects.filter(organisation=org)}
    created = 0
    for kind, items in P.CATALOGUE.items():
        for name, aliases, brand_key in items:
            brand = brands.get(slugify(P.BRANDS[brand_key])) if brand_key else None
            _, new = CatalogueItem.objects.update_or_create(
                organisation=org,
                kind=kind,
                name=name,
                defaults={"aliases": "\n".join(aliases), "brand": brand},
            )
            created += new
    return created


def people(org: Organisation, password: str = PASSWORD) -> list[tuple[Login, object]]:
    """One user per role, plus the superuser `admin` (a tool administrator in Ceibo)."""
    hashed = make_password(password)  # once: a hash takes most of a second
    users = [
        (
            login,
            builders.member(
                org,
                login.role,
                username=login.username,
                password_hash=hashed,
                first_name=login.first_name,
                last_name=login.last_name,
            ),
        )
        for login in LOGINS
    ]
    user_model = get_user_model()
    admin = user_model.objects.filter(username=SUPERUSER.username).first()
    if admin is None:
        admin = user_model.objects.create_superuser(
            username=SUPERUSER.username,
            email=f"{SUPERUSER.username}@{org.slug}.example",
            password=None,
            first_name=SUPERUSER.first_name,
            last_name=SUPERUSER.last_name,
        )
        admin.password = hashed
        admin.save(update_fields=["password"])
    if not admin.memberships.filter(organisation=org).exists():
        org_services.add_member(org, admin, [Role.TOOL_ADMIN, Role.EVERYONE])
    users.append((SUPERUSER, admin))
    return users


def accounts(org: Organisation) -> dict[str, object]:
    """The channel accounts of `content.ACCOUNTS`, by slug."""
    brands = {b.slug: b for b in Brand.objects.filter(organisation=org)}
    out = {}
    for spec in content.ACCOUNTS:
        brand = brands.get(slugify(P.BRANDS[spec.brand])) if spec.brand else None
        out[spec.slug] = builders.channel_account(
            org, kind=spec.kind, slug=spec.slug, name=spec.name, brand=brand, handle=spec.handle
        )
    return out


def mentions(
    by_slug: dict, n: int, *, seed: int = content.DEFAULT_SEED, days: float = 30
) -> listening.IngestResult:
    """Store `n` generated mentions through the ingest service (not queued for the worker).

    They go in oldest first, as they would have arrived, so the inbox (newest arrival on
    top) reads like a live month: consecutive mentions of one account share a batch.
    """
    items = [(m.account, parse_item(m.data)) for m in content.generate(n, seed=seed, days=days)]
    items.sort(key=lambda pair: pair[1].created_at)
    total = listening.IngestResult()
    for slug, run in groupby(items, key=lambda pair: pair[0]):
        chunk = [item for _, item in run]
        for start in range(0, len(chunk), INGEST_BATCH):
            total.add(
                listening.ingest_batch(
                    by_slug[slug], chunk[start : start + INGEST_BATCH], enqueue=False
                )
            )
    return total


def process(org: Organisation) -> int:
    """Run the pipeline over the organisation's unprocessed (new or edited) mentions.

    Oldest first means parents before their replies, so threads link in one pass.
    """
    pending = list(
        Mention.objects.filter(organisation=org, deleted_at=None)
        .filter(Q(processed_at__isnull=True) | Q(stages_done=[]))
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    done = 0
    for start in range(0, len(pending), PIPELINE_BATCH):
        done += pipeline.run(pending[start : start + PIPELINE_BATCH])
    return done


def load(
    n: int = 3000,
    *,
    days: float = 30,
    seed: int = content.DEFAULT_SEED,
    bare: bool = False,
    password: str = PASSWORD,
) -> LoadResult:
    """The whole demo: company, people, accounts and (unless `bare`) topics and `n` mentions."""
    started = time.monotonic()
    with transaction.atomic():
        org = company()
        result = LoadResult(org)
        result.users = people(org, password)
        by_slug = accounts(org)
        result.accounts = len(by_slug)
        result.engagement = demo_engagement.configure(org)
    if not bare:
        had_mentions = Mention.objects.filter(organisation=org).exists()
        with transaction.atomic():
            new_topics = demo_topics.load(org)
        if n > 0:
            stored = mentions(by_slug, n, seed=seed, days=days)
            result.generated = n
            result.created, result.edited = stored.created, stored.edited
            result.unchanged = stored.unchanged
            result.processed = process(org)
        if had_mentions:  # stored before these topics existed: the pipeline did not see them
            for topic in new_topics:
                result.backfilled += listening_topics.backfill_now(topic).added
        result.topics = Topic.objects.filter(organisation=org).count()
        with transaction.atomic():
            result.replies = demo_channels.load(org)
        result.engagement.update(demo_engagement.activity(org))
        result.cases = org.cases.count()
    result.seconds = time.monotonic() - started
    return result
