"""Counterpoint web app (Gradio 6): a thin shell over one shared ``rag.Assistant``.

Tabs: Chat (two-column answers), Claims (the reviewed claims, filterable), Sources (provenance
cards), About. A named API endpoint ``/ask`` returns ``Answer.to_dict()`` for gradio_client.

Safety rule: every piece of corpus or user text reaches the page through ``esc()``
(``html.escape``) inside a ``gr.HTML`` component; nothing is rendered as Markdown, so a digest
containing ``<script>``, ``![x](http://…)`` or ``[x](javascript:…)`` shows up as inert text.

This is the only module that imports gradio (never import it from ``rag/__init__``).
"""

from __future__ import annotations

import os

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)

import hashlib  # noqa: E402
import html  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import gradio as gr  # noqa: E402

from .assistant import QuestionError  # noqa: E402
from .claimreview import claim_reviews  # noqa: E402
from .compose import SUGGESTIONS  # noqa: E402
from .models import VERDICT_LABELS, VERDICTS, Answer, Claim, Passage  # noqa: E402
from .render import claims_report  # noqa: E402

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant
    from .corpus import Document

ESSAY_HEADER = "The essay claims (contested source)"
LITERATURE_HEADER = "Mainstream literature says"
PROVENANCE_LABEL = "About this source: Inconvenient History / CODOH"
OUTLET_PROFILE = "inconvenient-history-codoh"
ESSAY_PROFILES = ("essay-poison-partners", OUTLET_PROFILE, "john-wear")
EXAMPLES = tuple(q for q in SUGGESTIONS if "Hoggan" not in q)  # one list of example questions
# Each verdict has a text label, an icon and a shape: colour is never the only signal.
VERDICT_ICONS = {
    "consistent": ("✓", "circle"),
    "needs-context": ("!", "triangle"),
    "disputed": ("⇄", "diamond"),
    "contradicted": ("✕", "square"),
    "unverifiable": ("?", "dashed"),
    "not-covered": ("⊘", "circle"),
    "none": ("–", "dashed"),
}
_ids = itertools.count(1)

