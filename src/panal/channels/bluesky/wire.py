"""AT Protocol objects as they arrive (Jetstream commits, XRPC views) and their mapping.

Only the fields Panal reads are named. Facet offsets (`index.byteStart/byteEnd`) count
UTF-8 bytes of the post's `text`, never characters. Everything in a record is written
by the post's author and unchecked by anyone: `createdAt`, `langs`, facets and embeds
are validated here before they reach `channels.wire.item`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any, TypedDict

from panal.channels import wire
from panal.listening.choices import Kind
from panal.listening.normalise import Item, ItemError

POST = "app.bsky.feed.post"
LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"
MAX_GRAPHEMES = 300  # the post lexicon's maxGraphemes for `text`
MAX_BYTES = 3000  # and its maxLength, in UTF-8 bytes


class StrongRef(TypedDict):
    uri: str
    cid: str


class ReplyRef(TypedDict):
    root: StrongRef
    parent: StrongRef


class Facet(TypedDict):
    index: dict  # {"byteStart": int, "byteEnd": int}
    features: list[
        dict
    ]  # {"$type": LINK, "uri"} | {"$type": MENTION, "did"} | {"$type": TAG, "tag"}


class PostRecord(TypedDict, total=False):
    text: str
    createdAt: str
    langs: list[str]
    reply: ReplyRef
    facets: list[Facet]
    embed: dict  # app.bsky.embed.images | external | record | recordWithMedia | video
    tags: list[str]


class Commit(TypedDict, total=False):
    rev: str
    operation: str  # create | update | delete
    collection: str
    rkey: str
    record: PostRecord  # absent on delete
    cid: str  # absent on delete


class JetstreamEvent(TypedDict, total=False):
    did: str
    time_us: int
    kind: str  # commit | identity | account
    commit: Commit
    identity: dict  # {did, handle, seq, time}
    account: dict  # {active, did, seq, status, time}


class ProfileView(TypedDict, total=False):
    did: str
    handle: str
    displayName: str
    avatar: str


class PostView(TypedDict, total=False):
    uri: str
    cid: str
    author: ProfileView
    record: PostRecord
    indexedAt: str
    replyCount: int
    repostCount: int
    likeCount: int
    quoteCount: int


class Notification(PostView, total=False):
    reason: str  # mention | reply | quote | like | repost | follow | ...
    reasonSubject: str


# --- ids and links ---------------------------------------------------------------------

_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}\Z")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}\Z")
_HANDLE = re.compile(r"[A-Za-z0-9.-]{1,253}\Z")
_CID = re.compile(r"[A-Za-z0-9]{8,200}\Z")


def is_did(value: Any) -> bool:
    return isinstance(value, str) and bool(_DID.match(value)) and not value.endswith(":")


def post_uri(did: Any, rkey: Any) -> str:
    """`at://<did>/app.bsky.feed.post/<rkey>`: Panal's external id of a post."""
    if not is_did(did):
        raise ItemError(f"not a DID: {str(did)[:60]!r}")
    if not isinstance(rkey, str) or not _RKEY.match(rkey) or rkey in (".", ".."):
        raise ItemError(f"not a record key: {str(rkey)[:60]!r}")
    return f"at://{did}/{POST}/{rkey}"


def parse_uri(uri: Any) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of an `at://` URI with a DID authority, or None."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    if len(parts) != 3 or not is_did(parts[0]) or not _RKEY.match(parts[2]):
        return None
    return parts[0], parts[1], parts[2]


def web_url(actor: str, rkey: str) -> str:
    """The post's page on bsky.app; `actor` is a handle or a DID."""
    return f"https://bsky.app/profile/{actor}/post/{rkey}"


def strong_ref(value: Any) -> StrongRef | None:
    """A `{uri, cid}` reference when both are well-formed, else None."""
    if not isinstance(value, dict):
        return None
    uri, cid = value.get("uri"), value.get("cid")
    if parse_uri(uri) is None or not isinstance(cid, str) or not _CID.match(cid):
        return None
    return {"uri": uri, "cid": cid}


def handle_of(author: dict) -> str:
    handle = author.get("handle")
    if isinstance(handle, str) and _HANDLE.match(handle) and handle != "handle.invalid":
        return handle
    return ""


