"""The pure HTML renderers (rag/webhtml.py, rag/webpages.py) on a second, tiny corpus.

No index and no gradio: the corpus is parsed and rendered, and every corpus-specific word the UI
shows (title, author, paragraph range, footnote count, the profiles of the essay) must come
from that corpus, not from the bundled one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .live import REPO, assert_inert

ESSAY = """\
The Bridge at Narrow Water

Published: 2001-05-01

When the town built its bridge in 1890, five hundred workers laboured on it for a year.[1]

The Old Ferries

Before the bridge, three ferries carried every cart across the river.[2] The ferrymen opposed the bridge.[3]

[1] Smith, John, Bridges of the North, London: River Press, 1990, p. 4.

[2] Ibid., p. 7.

[3] Brown, Ann, Ferries and Their Men, Leeds: Dale, 1985, pp. 10-12.

Author(s): Jane Roe
"""

BIBLIOGRAPHY = """\
smith1990:
  author: "John Smith"
  title: "Bridges of the North"
  publisher: "River Press"
  year: 1990
brown1985:
  author: "Ann Brown"
  title: "Ferries and Their Men"
  publisher: "Dale"
  year: 1985
roe2001:
  type: "article"
  author: "Jane Roe"
  title: "The Bridge at Narrow Water"
  year: 2001
"""

CLAIMS = """\
- id: B1
  section: "Introduction"
  paragraph: 2
  footnotes: [1]
  quote: "five hundred workers laboured on it for a year"
  verdict: contradicted
  rationale: "The town records list about two hundred workers over eighteen months."
  digests: [bridge-digest]
  works: [smith1990]
- id: B2
  section: "The Old Ferries"
  paragraph: 4
  footnotes: [2]
  quote: "three ferries carried every cart across the river"
  verdict: consistent
  rationale: "Three licensed ferries are recorded."
  digests: [ferry-digest]
  works: [brown1985]
