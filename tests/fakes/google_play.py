"""A fake Google: the OAuth token endpoint and the Android Publisher reviews API.

- `POST /token` takes `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
  `assertion` signed RS256 with the service account's test key: `iss` the client e-mail,
  `aud` this endpoint's URL, `scope` with androidpublisher, `exp` at most an hour after
  `iat`. Errors are OAuth's `{"error": "invalid_grant", "error_description"}` (400).
- `GET /androidpublisher/v3/applications/{pkg}/reviews?maxResults=&token=` lists reviews
  changed in the last 7 days, most recently changed first, with
  `tokenPagination.nextPageToken`; `translationLanguage` adds `originalText`.
- `POST …/reviews/{reviewId}:reply {"replyText"}` (at most 350 characters) sets the
  developer comment and answers `{"result": {"replyText", "lastEdited"}}`.
- API errors are `{"error": {"code", "message", "status", "errors": [{"reason"}]}}`.
"""

from __future__ import annotations

import base64
import copy
import itertools
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import jwt

from .server import FakeServer, Request, Response


def opaque(value: str) -> bytes:
    """Decode a page cursor we made (unpadded URL-safe base64); ValueError if it is not one."""
    return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)


GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EPOCH = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
API = r"/androidpublisher/v3/applications/(?P<pkg>[^/]+)/reviews"


