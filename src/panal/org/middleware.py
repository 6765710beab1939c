"""Activate the signed-in user's remembered UI language."""

from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            pref = getattr(user, "preference", None)
            if pref is not None and pref.language:
                translation.activate(pref.language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
