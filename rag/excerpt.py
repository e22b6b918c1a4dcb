"""Which sentence(s) of a passage the reader sees: the ones that answer *this* question.

Sentence vectors are computed once at index time (``SentenceBank``); at query time a sentence's
score is its idf-weighted word overlap with the question plus its cosine to the question vector,
with bonuses for the figure kinds asked about. The choice widens to the previous sentence when the
chosen one leans on it ("These plants…", "He…"), and to the next when it is very short.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass

import numpy as np

from .figures import extract
from .lexical import tokenize
from .numeric import NUMBER_TOKEN_RE as NUMBER_RE
from .sentences import sentence_spans, strip_markers

ANAPHOR_RE = re.compile(
    r"^[\"“‘(]*(These|This|That|Those|Such|He|She|It|They|His|Her|Its|Their|"
    r"The (?:plant|factory|city|figure|report|book|author|claim|estimate|number)s?|"
    r"Both|Neither|Here|There|Then|So|But|However|Yet)\b"
)
# "Gabriel Gorodetsky answered it directly…": a named subject, then a pronoun for the last topic
ANAPHOR_OBJECT_RE = re.compile(
    r"^[\"“‘(]*(?:[A-Z][\w'’.-]*\s+){1,4}(?:\w+ly\s+)?(?:answered|rejected|repeated|challenged|"
    r"criticised|criticized|endorsed|supported|accepted|disputed|dismissed|questioned|refuted|"
    r"attacked|defended|revived|restated|popularised|popularized)\s+(?:it|this|them|him|her)\b"
)


@dataclass(frozen=True)
class WeightedQuery:
    """Question tokens weighted 1.0; tokens inherited from history weighted less."""

    weights: dict[str, float]

    @classmethod
    def build(cls, question: str, resolved: str, context_weight: float = 0.4) -> WeightedQuery:
        w = dict.fromkeys(tokenize(question), 1.0)
        for t in tokenize(resolved):
            w.setdefault(t, context_weight)
        return cls(w)

    def discount(self, tokens: set[str], factor: float) -> WeightedQuery:
        """Words every sentence of a passage is about (its title's) cannot choose among them."""
        return WeightedQuery({t: w * factor if t in tokens else w for t, w in self.weights.items()})


def overlap(tokens: Set[str], q: WeightedQuery, idf: Callable[[str], float]) -> float:
    """Share of the question's idf-weighted words present in ``tokens``."""
    total = sum(idf(t) * w for t, w in q.weights.items()) or 1.0
    return sum(idf(t) * w for t, w in q.weights.items() if t in tokens) / total


class SentenceBank:
    """Sentence spans and unit vectors of every indexed passage, by passage id."""

    def __init__(self, spans: dict[str, list[tuple[int, int]]], vectors: dict[str, np.ndarray]):
        self.spans = spans
        self.vectors = vectors

    def get(self, pid: str, text: str) -> tuple[list[tuple[int, int]], np.ndarray | None]:
        spans = self.spans.get(pid)
        if spans is None:
            return sentence_spans(text), None
        return spans, self.vectors.get(pid)


QUESTION_SHARE = 0.8
# Growing a short excerpt prefers the next sentence unless the previous one scores clearly higher.
GROW_BIAS = 0.05
# A sentence that judges the point, which is what a yes/no question is asking for.
STANCE_RE = re.compile(
    r"\b(?:historians?|scholars?|specialists?|scholarship|mainstream|consensus|agree[sd]?|"
    r"reject(?:s|ed)?|argues?|argued|disputed?|contradict\w*|(?:no|little) (?:firm |clear )?evidence|"
    r"false|accurate|inaccurate|correct|wrong|myth|exaggerat\w*|overstat\w*|apologia|propaganda|"
    r"majority view|cannot be verified|unsupported|genuine|authentic|fabricat\w*|forg(?:ed|ery)|"
    r"unverified|apocryphal|(?:roughly|broadly|essentially|partly) (?:right|true|correct))\b",
    re.I,
)


def _figure_bonus(sent: str, kinds: set[str], fig_numbers: Sequence[str]) -> float:
    """The kind of figure asked for (0.2), the reviewed comparison's own figure (0.5)."""
    bonus = 0.0
    if kinds:
        found = {x.kind for x in extract(sent)}
        if found & kinds or ("*" in kinds and found - {"year"}):
            bonus += 0.2
    if any(n in sent for n in fig_numbers):
        bonus += 0.5  # show the sentence that states it
    return bonus


def _hand_questions_on(text: str, spans: Sequence[tuple[int, int]], scores: list[float]) -> None:
    """A question sentence is never the excerpt; a digest's own question hands its score to
    the sentence that answers it."""
    if len(spans) < 2:
        return
    for i, (s, e) in enumerate(spans):
        if text[s:e].rstrip("”\"’' ").endswith("?"):
            if i + 1 < len(spans):
                scores[i + 1] += QUESTION_SHARE * max(scores[i], 0.0)
            scores[i] = -1.0


def sentence_scores(
    text: str,
    spans: Sequence[tuple[int, int]],
    q: WeightedQuery,
    idf: Callable[[str], float],
    kinds: set[str],
    cos: np.ndarray | None,
    figures: Sequence[str],
    dense_weight: float,
    stance: float = 0.0,
) -> list[float]:
    """Each sentence's relevance: word overlap, cosine to the question, the figures, and for a
    yes/no question (``stance``) whether the sentence judges the point."""
    fig_numbers = [n for f in figures for n in NUMBER_RE.findall(f)]
    scores: list[float] = []
    for i, (s, e) in enumerate(spans):
        sent = text[s:e]
        score = overlap(set(tokenize(sent)), q, idf) + _figure_bonus(sent, kinds, fig_numbers)
        if cos is not None:
            score += dense_weight * max(0.0, float(cos[i]) - 0.1)
        if stance and STANCE_RE.search(sent):
            score += stance
        scores.append(score - 0.002 * i)
    _hand_questions_on(text, spans, scores)
    return scores


def _leans_back(text: str, spans: Sequence[tuple[int, int]], i: int) -> bool:
    """Sentence ``i`` refers to the one before it ("These…", "Gorodetsky answered it…")."""
    sent = text[spans[i][0] : spans[i][1]]
    return i > 0 and bool(ANAPHOR_RE.match(sent) or ANAPHOR_OBJECT_RE.match(sent))


def _neighbour(
    spans: Sequence[tuple[int, int]], scores: Sequence[float], best: int, share: float, max_chars: int
) -> int | None:
    """The better neighbour of the best sentence, when it also speaks to the question and the two
    fit: a summary sentence and the evidence beside it are read together."""
    nbrs = [j for j in (best - 1, best + 1) if 0 <= j < len(spans) and scores[j] > 0]
    j = max(nbrs, key=lambda j: scores[j], default=None)
    if j is None or scores[j] < share * scores[best]:
        return None
    return j if spans[max(j, best)][1] - spans[min(j, best)][0] <= max_chars else None


def widen(
    text: str,
    spans: Sequence[tuple[int, int]],
    scores: Sequence[float],
    best: int,
    window: int,
    neighbour_share: float,
    max_chars: int,
    short: int,
) -> tuple[int, int]:
    """(first, last) sentence of the excerpt around the best sentence."""
    first, last = best, best
    if _leans_back(text, spans, best):
        first = best - 1  # the antecedent of "These", "He"… sits in the previous sentence
    elif window > 1:
        j = _neighbour(spans, scores, best, neighbour_share, max_chars)
        if j is not None:
            first, last = min(j, best), max(j, best)
            if _leans_back(text, spans, first) and spans[last][1] - spans[first - 1][0] <= max_chars:
                first -= 1  # the joined neighbour leans on the sentence before it
    return grow(text, spans, scores, first, last, short, max_chars)


def grow(
    text: str,
    spans: Sequence[tuple[int, int]],
    scores: Sequence[float],
    first: int,
    last: int,
    short: int,
    max_chars: int,
) -> tuple[int, int]:
    """A short excerpt grows toward its better-scoring neighbour ("The reception was mixed.")."""
    while spans[last][1] - spans[first][0] < short:
        after = scores[last + 1] if last + 1 < len(spans) else None
        before = scores[first - 1] if first > 0 and not _leans_back(text, spans, first) else None
        if after is None and before is None:
            break
        if before is not None and (after is None or before > after + GROW_BIAS):
            if spans[last][1] - spans[first - 1][0] > max_chars:
                break
            first -= 1
        else:
            last += 1  # at most one sentence past ``short``
    return first, last


def choose(
    text: str,
    q: WeightedQuery,
    idf: Callable[[str], float],
    kinds: set[str],
    qvec: np.ndarray | None = None,
    spans: Sequence[tuple[int, int]] | None = None,
    svecs: np.ndarray | None = None,
    prefer: str = "",
    figures: Sequence[str] = (),
    dense_weight: float = 0.8,
    short: int = 70,
    window: int = 2,
    neighbour_share: float = 0.5,
    max_chars: int = 420,
    stance: float = 0.0,
) -> tuple[int, int, float]:
    """(start, end, score) of the best excerpt of ``text`` for the question."""
    spans = list(spans) if spans is not None else sentence_spans(text)
    if not spans:
        return 0, len(text), 0.0
    cos = svecs @ qvec if qvec is not None and svecs is not None and len(svecs) == len(spans) else None
    if prefer and prefer in text:
        return _around(
            text,
            spans,
            prefer,
            short,
            max_chars,
            lambda: sentence_scores(text, spans, q, idf, kinds, cos, figures, dense_weight, stance),
        )
    scores = sentence_scores(text, spans, q, idf, kinds, cos, figures, dense_weight, stance)
    best = max(range(len(spans)), key=lambda i: scores[i])
    first, last = widen(text, spans, scores, best, window, neighbour_share, max_chars, short)
    s, e = strip_markers(text, (spans[first][0], spans[last][1]))
    return s, e, max(scores[best], 0.0)


def _around(
    text: str,
    spans: Sequence[tuple[int, int]],
    prefer: str,
    short: int,
    max_chars: int,
    scores: Callable[[], list[float]],
) -> tuple[int, int, float]:
    """The excerpt around a claim's own words: the whole sentences that hold them, grown like any
    short excerpt, so "the 750,000 trucks and jeeps given to the Red Army…" is read in its sentence
    and beside the one that says what they did."""
    s = text.index(prefer)
    e = s + len(prefer)
    inside = [i for i, (a, b) in enumerate(spans) if a < e and b > s]
    if not inside or spans[inside[-1]][1] - spans[inside[0]][0] > max_chars:
        return s, e, 1.0
    first, last = grow(text, spans, scores(), inside[0], inside[-1], short, max_chars)
    ws, we = strip_markers(text, (spans[first][0], spans[last][1]))
    return (ws, we, 1.0) if ws <= s and we >= e else (s, e, 1.0)


def first_sentence(text: str, limit: int = 320) -> str:
    """The first sentence of a curated text (a rationale), for a direct answer."""
    spans = sentence_spans(text)
    if not spans:
        return text.strip()
    s, e = spans[0]
    out = text[s:e].strip()
    if len(out) < 60 and len(spans) > 1:
        out = text[s : spans[1][1]].strip()
    return out if len(out) <= limit else out[:limit].rsplit(" ", 1)[0] + "…"
