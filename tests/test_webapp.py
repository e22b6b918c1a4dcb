"""The Gradio web app: the /ask API through gradio_client, the HTML rendering, and injection safety.

One Assistant (conftest's ``assistant``) and one launched app serve the whole session; the
browser and load tests import ``live_app`` from here so they share the same server.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import textwrap
import threading
from pathlib import Path

import pytest

for _k, _v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
               "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_k, _v)

# gradio's own dataframe/queue code trips pandas 3 deprecations; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO / "corpus"
TRUCKS_Q = "How many trucks and jeeps did the Allies send to the Soviet Union?"
INJECTION_Q = "How many Lend-Lease trucks were delivered to the Soviet Union?"
SCRIPT = "<script>alert(1)</script>"
IMAGE = "![x](http://evil.example/x.png)"
LINK = "[click](javascript:alert(1))"

# -- session singletons shared by test_webapp, test_browser and test_load -----------------------
# Each module that imports a fixture gets its own fixture instance, so the objects themselves
# live here once, reference-counted, and are closed when the last user is torn down.
_SHARED: dict[str, dict] = {}
_LOCK = threading.Lock()


def _acquire(key: str, factory, closer=None):
    with _LOCK:
        slot = _SHARED.get(key)
        if slot is None:
            slot = _SHARED[key] = {"value": factory(), "n": 0, "close": closer}
        slot["n"] += 1
        return slot["value"]


def _release(key: str) -> None:
    with _LOCK:
        slot = _SHARED.get(key)
        if slot is None:
            return
        slot["n"] -= 1
        if slot["n"] <= 0:
            _SHARED.pop(key)
            if slot["close"]:
                slot["close"](slot["value"])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shared_embeddings(request):
    try:
        return request.getfixturevalue("embeddings")
    except pytest.FixtureLookupError:  # pragma: no cover - conftest always provides it today
        return None


def _shared_assistant(request):
    """conftest's session ``assistant`` (the bundled corpus, indexed once); else our own."""
    try:
        return request.getfixturevalue("assistant")
    except pytest.FixtureLookupError:  # pragma: no cover
        from rag import Assistant
        from rag.settings import Settings

        home = request.getfixturevalue("tmp_path_factory").mktemp("webapp-home")
        return Assistant(Settings(home=home, corpus_dir=CORPUS_DIR, encoder="st"))


class LiveApp:
    def __init__(self, assistant, export_dir: Path):
        from rag.webapp import build_app

        self.assistant = assistant
        self.demo = build_app(assistant, export_dir=export_dir)
        self.port = free_port()
        self.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=self.port, quiet=True)
        self.url = f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.demo.close(verbose=False)


@pytest.fixture(scope="session")
def live_app(request, tmp_path_factory):
    """The web app over the shared Assistant, on a free loopback port, for the whole session."""
    def make():
        assistant = _shared_assistant(request)
        assistant.ask(TRUCKS_Q)  # warm the claim vectors before any timed request
        return LiveApp(assistant, tmp_path_factory.mktemp("webapp-export"))

    app = _acquire("live_app", make, LiveApp.close)
    yield app
    _release("live_app")


def write_injection_corpus(root: Path) -> Path:
    """The real essay and bibliography, no claims, and ONE digest whose text carries payloads."""
    (root / "essay").mkdir(parents=True)
    (root / "references").mkdir()
    (root / "sources").mkdir()
    shutil.copy(CORPUS_DIR / "essay" / "poison-partners.txt", root / "essay" / "poison-partners.txt")
    shutil.copy(CORPUS_DIR / "bibliography.yaml", root / "bibliography.yaml")
    (root / "claims.yaml").write_text("[]\n", encoding="utf-8")
    text = textwrap.dedent(f"""\
        ---
        id: injection-trucks
        title: 'Lend-Lease trucks <img src=x onerror=alert(2)> to the USSR'
        kind: digest
        topics: [lend-lease, trucks]
        works: [deane1947]
        ---

        *This digest is a summary, written for the Counterpoint project, of the works listed below.*

        ## Lend-Lease trucks delivered to the Soviet Union <b onmouseover=alert(3)>bold</b>

        How many Lend-Lease trucks were delivered to the Soviet Union? U.S. records show 427,284 trucks delivered to the Soviet Union between 1941 and 1945 {SCRIPT} according to Deane. The Lend-Lease trucks are pictured in {IMAGE} and the delivery records can be read at {LINK} for the Soviet Union trucks.

        Sources: [@deane1947, p. 93]
        """)
    (root / "references" / "injection-trucks.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def injection_assistant(request, tmp_path_factory):
    """An Assistant over the tiny corpus with the hostile digest (its own home)."""
    def make():
        from rag import Assistant
        from rag.settings import Settings

        root = write_injection_corpus(tmp_path_factory.mktemp("inj") / "corpus")
        home = tmp_path_factory.mktemp("inj-home")
        return Assistant(Settings(home=home, corpus_dir=root, encoder="st"),
                         embeddings=_shared_embeddings(request))

    a = _acquire("injection_assistant", make)
    yield a
    _release("injection_assistant")


def assert_inert(html_text: str) -> None:
    low = html_text.lower()
    assert "<script" not in low
    assert "<img" not in low
    assert not re.search(r"<[a-z]+[^>]*\son\w+\s*=", low), "an event-handler attribute survived"
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", low)
    assert not re.search(r"""src\s*=\s*["']?\s*http://evil""", low)
    for href in re.findall(r"""href\s*=\s*["']([^"']*)["']""", low):
        assert href.startswith("#"), f"unexpected link {href!r}"


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
    for phrase in ("Hybrid retrieval per side", "verified by code", "Reviewed verdicts", "No network",
                   "Not covered"):
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

def test_main_flags_and_exposure_warning(monkeypatch, capsys):
    import rag.webapp as webapp

    launched = {}

    class FakeDemo:
        def launch(self, **kw):
            launched.update(kw)

    monkeypatch.setattr(webapp, "build_app", lambda assistant: FakeDemo())
    monkeypatch.setattr("rag.assistant.Assistant", lambda settings: object())
    monkeypatch.delenv("RAG_HOST", raising=False)
    monkeypatch.delenv("RAG_PORT", raising=False)
    monkeypatch.delenv("RAG_AUTH", raising=False)
    webapp.main([])
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 7860
    assert launched["auth"] is None and launched["share"] is False
    assert "exposed" not in capsys.readouterr().err

    webapp.main(["--host", "0.0.0.0", "--port", "8123", "--auth", "ann:s3cret:x"])
    assert launched["server_name"] == "0.0.0.0" and launched["server_port"] == 8123
    assert launched["auth"] == ("ann", "s3cret:x")
    assert "exposed" in capsys.readouterr().err

    monkeypatch.setenv("RAG_PORT", "9001")
    monkeypatch.setenv("RAG_AUTH", "bob:pw")
    webapp.main([])
    assert launched["server_port"] == 9001 and launched["auth"] == ("bob", "pw")
    with pytest.raises(SystemExit):
        webapp.main(["--auth", "nopassword"])


def test_gradio_is_not_imported_by_the_package():
    import subprocess
    import sys

    code = "import rag, sys; rag.Settings; import rag.render, rag.claimreview; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
