"""LLM synthesis streamed into the chat: drafts first, the verified comparison replaces them."""

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from rag import Assistant
from rag.settings import Settings

TRUCKS = "How many trucks and jeeps did the Allies send to the Soviet Union?"
REPLY = (
    "The essay gives “the 750,000 trucks and jeeps given to the Red Army by the United States and Great "
    "Britain” [E1]. U.S. records show 427,284 trucks [L1]. The essay is 322,716 trucks too high [L1]."
)


def fake():
    return GenericFakeChatModel(messages=iter([REPLY]))


@pytest.fixture
def llm_assistant(assistant, embeddings):
    s = assistant.settings
    return Assistant(
        Settings(home=s.home, corpus_dir=s.corpus_dir, encoder=s.encoder),
        embeddings=embeddings,
        chat_model=fake(),
    )


def test_ask_stream_yields_extractive_then_drafts_then_verified(llm_assistant):
    items = list(llm_assistant.ask_stream(TRUCKS))
    first, drafts, final = items[0], [i for i in items if isinstance(i, str)], items[-1]
    assert first.verdict == "contradicted" and not first.synthesis
    assert len(drafts) > 1 and "".join(drafts) == REPLY
    assert "427,284 trucks [L1]" in final.synthesis and "322,716" not in final.synthesis
    assert final.dropped_sentences == 1 and any("removed" in n for n in final.notices)


def test_web_chat_streams_a_draft_then_replaces_it(llm_assistant, tmp_path):
    pytest.importorskip("gradio")
    from rag.webapp import build_app

    demo = build_app(llm_assistant, export_dir=tmp_path)
    llm_assistant._chat_model = fake()
    outputs = list(demo.counterpoint_handlers["respond"](TRUCKS, []))
    htmls = [o[0][-1]["content"] for o in outputs]  # the answer card, the thread's last message
    assert any("draft, being checked" in h for h in htmls[:-1])
    assert "draft, being checked" not in htmls[-1]
    assert "Written comparison (checked)" in htmls[-1] and "322,716" not in htmls[-1]
