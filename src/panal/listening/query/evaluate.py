"""Compile a query's tree into plain functions of a Doc (docs/query.md#matching).

`compile_test(node)` gives `doc -> bool`. Positional nodes (words, hashtags, handles,
wildcards, phrases, NEAR and OR-groups of them) also compile, through `compile_spans`,
into `doc -> [(first, last)]`, the word positions of each occurrence, which NEAR uses.

Every function does work bounded by the document's size: a wildcard is tried on the
document's distinct words (never expanded), a NEAR looks only at the occurrences of one
side within `distance` words of the other (found by bisection). A NEAR inside another
NEAR hands on at most `MAX_SPANS` occurrences, the first ones in the document: only a
document repeating the same words thousands of times reaches that. The occurrences of a
node are kept in the document (`Doc.spans_memo`, keyed by the node's normalised form), so
the queries of a Matcher that share a word or an OR-group find them once.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable

from .doc import Doc
from .nodes import And, Field, Near, Node, Not, Or, Phrase, Term, Wildcard

Test = Callable[[Doc], bool]
Spans = Callable[[Doc], list[tuple[int, int]]]

# Rough relative cost of checking each kind of node, to try cheap checks first in an AND.
MAX_SPANS = 20_000
_COST = {Field: 1, Term: 1, Phrase: 4, Wildcard: 6, Near: 10, Not: 2}


def cost(node: Node) -> float:
    if isinstance(node, And | Or):
        return sum(cost(c) for c in node.children)
    if isinstance(node, Not):
        return 1 + cost(node.child)
    if isinstance(node, Near):
        return _COST[Near] + cost(node.left) + cost(node.right)
    return _COST.get(type(node), 5)


def compile_test(node: Node) -> Test:
    if isinstance(node, Term):
        return _term_test(node)
    if isinstance(node, Field):
        return _field_test(node)
    if isinstance(node, Wildcard):
        return _wildcard_test(node)
    if isinstance(node, Phrase):
        return _phrase_test(node)
    if isinstance(node, Near):
        return _near_test(node)
    if isinstance(node, Not):
        inner = compile_test(node.child)
        return lambda doc: not inner(doc)
    if isinstance(node, And | Or):
        return _group(node)
    raise TypeError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover


def _group(node: And | Or) -> Test:
    """An AND or OR: its plain words and field filters checked together as one set
    operation (done in C), then the other children, cheapest first."""
    every = isinstance(node, And)
    words = {c.value for c in node.children if isinstance(c, Term) and c.kind != "handle"}
    fields = {
        f"{c.name}:{c.value}" for c in node.children if isinstance(c, Field) and c.name != "url"
    }
    rest = [
        c
        for c in node.children
        if not (isinstance(c, Term) and c.kind != "handle")
        and not (isinstance(c, Field) and c.name != "url")
    ]
    tests: list[Test] = []
    if words:
        word_set = frozenset(words)
        if every:
            tests.append(lambda doc: doc.vocab >= word_set)
        else:
            tests.append(lambda doc: not doc.vocab.isdisjoint(word_set))
    if fields:
        field_set = frozenset(fields)
        if any(k.startswith("author:") for k in fields):
            if every:
                tests.append(lambda doc: doc.fields >= field_set)
            else:
                tests.append(lambda doc: not doc.fields.isdisjoint(field_set))
        elif every:  # `filters`: the fields but the author's, ready without work
            tests.append(lambda doc: doc.filters >= field_set)
        else:
            tests.append(lambda doc: not doc.filters.isdisjoint(field_set))
    tests += [compile_test(c) for c in sorted(rest, key=cost)]
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        if every:
            return lambda doc: first(doc) and second(doc)
        return lambda doc: first(doc) or second(doc)

    def all_of(doc: Doc) -> bool:  # a plain loop: faster than all() over a generator
        for test in tests:  # noqa: SIM110 - see above
            if not test(doc):
                return False
        return True

    def any_of(doc: Doc) -> bool:
        for test in tests:  # noqa: SIM110 - faster than any() over a generator
            if test(doc):
                return True
        return False

    return all_of if every else any_of


def _term_test(node: Term) -> Test:
    key = node.value
    if node.kind == "handle":
        return lambda doc: key in doc.vocab or doc.author_at == key
    return lambda doc: key in doc.vocab


def _field_test(node: Field) -> Test:
    if node.name == "url":
        needle = node.value
        return lambda doc: needle in doc.url_text
    key = f"{node.name}:{node.value}"
    if node.name == "author":
        return lambda doc: key in doc.fields
    return lambda doc: key in doc.filters


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    parts = ["." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.DOTALL)


def _wildcard_keys(node: Wildcard) -> Callable[[Doc], list[str]]:
    """The document's words that the wildcard matches."""
    pattern = node.pattern
    prefix = node.prefix
    spaced = f" {prefix}"  # no word starts so: nothing to look through (doc.words)
    if pattern.endswith("*") and pattern.count("*") == 1 and "?" not in pattern:
        return lambda doc: (
            [k for k in doc.vocab if k.startswith(prefix)] if spaced in doc.words else []
        )
    regex = wildcard_regex(pattern).fullmatch
    return lambda doc: (
        [k for k in doc.vocab if k.startswith(prefix) and regex(k)] if spaced in doc.words else []
    )


