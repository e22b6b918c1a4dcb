"""Stage 2: the index. Chroma (cosine) for vectors, BM25 for words, a passage store as the truth.

Commit order makes indexing crash-safe and idempotent:
1. embed and add only new passage ids to the Chroma collections in force (ids are content
   hashes); a rebuild (``fresh=True``) instead fills new collections (a new generation);
2. atomically replace the passage store, then the manifest, which names store and collections;
3. only then delete stale vectors, or drop the previous generation's collections.
A crash before step 2 leaves the previous store and collections in force; vectors not in the
store are ignored by every query, and collections no manifest names are dropped by the next sync.
So readers in other processes never see an empty index while a rebuild runs.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .encoders import as_encoder
from .lexical import BM25Index, tokenize
from .manifest import INDEX_VERSION, MANIFEST, PREV_MANIFEST, DocEntry, Manifest, read_manifest, read_previous
from .manifest import write_manifest as _write_manifest
from .models import Passage
from .passage_store import StoreDamage, drop_other_stores, read_store, write_store
from .settings import Settings

__all__ = ["INDEX_VERSION", "MANIFEST", "PREV_MANIFEST", "Index", "SyncStats"]

log = logging.getLogger(__name__)
CHROMA_BATCH = 2000
SIDES = ("essay", "literature")
COLLECTION_META = {"hnsw:space": "cosine"}
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SyncStats:
    added: int
    removed: int
    kept: int
    embedded: int

    def __str__(self) -> str:
        return f"{self.added} added, {self.removed} removed, {self.kept} unchanged ({self.embedded} embedded)"


def make_client(settings: Settings) -> Any:
    """Factory seam: embedded Chroma by default, a Chroma server when RAG_CHROMA_URL is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        u = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1",
            port=u.port or 8000,
            ssl=u.scheme == "https",
            settings=chroma_settings,
        )
    path = settings.home / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def collection_name(settings: Settings, side: str, generation: str = "") -> str:
    """One collection per side (a metadata filter makes Chroma scan: 220 ms vs 1 ms at 50k chunks);
    generation "" is the original name, kept by indexes that were never rebuilt."""
    return f"{settings.collection}-{generation + '-' if generation else ''}{side}"


def generation_names(settings: Settings, generation: str = "") -> dict[str, str]:
    return {side: collection_name(settings, side, generation) for side in SIDES}


def _ours(settings: Settings) -> re.Pattern[str]:
    """Names of this index's collections, of any generation (others on a server are left alone)."""
    return re.compile(rf"{re.escape(settings.collection)}-(?:[0-9a-f]{{8}}-)?(?:{'|'.join(SIDES)})")


