"""Overview answers from curated data: the essay's own profile and the claims inventory.

"What are the biggest errors in it?" or "is any of it accurate?" is not answered by the three
nearest passages but by the reviewed claims themselves (counted and listed by code) and by the
profile written about the essay. Pure functions; the corpus says which profile is the essay's
(front matter ``subject: essay`` or the essay's bibliography key).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from .lexical import WORD_RE, tokenize
from .models import VERDICTS, Claim

WRONG_RE = re.compile(
    r"\b(errors?|mistakes?|wrong|false\w*|inaccura\w*|lies|lying|debunk\w*|distort\w*|"
    r"mislead\w*|problems?|flaws?|incorrect)\b",
    re.I,
)
NOT_WRONG_RE = re.compile(
    r"\b(?:isn'?t|is not|aren'?t|are not|not)\s+(?:all|entirely|completely|totally|just)?\s*(?:wrong|false)\b",
    re.I,
)
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


def inventory_sentence(
    counts: dict[str, int], first: Sequence[str] = (), section: str = "", topic: str = ""
) -> str:
    """ "Of the essay's 66 reviewed claims, 13 are contradicted by the literature, …": the verdicts
    asked about come first."""
    total = sum(counts.values())
    order = list(first) + [v for v in counts if v not in first]
    parts = [f"{counts[v]} {VERDICT_PHRASES[v]}" for v in order if counts.get(v)]
    if parts:
        parts[0] = (
            parts[0].replace(" ", " are ", 1) if counts[order[0]] != 1 else parts[0].replace(" ", " is ", 1)
        )
    listed = ", ".join(parts[:-1]) + (f" and {parts[-1]}" if len(parts) > 1 else parts[0] if parts else "")
    if topic:
        return f"Of the essay's {total} reviewed claims on “{topic}”, {listed}."
    where = f"reviewed claims in the essay's section “{section}”" if section else "reviewed claims"
    return f"Of the {total} {where}, {listed}." if section else f"Of the essay's {total} {where}, {listed}."


# Words that mark which section of the essay's profile answers which kind of broad question.
SECTION_CUES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(r"\b(gist|about|summar\w*|overview|argu\w*|main point|tl;?dr|nutshell)\b", re.I),
        ("gist", "about"),
    ),
    (
        re.compile(r"\b(errors?|mistakes?|wrong|false\w*|inaccura\w*|lies|debunk\w*)\b", re.I),
        ("errors", "wrong"),
    ),
    (re.compile(r"\b(right|accurate|true|correct)\b", re.I), ("right",)),
    (
        re.compile(
            r"\b(denial|deni\w+|antisemit\w*|anti-semit\w*|misinformation|propaganda|extremis\w*|take it down)\b",
            re.I,
        ),
        ("denial", "antisemitic", "misinformation"),
    ),
    (re.compile(r"\b(teach\w*|class(?:room)?|students?|lesson)\b", re.I), ("teach",)),
    (
        re.compile(r"\b(reliabl\w*|trust\w*|credib\w*|legit\w*|stand|politic\w*|far right)\b", re.I),
        ("reliable", "stands"),
    ),
    (re.compile(r"\b(who (?:wrote|is|was)|author|writer|wear)\b", re.I), ("who wrote", "who is")),
    (re.compile(r"\b(sources?|cites?|footnotes?|relies)\b", re.I), ("sources", "relies")),
)


def section_cue(question: str, heading: str) -> bool:
    """True when a profile section's heading answers this kind of broad question."""
    h = heading.lower()
    return any(pat.search(question) and any(w in h for w in words) for pat, words in SECTION_CUES)


NAMED_VERDICTS = (
    ("contradicted", r"contradict\w*"),
    ("needs-context", r"needs? context|partly"),
    ("disputed", r"disputed|contested"),
    ("unverifiable", r"unverifi\w*|opinion"),
    ("consistent", r"consistent"),
)


