"""The Python API, a façade: the shells (web app, CLI, evaluation) call ``Assistant``; the store
(``store.py``), the document library (``library.py``) and ``answerer.py`` do the work."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .answerer import Answerer
from .docstore import AddReport
from .embeddings import as_encoder, get_embeddings
from .index import Index, SyncStats
from .inputs import QuestionError, check_history, check_question, normalise_text
from .library import Library
from .models import Answer, Claim, Passage
from .policy import AnswerPolicy
from .question import analyze
from .retrieve import HybridRetriever
from .settings import Settings
from .store import Store
from .vectors import DerivedVectors
from .verify import verify

__all__ = ["Assistant", "QuestionError", "normalise_text"]
Progress = Callable[[str, int, int], None]


class Assistant:
    """Two-sided, grounded answers over the essay and the reference corpus; the index is built on
    first use and kept in step with the corpus files."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        corpus_dir: str | Path | None = None,
        home: str | Path | None = None,
        embeddings: Any = None,
        auto_index: bool = True,
        chat_model: Any = None,
        policy: AnswerPolicy | None = None,
    ):
        base = settings or Settings.from_env()
        over = {k: Path(v) for k, v in (("corpus_dir", corpus_dir), ("home", home)) if v is not None}
        self.settings = Settings(**{**base.__dict__, **over}) if over else base
        self.embeddings = as_encoder(embeddings) if embeddings is not None else get_embeddings(self.settings)
        s = self.settings
        self.policy = policy or AnswerPolicy(min_relevance=s.min_relevance, coverage_weight=s.coverage_weight)
        self.vectors = DerivedVectors(s.home, self.embeddings)
        self._chat_model = chat_model  # a LangChain chat model; None = from settings.llm (default none)
        idx = self.index = Index(s, self.embeddings)
        self.store = Store(s, idx, self.vectors)
        self.library = Library(self.store)
        self.retriever = HybridRetriever(idx, self.embeddings, s.candidates, s.rrf_k)
        self.answerer = Answerer(s, idx, self.retriever, self.vectors, lambda: self.corpus, self.policy)
        self.check_index, self.export_encoder = self.store.check, self.store.export_encoder
        self.user_documents, self.remove = self.library.user_documents, self.library.remove
        self.claim_vectors = self.answerer.claim_vectors
        self.check_question = lambda question: check_question(question, s)
        self.check_history = lambda history: check_history(history, s)
        if auto_index:
            self.store.ensure()

    # -- the store, the library and the answerer: one-line delegations --------
    corpus = property(lambda self: self.store.corpus, doc="The bundled corpus (reloaded after a commit).")
    repairs = property(lambda self: self.store.repairs, doc="What the last ensure_index repaired.")
    documents_dir = property(lambda self: self.settings.documents_dir)

    def ensure_index(self, rebuild: bool = False, progress: Progress | None = None) -> SyncStats | None:
        """Sync when the corpus files (or the model) changed, repair damage, re-export a damaged
        ONNX model; a rebuild switches to new collections in one commit."""
        return self.store.ensure(rebuild, progress, heal=True)

    def passages(self) -> list[Passage]:
        """Everything indexed: the bundled corpus plus the user documents in force."""
        return self.corpus.passages + [p for d in self.user_documents() for p in d.passages]

    def documents(self) -> list[dict]:
        """Every indexed document as a dict for the shells (typed rows: ``library.rows()``)."""
        return [r.to_dict() for r in self.library.rows()]

    def add(self, paths: Iterable[str | Path], side: str = "literature", **kw: Any) -> AddReport:
        """Parse, stage and index documents (``Library.add``); one bad file never stops the others."""
        return self.library.add(paths, side, **kw)

    def ask(
        self,
        question: str,
        history: Iterable[str] | None = None,
        *,
        retrieval: str = "hybrid",
        synthesize: bool = True,
    ) -> Answer:
        """``retrieval`` (hybrid | bm25 | dense) exists for ablations and baselines;
        ``synthesize=False`` skips the optional LLM step even when one is configured."""
        q = self.check_question(question)
        hist = self.check_history(history)
        if self.index.refresh_if_changed():
            self._corpus = None  # another process committed: documents may have changed
        qa = analyze(q, hist, self.answerer.lexicon)
        answer = verify(self.answerer.answer(qa, retrieval), self.index.passages.get)
        model = self.chat_model if synthesize else None
        if model is not None and not answer.abstained:
            from .synthesis import synthesize as run_synthesis

            answer = verify(
                run_synthesis(answer, model, timeout=self.settings.llm_timeout), self.index.passages.get
            )
        return answer

    def ask_stream(self, question: str, history: Iterable[str] | None = None) -> Iterator[str | Answer]:
        """The extractive Answer first, then (with an LLM configured) draft text chunks, then the
        verified Answer with its checked synthesis, which replaces the draft."""
        answer = self.ask(question, self.check_history(history), synthesize=False)
        yield answer
        model = self.chat_model
        if model is None or answer.abstained:
            return
        from .synthesis import stream_synthesis

        for item in stream_synthesis(answer, model, timeout=self.settings.llm_timeout):
            yield item if isinstance(item, str) else verify(item, self.index.passages.get)

    @property
    def chat_model(self):
        """The LLM for optional synthesis: given at construction, else built from settings.llm."""
        if self._chat_model is None and self.settings.llm != "none":
            from .llm import get_chat_model

            self._chat_model = get_chat_model(self.settings)
        return self._chat_model

    # -- claims and sources ----------------------------------------------------
    def claims(self, verdict: str | None = None) -> list[Claim]:
        return [c for c in self.corpus.claims if verdict is None or c.verdict == verdict]

    def claim(self, claim_id: str) -> Claim:
        for c in self.corpus.claims:
            if c.id == claim_id:
                return c
        raise KeyError(claim_id)

    def langchain_retriever(self, k: int = 4):
        """A LangChain ``BaseRetriever`` over both sides (documents carry ``side`` in metadata)."""
        from .langchain_retriever import CounterpointRetriever

        return CounterpointRetriever(hybrid=self.retriever, k=k)
