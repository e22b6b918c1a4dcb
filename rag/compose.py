"""Stage 4: extractive composition. No model: verbatim excerpts, reviewed claims, a direct answer.

Everything a reader sees is cut from an indexed passage by character offsets, or is curated
review data (a claim's rationale, the claims inventory). The direct answer only arranges those
pieces, each with its marker; ``verify.py`` checks the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from . import overview
from . import premise as premises
from .claimmatch import (
    FRAMING,
    PARAGRAPH_RE,
    PRONOUN_RE,
    ClaimMatch,
    Cues,
    only_claim_naming,
    quoted_phrases,
    rank_claims,
    same_subject_second,
    years_named,
)
from .excerpt import STANCE_RE, SentenceBank, WeightedQuery, choose, first_sentence, overlap
from .figures import WORD_KIND, asked_kinds, compare, counted_kinds, extract, foreign_counted_kinds
from .followup import GENERIC
from .lexical import tokenize
from .models import VERDICT_LABELS, Answer, Claim, ClaimCard, FigureComparison, Passage
from .policy import AnswerPolicy
from .question import CHECK_RE, LANG_NAMES, Question
from .retrieve import Hit
from .sentences import sentence_spans

VERDICT_OPENERS = {
    "consistent": "The essay is right here",
    "needs-context": "Partly right, but it needs context",
    "disputed": "Historians disagree on this",
    "contradicted": "The literature contradicts the essay here",
    "unverifiable": "This cannot be verified",
}
# a second card with the first one's verdict: "The essay also says …, which … too"
ALSO = {
    "consistent": "which is also right",
    "needs-context": "which also needs context",
    "disputed": "which is also disputed",
    "contradicted": "which the literature also contradicts",
    "unverifiable": "which also cannot be verified",
}
ESSAY_TITLE_FALLBACK = "the essay"
GENERIC_TOKENS = frozenset(tokenize(" ".join(GENERIC)))
ESSAY_NAME_TOKENS = frozenset(tokenize("essay article author"))  # + the corpus's own name words
ESSAY_RE = re.compile(r"\b(essay|article|piece|author|writer|this text)\b", re.I)
# Short names people type for what the passages spell out ("FDR's hostility" is Roosevelt's).
ALIASES = {"fdr": "roosevelt", "ussr": "soviet"}


@dataclass(frozen=True)
class PartEvidence:
    """What retrieval found for one (sub-)question."""

    text: str  # the part as typed
    resolved: str  # with history context
    essay_hits: Sequence[Hit]
    lit_hits: Sequence[Hit]
    claim_sims: dict[str, float] = field(default_factory=dict)
    qvec: np.ndarray | None = None  # question vector in the space of ``sentences``
    multilingual: bool = False
    premise_pool: Sequence[
        Passage
    ] = ()  # passages looked up to check an asserted figure (not shown otherwise)


@dataclass(frozen=True)
class Context:
    """Corpus-level data composition needs besides the hits."""

    claims: Sequence[Claim]
    idf: Callable[[str], float]
    sentences: SentenceBank | None = None
    reviewed_essay: str = ""
    essay_title: str = ESSAY_TITLE_FALLBACK
    essay_profiles: frozenset[str] = frozenset()
    essay_passages: Sequence[Passage] = ()  # the reviewed essay's passages in order (overviews)
    table: object | None = None  # the multilingual vector table, for questions not in English
    profile_passages: Sequence[Passage] = ()  # passages of the profiles written about the essay
    suggestions: Sequence[str] = ()  # the corpus's example questions (corpus.yaml)
    name_tokens: frozenset[str] = frozenset()  # tokens that name the essay, its author or outlet
    judgements: Mapping[str, Sequence[Passage]] = field(default_factory=dict)  # source -> its
    # sections that give the historians' judgement ("Specialists' rejection of Icebreaker")
    corrections: Mapping[str, Passage] = field(default_factory=dict)  # claim id -> the passage
    # of its digests that states what its rationale says (a section's errors are shown by these)


def correction_passages(claims: Sequence[Claim], passages: Sequence[Passage], idf) -> dict[str, Passage]:
    """Per claim, the passage of its own digests sharing the most (idf-weighted) words with its
    quote and rationale: where the literature makes the correction the verdict rests on."""
    by_source: dict[str, list[Passage]] = {}
    for p in passages:
        if p.side == "literature":
            by_source.setdefault(p.source, []).append(p)
    out: dict[str, Passage] = {}
    for c in claims:
        want = set(tokenize(f"{c.quote} {c.rationale}"))
        best, best_score = None, 0.0
        for d in c.digests:
            for p in by_source.get(d, ()):
                score = sum(idf(t) for t in want & set(tokenize(p.text)))
                if score > best_score:
                    best, best_score = p, score
        if best is not None:
            out[c.id] = best
    return out


def abstain(
    question: str,
    resolved: str,
    topics: Sequence[str],
    reason: str,
    kind: str = "out-of-scope",
    essay_title: str = ESSAY_TITLE_FALLBACK,
    language: str = "en",
    suggestions: Sequence[str] = (),
) -> Answer:
    if kind == "language":
        summary = reason
    else:
        summary = (
            f"Not covered: {reason} Counterpoint answers questions about {essay_title} and the mainstream "
            "literature on its topics."
        )
    return Answer(
        question=question,
        resolved_question=resolved,
        abstained=True,
        summary=summary,
        covered_topics=tuple(topics),
        suggestions=tuple(suggestions)[:4],
        abstain_reason=kind,
        language=language,
    )


def _subject(question: Question, part: PartEvidence) -> set[str]:
    """Words that name what the part is about: its own content words, plus the carried-over
    context for a follow-up."""
    own = set(tokenize(part.text))
    if question.followup:
        own |= set(tokenize(part.resolved))
    own |= {ALIASES[t] for t in own if t in ALIASES}  # "FDR's" shares "Roosevelt" with a claim
    return own - FRAMING


# A definition: what a thing was, who a person was, why something had its name. It asks for the
# literature's account; a verdict on one of the essay's sentences about the subject answers
# another question. "Who designed Magnitogorsk?" asks what the essay claims, so it is not one.
DEFINITION_RE = re.compile(
    r"^\W*(?:(?:ok|so|and|but)\W+)?(?:(?:who|what) (?:was|were|is|are)\b(?! the (?:number|total|figure|toll|count)\b)|"
    r"who (?:directed|starred|played|produced|translated)\b|"
    r"why (?:was|were|is) \w+(?: \w+)? (?:called|named|known as)\b|what does \S+ mean\b)"
    r"|\bwhat (?:was|is) (?:that|this|it)\W*$",
    re.I,
)
ESSAY_CLAIM_RE = re.compile(
    r"\b(?:essay|article|wear|author|claims?|says?|said|true|right|correct|accurate|really|myth)\b", re.I
)


def asks_definition(text: str) -> bool:
    return bool(DEFINITION_RE.search(text)) and not COUNT_RE.search(text)


def _defines(parts: Sequence[str]) -> bool:
    """Every part asks what something was, or (after the first) goes on about it without checking
    anything: "who was Albert Kahn and what did he build in Russia?"."""
    if not parts or not asks_definition(parts[0]):
        return False
    return all(
        asks_definition(p) or (PRONOUN_RE.search(p) and not CHECK_RE.match(p) and not COUNT_RE.search(p))
        for p in parts[1:]
    )


COUNT_RE = re.compile(r"\b(?:how many|how much|number|count|toll|total|figures?|percent(?:age)?)\b", re.I)


def _counted(question: Question, part: PartEvidence) -> set[str]:
    """What the part counts: "how many died" → deaths; in a counting chain, "and tanks?" → tanks."""
    if not question.english:
        return foreign_counted_kinds(part.text)
    kinds = counted_kinds(part.resolved)
    if question.followup and question.asks_quantity:
        kinds |= {WORD_KIND[w] for w in re.findall(r"[a-z]+", part.text.lower()) if w in WORD_KIND}
    return kinds


def _cards(
    question: Question, parts: Sequence[PartEvidence], ctx: Context, policy: AnswerPolicy
) -> list[ClaimMatch]:
    if question.intent in {"overview", "right-wrong"}:
        return []
    defines = _defines([p.text for p in parts]) and question.premise is None
    if defines and not ESSAY_CLAIM_RE.search(question.text):
        return []  # "who was William Bullitt?", "what was Lend-Lease?": not a check of a claim
    # a paragraph the question cites ("¶39", "the final paragraph") may hold several claims
    cited = bool(PARAGRAPH_RE.search(question.text) or _placed_paragraphs(question.text, ctx))
    several = len(parts) > 1 or question.intent == "compare" or cited
    limit = policy.max_cards if several else policy.single_cards
    gate = policy if several else replace(policy, claim_relative=policy.second_card_relative)
    if question.intent == "source":  # who/what/reliability questions: only a claim squarely about it
        gate = replace(gate, claim_subject_idf=policy.claim_subject_idf * 2)
    out: list[ClaimMatch] = []
    for part in parts:
        for m in _part_cards(question, part, ctx, gate, limit, single=len(parts) == 1, several=several):
            if not any(m.claim.id == o.claim.id or m.claim.quote == o.claim.quote for o in out):
                out.append(m)
    return out[: policy.max_cards]


def _part_cards(
    question: Question,
    part: PartEvidence,
    ctx: Context,
    gate: AnswerPolicy,
    limit: int,
    single: bool,
    several: bool = False,
) -> list[ClaimMatch]:
    """The ranked claims of one sub-question (a single question's cues are read from its whole,
    spelling-corrected text)."""
    hits = [h for h in part.essay_hits if not ctx.reviewed_essay or h.passage.source == ctx.reviewed_essay]
    said = question.parts[0] if single and question.parts else part.text
    subject = _subject(question, part)
    found = rank_claims(
        WeightedQuery.build(part.text, part.resolved, gate.context_weight),
        subject,
        hits,
        ctx.claims,
        ctx.idf,
        part.claim_sims,
        gate,
        limit=limit,
        multilingual=part.multilingual,
        kinds=_counted(question, part),
        asserted=_asserted_kinds(question),
        passages=[p for p in ctx.essay_passages if p.source == ctx.reviewed_essay],
        cues=_cues(question, part, ctx, said, gate) if question.english else Cues(),
        near_digests=frozenset(h.passage.source for h in part.lit_hits[: gate.multilingual_digest_hits])
        if part.multilingual
        else frozenset(),
        years=years_named(part.text),
    )
    return (
        found
        if several
        else same_subject_second(found, subject, ctx.idf, part.claim_sims, gate.second_card_sim_gap)
    )


def _asserted_kinds(question: Question) -> frozenset[str]:
    """What the figures a question asserts count ("killed 20 million" → deaths)."""
    figures = question.premise.figures if question.premise else ()
    return frozenset(WORD_KIND.get(f.kind.lower(), f.kind.lower()) for f in figures if f.kind != "year")


def _cues(question: Question, part: PartEvidence, ctx: Context, said: str, policy: AnswerPolicy) -> Cues:
    """What the part itself says of the claim it means; a name only it uses, not one carried over
    from the chat, and never the essay's own name, author or outlet."""
    only = ""
    if ESSAY_SENTENCE_RE.search(part.text):
        own = set(tokenize(part.text))
        names = [
            n for n in question.entities if set(tokenize(n)) <= own and not set(tokenize(n)) & ctx.name_tokens
        ]
        only = only_claim_naming(names, ctx.claims, ctx.idf, policy.subject_name_idf)
    cues = replace(Cues.of(part.text, said, only), words=frozenset(_subject(question, part)))
    placed = _placed_paragraphs(part.text, ctx)
    return replace(cues, paragraphs=cues.paragraphs | placed) if placed else cues


