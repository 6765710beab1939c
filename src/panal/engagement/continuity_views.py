"""Offboarding a member (`/team/offboard/`) and the public satisfaction survey (`/csat/<token>/`).

Thin adapters over continuity.py and csat.py. Offboarding needs
`engagement.offboard_member` (403 otherwise) and works in the user's current
organisation; a person who is not an active member of it is a 404. The survey page needs
no login: the token is the key, an unknown one is a 404, and it takes one answer.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from panal.org.services import current_organisation

from . import continuity, csat


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _member(organisation, raw):
    """The active membership named by a user id from the request, or 404."""
    try:
        user_id = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    membership = (
        continuity.members(organisation).filter(user_id=user_id).first()
        if 0 < user_id < 2**63
        else None
    )
    if membership is None:
        raise Http404
    return membership


@require_http_methods(["GET", "POST"])
@login_required
def offboard(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(continuity.PERMISSION):
        return _denied(request, _("Your role cannot hand over a person's work."))
    organisation = current_organisation(request.user)
    if organisation is None:
        raise Http404
    context = {"section": "team", "organisation": organisation}
    raw = request.POST.get("user") if request.method == "POST" else request.GET.get("user")
    if not raw:
        if request.method == "POST":
            context["error"] = _("Choose the person who is leaving.")
        context["members"] = continuity.members(organisation).exclude(user=request.user)
        return render(
            request, "engagement/offboard.html", context, status=400 if "error" in context else 200
        )
    membership = _member(organisation, raw)
    context["membership"] = membership
    if membership.user_id == request.user.pk:
        context["error"] = _("You cannot offboard yourself; ask another manager.")
        return render(request, "engagement/offboard.html", context, status=400)
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        context["holdings"] = continuity.holdings(membership.user, organisation)
        if request.method == "POST":
            context["error"] = _("Tick the box to confirm the handover.")
        status = 400 if "error" in context else 200
        return render(request, "engagement/offboard.html", context, status=status)
    try:
        context["done"] = continuity.offboard(membership.user, organisation, actor=request.user)
    except PermissionDenied as exc:
        return _denied(request, str(exc))
    except continuity.OffboardError as exc:
        context["error"] = str(exc)
        return render(request, "engagement/offboard.html", context, status=400)
    return render(request, "engagement/offboard.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    found = csat.survey_for_token(token)
    if found is None:
        raise Http404
    with translation.override(csat.language_of(found.case)):
        return _survey(request, found)


def _survey(request: HttpRequest, found) -> HttpResponse:
    context = {"survey": found, "scores": range(1, 6), "max_comment": csat.MAX_COMMENT}
    if found.answered_at is not None:
        context["answered"] = True
        return render(
            request,
            "engagement/csat.html",
            context,
            status=409 if request.method == "POST" else 200,
        )
    if request.method == "GET":
        return render(request, "engagement/csat.html", context)
    comment = request.POST.get("comment", "")
    context["comment"] = comment[: csat.MAX_COMMENT * 2]
    try:
        score = int(request.POST.get("score", ""))
    except ValueError:
        score = 0
    if score not in range(1, 6):
        context["error"] = _("Choose a score from 1 to 5.")
    elif len(comment.replace("\r\n", "\n").strip()) > csat.MAX_COMMENT:
        context["error"] = _("The comment takes at most %(n)s characters.") % {
            "n": f"{csat.MAX_COMMENT:,}"
        }
    if "error" in context:
        return render(request, "engagement/csat.html", context, status=400)
    try:
        csat.answer_by_link(found, score, comment)
    except csat.AlreadyAnswered:
        context["answered"] = True
        return render(request, "engagement/csat.html", context, status=409)
    context["thanks"] = True
    return render(request, "engagement/csat.html", context)


urlpatterns = [
    path("team/offboard/", offboard, name="offboard"),
    path("csat/<str:token>/", survey, name="csat"),
]
