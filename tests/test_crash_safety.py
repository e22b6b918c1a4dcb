"""kill -9 a real `rag add` at different moments, repeatedly; the index must stay consistent.

Consistent means: the committed manifest matches its passage store, every stored passage has a
vector, the user documents in force are either the old set or the complete new batch, and
questions are answered with verified quotes.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from rag import Assistant
from rag.settings import Settings

from .conftest import REPO, SHARED

MILESTONES = SHARED / "reference-sources" / "milestones"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MILESTONES.is_dir(), reason="../shared/reference-sources not present"),
]
DELAYS = [None, 0.0, 0.3, 0.8, 1.5, 3.0]  # None: kill before parsing ends (during start-up)


def check_consistent(env, allowed_doc_sets):
    """Inspect the index from a new process, as a user's next command would."""
    p = subprocess.run(
        [sys.executable, "-m", "tests.crash_check"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    state = json.loads(p.stdout)
    assert state["count"] == state["store_lines"] == state["passages"], state
    assert state["missing_vectors"] == 0, state
    assert set(state["documents"]) in allowed_doc_sets, state["documents"]
    assert state["files_ok"] and state["answered"], state
    return len(state["documents"])


def test_kill_minus_nine_during_add(small_corpus, tmp_path, embeddings):
    settings = Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st")
    Assistant(settings, embeddings=embeddings)  # the previous, committed index
    files = sorted(str(p) for p in MILESTONES.glob("*.md"))
    new_set = {f"user:{os.path.basename(f)[:-3]}" for f in files}
    env = dict(os.environ, RAG_HOME=str(settings.home), RAG_CORPUS_DIR=str(small_corpus), RAG_ENCODER="st")
    cmd = [
        sys.executable,
        "-m",
        "rag.cli",
        "add",
        *files,
        "--author",
        "Office of the Historian",
        "--year",
        "n.d.",
    ]
    docs_dir = settings.home / "documents"
    killed_at = []
    for delay in DELAYS:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.monotonic()
        if delay is None:
            time.sleep(1.0)
        else:  # wait until staging has begun (parsed documents written), then a little more
            while proc.poll() is None and time.monotonic() - start < 120:
                if docs_dir.exists() and any(docs_dir.glob("*.json")):
                    break
                time.sleep(0.02)
            time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        killed_at.append((delay, "finished" if finished else "killed"))
        n = check_consistent(env, [set(), new_set])
        if n:  # the batch committed before the kill: go back to the previous state
            undo = subprocess.run(
                [sys.executable, "-m", "rag.cli", "remove", *sorted(new_set)],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert undo.returncode == 0, undo.stderr
    assert sum(1 for _, s in killed_at if s == "killed") >= 3, killed_at
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert check_consistent(env, [new_set]) == len(files)
    print("kill points:", killed_at)
