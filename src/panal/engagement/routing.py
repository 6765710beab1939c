"""Routing: every understood mention goes where the organisation's engagement model says,
through its playbook and its rules, and opens or joins a case (docs/engagement.md#routing).

For a batch of one organisation's mentions the `Router` reads, in a fixed number of
queries, their understanding, the cases their conversations already have, the contacts'
earlier cases and the pending satisfaction surveys; then for each mention, in memory:

1. facts (intents, sentiment, urgency, brand, language, channel; a crisis when urgency
   is critical or crisis words were heard) → the playbook → the model's `Decision`;
2. the rules, in order, each seeing the mention, its understanding, the routing, the case
   it would join and the contact (`rules.context`); their actions change the plan;
3. the plan is carried out: a later message of a conversation with an open (or recently
   resolved) case joins it; otherwise a new case opens when the playbook or a rule says
   so, with SLA deadlines on the organisation's business hours, the teams that see and
   answer it, an assignee chosen by the assignment strategy, its history (opened, routed,
   each rule) and, for purchase intent, a lead.

Everything is written with a handful of bulk inserts per batch. Already-linked mentions
(a re-run after an edit) are left alone, so routing is idempotent.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction

from panal.core import clock
from panal.core.db import (
    build,
    insert_objects,
    insert_rows,
    int_array,
    read_instances,
    update_ids,
    update_rows,
)
from panal.core.ids import numbered
from panal.listening.models import Author, Mention
from panal.org.choices import Department
from panal.org.models import Brand, Membership, Organisation, Team

from . import cases as case_services
from .models import (
    EVENT_FIELDS,
    NOTICE_FIELDS,
    PRIORITY_RANK,
    Case,
    CaseAccess,
    CaseEvent,
    CaseMention,
    EngagementConfig,
    Notification,
    Priority,
    RuleFire,
)
from .models_of_engagement import ALL, MODELS, Decision, Facts, TeamInfo, Teams
from .playbooks import Playbook

log = logging.getLogger(__name__)

Kind = CaseEvent.Kind
Status = Case.Status
# A message in a conversation whose case was resolved this recently reopens it; later
# it opens a new case (as Zendesk's follow-ups do).
REOPEN_WITHIN = timedelta(days=7)
# A mention published longer ago than this when it is routed (an import of history, a
# backfill) opens no case of its own: nobody should answer it now. It still joins an
# open case of its conversation.
STALE_AFTER = timedelta(days=7)
PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL]
CRISIS_LEVELS = frozenset({"critical"})
LEAD_ACTIONS = frozenset({"create_lead"})
# Departments that manage a team's queue (notified on escalations).
MANAGER_ROLES = ("area_manager", "director")


def escalated(priority: str) -> str:
    index = PRIORITIES.index(priority) if priority in PRIORITIES else 1
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]


def facts_of(mention, understanding) -> Facts:
    """What routing knows of a mention (its understanding may be missing)."""
    if understanding is None:
        return Facts(
            brand_id=mention.brand_id, lang=mention.lang or "", channel=mention.channel,
            visibility=mention.visibility,
        )  # fmt: skip
    intents = tuple(
        item["label"]
        for item in sorted(
            understanding.intents or (), key=lambda i: -float(i.get("confidence") or 0)
        )
        if isinstance(item, dict) and item.get("label")
    )
    reasons = understanding.urgency_reasons or ()
    crisis = understanding.urgency_level in CRISIS_LEVELS or any(
        isinstance(r, dict) and r.get("reason") == "crisis" for r in reasons
    )
    return Facts(
        intents=intents,
        sentiment=understanding.sentiment or "neutral",
        urgency_level=understanding.urgency_level or "normal",
        brand_id=mention.brand_id,
        lang=understanding.lang or mention.lang or "",
        channel=mention.channel,
        visibility=mention.visibility,
        is_crisis=crisis,
    )


@dataclass
class Plan:
    """What routing will do with one mention (before anything is written)."""

    mention: Any
    facts: Facts
    playbook: Playbook
    decision: Decision
    case: Case | None = None  # the existing case it joins
    opens: bool = False
    priority: str = Priority.NORMAL
    owner_team_id: int | None = None
    assignee_id: int | None = None
    tags: list[str] = field(default_factory=list)
    notify_teams: set[int] = field(default_factory=set)
    notify_users: set[int] = field(default_factory=set)
    lead: bool = False
    auto_replies: list[str] = field(default_factory=list)
    fired: list = field(default_factory=list)
    escalated: bool = False
    # What the rules asked for, apart from the playbook's defaults: a mention that joins
    # an existing case changes it only by these.
    rule_priority: str | None = None
    rule_team_id: int | None = None
    rule_lead: bool = False
    untags: list[str] = field(default_factory=list)  # tags a rule takes off
    rule_status: str | None = None


# Decisions by facts, kept between batches for as long as what they depend on stays the
# same: the organisation, its model, director team, teams and playbooks (the key). A
# batch meets a few hundred distinct facts; most were met by the batches before.
_DECISIONS: dict[tuple, dict[Facts, tuple[Playbook, Decision]]] = {}
_DECISIONS_KEYS = 256  # organisations' settings kept
_DECISIONS_FACTS = 20_000  # decisions kept for one of them


def _decisions(key: tuple) -> dict[Facts, tuple[Playbook, Decision]]:
    found = _DECISIONS.get(key)
    if found is None or len(found) >= _DECISIONS_FACTS:
        if len(_DECISIONS) >= _DECISIONS_KEYS:
            _DECISIONS.clear()
        found = _DECISIONS[key] = {}
    return found


class Router:
    """One organisation's routing, prepared once per batch."""

    def __init__(self, organisation: Organisation, now=None):
        self.organisation = organisation
        self.now = now or clock.now()
        self.settings = case_services.settings_for(organisation)
        config = self.settings.config
        team_rows = list(Team.objects.filter(organisation=organisation))
        self.team_rows = {t.pk: t for t in team_rows}
        self.teams_by_slug = {t.slug: t.pk for t in team_rows}
        infos = sorted((TeamInfo.of(t) for t in team_rows), key=lambda t: t.id)
        self.teams = Teams(infos, director_team_id=config.director_team_id)
        self.model = MODELS.get(organisation.engagement_model) or MODELS["hub_and_spoke"]
        self._changed: set[int] = set()  # joined cases the rules changed (this batch)
        self._joined_leads: dict[int, Case] = {}  # joined cases a rule gives a lead
        self._statuses: dict[int, tuple[Case, str]] = {}  # joined cases' statuses by rule
        self._new_leads: dict[int, tuple[Case, int | None]] = {}  # …cases opened this batch
        self._decided = _decisions((
            organisation.pk, self.model.name, config.director_team_id, tuple(infos),
            json.dumps(config.playbooks or {}, sort_keys=True, default=str),
        ))  # fmt: skip
        self.crm_team_id = next(
            (t.pk for t in sorted(team_rows, key=lambda t: t.slug)
             if t.department == "crm_call_center"), None,
        )  # fmt: skip
        self.ruleset = _ruleset(organisation.pk)
        self.brands = {b.pk: b for b in Brand.objects.filter(organisation=organisation)}
        self._pool = None
        self._members: dict[int, list[int]] | None = None
        self._managers: dict[int, list[int]] | None = None
        self._users_by_name: dict[str, int] | None = None

    @classmethod
    def for_org(cls, organisation: Organisation | int, now=None) -> Router:
        if not isinstance(organisation, Organisation):
            organisation = Organisation.objects.select_related("engagement").get(pk=organisation)
        return cls(organisation, now)

    # -- lookups, loaded on first use ----------------------------------------------------

    @property
    def pool(self):
        if self._pool is None:
            from .assignment import Pool

            self._pool = Pool.for_org(self.organisation.pk, now=self.now)
        return self._pool

    def _load_members(self) -> None:
        members: dict[int, list[int]] = defaultdict(list)
        managers: dict[int, list[int]] = defaultdict(list)
        names: dict[str, int] = {}
        for user_id, team_id, roles, username in Membership.objects.filter(
            organisation=self.organisation, is_active=True
        ).values_list("user_id", "team_id", "roles", "user__username"):
            names[username] = user_id
            if team_id is not None:
                members[team_id].append(user_id)
                if any(r in MANAGER_ROLES for r in roles or ()):
                    managers[team_id].append(user_id)
        self._members, self._managers, self._users_by_name = members, managers, names

    def members(self, team_id: int) -> list[int]:
        if self._members is None:
            self._load_members()
        return self._members.get(team_id, [])

    def managers(self, team_id: int) -> list[int]:
        if self._managers is None:
            self._load_members()
        return self._managers.get(team_id, [])

    def user_id(self, username: str) -> int | None:
        if self._users_by_name is None:
            self._load_members()
        return self._users_by_name.get(username)

    # -- deciding (pure: no writes) ---------------------------------------------------------

    def decide(self, mention, understanding) -> tuple[Facts, Playbook, Decision]:
        """The playbook and the model's decision: pure functions of the facts (frozen) for
        this router's teams and settings, so mentions with the same facts share them."""
        facts = facts_of(mention, understanding)
        found = self._decided.get(facts)
        if found is None:
            playbook = self.settings.playbooks.choose(facts)
            found = (playbook, self.model.decide(facts, self.teams, playbook))
            self._decided[facts] = found
        return facts, found[0], found[1]

    def plan(
        self, mention, understanding, *, case: Case | None = None, contact_cases: int = 0
    ) -> Plan:
        facts, playbook, decision = self.decide(mention, understanding)
        plan = Plan(
            mention=mention, facts=facts, playbook=playbook, decision=decision, case=case,
            opens=playbook.opens_case, priority=playbook.priority,
            owner_team_id=decision.owner_team_id,
            notify_teams=set(decision.also_notify),
            lead=bool(LEAD_ACTIONS.intersection(playbook.actions)),
        )  # fmt: skip
        if self.ruleset is not None:
            from . import rules

            ctx = rules.context(
                mention, understanding, playbook=playbook, decision=decision, case=case,
                is_new_case=case is None, contact_cases=contact_cases,
                teams_by_id=self.team_rows,
            )  # fmt: skip
            plan.fired = self.ruleset.evaluate(ctx)
            for fired in plan.fired:
                for action in fired.actions:
                    self._apply(plan, action)
        return plan

    def _apply(self, plan: Plan, action: dict) -> None:
        kind = action.get("type")
        if kind == "assign":
            if action.get("team"):
                team_id = self.teams_by_slug.get(action["team"])
                if team_id is not None:
                    plan.owner_team_id = plan.rule_team_id = team_id
                    plan.opens = True
            if action.get("user"):
                user_id = self.user_id(action["user"])
                if user_id is not None:
                    plan.assignee_id = user_id
                    plan.opens = True
        elif kind == "tag":
            for tag in action.get("tags") or ():
                if tag not in plan.tags:
                    plan.tags.append(tag)
                if tag in plan.untags:
                    plan.untags.remove(tag)
        elif kind == "untag":
            for tag in action.get("tags") or ():
                if tag in plan.tags:
                    plan.tags.remove(tag)
                if tag not in plan.untags:
                    plan.untags.append(tag)
        elif kind == "status":
            if action.get("value") in Status.values:
                plan.rule_status = action["value"]
        elif kind == "priority":
            value = action.get("value")
            if value in PRIORITY_RANK:
                plan.priority = value  # a new case: the last rule's
                asked = plan.rule_priority  # a joined case: the most urgent asked for
                if asked is None or PRIORITY_RANK[value] < PRIORITY_RANK[asked]:
                    plan.rule_priority = value
        elif kind == "escalate":
            plan.priority = escalated(plan.priority)
            plan.escalated = True
            plan.opens = True
            if self.teams.director_team is not None:
                plan.notify_teams.add(self.teams.director_team.id)
        elif kind == "notify":
            if action.get("team") and action["team"] in self.teams_by_slug:
                plan.notify_teams.add(self.teams_by_slug[action["team"]])
            if action.get("user"):
                user_id = self.user_id(action["user"])
                if user_id is not None:
                    plan.notify_users.add(user_id)
        elif kind == "auto_reply":
            if action.get("template"):
                plan.auto_replies.append(action["template"])
        elif kind == "open_case":
            plan.opens = True
        elif kind == "create_lead":
            plan.lead = plan.rule_lead = True
            plan.opens = True
        elif kind == "hand_to_crm" and self.crm_team_id is not None:
            plan.owner_team_id = plan.rule_team_id = self.crm_team_id
            plan.opens = True

    # -- routing a batch ----------------------------------------------------------------

    def route(self, mentions: Sequence) -> list[Plan]:
        """Route these mentions of this organisation; returns the plans carried out."""
        from panal.understanding.models import Understanding

        ids = [m.pk for m in mentions]
        linked = set(
            CaseMention.objects.filter(mention_id__any=ids).values_list("mention_id", flat=True)
        )
        todo = [m for m in mentions if m.pk not in linked and m.deleted_at is None]
        if not todo:
            return []
        understanding = {
            u.mention_id: u
            for u in read_instances(
                Understanding.objects.filter(mention_id__any=[m.pk for m in todo]),
                UNDERSTANDING_READ,
            )
        }
        # Rules read the brand and the contact's followers: from memory, not a query each.
        reads = self.ruleset.reads if self.ruleset is not None else frozenset()
        author_ids = {m.author_id for m in todo if m.author_id is not None}
        authors = {}
        if "contact.followers" in reads and author_ids:
            rows = read_instances(Author.objects.filter(id__any=author_ids), AUTHOR_READ)
            authors = {a.pk: a for a in rows}
        for mention in todo:
            if mention.brand_id is not None and mention.brand_id in self.brands:
                Mention.brand.field.set_cached_value(mention, self.brands[mention.brand_id])
            if mention.author_id in authors:
                Mention.author.field.set_cached_value(mention, authors[mention.author_id])
        todo = self._capture_csat(todo)
        existing = self._open_cases_of(todo)
        contact_cases = self._contact_cases(todo) if "contact.cases" in reads else {}
        plans: list[Plan] = []
        new_by_root: dict[int, Plan] = {}
        joins: list[tuple[Plan, Case | Plan]] = []
        for mention in todo:
            root = mention.thread_root_id or mention.id
            case = existing.get(mention.thread_root_id) or existing.get(mention.parent_id)
            plan = self.plan(
                mention, understanding.get(mention.pk), case=case,
                contact_cases=contact_cases.get(mention.author_id, 0),
            )  # fmt: skip
            plans.append(plan)
            if case is not None:
                joins.append((plan, case))
            elif root in new_by_root and root != mention.id:
                joins.append((plan, new_by_root[root]))
            elif plan.opens and mention.created_at >= self.now - STALE_AFTER:
                new_by_root[mention.id] = plan
            else:
                plan.opens = False
        self._write(plans, joins)
        return plans

    def _capture_csat(self, mentions: list) -> list:
        """Survey answers are recorded on their case, not routed as new work."""
        from .models import Csat

        authors = {m.author_id for m in mentions if m.author_id is not None}
        if not authors:
            return mentions
        waiting = set(  # the batch's authors with a survey awaiting their answer
            Csat.objects.filter(
                case__contact_id__any=authors, answered_at__isnull=True,
                sent_at__gte=self.now - timedelta(days=7),
            ).values_list("case__contact_id", flat=True)
        )  # fmt: skip
        if not waiting:
            return mentions
        from . import csat

        return [m for m in mentions if m.author_id not in waiting or not csat.capture(m)]

    def _open_cases_of(self, mentions: list) -> dict[int, Case]:
        """The case of each conversation root or parent the batch replies to."""
        keys = {m.thread_root_id for m in mentions} | {m.parent_id for m in mentions}
        keys.discard(None)
        if not keys:
            return {}
        found: dict[int, Case] = {}
        cutoff = self.now - REOPEN_WITHIN
        links = CaseMention.objects.filter(mention_id__any=keys).select_related("case__assignee")
        for link in links:
            case = link.case
            if case.merged_into_id is not None:
                continue
            if case.is_open or (
                case.status == Status.RESOLVED and (case.resolved_at or self.now) >= cutoff
            ):
                found[link.mention_id] = case
        return found

    def _contact_cases(self, mentions: list) -> dict[int, int]:
        authors = {m.author_id for m in mentions if m.author_id is not None}
        if not authors or self.ruleset is None:
            return {}
        return cases_of_contacts(authors, self.ruleset.count_limit("contact.cases"))

    def _write(self, plans: list[Plan], joins: list) -> None:
        """Carry out the plans. The cases are model instances (later steps use them); the
        rows around them (links, access, history, audit, notifications: several per
        mention) are plain tuples inserted with `core.db.insert_rows`, where bulk_create
        would spend most of the batch building and adapting instances."""
        from . import rules

        now = self.now
        org_id = self.organisation.pk
        new_cases: list[Case] = []
        links: list[tuple] = []  # LINK_FIELDS
        access: list[tuple] = []  # ACCESS_FIELDS
        events: list[tuple] = []  # EVENT_FIELDS, without the id until numbered
        notices: list[tuple] = []  # NOTICE_FIELDS, without the id
        lead_cases: list[Case] = []
        lead_brands: dict[int, int | None] = {}  # case id → its first mention's brand
        replies: list[tuple[Case, Any, str]] = []
        strategy = self.settings.config.assignment
        hours = self.settings.hours
        case_of_plan: dict[int, Case] = {}
        joining = {id(plan) for plan, _target in joins}
        for plan in plans:
            if id(plan) in joining or not plan.opens:
                continue
            case = self._new_case(plan, now, hours)
            if plan.rule_status and plan.rule_status != case.status:
                # Its clocks as `cases.apply_status` sets them. One that opens resolved or
                # closed gets no assignee (below) and no survey: nobody answered it.
                case_services.status_clocks(case, plan.rule_status, now)
            if (
                plan.assignee_id is None
                and case.owner_team_id is not None
                and strategy != "manual"
                and case.is_open
            ):
                chosen = self.pool.choose(
                    case.owner_team_id, intent=case.intent, lang=case.lang, strategy=strategy
                )
                if chosen is not None:
                    self.pool.took(chosen)
                    case.assignee_id = chosen
            elif plan.assignee_id is not None:
                case.assignee_id = plan.assignee_id
            case_id = case.pk
            case_of_plan[id(plan)] = case
            new_cases.append(case)
            links.append((case_id, plan.mention.pk, now))
            if plan.decision.visible_to is not ALL:
                access.extend((case_id, t) for t in case.visible_team_ids)
            events.append((case_id, now, None, Kind.OPENED, {
                "mention": plan.mention.pk, "intent": plan.playbook.intent,
                "priority": case.priority,
            }))  # fmt: skip
            events.append((case_id, now, None, Kind.ROUTED, {
                **plan.decision.as_dict(), "owner_team": case.owner_team_id,
            }))  # fmt: skip
            if case.status != Status.NEW:
                events.append((case_id, now, None, Kind.STATUS, {
                    "before": Status.NEW, "after": case.status, "reason": "rule",
                }))  # fmt: skip
            if case.assignee_id is not None:
                events.append((case_id, now, None, Kind.ASSIGNED, {
                    "before": None, "after": case.assignee_id,
                    "how": "rule" if plan.assignee_id else strategy,
                }))  # fmt: skip
                notices.append(self._notice(case.assignee_id, Notification.Kind.ASSIGNED, case))
            if plan.escalated:
                events.append((case_id, now, None, Kind.ESCALATED, {"by": "rule"}))
            if plan.lead:
                lead_cases.append(case)
                lead_brands[case_id] = plan.mention.brand_id
            replies.extend((case, plan.mention, t) for t in plan.auto_replies)
        for plan, target in joins:
            case = case_of_plan.get(id(target)) if isinstance(target, Plan) else target
            if case is None:  # its conversation's first message opened nothing
                continue
            case_of_plan[id(plan)] = case
            links.append((case.pk, plan.mention.pk, now))
            events.append((case.pk, now, None, Kind.MENTION, {"mention": plan.mention.pk}))
            replies.extend((case, plan.mention, t) for t in plan.auto_replies)
            if (
                plan.tags
                or plan.rule_priority
                or plan.escalated
                or plan.rule_lead
                or plan.untags
                or (
                    isinstance(target, Case)
                    and (plan.rule_team_id or plan.assignee_id or plan.rule_status)
                )
            ):
                self._change_joined(plan, case, events, access, notices)
        for case, brand_id in self._new_leads.values():
            if case not in lead_cases:
                lead_cases.append(case)
                lead_brands[case.pk] = brand_id
        events = numbered(events)  # before the rules' rows: the history lists them after
        fired: list[tuple] = []  # (mention id, case id, rules): the audit (and history)
        for plan in plans:
            case = case_of_plan.get(id(plan))
            if plan.fired:
                fired.append((plan.mention.pk, case.pk if case else None, plan.fired))
            if case is None:
                continue
            notify: set[int] = set(plan.notify_users)
            for team_id in plan.notify_teams:
                notify.update(self.members(team_id))
            kind = Notification.Kind.CRISIS if plan.facts.is_crisis else Notification.Kind.NOTIFY
            notices.extend(self._notice(u, kind, case) for u in notify)
        with transaction.atomic():
            insert_objects(new_cases)
            insert = partial(insert_rows, ignore_conflicts=False)
            insert(CaseMention, LINK_FIELDS, links)
            insert(CaseAccess, ACCESS_FIELDS, access)
            insert(CaseEvent, EVENT_FIELDS, events)
            insert(RuleFire, rules.FIRE_FIELDS, rules.record_fires(org_id, fired, now))
            insert(Notification, NOTICE_FIELDS, numbered(notices))
            joined = {c.pk: c for _p, c in joins if isinstance(c, Case)}
            changed = [c for c in joined.values() if c.pk in self._changed]
            if changed:
                names = [Case._meta.get_field(f).attname for f in JOINED_CHANGES]
                rows = [[c.pk, *(c.__dict__[n] for n in names)] for c in changed]
                update_rows(Case, JOINED_CHANGES, rows)
            self._update_joined(joined.values(), now)
            for case, status in self._statuses.values():  # after a reply reopened it
                case_services.apply_status(case, status)
            if new_cases and self._pool is not None:
                self._pool.flush()
            if self._joined_leads:
                from . import leads

                leads.bulk_create_for(
                    list(self._joined_leads.values()), sales_teams=self._sales_teams(),
                    manual=self._manual(),
                )  # fmt: skip
            if lead_cases:
                from . import leads

                leads.bulk_create_for(
                    lead_cases, brands=lead_brands, opened=True,
                    sales_teams=self._sales_teams(), manual=self._manual(),
                )  # fmt: skip
            if replies:
                transaction.on_commit(lambda: _auto_replies(replies))

    def _sales_teams(self) -> dict[int, list[Team]]:
        sales = [t for t in self.team_rows.values() if t.department == Department.SALES]
        return {self.organisation.pk: sales}

    def _manual(self) -> set[int]:
        hand = self.settings.config.assignment == EngagementConfig.Strategy.MANUAL
        return {self.organisation.pk} if hand else set()

    def _change_joined(self, plan: Plan, case: Case, events: list, access: list, notices: list):
        """What the rules that fired on a mention joining a case change on it, each change
        in its history: tags are added; the priority is raised (a later message never
        lowers it) and `escalate` raises it a step; `assign` / `hand_to_crm` move it to a
        team (and a person); `create_lead` gives it a lead. A case opened by this batch
        (the conversation's first message was in it) takes the tags, priority and lead;
        an existing one all of it."""
        now = self.now
        existing = not case._state.adding  # read from the database, not opened now
        changed = False
        removed = [t for t in plan.untags if t in case.tags]
        kept = [t for t in case.tags if t not in removed]
        added = [t for t in plan.tags if t not in kept]
        added = added[: max(case_services.MAX_TAGS - len(kept), 0)]
        if added or removed:
            case.tags = [*kept, *added]
            events.append((case.pk, now, None, Kind.TAGS, {"added": added, "removed": removed}))
            changed = True
        priority = case.priority
        if plan.rule_priority and PRIORITY_RANK[plan.rule_priority] < PRIORITY_RANK[priority]:
            priority = plan.rule_priority  # more urgent (rank 0 is critical)
        if plan.escalated:
            priority = escalated(priority)
        if priority != case.priority:
            change = {"before": case.priority, "after": priority, "reason": "rule"}
            events.append((case.pk, now, None, Kind.PRIORITY, change))
            case_services.priority_fields(case, priority, self.settings)
            changed = True
        if not existing:
            if plan.rule_lead:
                self._new_leads.setdefault(case.pk, (case, plan.mention.brand_id))
            return
        if plan.rule_lead:
            self._joined_leads[case.pk] = case
        if plan.rule_status:
            self._statuses[case.pk] = (case, plan.rule_status)
        team_id = plan.rule_team_id
        if team_id is not None and team_id != case.owner_team_id:
            events.append((case.pk, now, None, Kind.TEAM, {
                "before": case.owner_team_id, "after": team_id,
                "team": self.team_rows[team_id].name, "reason": "rule",
            }))  # fmt: skip
            members = set(self.members(team_id))
            if case_services.team_fields(case, team_id, members.__contains__):
                access.append((case.pk, team_id))
            changed = True
        if plan.assignee_id is not None and plan.assignee_id != case.assignee_id:
            change = {"before": case.assignee_id, "after": plan.assignee_id, "how": "rule"}
            events.append((case.pk, now, None, Kind.ASSIGNED, change))
            case.assignee_id = plan.assignee_id
            notices.append(self._notice(plan.assignee_id, Notification.Kind.ASSIGNED, case))
            changed = True
        if changed:
            case.updated_at = now
            self._changed.add(case.pk)

    def _new_case(self, plan: Plan, now, hours) -> Case:
        mention = plan.mention
        decision = plan.decision
        priority = plan.priority if plan.priority in PRIORITY_RANK else Priority.NORMAL
        owner = plan.owner_team_id
        visible = decision.visible_to
        answer = decision.may_answer
        visible_ids = [] if visible is ALL else sorted(visible)
        answer_ids = [] if answer is ALL else sorted(answer)
        if owner is not None and visible is not ALL and owner not in visible_ids:
            visible_ids.append(owner)
        if owner is not None and answer is not ALL and owner not in answer_ids:
            answer_ids.append(owner)
        # The customer's clock starts when they wrote (routing follows within seconds;
        # the demo and replays route recent history).
        opened = min(mention.created_at, now)
        first_due, resolution_due = case_services.sla_deadlines(
            self.settings, priority, mention.channel, opened
        )
        return build(
            Case,
            organisation_id=self.organisation.pk,
            subject=case_services.subject_of(mention),
            status=Status.NEW, is_open=True, priority=priority,
            priority_rank=PRIORITY_RANK[priority], intent=plan.playbook.intent,
            actions=list(plan.playbook.actions), tags=list(plan.tags),
            lang=plan.facts.lang or mention.lang or "", channel=mention.channel,
            account_id=mention.account_id, contact_id=mention.author_id,
            first_mention_id=mention.pk, model=decision.model, owner_team_id=owner,
            domain_team_id=decision.domain_team_id, visible_to_all=visible is ALL,
            visible_team_ids=visible_ids, answer_all=answer is ALL,
            answer_team_ids=answer_ids, shared=decision.shared,
            route_reason=decision.reason[:2000], opened_at=opened, updated_at=now,
            first_response_due=first_due, resolution_due=resolution_due,
        )  # fmt: skip

    def _notice(self, user_id: int, kind: str, case: Case) -> tuple:
        """A notification's values in NOTICE_FIELDS order, without the id."""
        text = f"#{case.pk} {case.subject}"[:500]
        return (self.organisation.pk, user_id, kind, case.pk, text, self.now)

    def _update_joined(self, joined: Iterable[Case], now) -> None:
        touched = []
        for case in {c.pk: c for c in joined}.values():
            if case.status in (Status.RESOLVED, Status.PENDING):
                case_services.apply_status(case, Status.OPEN)  # the customer wrote again
            else:
                touched.append(case.pk)
        if touched:
            update_ids(Case, touched, updated_at=now)


