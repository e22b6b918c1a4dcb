"""Deterministic regression: Counterpoint meets floor thresholds on the gold set's dev split.

Floors are the values measured when the suite was written minus a margin (eval/README.md).
The held-out split is never used here or anywhere in tuning.
"""

import pytest

from rag.evaluation.run import evaluate

FLOORS = {
    "essay_hit@1": 0.80,
    "essay_hit@3": 0.87,
    "essay_mrr": 0.83,
    "essay_ndcg@5": 0.82,
    "lit_hit@3": 0.90,
    "lit_mrr": 0.87,
    "lit_ndcg@5": 0.79,
    "lit_text@3": 0.91,
    "verdict_acc": 0.83,
    "abstain_precision": 0.95,
    "abstain_recall": 0.85,
    "citation_recall": 0.78,
}


@pytest.fixture(scope="module")
def report(assistant, embeddings):
    from rag import Assistant
    from rag.settings import Settings

    a = Assistant(
        Settings(
            home=assistant.settings.home, corpus_dir=assistant.settings.corpus_dir, encoder="st", top_k=5
        ),
        embeddings=embeddings,
    )
    return evaluate("dev", ("counterpoint",), assistant=a)["systems"]["counterpoint"]


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_floor(report, metric):
    assert report[metric] >= FLOORS[metric], f"{metric} = {report[metric]:.3f} < floor {FLOORS[metric]}"


def test_quotes_are_always_valid(report):
    assert report["quote_validity"] == 1.0
