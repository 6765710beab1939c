"""Benchmark: engagement — routing with rules, and the case inbox (issue 8).

Two parts, each in a fresh database per engine (SQLite; PostgreSQL when its server answers),
each in its own child process with production settings (`PANAL_DEBUG=0`: no query log).

**Routing.** The demo company (`panal.demo.loader`: Ceibo, its brands and accounts) gets
~40 case workers spread over its teams with agent profiles (`panal.demo.builders`), and
200 enabled rules of varied conditions and actions, each made with `rules.create_rule`
(so its own validation accepts it). N + 1,000 demo mentions (`panal.demo.content`: threads,
private messages, reviews, e-mails; published over the last five days) are stored through
the ingest service and given the pipeline's `normalise`, `authors`, `brands` and `threads`
stages; then an `Understanding` row each, already classified, with a set intent mix: the
demo's intended category, kept for every mention of a category that opens no case and for
half of those that open one (the other half: no confident intent), so about a third of
the mentions open or join a case. Then only the routing is timed: batches of 1,000,
oldest first, each read with `pipeline.read_batch` (the pipeline's fields) in a
transaction with the cyclic garbage collector paused (as `pipeline.run` runs a batch) and
given to `Router.for_org(org).route(batch)`, as the `route` stage does; the
first batch warms up and is not counted. Figures: mentions/s on the wall clock (routing and
commit), the CPU time, per-batch p50/p95, queries per batch, cases opened, mentions that
joined a case, rule fires, notifications, leads; and checks: one link per mention, a case
per opening plan, every joined mention in its case's thread, one audit row per fired rule.

**Inbox.** A database of one organisation with `--inbox-mentions` mentions and
`--open-cases` open cases (plus `--closed-cases` closed or resolved), raw bulk inserts in
chunks (executemany; COPY on PostgreSQL): cases over the teams and the ~40 workers, with
their `CaseMention` and `CaseAccess` rows, then ANALYZE. For a customer-service agent (the
hub: the most cases) and a billing agent (a spoke), the `/cases/` page is requested with
Django's test `Client` (`force_login`) for each view (mine, team, unassigned, all) and for
filters (priority, status, SLA, team, a search word, a later page), `--requests` times
after warm-up: p50/p95/max, and the SQL statements per request (counted on every request;
recorded with `CaptureQueriesContext` on one more request, with the slowest statement's
plan). A view is bounded when every request ran the same number of statements.

Targets: routing at least 5,000 mentions/s; the inbox page p95 under 150 ms with a bounded
number of queries. Never asserted; results in bench/results/engagement.json, see
docs/benchmarks.md.

Run: `.venv/bin/python bench/engagement_bench.py [--engine sqlite|postgres|both]
[--mentions 100000] [--rules 200] [--inbox-mentions 1000000] [--open-cases 100000]
[--skip-inbox] [--skip-routing]`; a quick check: `--mentions 10000 --inbox-mentions 20000
--open-cases 1000 --requests 20`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import common

NAME = "engagement"
TARGET_PER_S = 5_000  # routing + rules + case opening, mentions a second
TARGET_P95_MS = 150.0  # the inbox page
BATCH = 1000
SEED = 2011
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "panal_bench_engagement"
PASSWORD = "bench-engagement"  # noqa: S105 - throwaway logins of a throwaway database
ROUTING_DAYS = 5  # mentions older than routing.STALE_AFTER open no case

# The case workers: (department, role), one entry per person of a 40-person organisation;
# more or fewer people cycle through it.
WORKERS = (
    *[("customer_service", "agent")] * 15,
    ("customer_service", "area_manager"),
    *[("billing", "agent")] * 4,
    ("billing", "area_manager"),
    *[("crm_call_center", "crm_call_center")] * 4,
    *[("sales", "agent")] * 4,
    *[("pr", "community_manager")] * 3,
    *[("legal", "agent")] * 2,
    *[("product", "agent")] * 2,
    *[("marketing", "agent")] * 2,
    ("hr", "agent"),
    ("customer_service", "agent"),
)

# The demo's intended category → the intent label the classifier would give.
CATEGORY_INTENT = {
    "complaint": "complaint",
    "question": "question",
    "support": "technical_support",
    "praise": "praise",
    "billing": "billing",
    "purchase_intent": "purchase_intent",
    "spam": "spam",
    "competitor": "competitor",
    "legal": "legal_risk",
    "idea": "product_idea",
    "media": "media_opportunity",
    "recruiting": "recruiting_hr",
}
SECOND_INTENT = {  # a second, less confident intent some mentions carry
    "complaint": ("billing", "technical_support", "legal_risk"),
    "purchase_intent": ("competitor", "question"),
    "question": ("purchase_intent", "billing"),
    "technical_support": ("complaint",),
    "billing": ("complaint",),
}
SENTIMENT = {
    "complaint": "negative",
    "legal_risk": "negative",
    "billing": "negative",
    "technical_support": "negative",
    "praise": "positive",
    "purchase_intent": "positive",
}
KEEP_OPENING = 0.5  # share of case-opening categories classified with their intent

# --- rules: the parts a generated rule is made of ---------------------------------------------

CHANNELS = (
    "x",
    "facebook",
    "instagram",
    "mastodon",
    "bluesky",
    "reddit",
    "youtube",
    "telegram",
    "whatsapp",
    "email",
    "rss",
    "google_play",
    "app_store",
    "api",
)
WORDS = (
    "factura",
    "router",
    "fibra",
    "señal",
    "reembolso",
    "cobro",
    "roaming",
    "app",
    "internet",
    "portabilidad",
    "cancelar",
    "lento",
    "demanda",
    "refund",
    "bill",
    "outage",
    "signal",
    "plan",
    "precio",
    "técnico",
)
RULE_QUERIES = (
    '(fibra OR router OR módem) AND (lento OR caída OR "sin internet")',
    "reembols* OR refund*",
    '"pésimo servicio"~3 OR #PésimoServicio',
    "(factura OR cobro*) NEAR/4 (doble OR dos OR duplicad*)",
    "@CeiboMovil NOT sorteo",
    "intent:complaint channel:x",
    "(cancelar OR portabilidad) AND (plan OR línea)",
    "abogad* OR demanda OR profeco",
)
TAGS = (
    "vip",
    "churn-risk",
    "outage",
    "billing-dispute",
    "influencer",
    "press",
    "legal",
    "competitor",
    "refund",
    "roaming",
    "app",
    "fibre",
    "mobile",
    "english",
    "escalated",
    "follow-up",
    "store-review",
    "whatsapp",
    "sales",
    "urgent",
)
TEAM_SLUGS = (
    "customer-service",
    "billing",
    "sales",
    "pr",
    "legal",
    "product",
    "marketing",
    "crm-call-center",
)
NOTIFY_TEAMS = ("pr", "legal", "billing", "product")


OPENING_INTENTS = (
    "complaint", "question", "technical_support", "billing", "purchase_intent",
    "legal_risk", "media_opportunity",
)  # fmt: skip
# A rule starts from one selective condition (what it is about) and narrows it with up to
# two more; only a rule about work that opens a case anyway (an opening intent, a critical
# urgency) may open one, assign, escalate or hand it on, so rules add little to the cases.
SELECTIVE = {  # kind of first condition → weight
    "intent": 34, "intent in": 8, "intents": 6, "text": 16, "followers": 6, "urgency": 6,
    "critical": 2, "query": 10,
}  # fmt: skip
NARROWING = {
    "channel": 14, "channel in": 6, "lang": 6, "sentiment": 10, "kind": 5, "visibility": 3,
    "contact": 3, "new": 4, "score": 3, "verified": 2,
}  # fmt: skip
OPENING_ACTIONS = ("assign", "escalate", "open_case", "create_lead", "hand_to_crm")
ACTION_KINDS = {  # kind → weight; each at most once a rule
    "tag": 30, "priority": 18, "notify team": 10, "notify user": 5, "assign": 14,
    "escalate": 4, "open_case": 3, "create_lead": 2, "hand_to_crm": 3,
}  # fmt: skip


def _selective(rng: random.Random, kind: str) -> tuple[str, str, bool]:
    """(condition line, or "" for a query; the query; whether the rule may open a case)."""
    from panal.engagement.playbooks import INTENTS

    if kind == "intent":
        intent = rng.choice(OPENING_INTENTS if rng.random() < 0.6 else INTENTS)
        return f"intent = {intent}", "", intent in OPENING_INTENTS
    if kind == "intent in":
        chosen = rng.sample(INTENTS, rng.randint(2, 3))
        return "intent in " + ", ".join(chosen), "", set(chosen) <= set(OPENING_INTENTS)
    if kind == "intents":
        intent = rng.choice(INTENTS)
        return f"intents has {intent}", "", intent in OPENING_INTENTS
    if kind == "text":
        return f'text contains "{rng.choice(WORDS)}"', "", False
    if kind == "followers":
        return f"author.followers >= {rng.choice(('10k', '50k', '100k'))}", "", False
    if kind == "urgency":
        return "urgency_level in high, critical", "", False
    if kind == "critical":
        return "urgency_level = critical", "", True
    return "", rng.choice(RULE_QUERIES), False


def _narrowing(rng: random.Random, kind: str) -> str:
    if kind == "channel":
        return f"channel = {rng.choice(CHANNELS)}"
    if kind == "channel in":
        return "channel in " + ", ".join(rng.sample(CHANNELS, rng.randint(2, 4)))
    if kind == "lang":
        return f"lang = {rng.choice(('en', 'es'))}"
    if kind == "sentiment":
        return rng.choice(
            ("sentiment = negative", "sentiment in negative, neutral", "sentiment = positive")
        )
    if kind == "kind":
        return rng.choice(("kind = direct_message", "kind in review, comment", "kind = reply"))
    if kind == "visibility":
        return "visibility = private"
    if kind == "contact":
        return f"contact.cases >= {rng.randint(1, 3)}"
    if kind == "new":
        return f"case.is_new is {rng.choice(('true', 'false'))}"
    if kind == "score":
        return "sentiment_score < -0.5"
    return "author.verified is true"


def _rule_action(rng: random.Random, kind: str, workers: list[str]) -> str:
    if kind == "tag":
        return "tag " + ", ".join(rng.sample(TAGS, rng.randint(1, 2)))
    if kind == "priority":
        return f"priority {rng.choice(('low', 'normal', 'high', 'high', 'critical'))}"
    if kind == "notify team":
        return f"notify team:{rng.choice(NOTIFY_TEAMS)}"
    if kind == "notify user":
        return f"notify user:{rng.choice(workers)}"
    if kind == "assign":
        return f"assign team:{rng.choice(TEAM_SLUGS)}"
    return kind


def _sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """k distinct keys, drawn by weight."""
    pool = dict(weights)
    out = []
    for _ in range(min(k, len(pool))):
        key = rng.choices(list(pool), weights=list(pool.values()))[0]
        out.append(key)
        del pool[key]
    return out


def make_rules(org, director, n: int, workers: list[str], rng: random.Random) -> dict:
    """`n` enabled rules through `rules.create_rule` (its own validation)."""
    from panal.engagement import rules

    made: Counter = Counter()
    for number in range(1, n + 1):
        first = _sample(rng, SELECTIVE, 1)[0]
        line, query, may_open = _selective(rng, first)
        narrowing = _sample(rng, NARROWING, rng.choices((0, 1, 2), (25, 55, 20))[0])
        lines = [line] if line else []
        lines += [_narrowing(rng, k) for k in narrowing]
        allowed = {
            k: w for k, w in ACTION_KINDS.items() if may_open or k not in OPENING_ACTIONS
        }  # fmt: skip
        # Escalations are for critical urgency and for people many follow; notifications
        # for rules narrower than one condition.
        if first not in ("critical", "followers"):
            allowed.pop("escalate", None)
        else:
            allowed["escalate"] = 12
        if len(lines) + bool(query) < 2:
            allowed.pop("notify team", None)
            allowed.pop("notify user", None)
        kinds = _sample(rng, allowed, rng.choices((1, 2, 3), (50, 35, 15))[0])
        stop = rng.random() < 0.1
        rules.create_rule(
            director,
            org,
            name=f"Bench rule {number:03d}",
            conditions="\n".join(lines),
            query=query,
            actions="\n".join(_rule_action(rng, k, workers) for k in kinds),
            stop_processing=stop,
        )
        made["rules"] += 1
        made["with_query"] += bool(query)
        made["stop_processing"] += stop
        made["conditions"] += len(lines)
        made["may_open_a_case"] += may_open
        for kind in kinds:
            made[f"action:{kind}"] += 1
    return dict(sorted(made.items()))


# --- the organisation -------------------------------------------------------------------------


def make_organisation(n_workers: int, capacity: int, rng: random.Random) -> dict:
    """The demo company, its accounts, a director and `n_workers` case workers across the
    teams, each with an agent profile."""
    from django.contrib.auth.hashers import make_password

    from panal.demo import builders, loader
    from panal.engagement.models import AgentProfile
    from panal.engagement.playbooks import INTENTS
    from panal.org.models import Membership, Team

    org = loader.company()
    accounts = loader.accounts(org)
    hashed = make_password(PASSWORD)  # once: a hash takes most of a second
    director = builders.member(org, "director", username="director", password_hash=hashed)
    teams = {t.department: t for t in Team.objects.filter(organisation=org)}
    workers = []
    for k in range(n_workers):
        department, role = WORKERS[k % len(WORKERS)]
        username = f"agent{k + 1:02d}"
        user = builders.member(org, role, username=username, password_hash=hashed)
        Membership.objects.filter(user=user, organisation=org).update(team=teams[department])
        skills = [] if rng.random() < 0.4 else rng.sample(INTENTS, rng.randint(2, 4))
        AgentProfile.objects.update_or_create(
            organisation=org,
            user=user,
            defaults={
                "capacity": capacity,
                "skills": skills,
                "languages": ["es", "en"] if rng.random() < 0.5 else ["es"],
            },
        )
        workers.append((user, teams[department], role))
    return {
        "org": org,
        "accounts": accounts,
        "director": director,
        "teams": teams,
        "workers": workers,
    }


def _console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def _analyze() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return round(time.perf_counter() - started, 1)


class QueryCounter:
    """Counts the statements sent (`connection.execute_wrapper`): nearly free, unlike the
    debug cursor, which formats every statement."""

    def __init__(self, timed: bool = False) -> None:
        self.n = 0
        self.timed = timed  # also add up each statement's time (`--profile`)
        self.seconds: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        if not self.timed:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[" ".join(sql.split())[:90]] += time.perf_counter() - started

    def slowest(self, n: int = 12) -> dict[str, float]:
        return {sql: round(s, 3) for sql, s in self.seconds.most_common(n)}


# --- part 1: routing ---------------------------------------------------------------------------


def ingest(accounts: dict, n: int, seed: int) -> int:
    """`n` demo mentions through the ingest service, as `panal ingest` stores a file: per
    account, oldest first, 1,000 a batch (not queued for the worker)."""
    from panal.demo import content
    from panal.listening import services
    from panal.listening.normalise import parse_item

    by_account: dict[str, list] = {}
    for m in content.generate(n, seed=seed, days=ROUTING_DAYS):
        by_account.setdefault(m.account, []).append(parse_item(m.data))
    created = 0
    for slug, items in by_account.items():
        items.sort(key=lambda item: item.created_at)
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            created += services.ingest_batch(accounts[slug], batch, enqueue=False).created
    return created


def _prepare(batches: list[list[int]]) -> None:
    """The pipeline stages routing relies on besides understanding: text, authors, brands
    and threads (parent and thread root), batch by batch, oldest first."""
    from django.db import transaction

    from panal.listening import pipeline

    wanted = [
        s for s in pipeline.stages() if s.name in ("normalise", "authors", "brands", "threads")
    ]
    for ids in batches:
        with transaction.atomic():
            mentions = pipeline.read_batch(ids)
            pipeline.attach_accounts(mentions)
            for s in wanted:
                s.run(mentions)


def _classify(ids: list[int], rng: random.Random) -> Counter:
    """An Understanding row per mention, with the intent mix described in the docstring."""
    from panal.core import clock
    from panal.engagement.playbooks import DEFAULT_PLAYBOOKS
    from panal.listening.models import Mention
    from panal.understanding.models import Understanding

    now = clock.now()
    mix: Counter = Counter()
    rows = []
    for start in range(0, len(ids), 5000):
        chunk = Mention.objects.filter(id__in=ids[start : start + 5000]).values_list(
            "id", "lang", "raw"
        )
        for mention_id, lang, raw in chunk:
            category = (raw or {}).get("demo_category", "")
            intent = CATEGORY_INTENT.get(category)
            if intent and DEFAULT_PLAYBOOKS[intent].opens_case and rng.random() > KEEP_OPENING:
                intent = None
            labels = []
            if intent:
                labels.append({"label": intent, "confidence": round(rng.uniform(0.55, 0.95), 3)})
                if intent in SECOND_INTENT and rng.random() < 0.15:
                    second = rng.choice(SECOND_INTENT[intent])
                    labels.append({"label": second, "confidence": round(rng.uniform(0.3, 0.5), 3)})
            sentiment = SENTIMENT.get(intent or "", "neutral")
            if rng.random() < 0.15:
                sentiment = rng.choice(("negative", "neutral", "positive"))
            score = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[sentiment]
            score = max(-1.0, min(1.0, score + rng.uniform(-0.35, 0.35)))
            level = "normal"
            draw = rng.random()
            if draw < 0.003:
                level = "critical"
            elif draw < 0.08 or (sentiment == "negative" and draw < 0.2):
                level = "high"
            elif draw > 0.85:
                level = "low"
            urgency = {"low": 0.1, "normal": 0.35, "high": 0.7, "critical": 0.95}[level]
            reasons = [{"reason": "crisis", "weight": 0.9}] if level == "critical" else []
            mix[intent or "none"] += 1
            mix["opens_by_playbook"] += bool(intent and DEFAULT_PLAYBOOKS[intent].opens_case)
            rows.append(
                Understanding(
                    mention_id=mention_id,
                    lang=lang or "es",
                    lang_confidence=0.9,
                    sentiment=sentiment,
                    sentiment_score=round(score, 3),
                    sentiment_confidence=0.8,
                    intents=labels,
                    intent_model="bench@1",
                    urgency=urgency,
                    urgency_level=level,
                    urgency_reasons=reasons,
                    updated_at=now,
                )
            )
        Understanding.objects.bulk_create(rows, batch_size=1000)
        rows = []
    return mix


def _verify(org, plans: list, opening_ids: set[int]) -> dict:
    """Counts in the database, and whether they agree with each other and the plans."""
    from django.db.models import Count, Exists, F, OuterRef, Q

    from panal.engagement.models import (
        Case,
        CaseEvent,
        CaseMention,
        Lead,
        Notification,
        RuleFire,
    )

    cases = Case.objects.filter(organisation=org)
    links = CaseMention.objects.filter(case__organisation=org)
    n_cases, n_links = cases.count(), links.count()
    distinct = links.aggregate(n=Count("mention_id", distinct=True))["n"]
    first_links = links.filter(mention_id=F("case__first_mention_id")).count()
    events = Counter(
        dict(
            CaseEvent.objects.filter(case__organisation=org)
            .values_list("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
    )
    in_thread = Q(
        Exists(
            CaseMention.objects.filter(
                case_id=OuterRef("case_id"), mention_id=OuterRef("mention__thread_root_id")
            )
        )
    ) | Q(
        Exists(
            CaseMention.objects.filter(
                case_id=OuterRef("case_id"), mention_id=OuterRef("mention__parent_id")
            )
        )
    )
    outside = links.exclude(mention_id=F("case__first_mention_id")).exclude(in_thread).count()
    first_ids = set(cases.values_list("first_mention_id", flat=True))
    fires = RuleFire.objects.filter(organisation=org).count()
    planned_fires = sum(len(p.fired) for p in plans)
    joined = n_links - n_cases
    return {
        "cases_opened": n_cases,
        "mentions_joined": joined,
        "mentions_linked": n_links,
        "rule_fires": fires,
        "case_events": dict(sorted(events.items())),
        "notifications": dict(
            Notification.objects.filter(organisation=org)
            .values_list("kind")
            .annotate(n=Count("id"))
            .order_by("-n")
        ),
        "leads": Lead.objects.filter(organisation=org).count(),
        "assigned": cases.filter(assignee__isnull=False).count(),
        "by_owner_team": dict(
            cases.values_list("owner_team__slug").annotate(n=Count("id")).order_by("-n")
        ),
        "by_priority": dict(cases.values_list("priority").annotate(n=Count("id")).order_by("-n")),
        "checks": {
            "no_mention_linked_twice": distinct == n_links,
            "a_first_link_and_an_opened_event_per_case": first_links == n_cases
            and events.get("opened", 0) == n_cases,
            "cases_plus_joins_equal_links": n_cases + events.get("mention", 0) == n_links,
            "every_case_from_an_opening_plan": first_ids <= opening_ids,
            "joined_mentions_in_their_case_thread": outside == 0,
            "an_audit_row_per_fired_rule": fires == planned_fires,
        },
        "joined_outside_thread": outside,
    }


def routing_child(o: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Q

    from panal.engagement import routing
    from panal.engagement.models import Rule
    from panal.listening import pipeline
    from panal.listening.models import Mention

    console = _console()
    rng = random.Random(o.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    people = make_organisation(o.agents, o.capacity, rng)
    org = people["org"]
    usernames = [u.username for u, _team, _role in people["workers"]]
    rule_mix = make_rules(org, people["director"], o.rules, usernames, rng)
    setup = {"migrate_and_people_s": round(time.perf_counter() - started, 1)}
    console.log(f"routing: {o.rules} rules made; storing {o.mentions + BATCH:,} demo mentions …")
    started = time.perf_counter()
    stored = ingest(people["accounts"], o.mentions + BATCH, o.seed)
    setup["ingest_s"] = round(time.perf_counter() - started, 1)
    pending = list(
        Mention.objects.filter(organisation=org, deleted_at=None)
        .filter(Q(processed_at__isnull=True) | Q(stages_done=[]))
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    batches = [pending[i : i + BATCH] for i in range(0, len(pending), BATCH)]
    started = time.perf_counter()
    _prepare(batches)
    setup["stages_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    mix = _classify(pending, rng)
    setup["classify_s"] = round(time.perf_counter() - started, 1)
    setup["analyze_s"] = _analyze()
    replies = Mention.objects.filter(organisation=org, parent__isnull=False).count()
    in_threads = Mention.objects.filter(organisation=org, thread_root__isnull=False).count()
    console.log(
        f"routing: {len(pending):,} mentions ready ({replies:,} replies) in "
        f"{sum(v for v in setup.values()):.0f} s; routing {len(batches)} batches …"
    )

    counter = QueryCounter(timed=o.profile or o.statements)
    profiler = cProfile.Profile() if o.profile else None
    per_batch = []
    plans_all: list = []
    opening: set[int] = set()
    with connection.execute_wrapper(counter):
        for n, ids in enumerate(batches):
            # As the pipeline runs a batch: without cyclic garbage collection, in one
            # transaction.
            with pipeline.collector_paused(), transaction.atomic():
                mentions = pipeline.read_batch(ids)
                pipeline.attach_accounts(mentions)
                before = counter.n
                t0, c0 = time.perf_counter(), time.process_time()
                if profiler is not None and n > 0:
                    profiler.enable()
                plans = routing.Router.for_org(org).route(mentions)
                if profiler is not None:
                    profiler.disable()
                routed = time.perf_counter() - t0
                t1 = time.perf_counter()
            commit = time.perf_counter() - t1
            cpu = time.process_time() - c0
            plans_all.extend(plans)
            opening.update(p.mention.pk for p in plans if p.opens and p.case is None)
            if n == 0:
                continue  # the warm-up batch: imports, compiled rules, caches
            per_batch.append(
                {
                    "mentions": len(mentions),
                    "route_s": routed,
                    "commit_s": commit,
                    "cpu_s": cpu,
                    "queries": counter.n - before,
                    "plans": len(plans),
                }
            )
            if n % 10 == 0:
                console.log(f"  batch {n}: {1000 * (routed + commit):.0f} ms")
    if profiler is not None and os.environ.get("PANAL_BENCH_PSTATS"):
        profiler.dump_stats(os.environ["PANAL_BENCH_PSTATS"])  # for pstats / snakeviz
    timed = sum(b["mentions"] for b in per_batch)
    wall = sum(b["route_s"] + b["commit_s"] for b in per_batch)
    cpu = sum(b["cpu_s"] for b in per_batch)
    batch_ms = [1000 * (b["route_s"] + b["commit_s"]) for b in per_batch]
    queries = [b["queries"] for b in per_batch]
    verified = _verify(org, plans_all, opening)
    per_s = round(timed / wall) if wall else 0
    return {
        "vendor": connection.vendor,
        "setup": setup,
        "stored": stored,
        "rules": rule_mix,
        "rules_enabled": Rule.objects.filter(organisation=org, enabled=True).count(),
        "workers": len(people["workers"]),
        "intent_mix": dict(mix.most_common()),
        "replies": replies,
        "in_threads": in_threads,
        "warm_up": len(batches[0]) if batches else 0,
        "timed_mentions": timed,
        "batches": len(per_batch),
        "seconds": round(wall, 2),
        "route_seconds": round(sum(b["route_s"] for b in per_batch), 2),
        "commit_seconds": round(sum(b["commit_s"] for b in per_batch), 2),
        "cpu_seconds": round(cpu, 2),
        "mentions_per_s": per_s,
        "mentions_per_s_cpu": round(timed / cpu) if cpu else 0,
        "batch_ms": {
            "p50": round(_pct(batch_ms, 0.5), 1),
            "p95": round(_pct(batch_ms, 0.95), 1),
            "max": round(max(batch_ms, default=0), 1),
        },
        "queries_per_batch": {
            "min": min(queries, default=0),
            "median": statistics.median(queries) if queries else 0,
            "max": max(queries, default=0),
        },
        "plans": len(plans_all),
        "fired_per_mention": round(
            sum(len(p.fired) for p in plans_all) / max(len(plans_all), 1), 2
        ),
        **verified,
        "meets_target": per_s >= TARGET_PER_S and all(verified["checks"].values()),
        "load_average": common.load_average(),
        "profile": _breakdown(profiler) if profiler is not None else None,
        "statement_seconds": counter.slowest() if counter.timed else None,
    }


# Where routing's time goes (`--profile`): cumulative seconds of these functions.
PROFILED = {
    "Router.route": ("engagement/routing.py", "route"),
    "Router.plan (playbook, model, rules)": ("engagement/routing.py", "plan"),
    "RuleSet.evaluate": ("engagement/rules.py", "evaluate"),
    "Doc.from_mention (rules with a query)": ("query/doc.py", "from_mention"),
    "Router._write (bulk inserts)": ("engagement/routing.py", "_write"),
    "QuerySet.bulk_create": ("django/db/models/query.py", "bulk_create"),
    "Model.refresh_from_db (deferred fields)": ("django/db/models/base.py", "refresh_from_db"),
    "Pool.choose": ("engagement/assignment.py", "choose"),
    "Router._open_cases_of": ("engagement/routing.py", "_open_cases_of"),
    "cursor execute (SQL sent)": ("django/db/backends/utils.py", "_execute"),
}


def _breakdown(profiler) -> dict:
    """Cumulative seconds per function of PROFILED (inflated by the profiler itself)."""
    import pstats

    stats = pstats.Stats(profiler).stats
    out: dict = {}
    for label, (path, name) in PROFILED.items():
        out[label] = round(
            sum(
                row[3]
                for (file, _line, func), row in stats.items()
                if func == name and file.endswith(path)
            ),
            2,
        )
    out["note"] = "cProfile on: the timed figures above are inflated"
    return out


# --- part 2: the inbox -------------------------------------------------------------------------


class Table:
    """Raw inserts into one model's table, every column given (Django's defaults as stored;
    an auto-increment key left to the database). `flush_all` sends what several tables
    gathered, in one transaction, in the order given (foreign keys are checked at commit):
    executemany, or COPY on PostgreSQL."""

    def __init__(self, model) -> None:
        from django.db import connection, models

        self.connection = connection
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField))
        ]
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.at = {f.attname: i for i, f in enumerate(fields)}
        self.template = []
        self.convert = {}
        for f in fields:
            kind = f.get_internal_type()
            if kind == "JSONField":
                self.convert[f.attname] = lambda v, f=f: f.get_db_prep_save(v, connection)
            elif kind == "DateTimeField":
                self.convert[f.attname] = connection.ops.adapt_datetimefield_value
            value = None if f.primary_key else f.get_default()
            self.template.append(
                f.get_db_prep_save(value, connection) if value is not None else None
            )
        self.rows: list[list] = []
        self.count = 0
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        table = connection.ops.quote_name(self.table)
        marks = ", ".join(["%s"] * len(self.columns))
        # Names from the models' own metadata, never from input.
        self.sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        self.copy = f"COPY {table} ({names}) FROM STDIN"

    def add(self, **values) -> None:
        row = self.template.copy()
        convert, at = self.convert, self.at
        for name, value in values.items():
            fn = convert.get(name)
            row[at[name]] = fn(value) if fn is not None and value is not None else value
        self.rows.append(row)

    def _send(self, cursor) -> None:
        if not self.rows:
            return
        if self.connection.vendor == "postgresql":
            with cursor.cursor.copy(self.copy) as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            cursor.executemany(self.sql, self.rows)
        self.count += len(self.rows)
        self.rows = []


def flush_all(*tables: Table) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            table._send(cursor)


PRIORITY = (("critical", 0, 3), ("high", 1, 27), ("normal", 2, 52), ("low", 3, 18))
DUE_MINUTES = {"critical": 30, "high": 60, "normal": 240, "low": 480}
OWNER_SHARE = {  # open cases by owning team
    "customer_service": 60,
    "billing": 10,
    "crm_call_center": 8,
    "sales": 8,
    "pr": 6,
    "legal": 3,
    "product": 3,
    "marketing": 2,
}
DOMAIN_OF = {  # intent → the spoke that does the domain work
    "complaint": "customer_service",
    "question": "customer_service",
    "technical_support": "customer_service",
    "billing": "billing",
    "purchase_intent": "sales",
    "legal_risk": "legal",
    "media_opportunity": "pr",
}


def fill_inbox(people: dict, n_mentions: int, n_open: int, n_closed: int, seed: int) -> dict:
    """`n_mentions` mentions of which some thread into `n_open + n_closed` cases."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from panal.core import clock
    from panal.demo import content
    from panal.engagement.models import Case, CaseAccess, CaseMention, Notification
    from panal.listening.models import Author, Mention

    rng = random.Random(seed)
    org, teams, accounts = people["org"], people["teams"], people["accounts"]
    workers_of: dict[int, list[int]] = {}
    for user, team, _role in people["workers"]:
        workers_of.setdefault(team.pk, []).append(user.pk)
    now = clock.now().replace(microsecond=0)
    started = time.perf_counter()
    pool = [(m.account, m.data) for m in content.generate(min(20_000, n_mentions), seed=seed)]
    generate_s = time.perf_counter() - started
    kind_of = {a.slug: a.kind for a in content.ACCOUNTS}
    mentions, authors = Table(Mention), Table(Author)
    cases, links, access = Table(Case), Table(CaseMention), Table(CaseAccess)
    n_cases = n_open + n_closed
    block = n_mentions / max(n_cases, 1)  # each case owns a block of consecutive mentions
    # The oldest two thirds of the cases hold the closed ones.
    older = int(n_cases * 2 / 3)
    closed = (
        set(rng.sample(range(older), n_closed))
        if n_closed <= older
        else set(rng.sample(range(n_cases), n_closed))
    )
    author_ids: dict[tuple[str, int], int] = {}
    span = timedelta(days=30).total_seconds()
    start = now - timedelta(days=30)
    owners = list(OWNER_SHARE)
    owner_weights = list(OWNER_SHARE.values())
    intents = list(DOMAIN_OF)
    first_id, case_base, author_base = 10**15, 2 * 10**15, 3 * 10**15
    counts: Counter = Counter()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=_console(),
        transient=False,
    )
    insert_started = time.perf_counter()
    tables = (authors, mentions, cases, links, access)
    with progress:
        task = progress.add_task("mentions and cases", total=n_mentions)
        case_index, thread = -1, None  # the case whose block we are in, its first mention
        for i in range(n_mentions):
            slug, data = pool[i % len(pool)]
            created = start + timedelta(seconds=span * i / n_mentions)
            mention_id = first_id + i
            c = int(i / block) if n_cases else -1
            parent, linked = None, False
            if 0 <= c < n_cases and c != case_index:
                case_index, linked = c, True
                thread = {
                    "id": mention_id,
                    "slug": slug,
                    "data": data,
                    "created": created,
                    "channel": kind_of[slug],
                    "links": 0,
                    "extra": rng.choices((0, 1, 2, 4), (60, 25, 10, 5))[0],
                }
            elif thread is not None and thread["links"] < thread["extra"]:
                slug, parent, linked = thread["slug"], thread["id"], True
                thread["links"] += 1
            channel = kind_of[slug]
            key = (channel, rng.randrange(5000))
            author_id = author_ids.get(key)
            if author_id is None:
                author_id = author_ids[key] = author_base + len(author_ids)
                authors.add(
                    id=author_id,
                    organisation_id=org.pk,
                    channel=channel,
                    external_id=f"bench-{key[1]}",
                    handle=f"persona{key[1]}",
                    display_name=f"Persona {key[1]}",
                    followers=rng.randrange(20, 50_000),
                    first_seen_at=start,
                    last_seen_at=now,
                )
            account = accounts[slug]
            raw = data.get("raw") or {}
            mentions.add(
                id=mention_id,
                organisation_id=org.pk,
                account_id=account.pk,
                brand_id=account.brand_id,
                channel=channel,
                external_id=f"{data['external_id']}#{i}",
                kind=data.get("kind", "post"),
                visibility=data.get("visibility", "public"),
                text=data.get("text", ""),
                title=data.get("title", ""),
                lang=data.get("lang") or raw.get("demo_lang", ""),
                created_at=created,
                received_at=created,
                url=data.get("url", ""),
                author_id=author_id,
                author_handle=f"persona{key[1]}",
                country=(raw.get("demo_country") or "")[:2],
                parent_id=parent,
                thread_root_id=parent,
                content_hash=f"{i:064x}",
                stages_done=["understand", "route"],
                processed_at=created,
            )
            if linked and parent is None:
                thread["author"] = author_id
                _case(
                    cases,
                    access,
                    rng,
                    case_index,
                    case_index in closed,
                    thread,
                    org,
                    teams,
                    workers_of,
                    owners,
                    owner_weights,
                    intents,
                    now,
                    case_base,
                    counts,
                )
            if linked:
                links.add(case_id=case_base + case_index, mention_id=mention_id, added_at=created)
            if len(mentions.rows) >= 5000:
                flush_all(*tables)
                progress.update(task, completed=i + 1)
                if (i + 1) % 200_000 == 0 and not progress.console.is_terminal:
                    progress.console.log(f"  {i + 1:,} mentions")
        flush_all(*tables)
        progress.update(task, completed=n_mentions)
    agent = people["workers"][0][0]
    notices = Table(Notification)
    for k in range(300):
        notices.add(
            id=4 * 10**15 + k,
            organisation_id=org.pk,
            user_id=agent.pk,
            kind="assigned",
            case_id=case_base + rng.randrange(n_cases) if n_cases else None,
            text=f"#{k} bench",
            created_at=now - timedelta(minutes=k),
            read_at=None if k % 2 else now,
        )
    flush_all(notices)
    insert_s = time.perf_counter() - insert_started
    return {
        "generate_seconds": round(generate_s, 1),
        "insert_seconds": round(insert_s, 1),
        "rows": {
            "mentions": mentions.count,
            "authors": authors.count,
            "cases": cases.count,
            "case_mentions": links.count,
            "case_access": access.count,
            "notifications": notices.count,
        },
        "cases": dict(sorted(counts.items())),
    }