# "the essay's final paragraph", "its opening paragraph": a paragraph named by its place
PLACED_PARAGRAPH_RE = re.compile(
    r"\b(?:(final|last|closing|concluding)|(first|opening))\s+(?:paragraph|para)\b|\b(?:the|its|essay's|essay’s|article's) (conclusion)\b",
    re.I,
)


def _placed_paragraphs(text: str, ctx: Context) -> frozenset[int]:
    """The essay paragraphs a question names by place; the opening one is the first that is a
    paragraph of prose, not a title or byline line."""
    found: set[int] = set()
    places = PLACED_PARAGRAPH_RE.findall(text)
    paras = [(p.paragraphs[-1], p) for p in ctx.essay_passages if p.paragraphs] if places else []
    if not paras:
        return frozenset()
    for last, first, conclusion in places:
        if last or conclusion:
            found.add(max(n for n, _ in paras))
        elif first:
            prose = [p.paragraphs[0] for _, p in paras if len(p.text) >= 200]
            if prose:
                found.add(min(prose))
    return frozenset(found)


# "the essay's Magnitogorsk sentence", "its line about Komsomolsk": one sentence of the essay
ESSAY_SENTENCE_RE = re.compile(
    r"\b(?:essay|article|author|wear|its)(?:'s|’s)?\s+(?:\w+\s+){0,3}?(?:sentence|line|statement|passage)\b",
    re.I,
)


