"""Web uploads (issue 15, item 9): the server enforces RAG_MAX_FILE_MB and removes temp uploads."""


def test_launch_sets_the_upload_limit(monkeypatch):
    from rag.server import parse_args

    for k in ("RAG_HOST", "RAG_PORT", "RAG_AUTH"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RAG_MAX_FILE_MB", "2")
    assert parse_args([]).max_file_size == 2 * 1024 * 1024  # passed to gr.mount_gradio_app by main()


def test_uploads_are_removed_only_inside_the_upload_folder(tmp_path, monkeypatch):
    from rag.webapp import remove_uploads

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    up = tmp_path / "gradio" / "abc123" / "doc.txt"
    up.parent.mkdir(parents=True)
    up.write_text("x")
    outside = tmp_path / "mine.txt"
    outside.write_text("keep me")
    assert remove_uploads([str(up), str(outside)]) == 1
    assert not up.exists() and not up.parent.exists() and outside.exists()
