"""Load test of the Counterpoint server: N concurrent users asking questions for D seconds (loopback only).

    .venv/bin/python eval/load_test.py --users 30 --duration 120 --out eval/reports/load-2026-12-02.json

Unless ``--url`` is given it starts ``python app.py`` on a free loopback port in its own process,
so the server's RSS is its own and the load generator does not share its interpreter or GIL. One
asyncio loop with ``httpx.AsyncClient`` drives every user (a light client: most of the two cores
stay with the server). Each user asks one question after another, without pause, until time is up.

Paths measured (``--paths``):
  rest    GET /api/ask?question=…  (the REST API, rag/api.py)
  gradio  POST /gradio_api/call/ask, then GET /gradio_api/call/ask/{event_id}: Gradio's queue
          protocol over plain HTTP and server-sent events, the way gradio_client calls ``/ask``

Reports, per path: requests, errors, p50/p95/max latency, throughput, and the server's RSS (peak
while loaded and after the run). Exit status: 0 when every request succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_k, _v)

import httpx  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # eval/gradio_call.py, when loaded by path
from gradio_call import gradio_result  # noqa: E402

from rag.corpus import load_info  # noqa: E402
from rag.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = load_info(Settings().corpus_dir).suggestions + (
    "What is the capital of Peru?",
)  # an abstention is a valid answer too
PATHS = ("rest", "gradio")


@dataclass
class LoadResult:
    path: str
    users: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    rss_peak_mb: float | None = None
    rss_after_mb: float | None = None
    think: float = 0.0  # seconds a user waits between answers (0: asks again at once)

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]

    def report(self) -> dict:
        return {
            "path": self.path,
            "users": self.users,
            "think_s": self.think,
            "duration_s": self.duration,
            "requests": self.requests,
            "errors": len(self.errors),
            "p50_s": round(self.percentile(50), 3),
            "p95_s": round(self.percentile(95), 3),
            "max_s": round(max(self.latencies, default=float("nan")), 3),
            "mean_s": round(statistics.fmean(self.latencies), 3) if self.latencies else None,
            "throughput_rps": round(len(self.latencies) / self.wall, 2) if self.wall else 0.0,
            "rss_peak_mb": self.rss_peak_mb,
            "rss_after_mb": self.rss_after_mb,
            "first_errors": self.errors[:5],
        }

    def summary(self) -> str:
        r = self.report()
        return (
            f"{self.path}: {self.users} users (think {self.think:g}s) x {self.duration:.0f}s = {r['requests']} requests; errors "
            f"{r['errors']}; p50 {r['p50_s']:.3f}s p95 {r['p95_s']:.3f}s max {r['max_s']:.3f}s; "
            f"{r['throughput_rps']:.1f} req/s; server RSS peak {r['rss_peak_mb']} MB, after {r['rss_after_mb']} MB"
        )


def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise SystemExit(
            f"refusing to load-test {url}: only loopback addresses (127.0.0.0/8, ::1) are allowed"
        )


def check_answer(out: object) -> None:
    if not isinstance(out, dict) or "abstained" not in out:
        raise ValueError(f"unexpected answer: {str(out)[:200]}")


async def ask_rest(client: httpx.AsyncClient, question: str) -> None:
    resp = await client.get("/api/ask", params={"question": question})
    resp.raise_for_status()
    check_answer(resp.json())


async def ask_gradio(client: httpx.AsyncClient, question: str) -> None:
    """Gradio's queue over HTTP: join with POST, then read the event stream to ``complete``."""
    out = await gradio_result(client, "ask", [question, []])
    check_answer(out[0] if isinstance(out, list) and out else out)


ASK = {"rest": ask_rest, "gradio": ask_gradio}