CSS = """
.gradio-container { --font: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
#cp-claims-table table, #cp-claims-table td, #cp-claims-table th, #cp-claims-table span { font-family: var(--font); }
.cp { font-size: 15px; line-height: 1.5; color: var(--body-text-color);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
.cp strong, .cp b, .cp dt, .cp h1, .cp h2, .cp h3, .cp summary, .cp th, .cp .cp-lbl { font-family: inherit; }
.cp strong, .cp b { font-size: inherit; }
.cp h1 { font-size: 1.6rem; margin: .2rem 0 0 0; }
.cp h2 { font-size: 1.2rem; margin: 1rem 0 .5rem 0; }
.cp h3 { font-size: 1.05rem; margin: 0 0 .5rem 0; }
.cp a { color: #1d4ed8; }
.cp .cp-sub, .cp .cp-loc, .cp .cp-claimref, .cp .cp-readas, .cp .cp-placeholder, .cp .cp-q .cp-you,
.cp .cp-pre, .cp .cp-empty { color: var(--body-text-color); opacity: .75; }
.cp .cp-q { font-weight: 600; font-size: 1.1rem; margin: .2rem 0 .6rem 0; }
.cp .cp-q .cp-you { font-weight: 500; margin-right: .4rem; }
.cp .cp-readas { font-size: .9rem; margin: -.3rem 0 .6rem 0; }
.cp .cp-verdict { display: flex; flex-wrap: wrap; gap: .35rem .75rem; align-items: center;
  border: 1px solid var(--border-color-primary); border-left: 6px solid var(--vc, #9ca3af); border-radius: 8px;
  padding: .6rem .8rem; margin: 0 0 .8rem 0; background: var(--block-background-fill); }
.cp .cp-verdict .cp-rationale { flex-basis: 100%; margin: .1rem 0 0 0; color: var(--body-text-color); }
.cp .cp-verdict .cp-vlabel { font-weight: 600; color: var(--body-text-color); }
.cp .cp-direct { border-left: 4px solid #1d4ed8; padding: .4rem .75rem; margin: .4rem 0 .6rem 0;
  font-size: 1.02rem; }
.cp .cp-premise { border-left: 4px solid #9a3412; padding: .3rem .75rem; }
.cp .cp-headline { flex-basis: 100%; margin: .1rem 0 0 0; font-style: italic; }
.cp .cp-claimlist { padding-left: 1.1rem; } .cp .cp-claimlist li { margin: .3rem 0; }
.cp .cp-claimref { font-size: .88rem; }
.cp .cp-badge { display: inline-flex; align-items: center; gap: .45rem; font-weight: 700; color: var(--vc, #374151);
  border-radius: 999px; padding: .12rem .7rem .12rem .3rem; border: 2px solid var(--vc, #374151);
  background: #fff; letter-spacing: .01em; line-height: 1.3; }
.cp .cp-icon { display: inline-flex; align-items: center; justify-content: center; width: 1.3rem;
  height: 1.3rem; font-size: .8rem; font-weight: 700; background: var(--vc, #374151); line-height: 1; flex: none; }
.cp .cp-icon > span { color: #fff; }
.cp .cp-shape-circle { border-radius: 50%; }
.cp .cp-shape-square { border-radius: 2px; }
.cp .cp-shape-diamond { transform: rotate(45deg) scale(.82); }
.cp .cp-shape-diamond > span { transform: rotate(-45deg); }
.cp .cp-shape-triangle { clip-path: polygon(50% 0, 100% 100%, 0 100%); padding-top: .35rem; font-size: .7rem; }
.cp .cp-shape-dashed { background: #fff; border: 2px dashed var(--vc, #374151); border-radius: 3px; }
.cp .cp-shape-dashed > span { color: var(--vc, #374151); }
.cp .cp-v-consistent { --vc: #166534; }
.cp .cp-v-needs-context { --vc: #9a3412; }
.cp .cp-v-disputed { --vc: #5b21b6; }
.cp .cp-v-contradicted { --vc: #b91c1c; }
.cp .cp-v-unverifiable { --vc: #374151; }
.cp .cp-v-not-covered, .cp .cp-v-none { --vc: #4b5563; }
.cp .cp-figs { border-collapse: collapse; margin: 0 0 .9rem 0; font-size: .92rem; width: 100%; }
.cp .cp-figs caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
.cp .cp-figs th, .cp .cp-figs td { border: 1px solid var(--border-color-primary); padding: .3rem .5rem;
  text-align: left; vertical-align: top; }
.cp .cp-figs th { background: var(--background-fill-secondary); }
.cp .cp-figs td.cp-num { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
.cp .cp-cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 820px) { .cp .cp-cols { grid-template-columns: 1fr; } }
.cp .cp-col { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .7rem .8rem;
  background: var(--block-background-fill); min-width: 0; }
.cp .cp-col-essay { border-top: 4px solid #b45309; }
.cp .cp-col-lit { border-top: 4px solid #1d4ed8; }
.cp .cp-col h3 a { color: inherit; text-decoration: underline dotted; text-underline-offset: 3px; }
.cp .cp-prov { font-size: .88rem; margin: 0 0 .6rem 0; }
.cp .cp-prov > summary { color: #9a3412; }
.cp .cp-prov p { margin: .2rem 0 .4rem 0; }
.cp .cp-passage { margin: 0 0 .75rem 0; padding-bottom: .6rem; border-bottom: 1px solid var(--border-color-primary); }
.cp .cp-passage:last-child { border-bottom: 0; margin-bottom: 0; padding-bottom: 0; }
.cp .cp-quote { margin: 0 0 .3rem 0; padding: 0 0 0 .6rem; border-left: 3px solid var(--border-color-primary);
  font-style: normal; }
.cp .cp-marker { display: inline-block; font-weight: 700; font-size: .8rem; padding: 0 .3rem; border-radius: 4px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); margin-right: .3rem; }
.cp .cp-loc { font-size: .85rem; margin: 0 0 .25rem 0; }
.cp details { margin: .2rem 0; }
.cp details > summary { cursor: pointer; font-size: .88rem; }
.cp details.cp-more > summary, .cp details.cp-old > summary { color: #1d4ed8; }
.dark .cp details.cp-more > summary, .dark .cp details.cp-old > summary, .dark .cp a { color: #93c5fd; }
.dark .cp .cp-prov > summary { color: #fdba74; }
.cp details[open] > summary { margin-bottom: .35rem; }
.cp .cp-full { font-size: .9rem; background: var(--background-fill-secondary); border-radius: 6px;
  padding: .5rem .6rem; }
.cp .cp-full p { margin: 0 0 .45rem 0; }
.cp .cp-full p:last-child { margin-bottom: 0; }
.cp .cp-full mark { background: #fef08a; color: #111; padding: 0 .1rem; }
.cp .cp-lbl { font-weight: 600; }
.cp .cp-citation { font-size: .88rem; margin: .4rem 0 .2rem 0; }
.cp ul.cp-cites { font-size: .88rem; margin: .15rem 0 .2rem 1.2rem; padding: 0; list-style: disc; }
.cp ul.cp-cites li { margin: .1rem 0; }
.cp .cp-empty { font-style: italic; }
.cp .cp-notice { font-size: .88rem; border-left: 3px solid #9ca3af; padding: .2rem .6rem; margin: .6rem 0 0 0; }
.cp .cp-msg { border: 1px solid #93c5fd; background: #eff6ff; color: #1e3a8a; border-radius: 8px;
  padding: .6rem .8rem; margin: 0 0 .8rem 0; }
.cp .cp-abstain { border: 1px dashed #9ca3af; border-radius: 8px; padding: .7rem .9rem; }
.cp .cp-abstain p { margin: .5rem 0 .2rem 0; }
.cp .cp-abstain ul { margin: .3rem 0 0 1.2rem; list-style: disc; }
.cp .cp-turn { margin: 0 0 1rem 0; }
.cp .cp-earlier { border-top: 1px solid var(--border-color-primary); padding-top: .5rem; }
.cp .cp-earlier > summary { font-weight: 600; color: var(--body-text-color); font-size: .95rem; }
.cp .cp-old { margin: .3rem 0 .3rem .8rem; }
.cp .cp-placeholder { padding: .8rem 0; }
.cp .cp-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .7rem .9rem;
  margin: 0 0 .8rem 0; background: var(--block-background-fill); }
.cp .cp-card h3 { margin-bottom: .3rem; }
.cp .cp-pre { font-size: .88rem; font-style: italic; margin: 0 0 .3rem 0; }
.cp .cp-card dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .3rem 0; font-size: .92rem; }
.cp .cp-card dt { font-weight: 600; }
.cp .cp-card dd { margin: 0; }
.cp .cp-sec > summary { font-weight: 600; color: var(--body-text-color); font-size: .95rem; }
.cp .cp-sec p { margin: .2rem 0 .4rem 0; }
.cp ol.cp-refs { padding-left: 1.6rem; font-size: .92rem; list-style: decimal; }
.cp ol.cp-refs li { margin: .15rem 0; }
.cp .cp-claim-quote { font-size: 1rem; }
.cp .cp-about p, .cp .cp-about li { max-width: 62rem; }
.cp .cp-about ul { list-style: disc; padding-left: 1.3rem; }
.cp .cp-toc { font-size: .92rem; margin: .3rem 0 0 0; }
.cp .cp-toc a { margin-right: .9rem; }
"""

# -- escaping ----------------------------------------------------------------------------------

_EM_RE = re.compile(r"\*([^*\n]+?)\*")


def esc(text: Any) -> str:
    """HTML-escape any text (quotes too); *italics* of titles become <em> after escaping."""
    return _EM_RE.sub(r"<em>\1</em>", html.escape(str(text or ""), quote=True))


