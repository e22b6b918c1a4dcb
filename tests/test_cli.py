"""The `rag` command line, run as a real subprocess against an indexed home."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import CORPUS, REPO


@pytest.fixture(scope="module")
def env(assistant):
    e = dict(os.environ, RAG_HOME=str(assistant.settings.home), RAG_CORPUS_DIR=str(CORPUS), RAG_ENCODER="st")
    return e


def rag(env, *args, check=True):
    p = subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_ask_json(env):
    out = json.loads(
        rag(env, "ask", "How many trucks and jeeps did the Allies send to the Soviet Union?", "--json").stdout
    )
    assert out["verdict"] == "contradicted"
    assert "750,000 trucks and jeeps" in out["essay"][0]["quote"] and out["essay"][0]["locator"] == "¶39"
    assert out["essay"][0]["footnotes"][0]["number"] == 29
    assert "427,284" in out["literature"][0]["quote"]
    assert out["figures"][0]["essay"] == "750,000" and out["figures"][0]["literature"] == "427,284"


def test_ask_markdown_followup_and_abstain(env):
    md = rag(
        env,
        "ask",
        "And how many tanks did they send?",
        "--history",
        "How many trucks and jeeps did the Allies send to the Soviet Union?",
    ).stdout
    assert "12,575" in md and "Mainstream literature says" in md
    assert "Not covered" in rag(env, "ask", "Who won the 2018 World Cup?").stdout


def test_ask_rejects_an_empty_question(env):
    p = rag(env, "ask", "  ", check=False)
    assert p.returncode == 2 and "Please type a question" in p.stderr


def test_index_and_claims(env):
    assert "up to date" in rag(env, "index").stdout
    table = rag(env, "claims").stdout
    assert "reviewed claims" in table and "C45" in table
    only = json.loads(rag(env, "claims", "--verdict", "contradicted", "--json").stdout)
    assert only and all(c["verdict"] == "contradicted" for c in only)
    reviews = json.loads(rag(env, "claims", "--format", "claimreview").stdout)
    assert len(reviews) >= 45 and reviews[0]["@type"] == "ClaimReview"
    assert reviews[0]["itemReviewed"]["author"]["name"] == "John Wear"


def test_claims_table_has_a_header_and_cuts_quotes_at_words(env, assistant):
    lines = rag(env, "claims").stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "¶", "Verdict", "Claim"]
    quotes = {c.id: " ".join(c.quote.split()) for c in assistant.claims()}
    cut = 0
    for line in lines[1:]:
        if not line.strip() or line.startswith(tuple("0123456789")):
            continue
        cid, text = line.split()[0], line.split(None, 3)[3]
        if text.endswith("…"):
            cut += 1
            stem = text[:-1]
            assert quotes[cid].startswith(stem) and len(text) <= 90, line
            assert quotes[cid][len(stem)] in " ,;:.", (
                f"cut mid-word: {line}"
            )  # the next character ends a word
        else:
            assert text == quotes[cid], line
    assert cut, "no long quote was cut"


@pytest.mark.parametrize("args", [("claims",), ("claims", "--json"), ("list",), ("ask", "Trucks?", "--json")])
def test_a_closed_pipe_exits_quietly(env, args):
    """`rag claims | head`: the reader is gone before the first line; no BrokenPipeError traceback."""
    p = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    p.stdout.close()  # closed before the command writes anything
    err = p.stderr.read().decode()
    p.wait(timeout=300)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert p.returncode == 0