def _on_topic_essay(
    h: Hit, q: WeightedQuery, best: float, names: Sequence[str], idf, policy: AnswerPolicy, multilingual: bool
) -> bool:
    if multilingual:
        return h.dense >= max(policy.multilingual_min_relevance + 0.06, best - policy.essay_relative)
    if any(n in h.passage.text.lower() for n in names):
        return True
    if h.dense < best - policy.essay_relative:
        return False
    if h.dense >= policy.essay_min_dense:
        return True
    return (
        h.dense >= policy.essay_weak_dense
        and overlap(set(tokenize(h.passage.text)), q, idf) >= policy.essay_min_overlap
    )


def _on_topic_lit(
    h: Hit, q: WeightedQuery, best: float, idf, policy: AnswerPolicy, multilingual: bool
) -> bool:
    if multilingual:
        return h.dense >= best - policy.literature_relative
    if h.dense >= max(policy.literature_min_dense, best - policy.literature_relative):
        return True
    return overlap(set(tokenize(h.passage.text)), q, idf) >= policy.literature_min_overlap


def _subject_tokens(question: Question, ctx: Context, policy: AnswerPolicy) -> frozenset[str]:
    """The rare corpus names the question uses ("Uralvagonzavod", "Bullitt"; not "Stalin")."""
    toks = {t for name in question.entities for t in tokenize(name)}
    return frozenset(t for t in toks if ctx.idf(t) >= policy.subject_name_idf)


def _heads_name(h: Hit, subject: frozenset[str]) -> bool:
    """The passage's document or section is headed by a name the question asks about: its other
    sections are about the same subject even when their wording is far from the question's."""
    return bool(subject) and not subject.isdisjoint(tokenize(f"{h.passage.title} {h.passage.section}"))


def _interleave(lists: Sequence[Sequence[Hit]]) -> list[Hit]:
    out: list[Hit] = []
    seen: set[str] = set()
    for i in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if i < len(lst) and lst[i].passage.id not in seen:
                out.append(lst[i])
                seen.add(lst[i].passage.id)
    return out


def _select_essay(
    question: Question,
    parts: Sequence[PartEvidence],
    cards: Sequence[ClaimMatch],
    ctx: Context,
    policy: AnswerPolicy,
    top_k: int,
    claim_list: Sequence[Claim],
) -> list[Hit]:
    chosen: list[Hit] = [m.hit for m in cards]
    if claim_list:  # overview of right/wrong: the paragraphs that carry the listed claims
        chosen += _claim_paragraphs(claim_list, ctx)
    elif question.intent == "overview" and ctx.essay_passages:
        chosen += _opening_and_close(ctx, _named_section(question, ctx))
    else:
        # a rare name ("Uralvagonzavod") puts its paragraphs on topic; "Stalin" is in most of them
        names = _admitting_names(question, ctx, policy)
        per_part = []
        for part in parts:
            q = WeightedQuery.build(part.text, part.resolved, policy.context_weight)
            best = max((h.dense for h in part.essay_hits), default=0.0)
            on_topic = [
                h
                for h in part.essay_hits
                if _on_topic_essay(h, q, best, names, ctx.idf, policy, part.multilingual)
            ]
            per_part.append(on_topic)
        chosen += _interleave(per_part)
    out: list[Hit] = []
    for h in chosen:
        if all(h.passage.id != o.passage.id for o in out):
            out.append(h)
    return out[: max(top_k, len(cards))]


def _admitting_names(question: Question, ctx: Context, policy: AnswerPolicy) -> list[str]:
    """Names that put an essay paragraph on topic by themselves: rare ones ("Uralvagonzavod"),
    never the essay's own author or outlet ("Wear", "Inconvenient History", which its byline
    alone carries) and never a first name or common word ("John", "German")."""
    return [
        n
        for n in question.entities
        if tokenize(n)
        and not _first_name(n, question)
        and all(ctx.idf(t) >= policy.essay_name_idf and t not in ctx.name_tokens for t in tokenize(n))
    ]


def _first_name(name: str, question: Question) -> bool:
    """ "john" in "John Wear", "anne" in "Anne Applebaum": a name the question follows with
    another name; only the last (the surname) says whose paragraph it is."""
    words = [w.lower().strip("’'") for w in re.findall(r"[\w’'-]+", question.resolved)]
    names = set(question.entities)
    return any(w == name and i + 1 < len(words) and words[i + 1] in names for i, w in enumerate(words))


