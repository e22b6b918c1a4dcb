"""Resolve short follow-ups ("and the tanks?") against earlier questions, without a model.

Rule: a question is a follow-up when it starts with a connective (and, but, what about, how
about, also), or uses a pronoun with no noun of its own to refer to (they, it, that, those,
he, she, them, this), or has at most two content words and no name or number of its own. It then inherits the context of the
last question, minus that question's *focus* (the noun phrase after "how many/how much/which/
what/who"), which the follow-up replaces: "How many trucks did the Allies send to the Soviet
Union?" + "And the tanks?" -> "And the tanks? (Allies send Soviet Union)".
"""
from __future__ import annotations

import re

from .lexical import STOPWORDS

CONNECTIVE_RE = re.compile(r"^\s*(and|but|also|what about|how about|then|so)\b", re.I)
PRONOUN_RE = re.compile(r"\b(they|them|it|its|that|those|this|these|he|she|him|her|his|there)\b", re.I)
FOCUS_RE = re.compile(
    r"\b(how many|how much|which|what|who|whom|when)\s+((?:[\w’'-]+\s+){0,4}?)(?=did|do|does|was|were|is|are|has|have|had|will|would|could|can|\?|$)",
    re.I)


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z][\w’'-]*|\d[\d,.]*", text) if w.lower() not in STOPWORDS]


def is_followup(question: str) -> bool:
    words = content_words(question)
    if CONNECTIVE_RE.match(question):
        return True
    proper = [w for w in words[1:] if w[0].isupper()] + [w for w in words if w[0].isdigit()]
    if len(words) <= 2 and not proper:
        return True
    return bool(PRONOUN_RE.search(question)) and len(words) <= 4


def context_of(previous: str) -> str:
    """The previous question's content words minus its focus phrase."""
    focus = FOCUS_RE.search(previous)
    text = previous
    if focus:
        text = previous[: focus.start(2)] + previous[focus.end(2):]
    return " ".join(w for w in content_words(text) if w.lower() not in {"many", "much"})


def resolve(question: str, history: list[str] | None) -> str:
    history = [h for h in (history or []) if h and h.strip()]
    if not history or not is_followup(question):
        return question.strip()
    ctx = context_of(history[-1])
    if not ctx:
        return question.strip()
    return f"{question.strip()} ({ctx})"
