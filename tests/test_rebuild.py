"""Rebuilds without a gap (issue 15 item 4, issue 12 item 1): `rag index --rebuild` builds new
Chroma collections and switches the manifest to them in one commit, so a reader in another
process never sees an empty index, and a kill -9 during the rebuild leaves the previous index.

Both tests use the bundled corpus (261 passages) so the rebuild lasts long enough to be watched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from rag import Assistant
from rag.settings import Settings

from .conftest import CORPUS, REPO

pytestmark = pytest.mark.slow
Q = "How many trucks did the US send?"  # in scope: the literature has the Lend-Lease figures


def env_for(home):
    return dict(os.environ, RAG_HOME=str(home), RAG_CORPUS_DIR=str(CORPUS), RAG_ENCODER="st")


def rebuild(home) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "index", "--rebuild"],
        env=env_for(home),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def committed_state(home) -> dict:
    """The committed index as a new process sees it (tests/crash_check.py)."""
    p = subprocess.run(
        [sys.executable, "-m", "tests.crash_check", Q],
        env=env_for(home),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def writer_holds_lock(home, pid: int) -> bool:
    try:
        return (home / ".lock").read_text().strip() == str(pid)
    except OSError:
        return False


@pytest.fixture
def home(assistant, tmp_path):
    """A copy of the session's indexed home (the bundled corpus), for this test alone."""
    dest = tmp_path / "home"
    shutil.copytree(assistant.settings.home, dest, ignore=shutil.ignore_patterns(".lock"))
    return dest


def test_a_reader_never_sees_an_empty_index_during_a_rebuild(home, embeddings):
    reader = Assistant(Settings(home=home, corpus_dir=CORPUS, encoder="st"), embeddings=embeddings)
    n = reader.index.count()
    assert n > 200 and not reader.ask(Q).abstained
    before = json.loads((home / "manifest.json").read_text())
    proc = rebuild(home)
    seen = []  # (passages the reader had, whether it abstained), one per question asked
    while proc.poll() is None:
        ans = reader.ask(Q)
        seen.append((reader.index.count(), ans.abstained))
        time.sleep(0.02)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    ans = reader.ask(Q)  # after the commit: the reader follows it
    seen.append((reader.index.count(), ans.abstained))
    after = json.loads((home / "manifest.json").read_text())
    assert after != before and after["count"] == n  # a rebuild was committed while the reader asked
    gaps = [s for s in seen if s != (n, False)]
    assert len(seen) >= 10 and not gaps, f"{len(gaps)} of {len(seen)} answers saw a gap: {gaps[:5]}"


DELAYS = [0.0, 0.5, 1.5, 3.0, 6.0]  # seconds after the rebuilding process took the writer lock


def test_kill_minus_nine_during_a_rebuild_keeps_the_previous_index(home, embeddings):
    n = Assistant(Settings(home=home, corpus_dir=CORPUS, encoder="st"), embeddings=embeddings).index.count()
    outcomes = []
    for delay in DELAYS:
        proc = rebuild(home)
        start = time.monotonic()
        while proc.poll() is None and not writer_holds_lock(home, proc.pid):
            assert time.monotonic() - start < 300, "the rebuild never took the writer lock"
            time.sleep(0.01)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        outcomes.append((delay, "finished" if finished else "killed"))
        state = committed_state(home)
        assert state["count"] == state["store_lines"] == state["passages"] == n, (outcomes, state)
        assert state["missing_vectors"] == 0 and state["answered"], (outcomes, state)
    assert sum(1 for _, s in outcomes if s == "killed") >= 3, outcomes
    done = rebuild(home)
    _, err = done.communicate(timeout=600)
    assert done.returncode == 0, err[-2000:]
    state = committed_state(home)
    assert state["count"] == state["passages"] == n and state["missing_vectors"] == 0 and state["answered"]
    assert len(state["collections"]) == 2, state["collections"]  # orphaned generations were dropped
    print("kill points:", outcomes)