def wanted_verdicts(question: str) -> tuple[str, ...]:
    """Which verdicts a right/wrong question asks for: named verdicts first, errors → contradicted.

    "How reliable is it overall?" names no class of claim: () — it is answered by the counts,
    not by a list of every claim."""
    named = tuple(v for v, pat in NAMED_VERDICTS if re.search(pat, question, re.I))
    if named:
        return named
    asked = NOT_WRONG_RE.sub(" ", question)  # "…so they see it isn't all wrong" asks what is right
    wrong, right = bool(WRONG_RE.search(asked)), bool(RIGHT_RE.search(asked))
    if wrong and not right:
        return ("contradicted", "unverifiable")
    if right and not wrong:
        return ("consistent", "needs-context")
    if wrong and right:
        return ("contradicted", "consistent")
    return ()


SECTIONWORD_RE = re.compile(r"\b(?:section|part|chapter|bit)s?\b", re.I)
_NOT_A_SECTION_WORD = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "and",
        "first",
        "last",
        "this",
        "that",
        "essay",
        "its",
        "about",
        "for",
        "to",
        "with",
    ]
)


def _words(text: str) -> set[str]:
    """Folded words, possessives dropped ("Stalin’s" is "stalin"), plural -s dropped."""
    out = set()
    for w in WORD_RE.findall(text):
        w = re.sub(r"[’'](?:s)?$", "", w.lower()).strip("’'-")
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") else w)
    return out - _NOT_A_SECTION_WORD


def _near_words(question: str, m: re.Match[str]) -> set[str]:
    """The few words before "section" ("the Roosevelt section"), or after "section on"."""
    before = WORD_RE.findall(question[: m.start()])[-4:]
    after = re.match(r"\s+(?:on|about)\s+((?:[\w’'-]+\s*){1,4})", question[m.end() :], re.I)
    return _words(" ".join(before) + " " + (after.group(1) if after else ""))


def named_section(question: str, sections: Iterable[str], texts: Mapping[str, str] | None = None) -> str:
    """The essay section a question names ("the 'Roosevelt Admires Stalin' section", "the
    roosevelt part", "the section on American aid"), or "": the heading that shares the most
    words with the words around "section"/"part", and strictly more than any other; failing
    that, the one section whose ``texts`` use those words ("the Lend-Lease section")."""
    headings = list(dict.fromkeys(sections))
    near = set().union(*(_near_words(question, m) for m in SECTIONWORD_RE.finditer(question)))
    found = _strict_best([(len(near & _words(h)), h) for h in headings])
    if found or not texts or not near:
        return found
    asked = set(tokenize(" ".join(near))) - _GENERIC_TOKENS  # synonyms too: "lend-lease" is aid
    counts = {h: Counter(tokenize(texts.get(h, ""))) for h in headings}
    return _strict_best([(sum(counts[h][t] for t in asked), h) for h in headings])


_GENERIC_TOKENS = frozenset(tokenize("which what claims claim bits bit part section chapter essay article"))


def _strict_best(scored: list[tuple[int, str]]) -> str:
    scored = sorted(scored, key=lambda x: -x[0])
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return ""
    return scored[0][1]


# Words of a right/wrong question that name no topic of the essay's claims.
_NOT_A_TOPIC = frozenset(
    tokenize(
        "essay article author wear claims claim numbers number figures figure statistics stats facts "
        "reliable reliability overall whole accurate accuracy true false right wrong correct errors error "
        "mistakes teach teacher students class lesson option course worksheet unit check checked evidence "
        "actually really give list which what how many much few some any find label post sharing team "
        "world war ii poison partners inconvenient history information label post share sharing "
        "want wants need needs put use using know tell think say says see get make show help ask "
        "look mean like go going quote cite members member thing things stuff part parts bits "
        "sentence sentences line lines paragraph passage just so then also"
    )
)


