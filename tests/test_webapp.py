"""The Gradio web app: the /ask API through gradio_client, the HTML rendering, and injection safety.

One Assistant (conftest's ``assistant``) and one launched app serve the whole session; the
browser and load tests share the same server through conftest (fixtures in tests/live.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .live import CORPUS_DIR, IMAGE, INJECTION_Q, LINK, REPO, SCRIPT, TRUCKS_Q, assert_inert

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)

# gradio's own dataframe/queue code trips pandas 3 deprecations; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


# -- the /ask API through gradio_client ---------------------------------------------------------


@pytest.fixture(scope="module")
def client(live_app):
    from gradio_client import Client

    c = Client(live_app.url, verbose=False, download_files=False, analytics_enabled=False)
    yield c
    c.close()


def test_api_ask_returns_the_answer_dict(client):
    out = client.predict(TRUCKS_Q, [], api_name="/ask")
    assert isinstance(out, dict)
    assert out["verdict"] == "contradicted"
    assert out["claim"]["id"] == "C45"
    assert out["abstained"] is False
    assert isinstance(out["essay"], list) and out["essay"]
    assert isinstance(out["literature"], list) and out["literature"]
    assert out["essay"][0]["marker"] == "E1" and out["literature"][0]["marker"] == "L1"
    assert any("750,000" in p["quote"] for p in out["essay"])
    assert out["figures"] and out["figures"][0]["essay"] == "750,000"


def test_api_history_as_list_or_json_string(client):
    as_list = client.predict("And the tanks?", [TRUCKS_Q], api_name="/ask")
    as_json = client.predict("And the tanks?", f'["{TRUCKS_Q}"]', api_name="/ask")
    assert as_list["resolved_question"] != "And the tanks?"
    assert as_list["resolved_question"] == as_json["resolved_question"]
    assert not as_list["abstained"]


def test_api_abstains_off_topic(client):
    out = client.predict("What is the capital of Peru?", [], api_name="/ask")
    assert out["abstained"] is True and out["verdict"] is None
    assert out["suggestions"]


def test_api_empty_and_too_long_questions_get_clear_messages(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Please type a question"):
        client.predict("   ", [], api_name="/ask")
    with pytest.raises(AppError, match=r"2,001 characters long; the limit is 2,000"):
        client.predict("x" * 2001, [], api_name="/ask")


def test_api_lists_only_the_ask_endpoint(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert list(api["named_endpoints"]) == ["/ask"]
    assert not api["unnamed_endpoints"]


def test_claim_exports_follow_the_filter(live_app, tmp_path):
    from rag.webapp import write_claim_exports
    from rag.webhtml import filter_claims

    files = write_claim_exports(live_app.assistant, tmp_path)
    md = Path(files["md"]).read_text(encoding="utf-8")
    assert "C45" in md and "contradicted" in md
    data = json.loads(Path(files["json"]).read_text(encoding="utf-8"))
    assert any(c["id"] == "C45" for c in data)
    reviews = json.loads(Path(files["jsonld"]).read_text(encoding="utf-8"))
    assert reviews[0]["@type"] == "ClaimReview"
    assert {r["identifier"] for r in reviews} == {c.id for c in live_app.assistant.claims()}

    subset = filter_claims(live_app.assistant.claims(), "contradicted", "all", "trucks")
    files = write_claim_exports(live_app.assistant, tmp_path, subset, "Filter: verdict contradicted.")
    assert [c["id"] for c in json.loads(Path(files["json"]).read_text(encoding="utf-8"))] == [
        c.id for c in subset
    ]
    assert Path(files["md"]).read_text(encoding="utf-8").count("\n### C") == len(subset)
    page = Path(files["html"]).read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page.lower()
    assert page.count('class="cp-print-claim"') == len(subset) and "@media print" in page


# -- HTML rendering ---------------------------------------------------------------------------


def test_answer_html_two_columns_badge_details_figures(live_app):
    from rag.webhtml import ESSAY_HEADER, LITERATURE_HEADER, USER_HEADER, esc, render_answer_html
    from rag.webpages import corpus_view, provenance_html

    corpus = live_app.assistant.corpus
    answer = live_app.assistant.ask(TRUCKS_Q)
    out = render_answer_html(answer, provenance_html(corpus, corpus_view(corpus)), share=True)
    assert ESSAY_HEADER in out and LITERATURE_HEADER in out and USER_HEADER not in out
    assert "About this source: Inconvenient History and the Committee for Open Debate" in out
    assert out.index("cp-direct") < out.index("cp-verdict") < out.index("cp-figs") < out.index("cp-cols")
    assert 'data-verdict="contradicted"' in out and ">contradicted<" in out  # the word, not a colour
    assert "Contradicted by the literature" in out and esc(answer.claim.rationale) in out
    assert "[E1]" in out and "[L1]" in out
    assert out.count("<details") >= len(answer.essay) + len(answer.literature)
    assert "Figures side by side" in out and "750,000" in out and "427,284" in out
    assert 'class="cp-scroll"' in out  # the table scrolls in its own box on a phone
    for p in answer.literature:  # every full citation of every work summarised
        for c in p.cites:
            assert esc(c.text) in out
    for p in answer.essay:
        for n in p.footnotes:
            assert f"[{n.number}]" in out
    assert 'href="?q=How%20many%20trucks' in out  # the share link
    assert_inert(out)


def test_user_documents_get_their_own_column(live_app):
    from dataclasses import replace

    from rag.webhtml import LITERATURE_HEADER, USER_HEADER, render_columns

    answer = live_app.assistant.ask(TRUCKS_Q)
    mine = replace(
        answer.literature[0], source="user:convoy-notes", kind="document", title="Convoy Notes", marker="L9"
    )
    out = render_columns(replace(answer, literature=(*answer.literature, mine)))
    lit = out[out.index(LITERATURE_HEADER) : out.index(USER_HEADER)]
    assert "cp-cols-3" in out and "Convoy Notes" not in lit
    assert "Convoy Notes" in out[out.index(USER_HEADER) :]


def test_abstention_is_one_short_message(live_app):
    from rag.webhtml import related_questions, render_answer_html

    answer = live_app.assistant.ask("What is the capital of Peru?")
    out = render_answer_html(answer)
    assert out.count("Not covered") == 1 and "<ul" not in out and "The essay claims" not in out
    assert all(t not in out for t in answer.covered_topics)  # no wall of topic titles
    examples = ["How many trucks were sent?", "When did the second Five-Year Plan begin?", "Who was Hoggan?"]
    assert related_questions("When did the Five-Year Plans end?", examples) == (
        ["When did the second Five-Year Plan begin?"],
        True,
    )
    assert related_questions("best pasta recipe?", examples, n=2) == (examples[:2], False)


def test_chat_handler_thread_pairs_and_history(live_app, tmp_path):
    from rag.webapp import WebApp

    app = WebApp(live_app.assistant, tmp_path)
    *_, (msgs, thread, box, note, md, _js, pr) = app.respond(TRUCKS_Q, [], [])
    assert [m["role"] for m in msgs] == ["user", "assistant"] and thread == [{"q": TRUCKS_Q, "h": []}]
    assert box == "" and note == "" and md["visible"] and pr["value"].endswith(".html")
    *_, (msgs, thread, *_rest) = app.respond("And the tanks?", thread, msgs)
    assert len(msgs) == 4 and thread[1] == {"q": "And the tanks?", "h": [TRUCKS_Q]}
    *_, (msgs2, thread2, _box, note, *_r) = app.respond("   ", thread, msgs)
    assert msgs2 == msgs and thread2 == thread and "Please type a question" in note
    *_, (msgs3, _t, _b, _n, md, _js, _pr) = app.respond("best pasta recipe?", thread, msgs)
    assert msgs3[-1]["options"] and md["visible"] is False  # suggestions once, no downloads
    assert "&lt;b&gt;" in app.pair(live_app.assistant.ask("trucks <b>sent</b>?"))[0]["content"]


def test_filter_claims():
    from rag.corpus import load_corpus
    from rag.webhtml import filter_claims

    claims = load_corpus(CORPUS_DIR).claims
    contradicted = filter_claims(claims, "contradicted")
    assert 0 < len(contradicted) < len(claims) and {c.verdict for c in contradicted} == {"contradicted"}
    trucks = filter_claims(claims, "contradicted", "all", "trucks")
    assert "C45" in [c.id for c in trucks] and len(trucks) < len(contradicted)
    section = claims[0].section
    assert {c.section for c in filter_claims(claims, "all", section)} == {section}


def test_sources_and_about(live_app):
    from rag.webpages import about_html, corpus_view, render_sources

    corpus = live_app.assistant.corpus
    view = corpus_view(corpus)
    assert view.essay_profiles == ("essay-poison-partners", "inconvenient-history-codoh", "john-wear")
    out = render_sources(corpus, view)
    for pid in ("essay-poison-partners", "inconvenient-history-codoh", "john-wear", "suvorov-chief-culprit"):
        assert f'id="src-{pid}"' in out
    assert out.index("src-john-wear") < out.index('id="src-h-cited"') < out.index("src-suvorov-chief-culprit")
    assert "Reference works" in out and "The Strange Alliance" in out
    assert_inert(out)
    essay = next(iter(corpus.essays.values()))
    about = about_html(view)
    assert f"¶0–¶{max(p.number for p in essay.paragraphs)}" in about
    assert (
        f"with its {len(essay.notes)} footnotes resolved" in about
        and f"{len(corpus.claims)} reviewed claims" in about
    )
    for phrase in (
        "Hybrid retrieval per side",
        "verified by code",
        "Reviewed verdicts",
        "No network",
        "Not covered",
    ):
        assert phrase in about


def test_essay_reader_html(live_app):
    from rag.webpages import render_essay_reader

    corpus = live_app.assistant.corpus
    essay = next(iter(corpus.essays.values()))
    out = render_essay_reader(essay, corpus.claims, corpus.bibliography)
    assert out.count('id="cp-par-') == len(essay.paragraphs)
    assert out.count('class="cp-claim-mark') >= len(corpus.claims)
    assert 'data-claim="C45"' in out and 'href="#cp-note-29"' in out and 'id="cp-note-29"' in out
    assert_inert(out)


# -- injection --------------------------------------------------------------------------------


def test_injection_renders_inert(injection_assistant, tmp_path):
    from rag.webapp import WebApp
    from rag.webhtml import render_answer_html
    from rag.webpages import corpus_view, render_essay_reader, render_sources

    answer = injection_assistant.ask(INJECTION_Q)
    assert not answer.abstained
    hostile = [p for p in answer.literature if p.source == "injection-trucks"]
    assert hostile and SCRIPT in hostile[0].text
    out = render_answer_html(answer, share=True)
    assert_inert(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert IMAGE in out and LINK in out  # shown as literal text, never turned into an image or a link
    assert "&lt;img src=x onerror=alert(2)&gt;" in out
    corpus = injection_assistant.corpus
    assert_inert(render_sources(corpus, corpus_view(corpus)))
    essay = next(iter(corpus.essays.values()))
    assert_inert(render_essay_reader(essay, corpus.claims, corpus.bibliography))
    app = WebApp(injection_assistant, tmp_path)
    for m in app.pair(answer):  # the chat messages, user side included
        assert_inert(m["content"])
    assert_inert(app.pair(injection_assistant.ask(SCRIPT + " trucks?"))[0]["content"])
    from rag.webapp import answer_exports

    assert_inert(
        Path(answer_exports(answer, tmp_path)["html"]).read_text(encoding="utf-8").split("</style>", 1)[1]
    )


# -- command line -----------------------------------------------------------------------------


def test_gradio_is_not_imported_by_the_package():
    import subprocess
    import sys

    code = "import rag, sys; rag.Settings; import rag.render, rag.claimreview; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
