"""Lexical side: a deterministic tokenizer and Lucene BM25 (checked against bm25s), as small pure functions.

Numbers keep their value across spellings ("427,284" and "427284" are the same token), so
figure questions match figure passages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from .numeric import NUMBER_TOKEN_RE

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "did",
        "does",
        "ever",
        "say",
        "says",
        "said",
        "tell",
        "told",
        "according",
    ]
)

# A word as typed: a letter, then letters, digits, apostrophes or hyphens ("Stalin's", "T-34s").
WORD_RE = re.compile(r"[^\W\d_][\w’'-]*")
_TOKEN_RE = re.compile(NUMBER_TOKEN_RE.pattern + r"|[a-z]+")

try:  # optional dependency: degrade to no stemming
    import Stemmer

    _STEM = Stemmer.Stemmer("english").stemWord
except Exception:  # pragma: no cover - exercised only without PyStemmer
    _STEM = None


def fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEM(word) if _STEM else word


def normalize_number(tok: str) -> str:
    if "," in tok:
        tok = tok.replace(",", "")
    return tok.rstrip(".")


# Irregular forms the Snowball stemmer leaves apart ("began" vs "begin", "sent" vs "send"); a
# corpus adds its domain words (corpus.yaml ``synonyms``: "ussr" -> "soviet") with add_synonyms.
IRREGULAR = {
    "began": "begin",
    "begun": "begin",
    "sent": "send",
    "built": "build",
    "won": "win",
    "fought": "fight",
    "gave": "give",
    "given": "give",
    "made": "make",
    "took": "take",
    "taken": "take",
    "led": "lead",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "knew": "know",
    "known": "know",
    "thought": "think",
    "brought": "bring",
    "bought": "buy",
    "paid": "pay",
    "lost": "lose",
    "died": "death",
    "dead": "death",
    "die": "death",
    "dying": "death",
    "deaths": "death",
    "killed": "kill",
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "people",
    "criticise": "criticize",
    "criticised": "criticize",
    "criticism": "criticize",
}


def add_synonyms(synonyms: dict[str, str]) -> None:
    """Fold a corpus's domain words together (corpus.yaml ``synonyms``), before anything is tokenized.

    Words are added, never removed, so corpora loaded in one process share one tokenizer; the
    token cache is dropped only when something new arrives."""
    new = {fold(k): fold(v) for k, v in synonyms.items() if IRREGULAR.get(fold(k)) != fold(v)}
    if new:
        IRREGULAR.update(new)
        _tokenize.cache_clear()


def tokenize(text: str, stem: bool = True) -> list[str]:
    """Lowercase, accent-folded content tokens; numbers normalised; stopwords dropped."""
    return list(_tokenize(text, stem))


@lru_cache(maxsize=32768)
def _tokenize(text: str, stem: bool) -> tuple[str, ...]:
    """Cached: passage and sentence texts recur across questions on the warm path."""
    out = []
    for tok in _TOKEN_RE.findall(fold(text)):
        if tok[0].isdigit():
            out.append(normalize_number(tok))
        elif tok not in STOPWORDS and len(tok) > 1:
            tok = IRREGULAR.get(tok, tok)
            out.append(_stem(tok) if stem else tok)
    return tuple(out)


def idf(df: int, n: int) -> float:
    """Lucene BM25 idf, always positive."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def bm25_term(tf: int, dl: int, avgdl: float, df: int, n: int, k1: float = 1.5, b: float = 0.75) -> float:
    """Lucene (8+) BM25 score of one term in one document: no (k1 + 1) factor."""
    if tf == 0:
        return 0.0
    return idf(df, n) * tf / (tf + k1 * (1 - b + b * dl / avgdl))


class BM25Index:
    """Lucene BM25 over pre-tokenised documents, with ids. Each (term, document) weight is fixed
    once the index is built, so they are computed here and a query only adds them up: no scipy
    import on the cold path (bm25s, the reference the tests compare with, pulls it in)."""

    def __init__(
        self, ids: Sequence[str], token_lists: Sequence[list[str]], k1: float = 1.5, b: float = 0.75
    ):
        import numpy as np

        self.ids = list(ids)
        self.df: Counter[str] = Counter()
        for toks in token_lists:
            self.df.update(set(toks))
        self.n = len(self.ids)
        avgdl = (sum(len(t) for t in token_lists) / self.n) if self.n else 1.0
        rows: dict[str, tuple[list[int], list[float]]] = {}
        for i, toks in enumerate(token_lists):
            dl = len(toks)
            for term, tf in Counter(toks).items():
                docs, weights = rows.setdefault(term, ([], []))
                docs.append(i)
                weights.append(bm25_term(tf, dl, avgdl or 1.0, self.df[term], self.n, k1, b))
        self._postings = {
            t: (np.asarray(d, dtype=np.intp), np.asarray(w, dtype=np.float64)) for t, (d, w) in rows.items()
        }

    def search(self, tokens: Iterable[str], k: int) -> list[tuple[str, float]]:
        """Best ``k`` documents; a query word given twice counts twice (as in bm25s)."""
        q = [t for t in tokens if t in self._postings]
        if not q or k <= 0 or not self.n:
            return []
        import numpy as np

        scores = np.zeros(self.n)
        for t in q:
            docs, weights = self._postings[t]
            scores[docs] += weights
        top = np.argsort(-scores, kind="stable")[: min(k, self.n)]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def idf(self, token: str) -> float:
        return idf(self.df.get(token, 0), max(self.n, 1))
