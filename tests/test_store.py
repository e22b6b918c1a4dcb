"""The store's typed parts: the manifest, the one atomic write, the library rows, the encoder seam
(a validating factory, a plain LangChain ``Embeddings``, a bare ``Encoder`` the index drives
without touching private counters)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from rag import Assistant
from rag.atomic import atomic_path, atomic_write
from rag.embeddings import get_embeddings, get_encoder
from rag.encoders import Encoder, LangChainEncoder, as_encoder
from rag.index import Index
from rag.library import DocumentRow
from rag.manifest import MANIFEST, DocEntry, Manifest, ManifestError, read_manifest, write_manifest
from rag.settings import Settings, SettingsError

Q = "How many trucks did the United States deliver?"


def test_manifest_round_trip_and_the_json_contract(tmp_path):
    entry = DocEntry("user:x", "X", "document", "literature", 2, "x-abc.json", "x.txt")
    man = Manifest(
        model="m",
        fingerprint="f",
        store="passages-1.jsonl",
        count=3,
        sides={"essay": 1, "literature": 2},
        documents=(entry,),
        collections={"essay": "c-0a1b2c3d-essay", "literature": "c-0a1b2c3d-literature"},
    )
    assert Manifest.from_dict(json.loads(json.dumps(man.to_dict()))) == man
    write_manifest(tmp_path, man)
    raw = json.loads((tmp_path / MANIFEST).read_text())
    assert raw["store"] == "passages-1.jsonl" and raw["documents"][0]["file"] == "x-abc.json"
    assert read_manifest(tmp_path).manifest == man and man.committed and not Manifest().committed
    assert man.get("store") == "passages-1.jsonl"  # read access for callers of the old dict
    legacy = {k: v for k, v in raw.items() if k != "collections"}  # an index laid out before generations
    assert Manifest.from_dict(legacy).collections == {}


@pytest.mark.parametrize("bad", ["", "null", "[]", '{"store": 3, "count": 1}', '{"store": "s"}', '{"co'])
def test_a_damaged_manifest_is_reported_not_raised(tmp_path, bad):
    (tmp_path / MANIFEST).write_text(bad)
    read = read_manifest(tmp_path)
    assert not read.manifest.committed and read.damage and MANIFEST in read.damage[0]
    with pytest.raises(ManifestError):
        Manifest.from_dict(json.loads(bad) if bad.endswith(("]", "}", "l")) else None)


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    atomic_write(target, b"new")
    assert target.read_text() == "new"


def test_document_rows_are_typed_and_the_shells_get_dicts(small_corpus, tmp_path, embeddings):
    a = Assistant(
        Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st"), embeddings=embeddings
    )
    doc = tmp_path / "note.txt"
    doc.write_text("The Stalingrad Tractor Plant opened in 1930.", encoding="utf-8")
    a.add([doc], flags={"title": "Note", "author": "A", "year": "2001", "publisher": "P"})
    rows = a.library.rows()
    assert all(isinstance(r, DocumentRow) for r in rows)
    user = [r for r in rows if r.origin == "user"]
    assert user == [DocumentRow("user:note", "Note", "document", "literature", 1, "user", "note.txt")]
    dicts = a.documents()
    assert dicts[-1] == {
        "id": "user:note",
        "title": "Note",
        "kind": "document",
        "side": "literature",
        "passages": 1,
        "origin": "user",
        "file": "note.txt",
    }
    assert "file" not in dicts[0] and dicts[0]["origin"] == "bundled"
    assert a.remove("note") and not [r for r in a.library.rows() if r.origin == "user"]


def test_an_unknown_encoder_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(SettingsError, match=r"RAG_ENCODER='bogus': must be one of auto, onnx"):
        get_embeddings(Settings(home=tmp_path, encoder="bogus"))
    with pytest.raises(SettingsError):
        Assistant(Settings(home=tmp_path, encoder="minilm"))
    assert get_embeddings(Settings(home=tmp_path, encoder="st")).backend == "sentence-transformers"
    multi = get_encoder("multilingual")
    assert isinstance(multi, Encoder) and multi.dim == 512


class PlainLangChain(Embeddings):
    """What a LangChain user has: embed_documents / embed_query, nothing else (unnormalised)."""

    def __init__(self, model):
        self.model = model
        self.texts = 0

    def embed_documents(self, texts):
        self.texts += len(texts)
        return (3.0 * self.model.encode(texts)).tolist()

    def embed_query(self, text):
        return (3.0 * self.model.encode([text])[0]).tolist()


def test_a_plain_langchain_embeddings_works(small_corpus, tmp_path, embeddings):
    plain = PlainLangChain(embeddings.model)
    a = Assistant(Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st"), embeddings=plain)
    assert isinstance(a.embeddings, LangChainEncoder) and a.embeddings.dim == 384
    assert plain.texts >= a.index.count()  # the index embedded through it
    assert a.index.manifest.model == "langchain:PlainLangChain"
    ans = a.ask(Q)
    assert any("427,284" in p.text for p in ans.literature)
    assert abs(np.linalg.norm(a.embeddings.embed_query("trucks")) - 1) < 1e-5  # normalised for cosine


class Bare:
    """A bare ``Encoder``: name, dim, encode. No LangChain face, no counters, no progress attribute."""

    name = "bare-minilm"
    dim = 384

    def __init__(self, st):
        self.st = st

    def encode(self, texts, progress=None):
        out = self.st.encode(list(texts))
        if progress:
            progress(len(texts), len(texts))
        return out


def test_the_index_drives_a_bare_encoder_through_the_protocol(small_corpus, tmp_path, embeddings):
    from rag.corpus import load_corpus

    bare = Bare(embeddings)
    assert isinstance(bare, Encoder) and not hasattr(bare, "calls")
    passages = load_corpus(small_corpus).passages
    seen = []
    idx = Index(Settings(home=tmp_path / "home", encoder="st"), bare)
    stats = idx.sync(passages, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert stats.embedded == len(passages) == idx.count() and seen[-1] == (
        "embedding",
        len(passages),
        len(passages),
    )
    assert not hasattr(bare, "calls") and not hasattr(bare, "progress")  # nothing private was read or set
    assert idx.manifest.model == "bare-minilm"
    assert as_encoder(bare).embed_query("x") == pytest.approx(embeddings.embed_query("x"), abs=1e-5)
    assert idx.sync(passages).embedded == 0  # and a re-run embeds nothing


def test_library_listing_survives_a_stored_file_lost(small_corpus, tmp_path, embeddings):
    a = Assistant(
        Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st"), embeddings=embeddings
    )
    doc = tmp_path / "gone.txt"
    doc.write_text("A note about convoys.", encoding="utf-8")
    a.add([doc], flags={"title": "Gone", "author": "A", "year": "2001", "publisher": "P"})
    for f in Path(a.documents_dir).glob("gone-*.json"):
        f.unlink()
    assert a.user_documents() == []  # dropped with a warning, never a crash
