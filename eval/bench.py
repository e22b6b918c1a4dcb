"""Benchmarks, reported as ratios from one run (never as timed assertions in tests).

1. ingestion: Counterpoint ``Index.sync`` vs LangChain ``Chroma.add_documents`` (sentence-
   transformers embeddings, the naive stack) on the same chunks: the bundled corpus, the
   Milestones essays (realistic user documents) and a synthetic set;
2. cold ``rag ask`` wall time vs ``python -c "import sentence_transformers"``;
3. warm ``ask()`` p50/p95 vs one query embedding with the same encoder;
4. peak RSS of ``rag ask`` and of the web app while serving;
5. scaling: synthetic corpora (10k/50k/100k chunks made from real passages: real texts with a
   variant tag, real vectors with small noise) and query latency per size.
Run: ``python eval/bench.py [--quick] [--sizes 10000,50000,100000] [--synthetic 10000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
ENV = dict(
    os.environ,
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    ANONYMIZED_TELEMETRY="False",
    GRADIO_ANALYTICS_ENABLED="False",
    TOKENIZERS_PARALLELISM="false",
)
os.environ.update({k: ENV[k] for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ANONYMIZED_TELEMETRY")})
MILESTONES = REPO.parent / "shared" / "reference-sources" / "milestones"
QUESTIONS = [
    "How many trucks and jeeps did the Allies send to the Soviet Union?",
    "When did the second Five-Year Plan begin?",
    "How many people passed through the Gulag?",
    "Who designed Magnitogorsk?",
    "Did Roosevelt ever criticise Stalin in public?",
    "Is Hoggan a reliable source?",
    "How many T-34 tanks did Uralvagonzavod build?",
    "Did Hitler want war with the United States?",
    "What did Djilas say about Stalin?",
    "Was Lend-Lease decisive for the Soviet victory?",
]


def pct(xs, p):
    s = sorted(xs)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run(cmd, **kw):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, cwd=REPO, capture_output=True, text=True, **kw)
    return time.perf_counter() - t, p


def median_wall(cmd, n=3):
    times = []
    for _ in range(n):
        dt, p = run(cmd)
        if p.returncode:
            raise RuntimeError(p.stderr[-2000:])
        times.append(dt)
    return statistics.median(times)


# -- 1. ingestion ------------------------------------------------------------------------------


def chunks_from(assistant, milestones: bool, synthetic: int):
    from rag.ingest import load_document

    sets = {"bundled corpus": assistant.corpus.passages}
    if milestones and MILESTONES.is_dir():
        docs = [
            load_document(p, flags={"author": "Office of the Historian", "year": "n.d."})
            for p in sorted(MILESTONES.glob("*.md"))
        ]
        sets["Milestones essays"] = [p for d in docs for p in d.passages]
    if synthetic:
        base = assistant.corpus.passages
        rng = random.Random(0)
        out = []
        for i in range(synthetic):
            p = base[i % len(base)]
            sents = p.text.split(". ")
            rng.shuffle(sents)
            text = ". ".join(sents) + f" (variant {i})"
            out.append(replace(p, id=f"syn{i}", text=text, embed_text=text))
        sets[f"synthetic {synthetic}"] = out
    return sets


def ingest_worker(system: str, chunks_file: str, home: str, batch_size: int) -> dict:
    """One measurement in its own process: ONNX Runtime and torch threads must not compete."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from rag.embeddings import SentenceTransformerEmbeddings, get_embeddings
    from rag.index import Index
    from rag.models import Passage
    from rag.settings import Settings

    chunks = [
        Passage.from_dict(json.loads(ln)) for ln in Path(chunks_file).read_text(encoding="utf-8").splitlines()
    ]
    with tempfile.TemporaryDirectory() as d:
        if system == "counterpoint":
            # the encoder the engine uses: ONNX if exported under the engine's home, else ST
            enc = get_embeddings(Settings(home=Path(home), batch_size=batch_size))
            if hasattr(enc, "load"):
                enc.load()
            else:
                _ = enc.model  # loads the model outside the timed part
            idx = Index(Settings(home=Path(d), batch_size=batch_size), enc)
            t = time.perf_counter()
            idx.sync(chunks)
            return {"seconds": time.perf_counter() - t, "encoder": enc.backend}
        import chromadb
        from chromadb.config import Settings as CS

        model = SentenceTransformerEmbeddings().model

        class NaiveST(Embeddings):  # what a LangChain tutorial builds: encode() at its defaults
            def embed_documents(self, texts):
                return model.encode(texts, normalize_embeddings=True).tolist()

            def embed_query(self, text):
                return self.embed_documents([text])[0]

        client = chromadb.PersistentClient(path=d, settings=CS(anonymized_telemetry=False))
        store = Chroma(
            collection_name="langchain-baseline",
            embedding_function=NaiveST(),
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        docs = [Document(page_content=p.embed_text or p.text, metadata={"side": p.side}) for p in chunks]
        t = time.perf_counter()
        for i in range(0, len(docs), 2000):
            store.add_documents(docs[i : i + 2000], ids=[p.id for p in chunks[i : i + 2000]])
        return {"seconds": time.perf_counter() - t, "encoder": "sentence-transformers"}


def bench_ingestion(assistant, sets, batch_size):
    results = {}
    for name, chunks in sets.items():
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as fh:
            fh.write("".join(json.dumps(p.to_dict() | {"embed_text": p.embed_text}) + "\n" for p in chunks))
        got = {}
        for system in ("counterpoint", "langchain"):
            p = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--ingest-worker",
                    system,
                    fh.name,
                    str(assistant.settings.home),
                    str(batch_size),
                ],
                env=ENV,
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            if p.returncode:
                raise RuntimeError(p.stderr[-3000:])
            got[system] = json.loads(p.stdout.strip().splitlines()[-1])
        os.unlink(fh.name)
        ours, lc = got["counterpoint"]["seconds"], got["langchain"]["seconds"]
        results[name] = {
            "chunks": len(chunks),
            "counterpoint_s": round(ours, 2),
            "langchain_s": round(lc, 2),
            "counterpoint_chunks_per_s": round(len(chunks) / ours, 1),
            "langchain_chunks_per_s": round(len(chunks) / lc, 1),
            "ratio": round(lc / ours, 2),
            "encoder": got["counterpoint"]["encoder"],
        }
        print(f"  ingestion {name}: {results[name]}", flush=True)
    return results


