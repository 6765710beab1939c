from .services import current_organisation


def organisation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"current_organisation": current_organisation(user)}
