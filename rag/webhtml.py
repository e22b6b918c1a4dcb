"""HTML for the web app's answers and claims: pure functions of the records, no gradio.

Safety rule: every piece of corpus, user or question text passes through ``esc()``
(``html.escape``); nothing is rendered as Markdown, so a digest holding ``<script>``,
``![x](http://…)`` or ``[x](javascript:…)`` shows up as inert text. The only links made are
in-page anchors (``#…``) and share links (``?q=…``) whose query is URL-encoded.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote as url_quote

from .models import VERDICT_LABELS, Answer, Claim, FigureComparison, Passage

ESSAY_HEADER = "The essay claims (contested source)"
LITERATURE_HEADER = "Mainstream literature says"
USER_HEADER = "Your documents"
# Each verdict has a text label, an icon and a shape: colour is never the only signal.
VERDICT_ICONS = {
    "consistent": ("✓", "circle"),
    "needs-context": ("!", "triangle"),
    "disputed": ("⇄", "diamond"),
    "contradicted": ("✕", "square"),
    "unverifiable": ("?", "dashed"),
    "not-reviewed": ("·", "dashed"),
    "not-covered": ("⊘", "circle"),
    "none": ("–", "dashed"),
}
_ids = itertools.count(1)
_EM_RE = re.compile(r"\*([^*\n]+?)\*")


def esc(text: Any) -> str:
    """HTML-escape any text (quotes too); *italics* of titles become <em> after escaping."""
    return _EM_RE.sub(r"<em>\1</em>", html.escape(str(text or ""), quote=True))


def paras(text: str, mark: str = "") -> str:
    """Escaped paragraphs of a passage, with the quoted span highlighted once."""
    out = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        if mark and mark in block:
            i = block.index(mark)
            body = esc(block[:i]) + "<mark>" + esc(mark) + "</mark>" + esc(block[i + len(mark) :])
            mark = ""
        else:
            body = esc(block)
        out.append(f"<p>{body.replace(chr(10), '<br>')}</p>")
    return "".join(out)


def quoted(text: str) -> str:
    """“text”, unless the text brings its own opening quote mark (no “"doubled marks)."""
    return text if text[:1] in "\"“‘'«„" else f"“{text}”"


def uid(prefix: str = "cp") -> str:
    """A page-unique id, so two answers in one thread never share an anchor."""
    return f"{prefix}{next(_ids)}"


def share_href(question: str) -> str:
    """A link that opens the app with this question asked (the query is URL-encoded)."""
    return "?q=" + url_quote(question, safe="")


def is_user_passage(p: Passage) -> bool:
    """A passage of a document the user added (never shown as mainstream literature)."""
    return p.source.startswith("user:") and p.side == "literature"


# -- small pieces ------------------------------------------------------------------------------


def verdict_badge(verdict: str | None, label: str | None = None) -> str:
    """Text + icon + shape (+ colour): readable without colour vision."""
    key = verdict or "none"
    icon, shape = VERDICT_ICONS.get(key, VERDICT_ICONS["none"])
    text = label or (verdict or "no reviewed verdict")
    return (
        f'<span class="cp-badge cp-v-{esc(key)}" data-verdict="{esc(key)}">'
        f'<span class="cp-icon cp-shape-{shape}" aria-hidden="true"><span>{icon}</span></span>'
        f'<span class="cp-badge-text">{esc(text)}</span></span>'
    )


def render_message(text: str) -> str:
    return f'<div class="cp"><div class="cp-msg" role="status">{esc(text)}</div></div>'


def render_draft(text: str) -> str:
    """The model's text while it streams: marked as a draft, replaced by the checked version."""
    return (
        '<div class="cp"><div class="cp-card"><h3>Written comparison (draft, being checked…)</h3>'
        f"{paras(text)}</div></div>"
    )


def figures_table(rows: Iterable[tuple[str, str, str, str]], caption: str = "Figures side by side") -> str:
    """(kind, essay, literature, note) rows in a table that scrolls inside its own box."""
    body = "".join(
        f"<tr><th scope='row'>{esc(k)}</th><td class='cp-num'>{e}</td><td class='cp-num'>{li}</td>"
        f"<td>{esc(n)}</td></tr>"
        for k, e, li, n in rows
    )
    if not body:
        return ""
    return (
        f'<div class="cp-scroll"><table class="cp-figs"><caption>{esc(caption)}</caption>'
        '<thead><tr><th scope="col">Figure</th><th scope="col">The essay</th>'
        '<th scope="col">The literature</th><th scope="col">Note</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _fig_row(f: FigureComparison) -> tuple[str, str, str, str]:
    em = f" [{esc(f.essay_marker)}]" if f.essay_marker else ""
    lm = f" [{esc(f.literature_marker)}]" if f.literature_marker else ""
    return f.kind, esc(f.essay) + em, esc(f.literature) + lm, f.note


# -- passages and columns ----------------------------------------------------------------------


def _essay_extra(p: Passage) -> str:
    notes = "".join(f"<li>{esc(n.resolved)}</li>" for n in p.footnotes)
    out = f'<p class="cp-citation"><span class="cp-lbl">Citation:</span> {esc(p.citation.split(". Essay")[0])}</p>'
    if notes:
        return (
            out + '<p class="cp-citation"><span class="cp-lbl">The essay\'s own notes (resolved):</span></p>'
            f'<ul class="cp-cites">{notes}</ul>'
        )
    return out + '<p class="cp-citation cp-sub">The essay gives no footnote for this paragraph.</p>'


def _literature_extra(p: Passage) -> str:
    cites = "".join(f"<li>{esc(c.text)}</li>" for c in p.cites)
    out = f'<p class="cp-citation"><span class="cp-lbl">{esc(p.kind_label)}:</span> {esc(p.title)}, {esc(p.locator)}</p>'
    if cites:
        label = (
            "Full citation" if is_user_passage(p) else "Works summarised"
        )  # a user's file summarises nothing
        out += f'<p class="cp-citation"><span class="cp-lbl">{label}:</span></p><ul class="cp-cites">{cites}</ul>'
    return out


def render_passage(p: Passage) -> str:
    """One quote with its marker; a <details> opens the full passage and its full citation."""
    marker = f'<span class="cp-marker">[{esc(p.marker)}]</span>' if p.marker else ""
    if p.side == "essay":
        loc = f"Essay {esc(p.locator)}"
        if p.footnotes:
            loc += " · note " + ", ".join(f"[{esc(n.number)}]" for n in p.footnotes)
        extra = _essay_extra(p)
    else:
        loc = f"{esc(p.kind_label)} · {esc(p.title)}, {esc(p.locator)}"
        extra = _literature_extra(p)
    return (
        f'<div class="cp-passage" data-marker="{esc(p.marker)}">'
        f'<blockquote class="cp-quote">{marker}{esc(quoted(p.quote or p.text))}</blockquote>'
        f'<p class="cp-loc">{loc}</p>'
        f'<details class="cp-more"><summary>Full passage and citation [{esc(p.marker)}]</summary>'
        f'<div class="cp-full">{paras(p.text, p.quote)}</div>{extra}</details></div>'
    )


def _column(kind: str, header: str, body: str, head_extra: str = "") -> str:
    return (
        f'<section class="cp-col cp-col-{kind}" aria-label="{esc(header)}">'
        f"<h3>{esc(header)}</h3>{head_extra}{body}</section>"
    )


def render_columns(answer: Answer, provenance: str = "") -> str:
    """The essay, the mainstream literature and (when any matched) the user's own documents.

    ``provenance`` is trusted HTML (a <details> about the essay's outlet) shown atop the essay."""
    essay = "".join(render_passage(p) for p in answer.essay) or (
        '<p class="cp-empty">The essay does not address this directly.</p>'
    )
    mainstream = [p for p in answer.literature if not is_user_passage(p)]
    own = [p for p in answer.literature if is_user_passage(p)]
    lit = "".join(render_passage(p) for p in mainstream) or (
        '<p class="cp-empty">Nothing in the reference corpus.</p>'
    )
    cols = [_column("essay", ESSAY_HEADER, essay, provenance), _column("lit", LITERATURE_HEADER, lit)]
    if own:
        note = '<p class="cp-sub">Documents you added: not reviewed, not part of the reference corpus.</p>'
        cols.append(_column("user", USER_HEADER, "".join(render_passage(p) for p in own), note))
    return f'<div class="cp-cols cp-cols-{len(cols)}">{"".join(cols)}</div>'


# -- the answer --------------------------------------------------------------------------------


def _card_html(card: Any) -> str:
    c = card.claim
    return (
        f'<div class="cp-verdict cp-v-{esc(c.verdict)}" role="note" aria-label="Assessment">'
        f"{verdict_badge(c.verdict)}"
        f'<span class="cp-vlabel">{esc(VERDICT_LABELS.get(c.verdict, ""))}</span>'
        f'<span class="cp-claimref">reviewed claim {esc(c.id)} · essay ¶{esc(c.paragraph)} '
        f"[{esc(card.marker)}]</span>"
        f'<p class="cp-headline">{esc(card.headline)}</p>'
        f'<p class="cp-rationale">{esc(c.rationale)}</p></div>'
    )


def _claim_list_html(answer: Answer) -> str:
    counts = " · ".join(f"{esc(v)} {n}" for v, n in answer.inventory if n)
    items = "".join(
        f"<li>{verdict_badge(c.verdict)} <strong>{esc(c.id)}</strong> (essay ¶{esc(c.paragraph)}): "
        f'“{esc(c.quote)}” <span class="cp-sub">{esc(c.rationale)}</span></li>'
        for c in answer.claim_list
    )
    return (
        f'<div class="cp-verdict cp-v-none" role="note" aria-label="Reviewed claims">'
        f'<span class="cp-vlabel">Reviewed claims of the essay: {counts}</span>'
        f'<details class="cp-more" open><summary>The claims asked about ({len(answer.claim_list)})</summary>'
        f'<ul class="cp-claimlist">{items}</ul></details></div>'
    )


def verdict_block(answer: Answer) -> str:
    """One card per reviewed claim about the question; each restates the claim it judges."""
    if answer.cards:
        return "".join(_card_html(card) for card in answer.cards)
    if answer.claim_list:
        return _claim_list_html(answer)
    return (
        '<div class="cp-verdict cp-v-none" role="note" aria-label="Assessment">'
        f"{verdict_badge(None, 'no reviewed verdict')}"
        '<p class="cp-rationale">No reviewed claim of the essay is about this question; '
        "compare the columns yourself.</p></div>"
    )


def _direct_block(answer: Answer) -> str:
    if not answer.direct:
        return ""
    return (
        f'<div class="cp-direct" role="note" aria-label="Answer"><p><span class="cp-lbl">Answer.</span> '
        f"{esc(answer.direct)}</p></div>"
    )


def render_abstention(answer: Answer, suggestions_label: str = "") -> str:
    """Not covered: one short honest message; the caller offers the suggestions once, under
    ``suggestions_label`` (as clickable options, not a second list here)."""
    if answer.abstain_reason == "language":
        return f'<div class="cp cp-answer"><div class="cp-abstain"><p>{esc(answer.summary)}</p></div></div>'
    label = f'<p class="cp-lbl cp-suggest-lbl">{esc(suggestions_label)}</p>' if suggestions_label else ""
    text = re.sub(r"^Not covered:\s*", "", answer.summary)  # the badge says it already
    text = text[:1].upper() + text[1:]
    return (
        '<div class="cp cp-answer"><div class="cp-abstain cp-v-not-covered">'
        f"{verdict_badge('not-covered', 'Not covered')}<p>{esc(text)}</p>{label}</div></div>"
    )


def _share_link(answer: Answer) -> str:
    return (
        f'<p class="cp-share"><a href="{esc(share_href(answer.resolved_question or answer.question))}" '
        'title="Opens Counterpoint with this question asked">Link to this answer</a></p>'
    )


def render_answer_html(
    answer: Answer, provenance: str = "", show_verdict: bool = True, share: bool = False
) -> str:
    """The whole answer as safe HTML (every text escaped); ``provenance`` is trusted HTML."""
    if answer.abstained:
        return render_abstention(answer)
    out = ['<div class="cp cp-answer">', _direct_block(answer)]
    if answer.premise and answer.premise.rstrip(".") not in answer.direct:
        out.append(
            f'<p class="cp-premise"><span class="cp-lbl">Premise check:</span> {esc(answer.premise)}</p>'
        )
    if show_verdict and (answer.cards or answer.claim_list or answer.intent in ("claim", "compare")):
        out.append(verdict_block(answer))  # an overview question gets no empty "no verdict" box
    out.append(figures_table(_fig_row(f) for f in answer.figures))
    out.append(render_columns(answer, provenance))
    if answer.synthesis:
        out.append(
            f'<div class="cp-card"><h3>Written comparison (checked)</h3>{paras(answer.synthesis)}</div>'
        )
    out.extend(f'<p class="cp-notice">{esc(n)}</p>' for n in answer.notices)
    if share:
        out.append(_share_link(answer))
    out.append("</div>")
    return "".join(out)


# -- suggestions for a question the corpus cannot answer ---------------------------------------

_WORD_RE = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "how",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
        "about",
        "many",
        "much",
    ]
)


