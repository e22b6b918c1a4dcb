"""Stage 2½: question analysis. A typed record of what the reader asked, before retrieval.

Pure functions over the question text, the chat history and the corpus's own vocabulary
(``Lexicon``): language, intent, sub-questions, an asserted premise, the names it mentions
(case-insensitively, anywhere), and whether it is a follow-up. No model is involved, so every
decision here can be tested on hand-built inputs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from .figures import Quantity, extract
from .followup import resolve_history
from .lexical import STOPWORDS, WORD_RE, fold, tokenize

# --- language -------------------------------------------------------------------------------
# Function words that are frequent in a language and rare in English questions. Two or more hits
# (and more than the English ones) decide; a script decides outright.
LANG_WORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "wie",
            "viele",
            "wieviele",
            "wer",
            "was",
            "wann",
            "warum",
            "hat",
            "haben",
            "wurde",
            "wurden",
            "wirklich",
            "freund",
            "nur",
            "sehr",
            "über",
            "noch",
            "schon",
            "welche",
            "welcher",
            "welches",
            "wirklich",
            "eigentlich",
            "den",
            "dem",
            "des",
            "ein",
            "eine",
            "einen",
            "sind",
            "im",
            "vom",
            "zum",
            "zur",
            "mit",
            "auch",
            "oder",
            "gab",
            "gibt",
            "hatte",
            "stimmt",
            "dass",
            "diesem",
            "dieser",
            "diese",
            "essay",
            "lastwagen",
            "panzer",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "y",
            "es",
            "no",
            "cuántos",
            "cuántas",
            "cuantos",
            "cuantas",
            "quién",
            "quien",
            "qué",
            "que",
            "cuándo",
            "cuando",
            "por",
            "qué",
            "del",
            "al",
            "un",
            "una",
            "fue",
            "fueron",
            "hay",
            "son",
            "con",
            "para",
            "como",
            "cómo",
            "muertos",
            "murieron",
            "ensayo",
            "camiones",
            "envió",
            "enviaron",
            "estados",
            "unidos",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "est",
            "ne",
            "pas",
            "combien",
            "qui",
            "quoi",
            "quand",
            "pourquoi",
            "des",
            "du",
            "un",
            "une",
            "a",
            "ont",
            "été",
            "était",
            "sont",
            "avec",
            "pour",
            "comme",
            "au",
            "aux",
            "il",
            "elle",
            "cet",
            "cette",
            "essai",
            "camions",
            "envoyé",
            "morts",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "os",
            "as",
            "e",
            "é",
            "não",
            "quantos",
            "quantas",
            "quem",
            "quando",
            "porque",
            "do",
            "da",
            "dos",
            "das",
            "um",
            "uma",
            "foi",
            "foram",
            "com",
            "para",
            "como",
            "ensaio",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "gli",
            "le",
            "e",
            "è",
            "non",
            "quanti",
            "quante",
            "chi",
            "cosa",
            "quando",
            "perché",
            "del",
            "della",
            "dei",
            "un",
            "una",
            "fu",
            "furono",
            "sono",
            "con",
            "per",
            "come",
            "saggio",
        ]
    ),
}
EN_WORDS = frozenset(
    [
        "the",
        "is",
        "was",
        "were",
        "did",
        "does",
        "do",
        "how",
        "many",
        "much",
        "who",
        "what",
        "when",
        "why",
        "which",
        "of",
        "and",
        "to",
        "in",
        "a",
        "an",
        "it",
        "that",
        "this",
    ]
)
# Languages the multilingual encoder (Google USE multilingual v3) was trained on.
SUPPORTED = frozenset(
    ["en", "de", "es", "fr", "it", "pt", "nl", "pl", "ru", "ar", "zh", "ja", "ko", "th", "tr"]
)
LANG_NAMES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "ar": "Arabic",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "th": "Thai",
    "tr": "Turkish",
    "he": "Hebrew",
    "el": "Greek",
    "hi": "Hindi",
    "uk": "Ukrainian",
    "other": "an unsupported language",
}
SCRIPTS = (
    ("CYRILLIC", "ru"),
    ("ARABIC", "ar"),
    ("HEBREW", "he"),
    ("GREEK", "el"),
    ("DEVANAGARI", "hi"),
    ("HANGUL", "ko"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("CJK", "zh"),
    ("THAI", "th"),
)


def _script_language(text: str, letters: list[str]) -> str | None:
    """The language of a non-Latin script that writes at least 30% of the letters."""
    counts: dict[str, int] = {}
    for c in letters:
        if c.isascii():
            continue
        name = unicodedata.name(c, "")
        lang = next(
            (lg for script, lg in SCRIPTS if name.startswith(script) or f" {script}" in name[:20]), None
        )
        if lang:
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return None
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    if n < 0.3 * len(letters):
        return None
    return "uk" if lang == "ru" and re.search(r"[іїєґ]", text.lower()) else lang


def _word_language(text: str) -> str:
    """Latin-script languages by their function words; accents break near-ties."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    en = sum(w in EN_WORDS for w in words)
    best, best_n = "en", 0
    for lang, vocab in LANG_WORDS.items():
        n = sum(w in vocab for w in words)
        if n > best_n:
            best, best_n = lang, n
    if best_n >= 2 and best_n > en:
        return best
    if re.search(r"[äöüß]", text.lower()) and best_n >= 1 and best == "de":
        return "de"
    if re.search(r"[¿¡ñ]", text) and best_n >= 1:
        return "es"
    return "en"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the question's language; 'en' when unsure (most questions are English)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    return _script_language(text, letters) or _word_language(text)


