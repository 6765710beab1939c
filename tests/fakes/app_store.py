"""A fake App Store Connect API: ES256 JWT check, customer reviews, responses, limits.

- Every request must carry `Authorization: Bearer <JWT>` signed ES256 with the test key:
  header `kid` and `typ: JWT`, claims `iss` (issuer id), `iat`, `exp` at most 20 minutes
  after `iat` and not past, `aud: appstoreconnect-v1`; else 401 `NOT_AUTHORIZED`.
- `GET /v1/apps/{id}/customerReviews?sort=-createdDate&limit=&include=response&cursor=`
  answers JSON:API pages, newest first, `links.next` an absolute URL with an opaque
  `cursor`; `include=response` adds our responses to `included`.
- `POST /v1/customerReviewResponses` creates a response (one per review, 409 after).
- Every answer carries `X-Rate-Limit: user-hour-lim:3600;user-hour-rem:N;`.
"""

from __future__ import annotations

import base64
import copy
import itertools
import uuid
from datetime import UTC, datetime, timedelta, timezone

import jwt

from .server import FakeServer, Request, Response


def opaque(value: str) -> bytes:
    """Decode a page cursor we made (unpadded URL-safe base64); ValueError if it is not one."""
    return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)


HOUR_LIMIT = 3600
EPOCH = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
PACIFIC = timezone(timedelta(hours=-8))  # Apple writes dates with a local offset


def error(status: int, code: str, title: str, detail: str, headers: dict | None = None):
    body = {
        "errors": [
            {
                "id": str(uuid.uuid4()),
                "status": str(status),
                "code": code,
                "title": title,
                "detail": detail,
            }
        ]
    }
    return Response.json(body, status, headers)


