"""LangChain face of the hybrid retriever (imported only when asked for)."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .retrieve import HybridRetriever


class CounterpointRetriever(BaseRetriever):
    """LangChain face of the hybrid retriever: documents from both sides, side in metadata."""

    hybrid: HybridRetriever
    k: int = 4
    sides: tuple[str, ...] = ("essay", "literature")

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        vector = self.hybrid.embed(query)
        docs = []
        for side in self.sides:
            for h in self.hybrid.search(query, side, self.k, vector=vector):
                p = h.passage
                docs.append(
                    Document(
                        page_content=p.text,
                        id=p.id,
                        metadata={
                            "side": p.side,
                            "kind": p.kind,
                            "source": p.source,
                            "title": p.title,
                            "locator": p.locator,
                            "citation": p.citation,
                            "score": h.score,
                            "dense": h.dense,
                        },
                    )
                )
        return docs
