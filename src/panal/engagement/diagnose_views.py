"""The engagement page: the configured model, the model the cases show with its evidence,
and a simulation of another model beside the current one (docs/engagement.md#diagnose).

Thin adapters over diagnose.py and simulate.py. Reading needs `org.view_reports` or
`engagement.manage_engagement` (a 403 page otherwise); the simulation runs in the
request over at most 90 days. A bad model or number of days is a 400 saying which.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from panal.core import clock
from panal.org.choices import EngagementModel
from panal.org.services import current_organisation

from .csat import csat_summary
from .diagnose import diagnose, model_label
from .models_of_engagement import MODELS
from .simulate import Simulation, simulate

PERMISSIONS = ("org.view_reports", "engagement.manage_engagement")
DIAGNOSE_DAYS = 90
CSAT_DAYS = 30  # the satisfaction card: surveys sent in the last 30 days
MAX_DAYS = 90  # a simulation in the request covers at most this many days
DEFAULT_DAYS = 7


def _gate(request: HttpRequest) -> HttpResponse | None:
    """A response refusing the request (login, 403), or None to go on."""
    if not request.user.is_authenticated:
        if request.htmx:
            login = reverse(settings.LOGIN_URL)
            page = reverse("engagement-diagnose")
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': page})}")
        return redirect_to_login(request.get_full_path())
    if not any(request.user.has_perm(p) for p in PERMISSIONS):
        message = _("Your role cannot see how the organisation engages.")
        return render(request, "403.html", {"message": message}, status=403)
    return None


def _choices() -> list[tuple[str, str]]:
    return [(name, model_label(name)) for name in EngagementModel.values if name in MODELS]


def _parse(params) -> tuple[str, int, str]:
    """(model, days, error): the simulation asked for; error is "" when it can run."""
    model = params.get("model", "")
    raw = params.get("days", str(DEFAULT_DAYS)).strip()
    days = int(raw) if raw.isdigit() and len(raw) < 6 else 0
    if model not in MODELS:
        names = ", ".join(label for _name, label in _choices())
        return (
            model,
            days,
            _("Unknown engagement model. Choose one of: %(names)s.") % {"names": names},
        )
    if not 1 <= days <= MAX_DAYS:
        return (
            model,
            days,
            _("The number of days must be a whole number from 1 to %(max)d.") % {"max": MAX_DAYS},
        )
    return model, days, ""


def _run(organisation, params) -> tuple[Simulation | None, str, int]:
    """The simulation, or an error message; with the form's values."""
    model, days, error = _parse(params)
    if organisation is None:
        error = _("You are not a member of any organisation, so there is nothing to simulate.")
    if error:
        return None, error, days
    return simulate(organisation, model, days=days), "", days


@require_GET
def diagnose_page(request: HttpRequest) -> HttpResponse:
    refused = _gate(request)
    if refused is not None:
        return refused
    organisation = current_organisation(request.user)
    diagnosis = diagnose(organisation, days=DIAGNOSE_DAYS) if organisation else None
    simulation, error, days = None, "", DEFAULT_DAYS
    chosen = request.GET.get("model") or (diagnosis.model if diagnosis and diagnosis.model else "")
    if "model" in request.GET:
        simulation, error, days = _run(organisation, request.GET)
    context = {
        "section": "engagement",
        "organisation": organisation,
        "configured": model_label(organisation.engagement_model) if organisation else "",
        "diagnosis": diagnosis,
        "diagnosed": model_label(diagnosis.model) if diagnosis and diagnosis.model else "",
        "ranking": [
            (model_label(name), value) for name, value in (diagnosis.ranking if diagnosis else [])
        ],
        "choices": _choices(),
        "chosen": chosen,
        "days": days or DEFAULT_DAYS,
        "max_days": MAX_DAYS,
        "simulation": simulation,
        "error": error,
        "csat": _satisfaction(organisation),
        "csat_days": CSAT_DAYS,
    }
    return render(request, "engagement/diagnose.html", context, status=400 if error else 200)


def _satisfaction(organisation) -> dict | None:
    """The satisfaction surveys of the last CSAT_DAYS days (None without an organisation)."""
    if organisation is None:
        return None
    now = clock.now()
    return csat_summary(organisation, now - timedelta(days=CSAT_DAYS), now)


@require_GET
def simulate_fragment(request: HttpRequest) -> HttpResponse:
    """HTMX: the per-team table of the proposed and the current model."""
    refused = _gate(request)
    if refused is not None:
        return refused
    simulation, error, _days = _run(current_organisation(request.user), request.GET)
    context = {"simulation": simulation, "error": error}
    return render(request, "engagement/_simulation.html", context, status=400 if error else 200)


urlpatterns = [
    path("engagement/", diagnose_page, name="engagement-diagnose"),
    path("engagement/simulate/", simulate_fragment, name="engagement-simulate"),
]
