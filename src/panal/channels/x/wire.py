"""X objects as they arrive, their mapping to Panal's items, and X's weighted length.

Two shapes reach us:

- API v2 (recent search, mentions, filtered stream, filtered-stream webhooks): a tweet
  `{id, text, edit_history_tweet_ids, author_id, created_at (ISO), conversation_id,
  referenced_tweets, lang, entities, public_metrics, note_tweet}` with its author in
  `includes.users`.
- Account Activity webhooks, v1.1-shaped: `{for_user_id, tweet_create_events: [tweet with
  id_str, text / full_text / extended_tweet.full_text, user{...}, created_at as
  "Wed Oct 10 20:19:24 +0000 2018"]}`, `tweet_delete_events`, `direct_message_events`
  with a `users` map.

Decisions (README.md here): an edit is a new tweet whose `edit_history_tweet_ids` lists
the chain oldest first, so the external id is the chain's FIRST id and a later version
is an `edited` event on it; a version that is not the last of its chain is stale and
dropped. Tweet text comes HTML-escaped (`&amp;`, `&lt;`, `&gt;`) and is unescaped to
plain text. Entity offsets are code points (Python `str` indices).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import TypedDict

from panal.channels import wire
from panal.listening.choices import Kind, ReplyCapability, Visibility
from panal.listening.normalise import Item, ItemError

# What every v2 read asks for (a tweet has only id, text and edit_history_tweet_ids
# unless fields are named).
TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang,"
    "entities,public_metrics,edit_history_tweet_ids,note_tweet"
)
EXPANSIONS = "author_id"
USER_FIELDS = "username,name,public_metrics,verified,profile_image_url"
FIELDS = {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS}

_HANDLE = re.compile(r"[A-Za-z0-9_]{1,50}")
_ID = re.compile(r"[0-9]{1,25}")
_MONTHS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
    "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip


class User(TypedDict, total=False):
    id: str
    username: str
    name: str
    verified: bool
    profile_image_url: str
    public_metrics: dict  # followers_count, following_count, tweet_count, listed_count


class Tweet(TypedDict, total=False):
    id: str
    text: str
    edit_history_tweet_ids: list[str]
    author_id: str
    created_at: str  # ISO 8601, "2026-03-02T10:15:00.000Z"
    conversation_id: str
    in_reply_to_user_id: str
    referenced_tweets: list[dict]  # [{type: replied_to | quoted | retweeted, id}]
    lang: str
    entities: dict  # urls[{start, end, url, expanded_url, display_url}], mentions, hashtags
    public_metrics: dict
    note_tweet: dict  # {text, entities}: posts longer than 280, `text` then is cut


# --- small readers ----------------------------------------------------------------------


def unescape(text: str) -> str:
    """X escapes `&`, `<` and `>` in tweet text as entities; nothing else."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def language(code) -> str:
    """X's BCP 47 tag, blank for "undetermined": und, zxx and X's private q-codes (qme...)."""
    code = str(code or "").strip()
    if code in ("und", "zxx") or (len(code) == 3 and "qaa" <= code.lower() <= "qtz"):
        return ""
    return code


def v1_time(value) -> str | None:
    """v1.1's "Wed Oct 10 20:19:24 +0000 2018" as ISO 8601 UTC (locale-free)."""
    if value in (None, ""):
        return None
    try:
        _day, month, day, clock, zone, year = str(value).split()
        hour, minute, second = (int(p) for p in clock.split(":"))
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        when = datetime(int(year), _MONTHS[month], int(day), hour, minute, second)
        return when.replace(tzinfo=timezone(offset)).astimezone(UTC).isoformat()
    except (ValueError, KeyError, IndexError):
        raise ItemError(f"'created_at' is not an X date: {str(value)[:40]!r}") from None


def snowflake(value) -> int:
    """An X id as a number, for ordering (newer ids are larger); 0 when unreadable."""
    text = str(value or "")
    return int(text) if _ID.fullmatch(text) else 0


def code_point_slice(text: str, start: int, end: int) -> str:
    """`text[start:end]` with X's entity offsets, which count code points: Python's own."""
    return text[start:end]


def links(text: str, entities: dict | None) -> list[str]:
    """Expanded URLs of the `entities.urls` list (the t.co link itself as a last resort)."""
    found = []
    for entity in (entities or {}).get("urls") or []:
        if not isinstance(entity, dict):
            continue
        url = entity.get("expanded_url") or entity.get("unwound_url") or entity.get("url")
        if not url and isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
            url = code_point_slice(text, entity["start"], entity["end"])
        if isinstance(url, str) and url:
            found.append(url)
    return found


