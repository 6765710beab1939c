from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Brand, CatalogueItem, Membership, Organisation, Team


class BrandInline(admin.TabularInline):
    model = Brand
    extra = 0


class CatalogueItemForm(forms.ModelForm):
    class Meta:
        model = CatalogueItem
        fields = ["organisation", "kind", "name", "aliases", "brand"]

    def clean(self):
        cleaned = super().clean()
        brand = cleaned.get("brand")
        org_id = cleaned["organisation"].id if cleaned.get("organisation") else None
        org_id = org_id or self.instance.organisation_id
        if brand is not None and org_id is not None and brand.organisation_id != org_id:
            self.add_error("brand", _("The brand must be one of this organisation's brands."))
        return cleaned


class CatalogueItemInline(admin.TabularInline):
    """The organisation's catalogue: what the `entities` stage recognises by name."""

    model = CatalogueItem
    form = CatalogueItemForm
    extra = 0
    fields = ["kind", "name", "aliases", "brand"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "brand":  # only the organisation's own brands
            match = request.resolver_match
            org_id = match.kwargs.get("object_id") if match else None
            brands = (
                Brand.objects.filter(organisation_id=org_id) if org_id else Brand.objects.none()
            )
            kwargs["queryset"] = brands
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "engagement_model", "default_language"]
    list_filter = ["engagement_model"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [BrandInline, CatalogueItemInline, TeamInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "department", "brand", "is_hub"]
    list_filter = ["organisation", "department", "is_hub"]
    search_fields = ["name"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "slug"]
    list_filter = ["organisation"]


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "brand"]
    list_filter = ["organisation", "kind"]
    search_fields = ["name", "aliases"]
    form = CatalogueItemForm


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