# --- intent -----------------------------------------------------------------------------------
OVERVIEW_RE = re.compile(
    r"\b(what(?:'s| is)? (?:this|the) (?:essay|article|text|piece)(?: is)?"
    r"(?: (?!says\b|said\b|claims\b|writes\b|argues\b|tells\b)\w+)? about\b|gist|summar|overview|"
    r"main (?:argument|point|claim|thesis)|tl;?dr|in a nutshell|what does (?:the|this) (?:essay|article|author) "
    r"(?:argue|say|claim)\b(?!.*\b(?:about|on)\b)|argument of (?:the|this) essay|explain (?:the|this) essay)",
    re.I,
)
RIGHT_WRONG_RE = re.compile(
    r"\b(errors?|mistakes?|wrong|false|falsehoods?|inaccura\w*|accurate|accuracy|get right|gets right|got right|"
    r"true in it|is (?:any|anything) (?:of it )?(?:true|right|correct)|fact.?check\w*|lies|lying|debunk\w*|"
    r"distort\w*|mislead\w*|reliable is (?:the|this) essay|how reliable is it|trustworthy|contradicted|"
    r"how reliable are (?:the|its|his) \w+(?: \w+)? (?:in (?:it|the|this)|of (?:the|this))|"
    r"(?:is|are) (?:actually |really |in fact )?(?:true|false)|"
    r"needs? context|disputed|unverifiable|verdicts?|safe to (?:use|quote|teach)|"
    r"without (?:having to )?correct\w*)\b",
    re.I,
)
SOURCE_RE = re.compile(
    r"\b(who (?:is|was|are|were)(?!\s+(?-i:[a-z]+ed)\b)|who (?:wrote|published|writes|runs)|who's|whos|what (?:is|are|was) (?:inconvenient history|codoh)|"
    r"reliable|reliability|credible|credibility|trust(?:worthy)?|reputable|publisher|published|outlet|journal|"
    r"author|biograph\w*|background of|denial|denier|deny|antisemit\w*|anti-semit\w*|propaganda|misinformation|"
    r"disinformation|extremis\w*|revisionis\w*|hate (?:group|site)|cite|quote (?:it|this|the)|delete|remove|ban|block|moderat\w*|take (?:it|this|them|posts?) down)\b",
    re.I,
)
# Who the asker teaches: a question about how to use the source, unless it checks a claim
# ("was the essay right that…? Planning a lesson")
TEACH_RE = re.compile(
    r"\b(?:teach\w*|classroom|students|pupils|lessons?|(?:my|our|in|for|night) class(?:es)?|exercises?|"
    r"syllabus|curriculum|media.literacy)\b",
    re.I,
)
CLAIM_CHECK_RE = re.compile(
    r"\b(?:essay|article|author|wear|it)(?:'s|’s)? (?:right|correct|wrong|accurate) (?:that|about|to say)\b|"
    r"\b(?:is|was) it true that\b",
    re.I,
)
COMPARE_RE = re.compile(r"\b(compare|comparison|versus|vs\.?|difference between|differ)\b", re.I)
# A question that asks whether something is so: it is answered by a judgement, not a definition.
CHECK_RE = re.compile(
    r"^\s*(?:(?:ok|so|and|but|but|well)\W+)?(?:did|was|were|is|are|does|do|has|had|have|can|could|"
    r"should|would|will)\b|\b(?:right|true|correct|accurate|yes|isn'?t it|wasn'?t it|didn'?t they|"
    r"really|surely|myth|genuine|real)\b",
    re.I,
)
QUANTITY_RE = re.compile(
    r"\bhow (?:many|much)\b|\bwhat (?:was|is|were) the (?:number|total|figure|toll)\b", re.I
)
ABOUT_ESSAY_RE = re.compile(
    r"\b(?:this|the|that) (?:essay|article|piece|text|site|website|web site|outlet|journal|author|writer|"
    r"publication|publisher|magazine|periodical)\b|\bposion|poison partners|\bwear\b|inconvenient history|"
    r"\bcodoh\b|\bit\b|\bthis\b",
    re.I,
)
ESSAY_WORDS = re.compile(
    r"\b(essay|article|text|piece|wear|poison partners|author|it|claims?|section)\b", re.I
)

