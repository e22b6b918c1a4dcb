"""The realistic gold set (eval/gold_real.jsonl) is consistent with the corpus.

Runs eval/validate_gold_real.py; no model, index or assistant is involved.
"""

from __future__ import annotations

import copy

import pytest

from eval import validate_gold_real as v


@pytest.fixture(scope="module")
def rows():
    return v.load_rows(v.GOLD)


def test_gold_real_validates(rows):
    assert v.validate(rows) == []


def test_main_exit_code(capsys):
    assert v.main([]) == 0
    assert capsys.readouterr().out.strip().endswith("OK")


def test_counts_and_split(rows):
    assert len(rows) >= v.MIN_TOTAL
    assert all(r["split"] == v.split_for(r["id"]) for r in rows)
    held = sum(r["split"] == "heldout" for r in rows) / len(rows)
    assert 0.3 <= held <= 0.5
    assert not any(r["pending_corpus"] for r in rows)  # the context digests have landed


def _one(rows, **match):
    return copy.deepcopy(next(r for r in rows if all(r[k] == val for k, val in match.items())))


@pytest.mark.parametrize(
    "mutate, expect",
    [
        (lambda r: r.update(verdict="consistent"), "verdict"),
        (lambda r: r.update(essay_paragraphs=[]), "not in essay_paragraphs"),
        (lambda r: r.update(essay_paragraphs=[2, 39]), "body paragraphs"),
        (lambda r: r.update(essay_excerpt_any=["750,001 trucks"]), "essay excerpt"),
        (lambda r: r.update(literature_excerpt_any=["427,285"]), "literature excerpt"),
        (lambda r: r.update(literature=["no-such-digest"]), "unknown literature id"),
        (lambda r: r.update(claims=["C99"]), "unknown claim"),
        (lambda r: r.update(split="heldout" if r["split"] == "dev" else "dev"), "hash split"),
        (lambda r: r.update(literature_excerpt_any=["a b c d e f g"]), "2-5 words"),
    ],
)
def test_validator_catches_errors(rows, mutate, expect):
    row = _one(rows, claims=["C45"], style="sloppy")
    row.update(id="r999", q=row["q"] + " (mutated)", split=v.split_for("r999"))
    mutate(row)
    errors = v.validate(rows + [row])
    assert any(e.startswith("r999") and expect in e for e in errors), errors


def test_validator_catches_duplicates_and_bad_abstention(rows):
    dup = dict(_one(rows, style="oos-far"), id="r998")
    dup["split"] = v.split_for("r998")
    bad = dict(dup, id="r997", q="recipe for pelmeni?", literature=["gulag"], split=v.split_for("r997"))
    errors = v.validate(rows + [dup, bad])
    assert any(e.startswith("r998") and "duplicate question" in e for e in errors)
    assert any(e.startswith("r997") and "abstain row must have empty literature" in e for e in errors)


def test_pending_rows_only_name_pending_or_existing_digests(rows):
    lit = v.literature_bodies()
    for r in rows:
        unknown = [d for d in r["literature"] if d not in lit]
        assert not unknown or (r["pending_corpus"] and set(unknown) <= v.PENDING_IDS), r["id"]


@pytest.mark.parametrize(
    "name",
    ["gold_real_dev2.jsonl", "gold_real_dev3.jsonl", "gold_real_check4.jsonl", "gold_real_check5.jsonl"],
)
def test_fresh_dev_sets_validate(name):
    """The blind-written all-dev sets: ids f…, all dev, no question repeated from the first set."""
    rows = v.load_rows(v.GOLD.parent / name)
    assert v.validate(rows, fresh=True) == []
    bad = dict(rows[0], id="r001", split="heldout")
    errors = v.validate([bad], fresh=True)
    assert any("id must look like f001" in e for e in errors) and any("all dev" in e for e in errors)


def test_probe_questions_are_built_from_the_corpus_headings():
    import importlib.util

    spec = importlib.util.spec_from_file_location("probe_real", v.GOLD.parent / "probe_real.py")
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    hs = probe.headings(v.ROOT / "corpus")
    assert len(hs) > 100 and "The Hunger Plan of 1941" in hs
    assert probe.as_chat("The Hunger Plan of 1941") == "whats the deal with the hunger plan of 1941 lol"
    assert probe.as_question("Who designed it?") == "Who designed it?"
