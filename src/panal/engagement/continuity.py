"""Continuity: when a person leaves, their work goes to their team (docs/engagement.md).

No conversation belongs to one person. `offboard` hands everything a leaving member
holds in one organisation back to a team, in one transaction: their open cases return
unassigned to the owner team's queue, their unsent drafts and open leads go to their
team (the author and the history stay), they stop receiving work, and their membership
is deactivated. Nothing is deleted; each case touched says who left and who did it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from panal.org import services as org_services
from panal.org.choices import Role
from panal.org.models import Membership, Organisation

from . import cases
from .models import AgentProfile, Case, CaseEvent, Draft, Lead, Notification

PERMISSION = "engagement.offboard_member"
UNSENT = (Draft.Status.DRAFT, Draft.Status.PENDING, Draft.Status.REJECTED)
OPEN_LEADS = (Lead.Stage.NEW, Lead.Stage.CONTACTED, Lead.Stage.QUALIFIED)


class OffboardError(ValueError):
    """The offboarding cannot be done; the message says why, in the user's language."""


def members(organisation: Organisation):
    """Active memberships of the organisation, with user and team, by name."""
    return (
        Membership.objects.filter(organisation=organisation, is_active=True)
        .select_related("user", "team")
        .order_by("user__username")
    )


def active_membership(user, organisation: Organisation) -> Membership | None:
    return (
        Membership.objects.filter(user=user, organisation=organisation, is_active=True)
        .select_related("user", "team")
        .first()
    )


def holdings(user, organisation: Organisation, limit: int = 50) -> dict:
    """What a member holds in the organisation: open cases, unsent drafts, open leads."""
    open_cases = Case.objects.filter(
        organisation=organisation, assignee=user, is_open=True
    ).select_related("owner_team")
    drafts = Draft.objects.filter(
        case__organisation=organisation, author=user, status__in=UNSENT
    ).select_related("case")
    leads = Lead.objects.filter(
        organisation=organisation, owner=user, stage__in=OPEN_LEADS
    ).select_related("team")
    return {
        "cases": list(open_cases[:limit]),
        "case_count": open_cases.count(),
        "drafts": list(drafts[:limit]),
        "draft_count": drafts.count(),
        "leads": list(leads[:limit]),
        "lead_count": leads.count(),
    }


def _check(user, organisation: Organisation, actor) -> None:
    if actor is None:
        return  # Panal itself, a command run by the operator
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("Your role cannot hand over a person's work."))
    if not Membership.objects.filter(
        user=actor, organisation=organisation, is_active=True
    ).exists():
        raise PermissionDenied(_("You are not a member of this organisation."))
    if actor.pk == user.pk:
        raise OffboardError(_("You cannot offboard yourself; ask another manager."))


@transaction.atomic
def offboard(user, organisation: Organisation, actor=None) -> dict:
    """Hand everything `user` holds in `organisation` to their team, then deactivate them.

    Returns counts: {"cases", "drafts", "leads", "notified", "team"}.
    """
    _check(user, organisation, actor)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(user=user, organisation=organisation, is_active=True)
        .first()
    )
    if membership is None:
        raise OffboardError(_("That person is not an active member of this organisation."))
    team = membership.team
    who = user.get_username()
    by = actor.get_username() if actor is not None else ""
    touched: dict[int, dict] = {}  # case id -> what moved from it

    def note(case: Case, key: str) -> None:
        entry = touched.setdefault(case.pk, {"case": case})
        entry[key] = entry.get(key, 0) + 1

    # Open cases: back to the owner team's queue (their team when the case has none).
    held = list(
        Case.objects.select_for_update(of=("self",))
        .filter(organisation=organisation, assignee=user, is_open=True)
        .select_related("owner_team")
    )
    for case in held:
        if case.owner_team_id is None and team is not None:
            cases.apply_team(case, team, actor=actor, reason=_("Handed over: %(who)s left") % {
                "who": who})  # fmt: skip
        cases.apply_assignee(case, None, actor=actor, how="offboarding")
        note(case, "unassigned")
    Case.objects.filter(organisation=organisation, lock_user=user).update(
        lock_user=None, lock_until=None
    )

    # Unsent drafts: kept with their author, now the team's to finish.
    drafts = list(
        Draft.objects.select_for_update(of=("self",))
        .filter(case__organisation=organisation, author=user, status__in=UNSENT)
        .select_related("case")
    )
    for draft in drafts:
        draft.team_id = team.pk if team is not None else draft.case.owner_team_id
        note(draft.case, "drafts")
    Draft.objects.bulk_update(drafts, ["team"])

    # Open leads: no owner, the lead's team kept (else theirs).
    leads = list(
        Lead.objects.select_for_update(of=("self",))
        .filter(organisation=organisation, owner=user, stage__in=OPEN_LEADS)
        .select_related("case")
    )
    for lead in leads:
        lead.owner = None
        if lead.team_id is None and team is not None:
            lead.team = team
        if lead.case is not None:
            note(lead.case, "leads")
    Lead.objects.bulk_update(leads, ["owner", "team"])

    for entry in touched.values():
        case = entry.pop("case")
        cases.record(
            case, CaseEvent.Kind.HANDOVER, actor, user=user.pk, username=who, by=by,
            case_team=case.owner_team_id, their_team=team.pk if team is not None else None,
            **entry,
        )  # fmt: skip

    AgentProfile.objects.filter(organisation=organisation, user=user).update(available=False)
    org_services.deactivate_member(membership)

    counts = {"cases": len(held), "drafts": len(drafts), "leads": len(leads)}
    skip = {user.pk, getattr(actor, "pk", None)}

    def text() -> str:  # in each manager's language
        team_name = team.name if team is not None else _("the cases' own teams")
        return _(
            "%(who)s was offboarded: %(cases)d open cases, %(drafts)d unsent drafts and "
            "%(leads)d open leads went to %(team)s."
        ) % {**counts, "who": who, "team": team_name}

    counts["notified"] = cases.notify(
        [p for p in _managers(organisation, team) if p not in skip],
        organisation.pk, Notification.Kind.HANDOVER, text,
    )  # fmt: skip
    counts["team"] = team.name if team is not None else ""
    return counts


def _managers(organisation: Organisation, team) -> list[int]:
    """The team's area managers; without a team or any, the organisation's directors."""
    rows = Membership.objects.filter(organisation=organisation, is_active=True).values_list(
        "user_id", "team_id", "roles"
    )
    rows = list(rows)
    if team is not None:
        found = [u for u, t, roles in rows if t == team.pk and Role.AREA_MANAGER in (roles or [])]
        if found:
            return found
    return [u for u, _t, roles in rows if Role.DIRECTOR in (roles or [])]
