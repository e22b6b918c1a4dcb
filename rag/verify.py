"""Stage 5: code checks every answer before it leaves the engine.

A failure here is a bug in composition (or a tampered index), never something to show a
reader: ``verify`` raises ``GroundingError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .models import VERDICTS, Answer, Passage

MARKER_RE = re.compile(r"\[([EL]\d+)\]")
QUOTED_RE = re.compile(r"“([^“”]+)”\s*\[([EL]\d+)\]")


class GroundingError(AssertionError):
    """An answer failed a grounding check; the message lists every problem."""


def problems(answer: Answer, lookup: Callable[[str], Passage | None] | None = None) -> list[str]:
    out: list[str] = []
    by_marker: dict[str, Passage] = {}
    for side, prefix, passages in (("essay", "E", answer.essay), ("literature", "L", answer.literature)):
        for p in passages:
            if not p.marker.startswith(prefix):
                out.append(f"{p.marker or '(no marker)'}: passage on the {side} side has the wrong marker")
            if p.marker in by_marker:
                out.append(f"{p.marker}: marker used twice")
            by_marker[p.marker] = p
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
    shown = " ".join((answer.summary, answer.synthesis, answer.direct, answer.premise))
    for m in MARKER_RE.findall(shown):
        if m not in by_marker:
            out.append(f"[{m}] in the answer text does not resolve to a passage")
    for quoted, m in QUOTED_RE.findall(shown):
        p = by_marker.get(m)
        if p is not None and quoted not in p.text:
            out.append(f"[{m}]: quoted text in the summary is not in the passage")
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
    for f in answer.figures:
        e = by_marker.get(f.essay_marker)
        if e is None or f.essay not in e.text:
            out.append(f"figure {f.kind}: essay figure {f.essay!r} is not in [{f.essay_marker}]")
        if f.literature_marker:
            lp = by_marker.get(f.literature_marker)
            if lp is None or f.literature not in lp.text:
                out.append(
                    f"figure {f.kind}: literature figure {f.literature!r} is not in [{f.literature_marker}]"
                )
        elif f.source != "review":
            out.append(f"figure {f.kind}: extracted figure without a literature passage")
    if answer.abstained and (answer.essay or answer.literature or answer.verdict or answer.cards):
        out.append("an abstention must not carry passages or a verdict")
    return out


def verify(answer: Answer, lookup: Callable[[str], Passage | None] | None = None) -> Answer:
    found = problems(answer, lookup)
    if found:
        raise GroundingError("answer failed grounding checks:\n- " + "\n- ".join(found))
    return answer
