"""Input limits at every edge (issue 15, failures 7 and the input items of 9): the Python API,
the CLI and the web /ask handler give one clear message, never a traceback or {"error": null}."""

import os
import subprocess
import sys

import pytest

from rag import Assistant
from rag.assistant import QuestionError
from rag.settings import Settings

from .conftest import REPO

TRUCKS = "How many trucks did the United States deliver?"


@pytest.fixture
def fresh(small_corpus, tmp_path, embeddings):
    return Assistant(
        Settings(home=tmp_path / "home", corpus_dir=small_corpus, encoder="st"), embeddings=embeddings
    )


@pytest.fixture
def bare(tmp_path, small_corpus, embeddings):
    """No index: the checks need none."""
    return Assistant(
        Settings(home=tmp_path / "bare", corpus_dir=small_corpus, encoder="st"),
        embeddings=embeddings,
        auto_index=False,
    )


def test_question_types_are_checked(bare):
    with pytest.raises(QuestionError, match="must be text, not int"):
        bare.check_question(123)
    with pytest.raises(QuestionError, match="must be text, not list"):
        bare.check_question(["How many trucks?"])
    with pytest.raises(QuestionError, match="Please type a question"):
        bare.check_question(None)


def test_invalid_code_points_are_replaced(bare):
    q = bare.check_question("How many trucks \ud800 were\x00 delivered\udcff?")
    q.encode("utf-8")  # no lone surrogate left
    assert "\x00" not in q and "\ufffd" in q and q.startswith("How many trucks")


def test_lone_surrogate_question_is_answered(fresh):
    a = fresh.ask("How many trucks did the United States deliver \ud83d?")
    assert not a.abstained and "427,284" in a.to_json()


@pytest.mark.parametrize(
    "history,expect",
    [
        (None, []),
        ([], []),
        ("How many trucks?", ["How many trucks?"]),  # a plain string is one question
        (("A?", " ", "B?"), ["A?", "B?"]),
        ((q for q in ["A?"]), ["A?"]),
    ],
)
def test_history_shapes(bare, history, expect):
    assert bare.check_history(history) == expect


@pytest.mark.parametrize(
    "history,match",
    [
        ([1, 2], r"earlier question 1 must be text, not int"),
        (["ok", None], r"earlier question 2 must be text, not NoneType"),
        ({"q": "x"}, r"history must be a list of earlier questions, not dict"),
        (42, r"history must be a list of earlier questions, not int"),
        (["x" * 2001], r"earlier question 1 is 2,001 characters long; the limit is 2,000"),
        (["q?"] * 21, r"21 earlier questions; the limit is 20"),
        (["x" * 1500] * 15, r"22,500 characters of earlier questions; the limit is 20,000"),
    ],
)
def test_history_limits(bare, history, match):
    with pytest.raises(QuestionError, match=match):
        bare.check_history(history)


def test_a_ten_megabyte_history_item_is_refused_at_once(bare):
    import time

    start = time.monotonic()
    with pytest.raises(QuestionError, match="characters long"):
        bare.check_history(["trucks " * 1_500_000])
    assert time.monotonic() - start < 0.5


def test_ask_stream_checks_history(fresh):
    with pytest.raises(QuestionError, match="characters long"):
        next(fresh.ask_stream("And the tanks?", ["x" * 5000]))


# -- the CLI ---------------------------------------------------------------------------------


def cli(fresh, *args):
    env = dict(
        os.environ,
        RAG_HOME=str(fresh.settings.home),
        RAG_CORPUS_DIR=str(fresh.settings.corpus_dir),
        RAG_ENCODER="st",
    )
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], env=env, cwd=REPO, capture_output=True, timeout=300
    )


def test_cli_invalid_utf8_and_long_history(fresh):
    p = cli(fresh, "ask", b"How many trucks did the United States deliver \xff\xfe?", "--json")
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr[-2000:]
    assert b"427,284" in p.stdout
    p = cli(fresh, "ask", "And the tanks?", "--history", "x" * 3000)
    err = p.stderr.decode()
    assert p.returncode == 2 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error:") and "earlier question 1 is 3,000 characters long" in last, err


# -- the web /ask handler --------------------------------------------------------------------


def test_web_ask_handler_gives_clear_errors(fresh, tmp_path):
    import gradio as gr

    from rag.webapp import build_app

    api_ask = build_app(fresh, export_dir=tmp_path / "export").counterpoint_handlers["api_ask"]
    out = api_ask("How many trucks did the United States deliver \ud800?", [])
    assert out["abstained"] is False
    for question, history, match in [
        ("And the tanks?", ["x" * 3000], "3,000 characters long"),
        ("And the tanks?", [1], "must be text, not int"),
        (7, [], "must be text, not int"),
        ("And the tanks?", '["a", {"b": 1}]', "must be text, not dict"),
        ("And the tanks?", ["q?"] * 21, "the limit is 20"),
    ]:
        with pytest.raises(gr.Error, match=match):
            api_ask(question, history)
    assert api_ask("And the tanks?", "How many trucks were sent?")["resolved_question"] != "And the tanks?"