# -- 2-4. latency and memory ---------------------------------------------------------------------


def bench_latency(assistant):
    enc = assistant.embeddings
    for q in QUESTIONS:
        assistant.ask(q)
    lat, emb = [], []
    for _ in range(5):
        for q in QUESTIONS:
            t = time.perf_counter()
            assistant.ask(q)
            lat.append(time.perf_counter() - t)
            t = time.perf_counter()
            enc.embed_query(q + " ")
            emb.append(time.perf_counter() - t)
    return {
        "encoder": getattr(enc, "backend", "?"),
        "ask_p50_ms": round(pct(lat, 50) * 1000, 1),
        "ask_p95_ms": round(pct(lat, 95) * 1000, 1),
        "embed_p50_ms": round(pct(emb, 50) * 1000, 1),
        "ratio_p50": round(pct(lat, 50) / pct(emb, 50), 2),
    }


def bench_cold(home):
    env_home = dict(ENV, RAG_HOME=str(home))
    ask = [sys.executable, "-m", "rag.cli", "ask", QUESTIONS[0], "--json"]

    def wall(cmd):
        ts = []
        for _ in range(3):
            t = time.perf_counter()
            p = subprocess.run(cmd, env=env_home, cwd=REPO, capture_output=True, text=True)
            ts.append(time.perf_counter() - t)
            if p.returncode:
                raise RuntimeError(p.stderr[-2000:])
        return statistics.median(ts)

    cold = wall(ask)
    st = wall([sys.executable, "-c", "import sentence_transformers"])
    # peak RSS of one `rag ask` alone: a fresh parent whose only child is that process
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    rss_kib = int(
        subprocess.run(
            [sys.executable, "-c", probe, *ask], env=env_home, cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    )
    mods = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, rag.cli as c; c.main(['ask', 'trucks?', '--json']);"
                "print(','.join(m for m in ('torch', 'sentence_transformers', 'gradio', 'transformers')"
                " if m in sys.modules) or 'none', file=sys.stderr)",
            ],
            env=env_home,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        .stderr.strip()
        .splitlines()[-1]
    )
    return {
        "cold_rag_ask_s": round(cold, 2),
        "import_sentence_transformers_s": round(st, 2),
        "ratio": round(cold / st, 2),
        "rag_ask_peak_rss_mb": round(rss_kib / 1024, 1),
        "heavy_modules_loaded_by_rag_ask": mods,
    }


