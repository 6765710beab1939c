"""Many queries compiled together: an index picks the few worth checking (docs/query.md#matcher).

Each query gets a *requirement*: a set of keys (words, hashtags, handles, `field:value`
keys) or word prefixes such that no document without one of them can match it.

- a word, hashtag, handle or field filter requires itself; a wildcard its literal start;
- a phrase requires its rarest pair of consecutive words (with ~n: its rarest word), a
  NEAR the rarer of its sides;
- an AND requires the rarest requirement among its children;
- an OR requires the union of its children's (none if any child has none);
- a NOT, and a `url:` filter, require nothing.

A query that requires nothing (`NOT spam`, `url:ceibo.example`) is checked on every
document. Conversely, a key may be *sufficient*: a word, filter or two-word phrase of an
OR of those makes the query match on its own, with no exact check.

For a document, the matcher looks up its words, field keys, pairs of consecutive words
and (one regex) the wildcard beginnings its words start with, and runs the exact check
of the queries found there and not already sure. The answer is the same as checking
every query one by one (tests/listening/test_query_property.py).

How rare a key is comes from `frequencies` (share of documents holding it, e.g. from
`key_frequencies` over recent mentions) or, without them, from a guess by kind and length.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from .doc import Doc
from .nodes import And, Field, Near, Node, Not, Or, Phrase, Term, Wildcard

# A requirement: keys that must appear, and word beginnings one of the words must have.
# None: nothing is required.


@dataclass(frozen=True, slots=True)
class Requirement:
    keys: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    pairs: frozenset[str] = frozenset()  # "a b": two consecutive words


def key_frequencies(docs: Iterable[Doc]) -> dict[str, float]:
    """The share of `docs` holding each key (word, hashtag, handle, field key)."""
    counts: Counter[str] = Counter()
    total = 0
    for doc in docs:
        total += 1
        counts.update(set(doc.index_keys()))
    return {k: n / total for k, n in counts.items()} if total else {}


class _Rarity:
    def __init__(self, frequencies: Mapping[str, float] | None) -> None:
        self.known = frequencies

    def key(self, key: str) -> float:
        if self.known is not None:
            return self.known.get(key, 0.0) + 1e-6  # never seen: rare, but not free
        if ":" in key:
            return 0.01 if key.startswith("author:") else 0.3
        return 0.5 / (1 + len(key)) if key[0] not in "#@" else 0.02

    def prefix(self, prefix: str) -> float:
        if self.known is not None:
            return sum(f for k, f in self.known.items() if k.startswith(prefix)) + 1e-6
        return 2.0 / (1 + len(prefix))

    def pair(self, pair: str) -> float:
        if self.known is not None:
            return self.known.get(pair, 0.0) + 1e-6
        return 0.2 * min(map(self.key, pair.split(" ")))

    def of(self, req: Requirement) -> float:
        return (
            sum(map(self.key, req.keys))
            + sum(map(self.prefix, req.prefixes))
            + sum(map(self.pair, req.pairs))
        )


def requirement(node: Node, rarity: _Rarity) -> Requirement | None:
    if isinstance(node, Term):
        return Requirement(keys=frozenset([node.value]))
    if isinstance(node, Wildcard):
        return Requirement(prefixes=frozenset([node.prefix]))
    if isinstance(node, Phrase):
        if node.slop is None:
            bare = [w.lstrip("#") for w in node.words]
            pairs = [f"{a} {b}" for a, b in pairwise(bare)]
            return Requirement(pairs=frozenset([min(pairs, key=rarity.pair)]))
        return Requirement(keys=frozenset([min(node.words, key=rarity.key)]))
    if isinstance(node, Field):
        if node.name == "url":
            return None
        return Requirement(keys=frozenset([f"{node.name}:{node.value}"]))
    if isinstance(node, Not):
        return None
    if isinstance(node, Near | And):
        children = (node.left, node.right) if isinstance(node, Near) else node.children
        options = [r for r in (requirement(c, rarity) for c in children) if r is not None]
        return min(options, key=rarity.of) if options else None
    if isinstance(node, Or):
        keys: set[str] = set()
        prefixes: set[str] = set()
        pairs: set[str] = set()
        for child in node.children:
            req = requirement(child, rarity)
            if req is None:
                return None
            keys |= req.keys
            prefixes |= req.prefixes
            pairs |= req.pairs
        return Requirement(frozenset(keys), frozenset(prefixes), frozenset(pairs))
    raise TypeError(f"no requirement for {type(node).__name__}")  # pragma: no cover


def sufficient(node: Node) -> frozenset[str]:
    """Keys whose presence alone makes the node match: a word, filter or two-word phrase
    of an OR of those (a pair of words is written "a b", a key never has a space)."""
    if isinstance(node, Term):
        return frozenset([node.value])
    if isinstance(node, Field) and node.name != "url":
        return frozenset([f"{node.name}:{node.value}"])
    if (
        isinstance(node, Phrase)
        and node.slop is None
        and len(node.words) == 2
        and not any(w.startswith("#") for w in node.words)
    ):
        return frozenset([" ".join(node.words)])
    if isinstance(node, Or):
        return frozenset().union(*(sufficient(c) for c in node.children))
    return frozenset()


class Matcher:
    """`Matcher([(id, query), …]).match(doc)` → the ids of the queries `doc` matches, in the
    order they were given. Queries may be `Query` objects or strings (parsed here; a bad
    one raises QueryError)."""

    def __init__(
        self,
        queries: Iterable[tuple[Hashable, object]],
        *,
        frequencies: Mapping[str, float] | None = None,
    ) -> None:
        from . import Query  # the package's Query, which imports this module

        rarity = _Rarity(frequencies)
        self.ids: list[Hashable] = []
        self.tests = []
        self.always: list[int] = []
        self.by_key: dict[str, list[int]] = {}
        self.by_prefix: dict[str, list[int]] = {}
        self.by_pair: dict[str, list[int]] = {}
        self.sure: dict[str, list[int]] = {}  # key → queries it alone makes match
        self.sure_pairs: dict[str, list[int]] = {}
        for index, (query_id, query) in enumerate(queries):
            q = query if isinstance(query, Query) else Query(str(query))
            self.ids.append(query_id)
            self.tests.append(q.test)
            for key in sufficient(q.root):
                (self.sure_pairs if " " in key and ":" not in key else self.sure).setdefault(
                    key, []
                ).append(index)
            req = requirement(q.root, rarity)
            if req is None:
                self.always.append(index)
                continue
            for key in req.keys:
                self.by_key.setdefault(key, []).append(index)
            for prefix in req.prefixes:
                self.by_prefix.setdefault(prefix, []).append(index)
            for pair in req.pairs:
                self.by_pair.setdefault(pair, []).append(index)
        # One regex finds, for each word, the longest wildcard beginning it starts with;
        # that beginning stands for every shorter one it starts with too.
        self.prefix_re = None
        self.by_longest: dict[str, list[int]] = {}
        if self.by_prefix:
            ordered = sorted(self.by_prefix, key=len, reverse=True)
            self.prefix_re = re.compile(r"(?:^|(?<= ))(" + "|".join(map(re.escape, ordered)) + ")")
            for p in ordered:
                self.by_longest[p] = sorted(
                    {i for q in ordered if p.startswith(q) for i in self.by_prefix[q]}
                )

    def __len__(self) -> int:
        return len(self.ids)

    def stats(self) -> dict:
        return {
            "queries": len(self.ids),
            "always_checked": len(self.always),
            "index_keys": len(self.by_key),
            "index_prefixes": len(self.by_prefix),
            "index_pairs": len(self.by_pair),
        }

    def candidates(self, doc: Doc) -> list[int]:
        """Indexes of the queries checked exactly on `doc` (those its words index and
        that no word of it makes match for sure), in order."""
        found, sure = self._found(doc)
        return sorted(found - sure)

    def _found(self, doc: Doc) -> tuple[set[int], set[int]]:
        """(queries to check, queries that match for sure) for `doc`."""
        found = set(self.always)
        sure: set[int] = set()
        by_key, by_sure = self.by_key, self.sure
        for keys in (doc.positions.keys(), doc.fields):
            for key in keys & by_key.keys():
                found.update(by_key[key])
            for key in keys & by_sure.keys():
                sure.update(by_sure[key])
        if self.by_pair or self.sure_pairs:
            pairs = doc.pair_keys()
            for pair in pairs & self.by_pair.keys():
                found.update(self.by_pair[pair])
            for pair in pairs & self.sure_pairs.keys():
                sure.update(self.sure_pairs[pair])
        if doc.author_at:
            found.update(by_key.get(doc.author_at, ()))
            sure.update(by_sure.get(doc.author_at, ()))
        if self.prefix_re is not None:
            by_longest = self.by_longest
            for prefix in set(self.prefix_re.findall(" ".join(doc.positions))):
                found.update(by_longest[prefix])
        return found, sure

    def match(self, doc: Doc) -> list[Hashable]:
        found, sure = self._found(doc)
        tests, ids = self.tests, self.ids
        found -= sure
        hits = sure | {i for i in found if tests[i](doc)}
        return [ids[i] for i in sorted(hits)]
