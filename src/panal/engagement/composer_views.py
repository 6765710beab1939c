"""The reply composer of a case page and the reply templates page (docs/engagement.md#replies).

Thin adapters over `composer` and `policy`. A case the user may not see is a 404; one
they may not answer is a 403. A reply refused by the state of things (someone else
replied, the channel's window closed, approval needed) is a 409, bad input a 400; both
show the composer again with the reason and the text as it was typed. Templates: seeing
them needs `engagement.work_case`, changing them `engagement.manage_rules`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from panal.channels import replies
from panal.channels.base import connector_for
from panal.org.services import current_organisation
from panal.understanding.labels import intent_label

from . import cases, composer, policy
from .models import Case, ReplyTemplate
from .playbooks import INTENTS

MAX_FORM = 100_000  # characters a form accepts; the service's own limit applies after
EXCERPT = 240
ACTIONS = ("send", "send_pending", "send_resolve", "submit", "save")
AFTER = {"send": None, "send_pending": Case.Status.PENDING, "send_resolve": Case.Status.RESOLVED}
VIEW_TEMPLATES = "engagement.work_case"


def case_url(case_id: int) -> str:
    try:
        return reverse("case", args=[case_id])
    except NoReverseMatch:  # the case page is added by its own module
        return f"/cases/{case_id}/"


def _case_or_404(request: HttpRequest, case_id: int) -> Case:
    try:
        return cases.get_case_for(request.user, case_id)
    except cases.CaseNotFound:
        raise Http404 from None


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


# --- the panel ----------------------------------------------------------------------------


def _check(user, case: Case, text: str, mention, flags=None) -> dict:
    """What the live check shows: the flags and whether the reply needs approval."""
    if not text.strip():
        return {"case_id": case.pk, "flags": [], "approval_reason": None, "blank": True}
    if flags is None:
        flags = policy.check(text, user=user, case=case, mention=mention)
    return {
        "case_id": case.pk,
        "flags": flags,
        "approval_reason": composer.needs_approval(user, case, text=text, flags=flags),
        "blank": False,
    }


def composer_panel(
    request: HttpRequest, case: Case, *, text: str | None = None, error: str = "", mention=None
) -> dict:
    """Context for `engagement/case/_composer.html` (the case page includes it as
    `composer`): the channel's refusal or the form, templates in the customer's language,
    knowledge suggestions, the live policy check and the case's drafts."""
    user = request.user
    can_answer = cases.can_answer(user, case)
    panel = {
        "case": case,
        "can_answer": can_answer,
        "error": error,
        "text": text or "",
        "drafts": composer.drafts_of(case),
        "reply_url": reverse("case-reply", args=[case.pk]),
        "check_url": reverse("case-reply-check", args=[case.pk]),
    }
    if not can_answer:
        return panel
    try:
        mention = composer.mention_of(case, mention)
    except cases.CaseError:
        mention = composer.latest_mention(case)
    if mention is None:
        panel["refusal"] = _("This case has no message to reply to.")
        return panel
    if text is None:
        own = next(
            (d for d in panel["drafts"] if d.author_id == user.pk and d.status == "draft"), None
        )
        panel["text"] = own.text if own else ""
    connector = connector_for(mention.account.kind) if mention.account_id else None
    panel.update(
        {
            "mention": mention,
            "refusal": replies.refusal(mention),
            "seen_seq": case.reply_seq,
            "lang": composer.customer_language(case, mention),
            "private": policy.replies_privately(mention),
            "reply_limit": connector.reply_limit_for(mention) if connector else None,
            "approval_reason": composer.needs_approval(user, case),
            "templates": [
                {"template": t, "text": composer.render(t, case, mention, user)}
                for t in composer.templates_for(case, mention)
            ],
            "suggestions": [
                {
                    "article": a,
                    "excerpt": " ".join(a.body.split())[:EXCERPT],
                    "more": len(a.body) > EXCERPT,
                }
                for a in composer.suggestions_for(case)
            ],
            "check": _check(user, case, panel["text"], mention),
        }
    )
    return panel


def _panel_response(
    request: HttpRequest, case: Case, status: int, *, text: str, error: str, mention=None
) -> HttpResponse:
    panel = composer_panel(request, case, text=text, error=error, mention=mention)
    if request.htmx:
        return render(request, "engagement/case/_composer.html", {"composer": panel}, status=status)
    context = {
        "section": "cases",
        "case": case,
        "composer": panel,
        "sent": composer.replies_of(case),
        "back": case_url(case.pk),
    }
    return render(request, "engagement/composer/page.html", context, status=status)


# --- replying -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def case_reply(request: HttpRequest, case_id: int) -> HttpResponse:
    """GET: the composer on its own page; POST: send, submit for approval or save a draft."""
    case = _case_or_404(request, case_id)
    user = request.user
    if not cases.can_answer(user, case):
        return _denied(request, _("You may not answer this case."))
    if request.method == "GET":
        return _panel_response(request, case, 200, text=None, error="")
    post = request.POST
    text = post.get("text", "")[:MAX_FORM]
    action = post.get("action", "send")
    mention = post.get("mention") or None
    if action not in ACTIONS:
        return _panel_response(
            request, case, 400, text=text, error=_("Unknown action."), mention=mention
        )
    try:
        if action in AFTER:
            composer.send(
                user, case, text, seen_seq=post.get("seen_seq"), mention=mention,
                status_after=AFTER[action],
            )  # fmt: skip
            done = _("Reply queued; it shows as sent once the network accepts it.")
            if action == "send_resolve":
                done += " " + _("The case is resolved.")
            elif action == "send_pending":
                done += " " + _("The case waits on the customer.")
        elif action == "submit":
            draft = composer.save_draft(user, case, text, mention)
            composer.submit(user, draft)
            done = _("Your reply was sent for approval; you will be told when it is decided.")
        else:
            composer.save_draft(user, case, text, mention)
            done = _("Draft saved.")
    except PermissionDenied as exc:  # composer.NotAllowed included
        return _denied(request, str(exc) or _("You may not answer this case."))
    except composer.ReplyConflict as exc:
        return _panel_response(request, case, 409, text=text, error=str(exc), mention=mention)
    except cases.CaseError as exc:
        return _panel_response(request, case, 400, text=text, error=str(exc), mention=mention)
    messages.success(request, done)
    return redirect(case_url(case.pk))


