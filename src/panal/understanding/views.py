"""Correcting a mention's understanding, and the model page (retrain, promote, roll back).

Thin adapters over learning.py. A correction needs `listening.correct_mention` (403 with
a message otherwise) and a mention of one of the user's organisations (404 otherwise); a
bad value is a 400 that says what is wrong. Without JavaScript each form posts and comes
back to the page; with HTMX the same post swaps the page's side panel. See
docs/understanding.md#corrections-and-your-own-models.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from panal.listening import services as listening
from panal.org.services import current_organisation

from . import forms, learning
from .models import Correction, OrgModel


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _bad(request: HttpRequest, message: str, back: str) -> HttpResponse:
    return render(
        request, "understanding/bad_request.html", {"message": message, "back": back}, status=400
    )


@require_POST
@login_required
def correct(request: HttpRequest, mention_id: int, field: str) -> HttpResponse:
    if not request.user.has_perm(learning.CORRECT_PERM):
        return _denied(request, _("Your role cannot correct what the models said."))
    try:
        mention = listening.get_mention_for(request.user, mention_id)
    except listening.MentionNotFound:
        raise Http404 from None
    back = reverse("mention-detail", args=[mention.id])
    if field not in forms.FORMS:
        return _bad(request, _("There is no such thing to correct."), back)
    form = forms.form_for(field, request.POST)
    if not form.is_valid():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        return _bad(request, " ".join(messages), back)
    try:
        learning.correct(request.user, mention, field, form.cleaned_data["after"])
    except learning.CorrectionError as exc:
        return _bad(request, str(exc), back)
    except PermissionDenied:
        return _denied(request, _("Your role cannot correct what the models said."))
    return redirect(back)


def _organisation(request: HttpRequest):
    organisation = current_organisation(request.user)
    if organisation is None:
        raise Http404
    return organisation


@require_GET
@login_required
def models_page(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    try:
        shown = learning.overview(request.user, organisation)
    except PermissionDenied:
        return _denied(request, _("Your role cannot see the models."))
    context = {
        "section": "models",
        "overview": shown,
        "can_retrain": request.user.has_perm(learning.RETRAIN_PERM),
        "training": any(t.training for t in shown.tasks),
        "message": request.GET.get("done", ""),
        "fields": Correction.Field,
    }
    return render(request, "understanding/models.html", context)


def _back_to_models(message: str = "") -> HttpResponse:
    url = reverse("models")
    return redirect(f"{url}?done={message}" if message else url)


@require_POST
@login_required
def retrain(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(learning.RETRAIN_PERM):
        return _denied(request, _("Your role cannot retrain models."))
    organisation = _organisation(request)
    task = request.POST.get("task", "")
    if task not in learning.TASKS:
        return _bad(request, _("There is no such model to retrain."), reverse("models"))
    try:
        learning.start_retrain(request.user, organisation, task)
    except learning.NotEnoughCorrections:
        return _bad(
            request,
            _(
                "Too few corrections to retrain this model: it needs at least one to learn "
                "from and one held out to judge it on."
            ),
            reverse("models"),
        )
    except learning.RetrainBusy:
        return _bad(request, _("This model is already being trained."), reverse("models"))
    return _back_to_models("retrain")


@require_POST
@login_required
def promote(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(learning.RETRAIN_PERM):
        return _denied(request, _("Your role cannot promote models."))
    organisation = _organisation(request)
    task = request.POST.get("task", "")
    raw = request.POST.get("version", "")
    if raw == "shipped":
        version = None
    else:
        try:
            version = int(raw)
        except ValueError:
            return _bad(request, _("Choose a version to put in use."), reverse("models"))
    try:
        learning.promote(request.user, organisation, task, version)
    except OrgModel.DoesNotExist:
        raise Http404 from None
    return _back_to_models("promote")
