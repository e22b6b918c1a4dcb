"""Which reviewed claims a question is about: ranked, gated on shared subject, de-duplicated.

A claim is attached only when the question and the claim's own words (its verbatim quote and
its figure kinds) share a subject: rare words in common, or a high dense similarity. Vector
similarity alone attached "Hitler never wanted war with Britain" to "Did Stalin plan to attack
Germany?"; the gate stops that. Claims that quote overlapping text of one paragraph are one
card, so two verdicts on the same sentence never sit side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache

from .excerpt import WeightedQuery, overlap
from .figures import WORD_KIND, Quantity, extract
from .lexical import tokenize
from .models import Claim, Passage
from .policy import AnswerPolicy
from .retrieve import Hit
from .sentences import sentence_spans

RANK_WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)


@dataclass(frozen=True)
class ClaimMatch:
    claim: Claim
    score: float
    hit: Hit  # the essay passage that carries the claim


@lru_cache(maxsize=4096)
def _claim_tokens(quote: str, rest: str) -> tuple[frozenset[str], frozenset[str]]:
    """Cached: every question scores every claim on the warm path."""
    quote_toks = frozenset(tokenize(quote))
    return quote_toks, frozenset(tokenize(rest)) - quote_toks


def claim_score(c: Claim, q: WeightedQuery, idf: Callable[[str], float], sim: float) -> float:
    """Words of the claim's quote (recall and precision), of its rationale and figures, and the
    dense similarity of question and claim."""
    quote_toks, extra = _claim_tokens(c.quote, c.rationale + " " + " ".join(f.kind for f in c.figures))
    qset = q.weights.keys()
    if quote_toks.isdisjoint(qset) and extra.isdisjoint(qset):
        return 1.0 * max(0.0, sim - 0.25)  # no word in common: the sums below are all zero
    precision = sum(idf(t) for t in quote_toks & qset) / (sum(idf(t) for t in quote_toks) or 1.0)
    return (
        overlap(quote_toks, q, idf)
        + 0.3 * overlap(extra, q, idf)
        + 0.3 * precision
        + 1.0 * max(0.0, sim - 0.25)
    )


# Words of a loaded or chatty question that say nothing about its subject ("Since …, surely …?").
FRAMING = frozenset(
    tokenize(
        "since surely already right yes really actually essay article author wear claim "
        "claims true correct wrong accurate exactly anyone anybody admit prove proves many much"
    )
)
# Scale words name no subject: "10 million fed" and "relocated 10 million" are about different things.
SCALE_TOKENS = frozenset(tokenize("million millions billion thousand hundred percent per cent"))


def shared_idf(text: str, subject: Set[str], idf: Callable[[str], float]) -> float:
    """Summed idf of the subject words ``text`` shares, one term per written word: "Lend-Lease"
    is one shared word, not two."""
    seen: set[str] = set()
    total = 0.0
    for word in text.split():
        toks = [t for t in tokenize(word) if t in subject and t not in FRAMING and t not in seen]
        if toks:
            seen.update(toks)
            total += max(idf(t) for t in toks)
    return total


def _specific_kinds(kinds: Set[str]) -> set[str]:
    """What a counting question counts, besides "any figure" and years."""
    return {k for k in kinds if k not in {"*", "year"}}


def _own_kinds(c: Claim) -> set[str]:
    """What the claim's figures count, in the question's kind names."""
    return {WORD_KIND.get(f.kind.lower(), f.kind.lower()) for f in c.figures}


def shares_subject(
    c: Claim,
    subject: set[str],
    idf: Callable[[str], float],
    sim: float,
    policy: AnswerPolicy,
    kinds: Set[str] = frozenset(),
    sentence: str = "",
    paragraph: str = "",
    asserted: Set[str] = frozenset(),
) -> bool:
    """The gate: a strong dense similarity, or rare words in common with the claim's quote or
    figure kinds together with a fair similarity. A question that asks for a quantity of one
    kind (deaths) never gets a claim whose figures are all of another kind (people passing
    through the camps)."""
    specific, own_kinds = _specific_kinds(kinds), _own_kinds(c)
    counted = specific & own_kinds
    if specific and not counted:
        return False  # a counting question gets a claim that counts the same thing, or none
    if asserted == {"deaths"} and "deaths" not in own_kinds:
        return (
            False  # "since the Gulag killed 20 million": a death toll is checked by a claim counting deaths
        )
    # the quote's whole sentence: "…he was openly hostile" is about the Bullitt the sentence names
    shared = shared_idf(f"{sentence or c.quote} {' '.join(f.kind for f in c.figures)}", subject, idf)
    tiers = (
        (policy.claim_alone_sim, 0.0),  # the claim and the question say the same thing
        (policy.claim_subject_sim, policy.claim_anchor_idf),
        (policy.claim_shared_sim, policy.claim_subject_idf),
        (policy.claim_strong_sim, policy.claim_strong_idf),  # many rare words of the claim's own quote
    )
    if any(sim >= min_sim and shared >= min_idf for min_sim, min_idf in tiers):
        return True
    # the claim's paragraph names its subject in words the quote does not use ("pots and pans"
    # before a quote on falling living standards): a close claim anchored there
    if sim >= policy.claim_subject_sim and shared_idf(paragraph, subject, idf) >= policy.claim_paragraph_idf:
        return True
    # "and tanks?" after Lend-Lease questions: the question counts what the claim counts, and
    # the claim's paragraph shares a word of the carried subject besides the count itself ("how
    # many died there?" after a Gulag question is not about deaths in exile, whose paragraph
    # never names the Gulag)
    if not counted or sim < policy.claim_counted_sim:
        return False
    subject_rest = set(subject) - _kind_tokens(frozenset(counted))
    return shared_idf(paragraph or sentence or c.quote, subject_rest, idf) >= policy.claim_anchor_idf


def subject_share(m: ClaimMatch, subject: Set[str], idf: Callable[[str], float]) -> float:
    """How much of the question's subject the claim's sentence and figure kinds name."""
    sentence = quote_sentence(m.hit.passage.text, m.claim.quote)
    return shared_idf(f"{sentence} {' '.join(f.kind for f in m.claim.figures)}", subject, idf)


def same_subject_second(
    found: Sequence[ClaimMatch],
    subject: Set[str],
    idf: Callable[[str], float],
    sims: Mapping[str, float],
    max_gap: float,
) -> list[ClaimMatch]:
    """A single question keeps a second card only when that claim names as much of the question's
    subject as the first and is about as close to the question: "the tractor works on the Volga
    built for tanks" is both the Stalingrad tractor claim and the tank-plant claim, but "how
    important was Lend-Lease" is not also Roosevelt's "peace and democracy" quote, which shares
    only the words Lend-Lease and Soviet, and "short of trucks in 1941" is not the count of
    trucks sent later."""
    if len(found) < 2:
        return list(found)
    first = subject_share(found[0], subject, idf)
    near = sims.get(found[0].claim.id, 0.0) - max_gap
    return [found[0]] + [
        m for m in found[1:] if subject_share(m, subject, idf) >= first and sims.get(m.claim.id, 0.0) >= near
    ]


@lru_cache(maxsize=64)
def _kind_tokens(kinds: frozenset[str]) -> frozenset[str]:
    """The tokens of every word that names one of ``kinds`` ("died", "deaths" → deaths)."""
    words = [w for w, k in WORD_KIND.items() if k in kinds] + list(kinds)
    return frozenset(tokenize(" ".join(words)))


PRONOUN_RE = re.compile(r"\b(?:he|she|his|her|him|they|their|them|it|its)\b", re.I)


@lru_cache(maxsize=4096)
def quote_sentence(text: str, quote: str) -> str:
    """A quote that says "he" or "it" is read with its whole sentence, which names who or what
    ("…by the end of his tenure he was openly hostile" is about Bullitt); any other quote stands
    alone, so the rest of its sentence never attaches it to another subject."""
    at = text.find(quote)
    if at < 0 or not PRONOUN_RE.search(quote):
        return quote
    end = at + len(quote)
    spans = [(s, e) for s, e in sentence_spans(text) if s < end and e > at]
    return text[spans[0][0] : spans[-1][1]] if spans else quote


ROUND_FIGURE_ANCHOR_IDF = 1.0  # one ordinary shared word besides the number


def _round(value: float) -> bool:
    """Two significant digits or fewer (10 million, 750,000, 85%): such figures recur in unrelated
    contexts, where 12,575 or 303 does not."""
    digits = f"{abs(value):.6g}".replace(".", "").split("e")[0].strip("0")
    return len(digits) <= 2


def states_figure(
    quote: str,
    figures: Sequence[Quantity],
    words: Set[str] = frozenset(),
    idf: Callable[[str], float] | None = None,
) -> bool:
    """The quote states one of the question's figures: the same number counting the same kind.
    A round head count of people also needs a word of the quote besides the number among
    ``words`` (the question's): "did the ARA feed 10 million people" is not Stalin's "we
    relocated 10 million"; "85%" or "750,000 trucks" say what they count."""
    stated = {(x.kind, x.value) for x in extract(quote) if x.kind != "year"}
    matched = [f for f in figures if f.kind != "year" and (f.kind, f.value) in stated]
    if not matched or idf is None or any(not _round(f.value) or f.kind != "people" for f in matched):
        return bool(matched)
    return shared_idf(re.sub(r"\d", " ", quote), words - SCALE_TOKENS, idf) >= ROUND_FIGURE_ANCHOR_IDF


QUOTED_RE = re.compile(r"(?:^|(?<=[\s(]))[\"“'‘]([^\"“”‘’]{8,160}?)[\"”'’](?=[\s?.,!;:)]|$)")


def quoted_phrases(question: str) -> tuple[str, ...]:
    """Phrases of three words or more the question puts in quotation marks ("did Roosevelt
    really say he would 'hold hands with the devil'?")."""
    return tuple(p.strip() for p in QUOTED_RE.findall(question) if len(p.split()) >= 3)


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[“”‘’\"']", "", text).casefold().split())


