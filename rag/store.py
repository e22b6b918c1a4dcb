"""The store's lifecycle: when the index is synced, rebuilt or repaired, and the commit itself.

One writer at a time (``HomeLock``), re-reading what other writers committed before changing
anything. A rebuild (``rag index --rebuild``, another model, an older layout) fills new Chroma
collections and switches to them in one commit (``Index.sync(fresh=True)``), so readers never see
an empty index and a kill leaves the previous one. Damage found on open is repaired from what
can be rebuilt: the bundled corpus and the stored user documents (content-addressed and
self-describing); ``check`` reports the state without changing anything.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .corpus import Corpus, Document, corpus_files, fingerprint, load_corpus
from .docstore import load_stored
from .index import INDEX_VERSION, Index, SyncStats
from .lock import HomeLock
from .manifest import PREV_MANIFEST, DocEntry, entries_of
from .multilingual import VectorTable
from .settings import Settings
from .vectors import DerivedVectors

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


def entry_for(doc: Document, file: str) -> DocEntry:
    """The manifest row of a stored user document."""
    return DocEntry(doc.id, doc.title, doc.kind, doc.side, len(doc.passages), file, doc.meta.get("file", ""))


class Store:
    def __init__(self, settings: Settings, index: Index, vectors: DerivedVectors):
        self.settings, self.index, self.vectors = settings, index, vectors
        self.embeddings: Any = index.embeddings
        self.lock = HomeLock(settings.home)  # one writer at a time across processes
        self.mutex = threading.RLock()  # and across threads of this process
        self.repairs: list[str] = []  # what the last ensure() repaired
        self._corpus: tuple[str, Corpus] | None = None

    # -- what is committed -----------------------------------------------------
    @property
    def documents_dir(self) -> Path:
        return self.settings.documents_dir

    @property
    def corpus(self) -> Corpus:
        """The bundled corpus, reloaded when a commit (here or elsewhere) records other files."""
        with self.mutex:
            key = self.index.manifest.fingerprint
            if self._corpus is None or self._corpus[0] != key:
                self._corpus = (key, load_corpus(self.settings.corpus_dir))
            return self._corpus[1]

    def fingerprint(self) -> str:
        return fingerprint(corpus_files(self.settings.corpus_dir))

    def stored(self, entry: DocEntry) -> Document:
        return load_stored(self.documents_dir / entry.file)

    def present(self, entries: Iterable[DocEntry]) -> list[DocEntry]:
        """Entries whose stored file exists (a lost file is reported, never a crash)."""
        out = []
        for e in entries:
            if (self.documents_dir / e.file).is_file():
                out.append(e)
            else:
                log.warning("stored document %s of %s is missing; dropped from the index", e.file, e.id)
        return out

    def refresh(self) -> bool:
        """Pick up what another process committed (under the writer lock before changing anything)."""
        return self.index.refresh_if_changed()

    # -- deciding --------------------------------------------------------------
    def _fresh_needed(self) -> bool:
        """Vectors of another model must not be mixed with ours; an older layout is rebuilt."""
        man = self.index.manifest
        return man.committed and (man.model != self.embeddings.name or man.version != INDEX_VERSION)

    def vectors_lost(self) -> bool:
        """Fewer vectors in Chroma than passages in the store (a deleted or emptied database)."""
        if not self.index.count():
            return False
        try:
            have = self.index.vector_counts()
        except Exception as exc:  # an unreadable database: rebuild it
            log.warning("the vector database cannot be read (%s)", exc)
            return True
        return any(have[s] < self.index.count(s) for s in have)

    def _current(self, rebuild: bool) -> bool:
        man = self.index.manifest
        return (
            not rebuild
            and not self._fresh_needed()
            and man.fingerprint == self.fingerprint()
            and bool(self.index.count())
            and not self.vectors_lost()
        )

    # -- writing ---------------------------------------------------------------
    def ensure(
        self, rebuild: bool = False, progress: Progress | None = None, heal: bool = False
    ) -> SyncStats | None:
        """Sync the index with the corpus files when they (or the model) changed; else do nothing.

        ``heal`` (``rag index``) also re-exports a damaged ONNX model when nothing else is to do."""
        with self.mutex:
            if self._current(rebuild):
                if heal:
                    self._heal_encoder()
                return None
            with self.lock.hold():
                self.refresh()  # another writer may have synced while we waited for the lock
                if self._current(rebuild):
                    return None
                self._corpus = None
                entries = self._entries_to_keep()
                stats = self.commit(entries, progress, fresh=rebuild or self._fresh_needed())
                log.info("index synced: %s", stats)
                self.export_encoder(force=bool(self._encoder_failure()))
                return stats

    def _entries_to_keep(self) -> list[DocEntry]:
        """The user documents of the next commit; on a damaged index, recovered (and said)."""
        self.repairs = []
        if self.index.damage:
            entries, source = self.recover_entries()
            self.repairs = self.index.damage + [
                f"rebuilt from the corpus and {len(entries)} stored user document(s) ({source})"
            ]
        else:
            entries = self.present(self.index.manifest.documents)
        if self.vectors_lost():
            self.repairs.append("vectors missing from the Chroma database: re-embedded")
        if self.repairs:
            log.warning("index at %s repaired: %s", self.settings.home, "; ".join(self.repairs))
        return entries

    def commit(
        self, entries: Iterable[DocEntry], progress: Progress | None = None, fresh: bool = False
    ) -> SyncStats:
        """Commit the index for ``entries`` (caller holds the writer lock), then collect stored
        document files that no committed manifest names any more."""
        assert self.lock.held, "commits need the writer lock"
        kept = self.present(entries)
        docs = [self.stored(e) for e in kept]
        passages = self.corpus.passages + [p for d in docs for p in d.passages]
        stats = self.index.sync(
            passages, fingerprint=self.fingerprint(), progress=progress, documents=kept, fresh=fresh
        )
        if self._corpus is not None:  # the corpus just indexed is the one the new fingerprint names
            self._corpus = (self.index.manifest.fingerprint, self._corpus[1])
        self.derive_vectors()  # computed at index time, not on the first question
        self.collect_files()
        return stats

    def derive_vectors(self) -> None:
        """Claim, sentence and multilingual vectors of the committed passages (cached by content)."""
        passages = list(self.index.passages.values())
        self.vectors.claims(self.corpus.claims)
        self.vectors.sentences(passages)
        self.vectors.multilingual(passages, self.corpus.claims)

    def collect_files(self) -> None:
        """Delete stored document files named by no committed manifest, and temp files left by a kill.
        Only ever called under the writer lock, so no other writer is between staging and commit."""
        keep = {e.file for e in self.index.manifest.documents}  # a removed document goes now
        folder = self.documents_dir
        for f in folder.glob("*.json") if folder.exists() else ():
            if f.name not in keep:
                f.unlink(missing_ok=True)
        for d in {folder, self.settings.home}:
            for f in d.glob(".*.tmp") if d.exists() else ():
                f.unlink(missing_ok=True)

    def recover_entries(self) -> tuple[list[DocEntry], str]:
        """The user documents of a damaged index: the damaged manifest's own list when it still has
        one; else every stored document file (self-describing, newest per id), in the order of
        manifest.prev.json. Commits delete the files of removed documents, so the stored files are
        the last committed set, plus any batch a kill left staged (which is then kept, and logged)."""
        raw = self.index.damaged_manifest
        if isinstance(raw, dict) and isinstance(raw.get("documents"), list):
            return self.present(entries_of(raw)), "their list in the manifest"
        prev = self.index.previous_manifest()
        order = {e.id: i for i, e in enumerate(prev.documents if prev else ())}
        newest: dict[str, tuple[float, DocEntry]] = {}
        folder = self.documents_dir
        for f in folder.glob("*.json") if folder.exists() else ():
            try:
                doc = load_stored(f)
            except Exception as exc:  # a damaged stored file: skipped, and said
                log.warning("stored document %s is unreadable (%s); skipped", f.name, exc.__class__.__name__)
                continue
            m = f.stat().st_mtime
            if doc.id not in newest or m > newest[doc.id][0]:
                newest[doc.id] = (m, entry_for(doc, f.name))
        entries = sorted((e for _, e in newest.values()), key=lambda e: (order.get(e.id, len(order)), e.id))
        return entries, f"the stored document files{', ordered by ' + PREV_MANIFEST if order else ''}"

    # -- the ONNX encoder ------------------------------------------------------
    def _encoder_failure(self) -> str | None:
        """Why the ONNX model this process was given cannot be opened (None when fine or unused)."""
        health = getattr(self.embeddings, "health", None)
        if callable(health):
            return health()
        if self.settings.encoder not in {"auto", "onnx"}:
            return None
        try:
            from .onnx_encoder import model_damage
        except ImportError:
            return None
        return model_damage(self.settings.home, load=True)

    def _heal_encoder(self) -> None:
        if self._encoder_failure():
            self.repairs = (
                ["the ONNX model was damaged: re-exported"] if self.export_encoder(force=True) else []
            )

    def export_encoder(self, force: bool = False) -> bool:
        """Export the lean ONNX query encoder next to the index (needs torch; done at index time)."""
        if self.settings.encoder not in {"auto", "onnx"}:
            return False
        try:
            from .onnx_encoder import ensure_exported
        except ImportError:
            return False
        try:
            return ensure_exported(self.settings.home, force=force)
        except Exception as exc:  # export is an optimisation: never fail indexing for it
            log.warning("ONNX export failed (%s); queries will use sentence-transformers", exc)
            return False

    # -- checking --------------------------------------------------------------
    def check(self) -> list[str]:
        """Problems with the committed index, one line each (empty when healthy); changes nothing."""
        problems = list(self.index.damage)
        man = self.index.manifest
        if not man.committed and not problems:
            return ["no index yet (run `rag index`)"]
        problems += [
            f"stored document {e.file} of {e.id} is missing"
            for e in man.documents
            if not (self.documents_dir / e.file).is_file()
        ]
        if man.committed and man.fingerprint != self.fingerprint():
            problems.append("the corpus files changed since indexing")
        if man.committed:
            problems += self._vector_problems()
        for f in self.settings.home.glob("*-*.npz"):
            if VectorTable.load(f) is None:
                problems.append(
                    f"the vector cache {f.name} is damaged (it is recomputed on the next question)"
                )
        failure = self._encoder_failure()
        if failure:
            problems.append(f"{failure}; questions use sentence-transformers until `rag index` re-exports it")
        return problems

    def _vector_problems(self) -> list[str]:
        try:
            have = self.index.vector_counts()
        except Exception as exc:
            return [f"the Chroma database cannot be read ({exc.__class__.__name__})"]
        return [
            f"the Chroma database has {have[s]} {s} vectors; the store has {self.index.count(s)}"
            for s in have
            if have[s] < self.index.count(s)
        ]