def _wildcard_test(node: Wildcard) -> Test:
    """Searched in `doc.words` (one string, every word between spaces): a word beginning
    is a substring test, any other pattern one regex search, both done in C."""
    pattern = node.pattern
    if pattern.endswith("*") and pattern.count("*") == 1 and "?" not in pattern:
        needle = f" {pattern[:-1]}"
        return lambda doc: needle in doc.words
    # Words never hold a space: `*` and `?` stay inside one word.
    parts = ["[^ ]" if ch == "?" else "[^ ]*" if ch == "*" else re.escape(ch) for ch in pattern]
    search = re.compile(" " + "".join(parts) + "(?= )").search
    return lambda doc: search(doc.words) is not None


def compile_spans(node: Node) -> Spans:
    """The node's occurrences in a document, worked out once per document: queries that
    share a word, wildcard or OR of them (`ceibo NEAR/3 …`) share its occurrences."""
    spans, key = _spans(node), str(node)

    def cached(doc: Doc) -> list[tuple[int, int]]:
        memo = doc.spans_memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = spans(doc)
        return found

    return cached


def _spans(node: Node) -> Spans:
    if isinstance(node, Term):
        key = node.value
        return lambda doc: [(p, p) for p in doc.positions[key]] if key in doc.vocab else []
    if isinstance(node, Wildcard):
        keys = _wildcard_keys(node)
        return lambda doc: sorted((p, p) for k in keys(doc) for p in doc.positions[k])
    if isinstance(node, Phrase):
        return _phrase_spans(node)
    if isinstance(node, Or):
        parts = [compile_spans(c) for c in node.children]
        return lambda doc: sorted({s for part in parts for s in part(doc)})
    if isinstance(node, Near):
        return _near(node, first_only=False)  # type: ignore[return-value]
    raise TypeError(f"{type(node).__name__} has no word positions")  # pragma: no cover


def _phrase_test(node: Phrase) -> Test:
    need = frozenset(node.words)
    if node.slop is not None:
        spans = _phrase_spans(node)
        return lambda doc: doc.vocab >= need and bool(spans(doc))
    first, rest = node.words[0], list(enumerate(node.words[1:], 1))

    def test(doc: Doc) -> bool:
        if not doc.vocab >= need:
            return False
        positions = doc.positions
        for start in positions[first]:
            for offset, word in rest:
                if start + offset not in positions[word]:
                    break
            else:
                return True
        return False

    return test