def related_questions(question: str, candidates: Sequence[str], n: int = 3) -> tuple[list[str], bool]:
    """The candidates sharing most content words with the question -> (questions, related?).

    With no shared word, the first ``n`` candidates (the caller says they are just examples)."""
    words = {w for w in _WORD_RE.findall(question.lower()) if w not in _STOP and len(w) > 2}
    scored = []
    for i, c in enumerate(candidates):
        cw = {w for w in _WORD_RE.findall(c.lower()) if w not in _STOP}
        shared = len(words & cw) + sum(1 for w in words for x in cw if len(w) > 4 and x.startswith(w[:5]))
        if shared:
            scored.append((-shared, i, c))
    if scored:
        return [c for _, _, c in sorted(scored)[:n]], True
    return list(candidates[:n]), False


# -- claims ------------------------------------------------------------------------------------


def filter_claims(
    claims: Sequence[Claim], verdict: str | None = "all", section: str | None = "all", search: str = ""
) -> list[Claim]:
    """The claims matching a verdict, an essay section and every word of a search."""
    words = [w for w in (search or "").lower().split() if w]
    out = []
    for c in claims:
        if verdict not in ("", "all", None) and c.verdict != verdict:
            continue
        if section not in ("", "all", None) and c.section != section:
            continue
        hay = " ".join((c.id, c.quote, c.rationale, c.section, c.verdict, " ".join(c.citations))).lower()
        if all(w in hay for w in words):
            out.append(c)
    return out


