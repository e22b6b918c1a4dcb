"""The Gradio web app: the /ask API through gradio_client, the HTML rendering, and injection safety.

One Assistant (conftest's ``assistant``) and one launched app serve the whole session; the
browser and load tests share the same server through conftest (fixtures in tests/live.py).
"""

from __future__ import annotations

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


def test_claim_exports(live_app, tmp_path):
    import json

    from rag.webapp import write_claim_exports

    files = write_claim_exports(live_app.assistant, tmp_path)
    md = Path(files["md"]).read_text(encoding="utf-8")
    assert "C45" in md and "contradicted" in md
    data = json.loads(Path(files["json"]).read_text(encoding="utf-8"))
    assert any(c["id"] == "C45" for c in data)
    reviews = json.loads(Path(files["jsonld"]).read_text(encoding="utf-8"))
    assert reviews[0]["@type"] == "ClaimReview"
    assert {r["identifier"] for r in reviews} == {c.id for c in live_app.assistant.claims()}


# -- HTML rendering ---------------------------------------------------------------------------


def test_answer_html_two_columns_badge_details_figures(live_app):
    from rag.webapp import ESSAY_HEADER, LITERATURE_HEADER, PROVENANCE_LABEL, esc, render_answer_html

    answer = live_app.assistant.ask(TRUCKS_Q)
    out = render_answer_html(answer)
    assert ESSAY_HEADER in out and LITERATURE_HEADER in out
    assert PROVENANCE_LABEL in out
    assert 'data-verdict="contradicted"' in out and ">contradicted<" in out  # the word, not a colour
    assert "Contradicted by the literature" in out and esc(answer.claim.rationale) in out
    assert "[E1]" in out and "[L1]" in out
    assert out.count("<details") >= len(answer.essay) + len(answer.literature)
    assert "Figures side by side" in out and "750,000" in out and "427,284" in out
    for p in answer.literature:  # every full citation of every work summarised
        for c in p.cites:
            assert esc(c.text) in out
    for p in answer.essay:
        for n in p.footnotes:
            assert f"[{n.number}]" in out
    assert_inert(out)


def test_abstention_html_says_not_covered_with_suggestions(live_app):
    from rag.webapp import esc, render_answer_html

    answer = live_app.assistant.ask("What is the capital of Peru?")
    out = render_answer_html(answer)
    assert "Not covered" in out
    assert all(esc(s) in out for s in answer.suggestions)
    assert "The essay claims" not in out


def test_transcript_keeps_earlier_turns_and_messages():
    from rag.webapp import render_transcript

    turns = [{"question": "first <q>", "html": "<p>one</p>"}, {"question": "second", "html": "<p>two</p>"}]
    out = render_transcript(turns, "Please type a question about the essay or its subject.")
    assert out.index("<p>two</p>") < out.index("Earlier in this conversation")
    assert "first &lt;q&gt;" in out and "Please type a question" in out


def test_filter_claims():
    from rag.corpus import load_corpus
    from rag.webapp import filter_claims

    claims = load_corpus(CORPUS_DIR).claims
    contradicted = filter_claims(claims, "contradicted")
    assert 0 < len(contradicted) < len(claims) and {c.verdict for c in contradicted} == {"contradicted"}
    trucks = filter_claims(claims, "contradicted", "all", "trucks")
    assert "C45" in [c.id for c in trucks] and len(trucks) < len(contradicted)
    section = claims[0].section
    assert {c.section for c in filter_claims(claims, "all", section)} == {section}


def test_sources_and_about(live_app):
    from rag.webapp import ABOUT_HTML, render_sources

    out = render_sources(live_app.assistant)
    for pid in ("essay-poison-partners", "inconvenient-history-codoh", "john-wear", "suvorov-chief-culprit"):
        assert f'id="src-{pid}"' in out
    assert out.index("src-john-wear") < out.index('id="src-h-cited"') < out.index("src-suvorov-chief-culprit")
    assert "Reference works" in out and "The Strange Alliance" in out
    assert_inert(out)
    for phrase in (
        "Hybrid retrieval per side",
        "verified by code",
        "Reviewed verdicts",
        "No network",
        "Not covered",
    ):
        assert phrase in ABOUT_HTML


# -- injection --------------------------------------------------------------------------------


def test_injection_renders_inert(injection_assistant):
    from rag.webapp import render_answer_html, render_sources

    answer = injection_assistant.ask(INJECTION_Q)
    assert not answer.abstained
    hostile = [p for p in answer.literature if p.source == "injection-trucks"]
    assert hostile and SCRIPT in hostile[0].text
    out = render_answer_html(answer)
    assert_inert(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert IMAGE in out and LINK in out  # shown as literal text, never turned into an image or a link
    assert "&lt;img src=x onerror=alert(2)&gt;" in out
    assert_inert(render_sources(injection_assistant))


# -- command line -----------------------------------------------------------------------------


def test_gradio_is_not_imported_by_the_package():
    import subprocess
    import sys

    code = "import rag, sys; rag.Settings; import rag.render, rag.claimreview; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