@require_POST
@login_required
def case_reply_check(request: HttpRequest, case_id: int) -> HttpResponse:
    """The live policy check (htmx, as the agent types): the flags fragment."""
    case = _case_or_404(request, case_id)
    if not cases.can_answer(request.user, case):
        return _denied(request, _("You may not answer this case."))
    text = request.POST.get("text", "")[:MAX_FORM]
    try:
        mention = composer.mention_of(case, request.POST.get("mention") or None)
    except cases.CaseError:
        mention = composer.latest_mention(case)
    check = _check(request.user, case, text, mention)
    return render(request, "engagement/composer/_flags.html", {"check": check})


# --- reply templates ----------------------------------------------------------------------


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    shortcut = forms.SlugField(
        label=gettext_lazy("Shortcut"),
        max_length=60,
        help_text=gettext_lazy("Letters, digits and hyphens, such as “late-delivery”."),
    )
    lang = forms.CharField(
        label=gettext_lazy("Language"),
        max_length=8,
        help_text=gettext_lazy("The customer's language: “es”, “en”, “pt-br”…"),
    )
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=composer.MAX_TEMPLATE,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
    )
    intents = forms.MultipleChoiceField(
        label=gettext_lazy("Suggest it first for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intents"].choices = [(i, intent_label(i)) for i in INTENTS]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        errors = composer.validate_template(body)
        if errors:
            raise forms.ValidationError(errors)
        return body

    @classmethod
    def of(cls, template: ReplyTemplate) -> TemplateForm:
        return cls(
            initial={
                "name": template.name,
                "shortcut": template.shortcut,
                "lang": template.lang,
                "body": template.body,
                "intents": template.intents,
            }
        )


def _organisation_or_404(request: HttpRequest):
    organisation = current_organisation(request.user)
    if organisation is None:
        raise Http404
    return organisation


def _may_view(request: HttpRequest) -> bool:
    return request.user.has_perm(VIEW_TEMPLATES)


def _cannot_view(request: HttpRequest) -> HttpResponse:
    return _denied(request, _("Your role cannot see reply templates."))


def _template_or_404(request: HttpRequest, organisation, template_id: int) -> ReplyTemplate:
    template = ReplyTemplate.objects.filter(pk=template_id, organisation=organisation).first()
    if template is None:
        raise Http404
    return template


def _templates_page(
    request: HttpRequest, organisation, form, editing=None, status: int = 200
) -> HttpResponse:
    rows = list(ReplyTemplate.objects.filter(organisation=organisation).order_by("lang", "name"))
    for row in rows:
        row.intent_labels = [intent_label(i) for i in row.intents or []]
    context = {
        "section": "reply-templates",
        "organisation": organisation,
        "templates": rows,
        "form": form,
        "editing": editing,
        "can_manage": request.user.has_perm("engagement.manage_rules"),
        "variables": composer.variable_help(),
    }
    return render(request, "engagement/templates_list.html", context, status=status)


def _save(request: HttpRequest, organisation, template=None) -> HttpResponse:
    if not request.user.has_perm("engagement.manage_rules"):
        return _denied(request, _("Your role cannot change reply templates."))
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            saved = composer.save_template(
                request.user, organisation, template=template, **form.cleaned_data
            )
        except composer.TemplateError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": saved.name})
            return redirect("reply-templates")
    return _templates_page(request, organisation, form, template, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def templates_page(request: HttpRequest) -> HttpResponse:
    if not _may_view(request):
        return _cannot_view(request)
    organisation = _organisation_or_404(request)
    if request.method == "POST":
        return _save(request, organisation)
    initial = {"lang": organisation.default_language}
    return _templates_page(request, organisation, TemplateForm(initial=initial))


@require_http_methods(["GET", "POST"])
@login_required
def template_page(request: HttpRequest, template_id: int) -> HttpResponse:
    if not _may_view(request):
        return _cannot_view(request)
    organisation = _organisation_or_404(request)
    template = _template_or_404(request, organisation, template_id)
    if request.method == "POST":
        return _save(request, organisation, template)
    return _templates_page(request, organisation, TemplateForm.of(template), template)


@require_POST
@login_required
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    if not _may_view(request):
        return _cannot_view(request)
    organisation = _organisation_or_404(request)
    template = _template_or_404(request, organisation, template_id)
    if not request.user.has_perm("engagement.manage_rules"):
        return _denied(request, _("Your role cannot change reply templates."))
    composer.delete_template(request.user, template)
    messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return redirect("reply-templates")


urlpatterns = [
    path("cases/<int:case_id>/reply/", case_reply, name="case-reply"),
    path("cases/<int:case_id>/reply/check/", case_reply_check, name="case-reply-check"),
    path("reply-templates/", templates_page, name="reply-templates"),
    path("reply-templates/<int:template_id>/", template_page, name="reply-template"),
    path(
        "reply-templates/<int:template_id>/delete/", template_delete, name="reply-template-delete"
    ),
]