def _case(
    cases,
    access,
    rng,
    index,
    is_closed,
    thread,
    org,
    teams,
    workers_of,
    owners,
    owner_weights,
    intents,
    now,
    base,
    counts,
) -> None:
    """One case (open or closed) for the thread starting at `thread`."""
    data = thread["data"]
    opened = thread["created"]
    intent = rng.choice(intents)
    owner = teams[rng.choices(owners, owner_weights)[0]]
    domain = teams[DOMAIN_OF[intent]]
    visible_all = rng.random() < 0.03
    visible = sorted({owner.pk, domain.pk} | ({teams["pr"].pk} if rng.random() < 0.05 else set()))
    priority, rank, _w = rng.choices(PRIORITY, [p[2] for p in PRIORITY])[0]
    staff = workers_of.get(owner.pk, [])
    assignee = rng.choice(staff) if staff and rng.random() < (0.9 if is_closed else 0.75) else None
    due = opened + timedelta(minutes=DUE_MINUTES[priority])
    if is_closed:
        status = "closed" if rng.random() < 0.7 else "resolved"
        resolved = opened + timedelta(hours=rng.uniform(1, 72))
        closed_at = resolved + timedelta(days=3) if status == "closed" else None
        responded = opened + timedelta(minutes=rng.uniform(5, 300))
    else:
        status = rng.choices(("new", "open", "pending"), (35, 50, 15))[0]
        resolved = closed_at = None
        responded = None if status == "new" else opened + timedelta(minutes=rng.uniform(5, 300))
    if responded is not None or is_closed:
        sla = "ok" if rng.random() < 0.8 else "breached"
    else:
        sla = "breached" if due < now else rng.choice(("ok", "warning"))
    text = " ".join((data.get("title") or data.get("text") or "").split())
    tags = rng.sample(TAGS, rng.randint(1, 2)) if rng.random() < 0.3 else []
    raw = data.get("raw") or {}
    case_id = base + index
    cases.add(
        id=case_id,
        organisation_id=org.pk,
        subject=text[:120],
        status=status,
        is_open=not is_closed,
        priority=priority,
        priority_rank=rank,
        intent=intent,
        actions=[],
        tags=tags,
        lang=data.get("lang") or raw.get("demo_lang", "es"),
        channel=thread["channel"],
        contact_id=thread.get("author"),
        first_mention_id=thread["id"],
        model="hub_and_spoke",
        owner_team_id=owner.pk,
        domain_team_id=domain.pk,
        visible_to_all=visible_all,
        visible_team_ids=[] if visible_all else visible,
        answer_all=False,
        answer_team_ids=sorted({owner.pk, domain.pk}),
        shared=False,
        route_reason="bench",
        assignee_id=assignee,
        opened_at=opened,
        updated_at=opened,
        first_response_at=responded,
        resolved_at=resolved,
        closed_at=closed_at,
        first_response_due=due,
        resolution_due=opened + timedelta(days=1),
        sla_state=sla,
    )
    if not visible_all:
        for team_id in visible:
            access.add(case_id=case_id, team_id=team_id)
    counts["open" if not is_closed else status] += 1
    counts[f"assigned_{'open' if not is_closed else 'closed'}"] += assignee is not None


