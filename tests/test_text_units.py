"""Pure helpers: sentence spans, figure extraction and comparison, follow-up resolution, RRF."""

from rag.figures import asked_kinds, compare, extract
from rag.followup import is_followup, resolve
from rag.retrieve import rrf
from rag.sentences import sentence_spans, strip_markers


def test_sentence_spans_are_exact_and_respect_abbreviations():
    text = "John R. Deane wrote it. U.S. records show 427,284 trucks. Why? Yes.[3]"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "John R. Deane wrote it.",
        "U.S. records show 427,284 trucks.",
        "Why?",
        "Yes.[3]",
    ]
    assert strip_markers(text, spans[-1]) == (spans[-1][0], spans[-1][0] + 4)


def test_sentences_do_not_split_inside_quotations_and_do_split_lines():
    text = "Molotov answered: “Stalin said 10 million. In reality, 20 million.”[1] Next one.\nTitle line"
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got[0].endswith("20 million.”[1]") and got[1] == "Next one." and got[2] == "Title line"


def test_extract_figures_by_kind():
    kinds = {
        (q.kind, q.text)
        for q in extract("the 750,000 trucks and jeeps; 12,575 tanks; in 1933; $376 million; 25% of income")
    }
    assert ("trucks", "750,000") in kinds and ("tanks", "12,575") in kinds and ("year", "1933") in kinds
    assert ("dollars", "$376 million") in kinds and ("percent", "25%") in kinds


def test_compare_only_what_the_question_asks():
    lit = [("L1", "U.S. records show 427,284 trucks delivered by 1945.")]
    got = compare("How many trucks were sent?", "the 750,000 trucks and jeeps", lit)
    assert [(f.kind, f.essay, f.literature, f.literature_marker) for f in got] == [
        ("trucks", "750,000", "427,284", "L1")
    ]
    assert compare("Who designed it?", "the 750,000 trucks", lit) == []
    assert "year" in asked_kinds("When did the plan begin?")


def test_followups_inherit_context_minus_the_focus():
    h = ["How many trucks and jeeps did the Allies send to the Soviet Union?"]
    assert (
        resolve("And how many tanks did they send?", h)
        == "And how many tanks did they send? (Allies send Soviet Union)"
    )
    assert resolve("and the tanks?", h).startswith("and the tanks? (")
    assert resolve("Who designed Magnitogorsk?", h) == "Who designed Magnitogorsk?"
    assert resolve("And the tanks?", []) == "And the tanks?"
    assert not is_followup("Is Hoggan a reliable source?")
    assert is_followup("What about Chelyabinsk?")


def test_rrf_reference_values():
    scores = rrf([["a", "b", "c"], ["b", "c"]], k=60)
    assert scores["a"] == 1 / 61
    assert scores["b"] == 1 / 62 + 1 / 61
    assert scores["c"] == 1 / 63 + 1 / 62
    assert max(scores, key=scores.get) == "b"
