"""Channel accounts for tool administrators; webhook deliveries to look at, not to edit."""

import json

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .base import connector_for
from .configure import SettingError, apply_settings
from .models import ChannelAccount, Cursor, Health, InboundDelivery, OutboundMessage


def mask_secret(secret: str) -> str:
    """`whsec_AbCd…wxyz`: enough to tell secrets apart, not enough to sign with."""
    if not isinstance(secret, str) or len(secret) < 16:
        return "…"
    return f"{secret[:10]}…{secret[-4:]}"


class ChannelAccountForm(forms.ModelForm):
    """Settings are checked against the connector; credentials are write-only."""

    new_credentials = forms.CharField(
        label=_("Set credentials"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            'JSON object of secret settings, e.g. {"token": "…"}; only the keys given '
            "change. Leave empty to keep the stored ones. Never shown again."
        ),
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "organisation", "brand", "kind", "slug", "name", "handle", "is_active", "settings",
            "self_ids",
        ]  # fmt: skip

    def clean_new_credentials(self):
        text = (self.cleaned_data.get("new_credentials") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a JSON object of key: value pairs."))
        return value

    def clean(self):
        data = super().clean()
        connector = connector_for(data.get("kind") or "")
        if connector is None or not connector.settings:
            return data
        values = {**(data.get("settings") or {}), **data.get("new_credentials", {})}
        try:
            settings, credentials = apply_settings(
                connector,
                values,
                credentials=self.instance.credentials if self.instance.pk else {},
            )
        except SettingError as exc:
            raise forms.ValidationError(str(exc)) from None
        data["settings"], self.credentials = settings, credentials
        return data

    def save(self, commit=True):
        account = super().save(commit=False)
        if hasattr(self, "credentials"):
            account.credentials = self.credentials
        if self.changed_data:
            # New settings or credentials: the old verdict no longer holds.
            account.health, account.health_reason, account.failures = Health.UNKNOWN, "", 0
        if commit:
            account.save()
        return account


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = [
        "name", "slug", "kind", "organisation", "health", "is_active", "last_event_at",
        "token_expires_at",
    ]  # fmt: skip
    list_filter = ["organisation", "kind", "is_active", "health"]
    search_fields = ["name", "slug", "handle"]
    list_select_related = ["organisation", "brand"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = [
        "hook_url", "signing_secrets", "credential_keys", "health", "health_reason",
        "health_changed_at", "token_expires_at", "paused_until", "created_at", "last_event_at",
        "last_polled_at",
    ]  # fmt: skip

    @admin.display(description=_("Stored credentials"))
    def credential_keys(self, obj: ChannelAccount) -> str:
        return ", ".join(sorted(obj.credentials or {})) or "—"

    actions = ["rotate_webhook_secret", "forget_previous_webhook_secrets"]
    change_form_template = "channels/admin/channelaccount_change_form.html"

    @admin.display(description=_("Signing secrets (newest first)"))
    def signing_secrets(self, obj: ChannelAccount) -> str:
        secrets = obj.secrets if isinstance(obj.secrets, list) else []
        return ", ".join(mask_secret(s) for s in secrets) or "—"

    @admin.display(description=_("Webhook path"))
    def hook_url(self, obj: ChannelAccount) -> str:
        return obj.hook_path if obj.pk and obj.slug else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        account = self.get_object(request, object_id)
        if account is not None:
            extra_context["webhook_url"] = request.build_absolute_uri(account.hook_path)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        connector = connector_for(obj.kind)
        if not change and connector and connector.new_hook_secret() and not obj.secrets:
            # Kept on this request's object only, for response_add to show once.
            obj.new_secret = services.rotate_secret(obj)

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(obj, "new_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secrets_page(request, [(obj, secret)])

    def _secrets_page(self, request, pairs) -> TemplateResponse:
        """The one page that shows whole secrets: rendered in the response, never stored."""
        rotated = [
            {
                "account": account,
                "secret": secret,
                "url": request.build_absolute_uri(account.hook_path),
                "kept": len(account.secrets) - 1,
            }
            for account, secret in pairs
        ]
        return TemplateResponse(
            request,
            "channels/admin/rotated_secrets.html",
            {
                **self.admin_site.each_context(request),
                "title": _("New webhook secrets"),
                "opts": self.model._meta,
                "rotated": rotated,
            },
        )

    @admin.action(description=_("Rotate webhook secret"), permissions=["change"])
    def rotate_webhook_secret(self, request, queryset):
        return self._secrets_page(
            request, [(account, services.rotate_secret(account)) for account in queryset]
        )

    @admin.action(description=_("Forget previous webhook secrets"), permissions=["change"])
    def forget_previous_webhook_secrets(self, request, queryset):
        dropped = sum(services.forget_previous_secrets(account) for account in queryset)
        self.message_user(request, _("%(count)d previous secrets forgotten.") % {"count": dropped})


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "account", "status", "received_at", "mention_count"]
    list_filter = ["status", "account"]
    search_fields = ["delivery_id"]
    exclude = ["body"]
    readonly_fields = ["body_text"]

    @admin.display(description=_("Body as received"))
    def body_text(self, obj: InboundDelivery) -> str:
        data = bytes(obj.body or b"")
        return data[:20000].decode("utf-8", "replace") or "—"  # escaped by the admin

    list_select_related = ["account"]
    date_hierarchy = "received_at"

    @admin.display(description=_("Mentions"))
    def mention_count(self, obj: InboundDelivery) -> int:
        return len(obj.mention_ids or [])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "account",
        "status",
        "delivery_state",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "account"]
    search_fields = ["external_id"]
    list_select_related = ["account"]
    raw_id_fields = ["mention", "author"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cursor)
class CursorAdmin(admin.ModelAdmin):
    list_display = ["account", "key", "updated_at"]
    list_filter = ["account"]

    def has_add_permission(self, request) -> bool:
        return False
