"""Tool administrators manage API tokens here; the admin never shows a token's hash.

A new token is shown once, on the page right after it is made, and is never
stored or put in a message cookie.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["shown_prefix", "name", "user", "state", "created_at", "last_used_at",
                    "expires_at"]  # fmt: skip
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    actions = ["revoke"]
    exclude = ["key_hash"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "expires_at"]
        return ["shown_prefix", "user", "name", "state", "created_at", "last_used_at",
                "expires_at", "revoked_at"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["shown_prefix", "user", "state", "created_at", "last_used_at", "revoked_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            users = get_user_model().objects.filter(is_active=True).order_by("username")
            if not request.user.is_superuser:
                # A token acts as its user: only a superuser may mint one for a superuser.
                users = users.filter(is_superuser=False)
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("prefix"), ordering="prefix")
    def shown_prefix(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description=_("status"))
    def state(self, obj):
        return services.status(obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        new = services.create_token(obj.user, obj.name, expires_at=obj.expires_at)
        obj.pk, obj.prefix, obj.created_at = new.token.pk, new.token.prefix, new.token.created_at
        request._panal_new_token = new.raw  # for response_add, this request only

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_panal_new_token", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API token created"),
            "token": obj,
            "raw_token": raw,
        }
        response = TemplateResponse(request, "admin/api/apitoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = services.revoke_tokens(queryset)
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count},
                          messages.SUCCESS)  # fmt: skip
