"""Two writers at once on one RAG_HOME (issue 15, failure 1): every document must land.

Real `rag add` / `rag remove` subprocesses, started together; each round checks the committed
manifest from disk and that every stored document file it names exists.
"""

import pytest

from rag import Assistant
from rag.settings import Settings

from .concurrency import FLAGS, committed, concurrent_adds, env_for, run_pair, write_doc

pytestmark = pytest.mark.slow


@pytest.fixture
def home(small_corpus, tmp_path, embeddings):
    settings = Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st")
    Assistant(settings, embeddings=embeddings)  # an index exists before the writers start
    return settings.home


def test_two_concurrent_adds_keep_both_documents(home, small_corpus, tmp_path):
    rows = concurrent_adds(home, small_corpus, tmp_path, reps=3)
    for row in rows:
        assert row["rcs"] == [0, 0], row["errors"]
        assert not row["missing"] and not row["files_missing"], row


def test_add_while_remove(home, small_corpus, tmp_path):
    env = env_for(home, small_corpus)
    a, b, c = (
        write_doc(tmp_path, n, t) for n, t in (("keep", "ships"), ("gone", "tanks"), ("late", "jeeps"))
    )
    rcs = run_pair(env, ["add", str(a), str(b), "--title", "First", *FLAGS])
    assert rcs[0][0] == 0, rcs
    rcs = run_pair(env, ["add", str(c), "--title", "Late", *FLAGS], ["remove", "gone"])
    assert [rc for rc, _ in rcs] == [0, 0], rcs
    state = committed(home)
    assert set(state["documents"]) == {"user:keep", "user:late"} and all(state["documents"].values()), state
    files = sorted(p.name for p in (home / "documents").glob("*.json"))
    assert len(files) == 2 and not any(f.startswith("gone-") for f in files), files
    # the index is usable afterwards: a third writer neither crashes nor loses anything
    rcs = run_pair(env, ["remove", "late"])
    assert rcs[0][0] == 0, rcs
    assert set(committed(home)["documents"]) == {"user:keep"}


def test_cli_add_beside_an_in_process_upload(home, small_corpus, tmp_path, embeddings):
    """The web app's upload path (Assistant.add in a long-lived process) beside a CLI add."""
    import threading

    from .concurrency import rag_proc

    web = Assistant(Settings(home=home, corpus_dir=small_corpus, encoder="st"), embeddings=embeddings)
    cli_file, web_file = write_doc(tmp_path, "fromcli", "convoys"), write_doc(tmp_path, "fromweb", "tanks")
    proc = rag_proc(env_for(home, small_corpus), "add", str(cli_file), "--title", "CLI", *FLAGS)
    result = {}
    t = threading.Thread(
        target=lambda: result.setdefault(
            "r",
            web.add(
                [web_file],
                flags={"title": "Web", "author": "A. Historian", "year": "2001", "publisher": "Test Press"},
            ),
        )
    )
    t.start()
    _, err = proc.communicate(timeout=600)
    t.join(600)
    assert proc.returncode == 0, err[-2000:]
    assert result["r"].added == ["user:fromweb"]
    state = committed(home)
    assert {"user:fromcli", "user:fromweb"} <= set(state["documents"]) and all(state["documents"].values()), (
        state
    )
    web.ask("What does the note on tanks say?")  # the long-lived process picks up the CLI's commit
    assert {r["id"] for r in web.documents() if r["origin"] == "user"} == {"user:fromcli", "user:fromweb"}
