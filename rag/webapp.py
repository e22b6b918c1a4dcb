"""Counterpoint web app (Gradio 6): wiring only, over one shared ``rag.Assistant``.

Tabs: Chat (a thread of answer cards that survives a reload; ``?q=`` asks a question), Essay
(the essay with its reviewed claims marked in place), Claims (filterable; exports follow the
filter), Documents (the user's own documents), Sources, About. The HTML comes from the pure
renderers in rag/webhtml.py and rag/webpages.py, the styles from rag/static/app.css. A named API
endpoint ``/ask`` returns ``Answer.to_dict()`` for gradio_client.

This is the only module that imports gradio (never import it from ``rag/__init__``). Process
environment (offline switches) is set by ``rag/__init__`` and the entry points, not here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from .assistant import QuestionError
from .claimreview import claim_reviews
from .models import VERDICTS, Answer, Claim
from .render import claims_report
from .webhtml import (
    claim_table_rows,
    esc,
    filter_claims,
    related_questions,
    render_answer_html,
    render_claim_card,
    render_claim_review,
    render_draft,
    render_message,
)
from .webpages import (
    CorpusView,
    about_html,
    chat_placeholder,
    corpus_view,
    header_html,
    printable_page,
    provenance_html,
    reader_placeholder,
    render_add_report,
    render_documents,
    render_essay_notes,
    render_essay_text,
    render_sources,
    upload_rules_html,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant

CSS_FILE = Path(__file__).with_name("static") / "app.css"
THREAD_KEY = "counterpoint-thread"
MAX_RESTORED_TURNS = 30  # a reload re-asks the stored questions (each takes well under a second)
HISTORY_WINDOW = 5  # only the latest questions matter to follow-up resolution
_ids = itertools.count(1)
# A click on an element carrying data-ATTR sends its value to the component's .select listeners.
_CLICK_JS = (
    "element.addEventListener('click', (e) => {{ const b = e.target.closest('[data-{attr}]');"
    " if (!b) return; if ({prevent}) e.preventDefault();"
    " trigger('select', {{value: b.dataset.{key}, index: 0}}); }});"
)
READER_JS = _CLICK_JS.format(attr="claim", key="claim", prevent="window.innerWidth >= 820")
REMOVE_JS = _CLICK_JS.format(attr="remove", key="remove", prevent="true")
DROP_Q_JS = (
    "() => { const u = new URL(window.location.href);"
    " if (u.searchParams.has('q')) { u.searchParams.delete('q'); window.history.replaceState(null, '', u); } }"
)


def load_css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


def example_questions(assistant: Assistant) -> tuple[str, ...]:
    """The corpus's example questions (corpus data when it has them, else the engine's list)."""
    return tuple(assistant.corpus.info.suggestions)


# -- files -------------------------------------------------------------------------------------


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
    """A content-addressed file (same text, same name: downloads never race each other)."""
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


def claims_printable(claims: Sequence[Claim], title: str, note: str = "") -> str:
    cards = "".join(f'<section class="cp-print-claim">{render_claim_card(c)}</section>' for c in claims)
    intro = f'<p class="cp-sub">{esc(note)}</p>' if note else ""
    return printable_page(title, f'<div class="cp">{intro}{cards}</div>', load_css())


def write_claim_exports(
    assistant: Assistant, folder: Path, claims: Sequence[Claim] | None = None, note: str = ""
) -> dict[str, str]:
    """The claim report as Markdown, JSON, ClaimReview JSON-LD and a printable page; ``claims``
    (default: all) is what the active filter shows."""
    subset = list(assistant.claims() if claims is None else claims)
    title = f"Counterpoint: reviewed claims of “{essay_meta(assistant).get('title', 'the essay')}”"
    return {
        "md": _write(folder, "counterpoint-claims", ".md", claims_report(subset)),
        "json": _write(
            folder,
            "counterpoint-claims",
            ".json",
            json.dumps([c.to_dict() for c in subset], ensure_ascii=False, indent=2),
        ),
        "jsonld": _write(
            folder,
            "counterpoint-claimreview",
            ".jsonld",
            json.dumps(claim_reviews(subset, essay_meta(assistant)), ensure_ascii=False, indent=2),
        ),
        "html": _write(folder, "counterpoint-claims", ".html", claims_printable(subset, title, note)),
    }


def answer_exports(answer: Answer, folder: Path, provenance: str = "") -> dict[str, str]:
    """The answer as Markdown, JSON and a printable page."""
    title = f"Counterpoint: {answer.question}"
    page = printable_page(title, render_answer_html(answer, provenance), load_css())
    return {
        "md": _write(folder, "counterpoint-answer", ".md", answer.to_markdown()),
        "json": _write(folder, "counterpoint-answer", ".json", answer.to_json(indent=2)),
        "html": _write(folder, "counterpoint-answer", ".html", page),
    }


# -- the handlers ------------------------------------------------------------------------------


def _hidden() -> tuple[Any, Any, Any]:
    return gr.update(visible=False), gr.update(visible=False), gr.update(visible=False)


def _same() -> tuple[Any, Any, Any]:
    return gr.update(), gr.update(), gr.update()


def _sample_text(value: Any) -> str:
    """An example or option as clicked: a dict with text/value, a one-item list, or a string."""
    if isinstance(value, dict):
        return str(value.get("text") or value.get("value") or "")
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return str(value or "")


def _stored_turns(thread: Any) -> list[dict]:
    """The browser's stored thread, keeping only well-formed turns (the browser is not trusted)."""
    turns = thread if isinstance(thread, list) else []
    ok = [t for t in turns if isinstance(t, dict) and isinstance(t.get("q"), str)]
    return ok[-MAX_RESTORED_TURNS:]


