"""Sales leads from purchase intent, with the conversation attached
(docs/engagement.md#leads).

`create_lead(case)` is what the router calls when a playbook or rule says `create_lead`;
`bulk_create_for(cases)` does the same for a batch. A case has at most one open lead
(not won or lost): asking again returns it. The lead goes to the organisation's sales
team (the one of the brand of the case's first mention when there is one) and to the
case's assignee when they are in that team, else to the active member of the team with
the fewest open leads; an organisation that assigns by hand (`EngagementConfig.assignment`
"manual") leaves it in the team's queue. The owner is told (the whole team when nobody
owns it), and the case's history records it.

Seeing a lead needs `engagement.view_case` and either seeing its case or being in its
team (or owning it); changing its stage or owner needs `engagement.work_case` too.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from panal.core import clock
from panal.core.db import build, insert_objects, insert_rows
from panal.core.ids import numbered
from panal.org.choices import Department
from panal.org.models import Membership, Team

from . import cases
from .models import (
    EVENT_FIELDS,
    NOTICE_FIELDS,
    Case,
    CaseEvent,
    EngagementConfig,
    Lead,
    Notification,
)

Stage = Lead.Stage
OPEN_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED)


class LeadNotFound(LookupError):
    """No such lead, or not one the user may see (the same answer for both)."""


class LeadError(ValueError):
    """A change that cannot be made; the message says why."""


# --- creating ------------------------------------------------------------------------------


def _lead_title(case: Case, title: str) -> str:
    text = " ".join((title or case.subject or str(case.contact or "") or f"#{case.pk}").split())
    return text[:300]


def _team_rank(team: Team, brand_id: int | None) -> tuple:
    if brand_id is not None and team.brand_id == brand_id:
        return (0, team.name, team.pk)
    return (1 if team.brand_id is None else 2, team.name, team.pk)


def _sales_team(teams: list[Team], brand_id: int | None) -> Team | None:
    """The brand's sales team, else one without a brand, else any (by name)."""
    return min(teams, key=lambda t: _team_rank(t, brand_id)) if teams else None


def _sales_teams(
    new_cases: list[Case],
    brands: dict[int, int | None] | None = None,
    teams: dict[int, list[Team]] | None = None,
) -> dict[int, Team | None]:
    """case id → its sales team (two queries: first mentions' brands, unless `brands`
    gives them by case id, then the sales teams, unless `teams` gives them by
    organisation)."""
    from panal.listening.models import Mention

    if brands is None:
        mention_ids = [c.first_mention_id for c in new_cases if c.first_mention_id]
        by_mention = (
            dict(Mention.objects.filter(pk__in=mention_ids).values_list("id", "brand_id"))
            if mention_ids
            else {}
        )
        brands = {c.pk: by_mention.get(c.first_mention_id) for c in new_cases}
    by_org: dict[int, list[Team]] = dict(teams or {})
    org_ids = {c.organisation_id for c in new_cases} - set(by_org)
    if org_ids:
        sales = Team.objects.filter(organisation_id__in=org_ids, department=Department.SALES)
        for team in sales:
            by_org.setdefault(team.organisation_id, []).append(team)
    return {
        c.pk: _sales_team(by_org.get(c.organisation_id, []), brands.get(c.pk)) for c in new_cases
    }


def _loads(team_ids: set[int]) -> dict[int, dict[int, int]]:
    """team → {member user id: open leads they own}, for active members (one query)."""
    out: dict[int, dict[int, int]] = {team_id: {} for team_id in team_ids}
    if not team_ids:
        return out
    open_leads = Q(
        user__leads__stage__in=OPEN_STAGES, user__leads__organisation_id=F("organisation_id")
    )
    rows = (
        Membership.objects.filter(team_id__in=team_ids, is_active=True)
        .values("team_id", "user_id")
        .annotate(n=Count("user__leads", filter=open_leads))
        .order_by()
    )
    for row in rows:
        out[row["team_id"]][row["user_id"]] = row["n"]
    return out


def _manual(org_ids: set[int]) -> set[int]:
    """The organisations that assign by hand: their leads wait in the team's queue."""
    return set(
        EngagementConfig.objects.filter(
            organisation_id__in=org_ids, assignment=EngagementConfig.Strategy.MANUAL
        ).values_list("organisation_id", flat=True)
    )


def _owner(
    case: Case, team: Team | None, members: dict[int, int], manual: bool
) -> tuple[int | None, str]:
    """(owner's user id, how it was chosen); `members` maps user id → open leads."""
    if team is None:
        return case.assignee_id, "no_sales_team"
    if case.assignee_id is not None and case.assignee_id in members:
        return case.assignee_id, "assignee"
    if members and not manual:
        return min(members, key=lambda uid: (members[uid], uid)), "load"
    return None, "team_queue"


