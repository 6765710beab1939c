"""Parse a query into nodes (docs/query.md#grammar).

    query   := or EOF
    or      := and (OR and)*
    and     := unary ((AND)? unary)*          adjacent terms are joined by AND
    unary   := NOT unary | near
    near    := primary (NEAR/n primary)*
    primary := "(" or ")" | term | "phrase"[~n] | field:value

So NOT binds tighter than AND, and AND tighter than OR. Errors raise QueryError with the
column and a hint, both in the active language. The bounds (length, depth, terms,
wildcard shape, distances) keep any accepted query cheap to evaluate on any document.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from panal.core.text import canonical_lang, fold

from .doc import MAX_DISTANCE, fold_value, tokenize
from .lexer import FIELDS, QueryError, Token, tokens
from .nodes import And, Field, Near, Node, Not, Or, Phrase, Term, Wildcard, is_positional

MAX_DEPTH = 32  # parentheses, NOTs and NEARs nested in one another
MAX_TERMS = 500  # words, phrases, wildcards and field filters in one query
MIN_WILDCARD_PREFIX = 2  # letters before the first * or ?
_WILDCARD_BODY_RE = re.compile(r"[\w*?]+")
_STARTS_UNARY = {"TERM", "PHRASE", "FIELD", "LPAREN", "NOT"}


def parse(query: str) -> Node:
    """The query's tree. Raises QueryError (column, message, hint)."""
    return _Parser(tokens(query)).parse()


class _Parser:
    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                tok.column,
                _("the query is nested more than %(n)d levels deep") % {"n": MAX_DEPTH},
                _("remove some parentheses or split the query"),
            )

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise QueryError(1, _("the query is empty"), _("write a word to look for, e.g. ceibo"))
        node = self.parse_or()
        tok = self.peek()
        if tok.kind == "RPAREN":
            raise _closes_nothing(tok)
        if tok.kind != "EOF":  # pragma: no cover - every other token starts or joins a term
            raise QueryError(tok.column, _("unexpected text"), "")
        return node

    def need_operand(self, op: Token) -> None:
        """After a binary operator: something that can start its right-hand side."""
        if self.peek().kind not in _STARTS_UNARY:
            raise _needs_term_after(op, _("add a term or remove the operator"))

    def parse_or(self) -> Node:
        first = self.parse_and()
        children = [first]
        while self.peek().kind == "OR":
            op = self.next()
            self.need_operand(op)
            children.append(self.parse_and())
        return _flat(Or, children, first.column)

    def parse_and(self) -> Node:
        first = self.parse_unary()
        children = [first]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                op = self.next()
                self.need_operand(op)
            elif kind not in _STARTS_UNARY:
                break
            children.append(self.parse_unary())
        return _flat(And, children, first.column)

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok.kind != "NOT":
            return self.parse_near()
        self.next()
        self.enter(tok)
        if self.peek().kind not in _STARTS_UNARY:
            raise _needs_term_after(tok, _("e.g. %(example)s") % {"example": "NOT spam"})
        child = self.parse_unary()
        self.depth -= 1
        return Not(child, column=tok.column)

    def parse_near(self) -> Node:
        node = self.parse_primary()
        entered = 0
        while self.peek().kind == "NEAR":
            op = self.next()
            self.enter(op)
            entered += 1
            if op.number is None or op.number > MAX_DISTANCE:
                raise QueryError(
                    op.column,
                    _("NEAR/n allows at most %(n)d words") % {"n": MAX_DISTANCE},
                    _("use a smaller n"),
                )
            if self.peek().kind not in _STARTS_UNARY - {"NOT"}:
                example = _("e.g. %(example)s") % {"example": "ceibo NEAR/3 lento"}
                raise _needs_term_after(op, example)
            right = self.parse_primary()
            for side in (node, right):
                if not is_positional(side):
                    raise QueryError(
                        side.column,
                        _("NEAR/n joins words, phrases, wildcards, hashtags or handles"),
                        _("field filters and NOT cannot be near something; join them with AND"),
                    )
            node = Near(node, right, op.number, column=node.column)
        self.depth -= entered
        return node

    def parse_primary(self) -> Node:
        tok = self.next()
        if tok.kind == "LPAREN":
            self.enter(tok)
            if self.peek().kind == "RPAREN":
                raise QueryError(
                    tok.column, _("empty parentheses"), _("put terms inside or remove them")
                )
            node = self.parse_or()
            if self.peek().kind != "RPAREN":
                raise QueryError(
                    tok.column, _("this parenthesis is never closed"), _("close it with )")
                )
            self.next()
            self.depth -= 1
            return node
        if tok.kind in ("TERM", "PHRASE", "FIELD"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QueryError(
                    tok.column,
                    _("the query has more than %(n)d terms") % {"n": MAX_TERMS},
                    _("split it into several queries"),
                )
            if tok.kind == "TERM":
                return _term(tok)
            if tok.kind == "PHRASE":
                return _phrase(tok)
            return _field(tok)
        if tok.kind == "RPAREN":
            raise _closes_nothing(tok)
        if tok.kind == "EOF":
            raise QueryError(tok.column, _("the query ends too early"), _("add a term"))
        raise QueryError(
            tok.column,
            _("%(operator)s needs a term before it") % {"operator": _operator(tok)},
            _("add a term or remove the operator"),
        )


def _operator(tok: Token) -> str:
    return "NEAR/n" if tok.kind == "NEAR" else tok.kind


def _needs_term_after(op: Token, hint: str) -> QueryError:
    message = _("%(operator)s needs a term after it") % {"operator": _operator(op)}
    return QueryError(op.column, message, hint)


def _closes_nothing(tok: Token) -> QueryError:
    return QueryError(
        tok.column, _("this parenthesis closes nothing"), _("remove it or add ( before")
    )


def _flat(kind: type[And] | type[Or], children: list[Node], column: int) -> Node:
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else [child])
    return kind(tuple(flat), column=column)


