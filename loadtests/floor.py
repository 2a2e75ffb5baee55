"""The calibration's reference server (:mod:`loadtests.calibration`): the fan-out
benchmark's floor (``bench/fanout_floor.py``: a raw aiohttp websocket server speaking just
enough Engine.IO/Socket.IO for a poll, encoding each broadcast once and checking nothing)
plus the ``presence`` the load test's presenter waits for before it opens the poll.

    .venv/bin/python -m loadtests.floor --port 8101
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator

from aiohttp import web
from bench.fanout_floor import Conn, Floor, build

#: presence to the staff at most this often, like Plenary's coalesced presence
PRESENCE_INTERVAL_S = 0.25


class PresenceFloor(Floor):
    """The floor, telling its staff connections how many attendees are online."""

    def __init__(self) -> None:
        super().__init__()
        self.presence_due = False

    async def join(self, conn: Conn, raw: str) -> None:
        await super().join(conn, raw)
        self.presence_due = True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await super().handle(request)
        finally:
            self.presence_due = True

    async def presence_loop(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_INTERVAL_S)
            if self.presence_due:
                self.presence_due = False
                online = len(self.attendees)
                await self.to_staff("presence", {"online": online, "joined": online})


def app() -> web.Application:
    floor = PresenceFloor()
    application = build(floor)

    async def presence(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(floor.presence_loop())
        yield
        task.cancel()

    application.cleanup_ctx.append(presence)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
