"""Every threshold of composition and abstention, named and documented in one place.

The defaults were calibrated on the dev splits of the two gold sets (eval/); the held-out splits
were never used. Override a value with ``dataclasses.replace(policy, name=value)`` or pass a
policy to ``Assistant(policy=...)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _p(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class AnswerPolicy:
    # which passages are shown
    essay_min_dense: float = _p(0.47, "An essay paragraph is on topic at this cosine or above.")
    essay_weak_dense: float = _p(0.20, "…or at this cosine when it also shares most of the question's words.")
    essay_min_overlap: float = _p(0.50, "Share of the question's idf-weighted words for the weak case.")
    essay_relative: float = _p(
        0.08, "An essay paragraph more than this below the best essay cosine is not shown."
    )
    literature_min_dense: float = _p(
        0.15, "A literature passage below this cosine is shown only with word overlap."
    )
    literature_relative: float = _p(
        0.25, "A literature passage more than this below the best cosine is not shown."
    )
    literature_min_overlap: float = _p(
        0.34, "Word overlap that lets a low-cosine literature passage through."
    )
    # reviewed claims
    claim_min_score: float = _p(
        0.36, "Least claim score (word overlap + dense similarity) to attach a claim."
    )
    claim_subject_idf: float = _p(
        2.0,
        "Least summed idf of words shared by the question and the claim's own "
        "quote or figure kinds: the gate on shared subject.",
    )
    claim_alone_sim: float = _p(0.62, "Dense similarity of question and claim that passes the gate alone.")
    claim_subject_sim: float = _p(0.55, "…or with at least one shared word of ``claim_anchor_idf``.")
    claim_anchor_idf: float = _p(1.0, "Summed idf of shared words that anchors a high-similarity claim.")
    claim_shared_sim: float = _p(0.47, "Least dense similarity when the gate passes on shared rare words.")
    claim_paragraph_idf: float = _p(
        4.5, "…or with this summed idf of words shared with the claim's whole essay paragraph."
    )
    claim_strong_idf: float = _p(4.5, "Summed idf of shared words so high that a modest similarity suffices…")
    claim_strong_sim: float = _p(0.38, "…namely this one (a quoted phrase, several rare names).")
    claim_counted_sim: float = _p(
        0.40, "Least similarity when the question counts the kind the claim counts and shares a word."
    )
    claim_figure_boost: float = _p(
        1.0, "A claim whose quote states the question's own figure (same number, same kind) leads."
    )
    claim_relative: float = _p(0.75, "Extra cards must score at least this share of the best card.")
    multilingual_claim_sim: float = _p(
        0.33,
        "Other languages: least multilingual similarity of question and claim "
        "(the better of its quote alone and quote with rationale).",
    )
    multilingual_digest_hits: int = _p(
        8,
        "Other languages: a claim is checked only when one of its digests is among this many literature hits.",
    )
    max_cards: int = _p(3, "Most claim cards on a multi-part or broad question.")
    single_cards: int = _p(2, "Most claim cards on a single question (a close second claim on its subject).")
    second_card_relative: float = _p(
        0.85, "On a single question, a second card must score at least this share of the best card…"
    )
    second_card_sim_gap: float = _p(0.05, "…and be at most this far below its dense similarity.")
    # excerpts
    excerpt_dense_weight: float = _p(0.8, "Weight of the sentence-to-question cosine against word overlap.")
    excerpt_short: int = _p(
        320, "An excerpt shorter than this grows by a neighbouring sentence (about two sentences)."
    )
    excerpt_neighbour_share: float = _p(
        0.3, "A neighbouring sentence scoring this share of the best one joins it."
    )
    excerpt_max_chars: int = _p(500, "Longest two-sentence excerpt.")
    excerpt_title_weight: float = _p(
        0.3, "Weight, when choosing a literature excerpt, of question words its own title or heading has."
    )
    excerpt_stance_weight: float = _p(
        0.25,
        'A yes/no question ("did…", "…right?") reads best against the literature sentence that '
        'judges the point ("most specialists reject…"): bonus for such a sentence.',
    )
    context_weight: float = _p(0.4, "Weight of words carried over from the chat history.")
    literature_claim_boost: float = _p(
        0.03, "Fused-score boost for passages of the digests a claim rests on."
    )
    literature_figure_boost: float = _p(
        0.01, "…and for passages that state the reviewed claim's literature figure."
    )
    literature_subject_boost: float = _p(
        0.004, "Fused-score boost for passages whose document or section title names the question's subject."
    )
    judgement_documents: int = _p(
        2, "Yes/no questions: how many leading literature documents add their judging sections."
    )
    subject_name_idf: float = _p(2.0, "Least idf of a name for it to count as the question's subject.")
    essay_name_idf: float = _p(
        2.0, "Least idf of a name that puts an essay paragraph on topic by itself (not 'John', 'German')."
    )
    overview_boost: float = _p(0.05, "Fused-score boost for the essay's own profile on overview questions.")
    # abstention
    min_relevance: float = _p(0.37, "English: abstain below this calibrated relevance.")
    multilingual_min_relevance: float = _p(
        0.24, "Other languages (multilingual encoder): abstain below this."
    )
    coverage_weight: float = _p(
        0.3, "Relevance penalty per unit share of question words absent from the corpus."
    )
    year_slack: int = _p(
        2, "A question naming a year is 'Not covered' unless a shown passage names a year this close."
    )
    unknown_name_penalty: float = _p(
        0.12, "Relevance penalty per capitalised name the corpus never mentions."
    )

    def describe(self) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(self)}
