"""The web server (rag/server.py): flags, exposure, port errors, start-up, auth throttling, read-only."""

from __future__ import annotations

import pytest


def test_main_flags_and_exposure_warning(monkeypatch, capsys):
    import rag.server as server
    import rag.webapp as webapp

    launched = {}

    class FakeDemo:
        def launch(self, **kw):
            launched.update(kw)

    monkeypatch.setattr(webapp, "build_app", lambda assistant: FakeDemo())
    monkeypatch.setattr("rag.assistant.Assistant", lambda settings: object())
    monkeypatch.delenv("RAG_HOST", raising=False)
    monkeypatch.delenv("RAG_PORT", raising=False)
    monkeypatch.delenv("RAG_AUTH", raising=False)
    server.main([])
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 7860
    assert launched["auth"] is None and launched["share"] is False
    assert "exposed" not in capsys.readouterr().err

    server.main(["--host", "0.0.0.0", "--port", "8123", "--auth", "ann:s3cret:x"])
    assert launched["server_name"] == "0.0.0.0" and launched["server_port"] == 8123
    assert launched["auth"] == ("ann", "s3cret:x")
    assert "exposed" in capsys.readouterr().err

    monkeypatch.setenv("RAG_PORT", "9001")
    monkeypatch.setenv("RAG_AUTH", "bob:pw")
    server.main([])
    assert launched["server_port"] == 9001 and launched["auth"] == ("bob", "pw")
    with pytest.raises(SystemExit):
        server.main(["--auth", "nopassword"])
