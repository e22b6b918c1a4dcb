"""A second corpus needs no code change (issue 12, item 3): a tiny essay on the 1908 Tunguska
event, with two digests, one profile, two reviewed claims and its own corpus.yaml, indexed with
the real model into a temp home and questioned end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

SECOND = Path(__file__).resolve().parent / "fixtures" / "second_corpus"
ESSAY_ID = "essay:tunguska-mystery"
SECOND_SOURCES = {ESSAY_ID, "tunguska-blast", "tunguska-expeditions", "essay-tunguska-mystery"}


@pytest.fixture(scope="module")
def second(tmp_path_factory, embeddings):
    from rag import Assistant
    from rag.settings import Settings

    home = tmp_path_factory.mktemp("second-home")
    return Assistant(Settings(home=home, corpus_dir=SECOND, encoder="st"), embeddings=embeddings)


def _only_second(answer) -> None:
    shown = [*answer.essay, *answer.literature]
    assert shown and {p.source for p in shown} <= SECOND_SOURCES
    for p in shown:
        assert p.quote in p.text  # verbatim, as verify guarantees


def test_corpus_data_is_read_from_corpus_yaml(second):
    info = second.corpus.info
    essay = second.corpus.essays[ESSAY_ID]
    assert next(iter(second.corpus.essays)) == ESSAY_ID  # the reviewed essay
    assert essay.title == "The Tunguska Mystery Solved? A Second Look at 30 June 1908"
    assert essay.author == "Mara Lindqvist" and essay.outlet == "Fringe Quarterly"
    assert essay.outlet_description.startswith("a fictional magazine")
    assert info.profiles == {"essay": "essay-tunguska-mystery"}
    assert info.suggestions[0] == "How many trees did the Tunguska blast flatten?"
    assert {c.id: c.verdict for c in second.corpus.claims} == {"T01": "consistent", "T02": "contradicted"}


def test_figure_question_quotes_the_second_corpus_with_its_claim(second):
    from rag.figures import extract

    assert [q.kind for q in extract("80 million trees")] == ["trees"]  # a kind from its corpus.yaml
    a = second.ask("How many trees did the Tunguska blast flatten?")
    _only_second(a)
    assert a.essay[0].source == ESSAY_ID and a.cards and a.cards[0].claim.id == "T01"
    assert a.verdict == "consistent" and "80 million" in a.direct
    assert [f.kind for f in a.figures] == ["trees"]
    assert "Poison Partners" not in a.to_markdown()


def test_expedition_question_shows_the_contradicted_claim(second):
    a = second.ask("When did the first expedition reach the Tunguska site?")
    _only_second(a)
    assert a.claim is not None and a.claim.id == "T02" and a.verdict == "contradicted"
    assert any("1927" in p.quote for p in a.literature)
    assert "Poison Partners" not in a.to_markdown()


def test_out_of_scope_names_the_second_essay(second):
    a = second.ask("What was the capital of the Byzantine Empire?")
    assert a.abstained and not a.essay and not a.literature
    assert "The Tunguska Mystery Solved?" in a.summary and "Poison Partners" not in a.summary


def test_out_of_scope_suggests_the_second_corpus_questions(second):
    a = second.ask("What was the capital of the Byzantine Empire?")
    assert a.suggestions and set(a.suggestions) <= set(second.corpus.info.suggestions)
