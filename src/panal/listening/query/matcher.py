"""Many queries compiled together, decided a bit per query at once (docs/query.md#matcher).

A document has *features*: its words, hashtags and handles, its `field:value` keys, its
author's `@handle`, its pairs of consecutive words ("a b") and the wildcard beginnings its
words start with. Each query gets *conditions* on them:

- *needs*: sets of features, one of each the document must hold. A word, hashtag,
  handle or filter needs itself, a wildcard its literal beginning, a phrase each pair of
  consecutive words (with ~n: each word), a NEAR what both sides need, an AND what its
  children need, an OR the union of its children's *requirement* (below; nothing if a
  child requires nothing); a NOT and a `url:` filter need nothing;
- *forbidden*: features the document must hold none of (an AND's `NOT` of a clause);
- *exact*: whether the two say it all. They do for a *clause* (a word, hashtag, handle,
  filter, two-word phrase, word beginning `refund*`, or an OR of those), a `NOT` of one,
  and an AND of those.

A requirement is what one need may hold: a node's own features, for an AND its rarest
child's requirement, for a NEAR its rarer side's, for a phrase its rarest pair (with ~n:
its rarest word). How rare a key is comes from `frequencies` (share of documents holding
it, e.g. from `key_frequencies` over recent mentions) or, without them, from a guess by
kind and length.

Each query's rarest needs (at most `MAX_LAYERS`) and its forbidden features become bits
of one integer per feature; a document's features are ORed together, and a few shifts
and ANDs answer every query at once. Only a query whose conditions hold and do not say
it all (a proximity, a longer phrase, a `?` wildcard, a `url:` filter) is then evaluated
in full. The answer is the same as checking every query one by one
(tests/listening/test_query_property.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from itertools import compress, pairwise
from operator import or_

from .doc import Doc
from .nodes import And, Field, Near, Node, Not, Or, Phrase, Term, Wildcard

MAX_LAYERS = 4  # needs per query held in the bits; a query with more is evaluated in full
LONG_TEXT = 2000  # characters from which a document's pairs are all made rather than searched


@dataclass(frozen=True, slots=True)
class Requirement:
    """Features, one of which a document must hold: keys (words, hashtags, handles,
    field keys), word beginnings and pairs of consecutive words ("a b")."""

    keys: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    pairs: frozenset[str] = frozenset()  # "a b": two consecutive words

    def __or__(self, other: Requirement) -> Requirement:
        return Requirement(
            self.keys | other.keys, self.prefixes | other.prefixes, self.pairs | other.pairs
        )


NOTHING = Requirement()


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
        self.prefixes: dict[str, float] = {}  # each one a sum over every known key

    def key(self, key: str) -> float:
        if self.known is not None:
            return self.known.get(key, 0.0) + 1e-6  # never seen: rare, but not free
        if ":" in key:
            return 0.01 if key.startswith("author:") else 0.3
        return 0.5 / (1 + len(key)) if key[0] not in "#@" else 0.02

    def prefix(self, prefix: str) -> float:
        if self.known is None:
            return 2.0 / (1 + len(prefix))
        if prefix not in self.prefixes:
            found = sum(f for k, f in self.known.items() if k.startswith(prefix))
            self.prefixes[prefix] = found + 1e-6
        return self.prefixes[prefix]

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
    """Features one of which every document the node matches holds (None: no such set)."""
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
        found = NOTHING
        for child in node.children:
            req = requirement(child, rarity)
            if req is None:
                return None
            found |= req
        return found
    raise TypeError(f"no requirement for {type(node).__name__}")  # pragma: no cover


def clause(node: Node) -> Requirement | None:
    """Features one of which a document holds exactly when the node matches it: a word,
    hashtag, handle, field filter (not `url:`), two-word phrase without a hashtag, word
    beginning (`refund*`), or an OR of those. None for any other node."""
    if isinstance(node, Term):
        return Requirement(keys=frozenset([node.value]))
    if isinstance(node, Field):
        return (
            None
            if node.name == "url"
            else Requirement(keys=frozenset([f"{node.name}:{node.value}"]))
        )
    if isinstance(node, Phrase):
        words = node.words
        if node.slop is None and len(words) == 2 and not any(w[0] == "#" for w in words):
            return Requirement(pairs=frozenset([" ".join(words)]))
        return None
    if isinstance(node, Wildcard):
        only_ending = node.pattern == f"{node.prefix}*"
        return Requirement(prefixes=frozenset([node.prefix])) if only_ending else None
    if isinstance(node, Or):
        found = NOTHING
        for child in node.children:
            one = clause(child)
            if one is None:
                return None
            found |= one
        return found
    return None


def conditions(node: Node, rarity: _Rarity) -> tuple[list[Requirement], Requirement, bool]:
    """(needs, forbidden, exact) of a node, as the module's docstring describes them."""
    if (own := clause(node)) is not None:
        return [own], NOTHING, True
    if isinstance(node, Not):
        inner = clause(node.child)
        return ([], inner, True) if inner is not None else ([], NOTHING, False)
    if isinstance(node, And):
        needs: list[Requirement] = []
        forbidden, exact = NOTHING, True
        for child in node.children:
            child_needs, child_forbidden, child_exact = conditions(child, rarity)
            needs += child_needs
            forbidden |= child_forbidden
            exact = exact and child_exact
        return needs, forbidden, exact
    if isinstance(node, Near):
        sides = conditions(node.left, rarity)[0] + conditions(node.right, rarity)[0]
        return sides, NOTHING, False
    if isinstance(node, Phrase):
        if node.slop is None:
            bare = [w.lstrip("#") for w in node.words]
            pairs = [Requirement(pairs=frozenset([f"{a} {b}"])) for a, b in pairwise(bare)]
            return pairs, NOTHING, False
        return [Requirement(keys=frozenset([w])) for w in node.words], NOTHING, False
    req = requirement(node, rarity)  # an OR, a `?` wildcard, a `url:` filter
    return ([req] if req is not None else []), NOTHING, False


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
        self.tests: list = []  # the full test of a query its conditions do not decide
        compiled: list[tuple[list[Requirement], Requirement]] = []
        for query_id, query in queries:
            q = query if isinstance(query, Query) else Query(str(query))
            needs, forbidden, exact = conditions(q.root, rarity)
            needs = sorted(dict.fromkeys(needs), key=rarity.of)  # distinct, rarest first
            if len(needs) > MAX_LAYERS:
                needs, exact = needs[:MAX_LAYERS], False
            self.ids.append(query_id)
            self.tests.append(None if exact else q.test)
            compiled.append((needs, forbidden))
        self._build(compiled)
        self._byte_ids: dict[int, tuple[Hashable, ...]] = {}

    def _build(self, compiled: list[tuple[list[Requirement], Requirement]]) -> None:
        """The bits: query i's j-th need is bit j·n + i of each of its features' integers,
        its forbidden features set bit layers·n + i; `start` sets the bits of the needs a
        query does not have."""
        n = self.size = len(compiled)
        self.layers = max((len(needs) for needs, _ in compiled), default=0)
        self.full = (1 << n) - 1
        self.shifts = [j * n for j in range(self.layers)]
        self.forbid_shift = self.layers * n
        self.inexact = _mask([i for i, test in enumerate(self.tests) if test is not None])
        start: list[int] = []
        keys: dict[str, list[int]] = {}
        prefixes: dict[str, list[int]] = {}
        for i, (needs, forbidden) in enumerate(compiled):
            start += [j * n + i for j in range(len(needs), self.layers)]
            for j, req in enumerate([*needs, *[NOTHING] * (self.layers - len(needs)), forbidden]):
                for key in req.keys | req.pairs:
                    keys.setdefault(key, []).append(j * n + i)
                for prefix in req.prefixes:
                    prefixes.setdefault(prefix, []).append(j * n + i)
        self.start = _mask(start)
        self.always = [i for i, (needs, _) in enumerate(compiled) if not needs]
        self.key_bits = {key: _mask(bits) for key, bits in keys.items()}
        self.keys = frozenset(keys)
        self.prefix_bits = {prefix: _mask(bits) for prefix, bits in prefixes.items()}
        self.authors = any(k.startswith("author:") for k in keys)  # whether to read them
        self._lookups()

    def _lookups(self) -> None:
        """How a document's pairs of words and wildcard beginnings are found."""
        # A pair "a b" is looked for, as " a b ", in `doc.joined` only when both its words
        # are in the document.
        self.pairs: dict[str, list[tuple[str, str, int]]] = {}
        for key, bits in self.key_bits.items():
            if " " in key and ":" not in key:
                first, second = key.split(" ")
                self.pairs.setdefault(first, []).append((second, f" {key} ", bits))
        self.pair_firsts = frozenset(self.pairs)
        # One regex finds, for each word, the longest wildcard beginning it starts with,
        # whose bits stand for every shorter one it starts with too.
        self.prefix_re = None
        self.by_longest: dict[str, int] = {}
        if self.prefix_bits:
            ordered = sorted(self.prefix_bits, key=len, reverse=True)
            self.prefix_re = re.compile(" (" + "|".join(map(re.escape, ordered)) + ")")
            for p in ordered:
                self.by_longest[p] = reduce(
                    or_, (bits for q, bits in self.prefix_bits.items() if p.startswith(q))
                )

    def __len__(self) -> int:
        return len(self.ids)

    def stats(self) -> dict:
        pairs = sum(1 for k in self.keys if " " in k and ":" not in k)
        return {
            "queries": len(self.ids),
            "always_checked": sum(1 for i in self.always if self.tests[i] is not None),
            "decided_by_bits": sum(1 for t in self.tests if t is None),
            "layers": self.layers,
            "index_keys": len(self.keys) - pairs,
            "index_prefixes": len(self.prefix_bits),
            "index_pairs": pairs,
        }

    def candidates(self, doc: Doc) -> list[int]:
        """Indexes of the queries evaluated in full on `doc` (those whose conditions it
        meets and do not say it all), in order."""
        return self._indexes(self._passing(doc) & self.inexact)

    def match(self, doc: Doc) -> list[Hashable]:
        found = self._passing(doc)
        check = found & self.inexact
        if check:
            tests = self.tests
            for i in self._indexes(check):
                if not tests[i](doc):
                    found ^= 1 << i
        return self._ids(found)

    def _passing(self, doc: Doc) -> int:
        """Bits of the queries whose conditions `doc` meets."""
        bits, keys, get = self.start, self.keys, self.key_bits.__getitem__
        bits = reduce(or_, map(get, doc.vocab & keys), bits)
        bits = reduce(or_, map(get, (doc.fields if self.authors else doc.filters) & keys), bits)
        author = doc.author_at
        if author and author in keys and " " not in author:  # a pair has a space
            bits |= get(author)
        vocab = doc.vocab
        firsts = vocab & self.pair_firsts
        if firsts and len(doc.text) + len(doc.title) > LONG_TEXT:  # every pair, once
            bits = reduce(or_, map(get, doc.pair_keys() & keys), bits)
        elif firsts:  # the few pairs whose both words it holds, each one search
            for first in firsts:
                for second, spaced, pair_bits in self.pairs[first]:
                    if second in vocab and spaced in doc.joined:
                        bits |= pair_bits
        if self.prefix_re is not None:
            by_longest = self.by_longest
            for prefix in set(self.prefix_re.findall(doc.words)):
                bits |= by_longest[prefix]
        found = self.full
        for shift in self.shifts:
            found &= bits >> shift
        return found & ~(bits >> self.forbid_shift)

    def _indexes(self, bits: int) -> list[int]:
        """The positions of the set bits, in order."""
        data = bits.to_bytes((self.size + 7) // 8, "little")
        return [
            8 * k + offset for k in compress(range(len(data)), data) for offset in _BITS[data[k]]
        ]

    def _ids(self, bits: int) -> list[Hashable]:
        """The ids of the queries whose bits are set, in order: read a byte at a time,
        each (position, byte) giving a tuple of ids kept once made."""
        data = bits.to_bytes((self.size + 7) // 8, "little")
        cache, out = self._byte_ids, []
        for k in compress(range(len(data)), data):
            key = k << 8 | data[k]
            found = cache.get(key)
            if found is None:
                found = cache[key] = tuple(self.ids[8 * k + o] for o in _BITS[data[k]])
            out += found
        return out


def _mask(positions: list[int]) -> int:
    """The integer with these bits set."""
    data = bytearray((max(positions) >> 3) + 1 if positions else 0)
    for p in positions:
        data[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(data, "little")


_BITS = [tuple(o for o in range(8) if byte >> o & 1) for byte in range(256)]  # set bits