def _paras(text: str, mark: str = "") -> str:
    """Escaped paragraphs of a passage, with the quoted span highlighted."""
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


def _uid() -> str:
    return f"cp{next(_ids)}"


# -- answer rendering --------------------------------------------------------------------------


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


def _verdict_block(answer: Answer) -> str:
    """One card per reviewed claim about the question; each restates the claim it judges."""
    cards = []
    for card in answer.cards:
        c = card.claim
        cards.append(
            f'<div class="cp-verdict cp-v-{esc(c.verdict)}" role="note" aria-label="Assessment">'
            f"{verdict_badge(c.verdict)}"
            f'<span class="cp-vlabel">{esc(VERDICT_LABELS.get(c.verdict, ""))}</span>'
            f'<span class="cp-claimref">reviewed claim {esc(c.id)} · essay ¶{esc(c.paragraph)} '
            f"[{esc(card.marker)}]</span>"
            f'<p class="cp-headline">{esc(card.headline)}</p>'
            f'<p class="cp-rationale">{esc(c.rationale)}</p></div>'
        )
    if cards:
        return "".join(cards)
    if answer.claim_list:
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
    return (
        '<div class="cp-verdict cp-v-none" role="note" aria-label="Assessment">'
        f"{verdict_badge(None, 'no reviewed verdict')}"
        '<p class="cp-rationale">No reviewed claim of the essay is about this question; '
        "compare the two columns yourself.</p></div>"
    )


def _direct_block(answer: Answer) -> str:
    """The direct answer, first: one to three sentences made of verified pieces."""
    if not answer.direct:
        return ""
    return (
        f'<div class="cp-direct" role="note" aria-label="Answer"><p><span class="cp-lbl">Answer.</span> '
        f"{esc(answer.direct)}</p></div>"
    )


