"""Stage 3: hybrid retrieval, run once per side so the literature is never crowded out.

BM25 and dense rankings are fused by reciprocal rank (RRF); the dense cosine is kept for the
abstention decision because RRF scores are rank-based and say nothing about relevance.
The LangChain ``BaseRetriever`` face lives in ``langchain_retriever.py`` (imported on demand:
langchain's retriever stack costs a second at start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .index import Index
from .lexical import tokenize
from .models import Passage


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused RRF score
    dense: float  # cosine similarity (0 when the dense side did not return it)
    lexical: float  # BM25 score (0 when absent)


def rrf(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Reciprocal-rank fusion: sum of w / (k + rank) over the rankings an id appears in (rank from 1)."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, pid in enumerate(ranking, 1):
            scores[pid] = scores.get(pid, 0.0) + w / (k + rank)
    return scores


class HybridRetriever:
    def __init__(self, index: Index, embeddings, candidates: int = 20, rrf_k: int = 60):
        self.index = index
        self.embeddings = embeddings
        self.candidates = candidates
        self.rrf_k = rrf_k

    def embed(self, query: str) -> list[float]:
        return self.embeddings.embed_query(query)

    def search(
        self,
        query: str,
        side: str,
        k: int,
        vector: Sequence[float] | None = None,
        tokens: list[str] | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """mode: hybrid | dense | bm25 (the last two exist for baselines and ablations)."""
        dense: list[tuple[str, float]] = []
        lex: list[tuple[str, float]] = []
        if mode in {"hybrid", "dense"}:
            dense = self.index.dense(
                vector if vector is not None else self.embed(query), side, self.candidates
            )
        if mode in {"hybrid", "bm25"}:
            lex = self.index.lexical(tokens if tokens is not None else tokenize(query), side, self.candidates)
        return fuse(self.index, dense, lex, k, self.rrf_k)


def fuse(
    index: Index,
    dense: Sequence[tuple[str, float]],
    lex: Sequence[tuple[str, float]],
    k: int,
    rrf_k: int = 60,
) -> list[Hit]:
    """RRF of a dense and a lexical ranking into Hits (ties: higher cosine, then id)."""
    fused = rrf([[i for i, _ in dense], [i for i, _ in lex]], rrf_k)
    dmap, lmap = dict(dense), dict(lex)
    order = sorted(fused, key=lambda i: (-fused[i], -dmap.get(i, 0.0), i))
    return [Hit(index.get(i), fused[i], dmap.get(i, 0.0), lmap.get(i, 0.0)) for i in order[:k]]
