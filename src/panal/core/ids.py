"""Time-ordered 63-bit integer keys.

Layout: 41 bits of milliseconds since 2020-01-01 UTC, 10 bits of node (random
per process), 12 bits of sequence. Keys sort by creation time, fit a signed
BIGINT, and are the FTS rowid on SQLite. Inside one process keys are strictly
increasing; across processes the node bits keep them apart.
"""

import os
import secrets
import threading
import time

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
_NODE_BITS = 10
_SEQ_BITS = 12
_SEQ_MASK = (1 << _SEQ_BITS) - 1

_lock = threading.Lock()
_state = {"ms": 0, "seq": 0, "node": secrets.randbelow(1 << _NODE_BITS), "pid": os.getpid()}


def _reset_after_fork() -> None:
    _state.update(ms=0, seq=0, node=secrets.randbelow(1 << _NODE_BITS), pid=os.getpid())


os.register_at_fork(after_in_child=_reset_after_fork)


def new_id() -> int:
    """Return a new time-ordered id."""
    return new_ids(1)[0]


def new_ids(count: int) -> list[int]:
    """Return `count` strictly increasing time-ordered ids."""
    out: list[int] = []
    with _lock:
        ms = max(int(time.time() * 1000) - EPOCH_MS, _state["ms"])
        seq = _state["seq"] if ms == _state["ms"] else -1
        node = _state["node"]
        for _ in range(count):
            seq += 1
            if seq > _SEQ_MASK:
                ms += 1  # borrow from the future; the clock catches up
                seq = 0
            out.append((ms << (_NODE_BITS + _SEQ_BITS)) | (node << _SEQ_BITS) | seq)
        _state["ms"], _state["seq"] = ms, seq
    return out


def numbered(rows: list[tuple]) -> list[tuple]:
    """The rows, each with a new id put first (in order: time-ordered, strictly increasing)."""
    return [(pk, *row) for pk, row in zip(new_ids(len(rows)), rows, strict=True)]


def id_floor_for_ms(epoch_ms: int) -> int:
    """The smallest id that could have been made at `epoch_ms` (for range scans)."""
    return max(epoch_ms - EPOCH_MS, 0) << (_NODE_BITS + _SEQ_BITS)
