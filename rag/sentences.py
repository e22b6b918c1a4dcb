"""Sentence spans with exact character offsets, so a quote is always a slice of its passage."""

from __future__ import annotations

import re

ABBREV = {
    "u.s",
    "u.k",
    "mr",
    "mrs",
    "dr",
    "st",
    "no",
    "nos",
    "vol",
    "pp",
    "p",
    "ed",
    "eds",
    "e.g",
    "i.e",
    "c",
    "ca",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "md",
    "cal",
    "gen",
    "col",
    "lt",
    "capt",
    "jr",
    "sr",
    "vs",
    "cf",
    "al",
    "ch",
    "fig",
    "trans",
    "u.s.s.r",
    "op",
    "doc",
    "docs",
    "inc",
    "co",
    "corp",
    "univ",
    "dept",
}
END_RE = re.compile(r"[.!?…][\"”’')\]]*(?:\[\d+\])*(?=\s+[\"“‘(\[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[(start, end)] covering every sentence; abbreviations and initials do not end a sentence.

    Line breaks end a sentence too (titles, list items, the essay's separate lines).
    """
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\n]+", text):
        spans.extend((m.start() + s, m.start() + e) for s, e in _line_spans(m.group(0)))
    return spans


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in END_RE.finditer(text):
        seg_so_far = text[start : m.end()]
        if seg_so_far.count("“") > seg_so_far.count("”"):
            continue  # inside a quotation: the sentence ends after the closing quote
        if text[m.start()] == ".":
            word = re.search(r"([A-Za-z.]+)$", text[start : m.start()])
            w = (word.group(1) if word else "").lower().strip(".")
            if w in ABBREV or (len(w) == 1 and w.isalpha()) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w or "-"):
                continue
        end = m.end()
        seg = text[start:end].strip()
        if seg:
            s = start + (len(text[start:end]) - len(text[start:end].lstrip()))
            spans.append((s, end))
        start = end
    if text[start:].strip():
        s = start + (len(text[start:]) - len(text[start:].lstrip()))
        spans.append((s, len(text.rstrip())))
    return spans


def strip_markers(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Trim a trailing footnote marker like '[29]' (and spaces) from a span."""
    s, e = span
    seg = text[s:e]
    m = re.search(r"(?:\s*\[\d+\])+\s*$", seg)
    if m:
        e = s + m.start()
    return s, e
