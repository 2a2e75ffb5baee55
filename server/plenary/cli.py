"""The ``plenary`` command: ``serve`` runs the server, ``create-event`` makes an event."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from plenary import __version__, ids
from plenary.services import Services
from plenary.settings import Settings, build_settings


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the server (embedded default: one process, no Redis)")
    p.add_argument("--host", help="address to listen on (env PLENARY_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (env PLENARY_PORT, default 8080)")
    p.add_argument(
        "--redis-url",
        help="keep state in Redis and fan out through it (env PLENARY_REDIS_URL); "
        "without it state lives in this process",
    )
    p.add_argument(
        "--admin-token",
        help="token for POST /api/events (env PLENARY_ADMIN_TOKEN; a random one if unset)",
    )
    p.add_argument("--public-url", help="URL people use to reach this server (for links)")
    demo = p.add_mutually_exclusive_group()
    demo.add_argument(
        "--demo",
        dest="demo",
        action="store_true",
        default=None,
        help="create a demo event at start (default in embedded mode)",
    )
    demo.add_argument(
        "--no-demo", dest="demo", action="store_false", help="do not create a demo event"
    )
    p.add_argument("--log-level", help="DEBUG, INFO, WARNING (env PLENARY_LOG_LEVEL)")
    p.add_argument(
        "--workers",
        type=int,
        help="number of server processes on this port (SO_REUSEPORT; needs --redis-url; "
        "env PLENARY_WORKERS, default 1)",
    )
    p.add_argument(
        "--transports",
        help="comma-separated engine.io transports (env PLENARY_TRANSPORTS; default "
        "'polling,websocket', or 'websocket' with several workers)",
    )


def _create_event_parser(sub: Any) -> None:
    p = sub.add_parser("create-event", help="create an event on a running server")
    p.add_argument("title")
    p.add_argument("--server", default="http://localhost:8080", help="the server's base URL")
    p.add_argument("--admin-token", help="admin token (env PLENARY_ADMIN_TOKEN)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plenary", description="Live interaction server")
    parser.add_argument("--version", action="version", version=f"plenary {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _create_event_parser(sub)
    return parser


def serve(args: argparse.Namespace) -> int:
    from plenary.logs import configure_logging

    generated_token = not (args.admin_token or os.environ.get("PLENARY_ADMIN_TOKEN"))
    settings = build_settings(
        {
            "host": args.host,
            "port": args.port,
            "redis_url": args.redis_url,
            "admin_token": args.admin_token or (ids.new_secret() if generated_token else None),
            "public_url": args.public_url,
            "demo": args.demo,
            "log_level": args.log_level,
            "workers": args.workers,
            "transports": tuple(args.transports.split(",")) if args.transports else None,
        }
    )
    configure_logging(settings.log_level)
    if settings.workers < 1:
        sys.stderr.write("plenary: --workers must be at least 1\n")
        return 2
    if settings.workers > 1:
        if settings.embedded:
            sys.stderr.write(
                "plenary: several workers must share state: add --redis-url redis://HOST:6379/0\n"
            )
            return 2
        from plenary.supervisor import Supervisor

        show_banner(settings, generated_token)
        return Supervisor(settings, settings.workers, run_worker).run()
    run_worker(
        settings, 0, banner=lambda services: show_banner(settings, generated_token, services)
    )
    return 0


def show_banner(
    settings: Settings,
    generated_token: bool,
    services: Services | None = None,
) -> None:
    """What a person needs to start: the URL, the admin token if we made one, the demo."""
    backend = "redis" if settings.redis_url else "memory"
    workers = f", {settings.workers} workers" if settings.workers > 1 else ""
    lines = [f"Plenary {__version__} on {settings.base_url} ({backend} store{workers})"]
    if generated_token:
        lines.append(f"  admin token (POST /api/events): {settings.admin_token}")
    if services is not None and services.demo is not None:
        urls = services.demo.urls
        lines += [
            f"  demo event {services.demo.code}:",
            f"    attendee page   {urls['attendee']}",
            f"    presenter       {urls['presenter']}",
            f"    big screen      {urls['screen']}",
        ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def run_worker(
    settings: Settings, index: int, banner: Callable[[Services], None] | None = None
) -> None:
    """One server process (also the target of ``--workers`` child processes)."""
    from aiohttp import web

    from plenary.app import build_app
    from plenary.logs import configure_logging

    configure_logging(settings.log_level)
    # Only the first of several workers makes the demo event: they share one Redis.
    if index > 0 and settings.demo:
        settings = replace(settings, demo=False)
    web.run_app(
        build_app(settings, on_ready=banner),
        host=settings.host,
        port=settings.port,
        print=None,
        shutdown_timeout=5,
        access_log=None,
        reuse_port=settings.workers > 1,
    )


def create_event(args: argparse.Namespace) -> int:
    token = args.admin_token or os.environ.get("PLENARY_ADMIN_TOKEN")
    if not token:
        sys.stderr.write("plenary: pass --admin-token or set PLENARY_ADMIN_TOKEN\n")
        return 2
    request = urllib.request.Request(
        args.server.rstrip("/") + "/api/events",
        data=json.dumps({"title": args.title}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        sys.stderr.write(f"plenary: {exc.code} {exc.read().decode(errors='replace')}\n")
        return 1
    except urllib.error.URLError as exc:
        sys.stderr.write(f"plenary: cannot reach {args.server}: {exc.reason}\n")
        return 1
    sys.stdout.write(json.dumps(body, indent=2) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return create_event(args)


if __name__ == "__main__":
    raise SystemExit(main())