# --- facets --------------------------------------------------------------------------


def spans(text: str, facets: Any) -> list[tuple[str, str, str]]:
    """(feature, anchor text, value) of each well-formed facet feature.

    `feature` is link / mention / tag; `value` is the link's URI, the mentioned DID or
    the tag. The anchor is the slice of `text` between the facet's UTF-8 byte offsets,
    so an emoji (4 bytes) before a link moves it by 4, not by 1 or 2.
    """
    if not isinstance(facets, list) or not facets:
        return []
    encoded = text.encode("utf-8")
    found = []
    for facet in facets[:200]:
        if not isinstance(facet, dict):
            continue
        index = facet.get("index")
        if not isinstance(index, dict):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int)) or not (
            0 <= start < end <= len(encoded)
        ):
            continue
        anchor = encoded[start:end].decode("utf-8", "ignore")
        for feature in facet.get("features") or ():
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == LINK and isinstance(feature.get("uri"), str):
                found.append(("link", anchor, feature["uri"]))
            elif kind == MENTION and isinstance(feature.get("did"), str):
                found.append(("mention", anchor, feature["did"]))
            elif kind == TAG and isinstance(feature.get("tag"), str):
                found.append(("tag", anchor, feature["tag"]))
    return found


def links(text: str, record: dict) -> list[str]:
    """The post's links: link facets, then the link card of an external embed."""
    found = [value for kind, _anchor, value in spans(text, record.get("facets")) if kind == "link"]
    embed = record.get("embed")
    if isinstance(embed, dict):
        media = embed.get("media") if isinstance(embed.get("media"), dict) else embed
        external = media.get("external")
        if isinstance(external, dict) and isinstance(external.get("uri"), str):
            found.append(external["uri"])
    return list(dict.fromkeys(found))


