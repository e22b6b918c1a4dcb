"""schema.org ClaimReview JSON-LD for the reviewed claims (what fact-checkers publish)."""

from __future__ import annotations

from collections.abc import Iterable

from .models import VERDICT_LABELS, Claim

RATING = {"contradicted": 1, "unverifiable": 2, "disputed": 3, "needs-context": 3, "consistent": 5}


def claim_review(c: Claim, essay_meta: dict) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "identifier": c.id,
        "claimReviewed": c.quote,
        "reviewBody": c.rationale,
        "author": {"@type": "Organization", "name": "Counterpoint"},
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": essay_meta.get("author", "")},
            "datePublished": essay_meta.get("date", ""),
            "appearance": {
                "@type": "CreativeWork",
                "name": essay_meta.get("title", ""),
                "publisher": {"@type": "Organization", "name": essay_meta.get("outlet", "")},
                "position": f"paragraph {c.paragraph}",
            },
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING[c.verdict],
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": VERDICT_LABELS[c.verdict],
        },
        "citation": [{"@type": "CreativeWork", "name": x} for x in c.citations],
    }


def claim_reviews(claims: Iterable[Claim], essay_meta: dict) -> list[dict]:
    return [claim_review(c, essay_meta) for c in claims]
