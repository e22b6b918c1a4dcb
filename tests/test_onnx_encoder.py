"""The lean ONNX encoder: parity with sentence-transformers, factory fallback, no torch on the
query path, and an export that is atomic and idempotent. Uses the real packaged model; the
export runs once per module (about 10 s)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)

pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")

from rag import onnx_encoder as oe  # noqa: E402
from rag.embeddings import DIM, MODEL_NAME, SentenceTransformerEmbeddings, get_embeddings  # noqa: E402
from rag.settings import Settings  # noqa: E402

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers")

LONG = " ".join(
    [
        "The",
        "Lend-Lease",
        "Act",
        "of",
        "March",
        "1941",
        "allowed",
        "the",
        "United",
        "States",
        "to",
        "supply",
        "the",
        "Allies",
        "with",
        "war",
        "materiel;",
        "by",
        "1945",
        "deliveries",
        "to",
        "the",
        "Soviet",
        "Union",
        "included",
        "trucks,",
        "locomotives,",
        "aviation",
        "fuel",
        "and",
        "canned",
        "meat,",
        "whose",
        "importance",
        "historians",
        "still",
        "weigh",
        "against",
        "Soviet",
        "production.",
    ]
    * 8
)
SENTENCES = [
    "hello",
    "Why?",
    "What did the essay claim about Lend-Lease?",
    "How many Soviet tanks were lost in 1941?",
    "Was the famine of 1932–33 a deliberate policy?",
    "Roosevelt's 1941 statement on religious freedom in the USSR",
    "The five-year plans raised steel output from 4.3 to 18.1 million tonnes (1928-1940).",
    "In 1944, 11,000 aircraft and 400,000 jeeps and trucks had been shipped; ≈ 17.5 million tons overall.",
    "Phone +1 (555) 010-2030, ISBN 978-0-19-280436-4, 3.14159, 1e-9, 0x1F",
    "Straße, café, naïve, façade, coöperate, jalapeño",
    "Советский Союз распался в декабре 1991 года.",
    "東京とモスクワの間の距離はどれくらいですか",
    "الحرب العالمية الثانية انتهت في عام 1945",
    "Życie w Polsce po 1945 roku było trudne.",
    "emoji test 🚜🏭✈️ tractors, factories, planes",
    "ALL CAPS HEADLINE ABOUT STALINGRAD TRACTOR PLANT",
    "   leading and trailing whitespace   ",
    "tabs\tand\nnewlines\n\nin the text",
    "Djilas quoted Stalin on soldiers' conduct; the quotation's provenance is disputed.",
    "def f(x): return x ** 2  # code-like text",
    "https://example.org/archive/1943/report?id=42&lang=en",
    "the the the the the the the the the the",
    "Komsomolsk-on-Amur was founded in 1932 by Komsomol volunteers and labour camp prisoners.",
    "Henry A. Wallace, vice-president 1941–1945, toured Magadan and Kolyma in 1944.",
    "Mission to Moscow (1943) presented the purge trials as justified.",
    "Was the war a 'good war'? Studs Terkel's title carried ironic quotation marks.",
    "x",
    LONG,
    LONG + " Final words after the truncation point.",
    " ".join(f"token{i}" for i in range(400)),
]


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One real export for the module, into a home holding litter from a killed export."""
    h = tmp_path_factory.mktemp("home")
    stray = h / f"{oe._TMP_PREFIX}999999-dead"
    stray.mkdir()
    (stray / oe.MODEL_FILE).write_bytes(b"\x08\x07half-written")
    (h / f"{oe._OLD_PREFIX}999999-dead").mkdir()
    assert oe.ensure_exported(h) is True
    return h


@pytest.fixture(scope="module")
def st():
    return SentenceTransformerEmbeddings()


@pytest.fixture(scope="module")
def onnx_emb(home):
    return oe.OnnxEmbeddings(home)


