"""Self-healing index (issue 15, failure 4): a damaged manifest or passage store is detected on
open and rebuilt from the bundled corpus plus the stored user documents; `rag index --check`
reports the state. Each case damages a committed index with one user document in it."""

import json
import os
import subprocess
import sys

import pytest

from rag import Assistant
from rag.index import MANIFEST, PREV_MANIFEST
from rag.settings import Settings

from .conftest import REPO

META = {"title": "Test Book", "author": "A. Historian", "year": "2001", "publisher": "Test Press"}
Q = "When did the Stalingrad Tractor Plant open?"


def make(small_corpus, home, embeddings):
    return Assistant(Settings(home=home, corpus_dir=small_corpus, encoder="st"), embeddings=embeddings)


@pytest.fixture
def indexed(small_corpus, tmp_path, embeddings):
    home = tmp_path / "home"
    a = make(small_corpus, home, embeddings)
    doc = tmp_path / "tractor.txt"
    doc.write_text(
        "The Stalingrad Tractor Plant opened in 1930 and was designed by Albert Kahn.", encoding="utf-8"
    )
    assert a.add([doc], flags=META).added == ["user:tractor"]
    return a


def store_of(home):
    return home / json.loads((home / MANIFEST).read_text())["store"]


DAMAGE = {
    "empty manifest": lambda h: (h / MANIFEST).write_text(""),
    "truncated manifest": lambda h: (h / MANIFEST).write_text((h / MANIFEST).read_text()[:40]),
    "null manifest": lambda h: (h / MANIFEST).write_text("null"),
    "list manifest": lambda h: (h / MANIFEST).write_text("[]"),
    "deleted manifest": lambda h: (h / MANIFEST).unlink(),
    "truncated store": lambda h: store_of(h).write_text(store_of(h).read_text()[:-150]),
    "store cut at a line": lambda h: store_of(h).write_text(
        "".join(store_of(h).read_text().splitlines(True)[:-3])
    ),
    "deleted store": lambda h: store_of(h).unlink(),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damage_is_repaired_on_open(indexed, small_corpus, embeddings, case, caplog):
    home = indexed.settings.home
    count = indexed.index.count()
    DAMAGE[case](home)
    with caplog.at_level("WARNING"):
        b = make(small_corpus, home, embeddings)  # a new process opening the damaged index
    assert b.index.count() == count
    assert [e.id for e in b.index.manifest.documents] == ["user:tractor"]
    assert any(p.source == "user:tractor" for p in b.ask(Q).literature)
    assert "repaired" in caplog.text
    assert make(small_corpus, home, embeddings).ensure_index() is None  # and it stays repaired


def test_previous_manifest_is_kept(indexed, tmp_path):
    home = indexed.settings.home
    prev = json.loads((home / PREV_MANIFEST).read_text())
    assert prev["count"] < indexed.index.count() and not prev.get("documents")  # the state before the add


def cli(home, corpus, *args):
    env = dict(os.environ, RAG_HOME=str(home), RAG_CORPUS_DIR=str(corpus), RAG_ENCODER="st")
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_index_check_reports_and_index_repairs(indexed, small_corpus):
    home = indexed.settings.home
    ok = cli(home, small_corpus, "index", "--check")
    assert ok.returncode == 0 and "index is healthy" in ok.stdout, ok.stdout + ok.stderr
    (home / MANIFEST).write_text("null")
    bad = cli(home, small_corpus, "index", "--check")
    assert bad.returncode == 1 and "manifest.json" in bad.stdout and "Traceback" not in bad.stderr, (
        bad.stdout + bad.stderr
    )
    fixed = cli(home, small_corpus, "index")
    assert fixed.returncode == 0 and "repaired" in fixed.stdout + fixed.stderr, fixed.stdout + fixed.stderr
    assert cli(home, small_corpus, "index", "--check").returncode == 0


def test_deleted_vector_database_is_reported_and_re_embedded(indexed, small_corpus):
    import shutil

    home = indexed.settings.home
    shutil.rmtree(home / "chroma")
    bad = cli(home, small_corpus, "index", "--check")
    assert bad.returncode == 1 and "Chroma database has 0" in bad.stdout, bad.stdout + bad.stderr
    fixed = cli(home, small_corpus, "index")
    assert fixed.returncode == 0 and "vectors missing" in fixed.stdout, fixed.stdout + fixed.stderr
    ok = cli(home, small_corpus, "index", "--check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ans = cli(home, small_corpus, "ask", Q, "--json")
    assert ans.returncode == 0 and '"abstained": false' in ans.stdout, ans.stdout[-1000:] + ans.stderr[-1000:]


@pytest.mark.parametrize("prefix", ["claims", "sentences"])
def test_truncated_vector_cache_is_recomputed(indexed, small_corpus, embeddings, prefix):
    home = indexed.settings.home
    (cache,) = home.glob(f"{prefix}-*.npz")
    cache.write_bytes(cache.read_bytes()[:20])
    b = make(small_corpus, home, embeddings)
    if prefix == "claims":
        ids, mat = b.claim_vectors()
        assert mat.shape[0] == len(ids) and len(ids) == len(b.corpus.claims)
    else:
        bank = b.vectors.sentences(list(b.index.passages.values()))
        assert bank.vectors
    assert len(cache.read_bytes()) > 20


def test_temp_files_left_by_a_kill_are_collected(indexed, tmp_path):
    home = indexed.settings.home
    stale = [home / ".manifest.json.abc.tmp", home / "documents" / ".x-1.json.def.tmp"]
    for f in stale:
        f.write_text("partial")
    doc = tmp_path / "more.txt"
    doc.write_text("Another note about Magnitogorsk.", encoding="utf-8")
    assert indexed.add([doc], flags=META).added == ["user:more"]
    assert not any(f.exists() for f in stale)