def _scenarios(people: dict) -> list[tuple[str, str, str]]:
    """(who, label, query string) of each page timed."""
    teams = people["teams"]
    out = [("hub agent", v, f"view={v}") for v in ("mine", "team", "unassigned", "all")]
    out += [
        ("hub agent", "all, priority high", "view=all&priority=high"),
        ("hub agent", "all, status pending", "view=all&status=pending"),
        ("hub agent", "all, SLA breached", "view=all&sla=breached"),
        ("hub agent", "all, team billing", f"view=all&team={teams['billing'].pk}"),
        ("hub agent", "team, search a word", "view=team&q=router"),
        ("hub agent", "mine, page 3", "view=mine&page=3"),
    ]
    out += [("spoke agent", v, f"view={v}") for v in ("mine", "team", "unassigned", "all")]
    out += [("hub agent", "closed (not in the target)", "view=closed")]
    return out


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [" ".join(str(v) for v in row[1:]) for row in cursor.fetchall()]


def _time_page(client, url: str, runs: int, warm: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        client.get(url)
    counter = QueryCounter()
    times, cpu, counts, statuses = [], [], [], Counter()
    with connection.execute_wrapper(counter):
        for _ in range(runs):
            before = counter.n
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            counts.append(counter.n - before)
            statuses[response.status_code] += 1
    with CaptureQueriesContext(connection) as captured:  # one more, untimed: the statements
        response = client.get(url)
    rows = response.content.count(b'class="case-row')
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default=None)
    return {
        "url": url,
        "requests": runs,
        "statuses": {str(k): v for k, v in statuses.items()},
        "rows_shown": rows,
        "p50_ms": round(_pct(times, 0.5), 1),
        "p95_ms": round(_pct(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        # This process's CPU time (the page, and on SQLite the database work too).
        "cpu_p50_ms": round(_pct(cpu, 0.5), 1),
        "cpu_p95_ms": round(_pct(cpu, 0.95), 1),
        "queries": sorted(set(counts)),
        "queries_captured": len(captured.captured_queries),
        "bounded": len(set(counts)) == 1 and counts[0] == len(captured.captured_queries),
        "slowest_query_ms": round(float(slowest["time"]) * 1000, 1) if slowest else None,
        "slowest_query": slowest["sql"][:3000] if slowest else None,
        "slowest_query_plan": _explain(slowest["sql"]) if slowest else [],
    }


def inbox_child(o: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    console = _console()
    rng = random.Random(o.seed + 1)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    people = make_organisation(o.agents, 20, rng)
    closed = o.closed_cases if o.closed_cases is not None else o.open_cases // 2
    console.log(
        f"inbox: filling {o.inbox_mentions:,} mentions, {o.open_cases:,} open and "
        f"{closed:,} closed cases …"
    )
    fill = fill_inbox(people, o.inbox_mentions, o.open_cases, closed, o.seed)
    fill["analyze_seconds"] = _analyze()
    setup_s = round(time.perf_counter() - started, 1)
    console.log(f"inbox: database ready in {setup_s:.0f} s; timing the pages …")
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    hub = people["workers"][0][0]
    spoke = next(u for u, team, _r in people["workers"] if team.department == "billing")
    clients = {}
    for who, user in (("hub agent", hub), ("spoke agent", spoke)):
        clients[who] = Client()
        clients[who].force_login(user)
    pages = []
    for who, label, query in _scenarios(people):
        result = _time_page(clients[who], f"/cases/?{query}", o.requests, o.warm_up)
        result.update(who=who, view=label, in_target=not label.startswith("closed"))
        result["meets_target"] = (
            result["p95_ms"] < TARGET_P95_MS
            and result["bounded"]
            and result["statuses"] == {"200": o.requests}
        )
        pages.append(result)
        console.log(
            f"  {who:<11} {label:<28} p50 {result['p50_ms']:6.1f} ms  p95 "
            f"{result['p95_ms']:6.1f} ms  max {result['max_ms']:6.1f} ms  "
            f"{'/'.join(map(str, result['queries']))} queries  {result['rows_shown']} rows"
        )
    targeted = [p for p in pages if p["in_target"]]
    return {
        "vendor": connection.vendor,
        "setup_seconds": setup_s,
        "fill": fill,
        "agents": {"hub": hub.username, "spoke": spoke.username},
        "pages": pages,
        "worst_p95_ms": max(p["p95_ms"] for p in targeted),
        "all_bounded": all(p["bounded"] for p in targeted),
        "meets_target": all(p["meets_target"] for p in targeted),
        "load_average": common.load_average(),
    }


# --- the parent: children per engine ------------------------------------------------------------


def _child_args(o: argparse.Namespace, part: str) -> list[str]:
    args = [
        part,
        "--mentions",
        str(o.mentions),
        "--rules",
        str(o.rules),
        "--agents",
        str(o.agents),
        "--capacity",
        str(o.capacity),
        "--inbox-mentions",
        str(o.inbox_mentions),
        "--open-cases",
        str(o.open_cases),
        "--requests",
        str(o.requests),
        "--warm-up",
        str(o.warm_up),
        "--seed",
        str(o.seed),
    ]
    if o.profile:
        args.append("--profile")
    if o.statements:
        args.append("--statements")
    if o.closed_cases is not None:
        args += ["--closed-cases", str(o.closed_cases)]
    return args


def run_child(part: str, database_url: str, data_dir: Path, o: argparse.Namespace) -> dict:
    """One part against `database_url` in a fresh process with production settings (no
    debug: no query log)."""
    try:
        return common.run_child(
            __file__, _child_args(o, part), database_url, data_dir,
            PANAL_DEBUG="0", PANAL_SECRET_KEY=secrets.token_urlsafe(40),
            PANAL_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        )  # fmt: skip
    except RuntimeError as exc:
        return {"failed": f"the {part} child: {exc}"}


def run_engine(engine: str, work: Path, o: argparse.Namespace) -> dict:
    parts = [p for p in ("routing", "inbox") if not getattr(o, f"skip_{p}")]
    out: dict = {}
    for part in parts:
        data_dir = work / f"{engine}-{part}"
        data_dir.mkdir()
        if engine == "sqlite":
            out[part] = run_child(part, f"sqlite:///{data_dir / 'bench.sqlite3'}", data_dir, o)
        else:
            out[part] = common.on_postgresql(
                o.pg, PG_DATABASE, lambda url, d=data_dir, p=part: run_child(p, url, d, o)
            )
        print(one_line(engine, part, out[part]), flush=True)
    return out


def one_line(engine: str, part: str, r: dict) -> str:
    if "skipped" in r or "failed" in r:
        return f"  {engine} {part}: {r.get('skipped') or r.get('failed')}"
    if part == "routing":
        checks = "all checks pass" if all(r["checks"].values()) else f"CHECKS FAIL {r['checks']}"
        return (
            f"  {engine} routing: {r['mentions_per_s']:,} mentions/s ({r['timed_mentions']:,} in "
            f"{r['seconds']} s; CPU {r['mentions_per_s_cpu']:,}/s), batch p50 "
            f"{r['batch_ms']['p50']} ms p95 {r['batch_ms']['p95']} ms, "
            f"{r['queries_per_batch']['median']} queries a batch; {r['cases_opened']:,} cases "
            f"opened, {r['mentions_joined']:,} joined, {r['rule_fires']:,} rule fires; "
            f"{'meets' if r['meets_target'] else 'below'} {TARGET_PER_S:,}/s; {checks}"
        )
    return (
        f"  {engine} inbox: worst p95 {r['worst_p95_ms']} ms over "
        f"{sum(p['in_target'] for p in r['pages'])} pages, "
        f"{'bounded' if r['all_bounded'] else 'NOT bounded'}; "
        f"{'meets' if r['meets_target'] else 'misses'} p95 < {TARGET_P95_MS:.0f} ms"
    )


def verdicts(results: dict) -> dict:
    out = {}
    for engine, parts in results.items():
        v = {}
        routing, inbox = parts.get("routing", {}), parts.get("inbox", {})
        if "mentions_per_s" in routing:
            v["routing_5000_per_s"] = routing["mentions_per_s"] >= TARGET_PER_S
            v["routing_checks"] = all(routing["checks"].values())
        if "pages" in inbox:
            v["inbox_p95_under_150_ms"] = inbox["worst_p95_ms"] < TARGET_P95_MS
            v["inbox_queries_bounded"] = inbox["all_bounded"]
        out[engine] = v
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000, help="routed and timed")
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--agents", type=int, default=40, help="case workers")
    parser.add_argument(
        "--capacity",
        type=int,
        default=5000,
        help="each worker's capacity while routing (high: assignment stays in play)",
    )
    parser.add_argument("--inbox-mentions", type=int, default=1_000_000)
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--closed-cases", type=int, default=None, help="default: half the open")
    parser.add_argument("--requests", type=int, default=200, help="timed requests a page")
    parser.add_argument("--warm-up", type=int, default=10, help="untimed requests a page")
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--skip-inbox", action="store_true")
    parser.add_argument("--skip-routing", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the routing (where its time goes; inflates the figures)",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="add up the routing's time per SQL statement (COPY is not counted)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--pg", default=os.environ.get("PANAL_BENCH_PG", PG_SERVER))
    parser.add_argument("--out", type=Path, default=common.RESULTS / f"{NAME}.json")
    parser.add_argument("--child", choices=("routing", "inbox"), help=argparse.SUPPRESS)
    o = parser.parse_args(argv)
    closed = o.closed_cases if o.closed_cases is not None else o.open_cases // 2
    if not o.skip_inbox and o.inbox_mentions < o.open_cases + closed:
        parser.error("--inbox-mentions must be at least the open and closed cases together")
    if o.child:
        result = routing_child(o) if o.child == "routing" else inbox_child(o)
        print(json.dumps(result, default=str))
        return {}
    engines = {"sqlite": ["sqlite"], "postgres": ["postgresql"]}.get(
        o.engine, ["sqlite", "postgresql"]
    )
    load_before = common.load_average()
    work = Path(tempfile.mkdtemp(prefix="panal-bench-engagement-"))
    results: dict = {}
    started = time.perf_counter()
    try:
        for engine in engines:
            print(f"{NAME}: {engine} …", flush=True)
            results[engine] = run_engine(engine, work, o)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = {
        **common.header(NAME),
        "what": "routing (understanding → playbook → engagement model → rules → cases) of "
        "classified demo mentions in batches of 1,000; the /cases/ page of an agent over a "
        "database of many mentions and open cases",
        "command": "bench/engagement_bench.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "seconds": round(time.perf_counter() - started),
        "load_average_1m": {"before": load_before, "after": common.load_average()},
        "parameters": {
            "mentions": o.mentions,
            "warm_up_batch": BATCH,
            "batch": BATCH,
            "rules": o.rules,
            "agents": o.agents,
            "capacity": o.capacity,
            "inbox_mentions": o.inbox_mentions,
            "open_cases": o.open_cases,
            "closed_cases": o.closed_cases if o.closed_cases is not None else o.open_cases // 2,
            "requests": o.requests,
            "warm_up_requests": o.warm_up,
            "seed": o.seed,
            "settings": "PANAL_DEBUG=0 (no query log), database task backend",
        },
        "targets": {
            "routing_mentions_per_s": TARGET_PER_S,
            "inbox_p95_ms": TARGET_P95_MS,
            "inbox_queries": "bounded: the same count on every request",
        },
        "results": results,
        "verdicts": verdicts(results),
    }
    common.write(o.out, record)
    print(f"{NAME}: wrote {o.out}")
    return record


if __name__ == "__main__":
    main()
