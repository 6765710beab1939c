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
and the wildcard beginnings its words start with, and checks the queries found there
and not already sure: first their *clauses* (an AND's words, filters, two-word phrases
and ORs of those: one must appear; NOT of one: none may), as set lookups, then, unless
the clauses say it all, the exact check. The answer is the same as checking
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

    def either(self, key: str) -> float:
        """How rare a key or (with a space, no ":") a pair of words is."""
        return self.pair(key) if " " in key and ":" not in key else self.key(key)

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


def _clause(node: Node) -> frozenset[str] | None:
    """Keys one of which a document holds exactly when the node matches it: a word,
    hashtag, handle, field filter (not `url:`) or two-word phrase, or an OR of those."""
    if isinstance(node, Term | Field | Phrase):
        return sufficient(node) or None
    if isinstance(node, Or):
        keys: set[str] = set()
        for child in node.children:
            clause = _clause(child)
            if clause is None:
                return None
            keys |= clause
        return frozenset(keys)
    return None


def clauses(node: Node) -> tuple[tuple[frozenset[str], ...], frozenset[str], bool]:
    """(clauses, forbidden, exact): sets of keys a matching document holds one of each,
    and keys it holds none of, from the node or, for an AND, from its children that have
    them (`NOT` a clause forbids its keys); exact when they say it all."""
    clause = _clause(node)
    if clause is not None:
        return (clause,), frozenset(), True
    if isinstance(node, And):
        need: set[frozenset[str]] = set()
        forbid: set[str] = set()
        exact = True
        for child in node.children:
            if isinstance(child, Not) and (clause := _clause(child.child)) is not None:
                forbid |= clause
            elif (clause := _clause(child)) is not None:
                need.add(clause)
            else:
                exact = False
        return tuple(sorted(need, key=len)), frozenset(forbid), exact and bool(need)
    return (), frozenset(), False


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
        self.tests: list = []
        self.clauses: list[tuple[frozenset[str], ...]] = []
        self.forbidden: list[frozenset[str]] = []
        self.clause_pairs = False  # whether a clause holds a pair of words
        self.always: list[int] = []
        self.by_key: dict[str, list[int]] = {}
        self.by_prefix: dict[str, list[int]] = {}
        self.by_pair: dict[str, list[int]] = {}
        self.sure: dict[str, list[int]] = {}  # key → queries it alone makes match
        self.sure_pairs: dict[str, list[int]] = {}
        for index, (query_id, query) in enumerate(queries):
            q = query if isinstance(query, Query) else Query(str(query))
            self.ids.append(query_id)
            # A query's clauses are checked first, as set lookups; its exact test runs
            # only if they hold and do not say everything. The clause the index holds it
            # under is true whenever it is checked; the rarest go first.
            req = requirement(q.root, rarity)
            need, forbid, exact = clauses(q.root)
            if req is not None and not req.prefixes:
                need = tuple(c for c in need if c != req.keys | req.pairs)
            need = tuple(sorted(need, key=lambda c: sum(map(rarity.either, c))))
            self.clauses.append(need)
            self.forbidden.append(forbid)
            self.clause_pairs = self.clause_pairs or any(
                " " in k for c in (*need, forbid) for k in c
            )
            self.tests.append(None if exact else q.test)
            for key in sufficient(q.root):
                (self.sure_pairs if " " in key and ":" not in key else self.sure).setdefault(
                    key, []
                ).append(index)
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
        # With few, each is looked for as " prefix" in `doc.words`.
        self.spaced_prefixes = (
            [(f" {p}", q) for p, q in self.by_prefix.items()] if len(self.by_prefix) <= 16 else []
        )
        self.prefix_re = None
        self.by_longest: dict[str, list[int]] = {}
        if self.by_prefix:
            ordered = sorted(self.by_prefix, key=len, reverse=True)
            self.prefix_re = re.compile(r"(?<= )(" + "|".join(map(re.escape, ordered)) + ")")
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
        for keys in (doc.vocab, doc.fields):
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
        if self.spaced_prefixes:  # few: one substring search each
            words = doc.words
            for spaced, queries in self.spaced_prefixes:
                if spaced in words:
                    found.update(queries)
        elif self.prefix_re is not None:
            by_longest = self.by_longest
            for prefix in set(self.prefix_re.findall(doc.words)):
                found.update(by_longest[prefix])
        return found, sure

    def match(self, doc: Doc) -> list[Hashable]:
        found, sure = self._found(doc)
        found -= sure
        if found:
            tests, all_clauses, forbidden = self.tests, self.clauses, self.forbidden
            # Every key the document holds: a word has no ":" nor space and starts with
            # "@" only if a handle, a pair has a space and no ":", a field key a ":" —
            # no key stands for another. The author's handle is a key only without a
            # space (as every handle in a query is), so it never passes for a pair.
            author = doc.author_at if " " not in doc.author_at else ""
            have = doc.vocab.union(
                doc.fields, (author,), doc.pair_keys() if self.clause_pairs else ()
            )  # ("" for no author: no clause holds "")
            for i in found:
                for clause in all_clauses[i]:
                    if clause.isdisjoint(have):
                        break
                else:
                    if not forbidden[i].isdisjoint(have):
                        continue
                    test = tests[i]
                    if test is None or test(doc):
                        sure.add(i)
        ids = self.ids
        return [ids[i] for i in sorted(sure)]