class WebApp:
    """The app's handlers over one Assistant; ``build_app`` lays out the components."""

    def __init__(self, assistant: Assistant, export: Path):
        self.assistant = assistant
        self.export = export
        corpus = assistant.corpus
        self.view: CorpusView = corpus_view(corpus, example_questions(assistant))
        self.prov = provenance_html(corpus, self.view)
        self.claims = assistant.claims()
        self.by_id = {c.id: c for c in self.claims}

    # -- chat ------------------------------------------------------------------------------------
    def pair(self, answer: Answer, draft: str = "") -> list[dict]:
        """The user's question and the answer card, as two chat messages."""
        from .webhtml import render_abstention

        user = {"role": "user", "content": f'<span class="cp-you">{esc(answer.question)}</span>'}
        if not answer.abstained:
            card = render_answer_html(answer, self.prov, share=True) + (render_draft(draft) if draft else "")
            return [user, {"role": "assistant", "content": card}]
        if answer.abstain_reason == "language":
            return [user, {"role": "assistant", "content": render_abstention(answer)}]
        pool = tuple(dict.fromkeys(self.view.examples + tuple(answer.suggestions)))
        suggestions, related = related_questions(answer.question, pool)
        label = (
            "Related questions Counterpoint can answer:" if related else "Questions Counterpoint can answer:"
        )
        card = render_abstention(answer, label if suggestions else "")
        return [user, {"role": "assistant", "content": card, "options": [{"value": s} for s in suggestions]}]

    def downloads(self, answer: Answer | None) -> tuple[Any, Any, Any]:
        """The latest answer's downloads; none for a question the corpus does not cover."""
        if answer is None or answer.abstained:
            return _hidden()
        files = answer_exports(answer, self.export, self.prov)
        return tuple(gr.update(value=files[k], visible=True) for k in ("md", "json", "html"))  # type: ignore[return-value]

    def respond(self, question: str, thread: Any = None, messages: Any = None) -> Iterator[tuple]:
        """A generator: the extractive answer at once; with an LLM configured, the draft comparison
        streams in below it and the verified version replaces the draft at the end."""
        turns, msgs = _stored_turns(thread), list(messages or [])
        history = [t["q"] for t in turns][-HISTORY_WINDOW:]
        try:
            stream = self.assistant.ask_stream(question, history)
            first = next(stream)
        except QuestionError as exc:
            yield (msgs, turns, gr.update(), render_message(str(exc)), *_same())
            return
        assert isinstance(first, Answer)  # ask_stream yields the extractive Answer first
        answer, draft = first, ""
        for item in stream:
            if isinstance(item, str):
                draft += item
                yield (msgs + self.pair(answer, draft), turns, gr.update(), "", *_same())
            else:
                answer = item
        turns.append({"q": answer.question, "h": history})
        yield (msgs + self.pair(answer), turns, "", "", *self.downloads(answer))

    def pick(self, evt: gr.SelectData, thread: Any, messages: Any) -> Iterator[tuple]:
        """An example or a suggestion clicked: asked like a typed question."""
        yield from self.respond(_sample_text(evt.value), thread, messages)

    def clear(self) -> tuple:
        return ([], [], "", "", *_hidden())

    def restore(self, thread: Any, request: gr.Request | None = None) -> tuple:
        """On page load: the stored thread re-asked turn by turn (answers are deterministic), then
        the ``?q=`` question, asked on its own, unless it is already the last turn."""
        msgs: list[dict] = []
        kept: list[dict] = []
        last: Answer | None = None
        message = ""
        pending = [(t["q"], t.get("h") or []) for t in _stored_turns(thread)]
        shared = (request.query_params.get("q") if request is not None else None) or ""
        if shared.strip() and not (pending and pending[-1][0] == shared.strip()):
            pending.append((shared, []))
        for q, hist in pending:
            try:
                answer = self.assistant.ask(q, history=hist, synthesize=False)
            except QuestionError as exc:
                message = str(exc)
                continue
            msgs += self.pair(answer)
            kept.append({"q": answer.question, "h": list(self.assistant.check_history(hist))})
            last = answer
        return (msgs, kept, render_message(message) if message else "", *self.downloads(last))

    # -- essay reader and claims --------------------------------------------------------------
    def review(self, claim_id: str | None, compact: bool = False) -> str:
        c = self.by_id.get(claim_id or "")
        if c is None:
            return reader_placeholder()
        try:
            answer: Answer | None = self.assistant.ask(c.quote, [], synthesize=False)
        except QuestionError:  # pragma: no cover - reviewed quotes are never empty
            answer = None
        return render_claim_review(c, answer, self.prov, compact=compact)

    def on_reader(self, evt: gr.SelectData) -> str:
        return self.review(str(evt.value or ""), compact=True)

    def claim_count(self, n: int) -> str:
        total = len(self.claims)
        text = (
            f"Showing {n} of {total} reviewed claims"
            if n
            else f"No claim matches these filters (of {total})."
        )
        return f'<div class="cp"><p class="cp-sub" id="cp-claim-count" data-count="{n}">{esc(text)}</p></div>'

    def filter_note(self, verdict: str, section: str, search: str) -> str:
        bits = [f"verdict {verdict}" if verdict not in ("", "all", None) else ""]
        bits += [f"section “{section}”" if section not in ("", "all", None) else ""]
        bits += [f"search “{search.strip()}”" if (search or "").strip() else ""]
        shown = "; ".join(b for b in bits if b)
        return f"Filter: {shown}." if shown else "All reviewed claims."

    def claim_files(self, subset: Sequence[Claim], note: str) -> tuple[Any, ...]:
        files = write_claim_exports(self.assistant, self.export, subset, note)
        return tuple(gr.update(value=files[k]) for k in ("md", "json", "jsonld", "html"))

    def on_filter(self, verdict: str, section: str, search: str) -> tuple:
        subset = filter_claims(self.claims, verdict, section, search)
        return (
            claim_table_rows(subset),
            self.claim_count(len(subset)),
            gr.update(choices=claim_choices(subset), value=None),
            *self.claim_files(subset, self.filter_note(verdict, section, search)),
        )

    def on_select_row(self, evt: gr.SelectData) -> tuple[str, Any]:
        row = evt.row_value or []
        cid = str(row[0]) if row else None
        return self.review(cid), gr.update(value=cid)

    # -- documents --------------------------------------------------------------------------------
    def documents_html(self) -> str:
        return render_documents(self.assistant.documents())

    def on_add(
        self,
        paths: Any,
        side: str,
        title: str,
        author: str,
        year: str,
        publisher: str,
        progress: Any = gr.Progress(),  # noqa: B008 - gradio's documented idiom
    ) -> tuple[str, str, None]:
        if not paths:
            return render_message("Choose one or more files first."), self.documents_html(), None
        files = [getattr(p, "name", p) for p in paths]
        flags = {"title": title, "author": author, "year": year, "publisher": publisher}

        def prog(stage: str, done: int, total: int) -> None:
            progress((done, total), desc=stage, unit="files" if stage == "parsing" else "chunks")

        try:
            report = self.assistant.add(files, side=side, flags=flags, progress=prog)
        finally:
            remove_uploads(files)  # never left in the temp folder
        return render_add_report(report), self.documents_html(), None  # the uploads are gone: clear the box

    def on_remove(self, evt: gr.SelectData) -> tuple[str, str]:
        doc_id = str(evt.value or "").strip()
        ok = bool(doc_id) and self.assistant.remove(doc_id)
        msg = f"Removed {doc_id}." if ok else f"No user document {doc_id!r} (already removed?)."
        return render_message(msg), self.documents_html()

    # -- API ----------------------------------------------------------------------------------------
    def api_ask(self, question: str, history: list[str] | str | None = None) -> dict:
        """Ask Counterpoint: returns Answer.to_dict() (abstained, verdict, essay, literature, …).

        history: earlier questions of the conversation, as a list or a JSON string of one.
        """
        try:
            q = self.assistant.check_question(question)
            hist = self.assistant.check_history(parse_history(history))
            return self.assistant.ask(q, history=hist).to_dict()
        except QuestionError as exc:
            raise gr.Error(str(exc)) from exc
        except Exception as exc:  # never {"error": null}: say what happened, log the details
            log.exception("/ask failed")
            raise gr.Error(
                f"The question could not be answered ({exc.__class__.__name__}); "
                "the details are in the server log."
            ) from exc


