"""Evaluation metrics as small pure functions (BEIR / FEVER / ALCE style), deterministic.

Relevance is binary. A ranked list is a list of booleans (is item i relevant?), so every metric
can be checked against a hand calculation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from ..numeric import supported as figures_supported


def hit_at(rel: Sequence[bool], k: int) -> float:
    return 1.0 if any(rel[:k]) else 0.0


def reciprocal_rank(rel: Sequence[bool]) -> float:
    for i, r in enumerate(rel, 1):
        if r:
            return 1.0 / i
    return 0.0


def dcg(rel: Sequence[bool], k: int) -> float:
    return sum(1.0 / math.log2(i + 1) for i, r in enumerate(rel[:k], 1) if r)


def ndcg_at(rel: Sequence[bool], k: int, n_relevant: int) -> float:
    """nDCG@k with binary gains; ``n_relevant`` is how many relevant items exist in the collection."""
    ideal = dcg([True] * min(k, n_relevant), k)
    return dcg(rel, k) / ideal if ideal else 0.0


def mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def percentile(xs: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default method), p in [0, 100]."""
    if not xs:
        return 0.0
    s = sorted(xs)
    pos = (len(s) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def precision_recall(pred: Sequence[bool], gold: Sequence[bool]) -> tuple[float, float]:
    tp = sum(1 for p, g in zip(pred, gold) if p and g)
    fp = sum(1 for p, g in zip(pred, gold) if p and not g)
    fn = sum(1 for p, g in zip(pred, gold) if g and not p)
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def confusion(pairs: Iterable[tuple[str, str]], labels: Sequence[str]) -> list[list[int]]:
    """Rows = gold label, columns = predicted label."""
    c = Counter(pairs)
    return [[c[(g, p)] for p in labels] for g in labels]


def accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    return mean(1.0 if g == p else 0.0 for g, p in pairs)


WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
STOP = {
    "that",
    "this",
    "with",
    "from",
    "were",
    "which",
    "there",
    "their",
    "have",
    "been",
    "about",
    "also",
    "essay",
    "says",
    "literature",
    "mainstream",
    "source",
    "contested",
    "figures",
    "assessment",
}


def key_terms(text: str) -> set[str]:
    return {w.lower() for w in WORD_RE.findall(text) if w.lower() not in STOP}


def supported(statement: str, passage_text: str, min_terms: float = 0.5) -> bool:
    """Deterministic stand-in for an NLI entailment check (ALCE's citation recall).

    A cited passage supports a statement when it gives every figure of the statement (by value,
    the rule the synthesis checks enforce: ``rag.numeric.supported``) and at least ``min_terms``
    of its key terms (words of four letters or more, minus boilerplate).
    Limits: it cannot see negation, paraphrase or the direction of a comparison.
    """
    if not figures_supported(statement, [passage_text]):
        return False
    terms = key_terms(statement)
    if not terms:
        return True
    found = sum(1 for t in terms if t in passage_text.lower())
    return found / len(terms) >= min_terms


def citation_scores(statements: Sequence[tuple[str, Sequence[str]]]) -> tuple[float, float]:
    """(citation recall, citation precision) over [(statement, [cited passage texts])].

    Recall: the statement is supported by the union of its citations. Precision: a citation is
    relevant when it alone supports the statement, or when dropping it loses support.
    """
    rec, prec = [], []
    for stmt, cited in statements:
        if not cited:
            rec.append(0.0)
            continue
        union = " ".join(cited)
        ok = supported(stmt, union)
        rec.append(1.0 if ok else 0.0)
        for i, c in enumerate(cited):
            rest = " ".join(x for j, x in enumerate(cited) if j != i)
            relevant = supported(stmt, c) or (ok and not supported(stmt, rest))
            prec.append(1.0 if relevant else 0.0)
    return mean(rec), mean(prec)
