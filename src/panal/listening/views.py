"""The inbox pages: the live list of mentions, its HTMX fragments, one mention's detail,
and the reports overview with its CSV export.

Thin adapters: each view resolves the user, asks services for what the user may see
(403 without `listening.view_mention`, 404 for a mention of another organisation; 403
without `org.view_reports` for the reports) and renders a read model from queries.py
or reports.py. See docs/inbox.md.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from panal.channels.health import banner_for as channel_banner
from panal.channels.pages import reply_panel
from panal.core.csvsafe import write_rows
from panal.org.services import current_organisation, organisation_ids_for
from panal.understanding.forms import panel as corrections_panel
from panal.understanding.queries import understanding_of

from . import queries, reports, services

if TYPE_CHECKING:
    from panal.org.models import Organisation


def login_required(view):
    """Send anonymous users to the login page; an HTMX fragment request redirects the page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            # A plain redirect would be followed by the XHR and swapped into the list.
            login = reverse(settings.LOGIN_URL)
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': reverse('inbox')})}")
        return redirect_to_login(request.get_full_path())

    return wrapper


def _poll_url(filters: queries.InboxFilters, state: queries.PollState) -> str:
    return f"{reverse('inbox-poll')}?{filters.query(**state.params())}"


def _older_url(name: str, filters: queries.InboxFilters, older_than: int | None) -> str:
    if older_than is None:
        return ""
    return f"{reverse(name)}?{filters.query(before=older_than)}"


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    visible = services.visible_mentions(request.user)
    filters = queries.InboxFilters.from_params(request.GET)
    before = queries.parse_id(request.GET.get("before"))
    page = queries.inbox_page(visible, filters, before=before)
    context = {
        "section": "inbox",
        "filters": filters,
        "options": queries.filter_options(request.user, filters),
        "page": page,
        "mentions": page.mentions,
        "filter_query": filters.query(),
        # An older page stays still; only the newest page is live.
        "is_live": before is None,
        "poll_url": _poll_url(filters, page.poll),
        "poll_seconds": settings.PANAL_INBOX_POLL_SECONDS,
        "older_url": _older_url("inbox", filters, page.older_than),
        "older_fragment_url": _older_url("inbox-older", filters, page.older_than),
        "channel_problems": channel_banner(organisation_ids_for(request.user)),
    }
    return render(request, "listening/inbox.html", context)


@require_GET
@login_required
def inbox_poll(request: HttpRequest) -> HttpResponse:
    """HTMX: the mentions the page does not show yet, to put on top of the list."""
    visible = services.visible_mentions(request.user)
    filters = queries.InboxFilters.from_params(request.GET)
    result = queries.poll_new(visible, filters, queries.PollState.from_params(request.GET))
    if not result.mentions:
        return HttpResponse(status=204)  # htmx swaps nothing; the poller keeps its URL
    context = {
        "mentions": result.mentions,
        "fresh": True,
        "overflow": result.overflow,
        "filter_query": filters.query(),
        "poll_url": _poll_url(filters, result.poll),
        "poll_seconds": settings.PANAL_INBOX_POLL_SECONDS,
    }
    return render(request, "listening/_poll.html", context)


@require_GET
@login_required
def inbox_older(request: HttpRequest) -> HttpResponse:
    """HTMX: the next page of older mentions, to put below the list."""
    visible = services.visible_mentions(request.user)
    filters = queries.InboxFilters.from_params(request.GET)
    page = queries.inbox_page(visible, filters, before=queries.parse_id(request.GET.get("before")))
    context = {
        "mentions": page.mentions,
        "filter_query": filters.query(),
        "older_url": _older_url("inbox", filters, page.older_than),
        "older_fragment_url": _older_url("inbox-older", filters, page.older_than),
    }
    return render(request, "listening/_older.html", context)


@require_GET
@login_required
def mention_detail(request: HttpRequest, mention_id: int) -> HttpResponse:
    try:
        mention = services.get_mention_for(request.user, mention_id)
    except services.MentionNotFound:
        raise Http404 from None
    filters = queries.InboxFilters.from_params(request.GET)
    context = {
        "section": "inbox",
        "mention": mention,
        "versions": list(mention.versions.all()),
        "thread": services.thread_of(mention),
        "understanding": understanding_of(mention),
        "corrections": corrections_panel(request.user, mention),
        "reply_panel": reply_panel(request.user, mention),
        "filter_query": filters.query(),
        "back_url": f"{reverse('inbox')}?{filters.query()}" if filters.active else reverse("inbox"),
    }
    return render(request, "listening/mention_detail.html", context)


def _report(request: HttpRequest) -> tuple[reports.Overview, Organisation | None]:
    """The figures of the user's current organisation, after checking the permission."""
    services.require_perm(request.user, "org.view_reports")
    organisation = current_organisation(request.user)
    mentions = reports.organisation_mentions(organisation.id if organisation else None)
    return reports.overview(mentions, reports.Period.from_params(request.GET)), organisation


@require_GET
@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    report, organisation = _report(request)
    context = {
        "section": "reports",
        "report": report,
        "organisation": organisation,
        "periods": reports.PERIODS,
        "export_url": f"{reverse('reports-export')}?{urlencode({'days': report.period.days})}",
    }
    return render(request, "listening/reports.html", context)


@require_GET
@login_required
def reports_export(request: HttpRequest) -> HttpResponse:
    """The same figures as CSV; every cell goes through the formula-safe writer."""
    report, organisation = _report(request)
    slug = organisation.slug if organisation else "none"
    name = f"panal-{slug}-{report.period.first_day}-{report.period.last_day}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    write_rows(response, ["section", "key", "label", "mentions"], reports.csv_rows(report))
    return response
