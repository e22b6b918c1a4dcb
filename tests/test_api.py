"""The REST API (rag/api.py) on the real server: the session's live app (UI and API on one port),
the real Assistant over the bundled corpus. Answers must equal ``Assistant.ask(...).to_dict()``."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from .live import TRUCKS_Q

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
FOLLOW_UP = "And how many tanks did they send?"


@pytest.fixture(scope="module")
def http(live_app):
    with httpx.Client(base_url=live_app.url, timeout=120) as client:
        yield client


def expected(assistant, question, history=None):
    """What the API must return: the Answer dict, as JSON would carry it."""
    return json.loads(json.dumps(assistant.ask(question, history=history).to_dict()))


def assert_error(resp, status, text):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["status"] == status and text in body["error"], body


# -- /api/ask --------------------------------------------------------------------------------------


def test_ask_get_and_post_equal_the_answer_dict(http, live_app):
    want = expected(live_app.assistant, TRUCKS_Q)
    got = http.get("/api/ask", params={"question": TRUCKS_Q})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
    assert got.json() == want
    posted = http.post("/api/ask", json={"question": TRUCKS_Q})
    assert posted.json() == want
    assert want["verdict"] == "contradicted" and want["essay"] and want["literature"]


def test_ask_with_history_follows_up(http, live_app):
    want = expected(live_app.assistant, FOLLOW_UP, [TRUCKS_Q])
    got = http.get("/api/ask", params=[("question", FOLLOW_UP), ("history", TRUCKS_Q)]).json()
    posted = http.post("/api/ask", json={"question": FOLLOW_UP, "history": [TRUCKS_Q]}).json()
    assert got == want == posted
    assert got["resolved_question"] != FOLLOW_UP and not got["abstained"]


def test_ask_off_topic_abstains(http, live_app):
    q = "What is the capital of Peru?"
    out = http.post("/api/ask", json={"question": q}).json()
    assert out == expected(live_app.assistant, q) and out["abstained"] is True


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"question": "   "}, "Please type a question"),
        ({"question": ""}, "Please type a question"),
        ({}, "Please type a question"),
        ({"question": 5}, "The question must be text, not int."),
        ({"question": ["a"]}, "The question must be text, not list."),
        ({"question": "Trucks?", "history": {"a": 1}}, "The history must be a list"),
        ({"question": "Trucks?", "history": [1]}, "earlier question 1 must be text, not int"),
    ],
)
def test_ask_bad_input_is_400_with_the_ui_message(http, body, text):
    assert_error(http.post("/api/ask", json=body), 400, text)


def test_ask_bad_bodies_are_400(http):
    assert_error(http.post("/api/ask", content=b"{not json"), 400, "not valid JSON")
    assert_error(http.post("/api/ask", json=["a question"]), 400, "must be a JSON object")
    assert_error(http.get("/api/ask"), 400, "Please type a question")


def test_ask_too_long_is_413_with_the_ui_message(http):
    msg = "2,001 characters long; the limit is 2,000"
    assert_error(http.post("/api/ask", json={"question": "x" * 2001}), 413, msg)
    assert_error(http.get("/api/ask", params={"question": "x" * 2001}), 413, msg)
    assert_error(
        http.post("/api/ask", json={"question": "Trucks?", "history": ["q"] * 21}), 413, "the limit is 20"
    )
    long_item = {"question": "Trucks?", "history": ["x" * 2001]}
    assert_error(http.post("/api/ask", json=long_item), 413, "earlier question 1 is 2,001 characters")
    many = {"question": "Trucks?", "history": ["y" * 1500] * 15}
    assert_error(
        http.post("/api/ask", json=many), 413, "characters of earlier questions; the limit is 20,000"
    )


def test_ask_oversized_body_is_413_before_parsing(http):
    huge = json.dumps({"question": "Trucks?", "history": ["z" * 10_000_000]})
    assert_error(http.post("/api/ask", content=huge.encode()), 413, "bytes; the limit is")


# -- claims and health -----------------------------------------------------------------------------


def test_claims_all_filtered_and_one(http, live_app):
    everything = http.get("/api/claims").json()
    assert everything == json.loads(json.dumps([c.to_dict() for c in live_app.assistant.claims()]))
    only = http.get("/api/claims", params={"verdict": "contradicted"}).json()
    assert only and all(c["verdict"] == "contradicted" for c in only) and len(only) < len(everything)
    c45 = http.get("/api/claims/C45").json()
    assert c45["id"] == "C45" and "750,000 trucks" in c45["quote"]


def test_claims_bad_verdict_is_400_and_unknown_id_404(http):
    assert_error(http.get("/api/claims", params={"verdict": "wrong"}), 400, "use one of: consistent")
    assert_error(http.get("/api/claims/C999"), 404, "No reviewed claim 'C999'")


def test_health(http, live_app):
    out = http.get("/api/health").json()
    assert out["status"] == "ok" and out["claims"] == len(live_app.assistant.claims())
    assert out["essay_passages"] > 0 and out["literature_passages"] > 0 and out["read_only"] is False


# -- docs ------------------------------------------------------------------------------------------


def test_openapi_schema_and_docs_are_served(http):
    schema = http.get("/api/openapi.json").json()
    assert {"/api/ask", "/api/claims", "/api/claims/{claim_id}", "/api/health"} <= set(schema["paths"])
    assert {"get", "post"} <= set(schema["paths"]["/api/ask"])
    assert "requestBody" in schema["paths"]["/api/ask"]["post"]
    assert not any(p.startswith("/gradio_api") for p in schema["paths"])  # the UI's protocol is not the API
    docs = http.get("/api/docs")
    assert docs.status_code == 200 and "GET /api/claims/{claim_id}" in docs.text
    assert "cdn." not in docs.text  # self-contained: works offline


# -- plain-text citations ----------------------------------------------------------------------------


def _citation_fields(answer: dict):
    for p in answer["essay"] + answer["literature"]:
        yield p["citation"]
        yield from (c["citation"] for c in p["cites"])
    for card in answer["cards"]:
        yield from card["claim"]["citations"]


def test_citation_fields_are_plain_text_and_markdown_is_named(http):
    answer = http.get("/api/ask", params={"question": TRUCKS_Q}).json()
    fields = list(_citation_fields(answer))
    assert fields and not any(re.search(r"\*[^*]+\*", f) for f in fields), fields
    assert any("Report on War Aid" in f for f in fields)
    markdown = [c["citation_markdown"] for p in answer["literature"] for c in p["cites"]]
    assert any(re.search(r"\*[^*]+\*", m) for m in markdown)  # the Markdown is still there, by name
    claim = http.get("/api/claims/C45").json()
    assert not any("*" in c for c in claim["citations"]) and claim["citations_markdown"]


def test_no_doubled_quote_marks_in_citations(http):
    answer = http.get("/api/ask", params={"question": "Where does the label the Good War come from?"}).json()
    fields = list(_citation_fields(answer))
    assert any("Good War" in f for f in fields), fields
    assert not any(re.search(r"“\"|\"”", f) for f in fields), fields
