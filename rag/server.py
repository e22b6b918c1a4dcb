"""Counterpoint web server: start-up, launch, auth and exposure, around ``webapp.build_app``.

One FastAPI app serves the REST API (``rag/api.py``, under ``/api``) and the Gradio UI (mounted at
``/``) through uvicorn. Start-up order is the point: the port is claimed first (a taken port is one
clear line, exit 2), then the store, the encoder and a first question are warmed, and only then does
the socket listen, so simultaneous first requests all find a ready Assistant.

Exposure: with auth set, the UI needs its login, ``/api`` needs the same user (HTTP Basic or the UI's
session cookie), failed logins are throttled per client (429), and the login page carries no API
schema. ``--read-only`` (``RAG_READ_ONLY``) makes the web index read-only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import ipaddress
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from fastapi import FastAPI

    from .assistant import Assistant

WARM_QUESTION = "How many trucks and jeeps did the Allies send to the Soviet Union?"
READ_ONLY_MESSAGE = "This server's index is read-only (--read-only / RAG_READ_ONLY=1): documents cannot be added or removed here."
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


# -- flags ---------------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must be given as user:password")
    return user, password


@dataclass(frozen=True)
class Launch:
    """What ``main`` serves: where, for whom, and whether the index may change."""

    settings: Settings
    host: str
    port: int
    auth: tuple[str, str] | None
    read_only: bool

    @property
    def max_file_size(self) -> int:
        return int(self.settings.max_file_mb * 1024 * 1024)  # the server refuses bigger uploads

    def warning(self) -> str:
        """The exposure warning for a non-loopback bind ('' on loopback)."""
        if is_loopback(self.host):
            return ""
        return (
            f"WARNING: binding to {self.host}: the app is exposed beyond this machine"
            + ("" if self.auth else " without a password (set --auth user:pass or RAG_AUTH)")
            + ("" if self.read_only else "; web uploads can change the index (see --read-only)")
            + "."
        )


def parse_args(argv: Sequence[str] | None = None) -> Launch:
    """Settings from the environment, then flags; a bad value is one line and exit status 2."""
    from .settings import SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    p = argparse.ArgumentParser(prog="app.py", description="Counterpoint web app and REST API.")
    p.add_argument("--host", default=settings.host, help="interface to bind (default %(default)s; RAG_HOST)")
    p.add_argument("--port", type=int, default=settings.port, help="port (default %(default)s; RAG_PORT)")
    p.add_argument(
        "--auth", default=settings.auth or None, metavar="USER:PASS", help="optional basic auth (RAG_AUTH)"
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        default=settings.read_only,
        help="refuse web uploads and removals (RAG_READ_ONLY=1)",
    )
    args = p.parse_args(argv)
    try:
        auth = parse_auth(args.auth)
    except ValueError as exc:
        p.error(str(exc))
    return Launch(settings, args.host, args.port, auth, bool(args.read_only))


# -- the port ------------------------------------------------------------------------------------


class PortError(OSError):
    """The port cannot be claimed; the message is one line for the user."""


def claim_port(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) socket: connections are refused until the app is ready."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise PortError(
            f"cannot bind to {host!r}: {exc.strerror}; choose another with --host or RAG_HOST"
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno in {98, 48, 10048} else f"cannot be used ({exc.strerror})"
        raise PortError(f"port {port} on {host} {why}; choose another with --port or RAG_PORT") from None
    sock.set_inheritable(True)
    return sock


# -- auth and exposure ---------------------------------------------------------------------------


class LoginThrottle:
    """Failed logins per client: after ``limit`` failures within ``window`` seconds, every login
    attempt from that client is refused (429) for ``lockout`` seconds."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 60.0,
        lockout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit, self.window, self.lockout, self.clock = limit, window, lockout, clock
        self._failures: dict[str, list[float]] = {}
        self._locked: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again (0: now)."""
        with self._lock:
            until = self._locked.get(client, 0.0)
            left = until - self.clock()
            if left <= 0:
                self._locked.pop(client, None)
                return 0
            return max(1, round(left))

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < self.window] + [now]
            self._failures[client] = recent
            if len(recent) >= self.limit:
                self._locked[client] = now + self.lockout
                self._failures.pop(client, None)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _send_json(
    send: Send, status: int, body: dict[str, Any], extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    import json

    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class Guard:
    """ASGI middleware in front of the API and the UI when auth is set (see the module docstring)."""

    def __init__(
        self, app: Any, *, auth: tuple[str, str], throttle: LoginThrottle, sessions: Callable[[], Any]
    ):
        self.app, self.auth, self.throttle, self.sessions = app, auth, throttle, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if method == "POST" and path.rstrip("/") == "/login":
            return await self.login(scope, receive, send)
        if path == "/api" or path.startswith("/api/"):
            return await self.api(scope, receive, send)
        if method in {"GET", "HEAD"} and path == "/" and not self.session_user(scope):
            return await self.login_page(scope, receive, send)
        return await self.app(scope, receive, send)

    @staticmethod
    def client(scope: Scope) -> str:
        return (scope.get("client") or ("?", 0))[0]

    def session_user(self, scope: Scope) -> str | None:
        """The user of the UI's session cookie (set by Gradio's /login), if it is valid."""
        gradio = self.sessions()
        if gradio is None:
            return None
        cookie = _headers(scope).get("cookie", "")
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name in {f"access-token-{gradio.cookie_id}", f"access-token-unsecure-{gradio.cookie_id}"}:
                user = gradio.tokens.get(value)
                if user:
                    return user
        return None

    def basic_ok(self, header: str) -> bool | None:
        """True/False for Basic credentials that match / do not; None when none were given."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            return None
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.auth[0]) & secrets.compare_digest(password, self.auth[1])

    async def too_many(self, scope: Scope, send: Send) -> bool:
        wait = self.throttle.retry_after(self.client(scope))
        if wait:
            await _send_json(
                send,
                429,
                {"error": f"Too many failed logins from this address; try again in {wait} s.", "status": 429},
                [(b"retry-after", str(wait).encode())],
            )
        return bool(wait)

    async def login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Gradio's login form, counted: a 400 (wrong credentials) is a failure."""
        if await self.too_many(scope, send):
            return
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 400:
            self.throttle.failed(self.client(scope))
        elif status and status[0] < 300:
            self.throttle.succeeded(self.client(scope))

    async def api(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The REST routes and their docs need the same user: Basic auth or the UI's session."""
        if self.session_user(scope):
            return await self.app(scope, receive, send)
        given = self.basic_ok(_headers(scope).get("authorization", ""))
        if given is not None and await self.too_many(scope, send):
            return
        if given:
            self.throttle.succeeded(self.client(scope))
            return await self.app(scope, receive, send)
        if given is False:
            self.throttle.failed(self.client(scope))
        await _send_json(
            send,
            401,
            {"error": "Authentication required (HTTP Basic, the app's user:password).", "status": 401},
            [(b"www-authenticate", b'Basic realm="Counterpoint"')],
        )

    async def login_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The login page without the API schema Gradio embeds in every page."""
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
        start: dict[str, Any] = {}
        body = bytearray()

        async def collect(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(dict(scope, headers=headers), receive, collect)
        page = _API_INFO.sub(b"window.gradio_api_info = null;</script>", bytes(body))
        out = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        out.append((b"content-length", str(len(page)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 500), "headers": out})
        await send({"type": "http.response.body", "body": page if scope["method"] == "GET" else b""})


class ReadOnlyAssistant:
    """The shared Assistant for the UI with its writers refused (``--read-only``); reads pass through."""

    def __init__(self, assistant: Assistant):
        self._inner = assistant

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        import gradio as gr

        raise gr.Error(READ_ONLY_MESSAGE)

    def remove(self, *args: Any, **kwargs: Any) -> Any:
        import gradio as gr

        raise gr.Error(READ_ONLY_MESSAGE)


# -- the app ---------------------------------------------------------------------------------------


def docs_html(schema: dict[str, Any]) -> str:
    """The API reference as one self-contained page (no CDN scripts: the app works offline)."""
    import html

    rows = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            params = "".join(
                f"<li><code>{html.escape(p['name'])}</code> ({p['in']}): {html.escape(p.get('description', ''))}</li>"
                for p in op.get("parameters", [])
                if p["name"] != "request"
            )
            codes = ", ".join(
                f"{c} {html.escape(r.get('description', ''))}" for c, r in op.get("responses", {}).items()
            )
            rows.append(
                f"<h2><code>{method.upper()} {html.escape(path)}</code></h2><p>{html.escape(op.get('summary', ''))}"
                f"</p><p>{html.escape(op.get('description', ''))}</p><ul>{params}</ul><p>Responses: {codes}</p>"
            )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Counterpoint REST API</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "code{background:#f3f4f6;padding:0 .2rem}</style><h1>Counterpoint REST API</h1>"
        f"<p>{html.escape(schema.get('info', {}).get('description', ''))}</p>"
        '<p>Machine-readable schema: <a href="/api/openapi.json">/api/openapi.json</a></p>' + "".join(rows)
    )


def build_server(
    assistant: Assistant,
    *,
    auth: tuple[str, str] | None = None,
    read_only: bool = False,
    export_dir: Any = None,
    max_file_size: int | None = None,
    throttle: LoginThrottle | None = None,
) -> FastAPI:
    """The REST API and the Gradio UI in one FastAPI app (serve it with ``serve``)."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from . import api
    from .webapp import build_app

    app = FastAPI(
        title="Counterpoint REST API",
        description=(api.__doc__ or "").split("\n\n")[0].replace("\n", " "),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.assistant, app.state.read_only = assistant, read_only
    app.include_router(api.router)
    app.add_api_route("/api/docs", lambda: HTMLResponse(docs_html(app.openapi())), include_in_schema=False)
    ui_assistant: Any = ReadOnlyAssistant(assistant) if read_only else assistant
    blocks = app.state.blocks = build_app(ui_assistant, export_dir=export_dir)
    gr.mount_gradio_app(app, blocks, "/", auth=auth, max_file_size=max_file_size, run_history=False)
    if auth is not None:
        ui = next(r.app for r in app.routes if getattr(r, "path", None) == "" and hasattr(r, "app"))
        app.add_middleware(Guard, auth=auth, throttle=throttle or LoginThrottle(), sessions=lambda: ui)
    return app


def warm(assistant: Assistant) -> None:
    """Open the store and the encoder and answer a first question, before any request arrives."""
    assistant.ask(WARM_QUESTION)


# -- serving -------------------------------------------------------------------------------------


class Running:
    """A server running in a background thread (tests, the load test); ``close`` stops it."""

    def __init__(self, app: FastAPI, sock: socket.socket):
        import uvicorn

        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}/"
        self.server = uvicorn.Server(uvicorn_config(app))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            raise RuntimeError("the server did not start")

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def uvicorn_config(app: FastAPI) -> Any:
    import uvicorn

    # keep-alive well above clients' own idle expiry (httpx: 5 s), so an idle connection is not
    # closed by the server at the moment a client reuses it
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,
    )


def start(assistant: Assistant, host: str = "127.0.0.1", port: int = 0, **kw: Any) -> Running:
    """Warm, build and serve in a background thread; ``port=0`` picks a free one."""
    sock = claim_port(host, port)
    warm(assistant)
    return Running(build_server(assistant, **kw), sock)


def main(argv: Sequence[str] | None = None) -> None:
    """``python app.py``: claim the port, warm the Assistant, then serve the UI and the API."""
    import uvicorn

    from .lock import IndexBusy
    from .settings import SettingsError

    launch = parse_args(argv)
    if launch.warning():
        print(launch.warning(), file=sys.stderr)
    try:
        sock = claim_port(launch.host, launch.port)
    except PortError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    from .assistant import Assistant

    try:
        assistant = Assistant(launch.settings)
        warm(assistant)
    except (SettingsError, IndexBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    app = build_server(
        assistant, auth=launch.auth, read_only=launch.read_only, max_file_size=launch.max_file_size
    )
    host = f"[{launch.host}]" if ":" in launch.host else launch.host
    print(f"Counterpoint is ready at http://{host}:{launch.port}/ (REST API: /api/docs)", flush=True)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


if __name__ == "__main__":  # pragma: no cover
    main()