def bulk_create_for(
    batch: Iterable[Case],
    actor=None,
    *,
    titles: dict[int, str] | None = None,
    brands: dict[int, int | None] | None = None,
    opened: bool = False,
    sales_teams: dict[int, list[Team]] | None = None,
    manual: set[int] | None = None,
) -> list[Lead]:
    """One lead per case (the open one it already has, else a new one), in order.

    A fixed number of queries per batch, however many cases: open leads, first
    mentions' brands, sales teams, their members' loads, the organisations that assign
    by hand, then three inserts. Routing, which has just `opened` the cases (they have
    no lead yet) and knows their first mentions' `brands` (by case id), its organisation's
    `sales_teams` (organisation id → its sales teams) and whether it assigns by hand
    (`manual`: the ids of such organisations among the cases'), spares four.
    """
    unique: dict[int, Case] = {}
    for case in batch:
        unique.setdefault(case.pk, case)
    if not unique:
        return []
    titles = titles or {}
    actor_id = getattr(actor, "pk", None)
    with transaction.atomic():
        existing: dict[int, Lead] = {}
        if not opened:
            open_leads = Lead.objects.filter(case_id__in=list(unique), stage__in=OPEN_STAGES)
            for lead in open_leads.order_by("created_at", "id"):
                existing.setdefault(lead.case_id, lead)
        new_cases = [c for c in unique.values() if c.pk not in existing]
        if not new_cases:
            return [existing[pk] for pk in unique]
        teams = _sales_teams(new_cases, brands, sales_teams)
        loads = _loads({t.pk for t in teams.values() if t is not None})
        if manual is None:
            manual = _manual({c.organisation_id for c in new_cases})
        now = clock.now()
        leads: list[Lead] = []
        events: list[tuple] = []  # EVENT_FIELDS
        for case in new_cases:
            team = teams[case.pk]
            members = loads.get(team.pk, {}) if team else {}
            owner_id, how = _owner(case, team, members, case.organisation_id in manual)
            if owner_id in members:
                members[owner_id] += 1  # the batch's next case sees the new load
            lead = build(
                Lead, organisation_id=case.organisation_id, case_id=case.pk,
                contact_id=case.contact_id, title=_lead_title(case, titles.get(case.pk, "")),
                stage=Stage.NEW, team_id=team.pk if team else None, owner_id=owner_id,
                created_at=now,
            )  # fmt: skip
            Lead.case.field.set_cached_value(lead, case)
            if team is not None:
                Lead.team.field.set_cached_value(lead, team)
            leads.append(lead)
            data = {"lead": lead.pk, "action": "created", "owner": owner_id, "how": how,
                    "team": team.pk if team else None}  # fmt: skip
            events.append((case.pk, now, actor_id, CaseEvent.Kind.LEAD, data))
        insert_objects(leads)
        insert_rows(CaseEvent, EVENT_FIELDS, numbered(events), ignore_conflicts=False)
        notices = _notices(leads, loads, actor_id, now)
        insert_rows(Notification, NOTICE_FIELDS, numbered(notices), ignore_conflicts=False)
    created = {lead.case_id: lead for lead in leads}
    return [existing.get(pk) or created[pk] for pk in unique]


def _notices(leads: list[Lead], loads: dict[int, dict[int, int]], actor_id, now) -> list[tuple]:
    """The owner hears of a new lead; with no owner, the sales team's members do, each in
    their own language (NOTICE_FIELDS values, without the id)."""
    wanted: dict[int, set[int]] = {}  # organisation → people to tell
    plan = []
    for lead in leads:
        if lead.owner_id is not None:
            people, kind = [lead.owner_id], Notification.Kind.ASSIGNED
        elif lead.team_id is not None:
            people, kind = list(loads.get(lead.team_id, {})), Notification.Kind.NOTIFY
        else:
            continue
        people = [uid for uid in people if uid != actor_id]
        wanted.setdefault(lead.organisation_id, set()).update(people)
        plan.append((lead, people, kind))
    languages = {org: cases.languages_of(ids, org) for org, ids in wanted.items() if ids}
    rows: list[tuple] = []
    for lead, people, kind in plan:
        written: dict[str, str] = {}
        for uid in people:
            lang = languages[lead.organisation_id][uid]
            if lang not in written:
                with translation.override(lang):
                    message = (
                        _("A lead was assigned to you: %(title)s")
                        if kind == Notification.Kind.ASSIGNED
                        else _("A new lead for your team: %(title)s")
                    )
                    written[lang] = (message % {"title": lead.title})[:500]
            rows.append((lead.organisation_id, uid, kind, lead.case_id, written[lang], now))
    return rows