def permalink(username: str, tweet_id: str) -> str:
    if _HANDLE.fullmatch(username or ""):
        return f"https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _metrics(public: dict | None, names: dict[str, str]) -> dict:
    public = public or {}
    return {
        ours: n for theirs, ours in names.items() if (n := _count(public.get(theirs))) is not None
    }


V2_METRICS = {
    "like_count": "likes", "reply_count": "replies", "retweet_count": "reposts",
    "quote_count": "quotes", "bookmark_count": "bookmarks", "impression_count": "impressions",
}  # fmt: skip
V1_METRICS = {
    "favorite_count": "likes", "reply_count": "replies", "retweet_count": "reposts",
    "quote_count": "quotes",
}  # fmt: skip


# --- API v2 -----------------------------------------------------------------------------


def history(tweet: dict) -> list[str]:
    """The tweet's edit chain, oldest first (just its own id when never edited)."""
    chain = [str(i) for i in tweet.get("edit_history_tweet_ids") or [] if i not in (None, "")]
    own = str(tweet.get("id") or "")
    return chain or ([own] if own else [])


def is_stale(tweet_id: str, chain: list[str]) -> bool:
    """A version that was edited since: the chain's last id is the current text."""
    return bool(chain) and tweet_id != chain[-1]


def users_by_id(includes: dict | None) -> dict[str, dict]:
    users = (includes or {}).get("users") or []
    return {str(u.get("id")): u for u in users if isinstance(u, dict) and u.get("id")}


def tweet_item(tweet: dict, users: dict[str, dict], *, our_ids=(), rules=()) -> Item:
    """The item of one v2 tweet (the caller drops stale versions and our own tweets)."""
    if not isinstance(tweet, dict) or not tweet.get("id"):
        raise ItemError("a tweet needs an id")
    own = str(tweet["id"])
    chain = history(tweet)
    author_id = str(tweet.get("author_id") or "")
    author = users.get(author_id) or {}
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    text = unescape(str(note.get("text") or tweet.get("text") or ""))
    entities = note.get("entities") if note.get("entities") else tweet.get("entities")
    referenced = [r for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)]
    parent = next((str(r.get("id")) for r in referenced if r.get("type") == "replied_to"), "")
    mentioned = {
        str(m.get("id"))
        for m in (tweet.get("entities") or {}).get("mentions") or []
        if isinstance(m, dict) and m.get("id")
    }
    ours = {str(i) for i in our_ids if i}
    if parent:
        kind = Kind.REPLY
    elif ours & (mentioned | {str(tweet.get("in_reply_to_user_id") or "")}):
        kind = Kind.MENTION
    else:
        kind = Kind.POST
    edited = len(chain) > 1
    username = str(author.get("username") or "")
    raw = {"id": own, "edit_history_tweet_ids": chain, "author_id": author_id}
    if rules:
        raw["matching_rules"] = list(rules)
    return wire.item(
        {
            "external_id": chain[0] if chain else own,
            "event": "edited" if edited else "created",
            "kind": kind,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": text,
            "lang": language(tweet.get("lang")),
            "created_at": tweet.get("created_at"),
            "edited_at": tweet.get("created_at") if edited else None,
            "url": permalink(username, own),
            "author_external_id": author_id,
            "author_handle": username,
            "author_display_name": author.get("name") or "",
            "author_followers": _count((author.get("public_metrics") or {}).get("followers_count")),
            "author_avatar_url": author.get("profile_image_url") or "",
            "author_verified": author.get("verified"),
            "thread_external_id": str(tweet.get("conversation_id") or ""),
            "in_reply_to_external_id": parent,
            "urls": links(text, entities),
            "metrics": _metrics(tweet.get("public_metrics"), V2_METRICS),
            "raw": raw,
        }
    )


def v2_items(
    tweets, includes: dict | None, *, our_ids=(), rules=(), errors: list[str]
) -> list[tuple[int, Item]]:
    """(tweet id, item) of the readable, current, not-ours tweets of one v2 answer."""
    users = users_by_id(includes)
    ours = {str(i) for i in our_ids if i}
    out = []
    for tweet in tweets if isinstance(tweets, list) else [tweets]:
        if not isinstance(tweet, dict):
            errors.append("a tweet is not a JSON object")
            continue
        own = str(tweet.get("id") or "")
        if is_stale(own, history(tweet)) or str(tweet.get("author_id") or "") in ours:
            continue
        try:
            out.append((snowflake(own), tweet_item(tweet, users, our_ids=ours, rules=rules)))
        except ItemError as exc:
            errors.append(f"tweet {own[:30]}: {exc}")
    return out


