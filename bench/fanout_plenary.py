"""Plenary as the fan-out benchmark runs it: exactly ``plenary serve`` (same settings,
flags and environment variables, same application, same event loop), plus one route
for the benchmark, ``POST /bench/personal``, that sends a personal message (a quiz
result) to every attendee of an event through :class:`plenary.realtime.broadcast.
Broadcaster`, the way an activity would.

    .venv/bin/python -m bench.fanout_plenary --port 8103 --admin-token T --no-demo
"""

from __future__ import annotations

import asyncio
import os
import sys

from aiohttp import web

from bench.fanout_frames import PERSONAL_EVENT, personal
from plenary.cli import make_parser, run_coroutine, serve_until_stopped
from plenary.logs import configure_logging
from plenary.services import SERVICES
from plenary.settings import Settings, build_settings, options


def settings_from(argv: list[str]) -> Settings:
    args = make_parser().parse_args(["serve", *argv])
    return build_settings({opt.name: getattr(args, opt.name) for opt in options()})


async def personal_route(request: web.Request) -> web.Response:
    """Everyone of the event gets a message of their own, ``size`` bytes on the wire."""
    if request.remote not in ("127.0.0.1", "::1"):
        raise web.HTTPForbidden()
    body = await request.json()
    services = request.app[SERVICES]
    code = str(body["event"])
    attendees = await services.store.list_attendees(code)
    size = int(body.get("size", 400))
    messages = {a.id: personal(a.id, rank, size) for rank, a in enumerate(attendees)}
    await services.broadcaster.to_each(code, PERSONAL_EVENT, messages)
    return web.json_response({"sent": len(messages)})


def add_personal_route(app: web.Application) -> None:
    app.router.add_post("/bench/personal", personal_route)


def main(argv: list[str] | None = None) -> None:
    settings = settings_from(list(sys.argv[1:] if argv is None else argv))
    configure_logging(settings.log_level, settings.log_format)
    profile = os.environ.get("FANOUT_PROFILE")  # a path: write cProfile stats there
    if not profile:
        run_coroutine(serve_until_stopped(settings, configure=add_personal_route))
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        # cProfile cannot see into uvloop's C code; asyncio's loop shows everything.
        asyncio.run(serve_until_stopped(settings, configure=add_personal_route))
    finally:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{os.getpid()}")


if __name__ == "__main__":
    main()
