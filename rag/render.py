"""Plain-text renderings of answers and claims (Markdown for export and the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .verdicts import VERDICT_LABELS

if TYPE_CHECKING:  # records are only annotations here: models imports render, not the reverse
    from .models import Answer, Claim, Passage


def _passage_md(p: Passage) -> str:
    lines = [f"- **[{p.marker}]** “{p.quote}”", f"  - *{p.kind_label}* — {p.title}, {p.locator}"]
    if p.side == "essay":
        for n in p.footnotes:
            lines.append(f"  - Essay's note {n.resolved}")
    else:
        for c in p.cites:
            lines.append(f"  - {c.text}")
    return "\n".join(lines)


def _abstention_md(a: Answer, out: list[str]) -> str:
    if a.abstain_reason == "language":
        return "\n".join(out + [a.summary, ""])
    out += ["**Not covered.**", "", a.summary, ""]
    if a.suggestions:
        out += ["Try:", *[f"- {s}" for s in a.suggestions], ""]
    return "\n".join(out)


def _cards_md(a: Answer) -> list[str]:
    out: list[str] = []
    for card in a.cards:
        c = card.claim
        out += [
            f"**Assessment ({c.id}, essay {card.marker}): {c.verdict}** ({VERDICT_LABELS[c.verdict]}) — "
            f"{card.headline}",
            "",
            c.rationale,
            "",
        ]
    if a.claim_list:
        counts = ", ".join(f"{v} {n}" for v, n in a.inventory if n)
        out += [f"**Reviewed claims** ({counts})", ""]
        out += [f"- {c.id} (¶{c.paragraph}, {c.verdict}): “{c.quote}” — {c.rationale}" for c in a.claim_list]
        out.append("")
    return out


def _figures_md(a: Answer) -> list[str]:
    if not a.figures:
        return []
    lines = [
        f"- {f.kind}: essay **{f.essay}** [{f.essay_marker}] · literature **{f.literature}**"
        + (f" [{f.literature_marker}]" if f.literature_marker else "")
        + (f" ({f.note})" if f.note else "")
        for f in a.figures
    ]
    return ["**Figures side by side**", "", *lines, ""]


def _tail_md(a: Answer) -> list[str]:
    out: list[str] = []
    if a.synthesis:
        out += ["", "### Written comparison (checked)", "", a.synthesis]
    for n in a.notices:
        out += ["", f"> {n}"]
    if a.premise and a.premise.rstrip(".") not in a.direct:
        out += ["", f"> Premise check: {a.premise}"]
    return out


def answer_markdown(a: Answer) -> str:
    out = [f"## {a.question}", ""]
    if a.resolved_question != a.question:
        out += [f"*Read as:* {a.resolved_question}", ""]
    if a.abstained:
        return _abstention_md(a, out)
    if a.direct:
        out += ["**Answer.** " + a.direct, ""]
    out += _cards_md(a) + _figures_md(a)
    out += ["### The essay claims (contested source)", ""]
    out += [_passage_md(p) for p in a.essay] or ["- The essay does not address this directly."]
    out += ["", "### Mainstream literature says", ""]
    out += [_passage_md(p) for p in a.literature] or ["- Nothing in the reference corpus."]
    return "\n".join(out + _tail_md(a)) + "\n"


def claim_markdown(c: Claim) -> str:
    out = [
        f"### {c.id} — {c.verdict} ({VERDICT_LABELS[c.verdict]})",
        "",
        f"> “{c.quote}” (essay ¶{c.paragraph}"
        + (f"; notes {', '.join(map(str, c.footnotes))}" if c.footnotes else "")
        + ")",
        "",
        c.rationale,
        "",
    ]
    for f in c.figures:
        out.append(
            f"- {f.kind}: essay {f.essay} · literature {f.literature}" + (f" ({f.note})" if f.note else "")
        )
    if c.resolved_footnotes:
        out += ["", "Essay's notes: " + "; ".join(c.resolved_footnotes)]
    if c.citations:
        out += ["", "Rests on:", *[f"- {x}" for x in c.citations]]
    return "\n".join(out) + "\n"


def claims_report(claims: list[Claim], title: str = "") -> str:
    """All ``claims`` as one Markdown report; ``title`` is the reviewed essay's (``Essay.title``)."""
    of = f"“{title}”" if title else "the essay"
    return f"# Counterpoint: reviewed claims of {of}\n\n" + "\n".join(claim_markdown(c) for c in claims)
