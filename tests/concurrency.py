"""Concurrent writers on one RAG_HOME: shared by tests/test_concurrency.py and eval/concurrent_adds.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLAGS = ["--author", "A. Historian", "--year", "2001", "--publisher", "Test Press"]


def rag_proc(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_doc(folder: Path, name: str, topic: str) -> Path:
    p = folder / f"{name}.txt"
    p.write_text(
        f"A note on {topic}.\n\nThe {topic} paragraph names {name} as its only subject.\n", encoding="utf-8"
    )
    return p


def committed(home: Path) -> dict:
    """The committed manifest's documents and whether each stored file exists."""
    man = json.loads((home / "manifest.json").read_text(encoding="utf-8"))
    docs = {e["id"]: (home / "documents" / e["file"]).exists() for e in man.get("documents", [])}
    return {"documents": docs, "count": man["count"]}


def run_pair(env, *commands) -> list[tuple[int, str]]:
    procs = [rag_proc(env, *c) for c in commands]
    out = []
    for p in procs:
        _, err = p.communicate(timeout=600)
        out.append((p.returncode, err[-2000:]))
    return out


def env_for(home: Path, corpus: Path) -> dict:
    return dict(
        os.environ,
        RAG_HOME=str(home),
        RAG_CORPUS_DIR=str(corpus),
        RAG_ENCODER="st",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )


def concurrent_adds(home: Path, corpus: Path, files_dir: Path, reps: int, log=print) -> list[dict]:
    """``reps`` rounds of two concurrent `rag add` with different files; every document must stay."""
    env = env_for(home, corpus)
    results, expected = [], set()
    for i in range(reps):
        a, b = write_doc(files_dir, f"alpha{i}", "convoys"), write_doc(files_dir, f"beta{i}", "tractors")
        rcs = run_pair(
            env,
            ["add", str(a), "--title", f"Alpha {i}", *FLAGS],
            ["add", str(b), "--title", f"Beta {i}", *FLAGS],
        )
        expected |= {f"user:alpha{i}", f"user:beta{i}"}
        state = committed(home)
        row = {
            "rep": i,
            "rcs": [rc for rc, _ in rcs],
            "missing": sorted(expected - set(state["documents"])),
            "files_missing": sorted(d for d, ok in state["documents"].items() if not ok),
            "errors": [e for rc, e in rcs if rc],
        }
        log(json.dumps(row))
        results.append(row)
    return results
