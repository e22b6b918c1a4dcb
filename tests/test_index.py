"""Indexing: content-hash ids, idempotent re-runs, incremental updates with no stale chunks."""

from rag import Assistant
from rag.settings import Settings

from .conftest import write_digest


def make(small_corpus, home, embeddings):
    return Assistant(Settings(home=home, corpus_dir=small_corpus, encoder="st"), embeddings=embeddings)


def chroma_ids(a):
    return set(a.index._chroma_ids())


def test_reindexing_is_idempotent(small_corpus, tmp_path, embeddings):
    a = make(small_corpus, tmp_path / "home", embeddings)
    n = a.index.count()
    assert n > 30 and a.index.count("literature") == 3
    calls = embeddings.calls
    b = make(small_corpus, tmp_path / "home", embeddings)  # a new process would do the same
    assert b.ensure_index() is None  # nothing changed: nothing to do
    assert embeddings.calls == calls  # and nothing re-embedded
    assert b.index.count() == n and chroma_ids(b) == set(b.index.passages)
    stats = b.ensure_index(rebuild=True)
    assert stats.added == n and stats.embedded == n


def test_changed_and_removed_documents_leave_no_stale_chunks(small_corpus, tmp_path, embeddings):
    a = make(small_corpus, tmp_path / "home", embeddings)
    before = set(a.index.passages)
    old_trucks = {p.id for p in a.index.passages.values() if p.source == "trucks"}
    write_digest(
        small_corpus / "references",
        "trucks",
        [
            (
                "Trucks",
                "U.S. records show 427,284 trucks delivered to the Soviet Union by 31 May 1945.",
                "[@deane1947]",
            ),
            ("Ships", "Between 1941 and 1945 some 2,660 ships sailed with Lend-Lease cargo.", "[@deane1947]"),
        ],
    )
    (small_corpus / "references" / "plans.md").unlink()
    calls = embeddings.calls
    stats = a.ensure_index()
    # only the edited section: its passage vector and, for excerpts, its one sentence's vector
    assert stats.embedded == 1 and embeddings.calls - calls == 2
    after = set(a.index.passages)
    assert len(after) == len(before) - 1 and chroma_ids(a) == after  # plans had one section
    assert not any(p.source == "plans" for p in a.index.passages.values())
    new_trucks = {p.id for p in a.index.passages.values() if p.source == "trucks"}
    assert len(old_trucks & new_trucks) == 1
    # BM25 forgets the removed text too
    assert a.index.lexical(["1933"], "literature", 5) == []
    assert a.index.lexical(["427284"], "literature", 5)


def test_index_survives_a_new_process_view(small_corpus, tmp_path, embeddings):
    home = tmp_path / "home"
    a = make(small_corpus, home, embeddings)
    ans = a.ask("How many trucks did the United States deliver?")
    b = make(small_corpus, home, embeddings)
    assert b.ask("How many trucks did the United States deliver?").to_dict() == ans.to_dict()
