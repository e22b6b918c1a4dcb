"""Run in a fresh process by test_crash_safety: print the committed state as JSON."""

import json
import sys

from rag import Assistant
from rag.settings import Settings

a = Assistant(Settings.from_env(), auto_index=False)
man = a.index.manifest
store = a.settings.home / man["store"]
lines = [ln for ln in store.read_text(encoding="utf-8").splitlines() if ln.strip()]
ans = a.ask("How many trucks did the United States deliver?")  # verify() runs inside ask
json.dump(
    {
        "count": man["count"],
        "store_lines": len(lines),
        "passages": a.index.count(),
        "missing_vectors": len(set(a.index.passages) - set(a.index._chroma_ids())),
        "documents": sorted(e["id"] for e in man.get("documents", [])),
        "files_ok": all((a.documents_dir / e["file"]).exists() for e in man.get("documents", [])),
        "answered": not ans.abstained,
    },
    sys.stdout,
)
