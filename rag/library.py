"""The document library: the bundled documents and the user's own, listed, added and removed.

Added documents are parsed (``ingest``), stored content-addressed (``docstore``) and only become
part of the index when the manifest that lists them is committed, so a crash leaves the previous
index. Writers take the home lock and merge with the committed manifest, so concurrent adds (two
CLIs, a CLI and the web app) all land; a stored file goes only when no committed manifest names it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .corpus import Document
from .docstore import AddReport, store_document
from .ingest import IngestError, load_document
from .store import Store, entry_for

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DocumentRow:
    """One indexed document as the shells list it."""

    id: str
    title: str
    kind: str
    side: str
    passages: int
    origin: str  # bundled | user
    file: str = ""  # for user documents: the file name it was added from

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "side": self.side,
            "passages": self.passages,
            "origin": self.origin,
        }
        if self.origin == "user":
            row["file"] = self.file
        return row


class Library:
    def __init__(self, store: Store):
        self.store = store

    def rows(self) -> list[DocumentRow]:
        """Every indexed document: bundled ones and user-added ones, with passage counts."""
        bundled = [
            DocumentRow(d.id, d.title, d.kind, d.side, len(d.passages), "bundled")
            for d in self.store.corpus.documents
        ]
        return bundled + [
            DocumentRow(e.id, e.title, e.kind, e.side, e.passages, "user", e.name)
            for e in self.store.index.manifest.documents
        ]

    def user_documents(self) -> list[Document]:
        return [self.store.stored(e) for e in self.store.present(self.store.index.manifest.documents)]

    def add(
        self,
        paths: Iterable[str | Path],
        side: str = "literature",
        flags: dict | None = None,
        progress: Progress | None = None,
        names: Iterable[str] | None = None,
        follow_symlinks: bool = False,
    ) -> AddReport:
        """Parse, stage and index documents; one bad file never stops the others."""
        report = AddReport()
        parsed = self._parse(list(paths), names, side, flags, report, progress, follow_symlinks)
        if not parsed:
            return report
        store = self.store
        with store.mutex, store.lock.hold():
            store.ensure()
            store.refresh()  # merge with what other writers committed, never overwrite it
            entries = {e.id: e for e in store.index.manifest.documents}
            for doc in parsed:
                (report.updated if doc.id in entries else report.added).append(doc.id)
                entries[doc.id] = entry_for(doc, store_document(store.documents_dir, doc))
            report.stats = store.commit(list(entries.values()), progress)
        return report

    def _parse(
        self,
        paths: list[str | Path],
        names: Iterable[str] | None,
        side: str,
        flags: dict | None,
        report: AddReport,
        progress: Progress | None,
        follow_symlinks: bool,
    ) -> list[Document]:
        """Each file parsed on its own: an error (or a parser bug) goes in the report, not up."""
        files = [Path(p) for p in paths]
        shown = list(names) if names is not None else [p.name for p in files]
        parsed: list[Document] = []
        seen: dict[str, str] = {}
        max_mb = self.store.settings.max_file_mb
        for i, (path, name) in enumerate(zip(files, shown)):
            try:
                doc = load_document(
                    path, side, flags, max_mb, display_name=name, follow_symlinks=follow_symlinks
                )
                if doc.id in seen:
                    raise IngestError(
                        name,
                        f"gives the same document id {doc.id} as {seen[doc.id]} in this batch; "
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
                progress("parsing", i + 1, len(files))
        return parsed

    def remove(self, *doc_ids: str) -> bool:
        """Remove user documents (ids with or without the ``user:`` prefix); False if none matched."""
        wanted = {d for x in doc_ids for d in (x, f"user:{x}")}
        store = self.store
        with store.mutex, store.lock.hold():
            store.refresh()
            docs = store.index.manifest.documents
            entries = [e for e in docs if e.id not in wanted]
            if len(entries) == len(docs):
                return False
            store.commit(entries)
            return True
