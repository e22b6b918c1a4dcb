"""The shared example questions (../shared/eval/examples.jsonl): expected text in the top three."""

import json

import pytest

from .conftest import SHARED

EXAMPLES = SHARED / "eval" / "examples.jsonl"
OUTLET_ONLY_IN_BOILERPLATE = {"What kind of publication is Inconvenient History?"}
ROWS = (
    [json.loads(ln) for ln in EXAMPLES.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if EXAMPLES.exists()
    else []
)


@pytest.mark.skipif(not ROWS, reason="../shared/eval/examples.jsonl not present")
@pytest.mark.parametrize("row", ROWS, ids=[r["q"][:40] for r in ROWS])
def test_example(assistant, row):
    a = assistant.ask(row["q"], history=row.get("history"))
    if row.get("abstain"):
        assert a.abstained
        return
    assert not a.abstained
    if row["q"] in OUTLET_ONLY_IN_BOILERPLATE:
        # The essay names its outlet only in the site's boilerplate line (¶2), which is no claim of
        # the essay and is not indexed (issue 13, item 14); the outlet is in every essay citation.
        assert all(row["essay_contains"] in p.citation for p in a.essay)
    else:
        assert any(row["essay_contains"] in p.text for p in a.essay[:3]), [p.locator for p in a.essay]
    lit = [p.text for p in a.literature[:3]]
    assert any(n in t for t in lit for n in row["literature_contains_any"]), [p.locator for p in a.literature]
    if "verdict" in row:
        assert a.verdict == row["verdict"]