async def _user(
    n: int, client: httpx.AsyncClient, result: LoadResult, stop: float, questions: tuple[str, ...]
) -> None:
    ask = ASK[result.path]
    i = 0
    while time.perf_counter() < stop:
        q = questions[(n + i) % len(questions)]
        i += 1
        t0 = time.perf_counter()
        try:
            await ask(client, q)
            result.latencies.append(time.perf_counter() - t0)
        except Exception as exc:  # every failure is counted and kept for the report
            result.errors.append(f"user {n} q{i}: {exc!r}"[:300])
        if result.think:
            await asyncio.sleep(result.think)


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process, from /proc (None where there is no /proc)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _sample_rss(pid: int | None, result: LoadResult, stop: float) -> None:
    while time.perf_counter() < stop:
        mb = rss_mb(pid)
        if mb is not None:
            result.rss_peak_mb = max(result.rss_peak_mb or 0.0, mb)
        await asyncio.sleep(1.0)


async def run_path(
    url: str,
    path: str,
    users: int,
    duration: float,
    timeout: float = 120.0,
    pid: int | None = None,
    questions: tuple[str, ...] = QUESTIONS,
    think: float = 0.0,
) -> LoadResult:
    """``users`` concurrent askers on one path for ``duration`` seconds; each request bounded by ``timeout``."""
    require_loopback(url)
    result = LoadResult(path, users, duration, think=think)
    limits = httpx.Limits(max_connections=users + 5, max_keepalive_connections=users + 5, keepalive_expiry=10)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        t0 = time.perf_counter()
        stop = t0 + duration
        await asyncio.gather(
            _sample_rss(pid, result, stop), *(_user(n, client, result, stop, questions) for n in range(users))
        )
        result.wall = time.perf_counter() - t0
    await asyncio.sleep(2.0)
    result.rss_after_mb = rss_mb(pid)
    return result


def run_load(url: str, users: int = 4, duration: float = 5.0, paths=PATHS, **kw) -> list[LoadResult]:
    return [asyncio.run(run_path(url, p, users, duration, **kw)) for p in paths]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: str | None) -> tuple[subprocess.Popen, str]:
    """``python app.py`` on a free loopback port; returns once /api/health answers."""
    port = free_port()
    env = dict(os.environ, **({"RAG_HOME": home} if home else {}))
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)], cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(url + "api/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not start within 15 minutes")


def markdown_table(results: list[LoadResult], note: str = "") -> str:
    rows = [
        "| path | users | think | duration | requests | errors | p50 | p95 | max | throughput | server RSS peak / after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        r = res.report()
        rows.append(
            f"| {r['path']} | {r['users']} | {r['think_s']:g} s | {r['duration_s']:.0f} s | {r['requests']} | {r['errors']} | "
            f"{r['p50_s']:.3f} s | {r['p95_s']:.3f} s | {r['max_s']:.3f} s | {r['throughput_rps']:.1f} req/s | "
            f"{r['rss_peak_mb']} / {r['rss_after_mb']} MB |"
        )
    return "\n".join(rows) + ("\n\n" + note if note else "") + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--duration", type=float, default=120.0, help="seconds per path")
    p.add_argument("--paths", default="rest,gradio", help="comma-separated: rest, gradio")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per request")
    p.add_argument(
        "--think", default="0", help="comma-separated think times to run (seconds between a user's questions)"
    )
    p.add_argument("--url", default="", help="an already running server on loopback (default: start one)")
    p.add_argument("--home", default=None, help="RAG_HOME of the started server")
    p.add_argument("--out", default="", help="write the JSON report here (and a .md table beside it)")
    args = p.parse_args(argv)
    proc, url = (None, args.url) if args.url else start_server(args.home)
    try:
        pid = proc.pid if proc else None
        paths = [x.strip() for x in args.paths.split(",") if x.strip()]
        thinks = [float(t) for t in args.think.split(",")]
        results = [
            asyncio.run(run_path(url, x, args.users, args.duration, args.timeout, pid, think=t))
            for t in thinks
            for x in paths
        ]
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
    for res in results:
        print(res.summary())
    if args.out:
        report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count()}
        report["results"] = [r.report() for r in results]
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        Path(args.out).with_suffix(".md").write_text(markdown_table(results), encoding="utf-8")
    return 0 if not any(r.errors for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
