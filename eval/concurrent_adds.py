"""Issue 15, failure 1: N rounds of two concurrent `rag add` on one RAG_HOME; every document must stay.

    .venv/bin/python eval/concurrent_adds.py --reps 10

Prints one JSON line per round and a summary; exit status 0 when no document was lost.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.concurrency import concurrent_adds  # noqa: E402
from tests.conftest import CORPUS, ESSAY_FILE, write_digest  # noqa: E402


def small_corpus(root: Path) -> Path:
    """The real essay and bibliography and one digest (as the tests' small_corpus fixture)."""
    (root / "essay").mkdir(parents=True)
    (root / "references").mkdir()
    shutil.copy(ESSAY_FILE, root / "essay" / ESSAY_FILE.name)
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
            )
        ],
    )
    return root


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    from rag import Assistant
    from rag.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="concurrent-adds-"))
    try:
        corpus = small_corpus(tmp / "corpus")  # a small corpus keeps the run short; the lock does not care
        home = tmp / "home"
        Assistant(Settings(home=home, corpus_dir=corpus, encoder="st"))
        rows = concurrent_adds(home, corpus, tmp, args.reps)
        ok = sum(1 for r in rows if not r["missing"] and not r["files_missing"] and r["rcs"] == [0, 0])
        print(json.dumps({"rounds": len(rows), "both_kept": ok}))
        return 0 if ok == len(rows) else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
