"""Run in a fresh process by test_crash_safety and test_rebuild: print the committed state as JSON.

Reads manifest.json as the JSON on disk (its format is the contract), then asks through the API."""

import json
import sys

from rag import Assistant
from rag.settings import Settings

a = Assistant(Settings.from_env(), auto_index=False)
man = json.loads((a.settings.home / "manifest.json").read_text(encoding="utf-8"))
store = a.settings.home / man["store"]
lines = [ln for ln in store.read_text(encoding="utf-8").splitlines() if ln.strip()]
question = sys.argv[1] if len(sys.argv) > 1 else "How many trucks did the United States deliver?"
ans = a.ask(question)  # verify() runs inside ask
try:
    collections = sorted(c if isinstance(c, str) else c.name for c in a.index.client.list_collections())
except Exception as exc:  # pragma: no cover - reported, not raised
    collections = [f"error: {exc}"]
json.dump(
    {
        "count": man["count"],
        "store_lines": len(lines),
        "passages": a.index.count(),
        "missing_vectors": len(set(a.index.passages) - set(a.index._chroma_ids())),
        "documents": sorted(e["id"] for e in man.get("documents", [])),
        "files_ok": all((a.documents_dir / e["file"]).exists() for e in man.get("documents", [])),
        "answered": not ans.abstained,
        "collections": collections,
    },
    sys.stdout,
)
