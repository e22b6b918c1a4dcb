"""Premises: when a question asserts a figure, say whether the literature supports it.

Pure: the asserted quantities come from question analysis; the evidence is a sentence of a
shown literature passage giving a figure of the same kind. The result is one sentence built
from a verbatim quote with its marker, so ``verify`` checks it like every other quote.
"""
from __future__ import annotations

from typing import Sequence

from .figures import Quantity, extract
from .models import Passage
from .question import Premise
from .sentences import sentence_spans, strip_markers


def _close(a: float, b: float, tolerance: float = 0.12) -> bool:
    return a > 0 and b > 0 and abs(a - b) / max(a, b) <= tolerance


def _label(q: Quantity) -> str:
    return q.text if q.kind in {"percent", "dollars"} else f"{q.text} {q.kind}"


def evidence(kind: str, literature: Sequence[Passage]) -> tuple[Passage, str, Quantity] | None:
    """The first sentence of the shown literature that states a figure of ``kind``."""
    for p in literature:
        for s, e in sentence_spans(p.text):
            found = [x for x in extract(p.text[s:e]) if x.kind == kind]
            if found:
                s, e = strip_markers(p.text, (s, e))
                return p, p.text[s:e], found[0]
    return None


def check(premise: Premise | None, literature: Sequence[Passage], essay: Sequence[Passage] = ()) -> str:
    """One sentence on the question's asserted figure, or "" when there is none to check."""
    if premise is None or not premise.figures:
        return ""
    for q in premise.figures:
        if q.kind in {"year", "percent"} and len(premise.figures) > 1:
            continue
        found = evidence(q.kind, literature)
        if found is None:
            continue
        p, sentence, lit = found
        in_essay = any(q.text in e.text for e in essay)
        origin = " (the essay's figure)" if in_essay else ""
        if _close(q.value, lit.value) or (q.text in sentence):
            verdict = "the literature supports that figure"
        else:
            verdict = "the literature gives a different figure"
        return f"The question assumes {_label(q)}{origin}; {verdict}: “{sentence}” [{p.marker}]"
    kinds = ", ".join(_label(q) for q in premise.figures)
    return f"The question assumes {kinds}; none of the passages shown states a figure of that kind."