def in_order(pairs: list[tuple[int, Item]]) -> list[Item]:
    """Each tweet once (search and mentions may both find it), oldest version first, so
    when a batch holds two versions of one tweet the newer one is stored last and wins."""
    unique = {(number, item.external_id): item for number, item in pairs}
    return [unique[key] for key in sorted(unique, key=lambda key: key[0])]


# --- Account Activity (v1.1 shapes) --------------------------------------------------


def v1_text(tweet: dict) -> tuple[str, dict]:
    """The full text and its entities: note tweet, extended tweet, full_text, then text."""
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    extended = tweet.get("extended_tweet") if isinstance(tweet.get("extended_tweet"), dict) else {}
    if note.get("text"):
        return str(note["text"]), note.get("entities") or extended.get("entities") or {}
    if extended.get("full_text"):
        return str(extended["full_text"]), extended.get("entities") or {}
    return str(tweet.get("full_text") or tweet.get("text") or ""), tweet.get("entities") or {}


def v1_tweet_item(tweet: dict, for_user_id: str = "") -> Item:
    own = str(tweet.get("id_str") or "")
    if not own:
        raise ItemError("a tweet needs an id_str")
    chain = v1_chain(tweet)
    user = tweet.get("user") if isinstance(tweet.get("user"), dict) else {}
    text, entities = v1_text(tweet)
    retweeted = tweet.get("retweeted_status")
    if isinstance(retweeted, dict):  # "RT @x: ..." is cut at 140: take the original's text
        full, _entities = v1_text(retweeted)
        who = (retweeted.get("user") or {}).get("screen_name") or ""
        text = f"RT @{who}: {full}" if who else text
    text = unescape(text)
    parent = str(tweet.get("in_reply_to_status_id_str") or "")
    mentioned = {
        str(m.get("id_str"))
        for m in (entities or {}).get("user_mentions") or []
        if isinstance(m, dict) and m.get("id_str")
    }
    if parent:
        kind = Kind.REPLY
    elif for_user_id and for_user_id in mentioned:
        kind = Kind.MENTION
    else:
        kind = Kind.POST
    media = []
    for m in ((tweet.get("extended_entities") or {}).get("media") or entities.get("media") or [])[
        :20
    ]:
        if isinstance(m, dict) and m.get("media_url_https"):
            media.append(
                {
                    "type": str(m.get("type") or "photo"),
                    "url": str(m["media_url_https"]),
                    "external_id": str(m.get("id_str") or ""),
                    "alt": str(m.get("ext_alt_text") or ""),
                }
            )
    edited = len(chain) > 1
    created = v1_time(tweet.get("created_at"))
    username = str(user.get("screen_name") or "")
    return wire.item(
        {
            "external_id": chain[0],
            "event": "edited" if edited else "created",
            "kind": kind,
            "visibility": Visibility.PUBLIC,
            "reply_capability": ReplyCapability.PUBLIC_REPLY,
            "text": text,
            "lang": language(tweet.get("lang")),
            "created_at": created,
            "edited_at": created if edited else None,
            "url": permalink(username, own),
            "author_external_id": str(user.get("id_str") or ""),
            "author_handle": username,
            "author_display_name": user.get("name") or "",
            "author_followers": _count(user.get("followers_count")),
            "author_avatar_url": user.get("profile_image_url_https") or "",
            "author_verified": user.get("verified"),
            # v1.1 has no conversation id: a reply finds its thread through its parent.
            "thread_external_id": "" if parent else chain[0],
            "in_reply_to_external_id": parent,
            "urls": links(text, entities),
            "media": media,
            "metrics": _metrics(tweet, V1_METRICS),
            "raw": {"id": own, "edit_history_tweet_ids": chain, "source": "account_activity"},
        }
    )


def v1_chain(tweet: dict) -> list[str]:
    edits = tweet.get("edit_history") if isinstance(tweet.get("edit_history"), dict) else {}
    chain = [str(i) for i in edits.get("edit_tweet_ids") or [] if i not in (None, "")]
    initial = str(edits.get("initial_tweet_id") or "")
    if initial and (not chain or chain[0] != initial):
        chain.insert(0, initial)
    return chain or [str(tweet.get("id_str") or "")]


def v1_delete_item(event: dict) -> Item:
    status = event.get("status") if isinstance(event.get("status"), dict) else {}
    tweet_id = str(status.get("id_str") or status.get("id") or "")
    if not _ID.fullmatch(tweet_id):
        raise ItemError("a tweet delete event needs status.id")
    return wire.item({"external_id": tweet_id, "event": "deleted"})


def dm_thread(a: str, b: str) -> str:
    """A one-to-one conversation: X names it "<smaller id>-<larger id>"."""
    low, high = sorted((a, b), key=snowflake)
    return f"dm:{low}-{high}"


