"""Approvals, a case's goodwill, the ledger (docs/engagement.md#authority-and-approvals).

Thin adapters over `authority`: the approvals page and its decisions (403 without
`engagement.approve_request` or the role the request needs, 404 for another
organisation's request), the goodwill form of a case page, and the ledger with its
CSV export (`engagement.approve_request` or `engagement.view_all_cases`: managers,
the director, analysts and community managers; amounts per person are not for everyone).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from panal.core import clock
from panal.core.csvsafe import write_rows
from panal.listening.reports import PERIODS, Period
from panal.org.choices import Role
from panal.org.models import Team
from panal.org.services import current_organisation, organisation_ids_for

from . import authority
from .authority import AuthorityError
from .cases import CaseNotFound, can_work, config_for, get_case_for
from .models import Approval, Case, Goodwill

RECENT_DAYS = 30
LIST_LIMIT = 100


def case_url(case_id: int) -> str:
    try:
        return reverse("case", args=[case_id])
    except NoReverseMatch:  # the case page's route is added by its own module
        return f"/cases/{case_id}/"


def _role_label(code: str) -> str:
    return str(dict(Role.choices).get(code, code))


def _name(user) -> str:
    if user is None:
        return _("(deleted user)")
    return user.get_full_name() or user.get_username()


# --- goodwill on a case ----------------------------------------------------------------


def goodwill_panel(request: HttpRequest, case: Case, values=None, error: str = "") -> dict:
    """Context for `engagement/case/_goodwill.html` (the case page includes it as
    `goodwill`): the case's goodwill, the user's limit and what is left, the form."""
    user = request.user
    currency = config_for(case.organisation_id).currency
    items = list(
        Goodwill.objects.filter(case=case)
        .select_related("requested_by", "approval", "approval__decided_by")
        .order_by("-created_at", "-id")
    )
    for item in items:
        item.amount_text = authority.money(item.amount, item.currency)
        item.by_name = _name(item.requested_by)
        item.required_role_label = (
            _role_label(item.approval.required_role) if item.approval_id else ""
        )
    limit = authority.limit_for(user, case.organisation_id)
    used = authority.committed_on_case(case)
    left = None if limit is None else max(limit - used, authority.ZERO)
    return {
        "items": items,
        "can_grant": can_work(user, case),
        "unlimited": limit is None,
        "limit": authority.money(limit, currency),
        "used": authority.money(used, currency),
        "left": authority.money(left, currency) if left is not None else "",
        "currency": currency,
        "kinds": Goodwill.Kind.choices,
        "action": reverse("case-goodwill", args=[case.pk]),
        "values": values or {"kind": Goodwill.Kind.REFUND, "amount": "", "reason": ""},
        "error": error,
    }


@require_POST
@login_required
def case_goodwill(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        case = get_case_for(request.user, case_id)
    except CaseNotFound:
        raise Http404 from None
    values = {k: request.POST.get(k, "") for k in ("kind", "amount", "reason")}
    try:
        goodwill = authority.grant(
            request.user, case, values["kind"], values["amount"], values["reason"]
        )
    except AuthorityError as exc:
        context = {
            "message": str(exc),
            "back": case_url(case.pk),
            "case": case,
            "goodwill": goodwill_panel(request, case, values, str(exc)),
        }
        return render(request, "engagement/approvals/refused.html", context, status=400)
    amount = authority.money(goodwill.amount, goodwill.currency)
    if goodwill.status == Goodwill.Status.GRANTED:
        messages.success(
            request,
            _("Granted: %(kind)s of %(amount)s.")
            % {"kind": goodwill.get_kind_display(), "amount": amount},
        )
    else:
        messages.info(
            request,
            _("Above your limit: the %(kind)s of %(amount)s was sent for approval to: %(role)s.")
            % {
                "kind": str(goodwill.get_kind_display()).lower(),
                "amount": amount,
                "role": _role_label(goodwill.approval.required_role),
            },
        )
    return redirect(case_url(case.pk))


# --- approvals -------------------------------------------------------------------------


def _require_approver(user) -> None:
    if not user.has_perm("engagement.approve_request"):
        raise PermissionDenied(_("You may not decide approval requests."))


def _dress(approvals) -> list[Approval]:
    """Add what the templates show: links, labels, the goodwill amount, the draft."""
    out = list(approvals)
    for item in out:
        item.case_url = case_url(item.case_id)
        item.required_role_label = _role_label(item.required_role)
        item.requested_by_name = _name(item.requested_by)
        item.decided_by_name = _name(item.decided_by) if item.decided_by_id else ""
        goodwill = getattr(item, "goodwill", None) if item.kind == Approval.Kind.GOODWILL else None
        item.amount_text = authority.money(goodwill.amount, goodwill.currency) if goodwill else ""
        item.goodwill_kind = goodwill.get_kind_display() if goodwill else ""
        draft = getattr(item, "draft", None) if item.kind == Approval.Kind.REPLY else None
        item.draft_text = draft.text if draft else ""
    return out


def _approvals():
    return Approval.objects.select_related(
        "case", "requested_by", "decided_by", "goodwill", "draft"
    )


@require_GET
@login_required
def approvals_page(request: HttpRequest) -> HttpResponse:
    """Requests the user may decide first, then their own, then recent decisions."""
    user = request.user
    _require_approver(user)
    organisation = current_organisation(user)
    to_decide: list[Approval] = []
    mine: list[Approval] = []
    recent: list[Approval] = []
    if organisation is not None:
        in_org = _approvals().filter(organisation=organisation)
        pending = in_org.filter(status=Approval.Status.PENDING).exclude(requested_by=user)
        roles = authority.decidable_roles(authority.roles_in(user, organisation))
        if roles is not None:
            pending = pending.filter(required_role__in=roles)
        to_decide = _dress(pending.order_by("created_at", "id")[:LIST_LIMIT])
        mine = _dress(in_org.filter(requested_by=user).order_by("-created_at", "-id")[:LIST_LIMIT])
        since = clock.now() - timedelta(days=RECENT_DAYS)
        recent = _dress(
            in_org.exclude(status=Approval.Status.PENDING)
            .filter(decided_at__gte=since)
            .order_by("-decided_at", "-id")[:LIST_LIMIT]
        )
    context = {
        "section": "approvals",
        "organisation": organisation,
        "to_decide": to_decide,
        "mine": mine,
        "recent": recent,
        "recent_days": RECENT_DAYS,
    }
    return render(request, "engagement/approvals.html", context)


@require_POST
@login_required
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    user = request.user
    _require_approver(user)
    approval = (
        _approvals().filter(pk=approval_id, organisation_id__in=organisation_ids_for(user)).first()
    )
    if approval is None:
        raise Http404
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    context = {"back": reverse("approvals"), "approval": _dress([approval])[0], "note": note}
    if decision not in ("approve", "reject"):
        context["message"] = _("Choose to approve or to reject the request.")
        return render(request, "engagement/approvals/refused.html", context, status=400)
    try:
        authority.decide(user, approval, decision == "approve", note)
    except PermissionDenied as exc:
        return render(request, "403.html", {"message": str(exc)}, status=403)
    except AuthorityError as exc:
        context["message"] = str(exc)
        decided = approval.status != Approval.Status.PENDING
        if decided:
            context["approval"] = None  # nothing left to decide: no form
        return render(
            request, "engagement/approvals/refused.html", context, status=409 if decided else 400
        )
    if approval.status == Approval.Status.APPROVED:
        messages.success(request, _("Approved: case #%(id)s.") % {"id": approval.case_id})
    else:
        messages.success(request, _("Rejected: case #%(id)s.") % {"id": approval.case_id})
    return redirect("approvals")


# --- the ledger ------------------------------------------------------------------------


class BadFilter(ValueError):
    pass


def _ledger(request: HttpRequest) -> dict:
    user = request.user
    if not (
        user.has_perm("engagement.view_all_cases") or user.has_perm("engagement.approve_request")
    ):
        raise PermissionDenied(_("You may not see the goodwill ledger."))
    organisation = current_organisation(user)
    period = Period.from_params(request.GET)
    teams = list(Team.objects.filter(organisation=organisation)) if organisation else []
    team = None
    raw = request.GET.get("team", "").strip()
    if raw:
        team = next((t for t in teams if str(t.pk) == raw), None)
        if team is None:
            raise BadFilter(_("There is no such team in your organisation."))
    book = (
        authority.ledger(organisation, since=period.start, until=period.end, team=team)
        if organisation is not None
        else None
    )
    params = {"days": period.days, **({"team": team.pk} if team else {})}
    return {
        "organisation": organisation,
        "period": period,
        "teams": teams,
        "team": team,
        "book": book,
        "params": params,
    }


def _bad_filter(request: HttpRequest, exc: BadFilter) -> HttpResponse:
    context = {"message": str(exc), "back": reverse("goodwill-ledger")}
    return render(request, "engagement/approvals/refused.html", context, status=400)


@require_GET
@login_required
def ledger_page(request: HttpRequest) -> HttpResponse:
    try:
        data = _ledger(request)
    except BadFilter as exc:
        return _bad_filter(request, exc)
    team_param = {"team": data["team"].pk} if data["team"] else {}
    context = {
        **data,
        "section": "goodwill",
        "statuses": [(s, Goodwill.Status(s).label) for s in authority.LEDGER_STATUSES],
        "periods": [
            (days, f"{reverse('goodwill-ledger')}?{urlencode({'days': days, **team_param})}")
            for days in PERIODS
        ],
        "export_url": f"{reverse('goodwill-ledger-export')}?{urlencode(data['params'])}",
    }
    return render(request, "engagement/ledger.html", context)


@require_GET
@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    """The ledger as CSV; every cell goes through the formula-safe writer."""
    try:
        data = _ledger(request)
    except BadFilter as exc:
        return _bad_filter(request, exc)
    organisation, period = data["organisation"], data["period"]
    slug = organisation.slug if organisation else "none"
    name = f"panal-{slug}-goodwill-{period.first_day}-{period.last_day}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    rows = authority.ledger_csv_rows(data["book"]) if data["book"] else []
    header = ["scope", "name", "kind", "status", "count", "amount", "currency"]
    write_rows(response, header, rows)
    return response


urlpatterns = [
    path("approvals/", approvals_page, name="approvals"),
    path("approvals/<int:approval_id>/decide/", approval_decide, name="approval-decide"),
    path("cases/<int:case_id>/goodwill/", case_goodwill, name="case-goodwill"),
    path("goodwill/", ledger_page, name="goodwill-ledger"),
    path("goodwill/export.csv", ledger_export, name="goodwill-ledger-export"),
]
