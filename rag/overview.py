"""Overview answers from curated data: the essay's own profile and the claims inventory.

"What are the biggest errors in it?" or "is any of it accurate?" is not answered by the three
nearest passages but by the reviewed claims themselves (counted and listed by code) and by the
profile written about the essay. Pure functions; the corpus says which profile is the essay's
(front matter ``subject: essay`` or the essay's bibliography key).
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

from .models import VERDICTS, Claim

WRONG_RE = re.compile(r"\b(errors?|mistakes?|wrong|false\w*|inaccura\w*|lies|lying|debunk\w*|distort\w*|"
                      r"misleading|problems?|flaws?|incorrect)\b", re.I)
RIGHT_RE = re.compile(r"\b(right|accurate|true|correct|valid|credit|fair)\b", re.I)
VERDICT_PHRASES = {
    "consistent": "consistent with the literature",
    "needs-context": "partly right but in need of context",
    "disputed": "disputed among historians",
    "contradicted": "contradicted by the literature",
    "unverifiable": "unverifiable",
}


def inventory(claims: Iterable[Claim]) -> dict[str, int]:
    counts = Counter(c.verdict for c in claims)
    return {v: counts.get(v, 0) for v in VERDICTS}


def inventory_sentence(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    parts = [f"{n} {VERDICT_PHRASES[v]}" for v, n in counts.items() if n]
    listed = ", ".join(parts[:-1]) + (f" and {parts[-1]}" if len(parts) > 1 else parts[0] if parts else "")
    return f"Of the essay's {total} reviewed claims, {listed}."


def wanted_verdicts(question: str) -> tuple[str, ...]:
    """Which verdicts a right/wrong question asks for: errors → contradicted first."""
    wrong, right = bool(WRONG_RE.search(question)), bool(RIGHT_RE.search(question))
    if wrong and not right:
        return ("contradicted", "unverifiable")
    if right and not wrong:
        return ("consistent", "needs-context")
    return ("contradicted", "consistent")


def select(claims: Sequence[Claim], verdicts: Sequence[str]) -> list[Claim]:
    """Claims with the wanted verdicts, in verdict order then essay order; one per paragraph."""
    out: list[Claim] = []
    seen: set[int] = set()
    for v in verdicts:
        for c in sorted((c for c in claims if c.verdict == v), key=lambda c: (c.paragraph, c.id)):
            if c.paragraph not in seen:
                out.append(c)
                seen.add(c.paragraph)
    return out


def essay_profiles(documents: Sequence, essay_keys: Iterable[str]) -> set[str]:
    """Ids of the profiles written about the essay itself (``subject`` is ``essay`` or its key)."""
    keys = {"essay", *essay_keys}
    return {d.id for d in documents if d.kind == "profile" and str(d.meta.get("subject", "")) in keys}
