"""Scale-out: the same engine against a real Chroma server (`chroma run`), BM25 kept beside it.

.ci/run starts a server and sets RAG_CHROMA_URL_TEST (RAG_CHROMA_URL works too); without either, this
module starts its own.
"""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from rag import Assistant
from rag.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, seconds: float = 60) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return True
        except OSError:
            time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    url = os.environ.get("RAG_CHROMA_URL_TEST") or os.environ.get("RAG_CHROMA_URL")
    if url:
        assert wait_up(url), f"RAG_CHROMA_URL={url} does not answer"
        yield url
        return
    exe = shutil.which("chroma") or str(Path(os.sys.executable).parent / "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_up(url), "chroma server did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def server_client(url: str):
    import chromadb
    from chromadb.config import Settings as CS

    host, port = url.rsplit(":", 1)
    return chromadb.HttpClient(
        host=host.split("//")[1], port=int(port), settings=CS(anonymized_telemetry=False)
    )


def server_collections(url: str, collection: str) -> dict[str, int]:
    """This index's collections on the server (any generation) and their vector counts."""
    client = server_client(url)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    return {n: client.get_collection(n).count() for n in names if n.startswith(f"{collection}-")}


def server_count(url: str, collection: str) -> int:
    return sum(server_collections(url, collection).values())


def test_engine_on_a_chroma_server(chroma_url, small_corpus, tmp_path, embeddings):
    collection = f"ci-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        home=tmp_path / "home",
        corpus_dir=small_corpus,
        chroma_url=chroma_url,
        collection=collection,
        encoder="st",
    )
    a = Assistant(settings, embeddings=embeddings)
    assert server_count(chroma_url, collection) == a.index.count() > 30
    assert not (tmp_path / "home" / "chroma").exists()  # nothing embedded locally
    ans = a.ask("How many trucks did the United States deliver?")
    assert any("427,284" in p.text for p in ans.literature)

    doc = tmp_path / "extra.txt"
    doc.write_text("Convoys to Murmansk carried Lend-Lease aircraft.", encoding="utf-8")
    a.add([doc], flags={"title": "Extra", "author": "X", "year": "2000", "publisher": "Y"})
    assert server_count(chroma_url, collection) == a.index.count()
    calls = embeddings.calls
    b = Assistant(settings, embeddings=embeddings)  # BM25 and passages persisted beside the server
    assert b.ensure_index() is None and embeddings.calls == calls
    assert b.ask("Where did convoys carry aircraft?").literature[0].source == "user:extra"
    assert b.remove("extra")
    assert server_count(chroma_url, collection) == b.index.count()


def test_a_rebuild_on_a_server_has_no_gap_and_drops_the_old_collections(
    chroma_url, small_corpus, tmp_path, embeddings
):
    """Issue 15 item 4 against the server: a reader asking while `rag index --rebuild` runs in
    another process never sees 0 passages; afterwards only the new generation is left."""
    import subprocess
    import sys

    collection = f"ci-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        home=tmp_path / "home",
        corpus_dir=small_corpus,
        chroma_url=chroma_url,
        collection=collection,
        encoder="st",
    )
    reader = Assistant(settings, embeddings=embeddings)
    n = reader.index.count()
    before = dict(reader.index.names)
    env = dict(
        os.environ,
        RAG_HOME=str(settings.home),
        RAG_CORPUS_DIR=str(small_corpus),
        RAG_CHROMA_URL=chroma_url,
        RAG_COLLECTION=collection,
        RAG_ENCODER="st",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "index", "--rebuild"],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    while proc.poll() is None:
        ans = reader.ask("How many trucks did the United States deliver?")
        seen.append((reader.index.count(), ans.abstained))
        time.sleep(0.02)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    ans = reader.ask("How many trucks did the United States deliver?")
    seen.append((reader.index.count(), ans.abstained))
    assert [s for s in seen if s != (n, False)] == [], seen
    after = reader.index.names
    assert after != before  # the reader follows the switch to the new generation
    assert server_collections(chroma_url, collection) == {
        after["essay"]: reader.index.count("essay"),
        after["literature"]: reader.index.count("literature"),
    }
