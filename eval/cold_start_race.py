"""Cold-start race (issue 15, failure 8): N simultaneous first requests to a freshly started app.

    .venv/bin/python eval/cold_start_race.py --home /tmp/cold-home --prebuild
    .venv/bin/python eval/cold_start_race.py --home H --cwd /path/to/old/checkout --routes gradio

Why this script exists: failure 8 was "the first requests to a freshly started app, arriving
together, fail 1 in 10" (server log: ``'RustBindingsAPI' object has no attribute 'bindings'``,
``Could not connect to tenant default_tenant``). The fix (rag/server.py opens the port only once
the Assistant is warm) is checked by tests/test_server.py, but a fix is only shown to work by a
measurement that fails on the code before it and passes after. This script is that measurement,
and it is a plain HTTP client, so it runs against any version of the app: the old Gradio-only
``python app.py`` (Gradio's ``/gradio_api/call/<api_name>`` route) and the new FastAPI one (the same
Gradio route, and ``/api/ask``).

For each of R fresh processes (``--processes``, default 10): start the app command (``--cmd``,
default ``<this python> app.py``, run in ``--cwd`` with ``PYTHONPATH=--cwd``, ``RAG_HOME=--home``,
``RAG_PORT`` / ``GRADIO_SERVER_PORT`` = a free loopback port), poll the port every 10 ms, and the
moment it accepts a connection (plus ``--delay``) fire N requests at once (``--requests``, default
16) with one ``httpx.AsyncClient``, spread round-robin over ``--routes``:

  gradio  POST /gradio_api/call/<api_name> {"data": [question, []]}, then GET
          /gradio_api/call/<api_name>/<event_id>, read the server-sent events to ``complete`` or
          ``error`` (Gradio's queue protocol over plain HTTP, what gradio_client does)
  rest    GET /api/ask?question=...  (new code only)

A request counts as a failure when it raises, returns a non-2xx status, ends in an ``error`` event
or returns something other than an answer dict with the expected verdict (``--verdict``). Error
texts are counted, and so are the exception lines of each server's own log (where the Chroma
messages of failure 8 appear; the web answer only names the exception class). The table has one
row per process and a total; exit status 0 when no request failed, 1 otherwise.

The index must exist before the runs ("cold" means a fresh process on an existing index, as when
failure 8 was seen): ``--prebuild`` runs ``<python> -m rag.cli index`` with the same cwd and home.

Measured before and after the fix: eval/reports/cold-start-2026-12-02.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # eval/gradio_call.py, when loaded by path
from gradio_call import GradioCallError, gradio_result

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How many trucks and jeeps did the Allies send to the Soviet Union?"
ROUTES = ("gradio", "rest")
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}
# the last line of a traceback, and the Chroma texts of failure 8 wherever they are printed
LOG_ERROR = re.compile(
    r"^(?:[\w.]+(?:Error|Exception)\b.*|.*(?:RustBindingsAPI|Could not connect to tenant).*)$", re.M
)


@dataclass
class Run:
    """One fresh process: when its port opened, and how its first requests went."""

    number: int
    ready_s: float = 0.0
    results: list[tuple[str, str]] = field(default_factory=list)  # (route, "" or the error text)
    server_errors: Counter[str] = field(default_factory=Counter)
    exit_note: str = ""

    @property
    def failures(self) -> int:
        return sum(1 for _, err in self.results if err)

    def errors(self) -> Counter[str]:
        return Counter(f"{route}: {err}" for route, err in self.results if err)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(cwd: Path, home: str, port: int | None, encoder: str) -> dict[str, str]:
    env = {**OFFLINE, **os.environ}
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(cwd), os.environ.get("PYTHONPATH", "")) if x)
    env["RAG_HOME"] = home
    if encoder:
        env["RAG_ENCODER"] = encoder
    if port is not None:
        env["RAG_PORT"] = env["GRADIO_SERVER_PORT"] = str(port)
    for k in ("RAG_HOST", "RAG_AUTH", "GRADIO_SERVER_NAME"):
        env.pop(k, None)
    return env


def check_answer(out: object, verdict: str) -> str:
    """'' for an answer with the expected verdict, else what is wrong with it."""
    if isinstance(out, list) and out:
        out = out[0]
    if not isinstance(out, dict) or "abstained" not in out:
        return f"not an answer: {str(out)[:160]}"
    if verdict and out.get("verdict") != verdict:
        return f"wrong answer: verdict={out.get('verdict')!r} abstained={out.get('abstained')!r}"
    return ""


async def ask_gradio(client: httpx.AsyncClient, api_name: str, verdict: str) -> str:
    try:
        out = await gradio_result(client, api_name, [QUESTION, []])
    except GradioCallError as e:
        return str(e)
    return check_answer(out, verdict)


async def ask_rest(client: httpx.AsyncClient, verdict: str) -> str:
    resp = await client.get("/api/ask", params={"question": QUESTION})
    if resp.status_code != 200:
        return f"{resp.status_code} {resp.text[:200]}"
    return check_answer(resp.json(), verdict)


async def first_requests(
    url: str, routes: list[str], n: int, args: argparse.Namespace
) -> list[tuple[str, str]]:
    limits = httpx.Limits(max_connections=n * 2, max_keepalive_connections=n * 2)

    async with httpx.AsyncClient(base_url=url, timeout=args.timeout, limits=limits) as client:

        async def one(route: str) -> tuple[str, str]:
            try:
                if route == "rest":
                    return route, await ask_rest(client, args.verdict)
                return route, await ask_gradio(client, args.api_name, args.verdict)
            except Exception as exc:
                return route, f"{exc.__class__.__name__}: {str(exc)[:160]}"

        return list(await asyncio.gather(*(one(routes[i % len(routes)]) for i in range(n))))


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.01)
    return False


def server_errors(log: Path) -> Counter[str]:
    text = log.read_text(encoding="utf-8", errors="replace")
    return Counter(m.group(0).strip()[:200] for m in LOG_ERROR.finditer(text) if "Warning" not in m.group(0))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def run_once(number: int, args: argparse.Namespace, routes: list[str], logs: Path) -> Run:
    run = Run(number)
    port = free_port()
    log = logs / f"server-{number}.log"
    with log.open("w", encoding="utf-8") as fh:
        cwd = Path(args.cwd).resolve()
        t0 = time.monotonic()
        proc = subprocess.Popen(
            shlex.split(args.cmd),
            cwd=cwd,
            env=child_env(cwd, args.home, port, args.encoder),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        try:
            if not wait_for_port(port, proc, args.start_timeout):
                run.exit_note = f"port never opened (exit status {proc.poll()})"
                return run
            run.ready_s = time.monotonic() - t0
            if args.delay:
                time.sleep(args.delay)
            run.results = asyncio.run(first_requests(f"http://127.0.0.1:{port}", routes, args.requests, args))
            if proc.poll() is not None:
                run.exit_note = f"the app exited (status {proc.returncode}) during its first requests"
        finally:
            stop(proc)
    run.server_errors = server_errors(log)
    return run


def table(runs: list[Run]) -> str:
    rows = [
        "| process | port open after | requests | failures | error texts (client) | exception lines (server log) |",
        "|---|---|---|---|---|---|",
    ]

    def texts(c: Counter[str]) -> str:
        return "; ".join(f"{k} ×{v}" for k, v in c.most_common()).replace("|", "\\|") or "-"

    for r in runs:
        client = "; ".join(x for x in (r.exit_note, texts(r.errors()) if r.failures else "") if x) or "-"
        rows.append(
            f"| {r.number} | {r.ready_s:.1f} s | {len(r.results)} | {r.failures} | {client} | {texts(r.server_errors)} |"
        )
    all_errors: Counter[str] = sum((r.errors() for r in runs), Counter())
    all_server: Counter[str] = sum((r.server_errors for r in runs), Counter())
    failed = sum(1 for r in runs if r.failures or r.exit_note)
    rows.append(
        f"| **all {len(runs)}** ({failed} with a failure) | | {sum(len(r.results) for r in runs)} | "
        f"{sum(r.failures for r in runs)} | {texts(all_errors)} | {texts(all_server)} |"
    )
    return "\n".join(rows)


def prebuild(args: argparse.Namespace) -> None:
    cwd = Path(args.cwd).resolve()
    cmd = [shlex.split(args.cmd)[0], "-m", "rag.cli", "index"]
    print(f"prebuilding the index: {' '.join(cmd)} (cwd {cwd}, RAG_HOME {args.home})", flush=True)
    subprocess.run(cmd, cwd=cwd, env=child_env(cwd, args.home, None, args.encoder), check=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument(
        "--cmd", default=f"{shlex.quote(sys.executable)} app.py", help="the app command (default %(default)s)"
    )
    p.add_argument(
        "--cwd", default=str(REPO), help="run the app here, with PYTHONPATH=this (default: this checkout)"
    )
    p.add_argument(
        "--home", required=True, help="RAG_HOME of every process (an existing index: see --prebuild)"
    )
    p.add_argument("--prebuild", action="store_true", help="first run '<python> -m rag.cli index' on --home")
    p.add_argument("--encoder", default="", help="RAG_ENCODER for the app (default: the app's own default)")
    p.add_argument("--processes", type=int, default=10, help="fresh processes (default %(default)s)")
    p.add_argument(
        "--requests", type=int, default=16, help="simultaneous first requests (default %(default)s)"
    )
    p.add_argument("--routes", default="gradio", help="comma-separated, round-robin: gradio, rest (new code)")
    p.add_argument(
        "--api-name", default="ask", help="Gradio api_name of the ask endpoint (default %(default)s)"
    )
    p.add_argument(
        "--verdict", default="contradicted", help="expected verdict of the question ('' = any answer)"
    )
    p.add_argument(
        "--delay", type=float, default=0.0, help="seconds to wait after the port opens (default 0)"
    )
    p.add_argument("--timeout", type=float, default=180.0, help="seconds allowed per request")
    p.add_argument("--start-timeout", type=float, default=600.0, help="seconds allowed for the port to open")
    p.add_argument("--logs", default="", help="keep the server logs in this folder (default: a temp folder)")
    args = p.parse_args(argv)
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    if not routes or any(r not in ROUTES for r in routes):
        p.error(f"--routes: choose from {', '.join(ROUTES)}")
    if args.prebuild:
        prebuild(args)
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="cold-start-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    runs = []
    for i in range(1, args.processes + 1):
        run = run_once(i, args, routes, logs)
        print(
            f"process {i}: port open after {run.ready_s:.1f} s, {run.failures}/{len(run.results)} failed "
            f"{run.exit_note}",
            flush=True,
        )
        runs.append(run)
    print(
        f"\ncommand: {args.cmd} (cwd {Path(args.cwd).resolve()}); routes {','.join(routes)}; "
        f"{args.requests} requests per process; server logs in {logs}\n"
    )
    print(table(runs))
    return 0 if not any(r.failures or r.exit_note for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
