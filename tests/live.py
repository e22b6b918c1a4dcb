"""The launched web app and the hostile-digest assistant, shared by the web, browser and load tests.

conftest.py imports the fixtures from here, so every test module gets the same session instances.
"""

from __future__ import annotations

import re
import shutil
import socket
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO / "corpus"
TRUCKS_Q = "How many trucks and jeeps did the Allies send to the Soviet Union?"
INJECTION_Q = "How many Lend-Lease trucks were delivered to the Soviet Union?"
SCRIPT = "<script>alert(1)</script>"
IMAGE = "![x](http://evil.example/x.png)"
LINK = "[click](javascript:alert(1))"


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
    """The UI and the REST API on one server (rag/server.py), on a free loopback port."""

    def __init__(self, assistant, export_dir: Path, **server_kw):
        from rag.server import start

        self.assistant = assistant
        self.running = start(assistant, "127.0.0.1", 0, export_dir=export_dir, **server_kw)
        self.url = self.running.url
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def close(self) -> None:
        self.running.close()


@pytest.fixture(scope="session")
def live_app(request, tmp_path_factory):
    """The web app over the shared Assistant, on a free loopback port, for the whole session."""

    def make():
        assistant = _shared_assistant(request)
        assistant.ask(TRUCKS_Q)  # warm the claim vectors before any timed request
        return LiveApp(assistant, tmp_path_factory.mktemp("webapp-export"))

    app = make()
    yield app
    app.close()


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
        return Assistant(
            Settings(home=home, corpus_dir=root, encoder="st"), embeddings=_shared_embeddings(request)
        )

    yield make()


def assert_inert(html_text: str) -> None:
    low = html_text.lower()
    assert "<script" not in low
    assert "<img" not in low
    assert not re.search(r"<[a-z]+[^>]*\son\w+\s*=", low), "an event-handler attribute survived"
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", low)
    assert not re.search(r"""src\s*=\s*["']?\s*http://evil""", low)
    for href in re.findall(r"""href\s*=\s*["']([^"']*)["']""", low):
        # in-page anchors, and share links whose query is URL-encoded (no quote, no angle bracket)
        assert href.startswith("#") or re.fullmatch(r"\?q=[a-z0-9%._~-]*", href), f"unexpected link {href!r}"
