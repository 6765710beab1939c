"""The idea pages, and linking a case to an idea from its page (docs/engagement.md#ideas).

Thin adapters over ideas.py, which checks every permission: a missing one is a 403 that
says so, an idea of another organisation a 404, bad input a 400 naming the problem with
what was typed kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from panal.listening.views import login_required
from panal.org.services import current_organisation

from . import cases, ideas
from .models import Idea

SHOWN = 200


def _require_see(request: HttpRequest) -> None:
    if not ideas.can_see(request.user):
        raise PermissionDenied(_("Your role cannot see ideas."))


@require_http_methods(["GET", "POST"])
@login_required
def ideas_page(request: HttpRequest) -> HttpResponse:
    _require_see(request)
    organisation = current_organisation(request.user)
    error, typed, status_code = "", {"title": "", "description": ""}, 200
    if request.method == "POST":
        typed = {k: request.POST.get(k, "")[:20_000] for k in typed}
        if organisation is None:
            raise PermissionDenied(_("You are not a member of any organisation."))
        try:
            idea = ideas.create_idea(
                request.user, organisation, typed["title"], typed["description"]
            )
        except ideas.IdeaError as exc:
            error, status_code = str(exc), 400
        else:
            return redirect(reverse("idea", args=[idea.pk]))
    status = request.GET.get("status", "")
    if status not in Idea.Status.values:
        status = ""
    query = " ".join(request.GET.get("q", "").split())[:200]
    rows: list[Idea] = []
    counts: dict[str, int] = {}
    if organisation is not None:
        everything = Idea.objects.filter(organisation=organisation)
        counts = dict(
            everything.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        shown = ideas.ideas_of(organisation.pk)
        if status:
            shown = shown.filter(status=status)
        if query:
            shown = shown.filter(title__icontains=query)
        rows = list(shown[:SHOWN])
    context = {
        "section": "ideas",
        "organisation": organisation,
        "ideas": rows,
        "status": status,
        "query": query,
        "statuses": [(v, label, counts.get(v, 0)) for v, label in Idea.Status.choices],
        "total": sum(counts.values()),
        "limit": SHOWN,
        "can_propose": ideas.can_propose(request.user),
        "error": error,
        "typed": typed,
    }
    return render(request, "engagement/ideas/list.html", context, status=status_code)


@require_http_methods(["GET", "POST"])
@login_required
def idea_page(request: HttpRequest, idea_id: int) -> HttpResponse:
    _require_see(request)
    try:
        idea = ideas.get_idea_for(request.user, idea_id)
    except ideas.IdeaNotFound:
        raise Http404 from None
    error, status_code = "", 200
    if request.method == "POST":
        try:
            ideas.update_idea(
                request.user, idea, status=request.POST.get("status") or None,
                title=request.POST.get("title"), description=request.POST.get("description"),
            )  # fmt: skip
        except ideas.IdeaError as exc:
            error, status_code = str(exc), 400
            idea.refresh_from_db()
        else:
            messages.success(request, _("Idea saved."))
            return redirect(reverse("idea", args=[idea.pk]))
    linked = idea.cases.count()
    visible = (  # one query: the linked cases this person may see
        list(
            cases.visible_cases(request.user)
            .filter(ideas=idea)
            .select_related("owner_team")
            .order_by("-opened_at")
        )
        if request.user.has_perm("engagement.view_case")
        else []
    )
    context = {
        "section": "ideas",
        "idea": idea,
        "cases": visible,
        "hidden_cases": linked - len(visible),
        "can_manage": ideas.can_manage(request.user),
        "statuses": Idea.Status.choices,
        "error": error,
    }
    return render(request, "engagement/ideas/idea.html", context, status=status_code)


@require_POST
@login_required
def case_ideas(request: HttpRequest, case_id: int) -> HttpResponse:
    """From a case page: link it to an idea (`idea`), to a new one (`title`), or unlink."""
    try:
        case = cases.get_case_for(request.user, case_id)
    except cases.CaseNotFound:
        raise Http404 from None
    action = request.POST.get("action", "")
    try:
        if action == "new":
            idea = ideas.create_idea(
                request.user, case.organisation, request.POST.get("title", "")[:20_000],
                request.POST.get("description", "")[:20_000], case=case,
            )  # fmt: skip
            messages.success(request, _("Idea created and linked."))
        elif action in ("link", "unlink"):
            try:
                idea = ideas.get_idea_for(request.user, request.POST.get("idea", ""))
            except ideas.IdeaNotFound:
                raise ideas.IdeaError(_("Choose an idea from the list.")) from None
            if action == "link":
                ideas.link_case(request.user, idea, case)
                messages.success(request, _("Linked to the idea."))
            else:
                ideas.unlink_case(request.user, idea, case)
                messages.success(request, _("Unlinked from the idea."))
        else:
            raise ideas.IdeaError(_("Unknown action."))
    except ideas.IdeaError as exc:
        messages.error(request, str(exc))
        return HttpResponse(str(exc), status=400) if request.htmx else redirect("case", case.pk)
    return redirect("case", case.pk)


def case_panel(request: HttpRequest, case) -> dict:
    """What a case page shows of its ideas, and what it offers to link."""
    linked = list(case.ideas.only("id", "title", "status"))
    may_link = ideas.can_propose(request.user) and cases.can_work(request.user, case)
    return {
        "linked": linked,
        "may_link": may_link,
        "choices": ideas.link_choices(case.organisation_id, case) if may_link else [],
        "can_see": ideas.can_see(request.user),
    }


urlpatterns = [
    path("ideas/", ideas_page, name="ideas"),
    path("ideas/<int:idea_id>/", idea_page, name="idea"),
    path("cases/<int:case_id>/ideas/", case_ideas, name="case-ideas"),
]
