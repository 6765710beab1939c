from django.db import models
from django.utils.translation import gettext_lazy as _


class EngagementModel(models.TextChoices):
    DECENTRALIZED = "decentralized", _("Decentralized")
    CENTRALIZED = "centralized", _("Centralized")
    HUB_AND_SPOKE = "hub_and_spoke", _("Hub and spoke")
    MULTIPLE_HUB_AND_SPOKE = "multiple_hub_and_spoke", _("Multiple hub and spoke (dandelion)")
    HONEYCOMB = "honeycomb", _("Honeycomb")


class Department(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    SALES = "sales", _("Sales / business development")
    PRODUCT = "product", _("Product")
    HR = "hr", _("Human resources")
    LEGAL = "legal", _("Legal / compliance")
    BILLING = "billing", _("Billing")
    PR = "pr", _("PR / community")
    CRM_CALL_CENTER = "crm_call_center", _("CRM & call center")
    AGENCY = "agency", _("Agency")


class Role(models.TextChoices):
    """The ten roles of PRODUCT.md §4 plus "everyone"; each is a Django group."""

    DIRECTOR = "director", _("Social media director")
    AREA_MANAGER = "area_manager", _("Area manager")
    ANALYST = "analyst", _("Analyst / data scientist")
    AGENT = "agent", _("Social agent")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    AGENCY = "agency", _("Agency staff")
    CRM_CALL_CENTER = "crm_call_center", _("CRM & call center")
    ADVOCATE = "advocate", _("Advocate / influencer")
    CURATOR = "curator", _("Content curator")
    TOOL_ADMIN = "tool_admin", _("Tool administrator")
    EVERYONE = "everyone", _("Everyone")
