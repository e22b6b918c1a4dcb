"""HTML for the web app's pages: essay reader, sources, documents, about, printable views.

Pure functions of the loaded corpus and records (no gradio). Corpus-specific wording (the
essay's title, its paragraph range and footnote count, which profiles describe the essay) is
derived from the corpus here, so a second corpus renders with its own facts. Every text goes
through ``esc()`` (see rag/webhtml.py for the safety rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import VERDICT_LABELS, VERDICTS, Claim, Work
from .webhtml import VERDICT_ICONS, esc, paras, verdict_badge

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus, Document
    from .docstore import AddReport
    from .essay import Essay, Paragraph


@dataclass(frozen=True)
class CorpusView:
    """What the UI says about the loaded corpus, derived from it (never hard-coded)."""

    essay_id: str
    title: str
    author: str
    outlet: str
    date: str
    first_paragraph: int
    last_paragraph: int
    notes: int
    claims: int
    essay_profiles: tuple[str, ...]  # profiles of the essay, its outlet and its author, in that order
    outlet_profile: str
    outlet_label: str  # the outlet profile's title, e.g. "Inconvenient History and … (CODOH)"
    examples: tuple[str, ...]

    @property
    def year(self) -> str:
        return self.date[:4]


def _strip_profile(title: str) -> str:
    return re.sub(r"^Profile:\s*", "", title)


def _essay_profiles(corpus: Corpus, essay: Essay | None) -> tuple[tuple[str, ...], str]:
    """The profiles about the essay itself, its outlet and its author (by their ``subject``)."""
    essay_keys = {
        k for k, w in corpus.bibliography.items() if essay is not None and w.title.strip() == essay.title
    }
    found: dict[str, str] = {}
    for d in corpus.documents:
        if d.kind != "profile":
            continue
        subject = str(d.meta.get("subject") or "")
        role = "essay" if subject in essay_keys else subject
        if role in ("essay", "outlet", "author") and role not in found:
            found[role] = d.id
    ordered = tuple(found[r] for r in ("essay", "outlet", "author") if r in found)
    return ordered, found.get("outlet", "")


def corpus_view(corpus: Corpus, examples: Sequence[str] = ()) -> CorpusView:
    essay = next(iter(corpus.essays.values()), None)
    profiles, outlet = _essay_profiles(corpus, essay)
    numbers = [p.number for p in essay.paragraphs] if essay else [0]
    outlet_label = ""
    if outlet:
        outlet_label = _strip_profile(corpus.document(outlet).title)
    return CorpusView(
        essay_id=essay.doc_id if essay else "",
        title=essay.title if essay else "",
        author=essay.author if essay else "",
        outlet=essay.outlet if essay else "",
        date=essay.date if essay else "",
        first_paragraph=min(numbers),
        last_paragraph=max(numbers),
        notes=len(essay.notes) if essay else 0,
        claims=len(corpus.claims),
        essay_profiles=profiles,
        outlet_profile=outlet,
        outlet_label=outlet_label or (essay.outlet if essay else ""),
        examples=tuple(examples),
    )


def essay_citation(essay: Essay) -> str:
    """Author, “Title”, *Outlet*, date, leaving out what the essay file does not give."""
    parts = [essay.author, f"“{essay.title}”", f"*{essay.outlet}*" if essay.outlet else "", essay.date]
    return ", ".join(p for p in parts if p)


def essay_label(view: CorpusView) -> str:
    """“Title” (Author, *Outlet*, year), from the corpus."""
    bits = ", ".join(x for x in (view.author, f"*{view.outlet}*" if view.outlet else "", view.year) if x)
    return f"“{view.title}”" + (f" ({bits})" if bits else "")


def header_html(view: CorpusView) -> str:
    return (
        '<div class="cp cp-header"><h1>Counterpoint</h1>'
        f'<p class="cp-sub">What the contested essay {esc(essay_label(view))} claims, beside what the '
        "mainstream historical literature says: verbatim quotes, full citations, reviewed verdicts.</p></div>"
    )


def chat_placeholder(view: CorpusView) -> str:
    return (
        f"Ask a question about the essay {essay_label(view)} or its subject. Each answer puts what the "
        "essay claims beside what the mainstream literature says, with verbatim quotes and full citations."
    )


def provenance_html(corpus: Corpus, view: CorpusView) -> str:
    """A <details> about the essay's outlet (its profile's first section), shown atop the essay column."""
    if not view.outlet_profile:
        return ""
    doc = corpus.document(view.outlet_profile)
    if not doc.passages:
        return ""
    return (
        f'<details class="cp-prov"><summary>About this source: {esc(view.outlet_label)}</summary>'
        f"{paras(doc.passages[0].text)}"
        '<p class="cp-sub">Full source cards: see the Sources tab.</p></details>'
    )


# -- the essay reader --------------------------------------------------------------------------

_NOTE_MARK_RE = re.compile(r"\[(\d+)\]")


def _with_notes(text: str) -> str:
    """Escaped text whose [n] markers link to the essay's notes below."""
    return _NOTE_MARK_RE.sub(
        lambda m: f'<sup><a class="cp-fn" href="#cp-note-{m.group(1)}">[{m.group(1)}]</a></sup>', esc(text)
    )