def _claim_paragraphs(claims: Sequence[Claim], ctx: Context) -> list[Hit]:
    found = (
        next((x for x in ctx.essay_passages if c.paragraph in x.paragraphs and c.quote in x.text), None)
        for c in claims
    )
    return [Hit(p, 0.0, 0.0, 0.0) for p in found if p is not None]


def _named_section(question: Question, ctx: Context) -> str:
    """The essay section the question names by its heading or, failing that, by what only that
    section's paragraphs talk about ("the Lend-Lease section")."""
    texts: dict[str, str] = {}
    for p in ctx.essay_passages:
        if p.section and p.paragraphs and p.paragraphs[0] > 0:
            texts[p.section] = texts.get(p.section, "") + " " + p.text
    return overview.named_section(question.text, texts.keys(), texts)


def _opening_and_close(ctx: Context, section: str = "") -> list[Hit]:
    """An overview shows where the essay's argument (or the named section's) starts and where it
    ends up."""
    body = [
        p
        for p in ctx.essay_passages
        if p.section
        and p.paragraphs
        and p.paragraphs[0] > 0
        and p.section != "Title and publication data"
        and (not section or p.section == section)
    ]
    return [Hit(body[0], 0.0, 0.0, 0.0), Hit(body[-1], 0.0, 0.0, 0.0)] if body else []


def _about_the_essay_as_a_whole(question: Question, ctx: Context) -> bool:
    """A broad question about the essay itself ("what are its errors?"), not about one of its
    subjects ("can I trust its Gulag figure?"): only then does the essay's own profile lead."""
    if question.intent not in {"overview", "right-wrong", "source"} or not question.about_essay:
        return False
    own = {t for p in ctx.essay_passages[:1] for t in tokenize(p.title)} | set(tokenize(ctx.essay_title))
    names = own | ESSAY_NAME_TOKENS | ctx.name_tokens | set(tokenize(_named_section(question, ctx)))
    subjects = [e for e in question.entities if not set(tokenize(e)) <= names]
    return not subjects and (question.intent != "source" or bool(ESSAY_RE.search(question.text)))


@dataclass(frozen=True)
class _LiteratureRanking:
    """What lifts a literature passage above its fused retrieval score for this answer."""

    wanted: frozenset[str]  # digests the shown claim rests on
    numbers: tuple[str, ...]  # the reviewed claim's literature figures
    profiles: bool  # a broad question about the essay itself: its own profile leads
    subject: frozenset[str]  # rare names the question asks about
    corrections: frozenset[str] = frozenset()  # passage ids that correct the listed claims (they
    # pass the gate and lead, in the list's order)

    def score(self, h: Hit, question: Question, ctx: Context, policy: AnswerPolicy) -> float:
        s = h.score + (policy.literature_claim_boost if h.passage.source in self.wanted else 0.0)
        if _heads_name(h, self.subject):
            s += policy.literature_subject_boost
        if self.numbers and any(n in h.passage.text for n in self.numbers):
            s += policy.literature_figure_boost  # the passage that states the reviewed figure
        if self.profiles and h.passage.source in ctx.essay_profiles:
            s += policy.overview_boost
            if overview.section_cue(question.text, h.passage.section):
                s += policy.overview_boost
        return s


JUDGEMENT_HEADING_RE = re.compile(
    r"\b(?:historians?|scholars?|scholarship|specialists?'?|judged?|judgements?|received|reception|"
    r"rejection|rejects?|debate|assess\w*|verdict|consensus)\b",
    re.I,
)


def judgement_sections(passages: Sequence[Passage]) -> dict[str, list[Passage]]:
    """Per literature document, the sections whose heading says they give the historians' view."""
    out: dict[str, list[Passage]] = {}
    for p in passages:
        if p.side == "literature" and JUDGEMENT_HEADING_RE.search(p.section or ""):
            out.setdefault(p.source, []).append(p)
    return out


def _with_judgements(hits: list[Hit], part: PartEvidence, ctx: Context, policy: AnswerPolicy) -> list[Hit]:
    """A yes/no question is answered by the historians' judgement: the judging sections of the
    leading documents join, just after their document's best hit (their own dense similarity is
    their best sentence's, so the gate still applies)."""
    have = {h.passage.id for h in hits}
    extra: list[Hit] = []
    for h in [h for h in hits if h.passage.source in ctx.judgements][: policy.judgement_documents]:
        for p in ctx.judgements[h.passage.source]:
            if p.id in have:
                continue
            have.add(p.id)
            dense = 0.0
            if ctx.sentences is not None and part.qvec is not None:
                _, vecs = ctx.sentences.get(p.id, p.text)
                dense = float((vecs @ part.qvec).max()) if vecs is not None and len(vecs) else 0.0
            extra.append(Hit(p, h.score - 1e-4, dense, 0.0))
    return hits + extra


