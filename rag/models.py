"""Typed evidence records that flow between the stages (PaperQA2 style).

Everything is frozen: a stage that refines a record makes a new one with ``dataclasses.replace``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

Side = Literal["essay", "literature"]
VERDICTS = ("consistent", "needs-context", "disputed", "contradicted", "unverifiable")
VERDICT_LABELS = {
    "consistent": "Consistent with the literature",
    "needs-context": "Partly right; needs context",
    "disputed": "Disputed among historians",
    "contradicted": "Contradicted by the literature",
    "unverifiable": "Unverifiable or opinion",
    "not-reviewed": "Not reviewed",
}
KIND_LABELS = {
    "essay": "Contested source: the essay",
    "digest": "Counterpoint digest (a summary of the works cited)",
    "profile": "Source profile",
    "primary": "Primary source",
    "document": "User document",
}
_EMPHASIS = re.compile(r"\*([^*\n]+?)\*")
_OPEN_QUOTE = re.compile(r'(^|[\s(\[{\u2014\u2013-])"')


def plain_text(text: str) -> str:
    """Markdown emphasis removed (``*Title*`` -> ``Title``): citation fields of the JSON are plain text."""
    return _EMPHASIS.sub(r"\1", text or "")


def quoted(title: str) -> str:
    """A title in curly double quotes; straight double quotes inside it become single curly ones,
    so a title that starts with a quotation never shows doubled marks (“"The Good War"…)."""
    inner = _OPEN_QUOTE.sub("\\1\u2018", title).replace('"', "\u2019")
    return f"\u201c{inner}\u201d"


def sort_name(names: str) -> str:
    """Sort key of an author field by surname: 'John Lewis Gaddis and X' -> 'gaddis john lewis'.

    Institutional authors ('U.S. Department of State') sort by their whole name."""
    from unicodedata import combining, normalize

    first = re.sub(r"\s*\((?:eds?|unsigned[^)]*)\.?\)", "", names or "").strip()
    words = first.replace(",", " ").split()
    personal = not (set(words) & _INSTITUTIONAL) and len(words) > 1
    if personal:
        first = re.split(r",| and ", first)[0].strip()
        words = [w for w in first.split() if w.rstrip(".") not in {"Jr", "Sr", "II", "III", "IV"}]
        i = len(words) - 1
        while i > 1 and words[i - 1].lower() in _PARTICLES:
            i -= 1
        first = " ".join(words[i:] + words[:i])
    folded = "".join(c for c in normalize("NFKD", first) if not combining(c))
    return folded.lower()


_PARTICLES = {"van", "von", "de", "der", "den", "du", "la", "le", "ó", "o'", "mac", "di", "da"}
_INSTITUTIONAL = {
    "Office", "Department", "League", "Center", "Centre", "Encyclopaedia", "Encyclopedia", "Reviews",
    "Institute", "Institution", "Committee", "Society", "Association", "University", "Time",
}  # fmt: skip


@dataclass(frozen=True)
class Work:
    """A bibliography entry; ``citation`` is the full human-readable reference."""

    key: str
    title: str
    author: str = ""
    publisher: str = ""
    year: str = ""
    type: str = "book"
    container: str = ""
    volume: str = ""
    pages: str = ""
    url: str = ""
    note: str = ""
    confidence: str = ""

    @property
    def citation(self) -> str:
        title = (
            quoted(self.title)
            if self.type in {"article", "web", "review"} or self.container
            else f"*{self.title}*"
        )
        parts = [p.rstrip(".") if not p.endswith("..") else p for p in (self.author, title) if p]
        if self.container:
            parts.append(f"*{self.container}*" + (f" {self.volume}" if self.volume else ""))
        tail = ", ".join(p for p in (self.publisher, self.year) if p)
        if tail:
            parts.append(tail.rstrip("."))
        if self.pages:
            parts.append(self.pages)
        if self.url:
            parts.append(self.url)
        return ". ".join(parts) + "."

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Bibliographies are ordered by surname (or institution), then year, then title."""
        return (sort_name(self.author) or plain_text(self.title).lower(), self.year, self.title.lower())


@dataclass(frozen=True)
class Cite:
    """One work cited by a passage, with the locator inside that work (if the source gives one)."""

    key: str
    citation: str
    locator: str = ""

    @property
    def text(self) -> str:
        return f"{self.citation.rstrip('.')}, {self.locator}." if self.locator else self.citation