def _copy_home(src_home: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(oe.onnx_dir(src_home), oe.onnx_dir(dest), ignore=shutil.ignore_patterns(oe.INT8_FILE))
    return dest


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _no_export(*a, **k):
    raise AssertionError("should not re-export")


# -- the export --------------------------------------------------------------------------------
def test_export_layout_and_metadata(home):
    d = oe.onnx_dir(home)
    assert oe.onnx_model_file(home) == d / "model.onnx"
    assert {p.name for p in d.iterdir()} >= {"model.onnx", "tokenizer.json", "encoder.json"}
    meta = oe.read_meta(home)
    assert meta["model_name"] == MODEL_NAME and meta["dim"] == DIM
    assert meta["opset"] >= 14
    assert meta["max_seq_length"] == 256  # from sentence_bert_config.json
    assert meta["pooling"]["pooling_mode_mean_tokens"] is True
    assert meta["source_hash"] == oe.source_hash()

    import onnxruntime as ort

    sess = ort.InferenceSession(str(oe.onnx_model_file(home)), providers=["CPUExecutionProvider"])
    ins = {i.name: i.shape for i in sess.get_inputs()}
    assert set(ins) == {"input_ids", "attention_mask", "token_type_ids"}
    for shape in ins.values():  # dynamic batch and sequence axes
        assert all(isinstance(s, str) for s in shape[:2])
    (out,) = sess.get_outputs()
    assert out.name == "last_hidden_state" and out.shape[2] == DIM


def test_stray_temp_dirs_from_a_killed_export_are_cleaned(home):
    assert not oe._strays(home)
    assert oe.is_fresh(home)


def test_second_ensure_does_not_reexport(home, monkeypatch):
    model = oe.onnx_model_file(home)
    before = (model.stat().st_ino, model.stat().st_mtime_ns)
    monkeypatch.setattr(oe, "_fill_export_dir", _no_export)
    assert oe.ensure_exported(home) is True
    assert (model.stat().st_ino, model.stat().st_mtime_ns) == before


def test_stray_dir_next_to_a_fresh_export_is_harmless(home, tmp_path, monkeypatch):
    h = _copy_home(home, tmp_path / "h")
    stray = h / f"{oe._TMP_PREFIX}999999-killed"
    stray.mkdir()
    (stray / oe.MODEL_FILE).write_bytes(b"garbage")
    monkeypatch.setattr(oe, "_fill_export_dir", _no_export)
    assert oe.ensure_exported(h) is True
    assert not stray.exists()
    assert oe.OnnxEmbeddings(h).encode(["still works"]).shape == (1, DIM)


def test_crash_during_export_keeps_the_previous_model(home, tmp_path, monkeypatch):
    h = _copy_home(home, tmp_path / "h")
    model = oe.onnx_model_file(h)
    digest = _digest(model)

    def crash(src, out):
        Path(out).write_bytes(b"\x08\x07partial")
        raise RuntimeError("killed mid-export")

    monkeypatch.setattr(oe, "_export_transformer", crash)
    with pytest.raises(RuntimeError, match="killed"):
        oe.export_onnx(h)
    assert _digest(model) == digest
    assert not oe._strays(h)
    assert oe.is_fresh(h)


def test_crash_in_an_empty_home_leaves_no_model(tmp_path, monkeypatch):
    h = tmp_path / "h"

    def crash(src, out):
        Path(out).write_bytes(b"\x08\x07partial")
        raise RuntimeError("killed mid-export")

    monkeypatch.setattr(oe, "_export_transformer", crash)
    with pytest.raises(RuntimeError):
        oe.ensure_exported(h)
    assert not oe.onnx_model_file(h).exists()
    assert not oe._strays(h)
    assert get_embeddings(Settings(home=h)).backend == "sentence-transformers"


def test_stale_export_is_replaced(home, tmp_path, monkeypatch):
    h = _copy_home(home, tmp_path / "h")
    meta_file = oe.onnx_dir(h) / oe.META_FILE
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps(meta | {"source_hash": "0" * 64, "source_stat": {}}))
    assert not oe.is_fresh(h)
    calls = []

    def fake_fill(src, dest, quantize):  # a real export, minus the 10 s: reuse the module's files
        calls.append(dest)
        for f in (oe.MODEL_FILE, oe.TOKENIZER_FILE, oe.META_FILE):
            shutil.copyfile(oe.onnx_dir(home) / f, dest / f)
        return oe.read_meta(home)

    monkeypatch.setattr(oe, "_fill_export_dir", fake_fill)
    assert oe.ensure_exported(h) is True
    assert len(calls) == 1 and oe.is_fresh(h)
    assert oe.ensure_exported(h) is True and len(calls) == 1
    assert not oe._strays(h)


