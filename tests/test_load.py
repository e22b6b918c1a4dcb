"""A short run of the load test (eval/load_test.py, loaded by path): a few users for a few seconds on
the REST path and on Gradio's queue path of the session's live server. Asserts zero errors only;
the timed figures come from the full run in eval/ (eval/reports/load-*.json), never from a test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# gradio's own dataframe/queue code trips pandas 3 deprecations; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
LOAD_TEST = Path(__file__).resolve().parent.parent / "eval" / "load_test.py"


def _load_module():
    spec = importlib.util.spec_from_file_location("counterpoint_load_test", LOAD_TEST)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_a_short_load_on_both_paths_has_no_errors(live_app, capsys, record_property):
    load = _load_module()
    results = load.run_load(live_app.url, users=4, duration=5.0, timeout=120.0)
    assert [r.path for r in results] == ["rest", "gradio"]
    for res in results:
        record_property(f"{res.path}_p95_s", round(res.percentile(95), 3))
        with capsys.disabled():
            print("\n" + res.summary())
        assert res.requests > 0
        assert res.errors == [], res.errors[:5]


def test_load_test_refuses_non_loopback_targets():
    load = _load_module()
    for url in ("http://10.0.0.5:7860/", "http://example.com/", "http://192.168.1.2/"):
        with pytest.raises(SystemExit, match="loopback"):
            load.require_loopback(url)
    load.require_loopback("http://127.0.0.1:7860/")
    load.require_loopback("http://localhost:7860/")


def test_markdown_table_has_one_row_per_path():
    load = _load_module()
    res = load.LoadResult("rest", 30, 120.0, latencies=[0.1, 0.2, 0.3], wall=1.0, rss_peak_mb=900.0)
    table = load.markdown_table([res])
    assert "| rest | 30 | 0 s | 120 s | 3 | 0 |" in table and "0.300 s" in table