"""


def _doc(folder: Path, doc_id: str, kind: str, title: str, heading: str, text: str, extra: str = "") -> None:
    (folder / f"{doc_id}.md").write_text(
        textwrap.dedent(f"""\
        ---
        id: {doc_id}
        title: "{title}"
        kind: {kind}
        topics: [bridge]
        works: [smith1990]
        {extra}
        ---

        *This {kind} is a summary, written for the Counterpoint project, of the works listed below.*

        ## {heading}

        {text}

        Sources: [@smith1990, p. 4]
        """),
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    from rag.corpus import load_corpus

    root = tmp_path_factory.mktemp("bridge") / "corpus"
    for sub in ("essay", "references", "sources"):
        (root / sub).mkdir(parents=True)
    (root / "essay" / "bridge.txt").write_text(ESSAY, encoding="utf-8")
    (root / "bibliography.yaml").write_text(BIBLIOGRAPHY, encoding="utf-8")
    (root / "claims.yaml").write_text(CLAIMS, encoding="utf-8")
    _doc(
        root / "references",
        "bridge-digest",
        "digest",
        "The bridge",
        "Building it",
        "About 200 workers built it.",
    )
    _doc(
        root / "references",
        "ferry-digest",
        "digest",
        "The ferries",
        "Ferries",
        "Three ferries were licensed.",
    )
    _doc(
        root / "sources",
        "essay-bridge",
        "profile",
        "Profile: the essay",
        "What it is",
        "An essay.",
        "subject: roe2001",
    )
    _doc(
        root / "sources",
        "jane-roe",
        "profile",
        "Profile: Jane Roe",
        "Who she is",
        "A writer.",
        "subject: author",
    )
    return load_corpus(root)


def test_a_second_corpus_renders_with_its_own_facts(bridge):
    from rag.webpages import about_html, corpus_view, header_html, provenance_html, render_sources

    view = corpus_view(bridge, ["How many workers built the bridge?"])
    assert (view.title, view.author, view.year) == ("The Bridge at Narrow Water", "Jane Roe", "2001")
    assert view.essay_profiles == ("essay-bridge", "jane-roe") and view.outlet_profile == ""
    essay = next(iter(bridge.essays.values()))
    last = max(p.number for p in essay.paragraphs)
    pages = [header_html(view), about_html(view), render_sources(bridge, view)]
    for out in pages:
        assert "Poison Partners" not in out and "CODOH" not in out and "¶43" not in out
        assert_inert(out)
    assert "“The Bridge at Narrow Water” (Jane Roe, 2001)" in pages[0]
    assert (
        f"¶0–¶{last}" in pages[1]
        and "with its 3 footnotes resolved" in pages[1]
        and "2 reviewed claims" in pages[1]
    )
    assert pages[2].index('id="src-essay-bridge"') < pages[2].index('id="src-jane-roe"')
    assert provenance_html(bridge, view) == ""  # no outlet profile: no outlet box


def test_the_essay_reader_marks_claims_and_resolves_notes(bridge):
    from rag.webpages import render_essay_reader

    essay = next(iter(bridge.essays.values()))
    out = render_essay_reader(essay, bridge.claims, bridge.bibliography)
    assert out.count('id="cp-par-') == len(essay.paragraphs)
    b1 = out[out.index('data-claim="B1"') :]
    assert "B1 contradicted" in b1[:600] and "cp-shape-square" in b1[:600]  # text, icon and shape
    assert "five hundred workers laboured on it for a year</a>" in b1
    assert 'data-claim="B2"' in out and "B2 consistent" in out
    assert 'href="#cp-note-2"' in out
    note2 = out[out.index('id="cp-note-2"') :]
    assert "Ibid., via note [1]" in note2[:600] and "Bridges of the North" in note2[:600]
    assert "The essay's notes (3)" in out and "**" not in out
    assert_inert(out)


def test_claim_review_and_printable_page(bridge):
    from rag.webhtml import render_claim_card, render_claim_review
    from rag.webpages import printable_page

    c = bridge.claims[0]
    card = render_claim_card(c)
    assert (
        "reviewed claim B1" in card
        and "Contradicted by the literature" in card
        and "Bridges of the North" in card
    )
    assert render_claim_review(c, None).startswith('<div class="cp cp-claim-view">')
    page = printable_page("Claims <x>", f"<details><summary>s</summary>{card}</details>", "body{}")
    assert page.startswith("<!doctype html>") and "<details open>" in page and "Claims &lt;x&gt;" in page


def test_upload_rules_and_web_errors():
    from rag.ingest import REQUIRED, SUPPORTED
    from rag.webpages import upload_rules_html, web_reason

    rules = upload_rules_html(SUPPORTED, 12.5, REQUIRED)
    assert ".pdf" in rules and ".txt" in rules and "12.5 MB" in rules
    assert "literature: title, author, year, publisher" in rules and "essay: title, author, year" in rules
    msg = web_reason(
        "missing citation data: author, publisher (give them as --author --publisher, in a sidecar YAML, or in front matter)"
    )
    assert "--" not in msg and "author, publisher" in msg and "Fill in these fields" in msg
    assert web_reason("the file is empty") == "the file is empty"


def test_renderers_import_no_gradio_and_webapp_sets_no_environment():
    code = (
        "import sys, os, rag; import rag.webhtml, rag.webpages; print('gradio' in sys.modules);"
        "before = dict(os.environ); import rag.webapp;"
        "print(sorted(k for k in os.environ if os.environ.get(k) != before.get(k) and not k.startswith('GRADIO')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=180)
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "False", out.stderr
    assert lines[1] == "[]", out.stderr  # importing the web app changes no environment variable


def test_documents_list_has_a_remove_button_per_row():
    from rag.webpages import render_documents

    rows = [
        {"id": "essay:x", "title": "Bundled", "side": "essay", "passages": 3, "origin": "bundled"},
        {
            "id": "user:a",
            "title": "A <b>",
            "side": "literature",
            "passages": 2,
            "origin": "user",
            "file": "a.txt",
        },
        {"id": "user:b", "title": "B", "side": "essay", "passages": 1, "origin": "user"},
    ]
    out = render_documents(rows)
    assert "Your documents (2)" in out and "Bundled" not in out and "A &lt;b&gt;" in out
    assert 'data-remove="user:a"' in out and 'data-remove="user:b"' in out
    assert "user:a · a.txt · literature side · 2 passages" in out
    assert "No documents added yet." in render_documents(rows[:1])
    assert_inert(out)
