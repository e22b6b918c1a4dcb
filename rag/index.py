"""Stage 2: the index. Chroma (cosine) for vectors, BM25 for words, a passage store as the truth.

Commit order makes indexing crash-safe and idempotent:
1. embed and add only new passage ids to Chroma (ids are content hashes);
2. atomically replace the passage store, then the manifest (os.replace);
3. only then delete stale vectors from Chroma.
A crash before step 2 leaves the previous store in force; vectors not in the store are ignored
by every query, and collected on the next sync.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .lexical import BM25Index, tokenize
from .models import Passage
from .settings import Settings

log = logging.getLogger(__name__)
STORE = "passages.jsonl"
MANIFEST = "manifest.json"
PREV_MANIFEST = "manifest.prev.json"  # the commit before: a fallback list of user documents
CHROMA_BATCH = 2000
SIDES = ("essay", "literature")
INDEX_VERSION = 3  # 3: one Chroma collection per side


@dataclass(frozen=True)
class SyncStats:
    added: int
    removed: int
    kept: int
    embedded: int

    def __str__(self) -> str:
        return f"{self.added} added, {self.removed} removed, {self.kept} unchanged ({self.embedded} embedded)"


def atomic_write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


COLLECTION_META = {"hnsw:space": "cosine"}


def make_client(settings: Settings):
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


def collection_name(settings: Settings, side: str) -> str:
    """One collection per side: a metadata filter makes Chroma scan (220 ms vs 1 ms at 50k chunks)."""
    return f"{settings.collection}-{side}"


def make_vectorstore(settings: Settings, embeddings, side: str, client=None):
    """The LangChain vector store used for writes (embedding through our ``Embeddings``)."""
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=collection_name(settings, side),
        embedding_function=embeddings,
        client=client or make_client(settings),
        collection_metadata=COLLECTION_META,
    )


class Index:
    """Passages by id, dense search per side, BM25 per side. Thread-safe for readers."""

    def __init__(self, settings: Settings, embeddings):
        self.settings = settings
        self.embeddings = embeddings
        self.home = Path(settings.home)
        self.home.mkdir(parents=True, exist_ok=True)
        self._vs: dict[str, object] = {}
        self._client = None
        self._col: dict[str, object] = {}
        self._counts: dict = {}
        self._lock = threading.RLock()
        self.passages: dict[str, Passage] = {}
        self.manifest: dict = {}
        self._bm25: dict[str, BM25Index] = {}
        self._seen: tuple = ()
        self.reload()

    # -- state -----------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def vectorstore(self, side: str):
        """langchain-chroma store of one side, for writes; created on first write (its import costs a second)."""
        if side not in self._vs:
            self._vs[side] = make_vectorstore(self.settings, self.embeddings, side, self.client)
        return self._vs[side]

    def collection(self, side: str):
        """The raw Chroma collection of one side, for queries with our own query vector (no
        embedding function: Chroma's default one would download a model)."""
        if side not in self._col:
            self._col[side] = self.client.get_or_create_collection(
                collection_name(self.settings, side), metadata=COLLECTION_META, embedding_function=None
            )
        return self._col[side]

    def reload(self) -> None:
        """Read the committed state: the manifest names the passage store it goes with.

        Damage (an empty, truncated, ``null`` or ``[]`` manifest, a missing manifest beside index
        files, a truncated or missing store) never raises: it is listed in ``self.damage``, the
        index opens empty, and ``Assistant.ensure_index`` repairs it.
        """
        man = self.home / MANIFEST
        passages: dict[str, Passage] = {}
        self.manifest = {}
        self.damage: list[str] = []
        self.damaged_manifest: dict | None = None
        manifest = None
        if man.exists():
            try:
                manifest = json.loads(man.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError, OSError) as exc:
                self.damage.append(f"{MANIFEST} is unreadable ({exc.__class__.__name__}: {str(exc)[:80]})")
            else:
                if (
                    not isinstance(manifest, dict)
                    or not isinstance(manifest.get("store"), str)
                    or not isinstance(manifest.get("count"), int)
                ):
                    self.damage.append(f"{MANIFEST} holds no index (found {json.dumps(manifest)[:40]})")
                    manifest = manifest if isinstance(manifest, dict) else None
                    self.damaged_manifest = manifest
                    manifest = None
        elif any(self.home.glob("passages*.jsonl")) or (self.home / PREV_MANIFEST).exists():
            self.damage.append(f"{MANIFEST} is missing beside an existing index")
        if manifest is not None:
            store = self.home / manifest["store"]
            try:
                with store.open(encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            p = Passage.from_dict(json.loads(line))
                            passages[p.id] = p
            except FileNotFoundError:
                self.damage.append(f"the passage store {store.name} is missing")
            except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError) as exc:
                self.damage.append(f"the passage store {store.name} is damaged ({exc.__class__.__name__})")
            if not self.damage and manifest.get("count") != len(passages):
                self.damage.append(
                    f"the passage store {store.name} has {len(passages)} passages; "
                    f"{MANIFEST} says {manifest.get('count')}"
                )
            if self.damage:
                self.damaged_manifest = manifest
                passages = {}
            else:
                self.manifest = manifest
        if self.damage:
            log.warning("index at %s is damaged: %s; it will be repaired", self.home, "; ".join(self.damage))
        with self._lock:
            self.passages = passages
            self._bm25 = {}
            self._seen = self._stamp()

    def previous_manifest(self) -> dict:
        try:
            prev = json.loads((self.home / PREV_MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return {}
        return prev if isinstance(prev, dict) else {}

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
                self._vs, self._client, self._col = {}, None, {}
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
        progress: Callable[[str, int, int], None] | None = None,
        extra: dict | None = None,
        vectors: dict[str, Sequence[float]] | None = None,
    ) -> SyncStats:
        """Make the index hold exactly ``passages``; embed only ids it has never seen.

        ``vectors`` supplies precomputed embeddings (benchmarks, imports) so they are not recomputed.
        """
        with self._lock:
            wanted = {p.id: p for p in passages}
            present = {side: set(self._side_ids(side)) for side in SIDES}
            to_add = [p for pid, p in wanted.items() if pid not in present[p.side]]
            before = self.embeddings.calls
            saved = getattr(self.embeddings, "progress", None)
            try:
                done = 0
                for side in SIDES:
                    items = [p for p in to_add if p.side == side]
                    for i in range(0, len(items), CHROMA_BATCH):
                        batch = items[i : i + CHROMA_BATCH]
                        if progress:
                            self.embeddings.progress = lambda d, t, off=done: progress(
                                "embedding", off + d, len(to_add)
                            )
                        metas = [{"side": p.side, "source": p.source, "kind": p.kind} for p in batch]
                        if vectors is not None and all(p.id in vectors for p in batch):
                            self.collection(side).upsert(
                                ids=[p.id for p in batch],
                                metadatas=metas,
                                embeddings=[[float(x) for x in vectors[p.id]] for p in batch],
                                documents=[p.embed_text or p.text for p in batch],
                            )
                        else:
                            self.vectorstore(side).add_texts(
                                [p.embed_text or p.text for p in batch],
                                metadatas=metas,
                                ids=[p.id for p in batch],
                            )
                        done += len(batch)
            finally:
                self.embeddings.progress = saved
            embedded = self.embeddings.calls - before
            lines = "".join(
                json.dumps(p.to_dict() | {"embed_text": p.embed_text}, ensure_ascii=False) + "\n"
                for p in wanted.values()
            )
            store = f"passages-{hashlib.sha256(lines.encode()).hexdigest()[:16]}.jsonl"
            atomic_write(self.home / store, lines)
            manifest = {
                "version": INDEX_VERSION,
                "model": getattr(self.embeddings, "name", ""),
                "fingerprint": fingerprint,
                "store": store,
                "count": len(wanted),
                "sides": {s: sum(1 for p in wanted.values() if p.side == s) for s in SIDES},
            }
            manifest.update(extra or {})
            if self.manifest:  # keep the commit before this one (never a damaged or empty one)
                atomic_write(self.home / PREV_MANIFEST, json.dumps(self.manifest, indent=1))
            atomic_write(self.home / MANIFEST, json.dumps(manifest, indent=1))  # the commit point
            for old in self.home.glob("passages*.jsonl"):
                if old.name != store:
                    old.unlink(missing_ok=True)
            for side in SIDES:
                stale = [pid for pid in present[side] if pid not in wanted or wanted[pid].side != side]
                for i in range(0, len(stale), CHROMA_BATCH):
                    self.collection(side).delete(ids=stale[i : i + CHROMA_BATCH])
            old = set(self.passages)
            self.passages = wanted
            self.manifest = manifest
            self.damage, self.damaged_manifest = [], None
            self._bm25 = {}
            self._seen = self._stamp()
            return SyncStats(
                added=len(set(wanted) - old),
                removed=len(old - set(wanted)),
                kept=len(set(wanted) & old),
                embedded=embedded,
            )

    def _chroma_ids(self) -> list[str]:
        return [pid for side in SIDES for pid in self._side_ids(side)]

    def _side_ids(self, side: str) -> list[str]:
        col = self.collection(side)
        ids: list[str] = []
        total = col.count()
        for off in range(0, total, 10000):
            ids.extend(col.get(include=[], limit=10000, offset=off)["ids"])
        return ids

    # -- reading ---------------------------------------------------------------
    def dense(self, vector: Sequence[float], side: str, k: int) -> list[tuple[str, float]]:
        """(id, cosine similarity), best first; ids outside the committed store are skipped."""
        n = self.count(side)
        if n == 0 or k <= 0:
            return []
        res = self.collection(side).query(
            query_embeddings=[list(map(float, vector))], n_results=min(n, k + 8), include=["distances"]
        )
        out = [
            (pid, 1.0 - float(d))
            for pid, d in zip(res["ids"][0], res["distances"][0])
            if pid in self.passages
        ]
        return out[:k]

    def lexical(self, tokens: Iterable[str], side: str, k: int) -> list[tuple[str, float]]:
        return self.bm25(side).search(tokens, k)