# --- premise ---------------------------------------------------------------------------------
PREMISE_CUES = re.compile(
    r"(\b(since|given that|considering|as we know|everyone knows|we all know|surely|obviously|of course|"
    r"isn'?t it|wasn'?t it|didn'?t|doesn'?t|don'?t you|admit|proves?|proven)\b|\b(?:right|correct|true)\s*\?)",
    re.I,
)

# "…and how they were sentenced" continues the sentence (a wh-word, then its subject): no new part
SPLIT_RE = re.compile(
    r"\s*(?:\?\s+|;\s+|,?\s+and\s+(?:also\s+)?(?=(?:who|what|when|where|why|how|which|did|does|do|was|were|is|are)\b)"
    r"(?!(?:who|what|when|where|why|how|which)\s+(?:they|he|she|it|we|you|i|this|that|these|those)\b)|"
    r",?\s+also\s+(?=(?:who|what|when|where|why|how|which|did|does|was|were|is|are)\b))",
    re.I,
)


@dataclass(frozen=True)
class Premise:
    """Something the question takes for granted: a figure ("10 million executions") or a claim."""

    text: str
    figures: tuple[Quantity, ...] = ()


@dataclass(frozen=True)
class Question:
    text: str  # as typed (checked)
    resolved: str  # with the subject carried over from the history, for retrieval
    language: str = "en"
    intent: str = "claim"  # claim | overview | right-wrong | source | compare
    parts: tuple[str, ...] = ()  # sub-questions of a multi-part question (len 1 when single)
    premise: Premise | None = None
    entities: tuple[str, ...] = ()  # corpus names found in the question (folded)
    unknown_names: tuple[str, ...] = ()  # capitalised names the corpus never mentions
    unknown_words: tuple[str, ...] = ()  # any word of this turn the corpus never uses ("paris")
    followup: bool = False
    about_essay: bool = False  # the question is about the essay, its author or its outlet as such
    asks_quantity: bool = False  # "how many…", in this question or in the one a follow-up leans on
    own_tokens: tuple[str, ...] = field(default=())  # content tokens the reader typed this turn
    checks: bool = False  # asks whether something is so ("did…?", "…, right?")

    @property
    def english(self) -> bool:
        return self.language == "en"

    @property
    def supported_language(self) -> bool:
        return self.language in SUPPORTED


def _by_first_letter(vocab: set[str]) -> dict[str, tuple[str, ...]]:
    """Spelling candidates: plain words of over three letters, bucketed by their first letter."""
    by_letter: dict[str, list[str]] = {}
    for v in vocab:
        if v.isascii() and v.replace("-", "").isalpha() and len(v) > 3:
            by_letter.setdefault(v[0], []).append(v)
    return {k: tuple(sorted(v)) for k, v in by_letter.items()}