def quotes_phrase(c: Claim, phrases: Sequence[str]) -> bool:
    """The claim's quote or its reviewed rationale contains a phrase the question quotes."""
    if not phrases:
        return False
    hay = _plain(f"{c.quote} {c.rationale}")
    return any(_plain(p) in hay for p in phrases)


ESSAY_SAYS_RE = re.compile(
    r"\b(?:the )?(?:essay|article|author|wear)(?:'s)? (?:says|claims|states|writes|said|claimed|argues)"
    r"(?: that)?\s+([^?.!;]+)",
    re.I,
)


def paraphrased(question: str) -> frozenset[str]:
    """The words of what the question says the essay says ("essay says no delay" → delay)."""
    return frozenset(t for m in ESSAY_SAYS_RE.finditer(question) for t in tokenize(m.group(1))) - FRAMING


def restates(c: Claim, paraphrase: Set[str], idf: Callable[[str], float]) -> bool:
    """Most of the (idf-weighted) words the question attributes to the essay are in this quote."""
    if not paraphrase:
        return False
    total = sum(idf(t) for t in paraphrase)
    quote_toks, _ = _claim_tokens(c.quote, "")
    return total > 0 and sum(idf(t) for t in paraphrase & quote_toks) >= 0.6 * total


YEAR_RE = re.compile(r"\b(1[89]\d\d)(s)?\b")


