"""Tokenizer and BM25: rag.lexical checked against a plain reference and against bm25s."""

import random
from collections import Counter

import pytest

from rag.lexical import BM25Index, bm25_term, idf, tokenize


def reference_bm25(docs, query, k1=1.5, b=0.75):
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))
    return [sum(bm25_term(d.count(t), len(d), avgdl, df[t], n, k1, b) for t in query) for d in docs]


def test_tokenize_normalises_numbers_stems_and_drops_stopwords():
    assert tokenize("The 427,284 trucks") == ["427284", "truck"]
    assert tokenize("427284 Trucks!") == ["427284", "truck"]
    assert "begin" in tokenize("began") and tokenize("sent") == tokenize("send")
    assert tokenize("Collectivisation") == tokenize("collectivization")
    assert tokenize("Ó Gráda") == ["gráda"] or tokenize("Ó Gráda") == ["grada"]
    assert tokenize("") == [] and tokenize("the and of") == []


def test_idf_is_positive_and_decreasing():
    assert idf(1, 10) > idf(5, 10) > idf(10, 10) > 0


def test_bm25_matches_the_reference_on_random_corpora():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(30)]
    for _ in range(5):
        docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 25))] for _ in range(40)]
        index = BM25Index([str(i) for i in range(len(docs))], docs)
        query = rng.sample(vocab, 3)
        ref = reference_bm25(docs, query)
        got = dict(index.search(query, k=len(docs)))
        for i, score in enumerate(ref):
            assert got.get(str(i), 0.0) == pytest.approx(score, rel=1e-4, abs=1e-6)


def test_bm25_unknown_and_empty_queries():
    index = BM25Index(["a", "b"], [["truck"], ["tank"]])
    assert index.search(["zzz"], 5) == []
    assert index.search([], 5) == []
    assert BM25Index([], []).search(["truck"], 3) == []
    assert index.search(["truck"], 5) == [("a", pytest.approx(index.search(["truck"], 1)[0][1]))]


def test_bm25_matches_bm25s_with_repeated_query_words():
    bm25s = pytest.importorskip("bm25s")
    rng = random.Random(11)
    vocab = [f"w{i}" for i in range(25)]
    for _ in range(5):
        docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 30))] for _ in range(50)]
        query = [rng.choice(vocab) for _ in range(4)]  # may repeat a word
        ref = bm25s.BM25(method="lucene")
        ref.index(docs, show_progress=False)
        want = ref.get_scores([t for t in query if any(t in d for d in docs)])
        got = dict(BM25Index([str(i) for i in range(len(docs))], docs).search(query, k=len(docs)))
        for i, score in enumerate(want):
            assert got.get(str(i), 0.0) == pytest.approx(float(score), rel=1e-4, abs=1e-5)