@dataclass(frozen=True)
class Lexicon:
    """The corpus's own names (people, places, works, organisations), folded to lower case.

    Built once per corpus from capitalised words of every passage and the bibliography, so
    "komsomolsk", "mosier" or "Hoggan" typed anywhere in a question are recognised.
    """

    names: frozenset[str]
    vocabulary: frozenset[str]  # every folded word the corpus uses (for unknown-name detection)
    text: str = ""  # the whole corpus, folded, for phrase look-ups ("marshall plan")
    buckets: dict[str, tuple[str, ...]] = field(
        default_factory=dict, compare=False
    )  # vocabulary by first letter
    stems: frozenset[str] = frozenset()  # stems of the vocabulary ("praise" is known from "praises")

    @classmethod
    def build(cls, texts: Iterable[str]) -> Lexicon:
        texts = list(texts)
        names: set[str] = set()
        vocab: set[str] = set()
        common = set(STOPWORDS) | {"the", "a", "in", "on", "it", "this", "that", "his", "her", "its"}
        folds: dict[str, str] = {}  # words repeat: fold each once (this runs on every cold start)

        def fold_word(w: str) -> str:
            f = folds.get(w)
            if f is None:
                f = folds[w] = fold(w)
            return f

        for text in texts:
            for m in WORD_RE.finditer(text):
                w = m.group(0)
                f = fold_word(w).strip("’'-")
                if not f:
                    continue
                vocab.add(f)
                for piece in re.split(r"[’'-]", f):
                    vocab.add(piece)
                if w[0].isupper() and len(f) > 2 and f not in common:
                    names.add(f)
        # words that are capitalised only because they start a sentence are common words: a name is
        # a capitalised word that the corpus never writes in lower case
        lower_seen: set[str] = set()
        for text in texts:
            lower_seen.update(fold_word(w) for w in re.findall(r"(?<![.!?]\s)\b[a-z][a-z’'-]+", text))
        by_letter = _by_first_letter(vocab)
        folded = " ".join(fold(t) for t in texts)
        stems = frozenset(t for v in vocab for t in tokenize(v))
        return cls(
            frozenset(n for n in names if n not in lower_seen),
            frozenset(vocab),
            re.sub(r"[^\w]+", " ", folded),
            by_letter,
            stems,
        )

    def knows(self, word: str) -> bool:
        f = fold(word)
        return f in self.vocabulary or any(t in self.stems for t in tokenize(f))

    def expand_domains(self, question: str) -> str:
        """ "inconvenienthistory.com" → "inconvenient history", "codoh.org" → "codoh": a web
        address names the corpus's own outlet when its label is a corpus name or two corpus words
        the corpus writes side by side."""

        def label(m: re.Match[str]) -> str:
            word = m.group(1).lower().replace("-", "")
            if word in self.names:
                return word
            for i in range(3, len(word) - 2):
                first, second = word[:i], word[i:]
                if f" {first} {second} " in f" {self.text} ":
                    return f"{first} {second}"
            return m.group(0)

        return DOMAIN_RE.sub(label, question)

    def correct_word(self, word: str) -> str:
        """A misspelt word ("stallin", "magnitagorsk") → the corpus word it most likely means.

        Only confident cases: the match is one of the corpus's names, or both are long words
        (seven letters or more) that differ by a letter or two, so ordinary words ("planes")
        are never rewritten into corpus words ("plans")."""
        import difflib

        f = fold(word)
        if f in STOPWORDS or not f.isalpha() or len(f) < 5 or self.knows(f):
            return word
        pool = [v for v in self.buckets.get(f[0], ()) if abs(len(v) - len(f)) <= 2]
        match = difflib.get_close_matches(f, pool, n=1, cutoff=0.8)
        if not match:
            return word
        m = match[0]
        ratio = difflib.SequenceMatcher(None, f, m).ratio()
        if ratio >= 0.88 and (m in self.names or len(f) >= 7):
            return m
        # a short word with one letter dropped ("truks"), when only one corpus word fits
        dropped = [v for v in pool if len(v) == len(f) + 1 and _drops_one(f, v)]
        return dropped[0] if len(dropped) == 1 else word

    def correct(self, text: str) -> str:
        return WORD_RE.sub(lambda m: self.correct_word(m.group(0)), text)

    def find(self, question: str) -> tuple[str, ...]:
        words = [fold(w).strip("’'-") for w in WORD_RE.findall(question)]
        out: list[str] = []
        for w in words:
            base = re.sub(r"(?:’s|'s)$", "", w)
            if base in self.names and base not in out:
                out.append(base)
        return tuple(out)

    def unknown_words(self, question: str) -> tuple[str, ...]:
        """Plain words of four letters or more that the corpus never uses in any form and that
        are no misspelling of one of its words ("paris", "laptop")."""
        out = []
        for w in WORD_RE.findall(question):
            f = re.sub(r"[’'](?:s|d|m|ll|ve|re|t)$", "", fold(w))
            if len(f) < 4 or f in STOPWORDS or f in CHAT_WORDS or not f.isalpha():
                continue
            if not self.knows(f) and self.correct_word(f) == f:
                out.append(w)
        return tuple(dict.fromkeys(out))

    def unknown(self, question: str) -> tuple[str, ...]:
        """Names and terms the corpus never mentions: capitalised words it never uses in any form
        ("Korean") and capitalised names ending in a common noun that the corpus never writes
        ("Marshall Plan"). Lower-case words are left alone: a rule for them ("airlift") also
        caught misspellings."""
        words = WORD_RE.findall(question)
        out = []
        for i, w in enumerate(words):
            f = re.sub(r"[’'](?:s|d|m|ll|ve|re)$", "", fold(w))  # "I'd", "Stalin's"
            if f in STOPWORDS or len(f) < 3 or f in CHAT_WORDS:
                continue
            if i == 0 or not w[0].isupper() or self.knows(f) or self.correct_word(f) != f:
                continue
            out.append(w)
        for m in re.finditer(r"\b([A-Z][a-z]+)\s+([A-Z][a-z]+)\b(?:\s+([A-Z][a-z]+)\b)?", question):
            first, second = fold(m.group(1)), fold(m.group(2))
            if second in self.names or first in STOPWORDS or m.start() == 0:
                continue
            if m.group(3) and f" {second} {fold(m.group(3))} " in f" {self.text} " and self.knows(first):
                continue  # "the Nazi Hunger Plan": a known word before a name the corpus uses
            if (
                f" {first} {second} " not in f" {self.text} "
                and f" {first} {second}s " not in f" {self.text} "
            ):
                out.append(m.group(0))
        # "the Berlin airlift": a named thing whose head noun the corpus never uses
        for m in re.finditer(r"\bthe\s+([A-Z][a-z]+)\s+([a-z]{4,})\b", question):
            head = fold(m.group(2))
            if head in STOPWORDS or head in CHAT_WORDS or self.knows(head) or self.correct_word(head) != head:
                continue
            out.append(f"{m.group(1)} {m.group(2)}")
        return tuple(dict.fromkeys(out))


