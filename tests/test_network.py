"""Zero network (issue 15, failure 6): indexing, a question and the web app, traced with
``strace -f -e trace=connect,sendto``; any connection beyond loopback (or a Unix socket) fails.

The children run without the offline variables that conftest and the Makefile set, so the
package itself must keep every library quiet (rag/__init__.py). onnxruntime's telemetry client
resolves its host about 10 s after the first session, so each process stays up for 20 s.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow
OFFLINE_VARS = (
    "ORT_DISABLE_TELEMETRY",
    "ANONYMIZED_TELEMETRY",
    "GRADIO_ANALYTICS_ENABLED",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
)
LINGER = 20.0


def strace_usable() -> str:
    if not shutil.which("strace"):
        return "strace is not installed (apt-get install strace; `make strace` does it in CI)"
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "true"], capture_output=True, text=True)
    if p.returncode != 0:
        return f"strace cannot trace here (ptrace not permitted?): {p.stderr.strip()[:200]}"
    return ""


_why = strace_usable()
needs_strace = pytest.mark.skipif(bool(_why), reason=_why or "strace available")

ADDR_RE = re.compile(r'sin_addr=inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def outside_attempts(trace: str) -> list[str]:
    """connect/sendto lines whose address is neither loopback nor a Unix socket."""
    bad = []
    for line in trace.splitlines():
        if ("connect(" not in line and "sendto(" not in line) or "AF_UNIX" in line:
            continue
        if "AF_INET" not in line:
            continue  # sendto on a connected socket names no address; its connect was checked
        for v4, v6 in ADDR_RE.findall(line):
            addr = v4 or v6
            if not (
                addr.startswith("127.")
                or addr in {"::1", "::ffff:127.0.0.1"}
                or addr.startswith("::ffff:127.")
            ):
                bad.append(line.strip())
    return bad


def child_env(home, corpus):
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_VARS}
    return dict(env, RAG_HOME=str(home), RAG_CORPUS_DIR=str(corpus), RAG_ENCODER="auto")


def traced(cmd, env, log, out):
    """strace and its tracee in a session of their own, output to a file (so an orphaned tracee
    can hold no pipe open); stop both with stop()."""
    fh = open(out, "w")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=connect,sendto", "-o", str(log), *cmd],
        env=env,
        cwd=REPO,
        stdout=fh,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group of this test's own strace and app
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass


def test_outside_attempts_are_recognised():
    trace = (
        '1 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
        '2 connect(3, {sa_family=AF_INET, sin_port=htons(7860), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
        '3 connect(4, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1\n'
        "4 connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), "
        'inet_pton(AF_INET6, "2a01:111::1", &sin6_addr), sin6_scope_id=0}, 28) = -1\n'
    )
    assert [ln.split()[0] for ln in outside_attempts(trace)] == ["1", "4"]


PY_API = f"""
import time
from rag import Assistant
a = Assistant()  # settings from RAG_* : indexes the corpus, exports the ONNX encoder
a.ask("How many trucks did the United States deliver?")
a.ask("And the tanks?", ["How many trucks did the United States deliver?"])
time.sleep({LINGER})
"""


@needs_strace
def test_indexing_a_question_and_the_web_app_stay_on_this_machine(small_corpus, tmp_path):
    home = tmp_path / "home"
    env = child_env(home, small_corpus)
    api_log, api_out = tmp_path / "api.strace", tmp_path / "api.out"
    p = traced([sys.executable, "-c", PY_API], env, api_log, api_out)
    try:
        p.wait(timeout=900)
    finally:
        stop(p)
    assert p.returncode == 0, api_out.read_text()[-3000:]
    assert (home / "onnx").is_dir(), "the ONNX encoder was not exported, so onnxruntime was not exercised"
    bad = outside_attempts(api_log.read_text())
    assert not bad, "indexing/asking reached outside:\n" + "\n".join(bad[:10])

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web_log, web_out = tmp_path / "web.strace", tmp_path / "web.out"
    app = traced([sys.executable, "app.py", "--port", str(port)], env, web_log, web_out)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).read(100)
                break
            except OSError:
                assert app.poll() is None, web_out.read_text()[-3000:]
                time.sleep(0.5)
        else:
            pytest.fail("the web app did not start")
        from gradio_client import Client

        out = Client(url, verbose=False).predict(
            "How many trucks did the United States deliver?", [], api_name="/ask"
        )
        assert out["abstained"] is False
        time.sleep(LINGER)
    finally:
        stop(app)
    bad = outside_attempts(web_log.read_text())
    assert not bad, "the web app reached outside:\n" + "\n".join(bad[:10])
