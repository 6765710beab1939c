"""State changes of organisations, teams and memberships (docs/roles.md)."""

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .choices import Role
from .models import Membership, Organisation, Team, UserPreference
from .roles import group_name


class NotAMember(PermissionDenied):
    """The user does not belong to the organisation (or it does not exist)."""


def organisations_for(user) -> list[Organisation]:
    if not user.is_authenticated:
        return []
    return list(
        Organisation.objects.filter(memberships__user=user, memberships__is_active=True).distinct()
    )


def organisation_ids_for(user) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, is_active=True).values_list(
            "organisation_id", flat=True
        )
    )


def current_organisation(user) -> Organisation | None:
    """The organisation the user is working in: their last choice, else their first."""
    if not user.is_authenticated:
        return None
    pref = UserPreference.objects.filter(user=user).select_related("current_organisation").first()
    if (
        pref
        and pref.current_organisation_id
        and Membership.objects.filter(
            user=user, organisation_id=pref.current_organisation_id, is_active=True
        ).exists()
    ):
        return pref.current_organisation
    orgs = organisations_for(user)
    return orgs[0] if orgs else None


def require_member(user, organisation_id: int) -> None:
    if organisation_id not in organisation_ids_for(user):
        raise NotAMember("Not a member of this organisation.")


def _sync_user_groups(user: AbstractBaseUser) -> None:
    roles: set[str] = set()
    for m in Membership.objects.filter(user=user, is_active=True):
        roles.update(m.roles)
    role_groups = Group.objects.filter(name__startswith="role:")
    keep = [g for g in role_groups if g.name in {group_name(r) for r in roles}]
    user.groups.remove(*[g for g in role_groups if g not in keep])
    user.groups.add(*keep)
    # Tool administrators work in Django's admin.
    is_admin = Role.TOOL_ADMIN in roles
    if user.is_staff != is_admin and not user.is_superuser:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


@transaction.atomic
def add_member(
    organisation: Organisation,
    user,
    roles: list[str],
    team: Team | None = None,
) -> Membership:
    """Give `user` these roles in `organisation` (replacing earlier ones) and sync groups."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"Unknown roles: {', '.join(sorted(unknown))}")
    membership, _ = Membership.objects.update_or_create(
        user=user,
        organisation=organisation,
        defaults={"roles": sorted(set(roles)), "team": team, "is_active": True},
    )
    _sync_user_groups(user)
    return membership


@transaction.atomic
def deactivate_member(membership: Membership) -> None:
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    _sync_user_groups(membership.user)


def set_language(user, language: str) -> None:
    """Remember the user's UI language choice."""
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})


def set_current_organisation(user, organisation_id: int) -> None:
    require_member(user, organisation_id)
    UserPreference.objects.update_or_create(
        user=user, defaults={"current_organisation_id": organisation_id}
    )
