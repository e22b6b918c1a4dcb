"""Settings validated at start (issue 15, item 9): one clear SettingsError naming each bad value;
the CLI and the app print it in one line, without a traceback."""

import os
import subprocess
import sys

import pytest

from rag.settings import Settings, SettingsError

from .conftest import REPO


def test_defaults_and_good_values_pass():
    s = Settings.from_env(
        {
            "RAG_TOP_K": "5",
            "RAG_MAX_FILE_MB": "1.5",
            "RAG_ENCODER": "ST",
            "RAG_LLM": "OpenAI",
            "RAG_PORT": "8080",
            "RAG_MIN_RELEVANCE": "-0.2",
        }
    )
    assert s.top_k == 5 and s.max_file_mb == 1.5 and s.port == 8080
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    "env,needle",
    [
        ({"RAG_TOP_K": "0"}, "RAG_TOP_K=0: must be at least 1"),
        ({"RAG_TOP_K": "three"}, "RAG_TOP_K='three': not a whole number"),
        ({"RAG_MAX_FILE_MB": "abc"}, "RAG_MAX_FILE_MB='abc': not a number"),
        ({"RAG_MAX_FILE_MB": "-5"}, "RAG_MAX_FILE_MB=-5.0: must be more than 0"),
        ({"RAG_MAX_FILE_MB": "nan"}, "RAG_MAX_FILE_MB='nan': not a number"),
        ({"RAG_ENCODER": "gpt"}, "RAG_ENCODER='gpt': must be one of auto, onnx, onnx-int8, st"),
        ({"RAG_LLM": "gpt5"}, "RAG_LLM='gpt5': must be one of none, ollama, openai, llamacpp"),
        ({"RAG_PORT": "70000"}, "RAG_PORT=70000: must be at most 65535"),
        ({"RAG_CANDIDATES": "-1"}, "RAG_CANDIDATES=-1: must be at least 1"),
        ({"RAG_LLM_TIMEOUT": "0"}, "RAG_LLM_TIMEOUT=0.0: must be more than 0"),
        ({"RAG_MAX_QUESTION_CHARS": "0"}, "RAG_MAX_QUESTION_CHARS=0: must be at least 1"),
        ({"RAG_CHROMA_URL": "ftp://x"}, "RAG_CHROMA_URL='ftp://x': must be an http:// or https:// URL"),
        ({"RAG_AUTH": "nopassword"}, "RAG_AUTH: must be user:password"),
    ],
)
def test_each_bad_value_is_named(env, needle):
    with pytest.raises(SettingsError) as e:
        Settings.from_env(env)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_all_bad_values_in_one_message():
    with pytest.raises(SettingsError) as e:
        Settings.from_env({"RAG_TOP_K": "0", "RAG_MAX_FILE_MB": "abc", "RAG_ENCODER": "x"})
    msg = str(e.value)
    assert msg.startswith("invalid settings: ") and all(
        k in msg for k in ("RAG_TOP_K", "RAG_MAX_FILE_MB", "RAG_ENCODER")
    )
    assert "RAG_AUTH" not in msg  # the secret's value is never echoed either way


def run(args, **env):
    e = dict(os.environ, **env)
    return subprocess.run(
        [sys.executable, *args], env=e, cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args", [["-m", "rag.cli", "ask", "How many trucks?"], ["-m", "rag.cli", "index"], ["app.py"]]
)
def test_cli_and_app_print_one_line(args, tmp_path):
    p = run(args, RAG_TOP_K="0", RAG_MAX_FILE_MB="abc", RAG_HOME=str(tmp_path / "home"))
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert "Traceback" not in p.stderr and len(lines) == 1, p.stderr
    assert "RAG_TOP_K=0" in lines[0] and "RAG_MAX_FILE_MB='abc'" in lines[0]