def claim_mark(c: Claim, inner: str) -> str:
    """A reviewed claim in the essay's text: verdict as a tag (icon, shape, word), then the words."""
    icon, shape = VERDICT_ICONS.get(c.verdict, VERDICT_ICONS["none"])
    label = f"Claim {c.id}, {c.verdict}: open its review"
    return (
        f'<a class="cp-claim-mark cp-v-{esc(c.verdict)}" href="#cp-reader-review" data-claim="{esc(c.id)}" '
        f'aria-label="{esc(label)}" title="{esc(VERDICT_LABELS.get(c.verdict, c.verdict))}">'
        f'<span class="cp-mark-tag"><span class="cp-icon cp-shape-{shape}" aria-hidden="true"><span>{icon}</span></span>'
        f"{esc(c.id)} {esc(c.verdict)}</span> {inner}</a>"
    )


def _spans(text: str, claims: Iterable[Claim]) -> tuple[list[tuple[int, int, Claim]], list[Claim]]:
    """Non-overlapping (start, end, claim) spans of the claims in the text; the rest unplaced."""
    placed: list[tuple[int, int, Claim]] = []
    rest: list[Claim] = []
    for c in sorted(claims, key=lambda c: text.find(c.quote)):
        i = text.find(c.quote) if c.quote else -1
        if i < 0 or any(i < e and i + len(c.quote) > s for s, e, _ in placed):
            rest.append(c)
        else:
            placed.append((i, i + len(c.quote), c))
    return sorted(placed, key=lambda t: t[0]), rest


def _paragraph_body(p: Paragraph, claims: Sequence[Claim]) -> str:
    placed, rest = _spans(p.text, claims)
    out, pos = [], 0
    for s, e, c in placed:
        out.append(_with_notes(p.text[pos:s]))
        out.append(claim_mark(c, _with_notes(p.text[s:e])))
        pos = e
    out.append(_with_notes(p.text[pos:]))
    if rest:
        marks = " ".join(claim_mark(c, "") for c in rest)
        out.append(f'<span class="cp-also">Also reviewed here: {marks}</span>')
    return "".join(out)


_TAGS = {"title": "h2", "heading": "h3", "quote": "blockquote"}


def render_paragraph(p: Paragraph, claims: Sequence[Claim]) -> str:
    tag = _TAGS.get(p.kind, "p")
    num = f'<span class="cp-pnum" aria-label="paragraph {p.number}">¶{p.number}</span>'
    return (
        f'<div class="cp-par cp-par-{esc(p.kind)}" id="cp-par-{p.number}">{num}'
        f"<{tag} class='cp-ptext'>{_paragraph_body(p, claims)}</{tag}></div>"
    )


def _note_html(n: Any, bibliography: Mapping[str, Work]) -> str:
    """A note as the essay gives it; an Ibid. resolved to its work; the bibliography entry it matches."""
    work = bibliography.get(n.key) if n.key else None
    out = f'<li id="cp-note-{n.number}" value="{n.number}"><span class="cp-note-raw">{esc(n.raw)}</span>'
    if n.ibid_of:
        pages = f", {esc(n.pages)}" if n.pages else ""
        out += (
            f'<br><span class="cp-lbl">Resolved:</span> {esc(n.work)}{pages} (Ibid., via note [{n.ibid_of}])'
        )
    if work is not None:
        out += f'<br><span class="cp-sub">The work: {esc(work.citation)}</span>'
    return out + "</li>"


def reader_legend(claims: Sequence[Claim]) -> str:
    counts = {v: sum(1 for c in claims if c.verdict == v) for v in VERDICTS}
    items = "".join(
        f"<li>{verdict_badge(v)} <span class='cp-sub'>{esc(VERDICT_LABELS[v])} ({counts[v]})</span></li>"
        for v in VERDICTS
        if counts[v]
    )
    return f'<ul class="cp-legend" aria-label="Verdicts">{items}</ul>'


def render_essay_reader(essay: Essay, claims: Sequence[Claim], bibliography: Mapping[str, Work]) -> str:
    """The whole essay paragraph by paragraph, reviewed claims marked in place, notes resolved."""
    return render_essay_text(essay, claims) + render_essay_notes(essay, bibliography)


