"""Every evaluation metric on tiny hand-made cases, checked against a reference calculation."""

import math

import numpy as np
import pytest

from rag.evaluation.metrics import (
    accuracy,
    citation_scores,
    confusion,
    dcg,
    hit_at,
    ndcg_at,
    percentile,
    precision_recall,
    reciprocal_rank,
    supported,
)


def test_hit_and_mrr():
    rel = [False, True, False]
    assert hit_at(rel, 1) == 0.0 and hit_at(rel, 2) == 1.0 and hit_at([], 3) == 0.0
    assert reciprocal_rank(rel) == 0.5 and reciprocal_rank([False, False]) == 0.0


def test_ndcg_against_hand_calculation():
    rel = [False, True, True, False, False]
    expected_dcg = 1 / math.log2(3) + 1 / math.log2(4)
    assert dcg(rel, 5) == pytest.approx(expected_dcg)
    ideal = 1 + 1 / math.log2(3)  # two relevant items exist
    assert ndcg_at(rel, 5, 2) == pytest.approx(expected_dcg / ideal)
    assert ndcg_at([True, True], 5, 2) == pytest.approx(1.0)
    assert ndcg_at([False], 5, 0) == 0.0


def test_percentile_matches_numpy():
    xs = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0]
    for p in (0, 25, 50, 90, 95, 100):
        assert percentile(xs, p) == pytest.approx(float(np.percentile(xs, p)))
    assert percentile([], 50) == 0.0


def test_precision_recall_and_confusion():
    pred = [True, True, False, False]
    gold = [True, False, True, False]
    assert precision_recall(pred, gold) == (0.5, 0.5)
    assert precision_recall([False, False], [False, False]) == (1.0, 1.0)
    assert precision_recall([False], [True]) == (0.0, 0.0)
    pairs = [("a", "a"), ("a", "b"), ("b", "b")]
    assert confusion(pairs, ["a", "b"]) == [[1, 1], [0, 1]]
    assert accuracy(pairs) == pytest.approx(2 / 3)


def test_citation_support_proxy():
    passage = "U.S. records show 427,284 trucks delivered to the Soviet Union by 31 May 1945."
    assert supported("427,284 trucks were delivered", passage)
    assert not supported("750,000 trucks were delivered", passage)  # a figure not in the passage
    assert not supported("Magnitogorsk was designed by McKee engineers", passage)  # terms missing
    rec, prec = citation_scores(
        [
            ("427,284 trucks were delivered", [passage]),  # supported, citation relevant
            ("750,000 trucks were delivered", [passage]),  # unsupported
            ("trucks 427,284 and 12,575 tanks", [passage, "12,575 tanks were sent"]),  # needs both
        ]
    )
    assert rec == pytest.approx(2 / 3)
    assert prec == pytest.approx(3 / 4)