CHAT_WORDS = frozenset(
    [
        "whos",
        "whats",
        "wats",
        "wat",
        "pls",
        "plz",
        "thx",
        "thanks",
        "hey",
        "hi",
        "hello",
        "ok",
        "okay",
        "lol",
        "tldr",
        "tl",
        "dr",
        "gist",
        "legit",
        "stuff",
        "thing",
        "things",
        "guy",
        "guys",
        "kinda",
        "sorta",
        "gonna",
        "wanna",
        "dunno",
        "rubbish",
        "basically",
        "actually",
        "really",
        "quick",
        "short",
        "summary",
        "summarise",
        "summarize",
        "explain",
    ]
)


def _drops_one(short: str, long: str) -> bool:
    """``short`` is ``long`` with one letter left out, not the first ("truks" ← "trucks")."""
    return any(long[:i] + long[i + 1 :] == short for i in range(1, len(long)))


def detect_intent(text: str) -> str:
    if OVERVIEW_RE.search(text):
        return "overview"
    if RIGHT_WRONG_RE.search(text) and ESSAY_WORDS.search(text):
        return "right-wrong"
    if COMPARE_RE.search(text):
        return "compare"
    if SOURCE_RE.search(text) or (TEACH_RE.search(text) and not CLAIM_CHECK_RE.search(text)):
        return "source"
    return "claim"


def split_parts(text: str) -> tuple[str, ...]:
    """Sub-questions: "When did X begin and who built Y?" -> two parts; one part otherwise."""
    pieces = [p.strip(" ,;?") for p in SPLIT_RE.split(text)]
    pieces = [p for p in pieces if tokenize(p)]
    return tuple(pieces) if len(pieces) > 1 else (text.strip(),)


DEATH_RE = re.compile(
    r"\b(killed|kill|killing|died|dying|dead|deaths?|executed|executions?|murdered|murders?|"
    r"perished|victims|slaughtered|starved)\b",
    re.I,
)


def find_premise(text: str) -> Premise | None:
    """A figure the question asserts ("10 million were executed"), or a claim it takes for granted.

    "The Gulag killed 20 million people" asserts deaths, not people passing through: a question
    that speaks of killing makes its head-count figures death tolls."""
    figures = tuple(
        q if not (q.kind == "people" and DEATH_RE.search(text)) else replace(q, kind="deaths")
        for q in extract(text)
        if q.kind not in {"year"}
    )
    cue = PREMISE_CUES.search(text)
    asks_how_many = re.search(
        r"\bhow (?:many|much)\b|\bwhat (?:was|is) the (?:number|figure|toll)\b", text, re.I
    )
    if figures and not asks_how_many:
        return Premise(text=text.strip(), figures=figures)
    if cue:
        return Premise(text=text.strip())
    return None