def render_essay_text(essay: Essay, claims: Sequence[Claim]) -> str:
    """The essay paragraph by paragraph, each reviewed claim marked where it stands."""
    by_par: dict[int, list[Claim]] = {}
    for c in claims:
        by_par.setdefault(c.paragraph, []).append(c)
    body = "".join(render_paragraph(p, by_par.get(p.number, ())) for p in essay.paragraphs)
    first = min((p.number for p in essay.paragraphs), default=0)
    last = max((p.number for p in essay.paragraphs), default=0)
    return (
        '<div class="cp cp-reader">'
        f'<p class="cp-sub">{esc(essay_citation(essay))}. Paragraphs ¶{first}–¶{last}; {len(claims)} reviewed claims '
        "are marked in the text. Select one to see its review.</p>"
        f"{reader_legend(claims)}<article class='cp-essay'>{body}</article></div>"
    )


def render_essay_notes(essay: Essay, bibliography: Mapping[str, Work]) -> str:
    """The essay's footnotes, Ibid. chains resolved, each with the work it cites."""
    notes = "".join(_note_html(essay.notes[k], bibliography) for k in sorted(essay.notes))
    return (
        f'<div class="cp cp-reader-notes"><h2 id="cp-notes">The essay\'s notes ({len(essay.notes)}), with the works '
        f'they cite</h2><ol class="cp-notes">{notes}</ol></div>'
    )


def reader_placeholder() -> str:
    return (
        '<div class="cp"><p class="cp-placeholder">Select a marked claim in the essay to see its review: '
        "the claim, the verdict and its rationale, and the essay beside the literature.</p></div>"
    )


# -- sources and about -------------------------------------------------------------------------