def test_stale_export_is_dropped_when_it_cannot_be_redone(home, tmp_path, monkeypatch):
    h = _copy_home(home, tmp_path / "h")
    meta_file = oe.onnx_dir(h) / oe.META_FILE
    meta_file.write_text(json.dumps(oe.read_meta(h) | {"export_version": -1}))
    monkeypatch.setattr(oe, "_missing_export_deps", lambda: ["torch"])
    assert oe.ensure_exported(h) is False
    assert not oe.onnx_model_file(h).exists()
    assert get_embeddings(Settings(home=h)).backend == "sentence-transformers"


# -- vectors -----------------------------------------------------------------------------------
def test_parity_with_sentence_transformers(onnx_emb, st):
    n_tokens = len(onnx_emb.load()._tokenizer.encode(LONG).ids)
    assert n_tokens == 256  # the long inputs really are truncated
    a = onnx_emb.encode(SENTENCES)
    b = st.encode(SENTENCES)
    assert a.shape == b.shape == (len(SENTENCES), DIM) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(axis=1)
    worst = int(cos.argmin())
    assert cos.min() >= 0.999, f"cosine {cos[worst]:.5f} for {SENTENCES[worst][:60]!r}"


def test_batching_does_not_change_vectors(home, onnx_emb):
    one = oe.OnnxEmbeddings(home, batch_size=1).encode(SENTENCES)
    many = onnx_emb.encode(SENTENCES)
    assert (one * many).sum(axis=1).min() >= 0.99999


def test_langchain_interface(onnx_emb):
    assert onnx_emb.backend == "onnx" and onnx_emb.name == MODEL_NAME
    q = onnx_emb.embed_query("Lend-Lease")
    docs = onnx_emb.embed_documents(["Lend-Lease", "tractors"])
    assert len(q) == DIM and len(docs) == 2
    assert np.dot(q, docs[0]) > 0.9999
    assert onnx_emb.encode([]).shape == (0, DIM)


def test_int8_model(home, st, tmp_path):
    pytest.importorskip("onnx")
    h = _copy_home(home, tmp_path / "h")
    with pytest.raises(FileNotFoundError):
        oe.OnnxEmbeddings(h, quantized=True)
    out = oe.quantize_onnx(h)
    # int8 MatMul weights; the fp32 word-embedding table (47 MB) is kept as is
    assert out == oe.onnx_int8_file(h) and out.stat().st_size < 0.75 * oe.onnx_model_file(h).stat().st_size
    q = oe.OnnxEmbeddings(h, quantized=True)
    cos = (q.encode(SENTENCES) * st.encode(SENTENCES)).sum(axis=1)
    assert cos.min() >= 0.94 and cos.mean() >= 0.98  # int8 is an approximation: worst on 1-word inputs
    assert oe.read_meta(h)["quantized"] is True


