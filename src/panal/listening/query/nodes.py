"""The parsed form of a query: a tree of these nodes (docs/query.md).

Every node keeps the 1-based column where it starts in the query, and prints itself in
the normalised form (`str(node)`): upper-case operators written out, folded words,
parentheses only where precedence needs them. Parsing a normalised form gives it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PLAIN_VALUE_RE = re.compile(r"[^\s()\"\u201c\u201d\u201e]+")


@dataclass(frozen=True, slots=True)
class Node:
    column: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Term(Node):
    """A word, a `#hashtag` or an `@handle` (folded, with its mark)."""

    value: str

    def __str__(self) -> str:
        return self.value

    @property
    def kind(self) -> str:
        return {"#": "hashtag", "@": "handle"}.get(self.value[0], "word")


@dataclass(frozen=True, slots=True)
class Wildcard(Node):
    """`refund*` (any ending) or `colo?r` (one character), folded."""

    pattern: str

    def __str__(self) -> str:
        return self.pattern

    @property
    def prefix(self) -> str:
        """The literal beginning, before the first `*` or `?`."""
        return re.split(r"[*?]", self.pattern, maxsplit=1)[0]


@dataclass(frozen=True, slots=True)
class Phrase(Node):
    """Consecutive words, or with `slop` all of them within a window of len + slop words."""

    words: tuple[str, ...]
    slop: int | None = None

    def __str__(self) -> str:
        suffix = f"~{self.slop}" if self.slop is not None else ""
        return f'"{" ".join(self.words)}"{suffix}'


@dataclass(frozen=True, slots=True)
class Field(Node):
    """`name:value`; the value is folded (and, for lang:, the primary language subtag)."""

    name: str
    value: str

    def __str__(self) -> str:
        value = self.value
        if not _PLAIN_VALUE_RE.fullmatch(value):
            value = f'"{value}"'
        return f"{self.name}:{value}"


@dataclass(frozen=True, slots=True)
class Not(Node):
    child: Node

    def __str__(self) -> str:
        return f"NOT {_wrap(self.child, (And, Or))}"


@dataclass(frozen=True, slots=True)
class And(Node):
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(c, (Or,)) for c in self.children)


@dataclass(frozen=True, slots=True)
class Or(Node):
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(str(c) for c in self.children)


@dataclass(frozen=True, slots=True)
class Near(Node):
    """`left NEAR/n right`: at most `distance` words between the two, in either order."""

    left: Node
    right: Node
    distance: int

    def __str__(self) -> str:
        return f"{_wrap(self.left, (Or,))} NEAR/{self.distance} {_wrap(self.right, (Or, Near))}"


ATOMS = (Term, Wildcard, Phrase, Field)
POSITIONAL = (Term, Wildcard, Phrase)  # what NEAR can join (and OR-groups of them)


def _wrap(node: Node, kinds: tuple[type, ...]) -> str:
    return f"({node})" if isinstance(node, kinds) else str(node)


def walk(node: Node):
    """Every node of the tree, depth first, in query order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Not):
            stack.append(current.child)
        elif isinstance(current, And | Or):
            stack.extend(reversed(current.children))
        elif isinstance(current, Near):
            stack.extend((current.right, current.left))


def is_positional(node: Node) -> bool:
    """Whether NEAR can measure distances to it: a word, phrase, wildcard, hashtag or
    handle, a NEAR, or an OR of those."""
    if isinstance(node, Field):
        return False
    if isinstance(node, (*POSITIONAL, Near)):
        return True
    if isinstance(node, Or):
        return all(is_positional(c) for c in node.children)
    return False