class Index:
    """Passages by id, dense search per side, BM25 per side. Thread-safe for readers."""

    def __init__(self, settings: Settings, embeddings: Any):
        self.settings = settings
        self.embeddings = as_encoder(embeddings)
        self.home = Path(settings.home)
        self.home.mkdir(parents=True, exist_ok=True)
        self._client: Any = None
        self._col: dict[str, Any] = {}
        self._counts: dict = {}
        self._lock = threading.RLock()
        self.passages: dict[str, Passage] = {}
        self.manifest = Manifest()
        self.damage: list[str] = []
        self.damaged_manifest: dict | None = None
        self._bm25: dict[str, BM25Index] = {}
        self._seen: tuple = ()
        self.reload()

    # -- state -----------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    @property
    def names(self) -> dict[str, str]:
        """The Chroma collection of each side in force."""
        return self._names

    def _collection(self, name: str) -> Any:
        """A raw Chroma collection, for queries with our own vectors (no embedding function:
        Chroma's default one would download a model)."""
        if name not in self._col:
            self._col[name] = self.client.get_or_create_collection(
                name, metadata=COLLECTION_META, embedding_function=None
            )
        return self._col[name]

    def collection(self, side: str) -> Any:
        return self._collection(self._names[side])

    def reload(self) -> None:
        """Read the committed state: the manifest names the passage store it goes with.

        Damage (an empty, truncated, ``null`` or ``[]`` manifest, a missing manifest beside index
        files, a truncated or missing store) never raises: it is listed in ``self.damage``, the
        index opens empty, and the store (``rag.store.Store.ensure``) repairs it.
        """
        read = read_manifest(self.home)
        damage, raw, manifest, passages = list(read.damage), read.raw, read.manifest, {}
        if manifest.committed:
            try:
                passages = read_store(self.home / manifest.store, manifest.count)
            except StoreDamage as exc:
                damage.append(str(exc))
                raw, manifest = manifest.to_dict(), Manifest()
        if damage:
            log.warning("index at %s is damaged: %s; it will be repaired", self.home, "; ".join(damage))
        with self._lock:
            self.manifest, self.damage, self.damaged_manifest = manifest, damage, raw
            self._names = self._names_in_force(raw)
            self.passages = passages
            self._bm25 = {}
            self._seen = self._stamp()

    def _names_in_force(self, raw: Any) -> dict[str, str]:
        """The manifest's collections; for a damaged one, those its JSON (or the commit before)
        names when they hold vectors of this model, so a repair reuses them; else the originals."""
        if self.manifest.committed:
            names = dict(self.manifest.collections)
        else:
            prev = read_previous(self.home)
            candidates = [raw if isinstance(raw, dict) else {}, prev.to_dict() if prev else {}]
            usable = [c for c in candidates if c.get("model") == self.embeddings.name]
            names = next(
                (dict(c["collections"]) for c in usable if isinstance(c.get("collections"), dict)), {}
            )
        base = generation_names(self.settings)
        return {s: str(names.get(s) or base[s]) for s in SIDES}

    def previous_manifest(self) -> Manifest | None:
        return read_previous(self.home)

    def vector_counts(self) -> dict[str, int]:
        """Vectors per side in Chroma (to compare with the store: a lost database shows here)."""
        return {side: self.collection(side).count() for side in SIDES}

    def _stamp(self) -> tuple:
        try:
            st = (self.home / MANIFEST).stat()
            return (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            return ()

    def refresh_if_changed(self) -> bool:
        """Pick up a commit made by another process (say `rag add` while the web app runs).

        Embedded Chroma caches segments per process, so the client is rebuilt as well.
        """
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        with self._lock:
            if stamp == self._seen:
                return False
            if self._client is not None and not self.settings.chroma_url:
                from chromadb.api.shared_system_client import SharedSystemClient

                ident = str(self.home / "chroma")  # Chroma's cache key for a persistent client
                SharedSystemClient._identifier_to_system.pop(ident, None)
                SharedSystemClient._identifier_to_refcount.pop(ident, None)
                self._client = None
            self._col = {}
            self.reload()
            return True

    def bm25(self, side: str) -> BM25Index:
        with self._lock:
            if side not in self._bm25:
                items = [p for p in self.passages.values() if p.side == side]
                self._bm25[side] = BM25Index(
                    [p.id for p in items], [tokenize(p.embed_text or p.text) for p in items]
                )
            return self._bm25[side]

    def count(self, side: str | None = None) -> int:
        if side is None:
            return len(self.passages)
        if self._counts.get("_of") is not self.passages:  # recount once per committed state
            self._counts = {
                "_of": self.passages,
                **{s: sum(1 for p in self.passages.values() if p.side == s) for s in SIDES},
            }
        return self._counts[side]

    def get(self, pid: str) -> Passage:
        return self.passages[pid]

    # -- writing ---------------------------------------------------------------
    def sync(
        self,
        passages: Sequence[Passage],
        fingerprint: str = "",
        progress: Progress | None = None,
        documents: Iterable[DocEntry] = (),
        vectors: Mapping[str, Sequence[float]] | None = None,
        fresh: bool = False,
    ) -> SyncStats:
        """Make the index hold exactly ``passages``; embed only ids it has never seen.

        ``fresh`` builds new collections (every passage embedded again) and switches to them in
        the same commit as the store: what ``rag index --rebuild`` and a model change do.
        ``vectors`` supplies precomputed embeddings (benchmarks, imports) so they are not recomputed.
        """
        with self._lock:
            wanted = {p.id: p for p in passages}
            old_names = self._names
            names = generation_names(self.settings, secrets.token_hex(4)) if fresh else old_names
            present = {side: set(self._side_ids(names[side])) for side in SIDES}
            to_add = [p for pid, p in wanted.items() if pid not in present[p.side]]
            embedded = self._add(names, to_add, progress, vectors)
            manifest = Manifest(
                version=INDEX_VERSION,
                model=self.embeddings.name,
                fingerprint=fingerprint,
                store=write_store(self.home, wanted.values()),
                count=len(wanted),
                sides={s: sum(1 for p in wanted.values() if p.side == s) for s in SIDES},
                documents=tuple(documents),
                collections=names if names != generation_names(self.settings) else {},
            )
            _write_manifest(self.home, manifest, previous=self.manifest)
            drop_other_stores(self.home, manifest.store)
            old = set(self.passages)
            self._install(manifest, wanted, names)
            if not fresh:
                self._delete_stale(names, present, wanted)
            self._drop_orphans()
            kept = set() if fresh else set(wanted) & old  # a rebuild adds every passage anew
            return SyncStats(
                added=len(wanted) - len(kept),
                removed=len(old - set(wanted)),
                kept=len(kept),
                embedded=embedded,
            )

    def _install(self, manifest: Manifest, passages: dict[str, Passage], names: dict[str, str]) -> None:
        self.passages, self.manifest, self._names = passages, manifest, names
        self.damage, self.damaged_manifest = [], None
        self._bm25 = {}
        self._seen = self._stamp()

    def _add(
        self,
        names: dict[str, str],
        to_add: list[Passage],
        progress: Progress | None,
        vectors: Mapping[str, Sequence[float]] | None,
    ) -> int:
        """Upsert ``to_add`` into the collections ``names``; -> how many texts were embedded."""
        done = embedded = 0
        for side in SIDES:
            items = [p for p in to_add if p.side == side]
            for i in range(0, len(items), CHROMA_BATCH):
                batch = items[i : i + CHROMA_BATCH]
                texts = [p.embed_text or p.text for p in batch]
                if vectors is not None and all(p.id in vectors for p in batch):
                    embs = [[float(x) for x in vectors[p.id]] for p in batch]
                else:
                    report = (
                        (lambda d, t, off=done: progress("embedding", off + d, len(to_add)))
                        if progress
                        else None
                    )
                    embs = self.embeddings.encode(texts, progress=report).tolist()
                    embedded += len(batch)
                self._collection(names[side]).upsert(
                    ids=[p.id for p in batch],
                    embeddings=embs,
                    metadatas=[{"side": p.side, "source": p.source, "kind": p.kind} for p in batch],
                    documents=texts,
                )
                done += len(batch)
        return embedded

    def _delete_stale(
        self, names: dict[str, str], present: dict[str, set[str]], wanted: dict[str, Passage]
    ) -> None:
        for side in SIDES:
            stale = [pid for pid in present[side] if pid not in wanted or wanted[pid].side != side]
            for i in range(0, len(stale), CHROMA_BATCH):
                self._collection(names[side]).delete(ids=stale[i : i + CHROMA_BATCH])

    def _drop_orphans(self) -> None:
        """Drop this index's collections that the manifest does not name: the previous generation
        after a rebuild, or a half-built one a killed rebuild left. Writers hold the home lock."""
        ours, keep = _ours(self.settings), set(self._names.values())
        try:
            listed = self.client.list_collections()
        except Exception as exc:  # collecting is tidying: never fail a commit for it
            log.warning("cannot list Chroma collections (%s)", exc)
            return
        for c in listed:
            name = c if isinstance(c, str) else c.name
            if ours.fullmatch(name) and name not in keep:
                try:
                    self.client.delete_collection(name)
                except Exception as exc:
                    log.warning("cannot drop the old collection %s (%s)", name, exc)
                self._col.pop(name, None)

    def _chroma_ids(self) -> list[str]:
        return [pid for side in SIDES for pid in self._side_ids(self._names[side])]

    def _side_ids(self, name: str) -> list[str]:
        col = self._collection(name)
        ids: list[str] = []
        total = col.count()
        for off in range(0, total, 10000):
            ids.extend(col.get(include=[], limit=10000, offset=off)["ids"])
        return ids

    # -- reading ---------------------------------------------------------------
    def dense(self, vector: Sequence[float], side: str, k: int) -> list[tuple[str, float]]:
        """(id, cosine similarity), best first; ids outside the committed store are skipped.

        A collection dropped by another process's rebuild between our reading its manifest and
        this query means a new commit: pick it up and ask again."""
        n = self.count(side)
        if n == 0 or k <= 0:
            return []
        query = {"query_embeddings": [list(map(float, vector))], "n_results": min(n, k + 8)}
        try:
            res = self.collection(side).query(**query, include=["distances"])
        except Exception:
            if not self.refresh_if_changed():
                raise
            return self.dense(vector, side, k)
        out = [
            (pid, 1.0 - float(d))
            for pid, d in zip(res["ids"][0], res["distances"][0])
            if pid in self.passages
        ]
        return out[:k]

    def lexical(self, tokens: Iterable[str], side: str, k: int) -> list[tuple[str, float]]:
        return self.bm25(side).search(tokens, k)