def _phrase_spans(node: Phrase) -> Spans:
    words = node.words
    width = len(words)
    if node.slop is None:
        first, rest = words[0], list(enumerate(words[1:], 1))

        def exact(doc: Doc) -> list[tuple[int, int]]:
            vocab = doc.vocab
            if first not in vocab:
                return []
            for _, word in rest:
                if word not in vocab:
                    return []
            positions = doc.positions
            starts = positions[first]
            found = set(starts)
            for offset, word in rest:
                found &= {p - offset for p in positions[word]}
                if not found:
                    return []
            return sorted((p, p + width - 1) for p in found)

        return exact
    need = Counter(words)
    span = width + node.slop

    def window(doc: Doc) -> list[tuple[int, int]]:
        """The tightest windows holding every word (as often as the phrase has it),
        each spanning at most len + slop positions."""
        vocab = doc.vocab
        if any(w not in vocab for w in need):
            return []
        positions = doc.positions
        hits = sorted((p, w) for w in need for p in positions[w])
        have: Counter[str] = Counter()
        missing = len(need)
        out: list[tuple[int, int]] = []
        left = 0
        for pos, word in hits:
            have[word] += 1
            if have[word] == need[word]:
                missing -= 1
            while missing == 0:
                start, first = hits[left]
                if have[first] > need[first]:
                    have[first] -= 1
                    left += 1
                    continue
                if pos - start + 1 <= span:
                    out.append((start, pos))
                break
        return out

    return window


def _near_test(node: Near) -> Test:
    """A NEAR, after a quick look that each side whose test is a set lookup (a word,
    wildcard or OR of those) occurs at all: without that, it has no occurrence."""
    near = _near(node, first_only=True)
    quick = [compile_test(side) for side in (node.left, node.right) if _plain(side)]
    if not quick:
        return near  # type: ignore[return-value]
    if len(quick) == 1:
        (first,) = quick
        return lambda doc: first(doc) and near(doc)  # type: ignore[return-value]
    first, second = quick
    return lambda doc: first(doc) and second(doc) and near(doc)  # type: ignore[return-value]


def _plain(node: Node) -> bool:
    if isinstance(node, Or):
        return all(isinstance(c, Term | Wildcard) for c in node.children)
    return isinstance(node, Term | Wildcard)


def _near(node: Near, *, first_only: bool) -> Callable[[Doc], object]:
    """Pairs of occurrences, one from each side, not overlapping, with at most `distance`
    words between them; each pair's span is the occurrence of the whole NEAR."""
    left, right, gap = compile_spans(node.left), compile_spans(node.right), node.distance

    def run(doc: Doc) -> object:
        a_spans = left(doc)
        if not a_spans:
            return False if first_only else []
        b_spans = right(doc)
        if not b_spans:
            return False if first_only else []
        if first_only and len(a_spans) * len(b_spans) <= 64:  # few: every pair, no sorting
            for a_start, a_end in a_spans:
                for b_start, b_end in b_spans:
                    if a_end < b_start <= a_end + gap + 1 or a_start - gap - 1 <= b_end < a_start:
                        return True
            return False
        b_by_start = sorted(b_spans)
        starts = [s for s, _ in b_by_start]
        b_by_end = sorted(b_spans, key=lambda s: (s[1], s[0]))
        ends = [e for _, e in b_by_end]
        out: set[tuple[int, int]] = set()
        for a_start, a_end in a_spans:
            # b after a: b starts in (a_end, a_end + gap + 1]
            for i in range(bisect_right(starts, a_end), bisect_right(starts, a_end + gap + 1)):
                b_start, b_end = b_by_start[i]
                if first_only:
                    return True
                out.add((a_start, max(a_end, b_end)))
            # b before a: b ends in [a_start - gap - 1, a_start)
            for i in range(bisect_left(ends, a_start - gap - 1), bisect_left(ends, a_start)):
                b_start, b_end = b_by_end[i]
                if first_only:
                    return True
                out.add((min(a_start, b_start), a_end))
            if len(out) >= MAX_SPANS:
                break
        return False if first_only else sorted(out)[:MAX_SPANS]

    return run
