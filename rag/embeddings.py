"""The encoder factory: ``RAG_ENCODER`` (auto | onnx | onnx-int8 | st) picks the English encoder.

auto and onnx use the lean ONNX encoder (onnxruntime + tokenizers, no torch) when an exported
model exists under ``RAG_HOME``, else sentence-transformers; both give the same unit vectors of
the packaged all-MiniLM-L6-v2. ``get_encoder("multilingual")`` gives the USE encoder. An unknown
name raises ``SettingsError`` rather than silently choosing another encoder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .encoders import (
    DIM,
    MODEL_NAME,
    Encoder,
    EncoderBase,
    SentenceTransformerEmbeddings,
    as_encoder,
    length_sorted_batches,
    model_path,
)
from .settings import ENCODERS, SettingsError

__all__ = [
    "DIM",
    "MODEL_NAME",
    "Encoder",
    "EncoderBase",
    "SentenceTransformerEmbeddings",
    "as_encoder",
    "get_embeddings",
    "get_encoder",
    "length_sorted_batches",
    "model_path",
]
log = logging.getLogger(__name__)
KINDS = (*ENCODERS, "multilingual")


def get_encoder(kind: str, settings: Any = None, progress: Any = None) -> Any:
    """The encoder named ``kind`` (one of ``KINDS``); ``settings`` gives the home and batch size."""
    choice = (kind or "auto").strip().lower()
    if choice not in KINDS:
        raise SettingsError(f"invalid settings: RAG_ENCODER={kind!r}: must be one of {', '.join(ENCODERS)}")
    batch = getattr(settings, "batch_size", 32)
    home = Path(getattr(settings, "home", Path(".rag")))
    if choice == "multilingual":
        from .multilingual import MultilingualEncoder

        return MultilingualEncoder()
    if choice == "st":
        return SentenceTransformerEmbeddings(batch_size=batch, progress=progress)
    try:
        from .onnx_encoder import OnnxEmbeddings, onnx_model_file
    except ImportError as exc:  # onnxruntime missing: degrade gracefully
        log.warning("ONNX encoder unavailable (%s); using sentence-transformers", exc)
        return SentenceTransformerEmbeddings(batch_size=batch, progress=progress)
    if choice == "onnx-int8":  # other vectors than fp32: no silent fallback (FileNotFoundError)
        return OnnxEmbeddings(home, batch_size=batch, progress=progress, quantized=True)
    if onnx_model_file(home).exists():
        return OnnxEmbeddings(home, batch_size=batch, progress=progress)
    if choice != "auto":
        log.warning("no ONNX model under %s; falling back to sentence-transformers", home)
    return SentenceTransformerEmbeddings(batch_size=batch, progress=progress)


def get_embeddings(settings: Any = None, progress: Any = None) -> Any:
    """The English encoder chosen by ``settings.encoder`` (default auto)."""
    return get_encoder(getattr(settings, "encoder", "auto"), settings, progress)
