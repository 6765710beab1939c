"""Warnings about queries that parse but probably do not say what was meant (docs/query.md#linter).

`lint(text)` returns warnings with a code, a 1-based column, a message and a hint:

- `short-wildcard`: a wildcard with fewer than 4 letters before `*` or `?` (`re*`);
- `negative-only`: the query matches a mention with none of its words (`NOT spam`);
- `lowercase-operator`: `and`, `or`, `not`, `near` written as words between terms;
- `duplicate-term`: the same word, phrase, wildcard or filter twice;
- `unknown-value`: a `lang:`, `sentiment:`, `intent:` or `channel:` value no mention has.

Messages and hints are in the active language; codes never change. A query that does
not parse raises QueryError, as `parse` does.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .doc import Doc
from .evaluate import compile_test
from .lexer import Token, tokens
from .nodes import ATOMS, Field, Not, Wildcard, walk
from .parser import parse

SHORT_WILDCARD = 4  # letters before * or ? below which a wildcard matches too much
SENTIMENTS = ("negative", "neutral", "positive")
_OPERATOR_WORDS = {"and": "AND", "or": "OR", "not": "NOT", "near": "NEAR/n"}
_BEFORE = {"TERM", "PHRASE", "FIELD", "RPAREN"}
_AFTER = {"TERM", "PHRASE", "FIELD", "LPAREN", "NOT"}


@dataclass(frozen=True, slots=True)
class LintWarning:
    code: str
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        text = _("warning at column %(column)d: %(message)s")
        return text % {"column": self.column, "message": self.message} + hint

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


def lint(text: str) -> list[LintWarning]:
    toks = tokens(text)
    root = parse(text)
    found: list[LintWarning] = []
    found += _lowercase_operators(toks)
    seen: set[tuple[type, str]] = set()
    for node in walk(root):
        if isinstance(node, Wildcard):
            lead = len(node.prefix.lstrip("#"))
            if lead < SHORT_WILDCARD:
                found.append(
                    LintWarning(
                        "short-wildcard",
                        node.column,
                        _("%(pattern)s matches every word starting with %(prefix)s")
                        % {"pattern": node.pattern, "prefix": repr(node.prefix)},
                        _("add letters before the wildcard, e.g. reembols*"),
                    )
                )
        if isinstance(node, ATOMS):
            key = (type(node), str(node))
            if key in seen:
                found.append(
                    LintWarning(
                        "duplicate-term",
                        node.column,
                        _("%(term)s appears more than once") % {"term": node},
                        _("remove the repeated term"),
                    )
                )
            seen.add(key)
        if isinstance(node, Field):
            warning = _field_value(node)
            if warning is not None:
                found.append(warning)
    if compile_test(root)(Doc()):
        first_not = next((n.column for n in walk(root) if isinstance(n, Not)), 1)
        found.append(
            LintWarning(
                "negative-only",
                first_not,
                _("the query matches mentions that hold none of its words: nearly all of them"),
                _("say what to look for too, e.g. ceibo NOT spam"),
            )
        )
    return sorted(found, key=lambda w: (w.column, w.code))


def _lowercase_operators(toks: list[Token]) -> list[LintWarning]:
    out = []
    for i, tok in enumerate(toks):
        if tok.kind != "TERM" or tok.text.lower() not in _OPERATOR_WORDS:
            continue
        word = tok.text.lower()
        before = toks[i - 1].kind if i else "BOF"
        after = toks[i + 1].kind
        if after in _AFTER and (word == "not" or before in _BEFORE):
            op = _OPERATOR_WORDS[word]
            out.append(
                LintWarning(
                    "lowercase-operator",
                    tok.column,
                    _("%(word)s is searched as a word, not used as the operator %(operator)s")
                    % {"word": repr(tok.text), "operator": op},
                    _(
                        'write %(operator)s in capitals to use it as an operator, or "%(word)s" '
                        "to search the word"
                    )
                    % {"word": tok.text, "operator": op},
                )
            )
    return out


def known_values(name: str) -> tuple[str, ...]:
    """The values `name:` can meet in a mention (empty: any value)."""
    if name == "sentiment":
        return SENTIMENTS
    if name == "intent":
        from panal.understanding.intent import LABELS

        return tuple(LABELS)
    if name == "channel":
        from panal.listening.choices import Channel

        return tuple(Channel.values)
    if name == "lang":
        from panal.understanding.language import LANGUAGES, UND

        return (*LANGUAGES, UND)
    return ()


def _field_value(node: Field) -> LintWarning | None:
    known = known_values(node.name)
    if not known or node.value in known:
        return None
    close = difflib.get_close_matches(node.value, known, n=1, cutoff=0.6)
    shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    if close:
        hint = _("did you mean %(suggestion)s?") % {"suggestion": f"{node.name}:{close[0]}"}
    else:
        hint = _("known: %(values)s") % {"values": shown}
    if node.name == "lang":
        message = _("%(value)s is not a language Panal detects (a network may still send it)") % {
            "value": repr(node.value)
        }
    else:
        message = _("no mention has %(filter)s") % {"filter": f"{node.name}:{node.value}"}
    return LintWarning("unknown-value", node.column, message, hint)