@lru_cache(maxsize=4096)
def years_named(text: str) -> frozenset[int]:
    """The years a text names; a decade ("the 1930s") names each of its years."""
    out: set[int] = set()
    for year, decade in YEAR_RE.findall(text):
        y = int(year)
        out.update(range(y, y + 10) if decade else (y,))
    return frozenset(out)


def same_years(asked: Set[int], paragraph: str, slack: int = 2) -> bool:
    """A question dated to years its claim's paragraph never comes near is about another event:
    "the 1921 famine" is not the essay's "collectivization of 1932-1933"."""
    if not asked:
        return True
    have = years_named(paragraph)
    return not have or any(abs(a - h) <= slack for a in asked for h in have)


def gate_floor(policy: AnswerPolicy) -> float:
    """The least similarity any tier of ``shares_subject`` accepts."""
    return min(
        policy.claim_alone_sim,
        policy.claim_subject_sim,
        policy.claim_shared_sim,
        policy.claim_strong_sim,
        policy.claim_counted_sim,
    )


def _overlaps(a: Claim, b: Claim) -> bool:
    return a.paragraph == b.paragraph and (
        a.quote in b.quote or b.quote in a.quote or len(set(a.quote.split()) & set(b.quote.split())) > 6
    )


def _claim_hit(c: Claim, ranked: Sequence[Hit], passages: Sequence[Passage]) -> tuple[Hit, float] | None:
    """The essay hit that carries the claim and its rank weight; a claim whose paragraph
    retrieval missed is found among the essay's passages at the lowest weight."""
    for i, h in enumerate(ranked):
        if c.paragraph in h.passage.paragraphs and c.quote in h.passage.text:
            return h, RANK_WEIGHTS[i]
    p = next((p for p in passages if c.paragraph in p.paragraphs and c.quote in p.text), None)
    return (Hit(p, 0.0, 0.0, 0.0), RANK_WEIGHTS[-1]) if p is not None else None


def _best_distinct(scored: list[ClaimMatch], policy: AnswerPolicy, limit: int) -> list[ClaimMatch]:
    """Best first, near the best only, one card per essay sentence."""
    scored = sorted(scored, key=lambda m: -m.score)
    out: list[ClaimMatch] = []
    for m in scored:
        if out and m.score < policy.claim_relative * out[0].score:
            break
        if any(_overlaps(m.claim, o.claim) for o in out):
            continue
        out.append(m)
        if len(out) >= limit:
            break
    return out


PARAGRAPH_RE = re.compile(r"(?:¶\s?|\bparagraph\s+|\bpara\.?\s+)(\d{1,3})\b", re.I)


