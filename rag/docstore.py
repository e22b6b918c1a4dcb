"""User documents on disk: parsed once, stored content-addressed beside the index."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_write
from .corpus import Document
from .index import SyncStats
from .models import Passage


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    stats: SyncStats | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def store_document(folder: Path, doc: Document) -> str:
    """Write the parsed document as JSON named by its id and content hash; return the file name."""
    name = f"{doc.id.split(':', 1)[-1]}-{doc.meta.get('hash', 'x')}.json"
    payload = {
        "id": doc.id,
        "title": doc.title,
        "kind": doc.kind,
        "side": doc.side,
        "path": doc.path,
        "meta": doc.meta,
        "passages": [p.to_dict() | {"embed_text": p.embed_text} for p in doc.passages],
    }
    atomic_write(folder / name, json.dumps(payload, ensure_ascii=False))
    return name


def load_stored(path: Path) -> Document:
    d = json.loads(path.read_text(encoding="utf-8"))
    return Document(
        d["id"],
        d["title"],
        d["kind"],
        d["side"],
        d.get("path", ""),
        [Passage.from_dict(p) for p in d["passages"]],
        d.get("meta", {}),
    )
