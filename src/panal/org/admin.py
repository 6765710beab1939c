from django.contrib import admin

from . import services
from .models import Brand, Membership, Organisation, Team


class BrandInline(admin.TabularInline):
    model = Brand
    extra = 0


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "engagement_model", "default_language"]
    list_filter = ["engagement_model"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [BrandInline, TeamInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "department", "brand", "is_hub"]
    list_filter = ["organisation", "department", "is_hub"]
    search_fields = ["name"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "slug"]
    list_filter = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "team", "roles", "is_active"]
    list_filter = ["organisation", "team", "is_active"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        # Through the service, so the user's role groups follow the membership.
        if obj.is_active:
            services.add_member(obj.organisation, obj.user, obj.roles, obj.team)
            obj.pk = obj.__class__.objects.get(user=obj.user, organisation=obj.organisation).pk
        else:
            super().save_model(request, obj, form, change)
            services.deactivate_member(obj)