def claim_choices(subset: Sequence[Claim]) -> list[tuple[str, str]]:
    return [
        (f"{c.id} · {c.verdict} · {c.quote[:70]}{'…' if len(c.quote) > 70 else ''}", c.id) for c in subset
    ]


# -- the layout --------------------------------------------------------------------------------


def _thread_view(app: WebApp) -> gr.Chatbot:
    return gr.Chatbot(
        value=[],
        elem_id="cp-chat",
        label="Conversation",
        show_label=False,
        render_markdown=False,  # our HTML is escaped already; Markdown would turn ![x](…) into an image
        sanitize_html=True,
        latex_delimiters=[],
        layout="panel",
        height="auto",  # the thread grows with its answers and the page scrolls (see app.css)
        min_height=320,
        autoscroll=False,
        placeholder=chat_placeholder(app.view),
        examples=[{"text": q} for q in app.view.examples],
        buttons=[],  # "copy all" would copy the cards' HTML; downloads give Markdown and JSON
        feedback_options=None,
    )


def _ask_row(app: WebApp) -> tuple[gr.Textbox, gr.Button, gr.Button]:
    with gr.Row(elem_id="cp-ask-row"):
        question = gr.Textbox(
            label="Your question",
            placeholder=f"e.g. {app.view.examples[0]}" if app.view.examples else "",
            lines=1,
            max_lines=4,
            scale=6,
            min_width=280,
            elem_id="cp-question",
            autofocus=False,  # on a phone, focus would scroll past the header and open the keyboard
            submit_btn=False,
        )
        with gr.Column(scale=1, min_width=150, elem_id="cp-ask-buttons"):
            ask_btn = gr.Button("Ask", variant="primary", elem_id="cp-ask")
            clear_btn = gr.Button("New conversation", size="sm", elem_id="cp-clear")
    return question, ask_btn, clear_btn


