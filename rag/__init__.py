"""Counterpoint: a grounded, two-sided Q&A engine over a contested essay and the literature.

Heavy libraries (torch, sentence-transformers, chromadb, gradio) load only when used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Assistant", "Answer", "Passage", "Claim", "Settings", "GroundingError", "QuestionError"]

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant, QuestionError
    from .models import Answer, Claim, Passage
    from .settings import Settings
    from .verify import GroundingError


def __getattr__(name: str) -> Any:
    if name in {"Assistant", "QuestionError"}:
        from . import assistant

        return getattr(assistant, name)
    if name in {"Answer", "Passage", "Claim"}:
        from . import models

        return getattr(models, name)
    if name == "Settings":
        from .settings import Settings

        return Settings
    if name == "GroundingError":
        from .verify import GroundingError

        return GroundingError
    raise AttributeError(name)
