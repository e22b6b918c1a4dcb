"""Shared fixtures: the real model, the real Chroma, the bundled corpus indexed once per session."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

for k, v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(k, v)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"
ESSAY_FILE = CORPUS / "essay" / "poison-partners.txt"

# The launched web app and the hostile-digest assistant: session fixtures for the web, browser and load tests.
from .live import injection_assistant, live_app  # noqa: E402, F401


@pytest.fixture(scope="session", autouse=True)
def bundled_vocabulary():
    """Unit tests of the tokenizer and figures read the bundled corpus's words (corpus/corpus.yaml),
    as the engine does once the corpus is loaded."""
    from rag.corpus import learn_vocabulary, load_info

    learn_vocabulary(load_info(CORPUS))


@pytest.fixture(scope="session")
def embeddings():
    """One real sentence-transformers model for the whole session (loading it costs seconds)."""
    from rag.embeddings import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings(batch_size=32)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, embeddings):
    """The bundled corpus, indexed once into a session temp home."""
    from rag import Assistant
    from rag.settings import Settings

    home = tmp_path_factory.mktemp("home")
    return Assistant(Settings(home=home, corpus_dir=CORPUS, encoder="st"), embeddings=embeddings)


@pytest.fixture(scope="session")
def corpus():
    from rag.corpus import load_corpus

    return load_corpus(CORPUS)


def write_digest(
    folder: Path, doc_id: str, sections: list[tuple[str, str, str]], title: str | None = None
) -> Path:
    """A digest file in corpus/FORMAT.md form: sections are (heading, text, sources line)."""
    body = "\n\n".join(f"## {h}\n\n{t}\n\nSources: {s}" for h, t, s in sections)
    text = (
        textwrap.dedent(f"""\
        ---
        id: {doc_id}
        title: "{title or doc_id}"
        kind: digest
        topics: [test]
        works: [deane1947]
        ---

        *This digest is a summary, written for the Counterpoint project, of the works listed below.*

        """)
        + body
        + "\n"
    )
    path = folder / f"{doc_id}.md"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small_corpus(tmp_path):
    """A tiny corpus: the real essay and bibliography, two digests, no claims."""
    root = tmp_path / "corpus"
    (root / "essay").mkdir(parents=True)
    (root / "references").mkdir()
    (root / "sources").mkdir()
    shutil.copy(ESSAY_FILE, root / "essay" / "poison-partners.txt")
    shutil.copy(CORPUS / "bibliography.yaml", root / "bibliography.yaml")
    (root / "claims.yaml").write_text("[]\n", encoding="utf-8")
    write_digest(
        root / "references",
        "trucks",
        [
            (
                "Trucks",
                "U.S. records show 427,284 trucks delivered to the Soviet Union by 31 May 1945.",
                "[@deane1947]",
            ),
            (
                "Ships",
                "From 1941 to 1945, 2,660 ships carried Lend-Lease cargo to the Soviet Union.",
                "[@deane1947]",
            ),
        ],
    )
    write_digest(
        root / "references",
        "plans",
        [
            (
                "Plan dates",
                "The second Five-Year Plan ran from 1933 to 1937; the first from 1928 to 1932.",
                "[@deane1947]",
            ),
        ],
    )
    return root