class FakeAppStore(FakeServer):
    def __init__(self, *, app_id: str, issuer_id: str, key_id: str, public_key, page_size=200):
        super().__init__()
        self.app_id, self.issuer_id, self.key_id = app_id, issuer_id, key_id
        self.public_key = public_key
        self.page_size = page_size
        self.reviews: list[dict] = []  # newest first
        self.responses: dict[str, dict] = {}  # review id -> response resource
        self.remaining = HOUR_LIMIT
        self.tokens: list[tuple[dict, dict]] = []  # (header, claims) of accepted tokens
        self.minutes = itertools.count(1)
        self.route("GET", r"/v1/apps/(?P<app>[^/]+)/customerReviews")(self.list_reviews)
        self.route("GET", r"/v1/apps/(?P<app>[^/]+)")(self.get_app)
        self.route("POST", r"/v1/customerReviewResponses")(self.create_response)

    # -- the network's side ---------------------------------------------------------------
    def publish(self, review: dict) -> dict:
        """A new review: Apple stamps it with the time it was written (now, on our clock)."""
        review = copy.deepcopy(review)
        when = EPOCH + timedelta(minutes=next(self.minutes))
        review["attributes"]["createdDate"] = when.astimezone(PACIFIC).isoformat(timespec="seconds")
        with self.lock:
            self.reviews = [r for r in self.reviews if r["id"] != review["id"]]
            self.reviews.append(review)
            self.reviews.sort(key=lambda r: datetime.fromisoformat(r["attributes"]["createdDate"]))
            self.reviews.reverse()
        return review

    def rewrite(self, review_id: str, body: str) -> None:
        """The author replaces the review's text: same id, same date (Apple says nothing)."""
        with self.lock:
            for review in self.reviews:
                if review["id"] == review_id:
                    review["attributes"]["body"] = body

    def rate_limit_next(self, seconds: int, path: str = r"/v1/") -> None:
        self.fail_next(
            429,
            path=path,
            headers={
                "Content-Type": "application/json",
                "Retry-After": str(seconds),
                "X-Rate-Limit": f"user-hour-lim:{HOUR_LIMIT};user-hour-rem:0;",
            },
            body={
                "errors": [
                    {
                        "status": "429",
                        "code": "RATE_LIMIT_EXCEEDED",
                        "title": "The request rate limit has been reached.",
                        "detail": "We've received too many requests for this API. "
                        "Please wait and try again or slow down your request "
                        "rate.",
                    }
                ]
            },
        )

    # -- serving ------------------------------------------------------------------------
    def _limits(self) -> dict:
        with self.lock:
            self.remaining = max(self.remaining - 1, 0)
            left = self.remaining
        return {"X-Rate-Limit": f"user-hour-lim:{HOUR_LIMIT};user-hour-rem:{left};"}

    def _unauthorised(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        try:
            head = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["ES256"],
                audience="appstoreconnect-v1",
                issuer=self.issuer_id,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
            if head.get("kid") != self.key_id or head.get("typ") != "JWT":
                raise jwt.InvalidTokenError("wrong kid or typ")
            if claims["exp"] - claims["iat"] > 20 * 60:
                raise jwt.InvalidTokenError("lives longer than 20 minutes")
        except jwt.PyJWTError:
            return error(
                401,
                "NOT_AUTHORIZED",
                "Authentication credentials are missing or invalid.",
                "Provide a properly configured and signed bearer token, and make sure that it "
                "has not expired. Learn more about Generating Tokens for API Requests "
                "https://developer.apple.com/go/?id=api-generating-tokens",
            )
        with self.lock:
            self.tokens.append((head, claims))
        return None

    def get_app(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        if request.match["app"] != self.app_id:
            return error(
                404,
                "NOT_FOUND",
                "The specified resource does not exist",
                "There is no resource of type 'apps' with id 'x'",
            )
        return Response.json(
            {
                "data": {
                    "type": "apps",
                    "id": self.app_id,
                    "attributes": {"name": "Acme Móvil", "bundleId": "com.acme.movil"},
                }
            },
            headers=self._limits(),
        )

    def list_reviews(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        if request.match["app"] != self.app_id:
            return error(
                404,
                "NOT_FOUND",
                "The specified resource does not exist",
                f"There is no resource of type 'apps' with id '{request.match['app']}'",
            )
        if request.arg("sort", "-createdDate") != "-createdDate":
            return error(
                400,
                "PARAMETER_ERROR.INVALID",
                "A parameter has an invalid value",
                "this fake only sorts by -createdDate",
            )
        try:
            limit = int(request.arg("limit", "50"))
            start = int(opaque(request.arg("cursor", "")) or b"0")
        except ValueError:
            return error(
                400,
                "PARAMETER_ERROR.INVALID",
                "A parameter has an invalid value",
                "'limit' or 'cursor' is not valid",
            )
        if not 1 <= limit <= 200:
            return error(
                400,
                "PARAMETER_ERROR.INVALID",
                "A parameter has an invalid value",
                "'limit' must be between 1 and 200",
            )
        size = min(limit, self.page_size)
        with self.lock:
            chunk = copy.deepcopy(self.reviews[start : start + size])
            total = len(self.reviews)
            answers = dict(self.responses)
        included = []
        for review in chunk:
            answer = answers.get(review["id"])
            own = f"{self.base_url}/v1/customerReviews/{review['id']}"
            review["links"] = {"self": own}
            review["relationships"] = {
                "response": {
                    "links": {"self": f"{own}/relationships/response", "related": f"{own}/response"}
                }
            }
            if answer and request.arg("include") == "response":
                review["relationships"]["response"]["data"] = {
                    "type": "customerReviewResponses",
                    "id": answer["id"],
                }
                included.append(answer)
        query = f"sort=-createdDate&limit={limit}"
        if request.arg("include"):
            query += f"&include={request.arg('include')}"
        path = f"{self.base_url}/v1/apps/{self.app_id}/customerReviews"
        links = {"self": f"{path}?{query}"}
        if start + size < total:
            cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=")
            links["next"] = f"{path}?cursor={cursor}&{query}"
        body = {"data": chunk, "links": links, "meta": {"paging": {"total": total, "limit": limit}}}
        if request.arg("include"):
            body["included"] = included
        return Response.json(body, headers=self._limits())

    def create_response(self, request: Request) -> Response:
        refused = self._unauthorised(request)
        if refused:
            return refused
        try:
            data = request.json()["data"]
            assert data["type"] == "customerReviewResponses"
            text = data["attributes"]["responseBody"]
            target = data["relationships"]["review"]["data"]
            assert target["type"] == "customerReviews"
            review_id = target["id"]
        except (ValueError, KeyError, TypeError, AssertionError):
            return error(
                422,
                "ENTITY_UNPROCESSABLE",
                "The request entity is not valid",
                "The provided entity is missing a required field",
            )
        if not isinstance(text, str) or not text.strip() or len(text) > 5970:
            return error(
                409,
                "ENTITY_ERROR.ATTRIBUTE.INVALID",
                "An attribute value is invalid.",
                "'responseBody' must be 1 to 5970 characters.",
            )
        with self.lock:
            known = any(r["id"] == review_id for r in self.reviews)
            exists = review_id in self.responses
        if not known:
            return error(
                409,
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "The provided entity includes a relationship with an invalid value",
                f"'{review_id}' is not a valid id for this relationship.",
            )
        if exists:
            return error(
                409,
                "STATE_ERROR",
                "The request cannot be fulfilled because of the state of another resource.",
                "A response to this review already exists; delete it before creating a new one.",
            )
        answer = {
            "type": "customerReviewResponses",
            "id": str(uuid.uuid4()),
            "attributes": {
                "responseBody": text,
                "state": "PENDING_PUBLISH",
                "lastModifiedDate": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            "relationships": {"review": {"data": {"type": "customerReviews", "id": review_id}}},
        }
        answer["links"] = {"self": f"{self.base_url}/v1/customerReviewResponses/{answer['id']}"}
        with self.lock:
            self.responses[review_id] = answer
        return Response.json({"data": answer, "links": answer["links"]}, 201, self._limits())

    def echo(self) -> None:
        """Our responses become PUBLISHED (they come back in `included`, never as reviews)."""
        with self.lock:
            for answer in self.responses.values():
                answer["attributes"]["state"] = "PUBLISHED"

    def received(self) -> list[dict]:
        with self.lock:
            return [
                {"text": a["attributes"]["responseBody"], "in_reply_to": review_id, "id": a["id"]}
                for review_id, a in self.responses.items()
            ]
