"""Stage 4: extractive composition. No model: verbatim sentences, paired, with a reviewed verdict.

Everything a reader sees is cut from an indexed passage by character offsets; the summary only
arranges those cuts and the reviewed rationale. ``verify.py`` checks the result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from .figures import asked_kinds, compare, extract
from .lexical import tokenize
from .models import VERDICT_LABELS, Answer, Claim, FigureComparison, Passage
from .retrieve import Hit
from .sentences import sentence_spans, strip_markers

SUGGESTIONS = (
    "How many trucks and jeeps did the Allies send to the Soviet Union?",
    "When did the second Five-Year Plan begin?",
    "How many people passed through the Gulag?",
    "Who designed Magnitogorsk?",
    "Did Roosevelt ever criticise Stalin in public?",
    "Is Hoggan a reliable source?",
    "What kind of publication is Inconvenient History?",
)


@dataclass(frozen=True)
class WeightedQuery:
    """Question tokens weighted 1.0; tokens inherited from history weighted less."""

    weights: dict[str, float]

    @classmethod
    def build(cls, question: str, resolved: str, context_weight: float = 0.4) -> "WeightedQuery":
        own = tokenize(question)
        w = {t: 1.0 for t in own}
        for t in tokenize(resolved):
            w.setdefault(t, context_weight)
        return cls(w)


def overlap(tokens: set[str], q: WeightedQuery, idf: Callable[[str], float]) -> float:
    total = sum(idf(t) * w for t, w in q.weights.items()) or 1.0
    return sum(idf(t) * w for t, w in q.weights.items() if t in tokens) / total


def select_quote(text: str, q: WeightedQuery, idf: Callable[[str], float], kinds: set[str],
                 prefer: str = "", figures: Sequence[str] = ()) -> tuple[int, int, float]:
    """Best sentence span of ``text`` for the question; short sentences take their neighbour."""
    spans = sentence_spans(text)
    if not spans:
        return 0, len(text), 0.0
    if prefer and prefer in text:
        s = text.index(prefer)
        return s, s + len(prefer), 1.0
    best, best_score = 0, -1.0
    for i, (s, e) in enumerate(spans):
        sent = text[s:e]
        if sent.rstrip("”\"’' ").endswith("?"):
            continue
        score = overlap(set(tokenize(sent)), q, idf)
        if kinds:
            found = {x.kind for x in extract(sent)}
            if found & kinds or ("*" in kinds and found - {"year"}):
                score += 0.2
        if any(n in sent for f in figures for n in re.findall(r"\d[\d,.]*\d|\d", f)):
            score += 0.5  # the reviewed comparison's figure: show the sentence that states it
        score -= 0.002 * i
        if score > best_score:
            best, best_score = i, score
    s, e = spans[best]
    if e - s < 70 and best + 1 < len(spans):
        e = spans[best + 1][1]
    s, e = strip_markers(text, (s, e))
    return s, e, max(best_score, 0.0)


def claim_score(c: Claim, q: WeightedQuery, idf: Callable[[str], float], sim: float) -> float:
    """How squarely the question is about this claim: words of its quote (recall and precision),
    words of its rationale and figures, and the dense similarity of question and claim."""
    quote_toks = set(tokenize(c.quote))
    extra = set(tokenize(c.rationale + " " + " ".join(f.kind for f in c.figures))) - quote_toks
    qset = set(q.weights)
    precision = (sum(idf(t) for t in quote_toks & qset) / (sum(idf(t) for t in quote_toks) or 1.0))
    return (overlap(quote_toks, q, idf) + 0.3 * overlap(extra, q, idf) + 0.3 * precision
            + 1.0 * max(0.0, sim - 0.25))


def match_claim(q: WeightedQuery, essay_hits: Sequence[Hit], claims: Sequence[Claim],
                idf: Callable[[str], float], sims: dict[str, float] | None = None,
                min_score: float = 0.4) -> tuple[Claim | None, int]:
    """The reviewed claim the question is about, among claims in the top essay paragraphs.

    Score = rank weight of the paragraph's hit × ``claim_score``.
    """
    sims = sims or {}
    best: tuple[float, Claim | None, int] = (0.0, None, -1)
    for rank, hit in enumerate(essay_hits[:5]):
        rank_w = (1.0, 0.9, 0.8, 0.7, 0.6)[rank]
        for c in claims:
            if c.paragraph not in hit.passage.paragraphs or c.quote not in hit.passage.text:
                continue
            score = rank_w * claim_score(c, q, idf, sims.get(c.id, 0.0))
            if score > best[0]:
                best = (score, c, rank)
    if best[0] < min_score:
        return None, -1
    return best[1], best[2]


def _literature_order(hits: Sequence[Hit], claim: Claim | None, boost: float = 0.03) -> list[Hit]:
    """Passages from the digests a matched claim rests on move up; ties keep retrieval order."""
    if not claim:
        return list(hits)
    wanted = set(claim.digests)
    return sorted(hits, key=lambda h: -(h.score + (boost if h.passage.source in wanted else 0.0)))


def proper_nouns(question: str) -> list[str]:
    """Capitalised words after the first ("Who is John Mosier?" -> John, Mosier): names the
    essay may mention even when the passage is not semantically close to the question."""
    words = re.findall(r"[A-Za-z][\w’'-]+", question)[1:]
    return [w for w in words if w[0].isupper() and len(w) > 2 and w.lower() not in {"the", "and", "did", "was"}]


def abstain(question: str, resolved: str, topics: Sequence[str], reason: str) -> Answer:
    listed = "; ".join(topics[:12])
    summary = (f"Not covered: {reason} Counterpoint answers questions about the essay “Poison Partners” "
               f"(John Wear, 2020) and the mainstream literature on its topics, for example: {listed}.")
    return Answer(question=question, resolved_question=resolved, abstained=True, summary=summary,
                  covered_topics=tuple(topics), suggestions=SUGGESTIONS)


def compose(question: str, resolved: str, essay_hits: Sequence[Hit], lit_hits: Sequence[Hit],
            claims: Sequence[Claim], idf: Callable[[str], float], top_k: int = 3,
            essay_min_dense: float = 0.4, claim_sims: dict[str, float] | None = None,
            reviewed_essay: str = "") -> Answer:
    q = WeightedQuery.build(question, resolved)
    kinds = asked_kinds(resolved)
    reviewable = [h for h in essay_hits if not reviewed_essay or h.passage.source == reviewed_essay]
    claim, claim_rank = match_claim(q, reviewable, claims, idf, claim_sims)
    if claim is not None:
        claim_rank = essay_hits.index(reviewable[claim_rank])

    essay_sel = list(essay_hits)
    if claim is not None and claim_rank > 0:
        essay_sel.insert(0, essay_sel.pop(claim_rank))
    names = [n for n in proper_nouns(question) if all(idf(t) >= 1.5 for t in tokenize(n))]  # rare names only

    def on_topic(h: Hit) -> bool:
        """The essay column shows only passages that are about the question: semantically close,
        or sharing most of its weighted words, or naming what it names."""
        if h.dense >= essay_min_dense:
            return True
        if h.dense >= 0.2 and overlap(set(tokenize(h.passage.text)), q, idf) >= 0.5:
            return True
        return any(n in h.passage.text for n in names)

    essay_sel = [h for i, h in enumerate(essay_sel) if (i == 0 and claim is not None) or on_topic(h)][:top_k]

    essay: list[Passage] = []
    for i, h in enumerate(essay_sel, 1):
        prefer = claim.quote if (claim is not None and i == 1) else ""
        s, e, sc = select_quote(h.passage.text, q, idf, kinds, prefer)
        p = h.passage
        notes = tuple(n for n in p.footnotes if f"[{n.number}]" in p.text[s:])[:1] or p.footnotes[:1]
        essay.append(replace(p, quote=p.text[s:e], score=round(h.score, 5), marker=f"E{i}", footnotes=notes
                             if notes else p.footnotes))

    literature: list[Passage] = []
    for i, h in enumerate(_literature_order(lit_hits, claim)[:top_k], 1):
        s, e, sc = select_quote(h.passage.text, q, idf, kinds,
                                figures=[f.literature for f in claim.figures] if claim else ())
        literature.append(replace(h.passage, quote=h.passage.text[s:e], score=round(h.score, 5), marker=f"L{i}"))

    figures: list[FigureComparison] = []
    if claim is not None:
        for f in claim.figures:
            lit_marker = next((p.marker for p in literature if f.literature in p.text), "")
            figures.append(FigureComparison(f.kind, f.essay, f.literature, f.note, "E1", lit_marker, "review"))
    if not figures and essay:
        figures = compare(resolved, essay[0].quote, [(p.marker, p.quote) for p in literature])

    verdict = claim.verdict if claim else None
    notices = tuple(f"“{p.title}” is a user-added essay: its claims are not reviewed." for p in essay[:1]
                    if reviewed_essay and p.source != reviewed_essay)
    return Answer(question=question, resolved_question=resolved, abstained=False, essay=tuple(essay),
                  literature=tuple(literature), verdict=verdict, claim=claim,
                  summary=summarize(essay, literature, claim, figures), figures=tuple(figures),
                  suggestions=() if essay or literature else SUGGESTIONS, notices=notices,
                  review_status="reviewed" if claim else ("not-reviewed" if notices else "no-matching-claim"))


def summarize(essay: Sequence[Passage], literature: Sequence[Passage], claim: Claim | None,
              figures: Sequence[FigureComparison]) -> str:
    lines = []
    if essay:
        e = essay[0]
        lines.append(f"The essay (the contested source, {e.locator}) says: “{e.quote}” [{e.marker}]")
    else:
        lines.append("The essay does not address this directly.")
    if literature:
        l1 = literature[0]
        more = ", ".join(f"[{p.marker}]" for p in literature[1:])
        lines.append(f"Mainstream literature ({l1.title}, {l1.locator}): “{l1.quote}” [{l1.marker}]"
                     + (f"; see also {more}." if more else ""))
    for f in figures:
        where = f" [{f.literature_marker}]" if f.literature_marker else ""
        lines.append(f"Figures, {f.kind}: essay {f.essay} [{f.essay_marker}] · literature {f.literature}{where}"
                     + (f" ({f.note})" if f.note else "") + ".")
    if claim is not None:
        label = VERDICT_LABELS[claim.verdict]
        lines.append(f"Assessment (reviewed claim {claim.id}): {claim.verdict} ({label}). {claim.rationale}")
    return "\n".join(lines)
