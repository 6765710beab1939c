"""Who the company is and who works in Panal: organisations, brands, teams, memberships."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Department, EngagementModel, Role


class Organisation(models.Model):
    """The company that installs Panal; everything else belongs to one."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    engagement_model = models.CharField(
        max_length=32,
        choices=EngagementModel.choices,
        default=EngagementModel.HUB_AND_SPOKE,
        help_text=_("How the organisation answers; routing reads it for every new mention."),
    )
    default_language = models.CharField(max_length=8, default="es")
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_reports", "Can read listening results and regular reports"),
            ("manage_organisation", "Can change teams, roles and the engagement model"),
        ]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    """One of the organisation's brands (multi-brand companies listen and answer per brand)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="brands")
    slug = models.SlugField()
    name = models.CharField(max_length=200)
    keywords = models.TextField(
        blank=True, help_text=_("Words that name this brand, one per line.")
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="brand_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name


class CatalogueItem(models.Model):
    """Something the organisation wants recognised by name in every mention: one of its
    products, a competitor, or a person it cares about (its spokespeople, say). The
    `entities` stage finds each by its name or any alias (docs/understanding.md#entities)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        COMPETITOR = "competitor", _("Competitor")
        PERSON = "person", _("Person")
        PLACE = "place", _("Place")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="catalogue"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    aliases = models.TextField(blank=True, help_text=_("Other names and spellings, one per line."))
    brand = models.ForeignKey(
        Brand, on_delete=models.SET_NULL, null=True, blank=True, related_name="catalogue",
        help_text=_("The brand a product belongs to, if any."),
    )  # fmt: skip

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "name"], name="catalogue_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Team(models.Model):
    """A department's team; the hub is the team that triages under hub-and-spoke models."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )
    slug = models.SlugField()
    name = models.CharField(max_length=200)
    department = models.CharField(max_length=32, choices=Department.choices)
    is_hub = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in an organisation: their team and their roles there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    roles = models.JSONField(default=list, blank=True, help_text=_("Role codes held here."))
    language = models.CharField(max_length=8, blank=True)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(code, code)) for code in self.roles]


class UserPreference(models.Model):
    """Per-user settings that follow the person across devices (the UI language)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(max_length=8, blank=True)
    current_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.user} preferences"
