"""The engagement settings and staff profiles for tool administrators; cases, rules,
approvals and goodwill to look at (their own pages change them)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from panal.core import clock
from panal.listening.choices import Channel
from panal.org.choices import Role
from panal.org.models import Membership

from .calendar import BusinessHours, CalendarError, SlaPolicy
from .models import (
    AgentProfile,
    Approval,
    Article,
    Case,
    EngagementConfig,
    Goodwill,
    Idea,
    Lead,
    Priority,
    ReplyTemplate,
    Rule,
)
from .playbooks import KEYS as INTENTS
from .playbooks import PlaybookError, Playbooks

try:  # being written alongside; until it lands, the check below stands in for it
    from .authority import parse_limits
except ImportError:  # pragma: no cover - depends on what is installed
    parse_limits = None


def check_authority(value) -> None:
    """Goodwill limits: {role: amount ≥ 0} for known roles (or `authority.parse_limits`)."""
    if parse_limits is not None:
        parse_limits(value)
        return
    if not isinstance(value, dict):
        raise ValueError(_('Give a JSON object of role: amount, e.g. {"agent": 50}.'))
    for role, amount in value.items():
        if role not in Role.values:
            raise ValueError(_("Unknown role “%(role)s”.") % {"role": role})
        if isinstance(amount, bool):
            raise ValueError(_("The limit of %(role)s must be a number.") % {"role": role})
        try:
            number = Decimal(str(amount))
        except InvalidOperation:
            raise ValueError(
                _("The limit of %(role)s must be a number.") % {"role": role}
            ) from None
        if not number.is_finite() or number < 0:
            raise ValueError(_("The limit of %(role)s must be zero or more.") % {"role": role})


def _string_list(value, what: str, allowed=None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise forms.ValidationError(_("Give a JSON list of %(what)s.") % {"what": what})
    unknown = [v for v in value if allowed is not None and v not in allowed]
    if unknown:
        raise forms.ValidationError(
            _("Unknown %(what)s: %(names)s.") % {"what": what, "names": ", ".join(unknown[:5])}
        )
    return value


class EngagementConfigForm(forms.ModelForm):
    """Each JSON setting is parsed the way the engagement code reads it; an empty object
    keeps the defaults."""

    class Meta:
        model = EngagementConfig
        fields = [
            "organisation", "playbooks", "business_hours", "sla", "authority", "currency",
            "director_team", "assignment", "new_staff_days", "csat_enabled",
        ]  # fmt: skip

    def clean_playbooks(self):
        value = self.cleaned_data.get("playbooks") or {}
        try:
            Playbooks.from_dict(value)
        except (PlaybookError, ValueError, TypeError) as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean_business_hours(self):
        value = self.cleaned_data.get("business_hours") or {}
        if value:
            try:
                BusinessHours.from_dict(value)
            except (CalendarError, TypeError) as exc:
                raise forms.ValidationError(str(exc)) from None
        return value

    def clean_sla(self):
        value = self.cleaned_data.get("sla") or {}
        if not value:
            return value
        try:
            policy = SlaPolicy.from_dict(value)
        except (CalendarError, TypeError) as exc:
            raise forms.ValidationError(str(exc)) from None
        unknown = sorted(set(policy.targets) - set(Priority.values))
        if unknown:
            raise forms.ValidationError(
                _("Unknown priority “%(name)s”; use %(known)s.")
                % {"name": unknown[0], "known": ", ".join(Priority.values)}
            )
        channels = sorted(set(policy.channels) - set(Channel.values))
        if channels:
            raise forms.ValidationError(_("Unknown channel “%(name)s”.") % {"name": channels[0]})
        return value

    def clean_authority(self):
        value = self.cleaned_data.get("authority") or {}
        if value:
            try:
                check_authority(value)
            except (ValueError, TypeError) as exc:
                raise forms.ValidationError(str(exc)) from None
        return value

    def clean_currency(self):
        value = (self.cleaned_data.get("currency") or "").upper()
        if len(value) != 3 or not value.isalpha() or not value.isascii():
            raise forms.ValidationError(_("Give a three-letter currency code such as EUR."))
        return value

    def clean(self):
        data = super().clean()
        team = data.get("director_team")
        org = data.get("organisation") or getattr(self.instance, "organisation", None)
        if team is not None and org is not None and team.organisation_id != org.pk:
            self.add_error("director_team", _("The team must be one of this organisation's."))
        return data


@admin.register(EngagementConfig)
class EngagementConfigAdmin(admin.ModelAdmin):
    form = EngagementConfigForm
    list_display = ["organisation", "assignment", "currency", "csat_enabled", "updated_at"]
    list_select_related = ["organisation"]
    readonly_fields = ["updated_at"]


class AgentProfileForm(forms.ModelForm):
    class Meta:
        model = AgentProfile
        fields = ["organisation", "user", "available", "capacity", "skills", "languages"]

    def clean_skills(self):
        return _string_list(self.cleaned_data.get("skills") or [], _("intents"), INTENTS)

    def clean_languages(self):
        value = _string_list(self.cleaned_data.get("languages") or [], _("language codes"))
        bad = [v for v in value if not (2 <= len(v) <= 8 and v.replace("-", "").isalnum())]
        if bad:
            raise forms.ValidationError(
                _("“%(code)s” is not a language code such as es or en.") % {"code": bad[0][:20]}
            )
        return [v.lower() for v in value]

    def clean(self):
        data = super().clean()
        org, user = data.get("organisation"), data.get("user")
        if (
            org is not None
            and user is not None
            and not Membership.objects.filter(user=user, organisation=org).exists()
        ):
            self.add_error("user", _("That person is not a member of this organisation."))
        return data


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    form = AgentProfileForm
    list_display = ["user", "organisation", "available", "capacity", "last_assigned_at"]
    list_filter = ["organisation", "available"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "organisation"]
    raw_id_fields = ["user"]
    readonly_fields = ["last_assigned_at"]


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["organisation", "name", "shortcut", "lang", "body", "intents"]

    def clean_intents(self):
        return _string_list(self.cleaned_data.get("intents") or [], _("intents"), INTENTS)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    form = ReplyTemplateForm
    list_display = ["name", "shortcut", "lang", "organisation", "updated_at"]
    list_filter = ["organisation", "lang"]
    search_fields = ["name", "shortcut", "body"]
    list_select_related = ["organisation"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """To look at; these change through their own pages and services, with history."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "position", "enabled", "stop_processing", "updated_at"]
    list_filter = ["organisation", "enabled"]
    search_fields = ["name"]
    list_select_related = ["organisation"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "subject", "organisation", "status", "priority", "sla_state", "channel",
        "owner_team", "assignee", "opened_at",
    ]  # fmt: skip
    list_filter = ["organisation", "status", "priority", "sla_state", "channel", "owner_team"]
    search_fields = ["subject"]
    date_hierarchy = "opened_at"
    list_select_related = ["organisation", "owner_team", "assignee"]
    show_full_result_count = False


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["id", "organisation", "kind", "status", "required_role", "created_at"]
    list_filter = ["organisation", "kind", "status"]
    list_select_related = ["organisation"]


