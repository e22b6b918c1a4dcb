"""The factory seam for the optional synthesis LLM: ``settings.llm`` -> a LangChain chat model (or None).

Every backend lives in an optional extra, so the base install never needs an LLM package:

- ``none``      no model; answers stay extractive (the default)
- ``ollama``    ``langchain_ollama.ChatOllama``            (``pip install 'counterpoint-rag[ollama]'``)
- ``openai``    ``langchain_openai.ChatOpenAI`` against any OpenAI-compatible server
                (OpenAI itself, vLLM, llama.cpp's server, LM Studio, Ollama's /v1 ...)
                                                        (``pip install 'counterpoint-rag[openai]'``)
- ``llamacpp``  a GGUF file run in-process by ``llama_cpp``  (``pip install 'counterpoint-rag[llamacpp]'``)

Whatever comes back only ever feeds :func:`rag.synthesis.synthesize`, which checks its output by code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from .settings import Settings

BACKENDS = ("none", "ollama", "openai", "llamacpp")
OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"


class MissingBackendError(ImportError):
    """The package for the chosen LLM backend is not installed; the message says which extra to add."""


def _missing(backend: str, package: str, exc: ImportError) -> MissingBackendError:
    return MissingBackendError(
        f"RAG_LLM={backend} needs the {package!r} package, which is not installed ({exc}). "
        f"Install it with: pip install 'counterpoint-rag[{backend}]'"
    )


def get_chat_model(settings: Settings):
    """Build the chat model named by ``settings.llm``; ``None`` when it is ``none`` (or empty)."""
    backend = (settings.llm or "none").strip().lower()
    if backend == "none":
        return None
    if backend == "ollama":
        return _ollama(settings)
    if backend == "openai":
        return _openai(settings)
    if backend == "llamacpp":
        return _llamacpp(settings)
    raise ValueError(f"unknown LLM backend {settings.llm!r} (RAG_LLM); valid values: {', '.join(BACKENDS)}")


def _require_model(settings: Settings, backend: str) -> str:
    if not settings.llm_model:
        raise ValueError(f"RAG_LLM={backend} needs a model name: set RAG_LLM_MODEL (e.g. llama3.1:8b)")
    return settings.llm_model


def _ollama(settings: Settings):
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise _missing("ollama", "langchain-ollama", exc) from exc
    return ChatOllama(
        model=_require_model(settings, "ollama"),
        base_url=settings.llm_base_url or OLLAMA_DEFAULT_URL,
        temperature=0.0,
        client_kwargs={"timeout": settings.llm_timeout},
    )


def _openai(settings: Settings):
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise _missing("openai", "langchain-openai", exc) from exc
    # A local server (llama.cpp, vLLM, LM Studio) ignores the key, but the client insists on one.
    api_key = os.environ.get("OPENAI_API_KEY") or os.environ.get("RAG_LLM_API_KEY") or "not-needed"
    from pydantic import SecretStr

    kwargs: dict[str, Any] = {}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    return ChatOpenAI(
        model=_require_model(settings, "openai"),
        api_key=SecretStr(api_key),
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0.0,
        **kwargs,
    )


def _llamacpp(settings: Settings):
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise _missing("llamacpp", "llama-cpp-python", exc) from exc
    path = settings.gguf_path
    if not path:
        raise ValueError("RAG_LLM=llamacpp needs RAG_GGUF_PATH, the path to a .gguf model file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"RAG_GGUF_PATH={path!r} does not exist")
    return _llamacpp_chat_class()(model_path=path)


LLAMA_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _llama_messages(messages: list[Any]) -> list[dict[str, str]]:
    from .synthesis import message_text

    return [{"role": LLAMA_ROLES.get(m.type, "user"), "content": message_text(m)} for m in messages]


def _llamacpp_chat_class():
    """A minimal LangChain chat model over ``llama_cpp.Llama`` (invoke and stream), defined lazily."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from pydantic import PrivateAttr

    class ChatLlamaCppLocal(BaseChatModel):
        model_path: str
        n_ctx: int = 8192
        max_tokens: int = 512
        temperature: float = 0.0
        _llama: Any = PrivateAttr(default=None)

        def model_post_init(self, __context: Any) -> None:
            super().model_post_init(__context)
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, verbose=False)

        @property
        def _llm_type(self) -> str:
            return "llama-cpp-local"

        def _complete(self, messages, stop, stream: bool = False) -> Any:
            opts = {"stop": stop, "max_tokens": self.max_tokens, "temperature": self.temperature}
            return self._llama.create_chat_completion(
                messages=_llama_messages(messages), stream=stream, **opts
            )

        def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
            text = self._complete(messages, stop)["choices"][0]["message"].get("content") or ""
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

        def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
            for part in self._complete(messages, stop, stream=True):
                text = part["choices"][0].get("delta", {}).get("content") or ""
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk

    return ChatLlamaCppLocal
