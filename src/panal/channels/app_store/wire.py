"""App Store Connect API objects (JSON:API) as they arrive, and their mapping.

A page of `GET /v1/apps/{id}/customerReviews` is
`{"data": [customerReviews…], "included": [customerReviewResponses…], "links": {"self",
"next"}, "meta": {"paging": {"total", "limit"}}}`; each review has `attributes` `rating`,
`title`, `body`, `reviewerNickname`, `createdDate` (ISO 8601 with offset) and
`territory` (ISO 3166-1 alpha-3, e.g. "ESP"). Only the fields Panal reads are named.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TypedDict

from panal.channels import wire
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError


class ReviewAttributes(TypedDict, total=False):
    rating: int
    title: str
    body: str
    reviewerNickname: str
    createdDate: str
    territory: str


class Review(TypedDict, total=False):
    type: str  # "customerReviews"
    id: str
    attributes: ReviewAttributes
    relationships: dict  # {"response": {"data": {"type", "id"} | None, "links": {…}}}


# App Store territories (alpha-3, as Apple sends them) and the alpha-2 code Panal stores.
# The markets an organisation is likely to hear from; any other code leaves `country`
# blank rather than guessing.
TERRITORIES = {
    "ARE": "AE", "ARG": "AR", "AUS": "AU", "AUT": "AT", "BEL": "BE", "BGR": "BG", "BHR": "BH",
    "BOL": "BO", "BRA": "BR", "CAN": "CA", "CHE": "CH", "CHL": "CL", "CHN": "CN", "COL": "CO",
    "CRI": "CR", "CZE": "CZ", "DEU": "DE", "DNK": "DK", "DOM": "DO", "DZA": "DZ", "ECU": "EC",
    "EGY": "EG", "ESP": "ES", "EST": "EE", "FIN": "FI", "FRA": "FR", "GBR": "GB", "GRC": "GR",
    "GTM": "GT", "HKG": "HK", "HND": "HN", "HRV": "HR", "HUN": "HU", "IDN": "ID", "IND": "IN",
    "IRL": "IE", "ISL": "IS", "ISR": "IL", "ITA": "IT", "JOR": "JO", "JPN": "JP", "KOR": "KR",
    "KWT": "KW", "LBN": "LB", "LTU": "LT", "LUX": "LU", "LVA": "LV", "MAR": "MA", "MEX": "MX",
    "MYS": "MY", "NIC": "NI", "NLD": "NL", "NOR": "NO", "NZL": "NZ", "OMN": "OM", "PAK": "PK",
    "PAN": "PA", "PER": "PE", "PHL": "PH", "POL": "PL", "PRT": "PT", "PRY": "PY", "QAT": "QA",
    "ROU": "RO", "RUS": "RU", "SAU": "SA", "SGP": "SG", "SLV": "SV", "SVK": "SK", "SVN": "SI",
    "SWE": "SE", "THA": "TH", "TUN": "TN", "TUR": "TR", "TWN": "TW", "UKR": "UA", "URY": "UY",
    "USA": "US", "VEN": "VE", "VNM": "VN", "ZAF": "ZA",
}  # fmt: skip


def country(territory) -> str:
    """The alpha-2 code of an App Store territory ("ESP" → "ES"); blank when unknown."""
    if not isinstance(territory, str):
        return ""
    return TERRITORIES.get(territory.strip().upper(), "")


def created(review: dict) -> datetime | None:
    value = (review.get("attributes") or {}).get("createdDate")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def version(review: dict) -> str:
    """A short digest of what the author wrote: a change is a silent replacement (edit)."""
    attributes = review.get("attributes") or {}
    parts = [str(attributes.get(k, "")) for k in ("rating", "title", "body")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def responses(page: dict) -> dict[str, dict]:
    """Our published or pending responses in `included`, by the id of their review."""
    found = {}
    for entry in page.get("included") or []:
        if not isinstance(entry, dict) or entry.get("type") != "customerReviewResponses":
            continue
        review = ((entry.get("relationships") or {}).get("review") or {}).get("data") or {}
        if review.get("id"):
            attributes = entry.get("attributes") or {}
            found[str(review["id"])] = {
                "id": str(entry.get("id", "")),
                "state": str(attributes.get("state", "")),
                "last_modified": str(attributes.get("lastModifiedDate", "")),
            }
    return found


def item_of(review: dict, *, response: dict | None = None) -> Item:
    if review.get("type") != "customerReviews" or not review.get("id"):
        raise ItemError("not a customerReviews resource with an id")
    attributes = review.get("attributes") or {}
    nickname = str(attributes.get("reviewerNickname") or "")[:255]
    title = attributes.get("title") or ""
    raw: dict = {"territory": str(attributes.get("territory") or "")[:8]}
    if response:
        raw["response"] = response
    return wire.item(
        {
            "external_id": str(review["id"]),
            "kind": Kind.REVIEW,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "title": title[:1000] if isinstance(title, str) else title,
            "text": attributes.get("body") or "",
            "rating": attributes.get("rating"),
            "created_at": attributes.get("createdDate"),
            "author_handle": nickname,
            "author_display_name": nickname,
            "country": country(attributes.get("territory")),
            "raw": raw,
        }
    )