@dataclass(frozen=True)
class Footnote:
    """An essay footnote, with Ibid. chains resolved to the work and pages."""

    number: int
    raw: str
    work: str
    pages: str = ""
    key: str = ""  # bibliography key, when the work is in the bibliography
    ibid_of: int | None = None  # the note an Ibid. resolved through

    @property
    def resolved(self) -> str:
        base = self.work + (f", {self.pages}" if self.pages else "")
        return f"[{self.number}] {base}" + (f" (Ibid., via note {self.ibid_of})" if self.ibid_of else "")


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: an essay paragraph or a section of a digest/profile/document.

    ``quote`` is the verbatim span of ``text`` shown to the reader; ``verify`` checks it.
    """

    id: str
    text: str
    source: str  # document id
    side: Side
    kind: str  # essay | digest | profile | primary | document
    title: str  # document title
    locator: str  # "¶39" or "§2 Trucks and jeeps" or "p. 4"
    citation: str  # full citation of the passage itself
    cites: tuple[Cite, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    paragraphs: tuple[int, ...] = ()
    section: str = ""
    embed_text: str = ""
    quote: str = ""
    score: float = 0.0
    marker: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("embed_text", None)
        d["kind_label"] = self.kind_label
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Passage:
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        d["cites"] = tuple(Cite(**c) for c in d.get("cites", ()))
        d["footnotes"] = tuple(Footnote(**f) for f in d.get("footnotes", ()))
        d["paragraphs"] = tuple(d.get("paragraphs", ()))
        return cls(**d)


def _passage_json(p: Passage) -> dict[str, Any]:
    """A passage for JSON readers: ``citation`` fields in plain text, ``citation_markdown`` as stored.

    (``Passage.to_dict`` itself stays the storage format and keeps the Markdown.)"""
    d = p.to_dict()
    d["citation"], d["citation_markdown"] = plain_text(p.citation), p.citation
    d["cites"] = [
        {
            "key": c.key,
            "citation": plain_text(c.citation),
            "citation_markdown": c.citation,
            "locator": c.locator,
        }
        for c in p.cites
    ]
    return d


@dataclass(frozen=True)
class Figure:
    kind: str
    essay: str
    literature: str
    note: str = ""


@dataclass(frozen=True)
class Claim:
    """A reviewed claim of the essay: a verbatim quote, a verdict and what it rests on."""

    id: str
    quote: str
    paragraph: int
    footnotes: tuple[int, ...]
    verdict: str
    rationale: str
    section: str = ""
    digests: tuple[str, ...] = ()
    works: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()  # full citations of ``works``
    figures: tuple[Figure, ...] = ()
    dossier: int | None = None
    resolved_footnotes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``citations`` are plain text; ``citations_markdown`` keeps the *italic* titles."""
        d = asdict(self)
        d["citations"] = [plain_text(c) for c in self.citations]
        d["citations_markdown"] = list(self.citations)
        return d


@dataclass(frozen=True)
class FigureComparison:
    """Two quantities of the same kind, one per side, e.g. trucks: 750,000 vs 427,284."""

    kind: str
    essay: str
    literature: str
    note: str = ""
    essay_marker: str = ""
    literature_marker: str = ""
    source: str = "review"  # review (from a reviewed claim) | extracted (from the quotes)

    @property
    def text(self) -> str:
        lit = self.literature + (f" ({self.note})" if self.note else "")
        return f"{self.kind}: essay {self.essay} · literature {lit}"


@dataclass(frozen=True)
class ClaimCard:
    """A reviewed claim shown for this question, tied to the essay passage that quotes it."""

    claim: Claim
    marker: str  # the E-marker of the essay passage whose text contains claim.quote

    @property
    def headline(self) -> str:
        """Restates the claim the verdict judges, so a badge never reads as a reply to another question."""
        quote = (
            self.claim.quote
            if len(self.claim.quote) <= 160
            else self.claim.quote[:157].rsplit(" ", 1)[0] + "…"
        )
        return f"The essay says “{quote}”: {self.claim.verdict}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim.to_dict(),
            "marker": self.marker,
            "verdict": self.claim.verdict,
            "verdict_label": VERDICT_LABELS[self.claim.verdict],
            "headline": self.headline,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    resolved_question: str
    abstained: bool
    essay: tuple[Passage, ...] = ()
    literature: tuple[Passage, ...] = ()
    verdict: str | None = None
    claim: Claim | None = None
    summary: str = ""
    figures: tuple[FigureComparison, ...] = ()
    covered_topics: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    dropped_sentences: int = 0
    synthesis: str = ""
    review_status: str = ""  # reviewed | not-reviewed (user-added essay) | no-matching-claim | "" (abstained)
    direct: str = ""  # one to three sentences that answer the question, built from verified pieces
    cards: tuple[ClaimCard, ...] = ()  # reviewed claims about the question (cards[0].claim is ``claim``)
    claim_list: tuple[Claim, ...] = ()  # overview answers: the claims asked for (e.g. every contradicted one)
    inventory: tuple[tuple[str, int], ...] = ()  # overview answers: reviewed claims per verdict
    premise: str = ""  # what the question takes for granted, checked against the literature
    language: str = "en"
    intent: str = "claim"
    parts: tuple[str, ...] = ()
    abstain_reason: str = ""  # out-of-scope | unknown-name | language | part-not-covered

    @property
    def rationale(self) -> str:
        return self.claim.rationale if self.claim else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "resolved_question": self.resolved_question,
            "abstained": self.abstained,
            "verdict": self.verdict,
            "verdict_label": VERDICT_LABELS.get(self.verdict or ""),
            "review_status": self.review_status,
            "rationale": self.rationale,
            "claim": self.claim.to_dict() if self.claim else None,
            "summary": self.summary,
            "essay": [_passage_json(p) for p in self.essay],
            "literature": [_passage_json(p) for p in self.literature],
            "figures": [asdict(f) | {"text": f.text} for f in self.figures],
            "covered_topics": list(self.covered_topics),
            "suggestions": list(self.suggestions),
            "notices": list(self.notices),
            "dropped_sentences": self.dropped_sentences,
            "synthesis": self.synthesis,
            "direct": self.direct,
            "cards": [c.to_dict() for c in self.cards],
            "claim_list": [c.to_dict() for c in self.claim_list],
            "inventory": dict(self.inventory),
            "premise": self.premise,
            "language": self.language,
            "intent": self.intent,
            "parts": list(self.parts),
            "abstain_reason": self.abstain_reason,
        }

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)

    def to_markdown(self) -> str:
        from .render import answer_markdown

        return answer_markdown(self)
