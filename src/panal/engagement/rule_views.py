"""The rules pages: the ordered list, the editor with its dry run, and the audit
(docs/engagement.md#rule-pages).

Thin adapters over rules.py. Reading needs `engagement.view_case`; every change and the
dry run need `engagement.manage_rules` (a 403 page saying so otherwise). A rule of
another organisation than the user's current one is a 404. A rule with any problem is
refused with every reason under its box, with status 400, and nothing is saved.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from panal.core import clock
from panal.listening.views import login_required
from panal.org.services import current_organisation

from . import rules
from .models import Rule, RuleFire

AUDIT = 50
RECENT_DAYS = 30
PARTS = ("name", "conditions", "query", "actions")


class RuleForm(forms.Form):
    # Not required here: the service says so, together with every other problem.
    name = forms.CharField(label=gettext_lazy("Name"), max_length=rules.MAX_NAME, required=False)
    conditions = forms.CharField(
        label=gettext_lazy("Conditions"),
        required=False,
        max_length=rules.MAX_CONDITIONS * (rules.MAX_LINE + 1),
        widget=forms.Textarea(attrs={"rows": 7, "spellcheck": "false", "dir": "ltr"}),
        help_text=gettext_lazy("One a line; all must hold. Example: intent = complaint"),
    )
    query = forms.CharField(
        label=gettext_lazy("Query"),
        required=False,
        max_length=rules.MAX_QUERY,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "dir": "ltr"}),
        help_text=gettext_lazy(
            "Optional: a listening query the mention must match too, e.g. "
            "reembolso* AND NOT lang:pt"
        ),
    )
    actions = forms.CharField(
        label=gettext_lazy("Actions"),
        required=False,
        max_length=rules.MAX_ACTIONS * (rules.MAX_LINE + 1),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "dir": "ltr"}),
        help_text=gettext_lazy("One a line, in order. Example: assign team:billing"),
    )
    stop_processing = forms.BooleanField(
        label=gettext_lazy("Stop processing later rules when this one fires"), required=False
    )
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)

    @classmethod
    def of(cls, rule: Rule) -> RuleForm:
        return cls(
            initial={
                "name": rule.name,
                "conditions": rules.format_conditions(rule.conditions),
                "query": rule.query,
                "actions": rules.format_actions(rule.actions),
                "stop_processing": rule.stop_processing,
                "enabled": rule.enabled,
            }
        )

    def add_problems(self, problems: list[rules.Problem]) -> None:
        for problem in problems:
            self.add_error(problem.part if problem.part in self.fields else None, str(problem))


# --- doorways -----------------------------------------------------------------------------


def _organisation(request: HttpRequest):
    if not request.user.has_perm(rules.VIEW):
        raise PermissionDenied(_("Your role cannot see rules."))
    return current_organisation(request.user)


def _rule_for(request: HttpRequest, rule_id: int) -> Rule:
    try:
        return rules.get_rule_for(request.user, current_organisation(request.user), rule_id)
    except rules.RuleNotFound:
        raise Http404 from None


def _may_manage(request: HttpRequest) -> bool:
    return request.user.has_perm(rules.MANAGE)


def _denied(request: HttpRequest) -> HttpResponse:
    message = _("Your role cannot change rules.")
    return render(request, "403.html", {"message": message}, status=403)


def _done(url: str, done: str) -> HttpResponse:
    return redirect(f"{url}?{urlencode({'done': done})}")


def _case_url(case_id: int) -> str:
    try:
        return reverse("case", args=[case_id])
    except NoReverseMatch:  # the case pages may not be mounted yet
        return f"/cases/{case_id}/"


# --- the list -------------------------------------------------------------------------------


def _rows(organisation) -> list[dict]:
    """Each rule with its text summary, whether it can be evaluated, and its fires of the
    last 30 days: two queries, however many rules."""
    listed = list(rules.rules_of(organisation))
    since = clock.now() - timedelta(days=RECENT_DAYS)
    fires = dict(
        RuleFire.objects.filter(  # through rulefire_rule_at
            organisation=organisation, rule_id__any=[r.id for r in listed], at__gte=since
        )
        .order_by()
        .values_list("rule_id")
        .annotate(n=Count("id"))
    )
    rows = []
    for number, rule in enumerate(listed, 1):
        try:
            rules.compile_rule(rule.id, rule.name, rule.conditions, rule.query, rule.actions)
            broken = ""
        except rules.RuleError as error:
            broken = str(error)
        rows.append(
            {
                "rule": rule,
                "number": number,
                "first": number == 1,
                "last": number == len(listed),
                "conditions": rules.format_conditions(rule.conditions),
                "actions": rules.format_actions(rule.actions),
                "fires": fires.get(rule.id, 0),
                "broken": broken,
            }
        )
    return rows


@require_http_methods(["GET"])
@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    context = {
        "section": "rules",
        "organisation": organisation,
        "rows": _rows(organisation) if organisation else [],
        "can_manage": _may_manage(request),
        "done": request.GET.get("done", ""),
        "recent_days": RECENT_DAYS,
    }
    return render(request, "engagement/rules/list.html", context)


@require_POST
@login_required
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for(request, rule_id)
    if not _may_manage(request):
        return _denied(request)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return _bad(request, _("Move a rule up or down."))
    rules.move_rule(request.user, rule, direction)
    return _done(reverse("rules"), "moved")


@require_POST
@login_required
def rule_enabled(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for(request, rule_id)
    if not _may_manage(request):
        return _denied(request)
    enabled = request.POST.get("enabled", "")
    if enabled not in ("0", "1"):
        return _bad(request, _("Say whether the rule is enabled (1) or not (0)."))
    rules.set_enabled(request.user, rule, enabled == "1")
    return _done(reverse("rules"), "enabled" if enabled == "1" else "disabled")


def _bad(request: HttpRequest, message: str) -> HttpResponse:
    context = {"message": message, "back": reverse("rules")}
    return render(request, "understanding/bad_request.html", context, status=400)


# --- the editor -----------------------------------------------------------------------------


def _audit(rule: Rule) -> list[dict]:
    fires = RuleFire.objects.filter(rule=rule).select_related("mention").order_by("-at", "-id")
    return [
        {
            "fire": fire,
            "mention_url": (
                reverse("mention-detail", args=[fire.mention_id]) if fire.mention_id else ""
            ),
            "excerpt": rules.excerpt(fire.mention, 120) if fire.mention is not None else "",
            "case_url": _case_url(fire.case_id) if fire.case_id else "",
            "actions": rules.format_actions(fire.actions if isinstance(fire.actions, list) else []),
        }
        for fire in fires[:AUDIT]
    ]


def _stale(rule: Rule) -> list[rules.Problem]:
    """Problems of a stored rule today (a team, member or template it names is gone)."""
    _conditions, _actions, problems = rules.validate(
        rule.organisation_id,
        rules.format_conditions(rule.conditions),
        rule.query,
        rules.format_actions(rule.actions),
    )
    return problems


def _editor(
    request: HttpRequest, rule: Rule | None, form: RuleForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "section": "rules",
        "rule": rule,
        "form": form,
        "can_manage": _may_manage(request),
        "audit": _audit(rule) if rule else [],
        "stale": _stale(rule) if rule and status == 200 else [],
        "fields": _field_rows(),
        "action_rows": _action_rows(),
        "done": request.GET.get("done", ""),
        "audit_size": AUDIT,
    }
    return render(request, "engagement/rules/rule.html", context, status=status)


def _field_rows() -> list[dict]:
    return [
        {
            "name": f.name,
            "type": rules.type_label(f.type),
            "help": f.help,
            "ops": rules.op_labels(f),
        }
        for f in rules.FIELDS.values()
    ]


def _action_rows() -> list[tuple[str, str]]:
    return [
        ("assign team:billing user:maria", _("Give the case to a team, a person, or both.")),
        ("tag vip, refund", _("Add tags to the case.")),
        ("untag new-customer", _("Take tags off the case.")),
        ("priority high", _("Set the case's priority (low, normal, high, critical).")),
        ("status pending", _("Set the case's status (open, pending, resolved, closed).")),
        ("escalate", _("Escalate: PR / community and the director's team are told at once.")),
        ("notify team:pr", _("Notify a team's members, or one person (user:ana).")),
        (
            "auto_reply template:thanks",
            _("Answer with a reply template, in the mention's language."),
        ),
        ("open_case", _("Open a case even where the playbook would not.")),
        ("create_lead", _("Create a sales lead with the conversation attached.")),
        ("hand_to_crm", _("Hand the case to the CRM & call center team.")),
    ]


def _save(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    if not _may_manage(request):
        return _denied(request)
    organisation = current_organisation(request.user)
    if organisation is None:
        raise Http404
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _editor(request, rule, form, status=400)
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "conditions": data["conditions"],
        "query": data["query"],
        "actions": data["actions"],
        "stop_processing": data["stop_processing"],
        "enabled": data["enabled"],
    }
    try:
        if rule is None:
            rule = rules.create_rule(request.user, organisation, **fields)
            done = "created"
        else:
            rules.update_rule(request.user, rule, **fields)
            done = "saved"
    except rules.RuleError as error:
        if rule is not None:
            rule.refresh_from_db()
        form.add_problems(error.problems)
        return _editor(request, rule, form, status=400)
    return _done(reverse("rule", args=[rule.id]), done)


@require_http_methods(["GET", "POST"])
@login_required
def rule_new(request: HttpRequest) -> HttpResponse:
    _organisation(request)
    if not _may_manage(request):
        return _denied(request)
    if request.method == "POST":
        return _save(request, None)
    return _editor(request, None, RuleForm(initial={"enabled": True}))


@require_http_methods(["GET", "POST"])
@login_required
def rule_page(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for(request, rule_id)
    if request.method == "POST":
        return _save(request, rule)
    return _editor(request, rule, RuleForm.of(rule))


@require_http_methods(["GET", "POST"])
@login_required
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_for(request, rule_id)
    if not _may_manage(request):
        return _denied(request)
    if request.method == "POST":
        rules.delete_rule(request.user, rule)
        return _done(reverse("rules"), "deleted")
    context = {
        "section": "rules",
        "rule": rule,
        "n_fires": RuleFire.objects.filter(rule=rule).count(),
    }
    return render(request, "engagement/rules/delete.html", context)


@require_POST
@login_required
def rule_dry_run(request: HttpRequest) -> HttpResponse:
    """HTMX: what the rule being edited would have done to recent mentions (saves
    nothing). Problems are listed instead, with status 400."""
    organisation = _organisation(request)
    if not _may_manage(request):
        return _denied(request)
    if organisation is None:
        raise Http404
    rule = None
    if request.POST.get("rule"):
        rule = _rule_for(request, request.POST["rule"])
    texts = {part: request.POST.get(part, "") for part in ("conditions", "query", "actions")}
    too_long = any(
        len(texts[part]) > limit
        for part, limit in (
            ("conditions", RuleForm.base_fields["conditions"].max_length),
            ("query", rules.MAX_QUERY),
            ("actions", RuleForm.base_fields["actions"].max_length),
        )
    )
    if too_long:
        problems = [rules.Problem("rule", 0, _("The rule is too long to try."))]
    else:
        conditions, actions, problems = rules.validate(
            organisation, texts["conditions"], texts["query"], texts["actions"]
        )
    if problems:
        context = {"problems": problems}
        return render(request, "engagement/rules/_dry_run.html", context, status=400)
    result = rules.dry_run(organisation, conditions, texts["query"], actions, rule=rule)
    context = {
        "result": result,
        "examples": [
            {
                "example": example,
                "mention_url": reverse("mention-detail", args=[example.mention_id]),
                "case_url": _case_url(example.case_id) if example.case_id else "",
            }
            for example in result.examples
        ],
        "actions_text": rules.format_actions(actions),
    }
    return render(request, "engagement/rules/_dry_run.html", context)


urlpatterns = [
    path("rules/", rules_page, name="rules"),
    path("rules/new/", rule_new, name="rule-new"),
    path("rules/dry-run/", rule_dry_run, name="rule-dry-run"),
    path("rules/<int:rule_id>/", rule_page, name="rule"),
    path("rules/<int:rule_id>/delete/", rule_delete, name="rule-delete"),
    path("rules/<int:rule_id>/move/", rule_move, name="rule-move"),
    path("rules/<int:rule_id>/enabled/", rule_enabled, name="rule-enabled"),
]
