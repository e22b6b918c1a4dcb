"""Vectors derived from the committed index, computed at index time and cached beside it.

Claim vectors (for ranking reviewed claims), sentence vectors (for choosing excerpts) and the
multilingual table (passages, claims and sentences in the multilingual space) are keyed by a
hash of their content, so an unchanged corpus never re-embeds and a changed one never serves
stale vectors. Files are replaced atomically; a damaged file is recomputed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .excerpt import SentenceBank
from .models import Claim, Passage
from .multilingual import MultilingualEncoder, VectorTable, available
from .sentences import sentence_spans

log = logging.getLogger(__name__)


def _key(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:16]


def claim_text(c: Claim) -> str:
    return f"{c.quote} {c.rationale}"


def sentence_items(passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """(id, text) of every sentence of every passage: id = passage id + '#' + index."""
    return [(f"{p.id}#{i}", p.text[s:e]) for p in passages for i, (s, e) in enumerate(sentence_spans(p.text))]


class DerivedVectors:
    def __init__(self, home: Path, encoder: Any):
        self.home = Path(home)
        self.encoder = encoder
        self._lock = threading.RLock()
        self._mem: dict[str, Any] = {}
        self._multi: MultilingualEncoder | None = None

    def _table(self, prefix: str, items: list[tuple[str, str]], encode) -> VectorTable:
        """The table for ``items`` (id, text); rows of an earlier table whose text is unchanged
        are reused, so an edit re-embeds only what changed."""
        hashes = [_key([t]) for _, t in items]
        key = _key([prefix] + [i + "\x1f" + h for (i, _), h in zip(items, hashes)])
        with self._lock:
            hit = self._mem.get(prefix)
            if hit is not None and hit[0] == key:
                return hit[1]
            path = self.home / f"{prefix}-{key}.npz"
            table = VectorTable.load(path) if path.exists() else None
            if table is None or table.ids != [i for i, _ in items]:
                table = self._build(prefix, items, hashes, encode)
                for old in self.home.glob(f"{prefix}-*.npz"):
                    old.unlink(missing_ok=True)
                table.save(path)
            self._mem[prefix] = (key, table)
            return table

    def _build(self, prefix: str, items: list[tuple[str, str]], hashes: list[str], encode) -> VectorTable:
        previous: dict[str, np.ndarray] = {}
        for old in self.home.glob(f"{prefix}-*.npz"):
            t = VectorTable.load(old)
            if t is not None:
                previous.update({h: t.matrix[r] for r, h in enumerate(t.hashes) if h})
        todo = [j for j, h in enumerate(hashes) if h not in previous]
        fresh = encode([items[j][1] for j in todo]) if todo else None
        dim = fresh.shape[1] if fresh is not None else (len(next(iter(previous.values()))) if previous else 1)
        mat = np.zeros((len(items), dim), dtype=np.float32)
        if fresh is not None:
            mat[todo] = fresh
        for j, h in enumerate(hashes):
            if h in previous and len(previous[h]) == dim:
                mat[j] = previous[h]
        return VectorTable([i for i, _ in items], mat, hashes)

    def claims(self, claims: Sequence[Claim]) -> VectorTable:
        # every question asks for this table: for the same loaded claims, skip re-hashing 67 texts
        memo = self._mem.get("claims@")
        if memo is not None and memo[0] is claims:
            return memo[1]
        table = self._table("claims", [(c.id, claim_text(c)) for c in claims], self.encoder.encode)
        self._mem["claims@"] = (claims, table)
        return table

    def sentences(self, passages: Sequence[Passage]) -> SentenceBank:
        table = self._table("sentences", sentence_items(passages), self.encoder.encode)
        return _bank(passages, table)

    @property
    def multilingual_encoder(self) -> MultilingualEncoder | None:
        if self._multi is None and available():
            self._multi = MultilingualEncoder()
        return self._multi

    def multilingual(self, passages: Sequence[Passage], claims: Sequence[Claim]) -> VectorTable | None:
        enc = self.multilingual_encoder
        if enc is None:
            return None
        items = [(p.id, p.embed_text or p.text) for p in passages] + [
            (f"claim:{c.id}", claim_text(c)) for c in claims
        ]
        items += [(f"claimq:{c.id}", c.quote) for c in claims]  # the assertion alone matches short questions
        items += sentence_items(passages)
        return self._table("multilingual", items, enc.encode)


def _bank(passages: Sequence[Passage], table: VectorTable) -> SentenceBank:
    spans: dict[str, list[tuple[int, int]]] = {}
    vecs: dict[str, np.ndarray] = {}
    for p in passages:
        sp = sentence_spans(p.text)
        keys = [f"{p.id}#{i}" for i in range(len(sp))]
        spans[p.id] = sp
        if sp and all(k in table.row for k in keys):
            vecs[p.id] = table.matrix[[table.row[k] for k in keys]]
    return SentenceBank(spans, vecs)


def multilingual_sentences(passages: Sequence[Passage], table: VectorTable) -> SentenceBank:
    return _bank(passages, table)