def _figures_table(answer: Answer) -> str:
    if not answer.figures:
        return ""
    rows = []
    for f in answer.figures:
        em = f" [{esc(f.essay_marker)}]" if f.essay_marker else ""
        lm = f" [{esc(f.literature_marker)}]" if f.literature_marker else ""
        rows.append(
            f"<tr><td>{esc(f.kind)}</td><td class='cp-num'>{esc(f.essay)}{em}</td>"
            f"<td class='cp-num'>{esc(f.literature)}{lm}</td><td>{esc(f.note)}</td></tr>"
        )
    return (
        '<table class="cp-figs"><caption>Figures side by side</caption>'
        '<thead><tr><th scope="col">Figure</th><th scope="col">The essay</th>'
        '<th scope="col">The literature</th><th scope="col">Note</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_passage(p: Passage) -> str:
    """One quote with its marker; a <details> opens the full passage and its full citation."""
    marker = f'<span class="cp-marker">[{esc(p.marker)}]</span>' if p.marker else ""
    quote = p.quote or p.text
    if p.side == "essay":
        loc = f"Essay {esc(p.locator)}"
        if p.footnotes:
            loc += " · note " + ", ".join(f"[{esc(n.number)}]" for n in p.footnotes)
        notes = "".join(f"<li>{esc(n.resolved)}</li>" for n in p.footnotes)
        extra = (
            f'<p class="cp-citation"><span class="cp-lbl">Citation:</span> {esc(p.citation.split(". Essay")[0])}</p>'
            + (
                f'<p class="cp-citation"><span class="cp-lbl">The essay\'s own notes (resolved):</span></p>'
                f'<ul class="cp-cites">{notes}</ul>'
                if notes
                else '<p class="cp-citation cp-sub">The essay gives no footnote for this paragraph.</p>'
            )
        )
    else:
        loc = f"{esc(p.kind_label)} · {esc(p.title)}, {esc(p.locator)}"
        cites = "".join(f"<li>{esc(c.text)}</li>" for c in p.cites)
        extra = (
            f'<p class="cp-citation"><span class="cp-lbl">{esc(p.kind_label)}:</span> '
            f"{esc(p.title)}, {esc(p.locator)}</p>"
            + (
                f'<p class="cp-citation"><span class="cp-lbl">Works summarised:</span></p>'
                f'<ul class="cp-cites">{cites}</ul>'
                if cites
                else ""
            )
        )
    return (
        f'<div class="cp-passage" data-marker="{esc(p.marker)}">'
        f'<blockquote class="cp-quote">{marker}“{esc(quote)}”</blockquote>'
        f'<p class="cp-loc">{loc}</p>'
        f'<details class="cp-more"><summary>Full passage and citation [{esc(p.marker)}]</summary>'
        f'<div class="cp-full">{_paras(p.text, p.quote)}</div>{extra}</details></div>'
    )


def render_columns(answer: Answer, provenance: str = "") -> str:
    pid = _uid() + "-prov"
    prov = (
        f'<details class="cp-prov" id="{pid}"><summary>{esc(PROVENANCE_LABEL)}</summary>'
        f"{provenance or '<p>The essay was published by Inconvenient History, the journal of CODOH, a Holocaust-denial organisation. See the Sources tab.</p>'}"
        "</details>"
    )
    essay = (
        "".join(render_passage(p) for p in answer.essay)
        or '<p class="cp-empty">The essay does not address this directly.</p>'
    )
    lit = (
        "".join(render_passage(p) for p in answer.literature)
        or '<p class="cp-empty">Nothing in the reference corpus.</p>'
    )
    return (
        '<div class="cp-cols">'
        f'<section class="cp-col cp-col-essay" aria-label="{esc(ESSAY_HEADER)}">'
        f'<h3><a href="#{pid}" title="{esc(PROVENANCE_LABEL)}">{esc(ESSAY_HEADER)}</a></h3>{prov}{essay}</section>'
        f'<section class="cp-col cp-col-lit" aria-label="{esc(LITERATURE_HEADER)}">'
        f"<h3>{esc(LITERATURE_HEADER)}</h3>{lit}</section></div>"
    )


def render_answer_html(
    answer: Answer, provenance: str = "", show_verdict: bool = True, show_question: bool = False
) -> str:
    """The whole answer as safe HTML (every text escaped); ``provenance`` is trusted HTML."""
    out = ['<div class="cp cp-answer">']
    if show_question:
        out.append(f'<p class="cp-q"><span class="cp-you">You asked:</span>{esc(answer.question)}</p>')
    if answer.resolved_question and answer.resolved_question != answer.question:
        out.append(f'<p class="cp-readas">Read as a follow-up: {esc(answer.resolved_question)}</p>')
    if answer.abstained and answer.abstain_reason == "language":
        out.append(f'<div class="cp-abstain"><p>{esc(answer.summary)}</p></div></div>')
        return "".join(out)
    if answer.abstained:
        sugg = "".join(f"<li>{esc(s)}</li>" for s in answer.suggestions)
        out.append(
            '<div class="cp-abstain cp-v-not-covered">'
            f"{verdict_badge('not-covered', 'Not covered')}"
            f"<p>{esc(answer.summary)}</p>"
            + (
                f'<p class="cp-lbl">Questions the corpus can answer:</p><ul class="cp-suggest">{sugg}</ul>'
                if sugg
                else ""
            )
            + "</div></div>"
        )
        return "".join(out)
    out.append(_direct_block(answer))
    if answer.premise and answer.premise.rstrip(".") not in answer.direct:
        out.append(
            f'<p class="cp-premise"><span class="cp-lbl">Premise check:</span> {esc(answer.premise)}</p>'
        )
    if show_verdict:
        out.append(_verdict_block(answer))
    out.append(_figures_table(answer))
    out.append(render_columns(answer, provenance))
    if answer.synthesis:
        out.append(
            f'<div class="cp-card"><h3>Written comparison (checked)</h3>{_paras(answer.synthesis)}</div>'
        )
    for n in answer.notices:
        out.append(f'<p class="cp-notice">{esc(n)}</p>')
    out.append("</div>")
    return "".join(out)


def render_draft(text: str) -> str:
    """The model's text while it streams: marked as a draft, replaced by the checked version."""
    return (
        '<div class="cp"><div class="cp-card"><h3>Written comparison (draft, being checked…)</h3>'
        f"{_paras(text)}</div></div>"
    )


def render_documents(assistant: Assistant) -> str:
    rows = [r for r in assistant.documents() if r["origin"] == "user"]
    if not rows:
        return '<div class="cp"><p class="cp-sub">No documents added yet.</p></div>'
    body = "".join(
        f"<tr><td>{esc(r['id'])}</td><td>{esc(r['side'])}</td><td>{esc(r['title'])}</td>"
        f"<td>{r['passages']}</td></tr>"
        for r in rows
    )
    return (
        '<div class="cp"><table class="cp-figs"><thead><tr><th>Id</th><th>Side</th><th>Title</th>'
        f"<th>Passages</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def render_add_report(report) -> str:
    items = [f"<li>added {esc(d)}</li>" for d in report.added] + [
        f"<li>updated {esc(d)}</li>" for d in report.updated
    ]
    items += [f'<li class="cp-error">{esc(f)}: {esc(r)}</li>' for f, r in report.errors]
    return f'<div class="cp"><ul>{"".join(items) or "<li>nothing to add</li>"}</ul></div>'


def render_message(text: str) -> str:
    return f'<div class="cp"><div class="cp-msg" role="status">{esc(text)}</div></div>'


def render_transcript(turns: Sequence[dict], message: str = "") -> str:
    """Latest answer in full; earlier turns collapsed underneath (follow-ups build on them)."""
    parts = ['<div class="cp cp-chat">']
    if message:
        parts.append(f'<div class="cp-msg" role="status">{esc(message)}</div>')
    if not turns:
        parts.append(
            '<p class="cp-placeholder">Ask a question about the essay “Poison Partners” or its subject. '
            "Each answer puts what the essay claims beside what the mainstream literature says, "
            "with verbatim quotes and full citations.</p>"
        )
    else:
        last = turns[-1]
        parts.append(f'<div class="cp-turn cp-latest">{last["html"]}</div>')
        if len(turns) > 1:
            olds = "".join(
                f'<details class="cp-old"><summary>{esc(t["question"])}</summary>{t["html"]}</details>'
                for t in reversed(turns[:-1])
            )
            parts.append(
                f'<details class="cp-earlier"><summary>Earlier in this conversation '
                f"({len(turns) - 1})</summary>{olds}</details>"
            )
    parts.append("</div>")
    return "".join(parts)


# -- claims, sources, about ------------------------------------------------------------------


def claim_table_rows(claims: Sequence[Claim]) -> list[list[Any]]:
    return [[c.id, c.verdict, c.paragraph, c.section, c.quote] for c in claims]


def filter_claims(
    claims: Sequence[Claim], verdict: str = "all", section: str = "all", search: str = ""
) -> list[Claim]:
    words = [w for w in (search or "").lower().split() if w]
    out = []
    for c in claims:
        if verdict not in ("", "all", None) and c.verdict != verdict:
            continue
        if section not in ("", "all", None) and c.section != section:
            continue
        hay = " ".join((c.id, c.quote, c.rationale, c.section, c.verdict, " ".join(c.citations))).lower()
        if any(w not in hay for w in words):
            continue
        out.append(c)
    return out


def render_claim_card(c: Claim, figures: bool = True) -> str:
    figs = "".join(
        f"<tr><td>{esc(f.kind)}</td><td class='cp-num'>{esc(f.essay)}</td>"
        f"<td class='cp-num'>{esc(f.literature)}</td><td>{esc(f.note)}</td></tr>"
        for f in c.figures
    )
    figs = (
        (
            '<table class="cp-figs"><caption>Figures side by side</caption><thead><tr><th>Figure</th>'
            "<th>The essay</th><th>The literature</th><th>Note</th></tr></thead>"
            f"<tbody>{figs}</tbody></table>"
        )
        if figs and figures
        else ""
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in c.resolved_footnotes)
    rests = "".join(f"<li>{esc(x)}</li>" for x in c.citations)
    return (
        f'<div class="cp-verdict cp-v-{esc(c.verdict)}" role="note" aria-label="Assessment">'
        f'{verdict_badge(c.verdict)}<span class="cp-vlabel">{esc(VERDICT_LABELS.get(c.verdict, ""))}</span>'
        f'<span class="cp-claimref">reviewed claim {esc(c.id)} · {esc(c.section)} · essay ¶{esc(c.paragraph)}</span>'
        f'<p class="cp-claim-quote cp-rationale">“{esc(c.quote)}”</p>'
        f'<p class="cp-rationale">{esc(c.rationale)}</p></div>{figs}'
        + (
            '<details class="cp-more"><summary>The essay\'s notes and the works this review rests on</summary>'
            + (
                f'<p class="cp-lbl">The essay\'s own notes (resolved):</p><ul class="cp-cites">{notes}</ul>'
                if notes
                else ""
            )
            + (f'<p class="cp-lbl">Rests on:</p><ul class="cp-cites">{rests}</ul>' if rests else "")
            + "</details>"
            if notes or rests
            else ""
        )
    )


def _sections_html(doc: Document, open_first: bool = False) -> str:
    out = []
    for i, p in enumerate(doc.passages):
        cites = "".join(f"<li>{esc(c.text)}</li>" for c in p.cites)
        out.append(
            f'<details class="cp-sec"{" open" if open_first and i == 0 else ""}>'
            f"<summary>{esc(p.section or p.locator)}</summary>{_paras(p.text)}"
            + (f'<p class="cp-lbl">Sources:</p><ul class="cp-cites">{cites}</ul>' if cites else "")
            + "</details>"
        )
    return "".join(out)


def render_profile_card(doc: Document, open_first: bool = False) -> str:
    pre = f'<p class="cp-pre">{esc(doc.preamble)}</p>' if doc.preamble else ""
    return (
        f'<div class="cp-card" id="src-{esc(doc.id)}"><h3>{esc(doc.title)}</h3>{pre}'
        f"{_sections_html(doc, open_first)}</div>"
    )


def reference_works(assistant: Assistant) -> list:
    """Bibliography entries the digests rest on (cited in a section or listed as works)."""
    corpus = assistant.corpus
    keys: set[str] = set()
    for d in corpus.documents:
        if d.kind != "digest":
            continue
        keys.update(str(k) for k in (d.meta.get("works") or []))
        for p in d.passages:
            keys.update(c.key for c in p.cites)
    works = [corpus.bibliography[k] for k in keys if k in corpus.bibliography]
    return sorted(works, key=lambda w: w.sort_key)


def render_sources(assistant: Assistant) -> str:
    corpus = assistant.corpus
    profiles = {d.id: d for d in corpus.documents if d.kind == "profile"}
    out = [
        '<div class="cp cp-sources">',
        '<nav class="cp-toc" aria-label="On this page">On this page: <a href="#src-h-essay">The essay and its outlet</a>'
        '<a href="#src-h-cited">Works the essay cites</a><a href="#src-h-refs">Reference works</a></nav>',
    ]
    out.append('<h2 id="src-h-essay">The essay and its outlet</h2>')
    essay = next(iter(corpus.essays.values()), None)
    if essay is not None:
        out.append(
            '<div class="cp-card" id="src-essay"><h3>The contested essay</h3><dl>'
            f"<dt>Title</dt><dd>{esc(essay.title)}</dd><dt>Author</dt><dd>{esc(essay.author)}</dd>"
            f"<dt>Outlet</dt><dd>{esc(essay.outlet)} (journal of CODOH, a Holocaust-denial organisation)</dd>"
            f"<dt>Date</dt><dd>{esc(essay.date)}</dd>"
            f"<dt>Paragraphs</dt><dd>¶0–¶{esc(max((p.number for p in essay.paragraphs), default=0))}</dd>"
            f"<dt>Footnotes</dt><dd>{len(essay.notes)}</dd>"
            f"<dt>Citation</dt><dd>{esc(essay.citation)}</dd></dl>"
            '<p class="cp-sub">Counterpoint shows this essay as the contested source: its words are quoted '
            "verbatim and set beside the literature, never endorsed.</p></div>"
        )
    for pid in ESSAY_PROFILES:
        if pid in profiles:
            out.append(render_profile_card(profiles[pid], open_first=True))
    others = [d for k, d in profiles.items() if k not in ESSAY_PROFILES]
    if others:
        out.append('<h2 id="src-h-cited">Works the essay cites</h2>')
        out.extend(render_profile_card(d) for d in sorted(others, key=lambda d: d.title))
    works = reference_works(assistant)
    if works:
        out.append(
            f'<h2 id="src-h-refs">Reference works ({len(works)})</h2>'
            '<p class="cp-sub">The scholarship the Counterpoint digests summarise, with full citations.</p>'
            '<ol class="cp-refs">'
            + "".join(f'<li id="ref-{esc(w.key)}">{esc(w.citation)}</li>' for w in works)
            + "</ol>"
        )
    out.append("</div>")
    return "".join(out)


def provenance_html(assistant: Assistant) -> str:
    try:
        doc = assistant.corpus.document(OUTLET_PROFILE)
    except KeyError:
        return ""
    if not doc.passages:
        return ""
    return _paras(doc.passages[0].text) + '<p class="cp-sub">Full source cards: see the Sources tab.</p>'


ABOUT_HTML = """<div class="cp cp-about">
<h2>What Counterpoint is</h2>
<p>Counterpoint sets a contested essay beside the mainstream historical literature. The essay is
John Wear's “Poison Partners: The Alliance of the US and the Soviet Union” (2020), published by
<em>Inconvenient History</em>, the journal of CODOH, a Holocaust-denial organisation. The corpus holds the
essay itself (numbered ¶0–¶43, with its 34 footnotes resolved), Counterpoint digests that summarise the
scholarship on each topic the essay touches, source profiles of the essay, its outlet, its author and the
books it cites, a bibliography, and a set of reviewed claims with verdicts.</p>
<h2>How an answer is made</h2>
<ul>
<li><strong>Hybrid retrieval per side.</strong> The question is searched separately in the essay and in the
literature (digests and profiles), with dense embeddings and BM25 keyword search fused by reciprocal rank.</li>
<li><strong>Extractive quotes, verified by code.</strong> Every quote shown is cut verbatim from an indexed
passage and checked against it before display; nothing is paraphrased by a model. Each quote carries a
marker ([E1] for the essay, [L1] for the literature) and opens to the full passage and its full citation.</li>
<li><strong>Reviewed verdicts.</strong> When the question matches one of the essay's reviewed claims, the
verdict (consistent, needs context, disputed, contradicted, unverifiable) and its rationale come from that
human review, not from a model. Each verdict is shown as text with an icon and a shape, never colour alone.</li>
</ul>
<h2>Limits</h2>
<ul>
<li>Digests are summaries written for this project; they paraphrase the works they cite and do not quote
them. Check the cited works before relying on a figure.</li>
<li>“Not covered” is an honest abstention: when the corpus holds nothing close to the question, Counterpoint
says so and suggests questions it can answer, instead of guessing.</li>
<li>No network: the app runs entirely on this machine, on the bundled corpus and a local embedding model.</li>
</ul>
</div>"""


# -- the app ---------------------------------------------------------------------------------


def parse_history(history: Any) -> Any:
    """The web form of a history: a list of earlier questions, or a JSON string of one; a string
    that is not a JSON list is one earlier question. Types and sizes are checked by
    ``Assistant.check_history``."""
    if history is None or history == "":
        return []
    if isinstance(history, str) and history.lstrip().startswith("["):
        try:
            return json.loads(history)
        except ValueError:
            return [history]
    return history


def remove_uploads(paths: Sequence[str]) -> int:
    """Delete uploaded temp files once ingested (their parsed form is stored beside the index);
    only files inside Gradio's upload folder are touched. -> how many were removed."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    n = 0
    for p in paths:
        f = Path(p).resolve()
        if f.is_file() and f.is_relative_to(root) and f != root:
            f.unlink(missing_ok=True)
            n += 1
            try:
                if f.parent != root:
                    f.parent.rmdir()  # Gradio's per-upload folder, when empty
            except OSError:
                pass
    return n


def _write(folder: Path, stem: str, suffix: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    path = folder / f"{stem}-{digest}{suffix}"
    if not path.exists():
        tmp = path.with_name(path.name + f".{os.getpid()}.{next(_ids)}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return str(path)


def essay_meta(assistant: Assistant) -> dict:
    essay = next(iter(assistant.corpus.essays.values()), None)
    if essay is None:
        return {}
    return {"author": essay.author, "date": essay.date, "title": essay.title, "outlet": essay.outlet}


def write_claim_exports(assistant: Assistant, folder: Path) -> dict[str, str]:
    claims = assistant.claims()
    return {
        "md": _write(folder, "counterpoint-claims", ".md", claims_report(claims)),
        "json": _write(
            folder,
            "counterpoint-claims",
            ".json",
            json.dumps([c.to_dict() for c in claims], ensure_ascii=False, indent=2),
        ),
        "jsonld": _write(
            folder,
            "counterpoint-claimreview",
            ".jsonld",
            json.dumps(claim_reviews(claims, essay_meta(assistant)), ensure_ascii=False, indent=2),
        ),
    }


def build_app(assistant: Assistant, export_dir: str | Path | None = None) -> gr.Blocks:
    """The Gradio app over one shared (thread-safe) Assistant."""
    export = Path(export_dir) if export_dir else Path(tempfile.mkdtemp(prefix="counterpoint-export-"))
    export.mkdir(parents=True, exist_ok=True)
    prov = provenance_html(assistant)
    claims = assistant.claims()
    by_id = {c.id: c for c in claims}
    sections = sorted({c.section for c in claims if c.section})
    counts = {v: sum(1 for c in claims if c.verdict == v) for v in VERDICTS}
    claim_files = write_claim_exports(assistant, export)
    html_kw = {"js_on_load": None}

    def ask_answer(question: str, history: list[str]) -> Answer:
        return assistant.ask(question, history=history)

    # -- chat -------------------------------------------------------------------
    def respond(question: str, turns: list[dict] | None):
        """A generator: the extractive answer at once; with an LLM configured, the draft comparison
        streams in below it and the verified version replaces the draft at the end."""
        turns = list(turns or [])
        hidden = gr.update(visible=False)
        try:
            # only the latest questions matter to follow-up resolution; a long chat stays under the limits
            stream = assistant.ask_stream(question, [t["question"] for t in turns][-5:])
            answer = next(stream)
        except QuestionError as exc:
            yield (
                render_transcript(turns, str(exc)),
                turns,
                gr.update(),
                gr.update(),
                gr.update(),
                gr.update(),
            )
            return
        draft = ""
        for item in stream:
            if isinstance(item, str):
                draft += item
                body = render_answer_html(answer, prov, show_question=True) + render_draft(draft)
                yield (
                    render_transcript(turns + [{"question": answer.question, "html": body}]),
                    turns,
                    gr.update(),
                    gr.update(),
                    gr.update(),
                    gr.update(),
                )
            else:
                answer = item
        body = render_answer_html(answer, prov, show_question=True)
        turns.append({"question": answer.question, "html": body})
        md = _write(export, "counterpoint-answer", ".md", answer.to_markdown())
        js = _write(export, "counterpoint-answer", ".json", answer.to_json(indent=2))
        sugg = (
            gr.update(samples=[[s] for s in answer.suggestions], visible=True)
            if answer.abstained and answer.suggestions
            else hidden
        )
        yield (
            render_transcript(turns),
            turns,
            "",
            gr.update(value=md, visible=True),
            gr.update(value=js, visible=True),
            sugg,
        )

    def clear():
        return (
            render_transcript([]),
            [],
            "",
            gr.update(visible=False),
            gr.update(visible=False),
            gr.update(visible=False),
        )

    def pick(sample):
        return sample[0] if isinstance(sample, (list, tuple)) and sample else (sample or "")

    # -- claims -----------------------------------------------------------------
    def claim_choices(subset: Sequence[Claim]) -> list[tuple[str, str]]:
        return [
            (f"{c.id} · {c.verdict} · {c.quote[:70]}{'…' if len(c.quote) > 70 else ''}", c.id) for c in subset
        ]

    def count_html(n: int) -> str:
        text = (
            f"Showing {n} of {len(claims)} reviewed claims"
            if n
            else f"No claim matches these filters (of {len(claims)} reviewed claims)."
        )
        return f'<div class="cp"><p class="cp-sub" id="cp-claim-count" data-count="{n}">{esc(text)}</p></div>'

    def on_filter(verdict: str, section: str, search: str):
        subset = filter_claims(claims, verdict, section, search)
        return (
            claim_table_rows(subset),
            count_html(len(subset)),
            gr.update(choices=claim_choices(subset), value=None),
        )

    def show_claim(claim_id: str | None):
        c = by_id.get(claim_id or "")
        if c is None:
            return '<div class="cp"><p class="cp-placeholder">Select a claim in the table (or pick its id) to see it side by side.</p></div>'
        try:
            answer = ask_answer(c.quote, [])
            cols, own_figs = render_answer_html(answer, prov, show_verdict=False), not answer.figures
        except QuestionError as exc:  # pragma: no cover - reviewed quotes are never empty
            cols, own_figs = render_message(str(exc)), True
        return (
            f'<div class="cp cp-claim-view">{render_claim_card(c, figures=own_figs)}'
            f"<h2>The essay and the literature side by side</h2></div>{cols}"
        )

    def on_select(evt: gr.SelectData):
        row = evt.row_value or []
        cid = str(row[0]) if row else None
        return show_claim(cid), gr.update(value=cid)

    # -- API --------------------------------------------------------------------
    def api_ask(question: str, history: list[str] | str | None = None) -> dict:
        """Ask Counterpoint: returns Answer.to_dict() (abstained, verdict, essay, literature, …).

        history: earlier questions of the conversation, as a list or a JSON string of one.
        """
        try:
            q = assistant.check_question(question)
            return ask_answer(q, assistant.check_history(parse_history(history))).to_dict()
        except QuestionError as exc:
            raise gr.Error(str(exc)) from exc
        except Exception as exc:  # never {"error": null}: say what happened, log the details
            log.exception("/ask failed")
            raise gr.Error(
                f"The question could not be answered ({exc.__class__.__name__}); "
                "the details are in the server log."
            ) from exc

    priv = {"api_visibility": "private"}
    with gr.Blocks(title="Counterpoint", analytics_enabled=False) as demo:
        # The stylesheet rides in the page head via this (always mounted) component, so the app looks
        # the same however it is launched (Gradio 6 takes css= only in launch()).
        gr.HTML(
            '<div class="cp"><h1>Counterpoint</h1>'
            '<p class="cp-sub" style="margin:.1rem 0 .2rem 0">What the contested essay “Poison Partners” '
            "(John Wear, <em>Inconvenient History</em>, 2020) claims, beside what the mainstream historical "
            "literature says: verbatim quotes, full citations, reviewed verdicts.</p></div>",
            head=f"<style>{CSS}</style>",
            elem_id="cp-header",
            **html_kw,
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                turns = gr.State([])
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        label="Your question",
                        placeholder="e.g. How many trucks and jeeps did the Allies send to the Soviet Union?",
                        lines=1,
                        max_lines=4,
                        scale=6,
                        elem_id="cp-question",
                        autofocus=True,
                        submit_btn=False,
                    )
                    with gr.Column(scale=1, min_width=140):
                        ask_btn = gr.Button("Ask", variant="primary", elem_id="cp-ask")
                        clear_btn = gr.Button("New conversation", size="sm", elem_id="cp-clear")
                examples = gr.Dataset(
                    components=[question],
                    samples=[[q] for q in EXAMPLES],
                    label="Example questions (click to ask)",
                    elem_id="cp-examples",
                    samples_per_page=len(EXAMPLES),
                )
                suggestions = gr.Dataset(
                    components=[question],
                    samples=[[""]],
                    visible=False,
                    label="Suggested questions (click to ask)",
                    elem_id="cp-suggestions",
                )
                chat = gr.HTML(render_transcript([]), elem_id="cp-chat", **html_kw)
                with gr.Row():
                    dl_md = gr.DownloadButton(
                        "Download answer (Markdown)", visible=False, size="sm", elem_id="cp-dl-md"
                    )
                    dl_json = gr.DownloadButton(
                        "Download answer (JSON)", visible=False, size="sm", elem_id="cp-dl-json"
                    )
                outs = [chat, turns, question, dl_md, dl_json, suggestions]
                ask_btn.click(respond, [question, turns], outs, **priv)
                question.submit(respond, [question, turns], outs, **priv)
                clear_btn.click(clear, None, outs, **priv)
                for ds in (examples, suggestions):
                    ds.click(pick, [ds], [question], **priv).then(respond, [question, turns], outs, **priv)

            with gr.Tab("Claims", id="claims"):
                gr.HTML(
                    '<div class="cp"><p class="cp-sub">The essay\'s checkable claims, each reviewed against the '
                    "literature. Filter them, then select a row to see the claim side by side.</p></div>",
                    **html_kw,
                )
                with gr.Row():
                    verdict_dd = gr.Dropdown(
                        [("All verdicts", "all")] + [(f"{v} ({counts[v]})", v) for v in VERDICTS],
                        value="all",
                        label="Verdict",
                        elem_id="cp-verdict-filter",
                        filterable=False,
                    )
                    section_dd = gr.Dropdown(
                        [("All sections", "all")] + [(s, s) for s in sections],
                        value="all",
                        label="Essay section",
                        elem_id="cp-section-filter",
                        filterable=False,
                    )
                    search = gr.Textbox(
                        label="Search",
                        placeholder="words in the claim or rationale, e.g. trucks",
                        elem_id="cp-claim-search",
                    )
                count = gr.HTML(count_html(len(claims)), elem_id="cp-claim-count-box", **html_kw)
                table = gr.Dataframe(
                    claim_table_rows(claims),
                    headers=["ID", "Verdict", "¶", "Section", "Claim (the essay's words)"],
                    datatype=["str", "str", "number", "str", "str"],
                    interactive=False,
                    wrap=True,
                    column_widths=["6%", "12%", "5%", "20%", "57%"],
                    max_height=420,
                    elem_id="cp-claims-table",
                    label="Reviewed claims",
                )
                claim_dd = gr.Dropdown(
                    claim_choices(claims), value=None, label="Or pick a claim by id", elem_id="cp-claim-pick"
                )
                claim_view = gr.HTML(show_claim(None), elem_id="cp-claim-view", **html_kw)
                with gr.Row():
                    gr.DownloadButton(
                        "Claim report (Markdown)",
                        value=claim_files["md"],
                        size="sm",
                        elem_id="cp-dl-claims-md",
                    )
                    gr.DownloadButton(
                        "Claims (JSON)", value=claim_files["json"], size="sm", elem_id="cp-dl-claims-json"
                    )
                    gr.DownloadButton(
                        "ClaimReview (JSON-LD)",
                        value=claim_files["jsonld"],
                        size="sm",
                        elem_id="cp-dl-claimreview",
                    )
                filt_in = [verdict_dd, section_dd, search]
                filt_out = [table, count, claim_dd]
                verdict_dd.change(on_filter, filt_in, filt_out, **priv)
                section_dd.change(on_filter, filt_in, filt_out, **priv)
                search.change(on_filter, filt_in, filt_out, trigger_mode="always_last", **priv)
                table.select(on_select, None, [claim_view, claim_dd], **priv)
                claim_dd.input(show_claim, [claim_dd], [claim_view], **priv)

            with gr.Tab("Documents", id="documents"):
                gr.HTML(
                    '<div class="cp"><p class="cp-sub">Add your own reference works (literature side) or '
                    "another contested essay (essay side): PDF, HTML, Markdown or text. Citation data comes "
                    "from the fields below, a sidecar YAML or the file itself; nothing is invented — if "
                    "something is missing you are told what. Claims of added essays are not reviewed.</p></div>",
                    **html_kw,
                )
                with gr.Row():
                    files = gr.File(
                        file_count="multiple",
                        label="Files",
                        elem_id="cp-upload",
                        file_types=[".pdf", ".html", ".htm", ".md", ".markdown", ".txt"],
                    )
                    with gr.Column():
                        side = gr.Radio(
                            ["literature", "essay"], value="literature", label="Side", elem_id="cp-side"
                        )
                        meta_in = [
                            gr.Textbox(label=f.capitalize(), elem_id=f"cp-meta-{f}")
                            for f in ("title", "author", "year", "publisher")
                        ]
                        add_btn = gr.Button("Add to the index", variant="primary", elem_id="cp-add")
                add_report = gr.HTML(elem_id="cp-add-report", **html_kw)
                doc_table = gr.HTML(render_documents(assistant), elem_id="cp-documents", **html_kw)
                with gr.Row():
                    remove_id = gr.Textbox(label="Remove a document by id", elem_id="cp-remove-id")
                    remove_btn = gr.Button("Remove", elem_id="cp-remove")

                def on_add(paths, side_value, title, author, year, publisher, progress=gr.Progress()):  # noqa: B008 - gradio's documented idiom
                    if not paths:
                        return render_message("Choose one or more files first."), render_documents(assistant)
                    paths = [getattr(p, "name", p) for p in paths]
                    flags = {"title": title, "author": author, "year": year, "publisher": publisher}

                    def prog(stage: str, done: int, total: int) -> None:
                        progress((done, total), desc=stage, unit="files" if stage == "parsing" else "chunks")

                    # Uploaded names are the browser's; the temp path's name is what we check for safety.
                    try:
                        report = assistant.add(paths, side=side_value, flags=flags, progress=prog)
                    finally:
                        remove_uploads(paths)  # never left in the temp folder
                    return render_add_report(report), render_documents(assistant)

                def on_remove(doc_id):
                    ok = assistant.remove(doc_id.strip()) if doc_id and doc_id.strip() else False
                    msg = f"removed {doc_id}" if ok else f"no user document {doc_id!r}"
                    return render_message(msg), render_documents(assistant)

                add_btn.click(on_add, [files, side, *meta_in], [add_report, doc_table], **priv)
                remove_btn.click(on_remove, [remove_id], [add_report, doc_table], **priv)

            with gr.Tab("Sources", id="sources"):
                gr.HTML(render_sources(assistant), elem_id="cp-sources", **html_kw)

            with gr.Tab("About", id="about"):
                gr.HTML(ABOUT_HTML, elem_id="cp-about", **html_kw)

        gr.api(api_ask, api_name="ask")

    demo.queue(default_concurrency_limit=32, max_size=512)
    demo.counterpoint_handlers = {
        "respond": respond,
        "api_ask": api_ask,
    }  # for tests of the streaming chat handler
    return demo
