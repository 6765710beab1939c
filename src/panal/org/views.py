"""Pages of the org app: the language switch that follows the user across devices."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views import i18n
from django.views.decorators.http import require_POST

from . import services


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Remember a signed-in user's choice, then let Django set the cookie and redirect."""
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.set_language(request.user, language)
    return i18n.set_language(request)
