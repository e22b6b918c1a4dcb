"""One typed settings object; every field can be overridden by a ``RAG_<NAME>`` variable.

Plain settings switch behaviour (txtai style): no code path reads the environment directly.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _f(default: Any, doc: str, **kw: Any) -> Any:
    return field(default=default, metadata={"doc": doc}, **kw)


@dataclass(frozen=True)
class Settings:
    home: Path = _f(Path(".rag"), "Where the index, manifest and caches live (RAG_HOME).")
    corpus_dir: Path = _f(REPO_ROOT / "corpus", "The bundled corpus: essay, digests, profiles, claims.")
    user_dir: Path | None = _f(None, "Folder of user-added documents; default <home>/documents.")
    collection: str = _f("counterpoint", "Chroma collection name.")
    chroma_url: str | None = _f(None, "Use a Chroma server at this URL instead of the embedded store.")
    encoder: str = _f("auto", "Encoder: auto (ONNX if exported, else sentence-transformers), onnx, onnx-int8, st.")
    batch_size: int = _f(32, "Embedding batch size (length-sorted batches).")
    top_k: int = _f(3, "Passages shown per side (essay, literature).")
    candidates: int = _f(20, "Candidates per retriever before fusion.")
    rrf_k: int = _f(60, "Reciprocal-rank-fusion constant.")
    min_relevance: float = _f(0.37, "Abstain when relevance (best dense cosine, less the coverage penalty) is below this.")
    coverage_weight: float = _f(0.3, "Relevance penalty per unit share of question words absent from the corpus.")
    max_question_chars: int = _f(2000, "Longest question accepted (and longest earlier question in a history).")
    max_history_items: int = _f(20, "Most earlier questions accepted in a history.")
    max_history_chars: int = _f(20000, "Most characters of earlier questions accepted in a history, in total.")
    max_file_mb: float = _f(50.0, "Largest document accepted by ingestion, in MB.")
    llm: str = _f("none", "Synthesis backend: none | ollama | openai | llamacpp.")
    llm_model: str = _f("", "Model name for the LLM backend.")
    llm_base_url: str = _f("", "Base URL of the LLM server.")
    llm_timeout: float = _f(60.0, "Seconds before the LLM call gives up and the extractive answer is used.")
    gguf_path: str = _f("", "Path to a GGUF file for llamacpp.")
    host: str = _f("127.0.0.1", "Web app host; anything else exposes the app beyond loopback.")
    port: int = _f(7860, "Web app port.")
    auth: str = _f("", "Optional basic auth for the web app as user:password.")

    @property
    def documents_dir(self) -> Path:
        return self.user_dir or (self.home / "documents")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then RAG_* variables, then keyword overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f, raw)
        types = {f.name: str(f.type) for f in dataclasses.fields(cls)}
        for k, v in overrides.items():
            if v is None:
                continue
            if k not in types:
                raise TypeError(f"unknown setting {k!r}")
            values[k] = Path(v) if "Path" in types[k] and isinstance(v, str) else v
        return cls(**values)

    def describe(self) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(self)}


def _convert(f: dataclasses.Field, raw: str) -> Any:
    typ = str(f.type)
    try:
        if "Path" in typ:
            return Path(raw)
        if typ == "int":
            return int(raw)
        if typ == "float":
            return float(raw)
        if typ == "bool":
            return raw.lower() in {"1", "true", "yes", "on"}
    except ValueError as exc:
        raise ValueError(f"RAG_{f.name.upper()}={raw!r} is not a valid {typ}") from exc
    return raw
