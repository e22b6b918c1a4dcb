"""Input limits at every edge (Python API, web, REST, CLI): one set of rules, messages for the reader."""

from __future__ import annotations

import itertools
import unicodedata
from typing import Any

from .settings import Settings


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message is for the reader."""


_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)], " ")
EMPTY = "Please type a question about the essay or its subject."


def normalise_text(text: str) -> str:
    """NFC, lone surrogates (invalid code points) as U+FFFD, control characters as spaces."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return unicodedata.normalize("NFC", text).translate(_CONTROL)


def check_question(question: Any, settings: Settings) -> str:
    """The question, normalised (invalid code points replaced, control characters dropped), or
    a QuestionError whose message is for the reader. ``None`` counts as an empty question."""
    if question is not None and not isinstance(question, str):
        raise QuestionError(f"The question must be text, not {type(question).__name__}.")
    q = (question or "").strip()
    if not q:
        raise QuestionError(EMPTY)
    if len(q) > settings.max_question_chars:
        raise QuestionError(
            f"That question is {len(q):,} characters long; the limit is "
            f"{settings.max_question_chars:,}. Please shorten it."
        )
    q = normalise_text(q).strip()
    if not q:
        raise QuestionError(EMPTY)
    return q


def _history_items(history: Any, limit: int) -> list[Any]:
    if isinstance(history, str):
        return [history]
    if isinstance(history, (bytes, bytearray, dict)) or not hasattr(history, "__iter__"):
        raise QuestionError(f"The history must be a list of earlier questions, not {type(history).__name__}.")
    items = list(itertools.islice(iter(history), limit + 1))
    if len(items) > limit:
        n = f"{len(history):,}" if hasattr(history, "__len__") else f"more than {limit:,}"
        raise QuestionError(f"The history has {n} earlier questions; the limit is {limit:,}.")
    return items


def check_history(history: Any, settings: Settings) -> list[str]:
    """Earlier questions of the conversation, oldest first, checked like questions.

    ``None`` or empty: no history. A plain string counts as one earlier question (never as a
    sequence of characters). Any other non-list (a dict, a number, bytes) and any item that is
    not a string are refused; blank items are dropped. Limits: each item as a question
    (``max_question_chars``), at most ``max_history_items`` items and ``max_history_chars`` in all.
    """
    if history is None:
        return []
    out, total = [], 0
    for i, h in enumerate(_history_items(history, settings.max_history_items), 1):
        if not isinstance(h, str):
            raise QuestionError(f"History: earlier question {i} must be text, not {type(h).__name__}.")
        h = h.strip()
        if len(h) > settings.max_question_chars:
            raise QuestionError(
                f"History: earlier question {i} is {len(h):,} characters long; the limit "
                f"is {settings.max_question_chars:,}."
            )
        total += len(h)
        if h:
            out.append(normalise_text(h).strip())
    if total > settings.max_history_chars:
        raise QuestionError(
            f"The history has {total:,} characters of earlier questions; the limit is "
            f"{settings.max_history_chars:,}."
        )
    return [h for h in out if h]
