"""Counterpoint: a grounded, two-sided Q&A engine over a contested essay and the literature.

Heavy libraries (torch, sentence-transformers, chromadb, gradio) load only when used.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Zero network (issue 15): set before any library is loaded; a user's explicit value wins.
# onnxruntime (1.2x+ on Linux too) starts a 1DS telemetry client that resolves
# mobile.events.data.microsoft.com about 10 s after the first session; it reads
# ORT_DISABLE_TELEMETRY when the library loads (``ort.disable_telemetry_events()`` does not stop it).
# Chroma's posthog, Gradio's analytics and the Hugging Face hub are switched off the same way.
OFFLINE_ENV = {
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",  # no fork warnings from the tokenizers' thread pool
}
for _k, _v in OFFLINE_ENV.items():
    os.environ.setdefault(_k, _v)

__version__ = "0.1.0"
__all__ = ["Answer", "Assistant", "Claim", "GroundingError", "Passage", "QuestionError", "Settings"]

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