def claim_table_rows(claims: Sequence[Claim]) -> list[list[Any]]:
    return [[c.id, c.verdict, c.paragraph, c.section, c.quote] for c in claims]


def _claim_sources(c: Claim) -> str:
    notes = "".join(f"<li>{esc(n)}</li>" for n in c.resolved_footnotes)
    rests = "".join(f"<li>{esc(x)}</li>" for x in c.citations)
    if not (notes or rests):
        return ""
    return (
        '<details class="cp-more" open><summary>The essay\'s notes and the works this review rests on</summary>'
        + (
            f'<p class="cp-lbl">The essay\'s own notes (resolved):</p><ul class="cp-cites">{notes}</ul>'
            if notes
            else ""
        )
        + (f'<p class="cp-lbl">Rests on:</p><ul class="cp-cites">{rests}</ul>' if rests else "")
        + "</details>"
    )


def _figure_list(c: Claim) -> str:
    """A claim's figures as a list (a narrow panel has no room for a four-column table)."""
    items = "".join(
        f"<li><strong>{esc(f.kind)}</strong>: the essay {esc(f.essay)} · the literature {esc(f.literature)}"
        + (f' <span class="cp-sub">({esc(f.note)})</span>' if f.note else "")
        + "</li>"
        for f in c.figures
    )
    return f'<p class="cp-lbl">Figures side by side</p><ul class="cp-figlist">{items}</ul>' if items else ""


