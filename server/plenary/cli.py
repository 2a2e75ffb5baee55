"""The ``plenary`` command: ``serve`` runs the server, ``create-event`` makes an event,
and the installed activity kinds add their own (``recount``: see docs/ballots.md)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from plenary import __version__, ids, installed
from plenary.services import Services
from plenary.settings import Settings, build_settings, options

T = TypeVar("T")

#: Allocations between two collections of the youngest generation (Python's default is
#: 700): with thousands of connections, most objects either die at once (freed by their
#: reference count) or live as long as a connection; fewer, larger young collections
#: promote less and stop the world less often.
GC_YOUNG_THRESHOLD = 10_000


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the server (embedded default: one process, no Redis)",
        description="Every option can also be set with its environment variable "
        "(docs/configuration.md).",
    )
    # One flag per setting, generated from plenary.settings so flags, environment
    # variables and docs/configuration.md cannot drift apart.
    for opt in options():
        help_text = f"{opt.help} (env {opt.env})"
        if opt.type_name == "bool":
            p.add_argument(
                opt.flag,
                dest=opt.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            p.add_argument(
                opt.flag,
                dest=opt.name,
                type=opt.convert,
                default=None,
                metavar=opt.type_name.upper(),
                help=help_text,
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
    for command in installed.commands():  # the kinds' own (plenary recount, ...)
        command.configure(sub.add_parser(command.name, help=command.help))
    return parser


def serve(args: argparse.Namespace) -> int:
    from plenary.logs import configure_logging

    given = {opt.name: getattr(args, opt.name) for opt in options()}
    settings = build_settings(given)
    generated_token = settings.admin_token is None
    if generated_token:
        settings = replace(settings, admin_token=ids.new_secret())
    configure_logging(settings.log_level, settings.log_format)
    for flag, value in (
        ("workers", settings.workers),
        ("redis-max-connections", settings.redis_max_connections),
    ):
        if value < 1:
            sys.stderr.write(f"plenary: --{flag} must be at least 1\n")
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
        lines.append(f"  admin view      {settings.base_url}/admin#token={settings.admin_token}")
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
    settings: Settings,
    index: int,
    ready: Any = None,
    banner: Callable[[Services], None] | None = None,
) -> None:
    """One server process (also the target of ``--workers`` child processes). ``ready``
    (a multiprocessing Event) is set and ``banner`` called once the port listens."""
    from plenary.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    # Only the first of several workers makes the demo event: they share one Redis.
    if index > 0 and settings.demo:
        settings = replace(settings, demo=False)
    run_coroutine(serve_until_stopped(settings, ready, banner))


def run_coroutine(main: Coroutine[Any, Any, T]) -> T:
    """Run the server's event loop: uvloop where it is installed (a dependency; it
    makes socket writes and timers several times cheaper), else asyncio's own loop
    (uvloop does not exist for Windows)."""
    try:
        import uvloop
    except ImportError:
        logging.getLogger(__name__).info("uvloop is not installed: using asyncio's event loop")
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def serve_until_stopped(
    settings: Settings,
    ready: Any = None,
    banner: Callable[[Services], None] | None = None,
    configure: Callable[[Any], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT. ``configure`` may add to the aiohttp application
    before it starts (the fan-out benchmark adds a route)."""
    from aiohttp import web

    from plenary.app import build_app
    from plenary.services import SERVICES

    app = build_app(settings)
    if configure is not None:
        configure(app)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=settings.workers > 1)
        await site.start()
        settle_garbage_collector()
        if banner is not None:
            banner(app[SERVICES])
        if ready is not None:
            ready.set()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        # Graceful: stop listening, close websockets (clients reconnect elsewhere),
        # stop background tasks, close the store.
        await runner.cleanup()


def settle_garbage_collector() -> None:
    """Call once the server is up: the objects that exist now (modules, classes, the
    application) live as long as the process, so they are moved out of the collector's
    sight (``gc.freeze``) and a full collection no longer walks them all (some 70,000
    objects, tens of milliseconds, every time); and the youngest generation is made
    larger (:data:`GC_YOUNG_THRESHOLD`). Both cut the pauses that delay a broadcast."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


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
    if args.command == "create-event":
        return create_event(args)
    for command in installed.commands():
        if command.name == args.command:
            status: int = command.run(args)
            return status
    raise AssertionError(f"unknown command {args.command}")  # argparse refused it before


if __name__ == "__main__":
    raise SystemExit(main())