def _chat_tab(app: WebApp) -> dict[str, Any]:
    chatbot = _thread_view(app)
    chat_msg = gr.HTML("", elem_id="cp-chat-msg", js_on_load=None)
    question, ask_btn, clear_btn = _ask_row(app)
    with gr.Row(elem_id="cp-answer-downloads"):
        dl = [
            gr.DownloadButton(label, visible=False, size="sm", elem_id=f"cp-dl-{key}")
            for key, label in (
                ("md", "Latest answer (Markdown)"),
                ("json", "Latest answer (JSON)"),
                ("print", "Printable view (HTML, print to PDF)"),
            )
        ]
    return {
        "chatbot": chatbot,
        "msg": chat_msg,
        "question": question,
        "ask": ask_btn,
        "clear": clear_btn,
        "dl": dl,
    }


SCROLL_JS = (
    "() => { const m = document.querySelectorAll('#cp-chat [data-testid=user]');"
    " if (m.length) m[m.length - 1].scrollIntoView({block: 'start'}); }"
)


def _wire_chat(app: WebApp, ui: dict[str, Any], thread: gr.BrowserState) -> None:
    chatbot, question = ui["chatbot"], ui["question"]
    outs = [chatbot, thread, question, ui["msg"], *ui["dl"]]
    ins = [question, thread, chatbot]
    for ev in (ui["ask"].click, question.submit):
        ev(app.respond, ins, outs, api_visibility="private").then(
            None, js=SCROLL_JS, api_visibility="private"
        )
    for ev in (chatbot.example_select, chatbot.option_select):
        ev(app.pick, [thread, chatbot], outs, api_visibility="private").then(
            None, js=SCROLL_JS, api_visibility="private"
        )
    ui["clear"].click(app.clear, None, outs, api_visibility="private")
    chatbot.clear(app.clear, None, outs, api_visibility="private")


