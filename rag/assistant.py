"""The Python API: everything else (web app, CLI, evaluation) is a thin shell over ``Assistant``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from .answerer import Answerer
from .corpus import Corpus, Document, corpus_files, fingerprint, load_corpus
from .docstore import AddReport, load_stored, store_document
from .embeddings import get_embeddings
from .index import INDEX_VERSION, PREV_MANIFEST, Index, SyncStats
from .ingest import IngestError, load_document
from .inputs import QuestionError, check_history, check_question, normalise_text
from .lock import HomeLock
from .models import Answer, Claim, Passage
from .multilingual import VectorTable
from .policy import AnswerPolicy
from .question import analyze
from .retrieve import HybridRetriever
from .settings import Settings
from .vectors import DerivedVectors
from .verify import verify

__all__ = ["Assistant", "QuestionError", "normalise_text"]

log = logging.getLogger(__name__)


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
        self._chat_model = chat_model  # a LangChain chat model; None = from settings.llm (default none)
        self._lock = threading.RLock()
        self.index = Index(self.settings, self.embeddings)
        self._writer = HomeLock(self.settings.home)  # one writer at a time across processes
        self.repairs: list[str] = []  # what the last ensure_index repaired
        self.retriever = HybridRetriever(
            self.index, self.embeddings, self.settings.candidates, self.settings.rrf_k
        )
        self.answerer = Answerer(
            self.settings, self.index, self.retriever, self.vectors, lambda: self.corpus, self.policy
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
        return check_question(question, self.settings)

    def check_history(self, history) -> list[str]:
        return check_history(history, self.settings)

    def derive_vectors(self) -> None:
        """Claim, sentence and multilingual vectors of the committed passages (cached by content)."""
        passages = list(self.index.passages.values())
        self.vectors.claims(self.corpus.claims)
        self.vectors.sentences(passages)
        self.vectors.multilingual(passages, self.corpus.claims)

    def claim_vectors(self) -> tuple[list[str], np.ndarray]:
        return self.answerer.claim_vectors()

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
