"""Resolve follow-ups ("and the tanks?", "what about him?") against the whole chat history.

A question is a follow-up when it opens with a connective (and, but, so, also, what about,
how about, then), or leans on a pronoun with few words of its own (he, it, that, those…), or
has at most two content words and no name or number of its own. Its context comes from the
*anchor*: the latest earlier question that was not itself a follow-up, so a subject carries
over two and three turns. An elliptical follow-up ("And aircraft?") replaces the anchor's
focus (the noun phrase after how many / which / what / who); a pronoun follow-up ("Was he
right?") keeps the anchor whole, because the pronoun points at it.
"""

from __future__ import annotations

import re

from .lexical import STOPWORDS, fold

CONNECTIVE_RE = re.compile(
    r"^\s*(and|but|also|what about|how about|then|so|or|plus|ok(?:ay)?,? (?:and|so)|"
    r"und|y|et|а|и|e)\b",
    re.I,
)
PRONOUN_RE = re.compile(
    r"\b(they|them|it|its|that|those|this|these|he|she|him|her|his|hers|there|then|"
    r"the same|such)\b",
    re.I,
)
# pronouns that stand for the earlier subject ("who built it?"), unlike "after that", "then"
SUBJECT_PRONOUN_RE = re.compile(r"\b(it|its|he|him|his|she|her|they|them|their)\b", re.I)
FOCUS_RE = re.compile(
    r"\b(how many|how much|which|what|who|whom|when)\s+((?:[\w’'-]+\s+){0,4}?)"
    r"(?=did|do|does|was|were|is|are|has|have|had|will|would|could|can|\?|$)",
    re.I,
)
GENERIC = {
    "many",
    "much",
    "number",
    "figure",
    "figures",
    "really",
    "true",
    "right",
    "wrong",
    "exactly",
    "actually",
    "please",
    "tell",
    "more",
    "about",
    "else",
    "other",
    "same",
    "ok",
    "okay",
}


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_][\w’'-]*|\d[\d,.]*", text) if w.lower() not in STOPWORDS]


# "did it make tanks from the start…?", "was he ever punished for it?": a question whose subject
# is a pronoun leans on the one before, however long ("is it true that…" is no such question)
LEANS_RE = re.compile(
    r"^\W*(?:did|does|do|was|were|is|are|has|have|had|can|could|would|will|why did|how did|when did|"
    r"where did|what did)\s+(?:it|he|she|they)\b(?!\s+(?:true|right|correct|possible|fair|ok|okay|safe|"
    r"accurate|legit|fine|wrong|false|a\b|an\b|the\b))",
    re.I,
)


DUMMY_IT_RE = re.compile(
    r"\b(?:is|was|isn'?t|wasn'?t)\s+it\s+(?:really\s+)?(?:true|right|correct|fair|possible|accurate)\b(?:\s+that\b)?",
    re.I,
)


def is_followup(question: str) -> bool:
    words = [w for w in content_words(question) if w.lower() not in GENERIC]
    if CONNECTIVE_RE.match(question) or LEANS_RE.match(question):
        return True
    proper = [w for w in words[1:] if w[0].isupper()] + [w for w in words if w[0].isdigit()]
    if len(words) <= 2 and not proper:
        return True
    plain = DUMMY_IT_RE.sub(" ", question)  # "is it true that the gulag…": no pronoun for the past
    return bool(PRONOUN_RE.search(plain)) and len(words) <= 4


def needs_anchor_focus(question: str) -> bool:
    """True when the follow-up names nothing of its own ("what about him?", "was he right?"), so
    the pronoun points at the anchor's focus, which must then be kept."""
    own = [w for w in content_words(question) if w.lower() not in GENERIC and not PRONOUN_RE.fullmatch(w)]
    return not own


def context_of(previous: str, keep_focus: bool = False, replaced: frozenset[str] = frozenset()) -> str:
    """The previous question's content words, minus its focus phrase unless ``keep_focus``, and
    minus the words ``replaced`` (names the follow-up swaps for its own)."""
    text = previous
    focus = FOCUS_RE.search(previous)
    if focus and not keep_focus:
        text = previous[: focus.start(2)] + previous[focus.end(2) :]
    words = [w for w in content_words(text) if w.lower() not in GENERIC and fold(w) not in replaced]
    if not words and not keep_focus:
        return context_of(previous, keep_focus=True, replaced=replaced)
    return " ".join(words)


def _is_kind_word(w: str) -> bool:
    from .figures import WORD_KIND

    return fold(w).rstrip("’'") in WORD_KIND


def anchor(history: list[str]) -> str:
    """The latest earlier question that stands on its own (not a follow-up)."""
    for h in reversed(history):
        if not is_followup(h):
            return h
    return history[0] if history else ""


def _swapped_names(q: str, base: str, names: frozenset[str]) -> tuple[set[str], frozenset[str]]:
    """(names an elliptical follow-up brings, the anchor's names it replaces): "and Chelyabinsk?"."""
    own = content_words(q)
    # "but who built it, americans?": the pronoun points at the anchor's subject, which stays
    elliptical = (
        bool(CONNECTIVE_RE.match(q))
        and len([w for w in own if w.lower() not in GENERIC]) <= 2
        and not SUBJECT_PRONOUN_RE.search(q)
    )
    own_names = ({fold(w) for w in own} & names) if elliptical else set()
    if not own_names:
        return own_names, frozenset()
    return own_names, frozenset(fold(w) for w in content_words(base) if fold(w) in names)


def _later_words(
    q: str, history: list[str], base: str, ctx: str, own_names: set[str], names: frozenset[str]
) -> list[str]:
    """Words of the follow-ups between the anchor and this question ("Where was it published?"
    → "published"), minus those this question swaps (a new name or a new counted kind)."""
    later = history[history.index(base) + 1 :] if base in history else []
    swaps_kind = any(_is_kind_word(w) for w in content_words(q))
    return [
        w
        for h in later
        for w in content_words(h)
        if w.lower() not in GENERIC
        and not (swaps_kind and _is_kind_word(w))
        and not (own_names and fold(w) in names)
        and w.lower() not in ctx.lower()
    ]


def resolve_history(
    question: str, history: list[str] | None, names: frozenset[str] = frozenset()
) -> tuple[str, bool]:
    """(text for retrieval, whether the question was read as a follow-up).

    ``names`` are the corpus's own names: a follow-up that names one ("and Chelyabinsk?")
    replaces the anchor's names, and one that names a countable kind ("and tanks?") replaces
    the anchor's focus; otherwise the anchor's subject ("how much Lend-Lease…") is kept."""
    history = [h for h in (history or []) if isinstance(h, str) and h.strip()][-6:]
    q = question.strip()
    if not history or not is_followup(q):
        return q, False
    base = anchor(history)
    own_names, replaced = _swapped_names(q, base, names)
    focus = FOCUS_RE.search(base)
    focus_is_kind = bool(focus and any(_is_kind_word(w) for w in focus.group(2).split()))
    keep = needs_anchor_focus(q) or bool(own_names) or not focus_is_kind
    ctx = context_of(base, keep_focus=keep, replaced=replaced)
    extra = _later_words(q, history, base, ctx, own_names, names)
    if extra:
        ctx = " ".join([ctx, *dict.fromkeys(extra)]).strip()
    if not ctx:
        return q, False
    return f"{q} ({ctx})", True


def resolve(question: str, history: list[str] | None) -> str:
    return resolve_history(question, history)[0]
