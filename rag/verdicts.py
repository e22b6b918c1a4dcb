"""The review verdicts and their reader-facing labels: a leaf module, so records and renderers
can both use them without importing each other."""

from __future__ import annotations

VERDICTS = ("consistent", "needs-context", "disputed", "contradicted", "unverifiable")
VERDICT_LABELS = {
    "consistent": "Consistent with the literature",
    "needs-context": "Partly right; needs context",
    "disputed": "Disputed among historians",
    "contradicted": "Contradicted by the literature",
    "unverifiable": "Unverifiable or opinion",
    "not-reviewed": "Not reviewed",
}