def bench_webapp_rss(home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        env=dict(ENV, RAG_HOME=str(home)),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from gradio_client import Client

        end = time.time() + 180
        client = None
        while time.time() < end:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                time.sleep(1)
        for q in QUESTIONS:
            client.predict(q, [], api_name="/ask")
        status = Path(f"/proc/{proc.pid}/status").read_text()
        hwm = next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM"))
        rss = next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS"))
        return {
            "webapp_peak_rss_mb": round(hwm / 1024, 1),
            "webapp_rss_after_10_questions_mb": round(rss / 1024, 1),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- 5. scaling ------------------------------------------------------------------------------------


def bench_scaling(assistant, sizes):
    import numpy as np

    from rag import Assistant

    base = assistant.corpus.passages
    base_vecs = assistant.embeddings.encode([p.embed_text or p.text for p in base])
    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            settings = replace(assistant.settings, home=Path(d))
            passages, vectors = list(base), {p.id: base_vecs[i] for i, p in enumerate(base)}
            for i in range(n - len(base)):
                j = i % len(base)
                p = base[j]
                text = p.text + f" (variant {i})"
                q = replace(p, id=f"s{i}", text=text, embed_text=text, source=f"{p.source}-v{i % 97}")
                v = base_vecs[j] + rng.normal(0, 0.02, base_vecs.shape[1]).astype("float32")
                vectors[q.id] = v / np.linalg.norm(v)
                passages.append(q)
            from rag.index import Index

            t = time.perf_counter()
            Index(settings, assistant.embeddings).sync(passages, fingerprint="synthetic", vectors=vectors)
            build = time.perf_counter() - t
            a = Assistant(settings, embeddings=assistant.embeddings, auto_index=False)
            a.ask(QUESTIONS[0])
            lat = []
            for q in QUESTIONS * 2:
                t = time.perf_counter()
                a.ask(q)
                lat.append(time.perf_counter() - t)
        out[str(n)] = {
            "chunks": len(passages),
            "load_s": round(build, 1),
            "ask_p50_ms": round(pct(lat, 50) * 1000, 1),
            "ask_p95_ms": round(pct(lat, 95) * 1000, 1),
        }
        print(f"  scaling {n}: {out[str(n)]}", flush=True)
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--ingest-worker"]:
        print(json.dumps(ingest_worker(argv[1], argv[2], argv[3], int(argv[4]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--sizes", default="10000,50000,100000")
    ap.add_argument("--synthetic", type=int, default=10000, help="synthetic chunks for the ingestion run")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--skip", default="", help="comma list of: ingestion,cold,latency,webapp,scaling")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.synthetic = "2000", 500
    skip = set(filter(None, args.skip.split(",")))
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    try:
        return _run(args, skip, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)  # ~100 MB of index per run


def _run(args, skip, home: Path) -> int:
    from rag import Assistant
    from rag.settings import Settings

    t = time.perf_counter()
    assistant = Assistant(Settings.from_env(home=home, batch_size=args.batch_size))
    report = {"first_index_build_s": round(time.perf_counter() - t, 1)}
    assistant = Assistant(Settings.from_env(home=home, batch_size=args.batch_size))  # picks ONNX if exported
    print(
        f"index built in {report['first_index_build_s']} s; encoder {assistant.embeddings.backend}",
        flush=True,
    )
    if "latency" not in skip:
        report["warm"] = bench_latency(assistant)
        print(f"  warm: {report['warm']}", flush=True)
    if "cold" not in skip:
        report["cold"] = bench_cold(home)
        print(f"  cold: {report['cold']}", flush=True)
    if "webapp" not in skip:
        report["webapp"] = bench_webapp_rss(home)
        print(f"  webapp: {report['webapp']}", flush=True)
    if "ingestion" not in skip:
        report["ingestion"] = bench_ingestion(
            assistant, chunks_from(assistant, True, args.synthetic), args.batch_size
        )
    if "scaling" not in skip:
        report["scaling"] = bench_scaling(assistant, [int(x) for x in args.sizes.split(",")])
    out = HERE / "reports"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{time.strftime('%Y-%m-%d')}.json"
    path.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