# -- the factory -------------------------------------------------------------------------------
def test_factory_falls_back_to_sentence_transformers(home, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert get_embeddings(Settings(home=empty)).backend == "sentence-transformers"
    assert get_embeddings(Settings(home=empty, encoder="onnx")).backend == "sentence-transformers"

    h = _copy_home(home, tmp_path / "h")  # an exported home, without paying for a second export
    monkeypatch.setattr(oe, "_fill_export_dir", _no_export)
    assert oe.ensure_exported(h) is True
    emb = get_embeddings(Settings(home=h, batch_size=8))
    assert isinstance(emb, oe.OnnxEmbeddings) and emb.backend == "onnx" and emb.batch_size == 8
    assert get_embeddings(Settings(home=h, encoder="onnx")).backend == "onnx"
    assert get_embeddings(Settings(home=h, encoder="st")).backend == "sentence-transformers"
    assert get_embeddings(Settings(home=empty, encoder="st")).backend == "sentence-transformers"


# -- no torch on the query path ----------------------------------------------------------------
def test_query_path_never_imports_torch(home):
    code = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from rag.onnx_encoder import OnnxEmbeddings
        v = OnnxEmbeddings(Path({str(home)!r})).embed_query("What did the essay claim about Lend-Lease?")
        from rag.embeddings import get_embeddings
        from rag.settings import Settings
        e = get_embeddings(Settings(home=Path({str(home)!r})))
        w = e.embed_query("tractor plants")
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print(json.dumps({{"dim": len(v), "backend": e.backend, "dim2": len(w), "heavy": heavy}}))
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out == {"dim": DIM, "backend": "onnx", "dim2": DIM, "heavy": []}


# -- a damaged model file (issue 15, item 3) ---------------------------------------------------
Q = "How many trucks did the United States deliver?"


def _rag(home: Path, corpus: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_HOME": str(home), "RAG_CORPUS_DIR": str(corpus)}
    env.pop("RAG_ENCODER", None)  # auto: the ONNX model when exported
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _garbage(f: Path) -> None:
    f.write_bytes(os.urandom(f.stat().st_size))  # same size: only opening it shows the damage


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])


@pytest.mark.parametrize("damage", [_truncate, _garbage], ids=["truncated", "garbage"])
def test_a_damaged_model_falls_back_to_sentence_transformers(home, tmp_path, st, damage, caplog):
    h = _copy_home(home, tmp_path / "h")
    damage(oe.onnx_model_file(h))
    with caplog.at_level("WARNING"):
        emb = get_embeddings(Settings(home=h))
        vecs = emb.encode(SENTENCES[:5])
        emb.encode(SENTENCES[5:9])
    assert isinstance(emb, oe.OnnxEmbeddings) and emb.failure and str(oe.onnx_model_file(h)) in emb.failure
    assert np.allclose(vecs, st.encode(SENTENCES[:5]), atol=1e-5)  # the same model, so the same index
    assert caplog.text.count("using sentence-transformers in this process") == 1  # said once
    assert oe.model_damage(h, load=True)


def test_a_damaged_model_is_reported_and_re_exported_by_rag_index(home, tmp_path, small_corpus, monkeypatch):
    from rag import Assistant

    h = _copy_home(home, tmp_path / "h")
    a = Assistant(Settings(home=h, corpus_dir=small_corpus))
    assert a.embeddings.backend == "onnx" and not a.check_index()
    _truncate(oe.onnx_model_file(h))

    check = _rag(h, small_corpus, "index", "--check")
    assert check.returncode == 1 and "ONNX model" in check.stdout and "Traceback" not in check.stderr, (
        check.stdout + check.stderr
    )
    ask = _rag(h, small_corpus, "ask", Q, "--json")  # every question still answered, never a crash
    assert ask.returncode == 0 and '"abstained": false' in ask.stdout, ask.stderr[-2000:]
    assert ask.stderr.count("using sentence-transformers in this process") == 1, ask.stderr[-2000:]

    def copy_good_export(src, dest, quantize):  # the real export is tested above; here only its trigger
        for f in (oe.MODEL_FILE, oe.TOKENIZER_FILE, oe.META_FILE):
            shutil.copyfile(oe.onnx_dir(home) / f, dest / f)
        return oe.read_meta(home)

    monkeypatch.setattr(oe, "_fill_export_dir", copy_good_export)
    b = Assistant(Settings(home=h, corpus_dir=small_corpus), auto_index=False)
    assert b.ensure_index() is None  # the index itself is up to date ...
    assert any("ONNX" in r for r in b.repairs)  # ... and the model was re-exported
    assert oe.model_damage(h, load=True) is None and _digest(oe.onnx_model_file(h)) == _digest(
        oe.onnx_model_file(home)
    )
    again = _rag(h, small_corpus, "index", "--check")
    assert again.returncode == 0, again.stdout + again.stderr
