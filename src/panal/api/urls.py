"""The HTTP API under /api/v1, assembled from each app's `api.py` router (docs/api.md).

Every route needs a caller (bearer token or session, see auth.py) and answers
errors as JSON `{"detail": "..."}`: 401 no or bad credentials, 403 missing
permission, 404 not found or not yours, 413 too large, 422 invalid input.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from panal.channels.api import router as channels_router
from panal.engagement.api import router as engagement_router
from panal.engagement.cases import CaseNotFound
from panal.listening.api import router as listening_router
from panal.listening.query import QueryError
from panal.listening.services import MentionNotFound
from panal.listening.topics import TopicError
from panal.listening.topics_api import router as topics_router

from .auth import AUTH
from .docs import PackagedSwagger, asset_response

DESCRIPTION = """\
Panal's HTTP API. Authenticate with `Authorization: Bearer pnl_…` (an API token,
made with `panal token create USERNAME --name NAME`) or a logged-in browser session
(unsafe methods then need the CSRF token). Ids are 63-bit integers sent as strings.
"""

api = NinjaAPI(
    title="Panal API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
    docs=PackagedSwagger(),
)
api.add_router("/", listening_router)
api.add_router("/", topics_router)
api.add_router("/", channels_router)
api.add_router("/", engagement_router)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs-asset")
def docs_asset(request, name: str):
    return asset_response(name)


def _detail(request, message: str, status: int):
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    message = str(exc)
    if message == "Unauthorized":  # ninja's default when no method recognised the caller
        message = "Authentication required: send 'Authorization: Bearer <token>' or log in."
    response = _detail(request, message, 401)
    response["WWW-Authenticate"] = 'Bearer realm="panal"'
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _detail(request, str(exc) or "You do not have permission to do this.", 403)


@api.exception_handler(MentionNotFound)
def mention_not_found(request, exc):
    return _detail(request, str(exc) or "Mention not found.", 404)


@api.exception_handler(CaseNotFound)
def case_not_found(request, exc):
    return _detail(request, str(exc) or "Case not found.", 404)


@api.exception_handler(QueryError)
def bad_query(request, exc):
    """A query that does not parse: where, what and how to fix it; nothing was saved."""
    body = {"detail": str(exc), "field": "text", "column": exc.column, "hint": exc.hint}
    return api.create_response(request, body, status=422)


@api.exception_handler(TopicError)
def bad_topic_change(request, exc):
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=422)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return _detail(request, "The request body is too large; send smaller batches.", 413)
