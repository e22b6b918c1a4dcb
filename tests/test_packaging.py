"""Packaging (issue 12, item 5): the wheel carries the bundled corpus as package data and no
top-level ``eval`` package; installed (not a checkout), the corpus and the index default to the
packaged copy and a per-user data folder. ``.ci/wheel-test`` installs the wheel for real."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rag import settings as s

from .conftest import CORPUS, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("*.whl"))


def test_wheel_carries_the_corpus_and_no_eval_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    corpus = {"rag/_corpus/" + p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()}
    assert corpus <= names and "rag/_corpus/corpus.yaml" in names
    assert "rag/evaluation/run.py" in names and "rag/evaluation/metrics.py" in names
    assert not [n for n in names if n.startswith(("eval/", "tests/"))]
    with zipfile.ZipFile(wheel) as z:  # byte for byte: corpus/ stays the source of truth
        assert z.read("rag/_corpus/claims.yaml") == (CORPUS / "claims.yaml").read_bytes()


def test_checkout_defaults_are_as_before():
    assert s.in_checkout()
    assert s.Settings().corpus_dir == REPO / "corpus" and s.Settings().home == Path(".rag")


def test_installed_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(s, "in_checkout", lambda: False)
    assert s.default_corpus_dir() == s.PACKAGED_CORPUS
    assert s.default_home({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "counterpoint"
    assert s.default_home({}) == Path.home() / ".local" / "share" / "counterpoint"


def test_no_module_of_rag_shadows_a_standard_one():
    """rag/pdfworker.py runs as a script with rag/ on sys.path: a rag/numbers.py would replace the
    standard ``numbers`` (imported by ``decimal``, hence by pypdf) and break every PDF."""
    shadowing = sorted(p.stem for p in (REPO / "rag").glob("*.py") if p.stem in sys.stdlib_module_names)
    assert not shadowing
