"""Counterpoint web server: start-up, launch, auth and exposure, around ``webapp.build_app``.

The UI lives in ``rag/webapp.py``; this module decides where and how it is served.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence

from .settings import Settings


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


def main(argv: Sequence[str] | None = None) -> None:
    from .settings import SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    p = argparse.ArgumentParser(prog="app.py", description="Counterpoint web app (Gradio).")
    p.add_argument("--host", default=settings.host, help="interface to bind (default %(default)s; RAG_HOST)")
    p.add_argument("--port", type=int, default=settings.port, help="port (default %(default)s; RAG_PORT)")
    p.add_argument(
        "--auth", default=settings.auth or None, metavar="USER:PASS", help="optional basic auth (RAG_AUTH)"
    )
    args = p.parse_args(argv)
    try:
        auth = parse_auth(args.auth)
    except ValueError as exc:
        p.error(str(exc))
    if not is_loopback(args.host):
        print(
            f"WARNING: binding to {args.host}: the app is exposed beyond this machine"
            + ("" if auth else " without a password (set --auth user:pass or RAG_AUTH)")
            + ".",
            file=sys.stderr,
        )
    from .assistant import Assistant
    from .webapp import build_app

    assistant = Assistant(settings)
    demo = build_app(assistant)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        auth=auth,
        share=False,
        max_file_size=int(settings.max_file_mb * 1024 * 1024),
    )  # the server refuses bigger uploads


if __name__ == "__main__":  # pragma: no cover
    main()
