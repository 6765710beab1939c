"""Plain builders (no test-only dependencies) shared by `panal demo`, tests and benchmarks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from panal.channels.models import ChannelAccount, new_webhook_secret
from panal.org import services as org_services
from panal.org.choices import Department, Role
from panal.org.models import Brand, Organisation, Team

# The team each role works in by default.
ROLE_DEPARTMENT = {
    Role.DIRECTOR: Department.MARKETING,
    Role.AREA_MANAGER: Department.CUSTOMER_SERVICE,
    Role.ANALYST: Department.MARKETING,
    Role.AGENT: Department.CUSTOMER_SERVICE,
    Role.COMMUNITY_MANAGER: Department.PR,
    Role.AGENCY: Department.AGENCY,
    Role.CRM_CALL_CENTER: Department.CRM_CALL_CENTER,
    Role.ADVOCATE: None,
    Role.CURATOR: Department.PRODUCT,
    Role.TOOL_ADMIN: None,
    Role.EVERYONE: Department.HR,
}


def organisation(
    slug: str,
    name: str,
    brands: list[str] | tuple[str, ...] = (),
    engagement_model: str = "hub_and_spoke",
    default_language: str = "es",
    brand_keywords: dict[str, list[str]] | None = None,
) -> Organisation:
    """An organisation with its brands and one team per department (customer service is the hub).

    `brand_keywords` maps a brand name to the words that name it (set on a new brand).
    """
    org, _ = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "engagement_model": engagement_model,
            "default_language": default_language,
        },
    )
    for brand_name in brands:
        keywords = "\n".join((brand_keywords or {}).get(brand_name, []))
        Brand.objects.get_or_create(
            organisation=org,
            slug=slugify(brand_name),
            defaults={"name": brand_name, "keywords": keywords},
        )
    for code, label in Department.choices:
        Team.objects.get_or_create(
            organisation=org,
            slug=code.replace("_", "-"),
            defaults={
                "name": str(label),
                "department": code,
                "is_hub": code == Department.CUSTOMER_SERVICE,
            },
        )
    return org


def member(
    org: Organisation,
    role: str,
    *,
    username: str | None = None,
    password: str = "panal-demo",  # noqa: S107 - demo and test logins only
    first_name: str = "",
    last_name: str = "",
    extra_roles: tuple[str, ...] = (),
    password_hash: str | None = None,
):
    """A user holding `role` (and "everyone", unless an external advocate) in `org`.

    `password_hash` (from `make_password`) replaces `password`: hashing once for many
    users saves a second per user.
    """
    username = username or role
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username=username,
            password=None if password_hash else password,
            email=f"{username}@{org.slug}.example",
            first_name=first_name,
            last_name=last_name,
        )
        if password_hash:
            user.password = password_hash
            user.save(update_fields=["password"])
    roles = {role, *extra_roles}
    if role != Role.ADVOCATE:
        roles.add(Role.EVERYONE)
    department = ROLE_DEPARTMENT.get(role)
    team = (
        Team.objects.filter(organisation=org, department=department).first() if department else None
    )
    org_services.add_member(org, user, sorted(roles), team)
    return user


def channel_account(
    org: Organisation,
    kind: str,
    slug: str,
    name: str,
    brand: Brand | None = None,
    handle: str = "",
    secrets: list[str] | None = None,
) -> ChannelAccount:
    account, _ = ChannelAccount.objects.get_or_create(
        slug=slug,
        defaults={
            "organisation": org,
            "kind": kind,
            "name": name,
            "brand": brand,
            "handle": handle,
            "secrets": secrets if secrets is not None else [new_webhook_secret()],
        },
    )
    return account
