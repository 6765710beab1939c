"""The document a listening query is evaluated against (docs/query.md#documents).

Queries and documents are cut into words the same way (`tokenize`, on folded text), so
`Atención` in a query and `atencion` in a mention meet as the same word. A word is a run
of letters, digits and `_`; `#tag` is a hashtag and `@handle` (which may hold `.` and
`-` inside, and a `@domain`) a handle, both kept whole with their mark. Everything else
(spaces, punctuation, symbols, emoji) only separates words.

Most mentions (Latin-1 text in NFC; emoji and other symbols allowed) are cut and folded
in one pass over their bytes (`_latin_cut`), which gives what the general path gives
(tests/listening/test_query_doc.py); the rest take the general path.

A `Doc` holds what the evaluation reads, computed once: `vocab` (its distinct words,
hashtags and handles; a hashtag `#reclamo` is also found under the plain word `reclamo`),
`filters` (the `field:value` keys of its language, channel, country, sentiment, intents
and brands), and only when first asked: `fields` (the filters and the author's keys),
`positions` (each word → the word positions where it occurs), `joined` (its words in
order, where a pair of words is searched), `words` and `pair_keys()`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

from panal.core.text import canonical_lang, fold

# A hashtag, a handle or a word: each starts with its own kind of character, so the order of
# the three does not change what is found; words, the commonest, go first.
_TOKEN_RE = re.compile(
    r"\w+"
    r"|(?<![\w#@])#\w+"  # a hashtag: not glued to a word (`a#b` is two words)
    r"|(?<![\w@])@\w+(?:[.\-]\w+)*(?:@\w+(?:[.\-]\w+)*)?"  # a handle, not an e-mail's domain
)
_SPACES_RE = re.compile(r"\s+")
_NOT_LATIN_WORD_RE = re.compile(r"[^\W\x00-\xff]")  # a letter or digit beyond Latin-1
MAX_DISTANCE = 100  # the largest NEAR/n or "phrase"~n accepted (parser.py)
# The title's words and the text's are numbered apart, so no phrase or NEAR joins them.
TITLE_GAP = MAX_DISTANCE + 2


def tokenize(text: str) -> list[str]:
    """Folded words, #hashtags and @handles of a text, in order: the one function that
    cuts both queries and documents."""
    cut = _latin_cut(text)
    if cut is not None:
        return _TOKEN_RE.findall(cut) if "#" in cut or "@" in cut else cut.split()
    return _general_tokens(text)


def _general_tokens(text: str) -> list[str]:
    """`tokenize` for any text: cut first (dropping emoji and punctuation), then fold the
    words alone, so that folding is done in C for Latin-script text."""
    return fold(" ".join(_TOKEN_RE.findall(unicodedata.normalize("NFC", text)))).split()


def _cut_table(keep: str) -> bytes:
    """Byte → byte for Latin-1 text: a letter or digit to its folded form when that is one
    ASCII letter or digit (else to 0x80, which sends the text to the general path), the
    characters of `keep` to themselves, anything else to a space."""
    table = bytearray(b" " * 256)
    for byte in range(256):
        char = chr(byte)
        if char in keep:
            table[byte] = byte
        elif _TOKEN_RE.fullmatch(char):
            folded = fold(char)
            one = len(folded) == 1 and folded.isascii() and _TOKEN_RE.fullmatch(folded)
            table[byte] = ord(folded) if one else 0x80
    return bytes(table)


_CUT = _cut_table("")  # text without # or @: its words are its runs of word characters
_CUT_MARKED = _cut_table("#@.-")  # what the hashtags and handles of _TOKEN_RE are made of


def _latin_cut(text: str) -> str | None:
    """Text whose words fold one letter to one ASCII letter (Latin-1, in NFC, other
    scripts' letters absent; emoji and other symbols allowed), folded in one pass over
    its bytes, and every character that no word, hashtag or handle holds made a space:
    cutting it gives what `_general_tokens` gives. None for any other text."""
    if not text.isascii() and (
        not unicodedata.is_normalized("NFC", text) or _NOT_LATIN_WORD_RE.search(text)
    ):
        return None
    table = _CUT_MARKED if "#" in text or "@" in text else _CUT
    # Beyond Latin-1 only symbols are left: each becomes "?", which the table makes a space.
    cut = text.encode("latin-1", "replace").translate(table)
    return cut.decode("ascii") if cut.isascii() else None


def fold_value(value: Any) -> str:
    """A field value as compared: folded, trimmed, inner spaces collapsed."""
    return _fold_value(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=4096)  # channels, countries, labels, brands and authors recur
def _fold_value(value: str) -> str:
    if value.isascii() and value.isalnum():
        return value.lower()
    return " ".join(fold(value).split())


@dataclass(slots=True)
class Doc:
    text: str = ""
    title: str = ""
    author_handle: str = ""
    author_name: str = ""
    lang: str = ""
    channel: str = ""
    country: str = ""
    urls: tuple[str, ...] = ()
    sentiment: str = ""
    intents: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()  # slugs and names of the mention's brands
    vocab: frozenset[str] = field(init=False, repr=False)  # its distinct words
    filters: frozenset[str] = field(init=False, repr=False)  # `fields` but the author's
    author_at: str = field(init=False, repr=False)  # "@handle" of the author, or ""
    parts: tuple[list[str], ...] = field(init=False, repr=False)  # tokens of title, text
    _fields: frozenset[str] | None = field(init=False, repr=False, default=None)
    _positions: dict[str, list[int]] | None = field(init=False, repr=False, default=None)
    _pairs: frozenset[str] | None = field(init=False, repr=False, default=None)
    _words: str | None = field(init=False, repr=False, default=None)
    _joined: str | None = field(init=False, repr=False, default=None)
    _url_text: str | None = field(init=False, repr=False, default=None)
    _hashtags: bool = field(init=False, repr=False, default=False)  # may hold a #hashtag
    _spans_memo: dict | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        # Only the words are found here; where they are (`positions`) is worked out the
        # first time a phrase or NEAR asks, the author's field keys the first time
        # `fields` is read.
        text = tokenize(self.text) if self.text else []
        if self.title:
            title = tokenize(self.title)
            self.parts = (title, text) if text else (title,)
            vocab = {*title, *text}
        else:
            self.parts = (text,) if text else ()
            vocab = text
        self._hashtags = "#" in self.text or "#" in self.title
        if self._hashtags:
            vocab = {*vocab, *[t[1:] for t in vocab if t[0] == "#"]}
        self.vocab = frozenset(vocab)
        handle = fold_value(self.author_handle).lstrip("@") if self.author_handle else ""
        self.author_at = f"@{handle}" if handle else ""
        self.filters = _field_keys(
            self.lang,
            self.channel,
            self.country,
            self.sentiment,
            tuple(self.intents),
            tuple(self.brands),
        )

    @property
    def fields(self) -> frozenset[str]:
        """The `field:value` keys of its language, channel, country, sentiment, intents,
        brands and author."""
        if self._fields is None:
            handle, name = self.author_at[1:], self.author_name
            if handle or name:
                authors = [f"author:{fold_value(v)}" for v in (handle, name) if v]
                self._fields = self.filters.union([k for k in authors if k[-1] != ":"])
            else:
                self._fields = self.filters
        return self._fields

    @property
    def url_text(self) -> str:
        """The folded URLs, one a line."""
        if self._url_text is None:
            self._url_text = "\n".join([fold(u) for u in self.urls if u]) if self.urls else ""
        return self._url_text

    @property
    def positions(self) -> dict[str, list[int]]:
        """Each word, hashtag and handle → the positions where it occurs (a hashtag also
        under its plain word), the title's numbered apart from the text's."""
        if self._positions is None:
            positions: dict[str, list[int]] = {}
            start = 0
            for tokens in self.parts:
                for i, token in enumerate(tokens, start):
                    found = positions.get(token)
                    if found is None:
                        positions[token] = [i]
                    else:
                        found.append(i)
                if self._hashtags:
                    for i, token in enumerate(tokens, start):
                        if token[0] == "#":
                            positions.setdefault(token[1:], []).append(i)
                start += len(tokens) + TITLE_GAP
            self._positions = positions
        return self._positions

    @property
    def spans_memo(self) -> dict:
        """Where evaluate.py keeps the occurrences it has found in this document."""
        if self._spans_memo is None:
            self._spans_memo = {}
        return self._spans_memo

    @property
    def words(self) -> str:
        """The distinct words (hashtags, handles) joined by spaces, with one space before
        and after: one string a regex or `in` searches in C (a word never holds a space)."""
        if self._words is None:
            self._words = f" {' '.join(self.vocab)} "
        return self._words

    @property
    def joined(self) -> str:
        """Its words in order (hashtags without their #) between single spaces, with one
        before and after, the title's and the text's apart: two consecutive words `a b`
        are there as " a b " (a word never holds a space)."""
        if self._joined is None:
            joined = " " + " \n ".join(map(" ".join, self.parts)) + " "
            self._joined = joined.replace(" #", " ") if self._hashtags else joined
        return self._joined

    def pair_keys(self) -> frozenset[str]:
        """Each two consecutive words as "a b" (hashtags without their #), for indexes."""
        if self._pairs is None:
            pairs: set[str] = set()
            for tokens in self.parts:
                bare = [t.lstrip("#") for t in tokens] if self._hashtags else tokens
                pairs.update(map(" ".join, pairwise(bare)))
            self._pairs = frozenset(pairs)
        return self._pairs

    def index_keys(self) -> Iterable[str]:
        """Everything an index may look up: words, hashtags, handles, field keys."""
        yield from self.vocab
        yield from self.fields
        if self.author_at:
            yield self.author_at

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Doc:
        """From a normalised item or a JSON line (docs/query.md#documents).

        Reads text (or text_html), title, lang, channel, country, url / urls / domain,
        author (a handle or an object with handle / display_name) or author_handle /
        author_display_name, sentiment (a label or {"label"}), intents (labels or
        {"label"} objects) and brand / brands (slugs, names or {"slug", "name"}).
        """
        get = data.get
        text = _text(get("text"))
        if not text and get("text_html"):
            from panal.core.text import html_to_text

            text = html_to_text(_text(get("text_html")))
        handle = _text(get("author_handle"))
        name = _text(get("author_display_name"))
        author = get("author")
        if isinstance(author, str):
            handle = handle or author
        elif author is not None and isinstance(author, Mapping):  # no ABC check for None
            handle = handle or _text(author.get("handle"))
            name = name or _text(author.get("display_name") or author.get("name"))
        urls = [u for u in _labels(get("urls"), "url") if u]
        for key in ("url", "domain"):
            if value := get(key):
                urls.append(_text(value))
        brands, brand = get("brands"), get("brand")
        sentiment = get("sentiment")
        if sentiment.__class__ is not str:  # a label or {"label"}
            sentiment = next(iter(_labels(sentiment, "label")), "")
        return cls(
            text=text,
            title=_text(get("title")),
            author_handle=handle,
            author_name=name,
            lang=_text(get("lang")),
            channel=_text(get("channel")),
            country=_text(get("country")),
            urls=tuple(urls),
            sentiment=sentiment,
            intents=tuple(_labels(get("intents"), "label")),
            brands=(*_labels(brands, "slug", "name"), *_labels(brand, "slug", "name"))
            if brands is not None or brand is not None
            else (),
        )

    @classmethod
    def from_mention(cls, mention: Any, *, understanding: Any = None, country: str = "") -> Doc:
        """From a stored Mention. Its brand is read when `mention.brand_id` is set (load it
        with select_related); sentiment and intents come from `understanding` or
        `mention.understanding` when it exists."""
        if understanding is None:
            from django.core.exceptions import ObjectDoesNotExist

            try:
                understanding = mention.understanding
            except ObjectDoesNotExist:  # not understood yet
                understanding = None
        brand = mention.brand if getattr(mention, "brand_id", None) else None
        return cls(
            text=mention.text,
            title=mention.title,
            author_handle=mention.author_handle,
            author_name=mention.author_display_name,
            lang=mention.lang,
            channel=mention.channel,
            country=country,
            urls=(mention.url, *(u for u in mention.urls or () if isinstance(u, str))),
            sentiment=getattr(understanding, "sentiment", "") or "",
            intents=tuple(_labels(getattr(understanding, "intents", None), "label")),
            brands=(brand.slug, brand.name) if brand is not None else (),
        )


@lru_cache(maxsize=1024)  # mentions share languages, channels, labels and brands
def _field_keys(
    lang: str,
    channel: str,
    country: str,
    sentiment: str,
    intents: tuple[str, ...],
    brands: tuple[str, ...],
) -> frozenset[str]:
    """The `field:value` keys of all but the author."""
    keys = []
    if lang:
        lang = canonical_lang(lang)
        if lang:
            keys.append(f"lang:{lang}")
    for name, value in (("channel", channel), ("country", country), ("sentiment", sentiment)):
        if value:
            keys.append(f"{name}:{fold_value(value)}")
    for name, values in (("intent", intents), ("brand", brands)):
        keys += [f"{name}:{fold_value(v)}" for v in values if v]
    return frozenset(k for k in keys if k[-1] != ":")


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _labels(value: Any, *keys: str) -> list[str]:
    """Strings from a string, a {key: …} object or a list of either."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items[:100]:
        if isinstance(item, Mapping):
            out.extend(_text(item.get(k)) for k in keys if item.get(k))
        else:
            text = _text(item)
            if text:
                out.append(text)
    return out
