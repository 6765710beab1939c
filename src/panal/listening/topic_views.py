"""The topic and query pages, the query editor with its live check and preview, and share
of voice (docs/topics.md#pages).

Thin adapters over topics.py, preview.py and share.py. Reading needs
`listening.view_mention` (share of voice: `org.view_reports`); every change needs
`listening.manage_queries` (a 403 page saying so otherwise). A topic or query of an
organisation the user is not a member of is a 404. A query that does not parse is
refused with its column and hint, and nothing is saved.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from panal.core import clock
from panal.core.csvsafe import write_rows
from panal.org.models import Organisation
from panal.org.services import current_organisation, organisation_ids_for

from . import preview, reports, services, share, topics
from .models import Backfill, ListeningQuery, Mention, Topic, TopicMatch
from .queries import with_row_data
from .query import QueryError
from .topic_forms import BackfillForm, QueryForm, TopicForm
from .views import login_required

VIEW = "listening.view_mention"
MANAGE = "listening.manage_queries"
REPORTS = "org.view_reports"
RECENT_DAYS = 30
NEWEST_MATCHES = 20
RECENT_BACKFILLS = 5


# --- doorways ------------------------------------------------------------------------------


def _topic_for(request: HttpRequest, topic_id: int) -> Topic:
    """A topic of one of the user's organisations (404 otherwise); needs view_mention."""
    services.require_perm(request.user, VIEW)
    topic = (
        Topic.objects.select_related("organisation", "team")
        .filter(id=topic_id, organisation_id__in=organisation_ids_for(request.user))
        .first()
    )
    if topic is None:
        raise Http404
    return topic


def _query_for(request: HttpRequest, query_id: int) -> ListeningQuery:
    services.require_perm(request.user, VIEW)
    query = (
        ListeningQuery.objects.select_related("topic__organisation", "topic__team", "updated_by")
        .filter(id=query_id, organisation_id__in=organisation_ids_for(request.user))
        .first()
    )
    if query is None:
        raise Http404
    return query


def _may_manage(request: HttpRequest) -> bool:
    return request.user.has_perm(MANAGE)


def _denied(request: HttpRequest) -> HttpResponse:
    message = _("Your role cannot change topics or listening queries.")
    return render(request, "403.html", {"message": message}, status=403)


def _bad(request: HttpRequest, message: str, back: str) -> HttpResponse:
    context = {"message": message, "back": back}
    return render(request, "understanding/bad_request.html", context, status=400)


def _done(url: str, done: str) -> HttpResponse:
    return redirect(f"{url}?{urlencode({'done': done})}")


