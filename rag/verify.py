"""Stage 5: code checks every answer before it leaves the engine.

A failure here is a bug in composition (or a tampered index), never something to show a
reader: ``verify`` raises ``GroundingError``.
"""

from __future__ import annotations

from collections.abc import Callable

from .markers import MARKER_RE, QUOTED_MARKER_RE
from .models import VERDICTS, Answer, Passage
from .numeric import shown_in


class GroundingError(AssertionError):
    """An answer failed a grounding check; the message lists every problem."""


Lookup = Callable[[str], Passage | None]


def _passage_problems(p: Passage, side: str, lookup: Lookup | None) -> list[str]:
    """A shown passage: the right side, a verbatim quote, the indexed text, a citation."""
    out: list[str] = []
    if p.side != side:
        out.append(f"{p.marker}: a {p.side} passage is shown on the {side} side")
    if not p.quote.strip():
        out.append(f"{p.marker}: empty quote")
    elif p.quote not in p.text:
        out.append(f"{p.marker}: quote is not a verbatim substring of its passage")
    if lookup is not None:
        indexed = lookup(p.id)
        if indexed is None:
            out.append(f"{p.marker}: passage {p.id} is not in the index")
        elif indexed.text != p.text:
            out.append(f"{p.marker}: passage text differs from the indexed text")
    if not p.citation:
        out.append(f"{p.marker}: no citation")
    return out


def _passages(answer: Answer, lookup: Lookup | None) -> tuple[dict[str, Passage], list[str]]:
    out: list[str] = []
    by_marker: dict[str, Passage] = {}
    for side, prefix, passages in (("essay", "E", answer.essay), ("literature", "L", answer.literature)):
        for p in passages:
            if not p.marker.startswith(prefix):
                out.append(f"{p.marker or '(no marker)'}: passage on the {side} side has the wrong marker")
            if p.marker in by_marker:
                out.append(f"{p.marker}: marker used twice")
            by_marker[p.marker] = p
            out += _passage_problems(p, side, lookup)
    return by_marker, out


def _text_problems(answer: Answer, by_marker: dict[str, Passage]) -> list[str]:
    """Every marker in the answer's own text resolves, and every “quote” [M] is verbatim in M."""
    out: list[str] = []
    shown = " ".join((answer.summary, answer.synthesis, answer.direct, answer.premise))
    for m in MARKER_RE.findall(shown):
        if m not in by_marker:
            out.append(f"[{m}] in the answer text does not resolve to a passage")
    for quoted, m in QUOTED_MARKER_RE.findall(shown):
        p = by_marker.get(m)
        if p is not None and quoted not in p.text:
            out.append(f"[{m}]: quoted text in the summary is not in the passage")
    return out


def _claim_problems(answer: Answer, by_marker: dict[str, Passage]) -> list[str]:
    """A verdict belongs to a reviewed claim quoted by the first essay passage; cards likewise."""
    out: list[str] = []
    if answer.verdict is not None:
        if answer.verdict not in VERDICTS:
            out.append(f"unknown verdict {answer.verdict!r}")
        if answer.claim is None:
            out.append("a verdict without a reviewed claim")
        elif not answer.essay or answer.claim.quote not in answer.essay[0].text:
            out.append(f"claim {answer.claim.id} is not in the first essay passage")
    for card in answer.cards:
        p = by_marker.get(card.marker)
        if card.claim.verdict not in VERDICTS:
            out.append(f"claim {card.claim.id}: unknown verdict {card.claim.verdict!r}")
        if p is None or card.claim.quote not in p.text:
            out.append(f"claim {card.claim.id} is not in the essay passage [{card.marker}]")
    if answer.claim is not None and answer.cards and answer.cards[0].claim.id != answer.claim.id:
        out.append(f"claim {answer.claim.id} is not the first card")
    return out


def _figure_problems(answer: Answer, by_marker: dict[str, Passage]) -> list[str]:
    """Each figure shown side by side occurs verbatim in the passage it is attributed to."""
    out: list[str] = []
    for f in answer.figures:
        e = by_marker.get(f.essay_marker)
        if e is None or not shown_in(f.essay, e.text):
            out.append(f"figure {f.kind}: essay figure {f.essay!r} is not in [{f.essay_marker}]")
        if f.literature_marker:
            lp = by_marker.get(f.literature_marker)
            if lp is None or not shown_in(f.literature, lp.text):
                out.append(
                    f"figure {f.kind}: literature figure {f.literature!r} is not in [{f.literature_marker}]"
                )
        elif f.source != "review":
            out.append(f"figure {f.kind}: extracted figure without a literature passage")
    return out


def problems(answer: Answer, lookup: Lookup | None = None) -> list[str]:
    """Every grounding problem of ``answer`` (empty when it may be shown)."""
    by_marker, out = _passages(answer, lookup)
    out += _text_problems(answer, by_marker)
    out += _claim_problems(answer, by_marker)
    out += _figure_problems(answer, by_marker)
    if answer.abstained and (answer.essay or answer.literature or answer.verdict or answer.cards):
        out.append("an abstention must not carry passages or a verdict")
    return out


def verify(answer: Answer, lookup: Lookup | None = None) -> Answer:
    found = problems(answer, lookup)
    if found:
        raise GroundingError("answer failed grounding checks:\n- " + "\n- ".join(found))
    return answer
