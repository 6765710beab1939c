"""Cut a query into tokens, each with its 1-based column (docs/query.md).

Operators are upper-case words (`AND`, `OR`, `NOT`, `NEAR/n`); a lower-case `and` is a
word to search for (the linter points it out). A term is any run of characters up to a
space, a parenthesis or a quote; `name:value` is a field filter when `name` is one of
`FIELDS`; a phrase is quoted with `"` (or typographic quotes) and may end in `~n`.
Messages and hints are translated into the active language when an error is raised.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

FIELDS = ("author", "lang", "channel", "country", "url", "sentiment", "intent", "brand")
MAX_QUERY_CHARS = 4000
OPEN_QUOTES = '"\u201c\u201e'  # " “ „
CLOSE_QUOTES = '"\u201d\u201c'  # " ” “
_DELIMITERS = set("()") | set(OPEN_QUOTES) | set(CLOSE_QUOTES)
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_NEAR_RE = re.compile(r"NEAR/(\d+)")


class QueryError(ValueError):
    """A query that cannot be used: where (1-based column), what, and how to fix it."""

    def __init__(self, column: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        text = _("error at column %(column)d: %(message)s")
        return text % {"column": self.column, "message": self.message} + hint

    def as_dict(self) -> dict:
        return {"column": self.column, "message": self.message, "hint": self.hint}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # LPAREN RPAREN AND OR NOT NEAR TERM PHRASE FIELD EOF
    column: int
    text: str = ""  # TERM: the raw run; PHRASE: inside the quotes; FIELD: the value
    name: str = ""  # FIELD: the field's name, lower case
    number: int | None = None  # NEAR: the distance; PHRASE: the ~n, if any
    quoted: bool = False  # FIELD: the value was quoted


def tokens(query: str) -> list[Token]:
    """The query's tokens, ending with EOF. Raises QueryError."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            MAX_QUERY_CHARS + 1,
            _("the query is longer than %(n)s characters")
            % {"n": number_format(MAX_QUERY_CHARS, force_grouping=True)},
            _("split it into several queries"),
        )
    out: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        col = i + 1
        if ch.isspace():
            i += 1
        elif ch == "(":
            out.append(Token("LPAREN", col))
            i += 1
        elif ch == ")":
            out.append(Token("RPAREN", col))
            i += 1
        elif ch in OPEN_QUOTES or ch in CLOSE_QUOTES:
            text, i = _quoted(query, i)
            slop, i = _slop(query, i)
            out.append(Token("PHRASE", col, text, number=slop))
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _DELIMITERS:
                i += 1
            out.append(_word(query, start, query[start:i]))
            if out[-1].kind == "FIELD" and not out[-1].text:
                # `author:"Laura Muñoz"`: the value is the phrase that follows.
                if i < n and query[i] in OPEN_QUOTES:
                    value, i = _quoted(query, i)
                    out[-1] = Token("FIELD", col, value, name=out[-1].name, quoted=True)
                else:
                    name = out[-1].name
                    raise QueryError(
                        col,
                        _("%(name)s: needs a value") % {"name": name},
                        _("write it right after, e.g. %(example)s") % {"example": _example(name)},
                    )
    out.append(Token("EOF", n + 1))
    return out


def _quoted(query: str, i: int) -> tuple[str, int]:
    """The text between the quote at `i` and its closing quote; the index after it."""
    end = next((j for j in range(i + 1, len(query)) if query[j] in CLOSE_QUOTES), -1)
    if end < 0:
        raise QueryError(i + 1, _("this quote is never closed"), _('close the phrase with "'))
    return query[i + 1 : end], end + 1


def _slop(query: str, i: int) -> tuple[int | None, int]:
    if i >= len(query) or query[i] != "~":
        return None, i
    j = i + 1
    while j < len(query) and query[j].isascii() and query[j].isdigit():
        j += 1
    if j == i + 1:
        raise QueryError(i + 1, _("~ needs a number of words after it"), _('e.g. "bad service"~5'))
    return int(query[i + 1 : j][:6]), j


def _word(query: str, start: int, run: str) -> Token:
    col = start + 1
    if run in ("AND", "OR", "NOT"):
        return Token(run, col)
    if run.startswith("NEAR"):
        near = _NEAR_RE.fullmatch(run)
        if near is None:
            raise QueryError(
                col,
                _("%(word)s is not an operator") % {"word": repr(run)},
                _("write NEAR/n, e.g. NEAR/3"),
            )
        return Token("NEAR", col, number=int(near.group(1)[:6]))
    field = _FIELD_RE.fullmatch(run)
    if field is not None:
        name, value = field.group(1).lower(), field.group(2)
        if name in FIELDS:
            return Token("FIELD", col, value, name=name)
        nxt = start + len(run)
        if value or (nxt < len(query) and query[nxt] in OPEN_QUOTES):
            raise QueryError(
                col,
                _("unknown field %(field)s:") % {"field": field.group(1)},
                _field_hint(name, value),
            )
    return Token("TERM", col, run)


def _field_hint(name: str, value: str) -> str:
    close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
    if close:
        return _("did you mean %(suggestion)s?") % {"suggestion": f"{close[0]}:"}
    if value.startswith("//"):
        return _("to find a link write url:example.com; to find the words, quote them")
    known = ", ".join(f"{f}:" for f in FIELDS)
    return _("known fields: %(fields)s; quote the text to search it") % {"fields": known}


def _example(name: str) -> str:
    return {
        "author": "author:ceibo",
        "lang": "lang:es",
        "channel": "channel:x",
        "country": "country:mx",
        "url": "url:example.com",
        "sentiment": "sentiment:negative",
        "intent": "intent:complaint",
        "brand": "brand:fibra",
    }[name]