def _reader_tab(app: WebApp) -> None:
    essay = app.assistant.corpus.essays.get(app.view.essay_id)
    if essay is None:
        gr.HTML(render_message("No essay in this corpus."), js_on_load=None)
        return
    with gr.Row(elem_id="cp-reader-row"):
        with gr.Column(scale=3, min_width=320):
            reader = gr.HTML(render_essay_text(essay, app.claims), elem_id="cp-reader", js_on_load=READER_JS)
        with gr.Column(scale=2, min_width=320, elem_id="cp-reader-side"):
            review = gr.HTML(reader_placeholder(), elem_id="cp-reader-review", js_on_load=None)
    # After the review column, so that on a phone the review comes before the notes.
    gr.HTML(
        render_essay_notes(essay, app.assistant.corpus.bibliography), elem_id="cp-notes-box", js_on_load=None
    )
    reader.select(app.on_reader, None, [review], api_visibility="private")


def _claim_filters(app: WebApp) -> tuple[gr.Dropdown, gr.Dropdown, gr.Textbox]:
    counts = {v: sum(1 for c in app.claims if c.verdict == v) for v in VERDICTS}
    sections = sorted({c.section for c in app.claims if c.section})
    with gr.Row():
        verdict = gr.Dropdown(
            [("All verdicts", "all")] + [(f"{v} ({counts[v]})", v) for v in VERDICTS],
            value="all",
            label="Verdict",
            elem_id="cp-verdict-filter",
            filterable=False,
            min_width=200,
        )
        section = gr.Dropdown(
            [("All sections", "all")] + [(s, s) for s in sections],
            value="all",
            label="Essay section",
            elem_id="cp-section-filter",
            filterable=False,
            min_width=200,
        )
        search = gr.Textbox(
            label="Search",
            placeholder="words in the claim or rationale",
            elem_id="cp-claim-search",
            min_width=200,
        )
    return verdict, section, search


def _claim_downloads(app: WebApp) -> list[gr.DownloadButton]:
    files = write_claim_exports(app.assistant, app.export, app.claims, "All reviewed claims.")
    with gr.Row(elem_id="cp-claim-downloads"):
        dls = [
            gr.DownloadButton(label, value=files[key], size="sm", elem_id=eid)
            for key, label, eid in (
                ("md", "Claim report (Markdown)", "cp-dl-claims-md"),
                ("json", "Claims (JSON)", "cp-dl-claims-json"),
                ("jsonld", "ClaimReview (JSON-LD)", "cp-dl-claimreview"),
                ("html", "Printable claim report (HTML)", "cp-dl-claims-print"),
            )
        ]
    return dls


def _claims_tab(app: WebApp) -> None:
    gr.HTML(
        '<div class="cp"><p class="cp-sub">The essay\'s checkable claims, each reviewed against the '
        "literature. Filter them, then select a row to see the claim side by side. Downloads hold the "
        "claims shown.</p></div>",
        js_on_load=None,
    )
    verdict, section, search = _claim_filters(app)
    count = gr.HTML(app.claim_count(len(app.claims)), elem_id="cp-claim-count-box", js_on_load=None)
    table = gr.Dataframe(
        claim_table_rows(app.claims),
        headers=["ID", "Verdict", "¶", "Section", "Claim (the essay's words)"],
        datatype=["str", "str", "number", "str", "str"],
        interactive=False,
        wrap=True,
        column_widths=["7%", "13%", "5%", "18%", "57%"],
        max_height=420,
        elem_id="cp-claims-table",
        label="Reviewed claims",
    )
    pick = gr.Dropdown(
        claim_choices(app.claims), value=None, label="Or pick a claim by id", elem_id="cp-claim-pick"
    )
    view = gr.HTML(
        '<div class="cp"><p class="cp-placeholder">Select a claim in the table (or pick its id) to see it side by side.</p></div>',
        elem_id="cp-claim-view",
        js_on_load=None,
    )
    dls = _claim_downloads(app)
    ins, outs = [verdict, section, search], [table, count, pick, *dls]
    verdict.change(app.on_filter, ins, outs, api_visibility="private")
    section.change(app.on_filter, ins, outs, api_visibility="private")
    search.change(app.on_filter, ins, outs, trigger_mode="always_last", api_visibility="private")
    table.select(app.on_select_row, None, [view, pick], api_visibility="private")
    pick.input(app.review, [pick], [view], api_visibility="private")


