"""Channel accounts for tool administrators; webhook deliveries to look at, not to edit."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ChannelAccount, InboundDelivery


def mask_secret(secret: str) -> str:
    """`whsec_AbCd…wxyz`: enough to tell secrets apart, not enough to sign with."""
    if not isinstance(secret, str) or len(secret) < 16:
        return "…"
    return f"{secret[:10]}…{secret[-4:]}"


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "organisation", "brand", "is_active", "last_event_at"]
    list_filter = ["organisation", "kind", "is_active"]
    search_fields = ["name", "slug", "handle"]
    list_select_related = ["organisation", "brand"]
    prepopulated_fields = {"slug": ["name"]}
    # The raw secrets never reach a form or a page; they are made by the rotate action.
    exclude = ["secrets"]
    readonly_fields = ["hook_url", "signing_secrets", "created_at", "last_event_at"]
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
        if not change and obj.kind == "api" and not obj.secrets:
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
    list_display = ["delivery_id", "account", "received_at", "mention_count"]
    list_filter = ["account"]
    search_fields = ["delivery_id"]
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
