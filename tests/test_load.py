"""Bounded load test: 20 concurrent gradio_client clients x 5 questions on loopback.

A benchmark, not a time assertion: it asserts zero errors and prints p50/p95 latency.
The runner is eval/load_test.py (loaded by path), so the script and this test measure the same.
"""

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
def test_twenty_clients_five_questions_no_errors(live_app, capsys, record_property):
    load = _load_module()
    res = load.run_load(live_app.url, clients=20, questions=5, timeout=120.0)
    record_property("p50_s", round(res.percentile(50), 3))
    record_property("p95_s", round(res.percentile(95), 3))
    with capsys.disabled():
        print("\n" + res.summary())
    assert res.requests == 100
    assert res.errors == [], res.errors[:5]


def test_load_test_refuses_non_loopback_targets():
    load = _load_module()
    for url in ("http://10.0.0.5:7860/", "http://example.com/", "http://192.168.1.2/"):
        with pytest.raises(SystemExit, match="loopback"):
            load.require_loopback(url)
    load.require_loopback("http://127.0.0.1:7860/")
    load.require_loopback("http://localhost:7860/")
