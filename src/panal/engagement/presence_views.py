"""Who else is on a case (live), and one's own availability for new cases.

Thin adapters over presence.py and assignment.py (docs/engagement.md#collision-detection,
docs/engagement.md#assignment). The presence panel is included in the case page and
posts its viewer's state every five seconds; a case the user may not see is a 404, a
role without `engagement.view_case` a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from panal.core import clock
from panal.org.services import current_organisation

from . import assignment, cases, presence

POLL_SECONDS = 5
PANEL = "engagement/case/_presence.html"


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _context(request: HttpRequest, case, state: str) -> dict:
    now = clock.now()
    lock = presence.lock_of(case, now)
    return {
        "case": case,
        "url": reverse("case-presence", args=[case.pk]),
        "state": state,
        "poll_seconds": POLL_SECONDS,
        "shared": case.shared,
        "others": presence.others(case, request.user, now),
        "lock": lock,
        "lock_mine": lock is not None and lock.user.pk == request.user.pk,
    }


def presence_panel(request: HttpRequest, case) -> dict:
    """Context for `engagement/case/_presence.html`, which reads it as `presence` (the case
    page puts it under that name).

    Opening the page counts as viewing, so the others see the newcomer at once.
    """
    presence.touch(request.user, case, presence.State.VIEWING)
    return _context(request, case, presence.State.VIEWING)


@require_POST
@login_required
def case_presence(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record the viewer's state and return the refreshed panel."""
    if not request.user.has_perm("engagement.view_case"):
        return _denied(request, _("Your role cannot see cases."))
    try:
        case = cases.get_case_for(request.user, case_id)
    except cases.CaseNotFound:
        raise Http404 from None
    state = request.POST.get("state") or presence.State.VIEWING
    if state not in presence.State.values:
        return HttpResponse(
            _("Unknown presence state: send “viewing” or “typing”."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if state == presence.State.TYPING and not cases.can_answer(request.user, case):
        return _denied(request, _("Your role cannot reply on this case."))
    presence.touch(request.user, case, state)
    if state == presence.State.TYPING:
        # Typing a reply takes the soft lock (or renews it); when someone else holds it
        # the panel says who is replying, and the one-reply guarantee still applies.
        presence.acquire(request.user, case)
    return render(request, PANEL, {"presence": _context(request, case, state)})


def _availability_context(request: HttpRequest, organisation) -> dict:
    agent = assignment.agent_for(request.user, organisation)
    return {
        "organisation": organisation,
        "agent": agent,
        "skills": sorted(agent.skills),
        "languages": sorted(agent.languages),
    }


@require_http_methods(["GET", "POST"])
@login_required
def availability(request: HttpRequest) -> HttpResponse:
    """See one's capacity, skills, languages and load; switch availability on or off."""
    if not request.user.has_perm(assignment.WORK_PERMISSION):
        return _denied(request, _("Your role does not work cases."))
    organisation = current_organisation(request.user)
    if organisation is None:
        raise Http404
    try:
        context = _availability_context(request, organisation)
    except PermissionDenied as exc:
        return _denied(request, str(exc))
    if request.method == "GET":
        return render(request, "engagement/availability.html", context)
    raw = request.POST.get("available", "")
    if raw not in ("1", "0"):
        context["error"] = _("Choose “available” or “unavailable”.")
        return render(request, "engagement/availability.html", context, status=400)
    available = raw == "1"
    requeued = assignment.set_available(request.user, organisation, available)
    if available:
        messages.success(request, _("You are available: new cases can be assigned to you."))
    else:
        messages.success(
            request,
            _(
                "You are unavailable: no new cases will be assigned to you. "
                "Untouched cases sent back to assignment: %(n)d."
            )
            % {"n": len(requeued)},
        )
    return redirect("availability")


urlpatterns = [
    path("cases/<int:case_id>/presence/", case_presence, name="case-presence"),
    path("me/availability/", availability, name="availability"),
]