def quoted_uri(record: dict) -> str:
    """The URI of the post this one quotes (embed record / recordWithMedia), or ""."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return ""
    quoted = embed.get("record")
    if isinstance(quoted, dict) and isinstance(quoted.get("record"), dict):
        quoted = quoted["record"]  # recordWithMedia: {record: {record: strongRef}, media}
    uri = quoted.get("uri") if isinstance(quoted, dict) else None
    return uri if isinstance(uri, str) else ""


def about_us(record: dict, did: str | None) -> str:
    """Why a post concerns the account `did`: "mention", "reply", "quote" or ""."""
    if not did:
        return ""
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    for kind, _anchor, value in spans(text, record.get("facets")):
        if kind == "mention" and value == did:
            return "mention"
    ours = f"at://{did}/"
    reply = record.get("reply")
    if isinstance(reply, dict):
        parent = reply.get("parent")
        if isinstance(parent, dict) and str(parent.get("uri", "")).startswith(ours):
            return "reply"
    if quoted_uri(record).startswith(ours):
        return "quote"
    return ""


_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?\"'\u00bb\u201d\u2019\u2026"


def link_facets(text: str) -> list[Facet]:
    """Link facets for the http(s) URLs in our own text, with UTF-8 byte offsets."""
    facets: list[Facet] = []
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and (url[-1] in _TRAILING or (url[-1] == ")" and "(" not in url)):
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        start = len(text[: match.start()].encode("utf-8"))
        end = start + len(url.encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": LINK, "uri": url}],
            }
        )
    return facets


# --- graphemes -------------------------------------------------------------------------

_ZWJ = 0x200D


def _extends(cp: int, ch: str) -> bool:
    """True when `ch` continues the previous grapheme cluster rather than starting one."""
    if cp < 0x0300:
        return False
    if (
        0xFE00 <= cp <= 0xFE0F  # variation selectors (emoji / text presentation)
        or 0x1F3FB <= cp <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # tag characters (subdivision flags)
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
        or cp in (_ZWJ, 0x200C)
    ):
        return True
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")


def graphemes(text: str) -> int:
    """How many user-perceived characters `text` has, as Bluesky counts its 300.

    An approximation of Unicode extended grapheme clusters (UAX 29) without a new
    dependency: combining and spacing marks, variation selectors, skin tones and tag
    characters join the character before; a zero-width joiner glues the next
    character on (ZWJ emoji sequences); regional indicators pair into flags; CR LF is
    one; Hangul jamo sequences join. Rare rules (prepend marks, Indic conjuncts
    across a virama) are not modelled, so such text may count a little higher than
    Bluesky does: a reply is then refused slightly early, never accepted too long.
    """
    if text.isascii():
        return len(text) - text.count("\r\n")
    count = 0
    glue = False  # the previous character was a ZWJ
    regional = False  # an unpaired regional indicator precedes
    previous = 0
    for ch in text:
        cp = ord(ch)
        if count and (glue or _extends(cp, ch)):
            glue = cp == _ZWJ
            previous = cp
            continue
        if count and cp == 0x0A and previous == 0x0D:
            previous = cp
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            if regional:
                regional = False
                previous = cp
                continue
            regional = True
        else:
            regional = False
        if (
            count
            and 0x1160 <= cp <= 0x11FF
            and (0x1100 <= previous <= 0x11FF or 0xAC00 <= previous <= 0xD7A3)
        ):
            previous = cp
            continue  # a vowel or final jamo after a Hangul syllable or leading jamo
        count += 1
        glue = False
        previous = cp
    return count


# --- items -------------------------------------------------------------------------------


def _seconds(value: Any, fallback: float | None) -> float | None:
    """The author's `createdAt` in Unix seconds when it is a sane time, else `fallback`.

    Seconds rather than text, so `channels.wire.item` need not parse the time again.
    """
    if isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if 1990 <= when.year <= 2200:
            return when.timestamp()
    return fallback


def _blob_cid(blob: Any) -> str:
    if isinstance(blob, dict):
        ref = blob.get("ref")
        link = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
        if isinstance(link, str) and _CID.match(link):
            return link
    return ""


def _media(did: str, record: dict) -> tuple[list[dict], str]:
    """Images and video of the post, and a text to use when `text` is empty.

    Media are blobs in the author's repository: kept as their CID (`external_id`) with the
    author's DID, fetched only if someone asks (`com.atproto.sync.getBlob` on the
    account's own host); Panal never makes up a link to a network's media host.
    """
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return [], ""
    kind = embed.get("$type", "")
    media = embed.get("media") if isinstance(embed.get("media"), dict) else embed
    mtype = media.get("$type", "") if isinstance(media, dict) else ""
    found, alts = [], []
    if mtype.startswith("app.bsky.embed.images"):
        for image in (media.get("images") or [])[:4]:
            if not isinstance(image, dict):
                continue
            alt = image.get("alt") if isinstance(image.get("alt"), str) else ""
            cid = _blob_cid(image.get("image"))
            found.append({"type": "image", "external_id": cid, "did": did, "alt": alt[:2000]})
            if alt:
                alts.append(alt)
        return found, "\n".join(alts) or "[image]"
    if mtype.startswith("app.bsky.embed.video"):
        cid = _blob_cid(media.get("video"))
        alt = media.get("alt") if isinstance(media.get("alt"), str) else ""
        video = {"type": "video", "external_id": cid, "did": did, "alt": alt[:2000]}
        return [video], alt or "[video]"
    if mtype.startswith("app.bsky.embed.external"):
        external = media.get("external") if isinstance(media.get("external"), dict) else {}
        title = external.get("title") if isinstance(external.get("title"), str) else ""
        return [], title or str(external.get("uri", ""))[:2000] or "[link]"
    if kind.startswith("app.bsky.embed.record"):
        return [], "[quote]"
    return [], ""


def item_of_record(
    uri: str,
    cid: Any,
    record: dict,
    *,
    author: dict,
    event: str = "created",
    received: float | None = None,
    edited_at: float | None = None,
    kind: str = "",
    metrics: dict | None = None,
) -> Item:
    """The normalised item of one post record.

    `author` holds at least `did` (Jetstream knows nothing else); `received` is the
    network's time for the post in Unix seconds (Jetstream `time_us`, the AppView's
    `indexedAt`), used when the author's `createdAt` is missing or absurd.
    """
    did = author.get("did", "")
    rkey = uri.rsplit("/", 1)[-1]
    text = record.get("text")
    text = text if isinstance(text, str) else ""
    media, placeholder = _media(did, record)
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    root, parent = strong_ref(reply.get("root")), strong_ref(reply.get("parent"))
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else ""
    handle = handle_of(author)
    raw: dict = {"cid": cid if isinstance(cid, str) else ""}
    if root and parent:
        raw["reply"] = {"root": root, "parent": parent}
    display = author.get("displayName")
    avatar = author.get("avatar")
    data = {
        "external_id": uri,
        "event": event,
        "kind": kind or (Kind.REPLY if parent else Kind.POST),
        "text": text or placeholder or "[no text]",
        "url": web_url(handle or did, rkey),
        "author_external_id": did,
        "thread_external_id": root["uri"] if root else uri,
        "raw": raw,
    }
    # Only what is there: a null anywhere sends `item` down its slow validation path.
    if lang:
        data["lang"] = lang[:35]
    created = _seconds(record.get("createdAt"), received)
    if created is not None:
        data["created_at"] = created
    if edited_at is not None:
        data["edited_at"] = edited_at
    if handle:
        data["author_handle"] = handle
    if isinstance(display, str) and display:
        data["author_display_name"] = display[:255]
    if isinstance(avatar, str) and avatar:
        data["author_avatar_url"] = avatar
    if parent:
        data["in_reply_to_external_id"] = parent["uri"]
    if "facets" in record or "embed" in record:
        data["urls"] = links(text, record)
    if media:
        data["media"] = media
    if metrics:
        data["metrics"] = metrics
    return wire.item(data)


def micros(time_us: Any) -> float | None:
    """Unix seconds of a Jetstream `time_us` (microseconds since the epoch)."""
    if not isinstance(time_us, int) or isinstance(time_us, bool) or time_us <= 0:
        return None
    return time_us / 1_000_000


def item_of_commit(event: dict, self_did: str | None = None, reason: str | None = None) -> Item:
    """A Jetstream create / update / delete of an `app.bsky.feed.post` as an item.

    `reason` is why the stream kept it (`about_us`, or "term"); worked out when None.
    """
    commit = event.get("commit") or {}
    uri = post_uri(event.get("did"), commit.get("rkey"))
    operation = commit.get("operation")
    if operation == "delete":
        return wire.item({"external_id": uri, "event": "deleted"})
    record = commit.get("record")
    if not isinstance(record, dict):
        raise ItemError(f"{uri}: the commit has no record")
    when = micros(event.get("time_us"))
    edited = operation == "update"
    if reason is None or reason == "":
        reason = about_us(record, self_did)
    return item_of_record(
        uri,
        commit.get("cid"),
        record,
        author={"did": event["did"]},
        event="edited" if edited else "created",
        received=when,
        edited_at=when if edited else None,
        kind=Kind.MENTION if reason == "mention" and "reply" not in record else "",
    )


REASON_KINDS = {"mention": Kind.MENTION, "reply": Kind.REPLY, "quote": Kind.POST}


def item_of_view(view: dict, *, reason: str = "", self_did: str | None = None) -> Item:
    """A post view (searchPosts) or a notification (listNotifications) as an item.

    `reason` is the notification's; for a post view it is worked out from `self_did`.
    """
    uri = view.get("uri")
    if parse_uri(uri) is None:
        raise ItemError(f"not a post URI: {str(uri)[:80]!r}")
    record = view.get("record")
    if not isinstance(record, dict):
        raise ItemError(f"{uri}: no record")
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    did = parse_uri(uri)[0]
    if author.get("did") != did:
        author = {**author, "did": did}  # the URI's repo is the author, whatever else says
    metrics = {
        name: view[key]
        for name, key in (
            ("replies", "replyCount"),
            ("reposts", "repostCount"),
            ("likes", "likeCount"),
            ("quotes", "quoteCount"),
        )
        if isinstance(view.get(key), int)
    }
    indexed = view.get("indexedAt")
    if not reason and self_did:
        reason = about_us(record, self_did)
    return item_of_record(
        uri,
        view.get("cid"),
        record,
        author=author,
        received=_seconds(indexed, None),
        kind=REASON_KINDS.get(reason, ""),
        metrics=metrics,
    )