def _sections_html(doc: Document, open_first: bool = False) -> str:
    out = []
    for i, p in enumerate(doc.passages):
        cites = "".join(f"<li>{esc(c.text)}</li>" for c in p.cites)
        out.append(
            f'<details class="cp-sec"{" open" if open_first and i == 0 else ""}>'
            f"<summary>{esc(p.section or p.locator)}</summary>{paras(p.text)}"
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


def reference_works(corpus: Corpus) -> list[Work]:
    """Bibliography entries the digests rest on (cited in a section or listed as works)."""
    keys: set[str] = set()
    for d in corpus.documents:
        if d.kind != "digest":
            continue
        keys.update(str(k) for k in (d.meta.get("works") or []))
        for p in d.passages:
            keys.update(c.key for c in p.cites)
    works = [corpus.bibliography[k] for k in keys if k in corpus.bibliography]
    return sorted(works, key=lambda w: w.sort_key)


def _essay_card(essay: Essay, view: CorpusView) -> str:
    outlet = esc(essay.outlet) + (f" ({esc(view.outlet_label)})" if view.outlet_label != essay.outlet else "")
    return (
        '<div class="cp-card" id="src-essay"><h3>The contested essay</h3><dl>'
        f"<dt>Title</dt><dd>{esc(essay.title)}</dd><dt>Author</dt><dd>{esc(essay.author)}</dd>"
        f"<dt>Outlet</dt><dd>{outlet}</dd><dt>Date</dt><dd>{esc(essay.date)}</dd>"
        f"<dt>Paragraphs</dt><dd>¶{view.first_paragraph}–¶{view.last_paragraph}</dd>"
        f"<dt>Footnotes</dt><dd>{view.notes}</dd><dt>Citation</dt><dd>{esc(essay_citation(essay))}</dd></dl>"
        '<p class="cp-sub">Counterpoint shows this essay as the contested source: its words are quoted '
        "verbatim and set beside the literature, never endorsed.</p></div>"
    )


def render_sources(corpus: Corpus, view: CorpusView) -> str:
    profiles = {d.id: d for d in corpus.documents if d.kind == "profile"}
    out = [
        '<div class="cp cp-sources">',
        '<nav class="cp-toc" aria-label="On this page">On this page: <a href="#src-h-essay">The essay and its outlet</a>'
        '<a href="#src-h-cited">Works the essay cites</a><a href="#src-h-refs">Reference works</a></nav>',
        '<h2 id="src-h-essay">The essay and its outlet</h2>',
    ]
    essay = corpus.essays.get(view.essay_id)
    if essay is not None:
        out.append(_essay_card(essay, view))
    out.extend(render_profile_card(profiles[pid], open_first=True) for pid in view.essay_profiles)
    others = [d for k, d in profiles.items() if k not in view.essay_profiles]
    if others:
        out.append('<h2 id="src-h-cited">Works the essay cites</h2>')
        out.extend(render_profile_card(d) for d in sorted(others, key=lambda d: d.title))
    works = reference_works(corpus)
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


def about_html(view: CorpusView) -> str:
    outlet = f", published by {esc(view.outlet_label)}" if view.outlet_label else ""
    return f"""<div class="cp cp-about">
<h2>What Counterpoint is</h2>
<p>Counterpoint sets a contested essay beside the mainstream historical literature. The essay is
{esc(view.author)}'s “{esc(view.title)}” ({esc(view.year)}){outlet}. The corpus holds the essay itself
(numbered ¶{view.first_paragraph}–¶{view.last_paragraph}, with its {view.notes} footnotes resolved),
Counterpoint digests that summarise the scholarship on each topic the essay touches, source profiles of the
essay, its outlet, its author and the books it cites, a bibliography, and {view.claims} reviewed claims with
verdicts.</p>
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
<li><strong>Your documents stay yours.</strong> Documents you add are shown in their own column, never as
mainstream literature.</li>
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


# -- documents ---------------------------------------------------------------------------------


def _field(row: Any, key: str) -> Any:
    """A field of a document row (a dict today, a typed row tomorrow)."""
    return row.get(key, "") if isinstance(row, Mapping) else getattr(row, key, "")


def _document_row(r: Any) -> str:
    doc_id, title = _field(r, "id"), _field(r, "title")
    facts = [doc_id, _field(r, "file"), f"{_field(r, 'side')} side", f"{_field(r, 'passages')} passages"]
    return (
        f'<tr data-doc="{esc(doc_id)}"><td><span class="cp-doc-title">{esc(title)}</span><br>'
        f'<span class="cp-sub cp-doc-facts">{esc(" · ".join(str(f) for f in facts if f))}</span></td>'
        f'<td class="cp-doc-action"><button type="button" class="cp-remove" data-remove="{esc(doc_id)}" '
        f'aria-label="Remove {esc(title)}">Remove</button></td></tr>'
    )


def render_documents(rows: Iterable[Any]) -> str:
    """The user documents in the index, each with its own Remove button (two columns fit a phone)."""
    mine = [r for r in rows if _field(r, "origin") == "user"]
    if not mine:
        return '<div class="cp"><p class="cp-sub" id="cp-docs-empty">No documents added yet.</p></div>'
    return (
        f'<div class="cp"><h3>Your documents ({len(mine)})</h3><table class="cp-figs cp-docs">'
        '<thead><tr><th scope="col">Document</th><th scope="col"><span class="cp-vh">Remove</span></th></tr></thead>'
        f"<tbody>{''.join(_document_row(r) for r in mine)}</tbody></table></div>"
    )


_MISSING_RE = re.compile(r"^missing citation data: ([a-z, ]+?) \(give them as .*\)$")


def web_reason(reason: str) -> str:
    """An ingestion error in web words: the form's fields, not the CLI's flags."""
    m = _MISSING_RE.match(reason)
    if not m:
        return reason
    return (
        f"missing citation data: {m.group(1)}. Fill in these fields in the form (or in the file's own "
        "metadata) and add the file again; nothing is invented."
    )


def render_add_report(report: AddReport) -> str:
    items = [f"<li>added {esc(d)}</li>" for d in report.added]
    items += [f"<li>updated {esc(d)}</li>" for d in report.updated]
    items += [f'<li class="cp-error">{esc(f)}: {esc(web_reason(r))}</li>' for f, r in report.errors]
    return f'<div class="cp"><ul class="cp-report">{"".join(items) or "<li>nothing to add</li>"}</ul></div>'


def upload_rules_html(suffixes: Iterable[str], max_mb: float, required: Mapping[str, Sequence[str]]) -> str:
    """Type and size limits, and which citation fields are required, stated before any upload."""
    kinds = ", ".join(sorted(suffixes))
    req = "; ".join(f"{esc(side)}: {esc(', '.join(fields))}" for side, fields in required.items())
    return (
        '<div class="cp"><p class="cp-sub">Add your own reference works (literature side) or another contested '
        "essay (essay side). Your documents are shown in their own column, never as mainstream literature; "
        "claims of added essays are not reviewed.</p>"
        f'<ul class="cp-rules"><li><span class="cp-lbl">Accepted files:</span> {esc(kinds)}, at most '
        f"{max_mb:g} MB each.</li>"
        f'<li><span class="cp-lbl">Required citation data</span> ({req}). Fields left empty are taken from the '
        "file itself (Markdown front matter, HTML meta tags, PDF properties) or a sidecar FILE.yaml; a file still "
        "missing one is not added, and the report says which fields to fill in.</li></ul></div>"
    )


# -- printable views ---------------------------------------------------------------------------


def printable_page(title: str, body: str, css: str) -> str:
    """A standalone page (no script, every <details> open) that prints cleanly to PDF."""
    opened = re.sub(r"<details(?![^>]*\sopen)", "<details open", body)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{css}</style></head>"
        f'<body class="cp-print"><main class="cp-print-main"><h1 class="cp-print-title">{esc(title)}</h1>'
        f"{opened}</main></body></html>"
    )