TOPIC_SLOT_RES = (
    # "about the gulag", "on lend-lease", "regarding the famine"
    re.compile(
        r"\b(?:about|on|regarding|concerning)\s+(?:the\s+|its\s+|his\s+)?([\w’'-]+(?:\s+[\w’'-]+)?)", re.I
    ),
    # "the tank numbers", "its gulag figures", "the lend-lease stuff"
    re.compile(
        r"\b([\w’'-]+)\s+(?:numbers|figures|claims|statistics|stats|stuff|bits|facts|data|counts|estimates|dates)\b",
        re.I,
    ),
    # "why it misdates the second and third Five-Year Plans", "does it exaggerate the famine"
    re.compile(
        r"\b(?:misdat|misquot|exaggerat|overstat|inflat|understat|misrepresent|distort)\w*\s+"
        r"(?:the\s+|its\s+|his\s+)?((?:[\w’'-]+\s+){0,3}[\w’'-]+)",
        re.I,
    ),
)


def topic_slots(question: str) -> list[str]:
    """The words where a right/wrong question names its topic ("about the gulag", "the tank
    numbers"); chat around them ("I'm building a worksheet") is never a topic."""
    return [m.group(1) for rx in TOPIC_SLOT_RES for m in rx.finditer(question)]


def topic_claims(
    question: str,
    claims: Sequence[Claim],
    idf: Callable[[str], float],
    min_idf: float = 1.0,
    digests: bool = True,
) -> list[Claim]:
    """The claims a right/wrong question narrows itself to ("how reliable are the tank numbers in
    this essay?" → the claims that count tanks): those whose quote or figure kinds use a word of
    the question that at least two claims use (one claim's "either" is chance, not a topic).
    [] when it names no topic, or one most claims share."""
    asked = {t for t in set(tokenize(" ".join(topic_slots(question)))) - _NOT_A_TOPIC if idf(t) >= min_idf}
    # the claim's own words, and the names of the digests that review it ("lend-lease-volumes"
    # puts the 750,000 trucks among the Lend-Lease claims though the quote never says Lend-Lease)
    words = {
        c.id: set(
            tokenize(
                f"{c.quote} {' '.join(f.kind for f in c.figures)} "
                + (" ".join(c.digests).replace("-", " ") if digests else "")
            )
        )
        for c in claims
    }
    using = {t: [c for c in claims if t in words[c.id]] for t in asked}
    kept = {t for t, cs in using.items() if len(cs) >= 2}
    out = [c for c in claims if kept & words[c.id]]
    return out if len(out) <= len(claims) // 3 else []


def topic_words(question: str, claims: Sequence[Claim]) -> str:
    """The question's own words for the topic its claims share ("tank"), for the counts line."""
    toks = set().union(*(set(tokenize(f"{c.quote} {' '.join(f.kind for f in c.figures)}")) for c in claims))
    words = [w for w in WORD_RE.findall(question) if set(tokenize(w)) & toks - _NOT_A_TOPIC]
    return " ".join(dict.fromkeys(w.lower() for w in words))


def select(claims: Sequence[Claim], verdicts: Sequence[str], per_paragraph: bool = True) -> list[Claim]:
    """Claims with the wanted verdicts, in verdict order then essay order; one per paragraph, or
    (``per_paragraph=False``, a topic's few claims) every claim but one quoting another's words."""
    out: list[Claim] = []
    seen: set[int] = set()
    for v in verdicts:
        for c in sorted((c for c in claims if c.verdict == v), key=lambda c: (c.paragraph, c.id)):
            if per_paragraph and c.paragraph in seen:
                continue
            if any(o.paragraph == c.paragraph and (o.quote in c.quote or c.quote in o.quote) for o in out):
                continue
            out.append(c)
            seen.add(c.paragraph)
    return out


# A topic's claims, errors first, when the question names no verdict ("how reliable are …?").
TOPIC_ORDER = ("contradicted", "disputed", "unverifiable", "needs-context", "consistent")


def essay_profiles(documents: Sequence, essay_keys: Iterable[str]) -> set[str]:
    """Ids of the profiles written about the essay itself (``subject`` is ``essay`` or its key)."""
    keys = {"essay", *essay_keys}
    return {d.id for d in documents if d.kind == "profile" and str(d.meta.get("subject", "")) in keys}