def _select_literature(
    question: Question,
    parts: Sequence[PartEvidence],
    cards: Sequence[ClaimMatch],
    ctx: Context,
    policy: AnswerPolicy,
    top_k: int,
    topic: Sequence[Claim] = (),
) -> list[Hit]:
    """``topic``: the listed claims of a right/wrong question narrowed to a topic ("the tank
    numbers"), whose digests answer it rather than the essay's own profile."""
    rank = _LiteratureRanking(
        wanted=frozenset(d for c in [m.claim for m in cards] + list(topic) for d in c.digests),
        numbers=tuple(
            f.literature
            for m in cards[:1]
            for f in m.claim.figures
            if any(ch.isdigit() for ch in f.literature)
        ),
        # a paragraph the question names by place is checked by its claims, not the profile
        profiles=not topic
        and not (cards and _placed_paragraphs(question.text, ctx))
        and _about_the_essay_as_a_whole(question, ctx),
        subject=_subject_tokens(question, ctx, policy),
        corrections=frozenset(ctx.corrections[c.id].id for c in topic if c.id in ctx.corrections),
    )
    # a section's or topic's listed claims are answered by their corrections, which need not
    # share a word with "what in that chapter would mislead them most?"
    extra = list(dict.fromkeys(ctx.corrections[c.id] for c in topic if c.id in ctx.corrections))
    per_part = []
    for part in parts:
        q = WeightedQuery.build(part.text, part.resolved, policy.context_weight)
        best = max((h.dense for h in part.lit_hits), default=0.0)
        hits = list(part.lit_hits)
        if question.checks and question.english and not rank.profiles:
            hits = _with_judgements(hits, part, ctx, policy)
        if rank.profiles:  # broad questions rarely share words with the profile that answers them
            have = {h.passage.id for h in hits}
            hits += [Hit(p, 0.0, best, 0.0) for p in ctx.profile_passages if p.id not in have]
        have = {h.passage.id for h in hits}
        hits += [Hit(p, 0.0, best, 0.0) for p in extra if p.id not in have]
        hits.sort(key=lambda h: -rank.score(h, question, ctx, policy))
        if extra:  # a listed claim's correction, in the list's order (errors first), leads
            first = {p.id: i for i, p in enumerate(extra)}
            hits.sort(key=lambda h: first.get(h.passage.id, len(first)))
        per_part.append([h for h in hits if _keep_literature(h, q, best, part, rank, ctx, policy)])
    return _interleave(per_part)[:top_k]


def _keep_literature(
    h: Hit,
    q: WeightedQuery,
    best: float,
    part: PartEvidence,
    rank: _LiteratureRanking,
    ctx: Context,
    policy: AnswerPolicy,
) -> bool:
    """The literature gate: on topic, or the essay's own profile on a broad question, or a
    section of the document that is headed by the question's subject."""
    return (
        _on_topic_lit(h, q, best, ctx.idf, policy, part.multilingual)
        or (rank.profiles and h.passage.source in ctx.essay_profiles)
        or h.passage.id in rank.corrections
        or (_heads_name(h, rank.subject) and h.dense >= policy.literature_min_dense)
    )


def _excerpt(
    h: Hit,
    part: PartEvidence,
    question: Question,
    ctx: Context,
    policy: AnswerPolicy,
    prefer: str = "",
    figures: Sequence[str] = (),
) -> tuple[int, int]:
    p = h.passage
    if question.intent == "overview" and p.side == "essay" and p.text.strip():
        return _thesis(p.text)  # an overview quotes where each paragraph starts, its thesis
    q = WeightedQuery.build(
        part.text if question.english else "",
        part.resolved if question.english else "",
        policy.context_weight,
    )
    if p.side == "literature":
        # the passage's title words, and the words that frame a question ("is the essay itself
        # antisemitic?"), cannot choose among a literature passage's sentences
        titled = set(tokenize(f"{p.title} {p.section}"))
        if set(q.weights) - titled - FRAMING:
            titled |= FRAMING  # unless framing is all the question has ("what does it get right?")
        q = q.discount(titled, policy.excerpt_title_weight)
    spans, svecs = ctx.sentences.get(p.id, p.text) if ctx.sentences is not None else (None, None)
    broad = question.intent == "overview" and p.kind == "profile"  # a gist reads as two or three sentences
    s, e, _ = choose(
        p.text,
        q,
        ctx.idf,
        asked_kinds(part.resolved),
        part.qvec,
        spans,
        svecs,
        prefer,
        figures,
        policy.excerpt_dense_weight,
        policy.excerpt_short,
        neighbour_share=0.0 if broad else policy.excerpt_neighbour_share,
        max_chars=600 if broad else policy.excerpt_max_chars,
        stance=policy.excerpt_stance_weight if question.checks and p.side == "literature" else 0.0,
    )
    return s, e


def _thesis(text: str) -> tuple[int, int]:
    """The paragraph's first sentence (and the next, when the first is a short lead-in)."""
    spans = sentence_spans(text) or [(0, len(text))]
    s, e = spans[0]
    if e - s < 80 and len(spans) > 1:
        e = spans[1][1]
    return s, e


def _part_for(h: Hit, parts: Sequence[PartEvidence]) -> PartEvidence:
    for part in parts:
        if any(x.passage.id == h.passage.id for x in list(part.essay_hits) + list(part.lit_hits)):
            return part
    return parts[0]


def compose(
    question: Question,
    parts: Sequence[PartEvidence],
    ctx: Context,
    policy: AnswerPolicy | None = None,
    top_k: int = 3,
) -> Answer:
    policy = policy or AnswerPolicy()
    cards = _cards(question, parts, ctx, policy)
    inv = _overview_claims(question, ctx)
    counts, claim_list = inv.counts, inv.claims
    essay_hits = _select_essay(question, parts, cards, ctx, policy, top_k, claim_list[:top_k])
    topic = claim_list[:top_k] if inv.topic or inv.section else []
    if cards and not topic and _placed_paragraphs(question.text, ctx):
        topic = [m.claim for m in cards]  # "the final paragraph": its claims' corrections answer it
    lit_hits = _select_literature(question, parts, cards, ctx, policy, top_k, topic)
    essay = _essay_passages(question, parts, cards, claim_list[:top_k], essay_hits, ctx, policy)
    lit_figures = [f.literature for m in cards[:1] for f in m.claim.figures]
    literature = [
        _shown(h, _excerpt(h, _part_for(h, parts), question, ctx, policy, figures=lit_figures), f"L{i}")
        for i, h in enumerate(lit_hits, 1)
    ]
    marker_of = {p.id: p.marker for p in essay}
    shown_cards = tuple(
        ClaimCard(m.claim, marker_of[m.hit.passage.id]) for m in cards if m.hit.passage.id in marker_of
    )
    literature, premise_text = _check_premise(question, parts, essay, literature, ctx, policy, top_k)
    if premise_text.endswith(premises.NO_EVIDENCE) and _cards_compare(question, shown_cards):
        premise_text = ""  # the shown claim's figures, side by side, check the asserted one
    if not premise_text and not shown_cards and question.intent not in {"overview", "right-wrong"}:
        premise_text = premises.check_claim(question.premise, literature)
    missing = _uncovered_part(question, essay, literature, shown_cards, ctx)
    if missing:
        why = (
            f"the sources say nothing about {missing} in the context of the earlier question, "
            "so Counterpoint does not answer something near it."
        )
        return abstain(
            question.text,
            question.resolved,
            (),
            why,
            "part-not-covered",
            ctx.essay_title,
            suggestions=ctx.suggestions,
        )
    direct = _direct(question, shown_cards, essay, literature, premise_text, inv)
    return _answer(question, essay, literature, shown_cards, claim_list, counts, premise_text, direct, ctx)


