"""Parse a contested essay: numbered paragraphs, sections, footnotes with Ibid. chains resolved.

Numbering rule (the dossier's, documented in corpus/FORMAT.md): every non-empty line from the
title is one paragraph, title = ¶0, up to the last body line before footnote [1]. Block quotes
and the lines that introduce them are paragraphs of their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .models import Footnote, Work

NOTE_RE = re.compile(r"^\[(\d+)\]\s*(.+)$")
MARKER_RE = re.compile(r"\[(\d+)\]")
PAGES_RE = re.compile(r",\s*((?:pp?\.)\s*.+?)\.?\s*$")
HEADING_MAX_WORDS = 8


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


def parse_essay(
    text: str,
    doc_id: str = "essay",
    bibliography: dict[str, Work] | None = None,
    author: str | None = None,
    outlet: str | None = None,
) -> Essay:
    text = text.replace("\r\n", "\n")
    lines: list[tuple[int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lines.append((pos + raw.index(stripped[0]), stripped))
        pos += len(raw) + 1
    if not lines:
        raise ValueError("the essay is empty")

    notes_raw: dict[int, str] = {}
    body_lines: list[tuple[int, str]] = []
    meta: dict[str, str] = {}
    in_notes = False
    for start, line in lines:
        m = NOTE_RE.match(line)
        if m and int(m.group(1)) == 1:
            in_notes = True  # the notes start at the first line that begins with "[1]"
        if in_notes:
            if m:
                notes_raw[int(m.group(1))] = m.group(2).strip()
            else:
                kv = re.match(
                    r"^(Author\(s\)|Title|Published|First posted on CODOH|Appears In):\s*(.*)$", line
                )
                if kv:
                    meta[kv.group(1)] = kv.group(2).strip()
            continue
        body_lines.append((start, line))

    title = body_lines[0][1]
    paragraphs: list[Paragraph] = []
    section = "Introduction"
    for number, (start, line) in enumerate(body_lines):
        markers = tuple(int(x) for x in MARKER_RE.findall(line))
        if number == 0:
            kind = "title"
        elif line.startswith("Published:") or ("periodical" in line.lower() and number <= 3):
            kind = "meta"
        elif _is_heading(line) and not markers:
            kind = "heading"
            section = line
        elif line.endswith(":") and not markers:
            kind = "intro"
        else:
            kind = "body"
        paragraphs.append(
            Paragraph(number, line, kind, section if kind != "heading" else line, markers, start)
        )
    # A paragraph directly after an intro line ("X writes:") is a block quote of X.
    for i, p in enumerate(paragraphs[:-1]):
        if p.text.rstrip().endswith(":") and p.kind in {"intro", "body"} and paragraphs[i + 1].kind == "body":
            q = paragraphs[i + 1]
            paragraphs[i + 1] = Paragraph(q.number, q.text, "quote", q.section, q.footnotes, q.start)

    published = meta.get("Published") or next(
        (ln.split(":", 1)[1].strip() for _, ln in body_lines[:4] if ln.startswith("Published:")), ""
    )
    outlet_name = outlet or ("Inconvenient History" if "Inconvenient History" in text else "")
    return Essay(
        doc_id=doc_id,
        title=_norm(meta.get("Title") or title),
        author=author or meta.get("Author(s)", ""),
        outlet=outlet_name,
        date=published,
        paragraphs=paragraphs,
        notes=resolve_notes(notes_raw, bibliography),
        text=text,
    )
