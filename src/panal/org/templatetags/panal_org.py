"""Template tags of the page shell: who is signed in, and as what."""

from django import template

from panal.org.models import Membership

register = template.Library()


@register.simple_tag(takes_context=True)
def current_roles(context) -> list[str]:
    """The labels of the user's roles in the organisation they are working in."""
    request = context.get("request")
    organisation = context.get("current_organisation")
    if request is None or organisation is None or not request.user.is_authenticated:
        return []
    membership = Membership.objects.filter(
        user=request.user, organisation=organisation, is_active=True
    ).first()
    return membership.role_labels() if membership else []
