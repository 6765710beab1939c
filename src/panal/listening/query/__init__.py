"""The listening query language: parse, lint and match Boolean queries (docs/query.md).

    from panal.listening.query import Doc, Matcher, Query, QueryError, lint

    q = Query('(ceibo OR "ceibo fibra") AND (lento OR caída) NOT lang:pt')
    q.matches(Doc(text="Ceibo Fibra anda lentísimo", lang="es"))   # False: lentisimo ≠ lento
    str(q)                                                           # the normalised form
    Matcher([(1, q), (2, "reembols* OR refund*")]).match(doc)        # [ids of matches]

Pure Python, no database: topics, the pipeline stage and the inbox search build on it.
"""

from __future__ import annotations

from .doc import Doc, tokenize
from .evaluate import compile_test
from .lexer import QueryError
from .lint import LintWarning, lint
from .matcher import Matcher, key_frequencies
from .nodes import Node
from .parser import parse

__all__ = [
    "Doc",
    "LintWarning",
    "Matcher",
    "Node",
    "Query",
    "QueryError",
    "key_frequencies",
    "lint",
    "parse",
    "tokenize",
]


class Query:
    """A parsed query, ready to evaluate. Raises QueryError when `text` is not a query."""

    __slots__ = ("root", "test", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.root: Node = parse(text)
        self.test = compile_test(self.root)

    def matches(self, doc: Doc) -> bool:
        return self.test(doc)

    def lint(self) -> list[LintWarning]:
        return lint(self.text)

    @property
    def normalised(self) -> str:
        return str(self.root)

    def __str__(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"Query({self.text!r})"
