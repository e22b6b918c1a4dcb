"""The passage store: every committed passage as one JSON line, the truth the index serves.

Named by the hash of its content (``passages-<hash>.jsonl``) and written before the manifest
that names it, so a crash between the two leaves the previous store in force.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from .atomic import atomic_write
from .models import Passage


class StoreDamage(ValueError):
    """The store named by the manifest is missing, unreadable or has the wrong number of lines."""


def write_store(home: Path, passages: Iterable[Passage]) -> str:
    """Write the store (if not there already) and return its file name."""
    lines = "".join(
        json.dumps(p.to_dict() | {"embed_text": p.embed_text}, ensure_ascii=False) + "\n" for p in passages
    )
    name = f"passages-{hashlib.sha256(lines.encode()).hexdigest()[:16]}.jsonl"
    atomic_write(home / name, lines)
    return name


def read_store(path: Path, expected: int) -> dict[str, Passage]:
    passages: dict[str, Passage] = {}
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    p = Passage.from_dict(json.loads(line))
                    passages[p.id] = p
    except FileNotFoundError:
        raise StoreDamage(f"the passage store {path.name} is missing") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError) as exc:
        raise StoreDamage(f"the passage store {path.name} is damaged ({exc.__class__.__name__})") from None
    if len(passages) != expected:
        raise StoreDamage(
            f"the passage store {path.name} has {len(passages)} passages; the manifest says {expected}"
        )
    return passages


def drop_other_stores(home: Path, keep: str) -> None:
    for old in home.glob("passages*.jsonl"):
        if old.name != keep:
            old.unlink(missing_ok=True)