def render_claim_card(c: Claim, figures: bool = True, compact: bool = False) -> str:
    """A reviewed claim: its words, verdict, rationale, figures, notes and the works it rests on."""
    if not figures:
        figs = ""
    elif compact:
        figs = _figure_list(c)
    else:
        figs = figures_table((f.kind, esc(f.essay), esc(f.literature), f.note) for f in c.figures)
    return (
        f'<div class="cp-verdict cp-v-{esc(c.verdict)}" role="note" aria-label="Assessment" data-claim="{esc(c.id)}">'
        f'{verdict_badge(c.verdict)}<span class="cp-vlabel">{esc(VERDICT_LABELS.get(c.verdict, ""))}</span>'
        f'<span class="cp-claimref">reviewed claim {esc(c.id)} · {esc(c.section)} · essay ¶{esc(c.paragraph)}</span>'
        f'<p class="cp-claim-quote cp-rationale">“{esc(c.quote)}”</p>'
        f'<p class="cp-rationale">{esc(c.rationale)}</p></div>{figs}{_claim_sources(c)}'
    )


def render_claim_review(c: Claim, answer: Answer | None, provenance: str = "", compact: bool = False) -> str:
    """The claim card, then the essay and the literature side by side for the claim's words;
    ``compact`` (beside the essay itself) shows only the literature, and a way back to the claim."""
    if answer is None or answer.abstained:
        return f'<div class="cp cp-claim-view">{render_claim_card(c, compact=compact)}</div>'
    card = render_claim_card(c, figures=compact or not answer.figures, compact=compact)
    if compact:
        mainstream = [p for p in answer.literature if not is_user_passage(p)]
        lit = "".join(render_passage(p) for p in mainstream) or (
            '<p class="cp-empty">Nothing in the reference corpus.</p>'
        )
        back = f'<p class="cp-back"><a href="#cp-par-{esc(c.paragraph)}">Back to ¶{esc(c.paragraph)} in the essay</a></p>'
        return (
            f'<div class="cp cp-claim-view">{back}{card}'
            f'<section class="cp-col cp-col-lit" aria-label="{esc(LITERATURE_HEADER)}">'
            f"<h3>{esc(LITERATURE_HEADER)}</h3>{lit}</section></div>"
        )
    cols = render_answer_html(answer, provenance, show_verdict=False)
    return (
        f'<div class="cp cp-claim-view">{card}<h2>The essay and the literature side by side</h2></div>{cols}'
    )