def _uncovered_part(
    question: Question,
    essay: Sequence[Passage],
    literature: Sequence[Passage],
    cards: Sequence[ClaimCard],
    ctx: Context,
) -> str:
    """What a follow-up asks that no shown passage covers ("and to China?", "and aircraft?")."""
    if not question.followup:
        return ""
    missing = _uncovered_name(question, essay, literature)
    if not missing and question.asks_quantity and not cards:
        missing = _uncovered_focus(question, essay, literature, ctx.idf)
    return missing


def _cards_compare(question: Question, cards: Sequence[ClaimCard]) -> bool:
    kinds = {q.kind for q in (question.premise.figures if question.premise else ())}
    return any(f.kind in kinds for c in cards for f in c.claim.figures)


@dataclass(frozen=True)
class _Inventory:
    """What a right-or-wrong question is answered with: verdict counts, the claims listed, and
    the section or topic they were narrowed to."""

    counts: dict[str, int]
    claims: list[Claim]
    section: str = ""
    topic: str = ""


def _overview_claims(question: Question, ctx: Context) -> _Inventory:
    """The verdict counts and the claims asked for, from the section the question names, or the
    topic it names ("the tank numbers"), else the whole essay."""
    if question.intent != "right-wrong":
        return _Inventory({}, [])
    wanted = overview.wanted_verdicts(question.text)
    section = _named_section(question, ctx)
    claims = [c for c in ctx.claims if section and c.section == section]
    if claims:
        return _Inventory(overview.inventory(claims), overview.select(claims, wanted), section=section)
    topic = overview.topic_claims(question.text, ctx.claims, ctx.idf)
    if topic:  # every claim on the topic, the verdicts asked about first
        words = overview.topic_words(question.text, topic)
        order = list(wanted) + [v for v in overview.TOPIC_ORDER if v not in wanted]
        listed = overview.select(topic, order, per_paragraph=False)
        return _Inventory(overview.inventory(topic), listed, topic=words)
    return _Inventory(overview.inventory(ctx.claims), overview.select(ctx.claims, wanted))


def _shown(h: Hit, span: tuple[int, int], marker: str, **extra) -> Passage:
    s, e = span
    return replace(h.passage, quote=h.passage.text[s:e], score=round(h.score, 5), marker=marker, **extra)


def _essay_passages(
    question: Question,
    parts: Sequence[PartEvidence],
    cards: Sequence[ClaimMatch],
    listed_claims: Sequence[Claim],
    essay_hits: Sequence[Hit],
    ctx: Context,
    policy: AnswerPolicy,
) -> list[Passage]:
    """Essay paragraphs with their excerpts: a paragraph that carries a shown claim is cut around
    the claim's own words, and keeps the footnote its excerpt cites."""
    listed = {}
    for c in listed_claims:
        pid = next((h.passage.id for h in essay_hits if c.quote in h.passage.text), "")
        if pid:
            listed[pid] = c
    claims_at: dict[str, list[Claim]] = {}
    for m in cards:  # in card order: the first card's claim leads its paragraph's excerpt
        claims_at.setdefault(m.hit.passage.id, []).append(m.claim)
    for pid, c in listed.items():
        claims_at.setdefault(pid, []).append(c)
    asked = [q.text for q in extract(question.text) if q.kind != "year"] if question.english else []
    quoted = quoted_phrases(question.text) if question.english else ()
    essay: list[Passage] = []
    for i, h in enumerate(essay_hits, 1):
        prefer = _claims_span(h.passage.text, claims_at.get(h.passage.id, []), policy.excerpt_max_chars)
        if any(n in h.passage.text and n not in prefer for n in asked):
            prefer = ""  # "can I use the essay's $376 million?": show the sentence with that figure
        prefer = _with_quoted(h.passage.text, prefer, quoted, policy.excerpt_max_chars)
        s, e = _excerpt(h, _part_for(h, parts), question, ctx, policy, prefer=prefer, figures=asked)
        p = h.passage
        notes = tuple(n for n in p.footnotes if f"[{n.number}]" in p.text[s:])[:1] or p.footnotes[:1]
        essay.append(_shown(h, (s, e), f"E{i}", footnotes=notes))
    return essay


def _with_quoted(text: str, prefer: str, quoted: Sequence[str], max_chars: int) -> str:
    """The words the question quotes from the essay ("'was created for war and conquest'") are
    shown with the claim's own, when both fit in one excerpt, or alone when no claim is there."""
    low = text.lower()
    for phrase in quoted:
        at = low.find(phrase.lower())
        if at < 0:
            continue
        if not prefer:
            return text[at : at + len(phrase)]
        p = text.find(prefer)
        if p < 0:
            continue
        s, e = min(at, p), max(at + len(phrase), p + len(prefer))
        inside = [(a, b) for a, b in sentence_spans(text) if a < e and b > s]
        if inside and inside[-1][1] - inside[0][0] <= max_chars:
            return text[s:e]  # their whole sentences fit too
    return prefer


