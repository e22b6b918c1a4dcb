"""One typed settings object; every field can be overridden by a ``RAG_<NAME>`` variable.

Plain settings switch behaviour (txtai style): no code path reads the environment directly.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _f(default: Any, doc: str, **kw: Any) -> Any:
    return field(default=default, metadata={"doc": doc}, **kw)


class SettingsError(ValueError):
    """One or more settings are invalid; the one-line message names every bad value."""


ENCODERS = ("auto", "onnx", "onnx-int8", "st")
LLMS = ("none", "ollama", "openai", "llamacpp")
# name -> (lowest, exclusive?) for numbers, and the highest where there is one
LOWER = {
    "batch_size": (1, False),
    "top_k": (1, False),
    "candidates": (1, False),
    "rrf_k": (1, False),
    "max_question_chars": (1, False),
    "max_history_items": (0, False),
    "max_history_chars": (0, False),
    "max_file_mb": (0, True),
    "llm_timeout": (0, True),
    "coverage_weight": (0, False),
    "port": (0, False),
}
UPPER = {"port": 65535, "top_k": 1000, "candidates": 10000}


@dataclass(frozen=True)
class Settings:
    home: Path = _f(Path(".rag"), "Where the index, manifest and caches live (RAG_HOME).")
    corpus_dir: Path = _f(REPO_ROOT / "corpus", "The bundled corpus: essay, digests, profiles, claims.")
    user_dir: Path | None = _f(None, "Folder of user-added documents; default <home>/documents.")
    collection: str = _f("counterpoint", "Chroma collection name.")
    chroma_url: str | None = _f(None, "Use a Chroma server at this URL instead of the embedded store.")
    encoder: str = _f(
        "auto", "Encoder: auto (ONNX if exported, else sentence-transformers), onnx, onnx-int8, st."
    )
    batch_size: int = _f(32, "Embedding batch size (length-sorted batches).")
    top_k: int = _f(3, "Passages shown per side (essay, literature).")
    candidates: int = _f(20, "Candidates per retriever before fusion.")
    rrf_k: int = _f(60, "Reciprocal-rank-fusion constant.")
    min_relevance: float = _f(
        0.37, "Abstain when relevance (best dense cosine, less the coverage penalty) is below this."
    )
    coverage_weight: float = _f(
        0.3, "Relevance penalty per unit share of question words absent from the corpus."
    )
    max_question_chars: int = _f(
        2000, "Longest question accepted (and longest earlier question in a history)."
    )
    max_history_items: int = _f(20, "Most earlier questions accepted in a history.")
    max_history_chars: int = _f(
        20000, "Most characters of earlier questions accepted in a history, in total."
    )
    max_file_mb: float = _f(50.0, "Largest document accepted by ingestion, in MB.")
    llm: str = _f("none", "Synthesis backend: none | ollama | openai | llamacpp.")
    llm_model: str = _f("", "Model name for the LLM backend.")
    llm_base_url: str = _f("", "Base URL of the LLM server.")
    llm_timeout: float = _f(60.0, "Seconds before the LLM call gives up and the extractive answer is used.")
    gguf_path: str = _f("", "Path to a GGUF file for llamacpp.")
    host: str = _f("127.0.0.1", "Web app host; anything else exposes the app beyond loopback.")
    port: int = _f(7860, "Web app port.")
    auth: str = _f("", "Optional basic auth for the web app as user:password.")
    read_only: bool = _f(False, "Web app: refuse uploads and removals, so the web index cannot change.")

    @property
    def documents_dir(self) -> Path:
        return self.user_dir or (self.home / "documents")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then RAG_* variables, then keyword overrides; every value is validated and all
        bad ones are reported together in one SettingsError."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        errors: list[str] = []
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                try:
                    values[f.name] = _convert(f, raw)
                except ValueError as exc:
                    errors.append(str(exc))
        types = {f.name: str(f.type) for f in dataclasses.fields(cls)}
        for k, v in overrides.items():
            if v is None:
                continue
            if k not in types:
                raise TypeError(f"unknown setting {k!r}")
            values[k] = Path(v) if "Path" in types[k] and isinstance(v, str) else v
        settings = cls(**dict(values.items()))
        errors += [
            e
            for e in settings.problems()
            if e.split("=")[0].split(":")[0] not in {x.split("=")[0].split(":")[0] for x in errors}
        ]
        if errors:
            raise SettingsError("invalid settings: " + "; ".join(errors))
        return settings

    def problems(self) -> list[str]:
        """Each bad value, as 'RAG_NAME=value: what is wrong' (empty when all are fine)."""
        out: list[str] = []
        for name, (low, exclusive) in LOWER.items():
            v = getattr(self, name)
            if exclusive and not v > low:
                out.append(f"RAG_{name.upper()}={v!r}: must be more than {low}")
            elif not exclusive and v < low:
                out.append(f"RAG_{name.upper()}={v!r}: must be at least {low}")
            elif name in UPPER and v > UPPER[name]:
                out.append(f"RAG_{name.upper()}={v!r}: must be at most {UPPER[name]}")
        if (self.encoder or "").lower() not in ENCODERS:
            out.append(f"RAG_ENCODER={self.encoder!r}: must be one of {', '.join(ENCODERS)}")
        if (self.llm or "none").strip().lower() not in LLMS:
            out.append(f"RAG_LLM={self.llm!r}: must be one of {', '.join(LLMS)}")
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            out.append(f"RAG_CHROMA_URL={self.chroma_url!r}: must be an http:// or https:// URL")
        if self.auth and (":" not in self.auth or not all(self.auth.partition(":")[::2])):
            out.append("RAG_AUTH: must be user:password")  # never echo a secret
        if not str(self.home).strip():
            out.append("RAG_HOME: must not be empty")
        return out

    def describe(self) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(self)}


def _convert(f: dataclasses.Field, raw: str) -> Any:
    typ = str(f.type)
    name = f"RAG_{f.name.upper()}"
    if "Path" in typ:
        return Path(raw)
    if typ == "int":
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError(f"{name}={raw!r}: not a whole number") from None
    if typ == "float":
        try:
            v = float(raw.strip())
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            raise ValueError(f"{name}={raw!r}: not a number")
        return v
    if typ == "bool":
        return raw.lower() in {"1", "true", "yes", "on"}
    return raw