def _documents_tab(app: WebApp) -> gr.HTML:
    from .ingest import REQUIRED, SUPPORTED

    gr.HTML(
        upload_rules_html(SUPPORTED, app.assistant.settings.max_file_mb, REQUIRED),
        elem_id="cp-upload-rules",
        js_on_load=None,
    )
    with gr.Row():
        files = gr.File(
            file_count="multiple",
            label=f"Files ({', '.join(sorted(SUPPORTED))}; at most {app.assistant.settings.max_file_mb:g} MB each)",
            elem_id="cp-upload",
            file_types=sorted(SUPPORTED),
            min_width=300,
        )
        with gr.Column(min_width=300):
            side = gr.Radio(["literature", "essay"], value="literature", label="Side", elem_id="cp-side")
            meta = [
                gr.Textbox(label=label, elem_id=f"cp-meta-{key}", placeholder=hint)
                for key, label, hint in (
                    ("title", "Title (required)", "e.g. The Strange Alliance"),
                    ("author", "Author (required)", "e.g. Deane, John R."),
                    ("year", "Year (required)", "e.g. 1947"),
                    ("publisher", "Publisher (required for literature)", "e.g. Viking"),
                )
            ]
            add = gr.Button("Add to the index", variant="primary", elem_id="cp-add")
    report = gr.HTML(elem_id="cp-add-report", js_on_load=None)
    listing = gr.HTML(app.documents_html(), elem_id="cp-documents", js_on_load=REMOVE_JS)
    add.click(app.on_add, [files, side, *meta], [report, listing, files], api_visibility="private")
    listing.select(app.on_remove, None, [report, listing], api_visibility="private")
    return listing


def build_app(assistant: Assistant, export_dir: str | Path | None = None) -> gr.Blocks:
    """The Gradio app over one shared (thread-safe) Assistant."""
    export = Path(export_dir) if export_dir else Path(tempfile.mkdtemp(prefix="counterpoint-export-"))
    export.mkdir(parents=True, exist_ok=True)
    app = WebApp(assistant, export)
    with gr.Blocks(title="Counterpoint", analytics_enabled=False) as demo:
        # The stylesheet rides in the page head via this (always mounted) component, so the app looks
        # the same however it is launched (Gradio 6 takes css= only in launch()).
        gr.HTML(
            header_html(app.view), head=f"<style>{load_css()}</style>", elem_id="cp-header", js_on_load=None
        )
        thread = gr.BrowserState([], storage_key=THREAD_KEY, secret=THREAD_KEY)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = _chat_tab(app)
            with gr.Tab("Essay", id="essay"):
                _reader_tab(app)
            with gr.Tab("Claims", id="claims"):
                _claims_tab(app)
            with gr.Tab("Documents", id="documents"):
                listing = _documents_tab(app)
            with gr.Tab("Sources", id="sources"):
                gr.HTML(render_sources(assistant.corpus, app.view), elem_id="cp-sources", js_on_load=None)
            with gr.Tab("About", id="about"):
                gr.HTML(about_html(app.view), elem_id="cp-about", js_on_load=None)
        _wire_chat(app, chat, thread)
        outs = [chat["chatbot"], thread, chat["msg"], *chat["dl"]]
        demo.load(app.restore, [thread], outs, api_visibility="private").then(
            None, js=DROP_Q_JS, api_visibility="private"
        )
        demo.load(
            app.documents_html, None, [listing], api_visibility="private"
        )  # the index's list, right after a reload
        gr.api(app.api_ask, api_name="ask")
    demo.queue(default_concurrency_limit=32, max_size=512)
    demo.counterpoint_handlers = {"respond": app.respond, "api_ask": app.api_ask}  # for handler tests
    return demo