def _term(tok: Token) -> Node:
    raw = tok.text
    if "*" in raw or "?" in raw:
        return _wildcard(tok)
    words = tokenize(raw)
    if not words:
        raise QueryError(
            tok.column,
            _("%(term)s has no letters or digits to search for") % {"term": repr(raw)},
            _("remove it or quote it"),
        )
    if len(words) == 1:
        return Term(words[0], column=tok.column)
    return Phrase(tuple(words), column=tok.column)  # `e-mail`, `don't`: consecutive words


def _wildcard(tok: Token) -> Node:
    folded = fold(tok.text)
    mark = "#" if folded.startswith("#") else ""
    body = folded[len(mark) :]
    if not _WILDCARD_BODY_RE.fullmatch(body):
        raise QueryError(
            tok.column,
            _("a wildcard term may hold only letters, digits, * and ?"),
            _("e.g. reembols* or colo?r; hashtags may start with #"),
        )
    if body.count("*") > 1:
        raise QueryError(
            tok.column,
            _("use at most one * in a term"),
            _("e.g. %(example)s") % {"example": "reembols*"},
        )
    lead = len(re.split(r"[*?]", body, maxsplit=1)[0])
    if lead < MIN_WILDCARD_PREFIX:
        raise QueryError(
            tok.column + len(mark) + lead,
            _("a wildcard needs at least %(n)d letters before * or ?") % {"n": MIN_WILDCARD_PREFIX},
            _("e.g. refund* — a shorter start would match far too much"),
        )
    return Wildcard(mark + body, column=tok.column)


def _phrase(tok: Token) -> Node:
    words = tokenize(tok.text)
    if not words:
        raise QueryError(
            tok.column, _("empty phrase"), _("write words between the quotes or remove them")
        )
    if tok.number is not None and tok.number > MAX_DISTANCE:
        raise QueryError(
            tok.column,
            _("~n allows at most %(n)d words") % {"n": MAX_DISTANCE},
            _("use a smaller number"),
        )
    if len(words) == 1:
        return Term(words[0], column=tok.column)
    return Phrase(tuple(words), tok.number, column=tok.column)


def _field(tok: Token) -> Node:
    name = tok.name
    assert name in FIELDS
    if name == "lang":
        value = canonical_lang(tok.text)
        if not value:
            raise QueryError(
                tok.column,
                _("%(value)s is not a language code") % {"value": repr(tok.text)},
                _("e.g. %(example)s") % {"example": "lang:es"},
            )
    elif name == "url":
        value = fold(tok.text).strip()
    else:
        value = fold_value(tok.text)
        if name == "author":
            value = value.lstrip("@")
    if not value:
        raise QueryError(
            tok.column,
            _("%(name)s: needs a value") % {"name": name},
            _("e.g. %(example)s") % {"example": f"{name}:…"},
        )
    return Field(name, value, column=tok.column)
