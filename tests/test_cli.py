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
