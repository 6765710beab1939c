"""Who is calling the API: a bearer token, or the browser's session (docs/api.md).

The token is tried first. A request that sends a token which is wrong, revoked or
expired is refused outright, even if it also carries a session cookie. A session
needs the CSRF token on unsafe methods, exactly as a form post does.
"""

from django.conf import settings
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from . import services


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pnl_…`, a per-user API token."""

    def __call__(self, request):
        # Ninja's own version logs the whole header in DEBUG when the scheme is not
        # Bearer; this one never logs it. Another scheme (say, the Basic auth of a
        # proxy in front of Panal) is not ours: the session may still identify the caller.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request, token: str):
        user = services.authenticate(token.strip())
        if user is None:
            raise AuthenticationError(message="The API token is invalid, expired or revoked.")
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The Django session of a logged-in browser, with Django's CSRF check."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        # Anonymous callers get 401, not a CSRF 403: there is no session to protect.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)  # checks CSRF on unsafe methods

    def authenticate(self, request, key):
        return request.user


token_auth = TokenAuth()
session_auth = SessionAuth()
AUTH = [token_auth, session_auth]
