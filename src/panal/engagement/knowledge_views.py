"""The knowledge-base and lead pages (docs/engagement.md#knowledge-base, #leads).

Thin adapters over knowledge.py and leads.py, which check every permission. Reading
articles needs `engagement.view_article`, writing `engagement.add_article` /
`engagement.change_article` (a 403 saying so otherwise); a draft, an article of another
organisation, or a lead the user may not see is a 404. Bad input is a 400 that names the
problem, with the form kept as typed.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from panal.listening.views import login_required
from panal.org.services import current_organisation

from . import cases, knowledge, leads
from .models import Lead

LEADS_SHOWN = 200


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=knowledge.MAX_TITLE)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=knowledge.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 14}),
        strip=False,
    )
    lang = forms.CharField(
        label=gettext_lazy("Language"),
        max_length=8,
        help_text=gettext_lazy("A language code such as “es” or “en”."),
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Separated by commas."),
    )

    def tag_list(self) -> list[str]:
        return [t for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _require_read(request: HttpRequest) -> None:
    if not knowledge.can_read(request.user):
        raise PermissionDenied(_("Your role cannot read the knowledge base."))


def _initial_tags(tags: list[str]) -> str:
    return ", ".join(tags)


# --- knowledge base ----------------------------------------------------------------------------


@require_GET
@login_required
def kb_page(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    organisation = current_organisation(request.user)
    query = request.GET.get("q", "")[:500]
    drafts = knowledge.can_see_drafts(request.user)
    articles = (
        knowledge.search(organisation.pk, query, drafts=drafts) if organisation is not None else []
    )
    context = {
        "section": "kb",
        "organisation": organisation,
        "articles": articles,
        "query": query,
        "can_create": knowledge.can_create(request.user),
    }
    return render(request, "engagement/kb/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def kb_new(request: HttpRequest) -> HttpResponse:
    if not knowledge.can_create(request.user):
        return _denied(request, _("Your role cannot write knowledge-base articles."))
    organisation = current_organisation(request.user)
    if organisation is None:
        raise Http404
    case = None
    case_id = request.POST.get("case") or request.GET.get("case")
    if case_id:
        try:
            case = cases.get_case_for(request.user, case_id)
        except cases.CaseNotFound:
            raise Http404 from None
        if case.organisation_id != organisation.pk:
            raise Http404
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST)
        publish = request.POST.get("action") == "publish"
        if publish and not knowledge.can_change(request.user):
            return _denied(request, _("Your role cannot publish articles."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                article = knowledge.create_article(
                    request.user, organisation.pk, title=data["title"], body=data["body"],
                    lang=data["lang"], tags=form.tag_list(), source_case=case, publish=publish,
                )  # fmt: skip
            except knowledge.ArticleError as error:
                form.add_error(None, str(error))
            else:
                return redirect("kb-article", article.pk)
        status = 400
    else:
        initial = {"lang": organisation.default_language}
        if case is not None:
            filled = knowledge.prefill_from_case(request.user, case)
            initial.update(filled, tags=_initial_tags(filled["tags"]))
            initial["lang"] = filled["lang"] or organisation.default_language
        form = ArticleForm(initial=initial)
    context = {
        "section": "kb",
        "form": form,
        "case": case,
        "can_publish": knowledge.can_change(request.user),
    }
    return render(request, "engagement/kb/new.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def kb_article(request: HttpRequest, article_id: int) -> HttpResponse:
    _require_read(request)
    try:
        article = knowledge.get_article_for(request.user, article_id)
    except knowledge.ArticleNotFound:
        raise Http404 from None
    can_change = knowledge.can_change(request.user)
    form = None
    status = 200
    if can_change:
        form = ArticleForm(
            initial={
                "title": article.title,
                "body": article.body,
                "lang": article.lang,
                "tags": _initial_tags(article.tags),
            }
        )
    if request.method == "POST":
        if not can_change:
            return _denied(request, _("Your role cannot change articles."))
        action = request.POST.get("action", "")
        if action in ("publish", "unpublish"):
            knowledge.set_published(request.user, article, action == "publish")
            return redirect("kb-article", article.pk)
        form = ArticleForm(request.POST)
        if action != "save":
            form.add_error(None, _("Unknown action."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                knowledge.update_article(
                    request.user, article, title=data["title"], body=data["body"],
                    lang=data["lang"], tags=form.tag_list(),
                )  # fmt: skip
            except knowledge.ArticleError as error:
                form.add_error(None, str(error))
            else:
                return redirect("kb-article", article.pk)
        status = 400
    context = {"section": "kb", "article": article, "form": form, "can_change": can_change}
    return render(request, "engagement/kb/article.html", context, status=status)


# --- leads -----------------------------------------------------------------------------------


@require_GET
@login_required
def leads_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("engagement.view_case"):
        raise PermissionDenied(_("Your role cannot see leads."))
    organisation = current_organisation(request.user)
    stage = request.GET.get("stage", "")
    if stage and stage not in Lead.Stage.values:
        stage = ""
    rows: list[Lead] = []
    counts: dict[str, int] = {}
    if organisation is not None:
        visible = leads.visible_leads(request.user, organisation.pk)
        counts = dict(
            visible.order_by()
            .values_list("stage")
            .annotate(n=Count("id"))
            .values_list("stage", "n")
        )
        shown = visible.filter(stage=stage) if stage else visible
        rows = list(shown.select_related("owner", "team", "contact")[:LEADS_SHOWN])
    stages = [(value, label, counts.get(value, 0)) for value, label in Lead.Stage.choices]
    context = {
        "section": "leads",
        "organisation": organisation,
        "leads": rows,
        "stage": stage,
        "stages": stages,
        "total": sum(counts.values()),
        "limit": LEADS_SHOWN,
    }
    return render(request, "engagement/leads/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def lead_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    if not request.user.has_perm("engagement.view_case"):
        raise PermissionDenied(_("Your role cannot see leads."))
    try:
        lead = leads.get_lead_for(request.user, lead_id)
    except leads.LeadNotFound:
        raise Http404 from None
    error = ""
    status = 200
    if request.method == "POST":
        if not leads.can_work(request.user, lead):
            return _denied(request, _("Your role cannot change leads."))
        action = request.POST.get("action", "")
        try:
            if action == "stage":
                leads.set_stage(request.user, lead, request.POST.get("stage", ""))
            elif action == "owner":
                leads.set_owner(request.user, lead, _owner_id(request.POST.get("owner", "")))
            else:
                raise leads.LeadError(_("Unknown action."))
        except leads.LeadError as exc:
            error = str(exc)
            status = 400
        else:
            return redirect(reverse("lead", args=[lead.pk]))
    conversation = list(cases.mentions_of(lead.case)) if lead.case_id else []
    context = {
        "section": "leads",
        "lead": lead,
        "conversation": conversation,
        "case_visible": lead.case_id is not None and cases.can_see(request.user, lead.case),
        "can_work": leads.can_work(request.user, lead),
        "owners": leads.owner_choices(lead),
        "stages": Lead.Stage.choices,
        "error": error,
    }
    return render(request, "engagement/leads/lead.html", context, status=status)


def _owner_id(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise leads.LeadError(_("Choose a person from the list.")) from None


urlpatterns = [
    path("kb/", kb_page, name="kb"),
    path("kb/new/", kb_new, name="kb-new"),
    path("kb/<int:article_id>/", kb_article, name="kb-article"),
    path("leads/", leads_page, name="leads"),
    path("leads/<int:lead_id>/", lead_page, name="lead"),
]