def dm_item(event: dict, users: dict, for_user_id: str = "") -> Item:
    """A direct message we received (the caller skips those we sent)."""
    create = event.get("message_create") if isinstance(event.get("message_create"), dict) else {}
    sender = str(create.get("sender_id") or "")
    recipient = str((create.get("target") or {}).get("recipient_id") or for_user_id)
    data = create.get("message_data") if isinstance(create.get("message_data"), dict) else {}
    if not event.get("id") or not sender:
        raise ItemError("a direct message needs an id and a sender_id")
    user = users.get(sender) if isinstance(users.get(sender), dict) else {}
    text = str(data.get("text") or "")
    return wire.item(
        {
            "external_id": f"dm:{event['id']}",
            "kind": Kind.DIRECT_MESSAGE,
            "visibility": Visibility.PRIVATE,
            "reply_capability": ReplyCapability.PRIVATE_REPLY,
            "text": text,
            "created_at": wire.epoch(_ms(event.get("created_timestamp"))),
            "author_external_id": sender,
            "author_handle": user.get("screen_name") or "",
            "author_display_name": user.get("name") or "",
            "author_followers": _count(user.get("followers_count")),
            "author_avatar_url": user.get("profile_image_url_https") or "",
            "author_verified": user.get("verified"),
            "thread_external_id": dm_thread(sender, recipient),
            "urls": links(text, data.get("entities")),
            "raw": {"id": str(event["id"]), "source": "account_activity"},
        }
    )


def _ms(value) -> float | None:
    try:
        return float(value) / 1000 if value not in (None, "") else None
    except (TypeError, ValueError):
        raise ItemError(f"not a time in milliseconds: {str(value)[:40]!r}") from None


# --- weighted length ----------------------------------------------------------------------
#
# X counts a post's length with twitter-text's v3 configuration: text is NFC-normalised;
# each URL counts 23 whatever its length; each emoji (a whole sequence: ZWJ families,
# skin tones, flags, keycaps) counts 2; any other code point counts 1 in the ranges
# U+0000-U+10FF (Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai...),
# U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 (spaces, dashes, quotes, primes) and 2
# everywhere else (CJK, Hangul, symbols). The limit is 280.

MAX_WEIGHTED = 280
URL_WEIGHT = 23
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
# A URL: with a scheme, with "www.", or a bare domain on a common top-level domain.
_TLDS = (
    "com|org|net|edu|gov|info|biz|io|co|app|dev|me|tv|ly|es|mx|ar|cl|pe|uy|ve|ec|bo|py|"
    "br|pt|fr|de|it|uk|us|ca|eu|cat|gal|nl|be|ch|at|ie|se|no|dk|fi|pl|ru|jp|cn|in|au"
)
_URL = re.compile(
    r"(?i)(?<![\w@.])(?:https?://[^\s<>\"]+|www\.[^\s<>\"]+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>\"]*)?)"
)
_TRAILING = ".,;:!?)]}'\"¡¿"


def _emoji_start(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2190 <= cp <= 0x21FF
        or 0x25A0 <= cp <= 0x25FF
        or cp in (0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _modifier(cp: int) -> bool:
    """What continues an emoji: variation selectors, skin tones, keycap, tag characters."""
    return cp in (0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _weight(cp: int) -> int:
    return 1 if any(low <= cp <= high for low, high in _LIGHT) else 2


def _weigh(text: str) -> int:
    total, i, n = 0, 0, len(text)
    while i < n:
        cp = ord(text[i])
        if 0x1F1E6 <= cp <= 0x1F1FF and i + 1 < n and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF:
            total, i = total + 2, i + 2  # a flag: two regional indicators
            continue
        keycap = text[i] in "0123456789#*" and "\u20e3" in text[i + 1 : i + 3]
        light_emoji = cp in (0xA9, 0xAE) and text[i + 1 : i + 2] == "\ufe0f"
        if _emoji_start(cp) or keycap or light_emoji:
            j = i + 1
            while j < n:
                nxt = ord(text[j])
                if _modifier(nxt):
                    j += 1
                elif nxt == 0x200D and j + 1 < n and _emoji_start(ord(text[j + 1])):
                    j += 2  # a zero-width joiner and the next emoji of the sequence
                else:
                    break
            total, i = total + 2, j
            continue
        total, i = total + _weight(cp), i + 1
    return total


def weighted_length(text: str) -> int:
    """The length X counts against its 280 limit (see the comment above)."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if not url:
            continue
        total += _weigh(text[pos : match.start()]) + URL_WEIGHT
        pos = match.start() + len(url)
    return total + _weigh(text[pos:])
