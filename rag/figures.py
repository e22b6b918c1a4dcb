"""Quantities in quotes, typed by what they count, so the two sides can be compared.

Pure functions: ``extract`` finds figures like "750,000 trucks", "$376 million", "1933";
``compare`` pairs essay and literature figures of the same kind that the question asks about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .models import FigureComparison
from .numeric import NUMBER, WORD_SCALE_RE, WORDS, YEAR_RE, parse_number

# Generic kinds; a corpus adds the things its figures count (corpus.yaml ``figure_kinds``).
KINDS: dict[str, tuple[str, ...]] = {
    "tons": ("ton", "tons", "tonnes", "tonnage"),
    "deaths": ("death", "deaths", "dead", "died", "killed", "victims", "executions", "executed", "shot"),
    "people": ("people", "prisoners", "persons", "inmates", "deportees", "deported", "relocated", "peasants"),
    "percent": ("%", "percent", "per cent"),
    "dollars": ("$", "dollars"),
}
WORD_KIND = {w: k for k, ws in KINDS.items() for w in ws}
NUM = NUMBER
FIG_RE = re.compile(
    rf"(?P<dollar>\$)?(?<![\w,.])(?P<num>{NUM})(?:\s*(?:–|-|to)\s*(?P<num2>{NUM}))?"
    rf"(?P<scale>\s*(?:million|billion|thousand))?(?P<pct>\s*(?:%|percent|per cent))?"
)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
YEAR_WORDS = {"when", "year", "years", "date", "begin", "began", "start", "started", "dates"}


def add_kinds(kinds: dict[str, tuple[str, ...]]) -> None:
    """Learn a corpus's figure kinds (corpus.yaml ``figure_kinds``: trucks -> truck, jeeps ...).

    Kinds and words are added, never removed, so corpora loaded in one process share them; the
    extraction cache is dropped only when something new arrives."""
    changed = False
    for kind, words in kinds.items():
        merged = tuple(dict.fromkeys((*KINDS.get(kind, ()), *words)))
        if merged != KINDS.get(kind):
            KINDS[kind] = merged
            changed = True
    if changed:
        WORD_KIND.update({w: k for k, ws in KINDS.items() for w in ws})
        _extract.cache_clear()


@dataclass(frozen=True)
class Quantity:
    kind: str
    text: str
    value: float
    start: int


def _value(num: str, scale: str | None) -> float:
    v = float(parse_number(num) or 0)
    return v * _SCALES.get((scale or "").strip(), 1)


def extract(text: str) -> list[Quantity]:
    """Typed quantities of ``text`` (cached: sentences recur across questions)."""
    return list(_extract(text))


@lru_cache(maxsize=16384)
def _extract(text: str) -> tuple[Quantity, ...]:
    out: list[Quantity] = []
    for m in FIG_RE.finditer(text):
        num = m.group("num")
        scale = m.group("scale")
        shown = m.group(0).strip()
        kind = ""
        if m.group("dollar"):
            kind = "dollars"
        elif m.group("pct"):
            kind = "percent"
        elif YEAR_RE.fullmatch(num) and not m.group("num2") and not scale:
            kind = "year"  # "between 1929 and Stalin's death in 1953": a date, not a death toll
        else:
            kind = _kind_after(text, m.end())
            if not kind and YEAR_RE.fullmatch(num) and not m.group("num2"):
                kind = "year"
        if kind:
            out.append(Quantity(kind, shown, _value(num, scale), m.start()))
    # "about ten million people a day": a round figure written in words, after the figures in
    # digits, which are the more precise where a passage has both ("three million, 3.3 million")
    for m in WORD_SCALE_RE.finditer(text):
        kind = _kind_after(text, m.end())
        if kind:
            value = WORDS[m.group(1).lower()] * _SCALES[m.group(2).lower()]
            out.append(Quantity(kind, m.group(0), float(value), m.start()))
    return tuple(out)


def _kind_after(text: str, end: int) -> str:
    """What the figure ending at ``end`` counts, from the next few words."""
    words = re.findall(r"[A-Za-z]+", text[end : end + 60])[:4]
    found = [WORD_KIND[w.lower()] for w in words if w.lower() in WORD_KIND]
    # "1.5–1.7 million people died": a head count that died is a death toll
    return "deaths" if "deaths" in found[:2] else (found[0] if found else "")


def asked_kinds(question: str) -> set[str]:
    words = set(re.findall(r"[a-z%$]+", question.lower()))
    kinds = {WORD_KIND[w] for w in words if w in WORD_KIND}
    if words & YEAR_WORDS:
        kinds.add("year")
    if {"how", "many"} <= words or {"how", "much"} <= words:
        kinds.add("*")
    return kinds


def counted_kinds(question: str) -> set[str]:
    """The kinds a question counts: the words right after "how many / how much / number of"
    ("how many died" → deaths), not every kind word it mentions ("exiled peasants")."""
    out: set[str] = set()
    for m in re.finditer(
        r"\b(?:how many|how much|number of|toll of|count of)\s+((?:[a-z%$-]+\s*){1,3})", question.lower()
    ):
        out |= {WORD_KIND[w] for w in re.findall(r"[a-z%$]+", m.group(1)) if w in WORD_KIND}
    return out


# Counting questions in the other languages the multilingual encoder reads: its vectors carry
# the topic but not what is counted ("Сколько танков…" came back with the weapons-quality claim)
FOREIGN_COUNT_RE = re.compile(r"\b(?:wie viele|wieviele|wie viel|cu[aá]nt[oa]s?|combien|сколько)\b", re.I)
FOREIGN_KINDS = {
    "trucks": ("lastwagen", "lkw", "camion", "camión", "грузовик", "автомобил"),
    "tanks": ("panzer", "tanque", "char ", "chars", "blindé", "танк"),
    "aircraft": ("flugzeug", "avion", "aviones", "самолет", "самолёт"),
    "deaths": (
        "tote",
        "todesopfer",
        "starb",
        "muert",
        "murie",
        "murió",
        "mort",
        "décès",
        "décéd",
        "погиб",
        "умер",
        "смерт",
        "жертв",
        "убит",
        "расстрел",
        "erschoss",
        "fusill",
        "ejecut",
        "exécut",
    ),
    "tons": ("tonnen", "tonelada", "tonne", "тонн"),
    "people": (
        "menschen",
        "personas",
        "personnes",
        "paysans",
        "bauern",
        "campesinos",
        "человек",
        "крестьян",
        "люд",
    ),
}


def foreign_counted_kinds(question: str) -> set[str]:
    """The kinds a German, Spanish, French or Russian question counts ("wie viele Lastwagen")."""
    low = question.lower()
    if not FOREIGN_COUNT_RE.search(low):
        return set()
    out = {kind for kind, stems in FOREIGN_KINDS.items() if any(s in low for s in stems)}
    return out - {"people"} if "deaths" in out else out  # "how many people died" counts deaths


def compare(question: str, essay_quote: str, literature: list[tuple[str, str]]) -> list[FigureComparison]:
    """Pair the essay quote's figures with the first literature quote giving the same kind.

    ``literature`` is [(marker, quote)]. Only kinds the question asks about are compared, so a
    question about trucks does not produce a comparison of years.
    """
    wanted = asked_kinds(question)
    if not wanted:
        return []
    out: list[FigureComparison] = []
    seen: set[str] = set()
    for q in extract(essay_quote):
        if q.kind in seen or not (q.kind in wanted or ("*" in wanted and q.kind != "year")):
            continue
        for marker, lq in literature:
            match = next((x for x in extract(lq) if x.kind == q.kind), None)
            if match:
                out.append(FigureComparison(q.kind, q.text, match.text, "", "E1", marker, "extracted"))
                seen.add(q.kind)
                break
    return out