DOMAIN_RE = re.compile(r"\b(?:https?://)?(?:www\.)?([a-z0-9-]{3,40})\.(?:com|org|net|info)\b(?:/\S*)?", re.I)
# Abbreviations people type for the war; the corpus writes the words out.
ABBREVIATIONS = (
    (re.compile(r"\b(?:ww2|wwii|ww ii)\b", re.I), "World War II"),
    (re.compile(r"\b(?:ww1|wwi|ww i)\b", re.I), "World War I"),
    # chat shorthand the corpus never uses: "ppl lived badly under the 5 yr plans bc…"
    (re.compile(r"\b(?:5|five)[- ]?(?:yr|year)s?[- ]plan(s?)\b", re.I), r"Five-Year Plan\1"),
    (re.compile(r"\bppl\b", re.I), "people"),
    (re.compile(r"(?<!\d )\b(?:bc|bcuz|cuz|coz)\b(?!\.)", re.I), "because"),
    (re.compile(r"\byrs\b", re.I), "years"),
    (re.compile(r"\byr\b", re.I), "year"),
    (re.compile(r"\bgovt\b", re.I), "government"),
    (re.compile(r"\babt\b", re.I), "about"),
    (re.compile(r"\bthru\b", re.I), "through"),
)
SCALE_TYPO_RE = re.compile(r"\b([mb])il{1,3}i?o?n(s?)\b", re.I)


# "700k", "1.5m", "2bn" and "700 000" as the corpus writes them
SHORT_SCALE_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s?(k|m|mn|mil|bn)\b(?!\.\w)", re.I)
SPACED_THOUSANDS_RE = re.compile(r"\b(\d{1,3})(?: (\d{3}))+\b(?! ?\d)")
_SCALES = {"k": "thousand", "m": "million", "mn": "million", "mil": "million", "bn": "billion"}


def _short_scale(m: re.Match[str]) -> str:
    num, scale = m.group(1), _SCALES[m.group(2).lower()]
    if scale == "thousand" and float(num) * 1000 == int(float(num) * 1000):
        return f"{int(float(num) * 1000):,}"
    return f"{num} {scale}"


def fix_scale_words(text: str) -> str:
    """ "20 milion" is 20 million: a misspelt scale word must not turn a figure into 20 people;
    nor may "700k" become 700 copies."""
    text = SCALE_TYPO_RE.sub(lambda m: f"{m.group(1).lower()}illion{m.group(2)}", text)
    text = SHORT_SCALE_RE.sub(_short_scale, text)
    return SPACED_THOUSANDS_RE.sub(lambda m: m.group(0).replace(" ", ","), text)


def normalise(text: str, lexicon: Lexicon | None = None) -> str:
    """What was typed, with figures, war abbreviations and web addresses in the corpus's words."""
    text = fix_scale_words(text)
    for pattern, words in ABBREVIATIONS:
        text = pattern.sub(words, text)
    return lexicon.expand_domains(text) if lexicon is not None else text


def analyze(text: str, history: Sequence[str] = (), lexicon: Lexicon | None = None) -> Question:
    asked, text = text, normalise(text, lexicon)
    lang = detect_language(text)
    english = lexicon if lang == "en" else None  # names and spelling are English-only
    corrected = english.correct(text) if english else text
    if english:
        history = [english.correct(h) for h in history]
    resolved, followup = resolve_history(corrected, list(history), lexicon.names if lexicon else frozenset())
    return Question(
        text=asked,
        resolved=resolved,
        language=lang,
        intent=detect_intent(corrected),
        parts=split_parts(corrected) if lang == "en" else (text.strip(),),
        about_essay=bool(ABOUT_ESSAY_RE.search(corrected)),
        asks_quantity=bool(QUANTITY_RE.search(" ".join([corrected, *(history[-1:] if followup else [])]))),
        premise=find_premise(text) if lang == "en" else None,
        entities=lexicon.find(resolved) if lexicon else (),
        unknown_names=english.unknown(text) if english else (),
        unknown_words=english.unknown_words(corrected) if english else (),
        followup=followup,
        own_tokens=tuple(tokenize(text)),
        checks=bool(CHECK_RE.search(corrected)) and not QUANTITY_RE.search(corrected),
    )