def _form_error(form, error: topics.TopicError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- topics --------------------------------------------------------------------------------


def _topic_groups(organisation: Organisation | None) -> list[tuple[str, list[Topic]]]:
    """The organisation's topics by kind, each with `n_queries` and `n_recent` (matches of
    the last 30 days): three queries, however many topics."""
    if organisation is None:
        return []
    listed = list(
        Topic.objects.filter(organisation=organisation)
        .select_related("team")
        .annotate(n_queries=Count("queries"))
    )
    since = clock.now() - timedelta(days=RECENT_DAYS)
    recent = dict(
        TopicMatch.objects.filter(
            topic__organisation=organisation,
            created_at__gte=since,
            mention__deleted_at__isnull=True,
        )
        .order_by()
        .values_list("topic_id")
        .annotate(n=Count("id"))
    )
    for topic in listed:
        topic.n_recent = recent.get(topic.id, 0)
    return [
        (label, [t for t in listed if t.kind == kind])
        for kind, label in Topic.Kind.choices
        if any(t.kind == kind for t in listed)
    ]


@require_http_methods(["GET", "POST"])
@login_required
def topics_page(request: HttpRequest) -> HttpResponse:
    services.require_perm(request.user, VIEW)
    organisation = current_organisation(request.user)
    form = TopicForm(organisation, creating=True) if organisation else None
    status = 200
    if request.method == "POST":
        if not _may_manage(request):
            return _denied(request)
        if organisation is None:
            raise Http404
        form = TopicForm(organisation, request.POST, creating=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                topic = topics.create_topic(
                    organisation,
                    name=data["name"],
                    kind=data["kind"],
                    team=data["team"],
                    description=data["description"],
                )
            except topics.TopicError as error:
                _form_error(form, error)
            else:
                return _done(reverse("topic", args=[topic.id]), "created")
        status = 400
    context = {
        "section": "topics",
        "organisation": organisation,
        "groups": _topic_groups(organisation),
        "form": form,
        "can_manage": _may_manage(request),
    }
    return render(request, "listening/topics/list.html", context, status=status)


def _newest_matches(topic: Topic) -> list[Mention]:
    return list(
        with_row_data(
            Mention.objects.filter(topic_matches__topic=topic, deleted_at__isnull=True)
        ).order_by("-topic_matches__created_at", "-id")[:NEWEST_MATCHES]
    )


def _backfills_context(topic: Topic) -> dict:
    recent = list(topic.backfills.select_related("requested_by")[:RECENT_BACKFILLS])
    latest = recent[0] if recent else None
    active = latest is not None and latest.status in (
        Backfill.Status.QUEUED,
        Backfill.Status.RUNNING,
    )
    return {"topic": topic, "backfills": recent, "latest": latest, "active": active}


@require_http_methods(["GET", "POST"])
@login_required
def topic_page(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _topic_for(request, topic_id)
    can_manage = _may_manage(request)
    form = TopicForm.of(topic) if can_manage else None
    status = 200
    if request.method == "POST":
        if not can_manage:
            return _denied(request)
        form = TopicForm(topic.organisation, request.POST)
        if form.is_valid():
            try:
                topics.update_topic(topic, **form.cleaned_data)
            except topics.TopicError as error:
                _form_error(form, error)
            else:
                return _done(reverse("topic", args=[topic.id]), "saved")
        status = 400
        topic.refresh_from_db()
    context = {
        "section": "topics",
        "topic": topic,
        "form": form,
        "can_manage": can_manage,
        "queries": list(topic.queries.select_related("updated_by")),
        "backfill_form": BackfillForm(),
        "matches": _newest_matches(topic),
        "done": request.GET.get("done", ""),
        **_backfills_context(topic),
    }
    return render(request, "listening/topics/topic.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def topic_delete(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _topic_for(request, topic_id)
    if not _may_manage(request):
        return _denied(request)
    if request.method == "POST":
        topics.delete_topic(topic)
        return _done(reverse("topics"), "deleted")
    context = {"section": "topics", "topic": topic, "n_queries": topic.queries.count()}
    return render(request, "listening/topics/topic_delete.html", context)


@require_POST
@login_required
def topic_backfill(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _topic_for(request, topic_id)
    if not _may_manage(request):
        return _denied(request)
    form = BackfillForm(request.POST)
    back = reverse("topic", args=[topic.id])
    if not form.is_valid():
        return _bad(request, _("Give the first day as a date, or leave it empty."), back)
    topics.start_backfill(topic, user=request.user, since=form.since_moment())
    if request.htmx:
        return render(request, "listening/topics/_backfills.html", _backfills_context(topic))
    return _done(back, "backfill")


@require_GET
@login_required
def topic_backfills(request: HttpRequest, topic_id: int) -> HttpResponse:
    """HTMX: the backfill progress panel (it polls itself while one is queued or running)."""
    topic = _topic_for(request, topic_id)
    return render(request, "listening/topics/_backfills.html", _backfills_context(topic))


# --- the query editor ----------------------------------------------------------------------


def _checked(organisation_id: int, text: str) -> dict:
    """What the editor shows under the text: nothing to check yet, the error with a caret
    under its column, or the warnings, the normalised form and the preview."""
    if not text.strip():
        return {"blank": True}
    result = topics.check(text)
    context: dict = {"check": result}
    if result.error is not None:
        context["line"], context["pad"] = preview.pointer(text, result.error.column)
    else:
        context["preview"] = preview.preview(organisation_id, result.query)
    return context


def _refused(text: str, error: QueryError) -> dict:
    result = topics.Check(text=text, error=error)
    line, pad = preview.pointer(text, error.column)
    return {"check": result, "line": line, "pad": pad}


def _editor(
    request: HttpRequest,
    topic: Topic,
    query: ListeningQuery | None,
    form: QueryForm,
    *,
    checked: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    text = form.data.get("text", "") if form.is_bound else form.initial.get("text", "")
    context = {
        "section": "topics",
        "topic": topic,
        "query": query,
        "form": form,
        "can_manage": _may_manage(request),
        "checked": checked or _checked(topic.organisation_id, text),
        "versions": topics.versions_with_diffs(query) if query else [],
        "backfill_form": BackfillForm(),
        "done": request.GET.get("done", ""),
    }
    return render(request, "listening/topics/query.html", context, status=status)


def _save(request: HttpRequest, topic: Topic, query: ListeningQuery | None) -> HttpResponse:
    if not _may_manage(request):
        return _denied(request)
    form = QueryForm(request.POST)
    if not form.is_valid():
        return _editor(request, topic, query, form, status=400)
    data = form.cleaned_data
    text = data["text"]
    try:
        if not text.strip():
            raise QueryError(1, _("The query is empty."), _("for example: acme OR #acme"))
        saved = topics.save_query(
            topic,
            text,
            name=data["name"],
            is_active=data["is_active"],
            user=request.user,
            query=query,
        )
    except QueryError as error:
        checked = _refused(text, error)
        return _editor(request, topic, query, form, checked=checked, status=400)
    except topics.TopicError as error:
        _form_error(form, error)
        return _editor(request, topic, query, form, status=400)
    return _done(reverse("query", args=[saved.id]), "saved")


@require_http_methods(["GET", "POST"])
@login_required
def query_new(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _topic_for(request, topic_id)
    if not _may_manage(request):
        return _denied(request)
    if request.method == "POST":
        return _save(request, topic, None)
    return _editor(request, topic, None, QueryForm(initial={"is_active": True, "text": ""}))


@require_http_methods(["GET", "POST"])
@login_required
def query_page(request: HttpRequest, query_id: int) -> HttpResponse:
    query = _query_for(request, query_id)
    if request.method == "POST":
        return _save(request, query.topic, query)
    initial = {"name": query.name, "text": query.text, "is_active": query.is_active}
    return _editor(request, query.topic, query, QueryForm(initial=initial))


@require_POST
@login_required
def query_check(request: HttpRequest, topic_id: int) -> HttpResponse:
    """HTMX: the check and preview of the text being typed (nothing is saved)."""
    topic = _topic_for(request, topic_id)
    text = request.POST.get("text", "")
    context = {"checked": _checked(topic.organisation_id, text)}
    return render(request, "listening/topics/_check.html", context)


@require_POST
@login_required
def query_restore(request: HttpRequest, query_id: int) -> HttpResponse:
    query = _query_for(request, query_id)
    if not _may_manage(request):
        return _denied(request)
    back = reverse("query", args=[query.id])
    try:
        number = int(request.POST.get("number", ""))
        topics.restore_version(query, number, user=request.user)
    except ValueError:
        return _bad(request, _("Choose a version to restore."), back)
    except (QueryError, topics.TopicError) as error:
        return _bad(request, error.message, back)
    return _done(back, "restored")


@require_http_methods(["GET", "POST"])
@login_required
def query_delete(request: HttpRequest, query_id: int) -> HttpResponse:
    query = _query_for(request, query_id)
    if not _may_manage(request):
        return _denied(request)
    if request.method == "POST":
        topics.delete_query(query)
        return _done(reverse("topic", args=[query.topic_id]), "query-deleted")
    context = {"section": "topics", "query": query, "topic": query.topic}
    return render(request, "listening/topics/query_delete.html", context)


# --- share of voice ------------------------------------------------------------------------


def _share(request: HttpRequest) -> dict:
    """The chosen topics' share of voice over the chosen period, after the permission."""
    if not request.user.is_authenticated or not request.user.has_perm(REPORTS):
        raise PermissionDenied
    organisation = current_organisation(request.user)
    period = reports.Period.from_params(request.GET)
    available = (
        list(Topic.objects.filter(organisation=organisation, is_active=True))
        if organisation
        else []
    )
    if "chosen" in request.GET:
        wanted = set(request.GET.getlist("topic"))
        chosen = [t for t in available if str(t.id) in wanted][: share.MAX_TOPICS]
    else:
        chosen = share.default_topics(organisation.id) if organisation else []
    return {
        "organisation": organisation,
        "available": available,
        "chosen": chosen,
        "sov": share.share_of_voice(chosen, period),
    }


def _choice_query(chosen: list[Topic]) -> str:
    """The topic choice as URL parameters, so a period link or the CSV keeps it."""
    return urlencode([("chosen", "1"), *(("topic", t.id) for t in chosen)])


def _day_rows(sov: share.ShareOfVoice) -> list[tuple]:
    """(day, total, [(colour index, topic, cell)]) per day, newest first, for the bars."""
    return [
        (day, sov.totals[d], [(i, s.topic, s.days[d]) for i, s in enumerate(sov.series)])
        for d, day in reversed(list(enumerate(sov.dates)))
    ]


@require_GET
@login_required
def share_of_voice_page(request: HttpRequest) -> HttpResponse:
    context = _share(request)
    sov = context["sov"]
    context |= {
        "section": "share-of-voice",
        "periods": reports.PERIODS,
        "chosen_ids": {t.id for t in context["chosen"]},
        "colours": list(enumerate(sov.series)),
        "rows": _day_rows(sov),
        "max_topics": share.MAX_TOPICS,
        "choice_query": _choice_query(context["chosen"]),
    }
    return render(request, "listening/topics/share_of_voice.html", context)


def _csv_rows(sov: share.ShareOfVoice) -> list[list]:
    """day, topic, mentions, share, positive, positive share, negative, negative share."""
    rows = []
    for d, day in enumerate(sov.dates):
        for s in sov.series:
            cells = (s.days[d], s.positive[d], s.negative[d])
            rows.append([day.isoformat(), s.topic.name, *_cells(cells)])
    for s in sov.series:
        cells = (s.total, s.total_positive, s.total_negative)
        rows.append(["total", s.topic.name, *_cells(cells)])
    return rows


def _cells(cells) -> list:
    return [v for c in cells for v in (c.count, round(c.share, 2))]


@require_GET
@login_required
def share_of_voice_export(request: HttpRequest) -> HttpResponse:
    """The same figures as CSV; every cell goes through the formula-safe writer."""
    context = _share(request)
    sov, organisation = context["sov"], context["organisation"]
    slug = organisation.slug if organisation else "none"
    period = sov.period
    name = f"panal-{slug}-share-of-voice-{period.first_day}-{period.last_day}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    header = [
        "day",
        "topic",
        "mentions",
        "share",
        "positive",
        "positive_share",
        "negative",
        "negative_share",
    ]
    write_rows(response, header, _csv_rows(sov))
    return response
