"""Text normalisation for strangers' strings: control characters, HTML, folding."""

import re
import sys
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser

# C0/C1 controls except tab and newline, plus zero-width and bidi override marks that
# are used to disguise text; RTL text itself (Arabic, Hebrew letters) is kept.
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def clean(value: str | None) -> str:
    """NFC, no control characters, single spaces, at most one blank line."""
    if not value:
        return ""
    if value.isascii() and value.isprintable() and "  " not in value and value == value.strip():
        return value  # fast path: nothing to clean
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL_RE.sub("", value)
    value = _SPACES_RE.sub(" ", value)
    value = "\n".join(line.strip() for line in value.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", value).strip()


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "br", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "tr"}
    _SKIP = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Plain text of an HTML fragment (Mastodon content, RSS descriptions)."""
    if not markup:
        return ""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return clean("".join(parser.parts))


# What Latin-script text holds once decomposed: ASCII and the combining diacritics
# (U+034F, the grapheme joiner, is not one: it has no combining class).
_ASCII_AND_ACCENTS = re.compile("[^\x00-\x7f\u0300-\u034e\u0350-\u036f]")


def fold(value: str) -> str:
    """Lower-case, accent-free form used for search (`atención` → `atencion`)."""
    if value.isascii():
        return value.lower()
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:  # other scripts, emoji, combining marks…
        return _fold_unicode(value)
    table, wide = _latin_table()
    if wide.search(raw) is not None:
        return _fold_unicode(value)
    # Spanish, Portuguese, French… text: one byte table, in C (the general path costs
    # tens of microseconds for a tweet holding a single `¿`).
    return raw.translate(table).decode("latin-1")


@lru_cache(maxsize=1)
def _latin_table() -> tuple[bytes, re.Pattern]:
    """(Latin-1 byte → the byte of its folded character, the bytes whose folded form is
    not one Latin-1 character: `ß` → `ss`, `½` → three characters, `µ` → a Greek mu).
    Folding a Latin-1 text character by character gives what `_fold_unicode` gives of
    the whole: casefold and NFKD map each character alone, and Latin-1 holds no
    combining mark to join two."""
    table = bytearray(range(256))
    wide = []
    for byte in range(256):
        folded = _fold_unicode(chr(byte)) if byte > 0x7F else chr(byte).lower()
        if len(folded) == 1 and ord(folded) < 256:
            table[byte] = ord(folded)
        else:
            wide.append(re.escape(bytes([byte])))
    return bytes(table), re.compile(b"[" + b"".join(wide) + b"]")


def _fold_unicode(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    if _ASCII_AND_ACCENTS.search(decomposed) is None:  # the common case, done in C
        return decomposed.encode("ascii", "ignore").decode("ascii")
    return _combining_marks().sub("", decomposed)


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern:
    """Every character with a combining class (what `unicodedata.combining` is true of), as
    one character class: removing them with a regex runs in C, where a loop over the text
    called `combining` character by character. Built once, on first use (about 60 ms)."""
    marks = [c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))]
    ranges: list[list[int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return re.compile(f"[{''.join(parts)}]")


def words(value: str) -> list[str]:
    """Folded word tokens of a text."""
    return _WORD_RE.findall(fold(value))


def canonical_lang(value: str | None) -> str:
    """BCP-47 primary subtag in lower case ('es-MX' → 'es'); '' when absent or malformed."""
    if not value:
        return ""
    primary = str(value).strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else ""