@dataclass(frozen=True)
class Cues:
    """What the question itself states about the claim it means: a figure ("12,575 tanks"), a
    quoted phrase ("'hold hands with the devil'") or what "the essay says" ("no delay")."""

    figures: tuple[Quantity, ...] = ()
    phrases: tuple[str, ...] = ()
    paraphrase: frozenset[str] = frozenset()
    only_claim: str = ""  # the one claim whose quote uses a rare name the question uses
    paragraphs: frozenset[int] = frozenset()  # essay paragraphs the question cites ("in ¶14")
    words: frozenset[str] = frozenset()  # the question's words, for a round figure's context

    @classmethod
    def of(cls, text: str, said: str = "", only_claim: str = "") -> Cues:
        paras = frozenset(int(n) for n in PARAGRAPH_RE.findall(text))
        words = frozenset(tokenize(text)) - FRAMING
        return cls(
            tuple(extract(text)), quoted_phrases(text), paraphrased(said or text), only_claim, paras, words
        )

    def name(self, c: Claim, idf: Callable[[str], float]) -> bool:
        """The question names this claim by its figure, a quoted phrase, its own words or a rare
        name no other claim uses ("the essay's Magnitogorsk sentence")."""
        return (
            (bool(self.figures) and states_figure(c.quote, self.figures, self.words, idf))
            or quotes_phrase(c, self.phrases)
            or restates(c, self.paraphrase, idf)
            or c.id == self.only_claim
            or c.paragraph in self.paragraphs
        )


def only_claim_naming(
    names: Sequence[str], claims: Sequence[Claim], idf: Callable[[str], float], min_idf: float
) -> str:
    """The id of the single claim whose quote uses one of these rare names, or "" when none does
    or several do (a name shared by many claims says which topic, not which claim)."""
    found: set[str] = set()
    for n in names:
        toks = set(tokenize(n))
        if not toks or any(idf(t) < min_idf for t in toks):
            continue
        ids = {c.id for c in claims if toks <= _claim_tokens(c.quote, "")[0]}
        if len(ids) == 1:
            found |= ids
    return next(iter(found)) if len(found) == 1 else ""


def rank_claims(
    q: WeightedQuery,
    subject: set[str],
    essay_hits: Sequence[Hit],
    claims: Sequence[Claim],
    idf: Callable[[str], float],
    sims: dict[str, float],
    policy: AnswerPolicy,
    limit: int = 1,
    multilingual: bool = False,
    kinds: Set[str] = frozenset(),
    passages: Sequence[Passage] = (),
    cues: Cues = Cues(),
    asserted: Set[str] = frozenset(),
    near_digests: Set[str] = frozenset(),
    years: Set[int] = frozenset(),
) -> list[ClaimMatch]:
    """Claims that pass the gate, best first, at most ``limit``.

    A claim in one of the top essay paragraphs is weighted by that paragraph's rank; one whose
    paragraph retrieval missed can still match on its own (``passages`` are the essay's
    passages), at the lowest rank weight. A claim the question names (``cues``) needs no gate.
    For a question not in English the words cannot be compared: the multilingual similarity of
    question and claim decides, for claims whose digests were among the literature found
    (``near_digests``)."""
    scored: list[ClaimMatch] = []
    ranked = list(essay_hits[: len(RANK_WEIGHTS)])
    floor = gate_floor(policy)
    for c in claims:
        sim = sims.get(c.id, 0.0)
        named = not multilingual and cues.name(c, idf)
        if not multilingual and sims and sim < floor and not named:
            continue  # below every tier of the gate: it could never be attached
        found = _claim_hit(c, ranked, passages)
        if found is None:
            continue
        hit, weight = found
        if multilingual:
            specific = _specific_kinds(kinds)
            if specific and not specific & _own_kinds(c):
                continue  # "wie viele Lastwagen…": a claim that counts trucks, or none
            if sim >= policy.multilingual_claim_sim:
                scored.append(ClaimMatch(c, sim, hit))
            continue
        score = weight * claim_score(c, q, idf, sim)
        if named:
            scored.append(ClaimMatch(c, score + policy.claim_figure_boost, hit))
        elif (
            score >= policy.claim_min_score
            and same_years(years, f"{hit.passage.text} {c.rationale}")
            and shares_subject(
                c,
                subject,
                idf,
                sim,
                policy,
                kinds,
                quote_sentence(hit.passage.text, c.quote),
                hit.passage.text,
                asserted,
            )
        ):
            scored.append(ClaimMatch(c, score, hit))
    if multilingual and near_digests:
        # the words cannot be compared, so the literature found for the question stands in for
        # them: the closest claim is checked only when one of its digests is among what was found
        # (a Spanish question on the Hunger Plan is not about the essay's terror figures), and
        # never the next closest, which would swap one wrong card for another
        scored = sorted(scored, key=lambda m: -m.score)[:1]
        scored = [m for m in scored if set(m.claim.digests) & near_digests]
    return _best_distinct(scored, policy, limit)
