"""The case inbox, the case page and its actions, and notifications (docs/engagement.md).

Thin adapters over `cases.py`: it decides who sees and changes what (404 for a case the
user may not see, 403 for a change they may not make); the other areas of a case page
(composer, presence, goodwill, SLA clocks) come from their own modules' panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from panal.core import clock
from panal.org.models import Membership, Team
from panal.org.services import current_organisation

from . import cases
from .models import IS_CLOSED, IS_OPEN, PRIORITY_RANK, Case, CaseEvent, Notification, Priority

PAGE = 50
VIEWS = ("mine", "team", "unassigned", "all", "closed")


@dataclass
class CaseFilters:
    view: str = "mine"
    status: str = ""
    priority: str = ""
    team: int | None = None
    sla: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params) -> CaseFilters:
        view = params.get("view", "mine")
        team = params.get("team", "")
        page = params.get("page", "1")
        status, priority = params.get("status", ""), params.get("priority", "")
        return cls(
            view=view if view in VIEWS else "mine",
            status=status if status in Case.Status.values else "",
            priority=priority if priority in Priority.values else "",
            team=int(team) if team.isdigit() and len(team) < 19 else None,
            sla=params.get("sla", "") if params.get("sla") in Case.Sla.values else "",
            q=params.get("q", "")[:200].strip(),
            page=max(1, min(int(page), 1000)) if page.isdigit() and len(page) < 6 else 1,
        )

    def query(self, **changes) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


def inbox_queryset(user, filters: CaseFilters):
    """The cases of one inbox view, most pressing first (one indexed query)."""
    visible = cases.visible_cases(user)
    seat_teams = [s.team_id for s in cases.seats(user).values() if s.team_id is not None]
    if filters.view == "mine":
        qs = visible.filter(IS_OPEN, assignee=user)
    elif filters.view == "team":
        qs = visible.filter(IS_OPEN, owner_team_id__in=seat_teams)
    elif filters.view == "unassigned":
        qs = visible.filter(IS_OPEN, assignee__isnull=True)
    elif filters.view == "closed":
        qs = visible.filter(IS_CLOSED)
    else:
        qs = visible.filter(IS_OPEN)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:  # by its rank: the queue indexes hold the rank
        qs = qs.filter(priority_rank=PRIORITY_RANK[filters.priority])
    if filters.team:
        qs = qs.filter(owner_team_id=filters.team)
    if filters.sla:
        qs = qs.filter(sla_state=filters.sla)
    if filters.q:
        term = filters.q
        qs = qs.filter(Q(subject__icontains=term) | Q(pk=int(term)) if term.isdigit()
                       and len(term) < 19 else Q(subject__icontains=term))  # fmt: skip
    order = ["-closed_at", "-id"] if filters.view == "closed" else [
        "priority_rank", "first_response_due", "id"]  # fmt: skip
    return qs.select_related("owner_team", "assignee", "contact").only(
        "id", "subject", "status", "priority", "priority_rank", "intent", "tags", "lang",
        "channel", "opened_at", "updated_at", "first_response_due", "resolution_due",
        "first_response_at", "sla_state", "closed_at", "shared", "organisation_id",
        "owner_team__name", "assignee__username", "assignee__first_name",
        "assignee__last_name", "contact__display_name", "contact__handle",
    ).order_by(*order)  # fmt: skip


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("engagement.view_case"):
        raise PermissionDenied
    filters = CaseFilters.from_params(request.GET)
    qs = inbox_queryset(request.user, filters)
    start = (filters.page - 1) * PAGE
    rows = list(qs[start : start + PAGE + 1])
    org = current_organisation(request.user)
    context = {
        "section": "cases",
        "filters": filters,
        "cases": rows[:PAGE],
        "next_query": filters.query(page=filters.page + 1) if len(rows) > PAGE else "",
        "prev_query": filters.query(page=filters.page - 1) if filters.page > 1 else "",
        "views": [
            ("mine", _("Assigned to me")),
            ("team", _("My team")),
            ("unassigned", _("Unassigned")),
            ("all", _("All open")),
            ("closed", _("Closed")),
        ],
        "statuses": Case.Status.choices,
        "priorities": Priority.choices,
        "sla_states": Case.Sla.choices,
        "teams": Team.objects.filter(organisation=org).order_by("name") if org else [],
        "now": clock.now(),
    }
    return render(request, "engagement/inbox.html", context)


def _case_or_404(request: HttpRequest, case_id: int) -> Case:
    try:
        return cases.get_case_for(request.user, case_id)
    except cases.CaseNotFound:
        raise Http404 from None


def _panel(module: str, name: str, request: HttpRequest, case: Case):
    from importlib import import_module

    return getattr(import_module(f"panal.engagement.{module}"), name)(request, case)


def _people(case: Case) -> list:
    """Members of the case's organisation who can work cases (for assignment)."""
    from panal.org.roles import ROLE_PERMISSIONS

    roles = {r for r, perms in ROLE_PERMISSIONS.items() if "engagement.work_case" in perms}
    memberships = Membership.objects.filter(
        organisation_id=case.organisation_id, is_active=True
    ).select_related("user", "team")
    keep = [m for m in memberships if roles.intersection(m.roles or ())]
    return sorted(keep, key=lambda m: (m.team.name if m.team else "", m.user.get_username()))


