"""Premises: when a question asserts a figure, say whether the literature supports it.

Pure: the asserted quantities come from question analysis; the evidence is a sentence of a
shown literature passage giving a figure of the same kind. The result is one sentence built
from a verbatim quote with its marker, so ``verify`` checks it like every other quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from .figures import KINDS, Quantity, extract
from .lexical import tokenize
from .models import Passage
from .question import Premise
from .sentences import sentence_spans, strip_markers

FRAMING_WORDS = frozenset(
    tokenize(
        "since given surely right correct true million thousand billion anyone defend "
        "really actually essay wasn isn didn doesn"
    )
)


def _close(a: float, b: float, tolerance: float = 0.12) -> bool:
    return a > 0 and b > 0 and abs(a - b) / max(a, b) <= tolerance


def _subject(text: str, q: Quantity) -> set[str]:
    """The words of the clause that asserts the figure ("Since the Gulag killed 20 million people"
    → gulag), without the figure and the words that name its kind."""
    clause = text
    for m in re.finditer(r"(?:[^,;:?.!]|(?<=\d)[,.](?=\d))+", text):  # "12,575" is one figure
        if m.start() <= q.start < m.end():
            clause = m.group(0)
    kind_words = set(tokenize(" ".join(w for ws in KINDS.values() for w in ws)))
    return {
        t for t in tokenize(clause) if not t[0].isdigit() and t not in kind_words and t not in FRAMING_WORDS
    }


def _label(q: Quantity) -> str:
    return q.text if q.kind in {"percent", "dollars"} else f"{q.text} {q.kind}"


def evidence(
    kind: str,
    literature: Sequence[Passage],
    subject: set[str] = frozenset(),  # type: ignore[assignment]
    value: float = 0.0,
) -> tuple[Passage, str, Quantity] | None:
    """The sentence of the shown literature that states a figure of ``kind`` about the question's
    subject: outside the first passage it must share a word with the question besides the figure
    (a death toll of the Gulag, not of the famine); the one sharing most wins, and among equals
    the one whose figure is nearest the asserted ``value`` (12,300 Lend-Lease tanks against an
    asserted 12,575, not 100,000 built at home)."""
    best: tuple[tuple[int, int], Passage, str, Quantity] | None = None
    for rank, p in enumerate(literature):
        for s, e in sentence_spans(p.text):
            if p.text[s:e].rstrip("”\"’' ").endswith("?"):
                continue  # a digest's own question states no evidence
            found = [x for x in extract(p.text[s:e]) if x.kind == kind]
            if not found:
                continue
            shared = len(subject & set(tokenize(p.text[s:e] + " " + p.section)))
            if subject and shared == 0 and rank > 0:
                continue  # only the most relevant passage may speak without a shared word
            nearest = min(found, key=lambda x: abs(x.value - value)) if value else found[0]
            key = (shared, 1 if value and _close(value, nearest.value) else 0)
            if best is None or key > best[0]:
                s, e = strip_markers(p.text, (s, e))
                best = (key, p, p.text[s:e], nearest)
    return best[1:] if best else None


def check(premise: Premise | None, literature: Sequence[Passage], essay: Sequence[Passage] = ()) -> str:
    """One sentence on the question's asserted figure, or "" when there is none to check."""
    if premise is None or not premise.figures:
        return ""
    for q in premise.figures:
        if q.kind in {"year", "percent"} and len(premise.figures) > 1:
            continue
        found = evidence(q.kind, literature, _subject(premise.text, q), q.value)
        if found is None:
            continue
        p, sentence, lit = found
        in_essay = any(q.text in e.text for e in essay)
        origin = " (the essay's figure)" if in_essay else ""
        rejected = _rejected(p.text, sentence) if _close(q.value, lit.value) else ""
        if rejected:
            # "Some popular accounts … give 750,000 trucks and jeeps. That total has no support…"
            verdict, sentence = "the literature rejects that figure", rejected
        elif DOUBT_RE.search(sentence):
            verdict = "the literature has not verified that figure"  # "…was not found…, unverified"
        elif _close(q.value, lit.value):
            verdict = "the literature supports that figure"
        else:
            verdict = "the literature gives a different figure"
        return (
            f"The question {_stance(premise.text)} {_label(q)}{origin}; {verdict}: “{sentence}” [{p.marker}]"
        )
    kinds = ", ".join(_label(q) for q in premise.figures)
    return f"The question {_stance(premise.text)} {kinds}; {NO_EVIDENCE}"


# "Since X, …", "Everyone knows X, so …", "Admit it: X.": the words that assert X
_LEAD_RE = re.compile(
    r"^\W*(?:since|given that|considering that|as we know|everyone knows|we all know|surely|obviously|"
    r"of course|admit it)\b[\s:,]*",
    re.I,
)
_END_RE = re.compile(
    r",\s*(?:so|which|and|but|wasn'?t|isn'?t|didn'?t|doesn'?t|right|correct|true|yes)\b|\s+[—–]\s+|\s+-\s+|[?.!;]"
)