def create_lead(case: Case, actor=None, *, title: str = "") -> Lead:
    """The case's open lead, creating it (with its team, owner, event, notice) if none."""
    with transaction.atomic():
        # Two routers on the same case wait for each other here (PostgreSQL).
        Case.objects.select_for_update().filter(pk=case.pk).first()
        return bulk_create_for([case], actor, titles={case.pk: title})[0]


# --- seeing -----------------------------------------------------------------------------------


def _seat(user, organisation_id: int):
    if not user.is_authenticated or not user.has_perm("engagement.view_case"):
        return None
    return cases.seats(user).get(organisation_id)


def can_see(user, lead: Lead) -> bool:
    seat = _seat(user, lead.organisation_id)
    if seat is None:
        return False
    if seat.sees_all or lead.owner_id == user.pk:
        return True
    if lead.team_id is not None and lead.team_id == seat.team_id:
        return True
    return lead.case is not None and cases.can_see(user, lead.case)


def can_work(user, lead: Lead) -> bool:
    return user.has_perm("engagement.work_case") and can_see(user, lead)


def get_lead_for(user, lead_id) -> Lead:
    try:
        lead = Lead.objects.select_related("case", "contact", "team", "owner").get(pk=int(lead_id))
    except (Lead.DoesNotExist, ValueError, TypeError, OverflowError):
        raise LeadNotFound(_("Lead not found.")) from None
    if not can_see(user, lead):
        raise LeadNotFound(_("Lead not found."))
    return lead


def visible_leads(user, organisation_id: int) -> QuerySet[Lead]:
    """The organisation's leads the user may see: their own first, then their team's,
    then the rest, newest first within each."""
    if not user.is_authenticated or not user.has_perm("engagement.view_case"):
        raise PermissionDenied("Missing permission: engagement.view_case")
    seat = cases.seats(user).get(organisation_id)
    if seat is None:
        return Lead.objects.none()
    leads = Lead.objects.filter(organisation_id=organisation_id)
    if not seat.sees_all:
        mine = Q(owner=user) | Q(
            case__in=cases.visible_cases(user).filter(organisation_id=organisation_id).values("pk")
        )
        if seat.team_id is not None:
            mine |= Q(team_id=seat.team_id)
        leads = leads.filter(mine)
    whens = [When(owner=user, then=Value(0))]
    if seat.team_id is not None:
        whens.append(When(team_id=seat.team_id, then=Value(1)))
    order = CaseWhen(*whens, default=Value(2), output_field=IntegerField())
    return leads.annotate(nearness=order).order_by("nearness", "-created_at", "-id")


# --- changes ---------------------------------------------------------------------------------


def _require_work(user, lead: Lead) -> None:
    if not can_work(user, lead):
        raise PermissionDenied(_("You may not change this lead."))


def _record(lead: Lead, actor, **data) -> None:
    if lead.case_id is not None:
        cases.record(lead.case, CaseEvent.Kind.LEAD, actor, lead=lead.pk, **data)


@transaction.atomic
def set_stage(user, lead: Lead, stage: str) -> Lead:
    _require_work(user, lead)
    if stage not in Stage.values:
        raise LeadError(_("Unknown stage “%(stage)s”.") % {"stage": str(stage)[:40]})
    before = lead.stage
    if before == stage:
        return lead
    lead.stage = stage
    lead.save(update_fields=["stage"])
    _record(lead, user, action="stage", before=before, after=stage)
    return lead


@transaction.atomic
def set_owner(user, lead: Lead, owner) -> Lead:
    """Give the lead to an active member of its organisation (None: to the team)."""
    _require_work(user, lead)
    owner_id = getattr(owner, "pk", owner)
    if (
        owner_id is not None
        and not Membership.objects.filter(
            user_id=owner_id, organisation_id=lead.organisation_id, is_active=True
        ).exists()
    ):
        raise LeadError(_("That person is not an active member of this organisation."))
    before = lead.owner_id
    if before == owner_id:
        return lead
    lead.owner_id = owner_id
    lead.save(update_fields=["owner"])
    _record(lead, user, action="owner", before=before, after=owner_id)
    if owner_id is not None and owner_id != user.pk:
        cases.notify([owner_id], lead.organisation_id, Notification.Kind.ASSIGNED,
                     lambda: _("A lead was assigned to you: %(title)s") % {"title": lead.title},
                     lead.case)  # fmt: skip
    return lead


def owner_choices(lead: Lead) -> QuerySet[Membership]:
    """Who the lead can go to on its page: its team's active members, and its owner."""
    condition = Q(team_id=lead.team_id) if lead.team_id else Q(pk__in=[])
    if lead.owner_id is not None:
        condition |= Q(user_id=lead.owner_id)
    return (
        Membership.objects.filter(condition, organisation_id=lead.organisation_id, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