# What routing reads of a mention's understanding and author.
UNDERSTANDING_READ = (
    "mention", "lang", "sentiment", "sentiment_score", "intents", "urgency",
    "urgency_level", "urgency_reasons",
)  # fmt: skip
AUTHOR_READ = ("id", "followers", "handle", "display_name")
LINK_FIELDS = ("case", "mention", "added_at")
# What the rules may change on a case a mention joins (`Router._change_joined`).
JOINED_CHANGES = (
    "tags", "priority", "priority_rank", "first_response_due", "resolution_due",
    "owner_team", "visible_team_ids", "answer_team_ids", "assignee", "updated_at",
)  # fmt: skip
ACCESS_FIELDS = ("case", "team")


def cases_of_contacts(contact_ids: Iterable[int], limit: int) -> dict[int, int]:
    """contact id → how many cases they have had, counted up to `limit` (the rules' answers
    are the same for any count from `limit` up, and a contact who writes often has many
    cases: each is counted through the contact index, at most `limit` a contact)."""
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    quote = connection.ops.quote_name
    table, column = quote(Case._meta.db_table), quote(Case._meta.get_field("contact").column)
    if connection.vendor == "postgresql":
        source, key = "unnest(%s::bigint[]) AS a(id)", "a.id"
        params: list = [int(limit), int_array(ids)]
    else:
        source, key = "json_each(%s) AS a", "a.value"
        params = [int(limit), json.dumps(ids)]
    sql = (  # identifiers from the model's metadata; the values are parameters
        f"SELECT {key}, (SELECT count(*) FROM (SELECT 1 FROM {table} AS c"  # noqa: S608
        f" WHERE c.{column} = {key} LIMIT %s) AS s) FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {contact: n for contact, n in cursor.fetchall() if n}


def _ruleset(organisation_id: int):
    try:
        from . import rules
    except ImportError:  # pragma: no cover - the rules engine ships with the package
        return None
    ruleset = rules.RuleSet.for_org(organisation_id)
    return ruleset if len(ruleset) else None


def _auto_replies(items: list) -> None:
    """Auto-replies with a template, after the cases are committed (never blocks routing)."""
    from panal.channels import replies

    from .composer import render_for_auto_reply

    for case, mention, shortcut in items:
        try:
            text = render_for_auto_reply(case, mention, shortcut)
            if text:
                replies.send_system_reply(mention, text)
        except Exception as exc:  # refused (closed window…) or a template gone: recorded
            log.info("Auto-reply %s on case %s not sent: %s", shortcut, case.pk, exc)
            case_services.record(case, Kind.REPLY, None, auto=shortcut, error=str(exc)[:500])


def route_mentions(mentions: Sequence) -> int:
    """The pipeline's entry: route a batch (any organisations). Returns plans carried out."""
    by_org: dict[int, list] = defaultdict(list)
    for mention in mentions:
        by_org[mention.organisation_id].append(mention)
    organisations = Organisation.objects.select_related("engagement").in_bulk(list(by_org))
    done = 0
    for org_id, batch in by_org.items():
        done += len(Router(organisations[org_id]).route(batch))
    return done
