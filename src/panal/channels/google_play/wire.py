"""Android Publisher API v3 reviews as they arrive, and their mapping.

A page of `GET /applications/{packageName}/reviews` is `{"reviews": [...],
"tokenPagination": {"nextPageToken"}, "pageInfo": {...}}`. A review is
`{"reviewId", "authorName", "comments": [{"userComment": {...}}, {"developerComment":
{...}}]}`; times are `{"seconds": "<int64 as a string>", "nanos"}`. Google gives no
creation time: a review's time is the last change of its user comment. Only the
fields Panal reads are named.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TypedDict
from urllib.parse import quote

from panal.channels import wire
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError


class Timestamp(TypedDict, total=False):
    seconds: str
    nanos: int


class UserComment(TypedDict, total=False):
    text: str
    lastModified: Timestamp
    starRating: int
    reviewerLanguage: str
    device: str
    androidOsVersion: int
    appVersionCode: int
    appVersionName: str
    thumbsUpCount: int
    thumbsDownCount: int
    originalText: str  # when `translationLanguage` was asked for; `text` is then translated


class Review(TypedDict, total=False):
    reviewId: str
    authorName: str
    comments: list[dict]  # {"userComment": UserComment} | {"developerComment": {...}}


def moment(value) -> datetime | None:
    """A `{seconds, nanos}` time as an aware datetime (None when absent or absurd)."""
    if not isinstance(value, dict):
        return None
    try:
        seconds = int(value.get("seconds") or 0) + int(value.get("nanos") or 0) / 1e9
        when = datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return when if 1990 <= when.year <= 2200 else None


def comment(review: dict, kind: str) -> dict:
    """The review's `userComment` or `developerComment` (the first one), or {}."""
    for entry in review.get("comments") or []:
        if isinstance(entry, dict) and isinstance(entry.get(kind), dict):
            return entry[kind]
    return {}


def version(review: dict) -> str:
    """What the author wrote, and when: a change of it is an edit. Our reply is not."""
    user = comment(review, "userComment")
    stamp = user.get("lastModified") or {}
    parts = [str(user.get(k, "")) for k in ("text", "starRating")]
    parts.append(str(stamp.get("seconds", "")) if isinstance(stamp, dict) else "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def review_url(package: str, review_id: str) -> str:
    return (
        f"https://play.google.com/store/apps/details?id={quote(package, safe='')}"
        f"&reviewId={quote(review_id, safe='')}"
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def item_of(review: dict, *, package: str, event: str = "created") -> Item:
    review_id = review.get("reviewId")
    user = comment(review, "userComment")
    if not isinstance(review_id, str) or not review_id or not user:
        raise ItemError("a review needs a reviewId and a userComment")
    when = moment(user.get("lastModified"))
    developer = comment(review, "developerComment")
    raw = {
        key: user[key]
        for key in ("device", "androidOsVersion", "appVersionCode", "appVersionName")
        if isinstance(user.get(key), str | int) and not isinstance(user.get(key), bool)
    }
    text = user.get("text") or ""
    original = user.get("originalText")
    if isinstance(original, str) and original:
        # Asked with `translationLanguage`: the mention keeps the author's own words.
        raw["translation"] = str(text)[:10000]
        text = original
    if developer:
        reply_time = moment(developer.get("lastModified"))
        raw["developer_reply"] = {
            "text": str(developer.get("text") or "")[:1000],
            "last_modified": reply_time.isoformat() if reply_time else "",
        }
    metrics = {
        name: number
        for name, key in (("thumbs_up", "thumbsUpCount"), ("thumbs_down", "thumbsDownCount"))
        if (number := _int(user.get(key))) is not None
    }
    return wire.item(
        {
            "external_id": review_id,
            "event": event,
            "kind": Kind.REVIEW,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": text,
            "rating": user.get("starRating") or None,
            "lang": user.get("reviewerLanguage") or "",
            "created_at": when.isoformat() if when else None,
            "edited_at": when.isoformat() if when and event == "edited" else None,
            "url": review_url(package, review_id),
            "author_display_name": str(review.get("authorName") or "")[:255],
            "metrics": metrics,
            "raw": raw,
        }
    )