@require_GET
@login_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    from .composer import replies_of
    from .sla import sla_panel

    mentions = list(cases.mentions_of(case))
    sent = replies_of(case)
    thread = sorted(
        [("mention", m.created_at, m) for m in mentions]
        + [("reply", r.sent_at or r.created_at, r) for r in sent],
        key=lambda item: item[1],
    )
    can_work = cases.can_work(request.user, case)
    events = cases.history(case)
    notes = list(case.notes.select_related("author").prefetch_related("mentioned"))
    context = {
        "section": "cases",
        "case": case,
        "thread": thread,
        "mentions": mentions,
        "events": events,
        "notes": notes,
        "can_work": can_work,
        "can_answer": cases.can_answer(request.user, case),
        "statuses": Case.Status.choices,
        "priorities": Priority.choices,
        "teams": Team.objects.filter(organisation_id=case.organisation_id).order_by("name"),
        "people": _people(case) if can_work else [],
        "sla": sla_panel(case),
        "composer": _panel("composer_views", "composer_panel", request, case),
        "presence": _panel("presence_views", "presence_panel", request, case),
        "goodwill": _panel("approval_views", "goodwill_panel", request, case),
        "leads": list(case.leads.select_related("owner", "team")),
        "articles": list(case.articles.all()),
        "ideas": _panel("idea_views", "case_panel", request, case),
        "contact_cases": (
            list(
                cases.visible_cases(request.user)
                .filter(contact_id=case.contact_id)
                .exclude(pk=case.pk)
                .only("id", "subject", "status", "opened_at")
                .order_by("-opened_at")[:10]
            )
            if case.contact_id
            else []
        ),
        "merged_into": case.merged_into,
        "routing": cases.routing_of(case, events),
        "team_names": dict(
            Team.objects.filter(organisation_id=case.organisation_id).values_list("id", "name")
        ),
    }
    return render(request, "engagement/case.html", context)


def _back(case: Case) -> HttpResponse:
    return redirect("case", case.pk)


def _change(request: HttpRequest, case_id: int, change) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if not cases.can_work(request.user, case):
        raise PermissionDenied(_("You may not change this case."))
    try:
        message = change(case)
    except cases.CaseError as error:
        messages.error(request, str(error))
        if request.htmx:
            return HttpResponse(str(error), status=400)
        return _back(case)
    if message:
        messages.success(request, message)
    return _back(case)


@require_POST
@login_required
def case_update(request: HttpRequest, case_id: int) -> HttpResponse:
    """Status, priority, team, assignee and tags from the case's side panel."""

    def change(case: Case) -> str:
        post = request.POST
        if "status" in post:
            cases.set_status(request.user, case, post["status"])
        if "priority" in post:
            cases.set_priority(request.user, case, post["priority"])
        if post.get("team"):
            team = Team.objects.filter(
                organisation_id=case.organisation_id, pk=_int(post["team"])
            ).first()
            if team is None:
                raise cases.CaseError(_("Unknown team."))
            cases.move_to_team(request.user, case, team, reason=post.get("reason", "")[:500])
        if "assignee" in post:
            value = post["assignee"]
            if value == "me":
                assignee = request.user
            elif value == "":
                assignee = None
            else:
                assignee = get_user_model().objects.filter(pk=_int(value)).first()
                if assignee is None:
                    raise cases.CaseError(_("Unknown person."))
            cases.assign(request.user, case, assignee)
        if "tags" in post:
            cases.set_tags(request.user, case, post["tags"].split(","))
        return _("Case updated.")

    return _change(request, case_id, change)


@require_POST
@login_required
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    def change(case: Case) -> str:
        cases.add_note(request.user, case, request.POST.get("body", ""))
        return _("Note added.")

    return _change(request, case_id, change)


@require_POST
@login_required
def case_merge(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    try:
        into = cases.get_case_for(request.user, _int(request.POST.get("into", "")))
    except cases.CaseNotFound:
        messages.error(request, _("There is no such case to merge into."))
        return _back(case)

    def change(case: Case) -> str:
        cases.merge(request.user, case, into)
        return _("Merged into case #%(id)s.") % {"id": into.pk}

    response = _change(request, case_id, change)
    case.refresh_from_db(fields=["merged_into"])
    return redirect("case", into.pk) if case.merged_into_id == into.pk else response


@require_POST
@login_required
def case_split(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if not cases.can_work(request.user, case):
        raise PermissionDenied
    try:
        new = cases.split(
            request.user, case, [_int(v) for v in request.POST.getlist("mention")[:500]]
        )
    except cases.CaseError as error:
        messages.error(request, str(error))
        return _back(case)
    messages.success(request, _("Split off as case #%(id)s.") % {"id": new.pk})
    return redirect("case", new.pk)


def _int(value) -> int:
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 19 else -1


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(Notification.objects.filter(user=request.user).select_related("case")[:100])
    return render(
        request,
        "engagement/notifications.html",
        {"section": "notifications", "notifications": items},
    )


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=clock.now())
    return redirect("notifications")


def event_label(event: CaseEvent) -> str:
    return event.get_kind_display()


urlpatterns = [
    path("cases/", inbox, name="cases"),
    path("cases/<int:case_id>/", case_page, name="case"),
    path("cases/<int:case_id>/update/", case_update, name="case-update"),
    path("cases/<int:case_id>/notes/", case_note, name="case-note"),
    path("cases/<int:case_id>/merge/", case_merge, name="case-merge"),
    path("cases/<int:case_id>/split/", case_split, name="case-split"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications-read"),
]
