"""Many queries compiled together: an index picks the few worth checking (docs/query.md#matcher).

Each query gets a *requirement*: a set of keys (words, hashtags, handles, `field:value`
keys) or word prefixes such that no document without one of them can match it.

- a word, hashtag, handle or field filter requires itself; a wildcard its literal start;
- a phrase requires its rarest word, a NEAR the rarer of its sides;
- an AND requires the rarest requirement among its children;
- an OR requires the union of its children's (none if any child has none);
- a NOT, and a `url:` filter, require nothing.

A query that requires nothing (`NOT spam`, `url:ceibo.example`) is checked on every
document. For a document, the matcher looks up each of its keys (and each of its words'
beginnings of the lengths the wildcards need) in the index, and runs the exact check of
the queries found there. The answer is the same as checking every query one by one.

How rare a key is comes from `frequencies` (share of documents holding it, e.g. from
`key_frequencies` over recent mentions) or, without them, from a guess by kind and length.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from .doc import Doc
from .nodes import And, Field, Near, Node, Not, Or, Phrase, Term, Wildcard

# A requirement: keys that must appear, and word beginnings one of the words must have.
# None: nothing is required.


@dataclass(frozen=True, slots=True)
class Requirement:
    keys: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()


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

    def of(self, req: Requirement) -> float:
        return sum(map(self.key, req.keys)) + sum(map(self.prefix, req.prefixes))


def requirement(node: Node, rarity: _Rarity) -> Requirement | None:
    if isinstance(node, Term):
        return Requirement(keys=frozenset([node.value]))
    if isinstance(node, Wildcard):
        return Requirement(prefixes=frozenset([node.prefix]))
    if isinstance(node, Phrase):
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
        for child in node.children:
            req = requirement(child, rarity)
            if req is None:
                return None
            keys |= req.keys
            prefixes |= req.prefixes
        return Requirement(frozenset(keys), frozenset(prefixes))
    raise TypeError(f"no requirement for {type(node).__name__}")  # pragma: no cover


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
        for index, (query_id, query) in enumerate(queries):
            q = query if isinstance(query, Query) else Query(str(query))
            self.ids.append(query_id)
            self.tests.append(q.test)
            req = requirement(q.root, rarity)
            if req is None:
                self.always.append(index)
                continue
            for key in req.keys:
                self.by_key.setdefault(key, []).append(index)
            for prefix in req.prefixes:
                self.by_prefix.setdefault(prefix, []).append(index)
        self.prefix_lengths = sorted({len(p) for p in self.by_prefix})

    def __len__(self) -> int:
        return len(self.ids)

    def stats(self) -> dict:
        return {
            "queries": len(self.ids),
            "always_checked": len(self.always),
            "index_keys": len(self.by_key),
            "index_prefixes": len(self.by_prefix),
        }

    def candidates(self, doc: Doc) -> list[int]:
        """Indexes of the queries worth checking exactly on `doc`, in order."""
        found = set(self.always)
        by_key = self.by_key
        for key in doc.index_keys():
            hit = by_key.get(key)
            if hit:
                found.update(hit)
        if self.prefix_lengths:
            by_prefix = self.by_prefix
            for length in self.prefix_lengths:
                for word in doc.positions:
                    if len(word) >= length:
                        hit = by_prefix.get(word[:length])
                        if hit:
                            found.update(hit)
        return sorted(found)

    def match(self, doc: Doc) -> list[Hashable]:
        tests, ids = self.tests, self.ids
        return [ids[i] for i in self.candidates(doc) if tests[i](doc)]