@admin.register(Goodwill)
class GoodwillAdmin(ReadOnlyAdmin):
    list_display = ["id", "organisation", "kind", "amount", "currency", "status", "created_at"]
    list_filter = ["organisation", "kind", "status"]
    list_select_related = ["organisation"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "lang", "status", "updated_at"]
    list_filter = ["organisation", "lang", "status"]
    search_fields = ["title", "body"]
    list_select_related = ["organisation"]
    raw_id_fields = ["source_case", "created_by"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        now = clock.now()
        if not change:
            obj.created_at = now
            obj.created_by = obj.created_by or request.user
        obj.updated_at = now
        super().save_model(request, obj, form, change)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "stage", "team", "owner", "value", "created_at"]
    list_filter = ["organisation", "stage", "team"]
    search_fields = ["title"]
    list_select_related = ["organisation", "team", "owner"]
    raw_id_fields = ["case", "contact", "owner"]
    readonly_fields = ["created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "status", "team", "created_by", "updated_at"]
    list_filter = ["organisation", "status", "team"]
    search_fields = ["title"]
    list_select_related = ["organisation", "team", "created_by"]
    raw_id_fields = ["cases", "created_by"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        now = clock.now()
        if not change:
            obj.created_at = now
        obj.updated_at = now
        super().save_model(request, obj, form, change)