def _claims_span(text: str, claims: Sequence[Claim], max_chars: int) -> str:
    """The first claim's quote, or the stretch of text from it to the next claim's quote when
    both fit in one excerpt (two cards on one paragraph show both sentences)."""
    quotes = [c.quote for c in claims if c.quote in text]
    if not quotes:
        return ""
    spans = [(text.index(q), text.index(q) + len(q)) for q in quotes[:2]]
    s, e = min(a for a, _ in spans), max(b for _, b in spans)
    return text[s:e] if e - s <= max_chars else quotes[0]


def _check_premise(
    question: Question,
    parts: Sequence[PartEvidence],
    essay: Sequence[Passage],
    literature: list[Passage],
    ctx: Context,
    policy: AnswerPolicy,
    top_k: int,
) -> tuple[list[Passage], str]:
    """The premise check, and the literature passage that settles it when none shown does."""
    if not question.english:
        return literature, ""
    premise_text = premises.check(question.premise, literature, essay)
    if not premise_text.endswith(premises.NO_EVIDENCE) or question.premise is None:
        return literature, premise_text
    # the figure the question asserts is part of the question: show the passage that checks it
    shown = {p.id for p in literature}
    pool = [
        p
        for part in parts
        for p in [h.passage for h in part.lit_hits] + list(part.premise_pool)
        if p.id not in shown
    ]
    extra = premises.first_with_evidence(question.premise, pool)
    if extra is None:
        return literature, premise_text
    k = min(len(literature), top_k - 1) + 1
    hit = Hit(extra, 0.0, 0.0, 0.0)
    figures = [f.text for f in question.premise.figures]
    span = _excerpt(hit, parts[0], question, ctx, policy, figures=figures)
    literature = literature[: k - 1] + [replace(extra, quote=extra.text[span[0] : span[1]], marker=f"L{k}")]
    return literature, premises.check(question.premise, literature, essay)


def _notices(question: Question, essay: Sequence[Passage], ctx: Context) -> list[str]:
    notices = [
        f"“{p.title}” is a user-added essay: its claims are not reviewed."
        for p in essay[:1]
        if ctx.reviewed_essay and p.source != ctx.reviewed_essay
    ]
    if not question.english:
        notices.append(
            f"Your question is in {LANG_NAMES.get(question.language, question.language)}; it was matched "
            "with a multilingual encoder, and the answer quotes the English sources."
        )
    return notices


def _answer(
    question: Question,
    essay: Sequence[Passage],
    literature: Sequence[Passage],
    cards: tuple[ClaimCard, ...],
    claim_list: Sequence[Claim],
    counts: dict[str, int],
    premise_text: str,
    direct: str,
    ctx: Context,
) -> Answer:
    primary = cards[0].claim if cards and cards[0].marker == "E1" else None
    figures = _figures(primary, essay, literature, question.resolved)
    notices = _notices(question, essay, ctx)
    if cards:
        status = "reviewed"
    else:
        status = "not-reviewed" if any("user-added" in n for n in notices) else "no-matching-claim"
    return Answer(
        question=question.text,
        resolved_question=question.resolved,
        abstained=False,
        essay=tuple(essay),
        literature=tuple(literature),
        verdict=primary.verdict if primary else None,
        claim=primary,
        summary=summarize(essay, literature, primary, figures),
        figures=tuple(figures),
        suggestions=() if essay or literature else tuple(ctx.suggestions)[:4],
        notices=tuple(notices),
        review_status=status,
        direct=direct,
        cards=cards,
        claim_list=tuple(claim_list),
        inventory=tuple(counts.items()),
        premise=premise_text,
        language=question.language,
        intent=question.intent,
        parts=tuple(question.parts),
    )


def _figures(
    claim: Claim | None, essay: Sequence[Passage], literature: Sequence[Passage], resolved: str
) -> list[FigureComparison]:
    figures: list[FigureComparison] = []
    if claim is not None:
        for f in claim.figures:
            lit_marker = next((p.marker for p in literature if f.literature in p.text), "")
            figures.append(
                FigureComparison(f.kind, f.essay, f.literature, f.note, "E1", lit_marker, "review")
            )
    if not figures and essay:
        figures = compare(resolved, essay[0].quote, [(p.marker, p.quote) for p in literature])
    return figures


def _shown_tokens(passages: Sequence[Passage], numeric: bool) -> set[str]:
    """Words of the shown passages; with ``numeric``, only of sentences that state a figure."""
    shown: set[str] = set()
    for p in passages:
        for s, e in sentence_spans(p.text):
            sent = p.text[s:e]
            if not numeric or any(x.kind != "year" for x in extract(sent)):
                shown |= set(tokenize(sent))
    return shown


def _uncovered_name(question: Question, essay: Sequence[Passage], literature: Sequence[Passage]) -> str:
    """A name the follow-up brings that no shown passage mentions ("and to China?" after a
    question on trucks for the Red Army): the answer would be about the earlier subject."""
    # "what did he do in paris?": a place or thing the corpus never mentions, after a preposition
    # (an unknown adjective, "is that bogus?", says nothing about the subject)
    placed = [
        w
        for w in question.unknown_words
        if re.search(
            rf"\b(?:in|to|at|from|about|on|for|with)\s+(?:the\s+)?{re.escape(w)}\b", question.text, re.I
        )
    ]
    if placed:
        return "“" + " ".join(placed) + "”"
    typed = set(question.own_tokens)
    names = {t for e in question.entities for t in tokenize(e)} & typed
    if not names:
        return ""
    shown = _shown_tokens([*essay, *literature], numeric=False)
    if names & shown or any(ALIASES.get(n, "") in shown for n in names):
        return ""
    words = [w for w in re.findall(r"[\w’'-]+", question.text) if set(tokenize(w)) & names]
    return "“" + " ".join(dict.fromkeys(words)) + "”"


