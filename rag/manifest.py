"""The manifest: the commit point of the index, typed.

``manifest.json`` names the passage store, the Chroma collections and the user documents that
are in force; replacing it (atomically) is what commits a sync. The commit before it is kept as
``manifest.prev.json``, a fallback list of user documents for repairs. Its JSON layout is the
on-disk contract (other processes and tools read it), so ``to_dict`` keeps the key names.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .atomic import atomic_write

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
PREV_MANIFEST = "manifest.prev.json"  # the commit before: a fallback list of user documents
INDEX_VERSION = 3  # 3: one Chroma collection per side (generation names need no new version)


class ManifestError(ValueError):
    """A manifest that holds no index (empty, truncated, ``null``, ``[]``, keys missing)."""


@dataclass(frozen=True)
class DocEntry:
    """One user document in force: its stored file under the documents folder, and what to show."""

    id: str
    title: str
    kind: str
    side: str
    passages: int
    file: str
    name: str = ""  # the file name it was added from

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocEntry:
        try:
            return cls(
                id=str(d["id"]),
                title=str(d.get("title", "")),
                kind=str(d.get("kind", "")),
                side=str(d.get("side", "literature")),
                passages=int(d.get("passages", 0)),
                file=str(d["file"]),
                name=str(d.get("name", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"a document entry is malformed ({exc.__class__.__name__})") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def entries_of(raw: Any) -> tuple[DocEntry, ...]:
    """The well-formed document entries of a (possibly damaged) manifest's JSON; others skipped."""
    docs = raw.get("documents") if isinstance(raw, dict) else None
    out = []
    for d in docs if isinstance(docs, list) else ():
        try:
            out.append(DocEntry.from_dict(d))
        except (ManifestError, AttributeError):
            log.warning("a malformed document entry in the manifest was skipped: %.80r", d)
    return tuple(out)


@dataclass(frozen=True)
class Manifest:
    """What is committed. The default instance means "no index yet" (``committed`` is False)."""

    version: int = INDEX_VERSION
    model: str = ""  # the encoder's name: vectors of another model are never mixed in
    fingerprint: str = ""  # of the corpus files, to notice edits
    store: str = ""  # the passage store file (named by its content hash)
    count: int = 0
    sides: Mapping[str, int] = field(default_factory=dict)
    documents: tuple[DocEntry, ...] = ()
    collections: Mapping[str, str] = field(default_factory=dict)  # side -> Chroma collection

    @property
    def committed(self) -> bool:
        return bool(self.store)

    @classmethod
    def from_dict(cls, d: Any) -> Manifest:
        if not isinstance(d, dict) or not isinstance(d.get("store"), str) or not d["store"]:
            raise ManifestError(f"{MANIFEST} holds no index (found {json.dumps(d)[:40]})")
        if not isinstance(d.get("count"), int):
            raise ManifestError(f"{MANIFEST} has no passage count")
        return cls(
            version=d.get("version", 0),
            model=str(d.get("model", "")),
            fingerprint=str(d.get("fingerprint", "")),
            store=d["store"],
            count=d["count"],
            sides=_str_map(d.get("sides"), int),
            documents=entries_of(d),
            collections=_str_map(d.get("collections"), str),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version,
            "model": self.model,
            "fingerprint": self.fingerprint,
            "store": self.store,
            "count": self.count,
            "sides": dict(self.sides),
            "documents": [e.to_dict() for e in self.documents],
        }
        if self.collections:
            out["collections"] = dict(self.collections)
        return out

    def get(self, key: str, default: Any = None) -> Any:
        """Read access by JSON key, for callers written against the old dict manifest."""
        return self.to_dict().get(key, default)


def _str_map(v: Any, typ: type) -> dict[str, Any]:
    if not isinstance(v, dict):
        return {}
    return {str(k): x for k, x in v.items() if isinstance(x, typ)}


@dataclass(frozen=True)
class ReadResult:
    """The committed manifest, or why there is none: ``damage`` lines and the damaged JSON."""

    manifest: Manifest
    damage: tuple[str, ...] = ()
    raw: Any = None  # the damaged manifest's JSON, when it parsed (its document list may survive)


def read_manifest(home: Path) -> ReadResult:
    path = home / MANIFEST
    if not path.exists():
        if any(home.glob("passages*.jsonl")) or (home / PREV_MANIFEST).exists():
            return ReadResult(Manifest(), (f"{MANIFEST} is missing beside an existing index",))
        return ReadResult(Manifest())
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        return ReadResult(
            Manifest(), (f"{MANIFEST} is unreadable ({exc.__class__.__name__}: {str(exc)[:80]})",)
        )
    try:
        return ReadResult(Manifest.from_dict(raw))
    except ManifestError as exc:
        return ReadResult(Manifest(), (str(exc),), raw if isinstance(raw, dict) else None)


def read_previous(home: Path) -> Manifest | None:
    try:
        return Manifest.from_dict(json.loads((home / PREV_MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def write_manifest(home: Path, manifest: Manifest, previous: Manifest | None = None) -> None:
    """Commit ``manifest``; ``previous`` (never a damaged or empty one) is kept as the fallback."""
    if previous is not None and previous.committed:
        atomic_write(home / PREV_MANIFEST, json.dumps(previous.to_dict(), indent=1))
    atomic_write(home / MANIFEST, json.dumps(manifest.to_dict(), indent=1))  # the commit point
