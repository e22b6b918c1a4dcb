"""Bounded load test of the Counterpoint web app's ``/ask`` API (loopback only).

Starts the app on 127.0.0.1 (or uses --url, which must be a loopback address), then runs
N gradio_client clients in threads, each asking M questions one after another. Every request is
bounded by --timeout; the run stops by itself. Prints p50/p95 latency and the error count.

    .venv/bin/python eval/load_test.py --clients 20 --questions 5

Exit status: 0 when every request succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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

from rag.compose import SUGGESTIONS  # noqa: E402

QUESTIONS = SUGGESTIONS + ("What is the capital of Peru?",)  # an abstention is a valid answer too


@dataclass
class LoadResult:
    clients: int
    questions: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]

    def summary(self) -> str:
        p50, p95 = self.percentile(50), self.percentile(95)
        mean = statistics.fmean(self.latencies) if self.latencies else float("nan")
        rps = len(self.latencies) / self.wall if self.wall else 0.0
        return (
            f"load test: {self.clients} clients x {self.questions} questions = {self.requests} requests; "
            f"errors {len(self.errors)}; p50 {p50:.3f}s p95 {p95:.3f}s mean {mean:.3f}s "
            f"max {max(self.latencies, default=float('nan')):.3f}s; wall {self.wall:.1f}s ({rps:.1f} req/s)"
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


def run_load(
    url: str,
    clients: int = 20,
    questions: int = 5,
    timeout: float = 120.0,
    question_list: tuple[str, ...] = QUESTIONS,
) -> LoadResult:
    """N clients in threads, M sequential /ask calls each; each call bounded by ``timeout``."""
    require_loopback(url)
    from gradio_client import Client

    result = LoadResult(clients, questions)
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def worker(n: int) -> None:
        try:
            client = Client(
                url,
                verbose=False,
                download_files=False,
                analytics_enabled=False,
                httpx_kwargs={"timeout": timeout},
            )
        except Exception as exc:
            with lock:
                result.errors.extend([f"client {n}: connect: {exc!r}"] * questions)
            try:
                start_gate.abort()
            except threading.BrokenBarrierError:
                pass
            return
        try:
            try:
                start_gate.wait(timeout=timeout)
            except threading.BrokenBarrierError:
                pass
            for i in range(questions):
                q = question_list[(n + i) % len(question_list)]
                t0 = time.perf_counter()
                try:
                    out = client.submit(q, [], api_name="/ask").result(timeout=timeout)
                    if not isinstance(out, dict) or "abstained" not in out:
                        raise ValueError(f"unexpected answer: {str(out)[:200]}")
                    dt = time.perf_counter() - t0
                    with lock:
                        result.latencies.append(dt)
                except Exception as exc:
                    with lock:
                        result.errors.append(f"client {n} q{i}: {exc!r}")
        finally:
            try:
                client.close()
            except Exception:
                pass

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(worker, n) for n in range(clients)]
        deadline = t0 + timeout * (questions + 2)
        for f in futures:
            f.result(timeout=max(1.0, deadline - time.perf_counter()))
    result.wall = time.perf_counter() - t0
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--questions", type=int, default=5, help="questions per client")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per request")
    p.add_argument("--url", default="", help="an already running app on loopback (default: start one)")
    p.add_argument("--home", default=None, help="RAG_HOME for the index (default: settings)")
    args = p.parse_args(argv)

    demo = None
    url = args.url
    if not url:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from rag import Assistant
        from rag.settings import Settings
        from rag.webapp import build_app

        t0 = time.perf_counter()
        assistant = Assistant(Settings.from_env(home=args.home))
        assistant.ask(QUESTIONS[0])  # warm the claim vectors and the encoder
        demo = build_app(assistant)
        port = free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        url = f"http://127.0.0.1:{port}/"
        print(f"app ready at {url} in {time.perf_counter() - t0:.1f}s", flush=True)
    try:
        res = run_load(url, args.clients, args.questions, args.timeout)
    finally:
        if demo is not None:
            demo.close(verbose=False)
    print(res.summary())
    for e in res.errors[:10]:
        print("  error:", e)
    return 0 if not res.errors else 1


if __name__ == "__main__":
    sys.exit(main())