def _uncovered_focus(question: Question, essay: Sequence[Passage], literature: Sequence[Passage], idf) -> str:
    """The follow-up's own rare words that no shown excerpt contains ("aircraft"); when the
    earlier question asked for a quantity, only a sentence that states a figure counts."""
    shown = _shown_tokens([*essay, *literature], numeric=question.asks_quantity)
    own = [
        t
        for t in question.own_tokens
        if not t.isdigit() and idf(t) >= 1.0 and t not in FRAMING and t not in GENERIC_TOKENS
    ]
    missing = [t for t in own if t not in shown]
    if own and len(missing) == len(own):
        words = [
            w
            for w in question.text.strip(" ?.!").split()
            if any(w.lower().startswith(m[:4]) for m in missing)
        ]
        return "“" + " ".join(words or missing) + "”"
    return ""


def _repeats(rationale: str, p: Passage) -> bool:
    """The excerpt says what the rationale's first sentence already says (same figures, mostly
    the same words), so the direct answer need not quote it too."""
    first = first_sentence(rationale)
    nums = set(re.findall(r"\d[\d,.–-]*\d", p.quote))
    a, b = set(tokenize(first)), set(tokenize(p.quote))
    return (bool(nums) and nums <= set(re.findall(r"\d[\d,.–-]*\d", first))) or len(a & b) >= 0.6 * max(
        len(b), 1
    )


def _sentence_quote(p: Passage) -> str:
    return f"“{p.quote}” [{p.marker}]"


def _direct(
    question: Question,
    cards: Sequence[ClaimCard],
    essay: Sequence[Passage],
    literature: Sequence[Passage],
    premise_text: str,
    inv: _Inventory,
) -> str:
    """One to three sentences that answer the question, each made of verified pieces."""
    out: list[str] = [premise_text.rstrip(".") + "."] if premise_text else []
    if question.intent == "right-wrong" and inv.counts:
        wanted = overview.wanted_verdicts(question.text)
        out.append(overview.inventory_sentence(inv.counts, wanted, inv.section, inv.topic))
        if literature:
            out.append(f"In short: {_sentence_quote(literature[0])}")
    elif cards:
        # a premise line already quotes the literature: the card's rationale completes the answer
        rest = [] if re.search(r"\[L\d+\]", premise_text) else literature
        out += _card_sentences(cards, rest, room=3 - len(out))
    else:
        said = premise_text  # a premise line already quotes one literature sentence: not twice
        out += [
            x
            for x in _passage_sentences(question, essay, literature, room=3 - len(out))
            if x[1:60] not in said
        ]
    return " ".join(out[:3])


def _card_sentences(cards: Sequence[ClaimCard], literature: Sequence[Passage], room: int) -> list[str]:
    """Each shown claim with its verdict and the rationale's first sentence; for a single claim,
    the best literature sentence too unless the rationale already says it."""
    out = [
        f"{VERDICT_OPENERS[card.claim.verdict]}: the essay says “{card.claim.quote}” [{card.marker}]. "
        f"{first_sentence(card.claim.rationale)}"
        if i == 0 or card.claim.verdict != cards[0].claim.verdict
        else f"The essay also says “{card.claim.quote}” [{card.marker}], {ALSO[card.claim.verdict]}. "
        f"{first_sentence(card.claim.rationale)}"
        for i, card in enumerate(cards[: 2 if len(cards) > 1 else 1])
    ]
    single = len(cards) == 1
    if len(out) < room and literature and single and not _repeats(cards[0].claim.rationale, literature[0]):
        out.append(_sentence_quote(literature[0]))
    return out


def _passage_sentences(
    question: Question, essay: Sequence[Passage], literature: Sequence[Passage], room: int
) -> list[str]:
    """No reviewed claim: the best literature sentence (one per part of a multi-part question),
    then what the essay says."""
    out: list[str] = []
    if literature:
        # a yes/no question is answered by the literature's judgement, not by a restatement
        lead = (
            next((p for p in literature if STANCE_RE.search(p.quote)), literature[0])
            if question.checks
            else literature[0]
        )
        out.append(_sentence_quote(lead))
        second = next((p for p in literature if p.source != lead.source), None)
        if second is not None and len(out) < room and len(question.parts) > 1:
            out.append(_sentence_quote(second))
    if essay and question.intent != "source" and len(out) < room:
        out.append(f"The essay ({essay[0].locator}) says: {_sentence_quote(essay[0])}")
    if not literature and not essay:
        out.append("The corpus has nothing that answers this directly.")
    return out


def summarize(
    essay: Sequence[Passage],
    literature: Sequence[Passage],
    claim: Claim | None,
    figures: Sequence[FigureComparison],
) -> str:
    lines = []
    if essay:
        e = essay[0]
        lines.append(f"The essay (the contested source, {e.locator}) says: “{e.quote}” [{e.marker}]")
    else:
        lines.append("The essay does not address this directly.")
    if literature:
        l1 = literature[0]
        more = ", ".join(f"[{p.marker}]" for p in literature[1:])
        lines.append(
            f"Mainstream literature ({l1.title}, {l1.locator}): “{l1.quote}” [{l1.marker}]"
            + (f"; see also {more}." if more else "")
        )
    for f in figures:
        where = f" [{f.literature_marker}]" if f.literature_marker else ""
        lines.append(
            f"Figures, {f.kind}: essay {f.essay} [{f.essay_marker}] · literature {f.literature}{where}"
            + (f" ({f.note})" if f.note else "")
            + "."
        )
    if claim is not None:
        label = VERDICT_LABELS[claim.verdict]
        lines.append(f"Assessment (reviewed claim {claim.id}): {claim.verdict} ({label}). {claim.rationale}")
    return "\n".join(lines)
