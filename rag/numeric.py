"""What a number is and when a passage supports a figure, defined once for every stage.

(Not named ``numbers``: ``rag/pdfworker.py`` runs as a script with ``rag/`` on ``sys.path``, where a
module named like a standard one would shadow it.)

Figure extraction, premise checks, the synthesis checks and the evaluation's citation support all
read numbers with these patterns, so the evaluation measures what the answer path enforces.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .markers import FOOTNOTE_RE

SEPARATORS = ",\u00a0\u2009\u202f"  # thousands separators: comma, no-break, thin, narrow no-break space
NUMBER = rf"\d{{1,3}}(?:[{SEPARATORS}]\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?"
"""A number as written in a figure: 750,000 · 750 000 (no-break space) · 5.5 · 1933."""
NUMBER_TOKEN_RE = re.compile(r"\d[\d,.]*\d|\d")
"""A number as a search token: a run of digits with separators inside (``tokenize`` keeps it whole)."""
YEAR_RE = re.compile(r"1[89]\d\d|20\d\d")
"""A bare number read as a year."""
SCALES = {
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "bn": Decimal(10) ** 9,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}
FIGURE_RE = re.compile(
    rf"(?<![\w.,])(?P<a>{NUMBER})"
    rf"(?:\s*(?P<conn>[–—‒\-/]|to|and)\s*(?P<b>{NUMBER}))?"
    r"(?:\s*(?P<unit>%|(?:per\s?cent|percent|thousand|million|billion|trillion|bn)\b))?",
    re.I,
)
_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
WORDS = {w: i for i, w in enumerate(_SMALL)} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a": 1,
}
WORD_SCALE_RE = re.compile(
    r"\b(" + "|".join(sorted(WORDS, key=len, reverse=True)) + r")\s+(thousand|million|billion|trillion)\b",
    re.I,
)

Key = tuple[str, Decimal]


def parse_number(raw: str) -> Decimal | None:
    """The value of a number as written ("750,000" → 750000), or None."""
    try:
        return Decimal(re.sub(f"[{SEPARATORS}]", "", raw))
    except InvalidOperation:
        return None


def _unit(raw: str | None) -> str:
    u = (raw or "").lower().replace(" ", "")
    return "%" if u in {"%", "percent"} else u


def _values(m: re.Match) -> list[tuple[str, Decimal]]:
    """The numbers of one match: ``1931–33`` gives 1931 and 1933."""
    conn = (m.group("conn") or "").lower()
    values: list[tuple[str, Decimal]] = []
    for name in ("a", "b"):
        raw = m.group(name)
        v = None if raw is None else parse_number(raw)
        if raw is None or v is None:
            continue
        if name == "b" and conn in "–—‒-/" and len(raw) == 2 and len(m.group("a")) == 4:
            a = int(m.group("a"))  # 1931–33 -> 1933
            full = a - a % 100 + int(raw)
            if full > a:
                values.append((raw, Decimal(full)))
                continue
        values.append((raw, v))
    return values


def figures(text: str) -> list[tuple[str, tuple[Key, ...]]]:
    """[(as written, keys)] for every figure in ``text``; a figure is supported if one key is shared.

    Keys normalise thousands separators, dashes (``1931–33`` yields 1931 and 1933), scales
    (``5.5 million`` = 5,500,000) and percentages; number words are read before a scale (``three million``).
    """
    text = WORD_SCALE_RE.sub(lambda m: f"{WORDS[m.group(1).lower()]} {m.group(2)}", text)
    out: list[tuple[str, tuple[Key, ...]]] = []
    for m in FIGURE_RE.finditer(text):
        unit = _unit(m.group("unit"))
        u = m.group("unit") or ""
        for raw, v in _values(m):
            if unit == "%":
                keys: tuple[Key, ...] = (("%", v),)
            else:
                keys = (("n", v * SCALES.get(unit, Decimal(1))),)
            out.append((raw + (u if u == "%" else f" {u}" if u else ""), keys))
    return out


def available(text: str) -> set[Key]:
    """Every key a passage's text supports: its figures, their scaled values, and bare numbers.
    Footnote references (``[29]``) are not figures."""
    keys: set[Key] = set()
    for raw, ks in figures(FOOTNOTE_RE.sub(" ", text)):
        keys.update(ks)
        v = parse_number(raw.split()[0])
        if v is not None:
            keys.add(("n", v))  # "5.5" in a sentence is supported by "5.5 million"
    return keys


def unsupported(statement: str, have: set[Key]) -> list[str]:
    """The figures of ``statement`` (as written) that share no key with ``have``."""
    return [raw for raw, keys in figures(FOOTNOTE_RE.sub(" ", statement)) if not any(k in have for k in keys)]


def supported(statement: str, texts: list[str] | tuple[str, ...]) -> bool:
    """A statement's figures are supported when each occurs (by value) in one of the cited texts."""
    have: set[Key] = set()
    for t in texts:
        have |= available(t)
    return not unsupported(statement, have)


def shown_in(figure: str, text: str) -> bool:
    """A figure shown beside a passage (a figure comparison) must appear in it verbatim."""
    return figure in text
