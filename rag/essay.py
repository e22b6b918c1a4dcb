"""Parse a contested essay: numbered paragraphs, sections, footnotes with Ibid. chains resolved.

Numbering rule (the dossier's, documented in corpus/FORMAT.md): every non-empty line from the
title is one paragraph, title = ¶0, up to the last body line before footnote [1]. Block quotes
and the lines that introduce them are paragraphs of their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .markers import FOOTNOTE_RE
from .models import Footnote, Work

NOTE_RE = re.compile(r"^\[(\d+)\]\s*(.+)$")
MARKER_RE = FOOTNOTE_RE
PAGES_RE = re.compile(r",\s*((?:pp?\.)\s*.+?)\.?\s*$")
HEADING_MAX_WORDS = 8
META_FIELDS = ("Author(s)", "Title", "Published", "Appears In")  # generic "Key: value" lines after the notes


@dataclass(frozen=True)
class Paragraph:
    number: int
    text: str
    kind: str  # title | meta | heading | intro | quote | body
    section: str
    footnotes: tuple[int, ...]
    start: int  # character offset in the file


@dataclass
class Essay:
    doc_id: str
    title: str
    author: str
    outlet: str
    date: str
    paragraphs: list[Paragraph]
    notes: dict[int, Footnote] = field(default_factory=dict)
    text: str = ""
    outlet_description: str = ""  # what the outlet is (corpus.yaml), said wherever it is named

    def paragraph(self, number: int) -> Paragraph:
        for p in self.paragraphs:
            if p.number == number:
                return p
        raise KeyError(f"no paragraph ¶{number}")

    @property
    def body(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.kind in {"body", "quote", "intro"}]

    @property
    def citation(self) -> str:
        return f"{self.author}, “{self.title}”, *{self.outlet}*, {self.date}"


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", s).strip()


def _is_heading(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= HEADING_MAX_WORDS and not re.search(r"[.:;?!\]”\"]$", line) and line[0].isupper()


def split_note(raw: str) -> tuple[str, str]:
    """'Author, Title, Place: Publisher, 2008, pp. 25-26.' -> (work, 'pp. 25-26')."""
    m = PAGES_RE.search(raw)
    if not m:
        return raw.rstrip(". "), ""
    return raw[: m.start()].rstrip(". ,"), m.group(1).strip().rstrip(".")


def resolve_notes(
    raw_notes: dict[int, str], bibliography: dict[str, Work] | None = None
) -> dict[int, Footnote]:
    """Follow Ibid. chains: 'Ibid.' repeats the previous work and pages, 'Ibid., p. 25' the work."""
    out: dict[int, Footnote] = {}
    prev: Footnote | None = None
    for n in sorted(raw_notes):
        raw = raw_notes[n]
        if re.match(r"^ibid\.?", raw.strip(), re.I):
            if prev is None:
                raise ValueError(f"note [{n}] is Ibid. with no earlier note")
            rest = re.sub(r"^ibid\.?,?\s*", "", raw.strip(), flags=re.I).rstrip(". ")
            pages = rest if rest else prev.pages
            root = prev.ibid_of or prev.number
            note = Footnote(n, raw, prev.work, pages, prev.key, ibid_of=root)
        else:
            work, pages = split_note(raw)
            note = Footnote(n, raw, work, pages, match_work(work, bibliography or {}))
        out[n] = note
        prev = note
    return out


def _tokens(s: str) -> set[str]:
    return {t for t in re.findall(r"[a-z]+", _norm(s).lower()) if len(t) > 3}


def match_work(work: str, bibliography: dict[str, Work]) -> str:
    """Best bibliography key for a footnote's work string.

    The first author's surname plus any shared title word decides (year breaks ties); without
    a surname match (a misspelt name), most of the title's words must match.
    """
    wt, low = _tokens(work), _norm(work).lower()
    best, best_score = "", 0.0
    for key, w in bibliography.items():
        tt = _tokens(w.title)
        if not tt:
            continue
        shared = len(wt & tt)
        surname = w.author.split(",")[0].split()[-1].lower() if w.author else ""
        if surname and re.search(rf"\b{re.escape(surname)}\b", low) and shared:
            score = 1.0 + shared / len(tt) + (0.5 if w.year and w.year in work else 0.0)
        else:
            score = shared / len(tt) if shared / len(tt) >= 0.6 else 0.0
        if score > best_score:
            best, best_score = key, score
    return best


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, stripped line) for every non-empty line."""
    lines: list[tuple[int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lines.append((pos + raw.index(stripped[0]), stripped))
        pos += len(raw) + 1
    return lines


def _split_notes(
    lines: list[tuple[int, str]], meta_fields: tuple[str, ...]
) -> tuple[list[tuple[int, str]], dict[int, str], dict[str, str]]:
    """-> (body lines, raw notes, metadata): the notes start at the first line that begins with "[1]";
    after them, "Key: value" lines of ``meta_fields`` describe the essay."""
    meta_re = re.compile(r"^(" + "|".join(map(re.escape, meta_fields)) + r"):\s*(.*)$")
    notes_raw: dict[int, str] = {}
    body: list[tuple[int, str]] = []
    meta: dict[str, str] = {}
    in_notes = False
    for start, line in lines:
        m = NOTE_RE.match(line)
        in_notes = in_notes or bool(m and int(m.group(1)) == 1)
        if not in_notes:
            body.append((start, line))
        elif m:
            notes_raw[int(m.group(1))] = m.group(2).strip()
        elif kv := meta_re.match(line):
            meta[kv.group(1)] = kv.group(2).strip()
    return body, notes_raw, meta


def _kind(number: int, line: str, markers: tuple[int, ...], boilerplate: tuple[str, ...]) -> str:
    if number == 0:
        return "title"
    if line.startswith("Published:") or (number <= 3 and any(w in line.lower() for w in boilerplate)):
        return "meta"
    if _is_heading(line) and not markers:
        return "heading"
    if line.endswith(":") and not markers:
        return "intro"
    return "body"


def _paragraphs(body_lines: list[tuple[int, str]], boilerplate: tuple[str, ...]) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    section = "Introduction"
    for number, (start, line) in enumerate(body_lines):
        markers = tuple(int(x) for x in MARKER_RE.findall(line))
        kind = _kind(number, line, markers, boilerplate)
        if kind == "heading":
            section = line
        paragraphs.append(Paragraph(number, line, kind, section, markers, start))
    # A paragraph directly after an intro line ("X writes:") is a block quote of X.
    for i, p in enumerate(paragraphs[:-1]):
        if p.text.rstrip().endswith(":") and p.kind in {"intro", "body"} and paragraphs[i + 1].kind == "body":
            q = paragraphs[i + 1]
            paragraphs[i + 1] = Paragraph(q.number, q.text, "quote", q.section, q.footnotes, q.start)
    return paragraphs


def parse_essay(
    text: str,
    doc_id: str = "essay",
    bibliography: dict[str, Work] | None = None,
    author: str | None = None,
    outlet: str | None = None,
    meta_fields: tuple[str, ...] | None = None,
    boilerplate: tuple[str, ...] = (),
) -> Essay:
    """``author`` and ``outlet`` override the file; ``meta_fields`` are the "Key: value" lines after
    the notes (default ``META_FIELDS``); lines under the title holding a ``boilerplate`` word are
    the site's, not the essay's (kind "meta")."""
    text = text.replace("\r\n", "\n")
    lines = _lines(text)
    if not lines:
        raise ValueError("the essay is empty")
    body_lines, notes_raw, meta = _split_notes(lines, meta_fields or META_FIELDS)
    published = meta.get("Published") or next(
        (ln.split(":", 1)[1].strip() for _, ln in body_lines[:4] if ln.startswith("Published:")), ""
    )
    return Essay(
        doc_id=doc_id,
        title=_norm(meta.get("Title") or body_lines[0][1]),
        author=author or meta.get("Author(s)", ""),
        outlet=outlet or "",
        date=published,
        paragraphs=_paragraphs(body_lines, boilerplate),
        notes=resolve_notes(notes_raw, bibliography),
        text=text,
    )