def assertion(text: str) -> str:
    """The claim a loaded question takes for granted, in its own words ("" when too short)."""
    rest = _LEAD_RE.sub("", text.strip())
    m = _END_RE.search(rest)
    clause = (rest[: m.start()] if m else rest).strip(" ,:")
    if len(clause.split()) < 4 or len(clause) > 160:
        return ""
    return (
        clause[0].lower() + clause[1:]
        if clause[:2].istitle() and clause.split()[0].lower() in _PLAIN
        else clause
    )


_PLAIN = frozenset(["the", "a", "an", "it", "they", "he", "she", "all", "everyone", "most"])


# A sentence that settles a point: historians reject it, the evidence does not show it, it is a
# minority view or a myth ("most specialists reject…", "goes beyond the evidence").
JUDGES_RE = re.compile(
    r"\b(?:reject(?:s|ed)?|beyond the evidence|(?:no|little) (?:firm |clear |real )?evidence|"
    r"(?:does|did|do) not (?:show|support|bear out)|not supported|unsupported|myth|minority (?:view|position)|"
    r"not the consensus|overstat\w*|exaggerat\w*|contradict\w*|(?:most|mainstream) (?:specialists|historians|scholars)|"
    r"historians (?:agree|broadly agree|reject)|is false|was false)\b",
    re.I,
)


def check_claim(
    premise: Premise | None, literature: Sequence[Passage], judging: re.Pattern[str] = JUDGES_RE
) -> str:
    """A claim the question takes for granted (no figure, no reviewed claim about it): the first
    shown literature sentence that settles such a point, quoted with its marker."""
    if premise is None or premise.figures or not literature:
        return ""
    said = assertion(premise.text)
    if not said:
        return ""
    for p in literature:
        for s, e in sentence_spans(p.quote):
            sentence = p.quote[s:e].strip()
            untitled = re.sub(r"\*[^*]+\*", "", sentence)  # not "*The Blitzkrieg Myth*"
            if judging.search(untitled) and not sentence.endswith("?"):
                return f"The question takes for granted that {said}; the literature says: “{sentence}” [{p.marker}]"
    return ""


# "Can I quote the 18 million?", "is the 12,575 number legit?" ask about a figure; "Since 20
# million died…" or "…750,000 trucks, right?" assume it.
ASKS_RE = re.compile(
    r"^\W*(?:can|could|may|should)\s+(?:i|we|you)\b|^\W*is\s+(?:the|that|this)\b|"
    r"^\W*(?:the )?(?:essay|article|author|wear)(?:'s|’s)? (?:says?|claims?|gives?|figure)\b|"
    r"\b(?:legit|accurate|real|true or (?:not|false))\W*$",
    re.I,
)


def _stance(text: str) -> str:
    return "asks about" if ASKS_RE.search(text) and not re.search(r"\bright\s*\?", text, re.I) else "assumes"


NO_EVIDENCE = "none of the passages shown states a figure of that kind."
# A literature sentence that names the figure only to doubt it does not support it.
DOUBT_RE = re.compile(
    r"\b(?:not (?:been )?(?:found|verified|confirmed|supported)|unverified|unconfirmed|unsupported|"
    r"cannot be (?:verified|confirmed)|could not be (?:verified|confirmed|found)|no source)\b",
    re.I,
)


# A sentence that names a figure in order to reject it, or the one after it that does.
REJECT_RE = re.compile(
    r"\b(?:no support|not supported|unsupported|overstat\w*|exaggerat\w*|misleading|no basis|"
    r"(?:is|was) (?:wrong|false|too high|too low)|does not hold|popular accounts?|myth)\b",
    re.I,
)


def _rejected(text: str, sentence: str) -> str:
    """``sentence`` and the next one of ``text`` when either rejects the figure it names, else ""."""
    at = text.find(sentence)
    if at < 0:
        return ""
    spans = sentence_spans(text)
    i = next((k for k, (a, b) in enumerate(spans) if a <= at < b), None)
    if i is None:
        return ""
    end = spans[i + 1][1] if i + 1 < len(spans) else spans[i][1]
    both = text[at:end].strip()
    return both if REJECT_RE.search(both) else ""


def first_with_evidence(premise: Premise | None, pool: Sequence[Passage]) -> Passage | None:
    """The first candidate passage that states a figure of an asserted kind about its subject."""
    if premise is None:
        return None
    for q in premise.figures:
        subject = _subject(premise.text, q)
        ranked = sorted(pool, key=lambda p: -len(subject & set(tokenize(p.title + " " + p.section))))
        for p in ranked:
            found = evidence(q.kind, [replace(p, marker="L0")], subject)
            if found is not None and subject & set(tokenize(found[1] + " " + p.section)):
                return p
    return None


def query(premise: Premise | None) -> str:
    """Words to look up the passage that checks the asserted figures ("gulag deaths died")."""
    if premise is None:
        return ""
    words: list[str] = []
    for q in premise.figures:
        words += sorted(_subject(premise.text, q)) + list(KINDS.get(q.kind, ()))[:3]
    return " ".join(words)