def google_error(code: int, status: str, message: str, reason: str = "", headers=None):
    body: dict = {"error": {"code": code, "message": message, "status": status}}
    if reason:
        body["error"]["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    return Response.json(body, code, headers)


def stamp(when: datetime) -> dict:
    return {"seconds": str(int(when.timestamp())), "nanos": when.microsecond * 1000}


class FakeGooglePlay(FakeServer):
    def __init__(self, *, package: str, client_email: str, public_key, page_size: int = 100):
        super().__init__()
        self.package, self.client_email, self.public_key = package, client_email, public_key
        self.page_size = page_size
        self.reviews: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.grants: list[dict] = []  # claims of accepted assertions
        self.numbers = itertools.count(1)
        self.minutes = itertools.count(1)
        self.replies: list[dict] = []
        self.route("POST", r"/token")(self.token)
        self.route("GET", API)(self.list_reviews)
        self.route("POST", API + r"/(?P<review>[^/]+?):reply")(self.reply)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/androidpublisher/v3"

    # -- the network's side ---------------------------------------------------------------
    def _tick(self) -> datetime:
        return EPOCH + timedelta(minutes=next(self.minutes), seconds=0.25)

    def publish(self, review: dict) -> dict:
        """A review written now (its user comment's lastModified is the fake's clock)."""
        review = copy.deepcopy(review)
        for entry in review["comments"]:
            if "userComment" in entry:
                entry["userComment"]["lastModified"] = stamp(self._tick())
        with self.lock:
            self.reviews[review["reviewId"]] = review
        return review

    def rewrite(self, review_id: str, text: str, stars: int | None = None) -> None:
        with self.lock:
            for entry in self.reviews[review_id]["comments"]:
                if "userComment" in entry:
                    entry["userComment"]["text"] = text
                    if stars is not None:
                        entry["userComment"]["starRating"] = stars
                    entry["userComment"]["lastModified"] = stamp(self._tick())

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def rate_limit_next(self, seconds: int) -> None:
        message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'."
        self.fail_next(
            429,
            path=r"/androidpublisher/",
            headers={"Content-Type": "application/json", "Retry-After": str(seconds)},
            body={
                "error": {
                    "code": 429,
                    "message": message,
                    "status": "RESOURCE_EXHAUSTED",
                    "errors": [
                        {"message": message, "domain": "global", "reason": "rateLimitExceeded"}
                    ],
                }
            },
        )

    def refuse_next(self, code: int, status: str, reason: str, message: str) -> None:
        body = {
            "error": {
                "code": code,
                "message": message,
                "status": status,
                "errors": [{"message": message, "domain": "androidpublisher", "reason": reason}],
            }
        }
        self.fail_next(
            code,
            path=r"/androidpublisher/",
            body=body,
            headers={"Content-Type": "application/json"},
        )

    # -- OAuth ----------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != GRANT:
            return Response.json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {form.get('grant_type', '')}",
                },
                400,
            )
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.public_key,
                algorithms=["RS256"],
                audience=self.token_url,
                issuer=self.client_email,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidSignatureError:
            return self._invalid("Invalid JWT Signature.")
        except jwt.PyJWTError as exc:
            return self._invalid(f"Invalid JWT: {exc}")
        if claims["exp"] - claims["iat"] > 3600:
            return self._invalid(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim."
            )
        if "https://www.googleapis.com/auth/androidpublisher" not in str(claims.get("scope")):
            return self._invalid(
                "Invalid OAuth scope or ID token audience provided.", "invalid_scope"
            )
        access = f"ya29.fake-{next(self.numbers)}"
        with self.lock:
            self.tokens.add(access)
            self.grants.append(claims)
        return Response.json({"access_token": access, "expires_in": 3599, "token_type": "Bearer"})

    def _invalid(self, description: str, error: str = "invalid_grant") -> Response:
        return Response.json({"error": error, "error_description": description}, 400)

    def _unauthenticated(self, request: Request) -> Response | None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            valid = given in self.tokens
        if valid:
            return None
        return google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )

    # -- reviews --------------------------------------------------------------------------
    def _modified(self, review: dict) -> float:
        for entry in review["comments"]:
            if "userComment" in entry:
                moment = entry["userComment"]["lastModified"]
                return int(moment["seconds"]) + moment.get("nanos", 0) / 1e9
        return 0.0

    def list_reviews(self, request: Request) -> Response:
        refused = self._unauthenticated(request)
        if refused:
            return refused
        if unquote(request.match["pkg"]) != self.package:
            return google_error(404, "NOT_FOUND", "Package not found: " + request.match["pkg"])
        try:
            size = min(int(request.arg("maxResults", "100")), self.page_size)
            start = int(opaque(request.arg("token", "")) or b"0")
        except ValueError:
            return google_error(400, "INVALID_ARGUMENT", "Invalid pagination token.", "badRequest")
        with self.lock:
            everything = sorted(self.reviews.values(), key=self._modified, reverse=True)
        if everything:  # Google lists only what changed in the last week
            newest = self._modified(everything[0])
            everything = [r for r in everything if self._modified(r) >= newest - 7 * 86400]
        chunk = copy.deepcopy(everything[start : start + size])
        language = request.arg("translationLanguage")
        if language:
            for review in chunk:
                for entry in review["comments"]:
                    if "userComment" in entry:
                        user = entry["userComment"]
                        user["originalText"] = user["text"]
                        user["text"] = f"[{language}] {user['text']}"
        body: dict = {
            "reviews": chunk,
            "pageInfo": {
                "totalResults": len(everything),
                "resultPerPage": size,
                "startIndex": start,
            },
        }
        if start + size < len(everything):
            token = base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=")
            body["tokenPagination"] = {"nextPageToken": token}
        return Response.json(body)

    def reply(self, request: Request) -> Response:
        refused = self._unauthenticated(request)
        if refused:
            return refused
        review_id = unquote(request.match["review"])
        try:
            text = request.json()["replyText"]
        except (ValueError, KeyError, TypeError):
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if not isinstance(text, str) or not text.strip():
            return google_error(400, "INVALID_ARGUMENT", "Reply text is empty.", "badRequest")
        if len(text) > 350:
            return google_error(400, "INVALID_ARGUMENT", "Reply text too long.", "badRequest")
        with self.lock:
            review = self.reviews.get(review_id)
        if review is None:
            return google_error(404, "NOT_FOUND", "No review found.", "reviewNotFound")
        edited = stamp(datetime.now(UTC))
        with self.lock:
            review["comments"] = [c for c in review["comments"] if "developerComment" not in c]
            review["comments"].append({"developerComment": {"text": text, "lastModified": edited}})
            self.replies.append({"text": text, "in_reply_to": review_id})
        return Response.json({"result": {"replyText": text, "lastEdited": edited}})
