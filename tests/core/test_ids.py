"""Time-ordered ids, and rows numbered with them."""

from itertools import pairwise

from panal.core.ids import new_id, new_ids, numbered


def test_ids_strictly_increase_within_and_across_calls():
    first = new_ids(5000)  # more than one millisecond's sequence
    assert all(a < b for a, b in pairwise(first))
    assert first[-1] < new_id() < new_ids(1)[0]


def test_numbered_puts_a_new_increasing_id_before_each_row():
    rows = [("a", 1), ("b", 2), ("c", 3)]
    out = numbered(rows)
    assert [row[1:] for row in out] == rows
    ids = [row[0] for row in out]
    assert ids == sorted(set(ids)) and len(ids) == 3
    assert numbered([]) == []
