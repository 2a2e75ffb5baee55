"""The floor of the fan-out benchmark: a raw aiohttp websocket server that speaks just
enough Engine.IO v4 / Socket.IO v5 (open, connect, events with acks, pings) to run the
benchmark's scenario, and broadcasts the way a hand-written websocket loop does: encode
once, then ``await ws.send_str(frame)`` for each recipient. It sends the same frames as
Plenary (``bench.fanout_frames``), keeps no state beyond one poll, and checks nothing.

    .venv/bin/python -m bench.fanout_floor --port 8101
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from bench.fanout_frames import (
    OPEN_PACKET,
    PERSONAL_EVENT,
    PING_INTERVAL_S,
    BenchPoll,
    ResultsWindow,
    attendee_welcome,
    dumps,
    new_id,
    now_ms,
    parse_event,
    personal,
    staff_welcome,
)

MAX_MESSAGE = 16_384


class Conn:
    __slots__ = ("attendee_id", "role", "ws")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.role = ""
        self.attendee_id = ""


class Floor(ResultsWindow):
    def __init__(self) -> None:
        super().__init__()
        self.conns: dict[web.WebSocketResponse, Conn] = {}
        self.attendees: dict[web.WebSocketResponse, Conn] = {}
        self.staff: dict[web.WebSocketResponse, Conn] = {}

    # -- sending ---------------------------------------------------------------------
    async def broadcast(self, targets: list[Conn], event: str, data: dict[str, Any]) -> None:
        frame = "42" + dumps([event, {**data, "ts": now_ms()}])
        for conn in targets:
            with contextlib.suppress(ConnectionError):
                await conn.ws.send_str(frame)

    async def everyone(self, event: str, data: dict[str, Any]) -> None:
        await self.broadcast([*self.attendees.values(), *self.staff.values()], event, data)

    async def to_staff(self, event: str, data: dict[str, Any]) -> None:
        await self.broadcast(list(self.staff.values()), event, data)

    async def to_attendees(self, event: str, data: dict[str, Any]) -> None:
        await self.broadcast(list(self.attendees.values()), event, data)

    # -- connection ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        conn = Conn(ws)
        await ws.send_str("0" + dumps({"sid": secrets.token_urlsafe(15), **OPEN_PACKET}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                text: str = msg.data
                if text == "3":
                    continue
                if text.startswith("40"):
                    await self.join(conn, text[2:])
                elif text.startswith("42"):
                    await self.event(conn, text)
                elif text in ("1", "41"):
                    break
        finally:
            self.conns.pop(ws, None)
            self.attendees.pop(ws, None)
            self.staff.pop(ws, None)
        return ws

    async def join(self, conn: Conn, raw: str) -> None:
        auth = json.loads(raw) if raw else {}
        role = auth.get("role", "attendee") if isinstance(auth, dict) else "attendee"
        code = str(auth.get("event", "")) if isinstance(auth, dict) else ""
        conn.role = role
        await conn.ws.send_str("40" + dumps({"sid": secrets.token_urlsafe(15)}))
        self.conns[conn.ws] = conn
        if role == "attendee":
            conn.attendee_id = new_id("a")
            self.attendees[conn.ws] = conn
            welcome = attendee_welcome(code, conn.attendee_id, str(auth.get("name", "")))
        else:
            self.staff[conn.ws] = conn
            welcome = staff_welcome(code, role)
        await conn.ws.send_str("42" + dumps(["welcome", {**welcome, "ts": now_ms()}]))

    async def event(self, conn: Conn, text: str) -> None:
        parsed = parse_event(text)
        if parsed is None:
            return
        ack_id, args = parsed
        data = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        ack = await self.dispatch(conn, args[0], data)
        if ack_id is not None:
            await conn.ws.send_str(f"43{ack_id}" + dumps([ack]))

    async def dispatch(self, conn: Conn, name: str, data: dict[str, Any]) -> dict[str, Any]:
        error = {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        if name == "poll:vote":
            poll = self.polls.get(str(data.get("poll_id")))
            fields = poll.vote(conn.attendee_id, data.get("choice")) if poll else None
            if poll is None or fields is None:
                return error
            self.note_results()
            return {"ok": True, **fields}
        if name == "poll:create":
            poll = BenchPoll(str(data.get("question", "")), list(data.get("options") or []))
            self.polls[poll.id] = poll
            await self.to_staff("poll:created", {"poll": poll.view()})
            return {"ok": True, "poll": poll.view()}
        poll = self.polls.get(str(data.get("poll_id")))
        if poll is None:
            return error
        if name == "poll:open":
            poll.status, poll.opened_at, poll.closed_at = "open", now_ms(), None
            poll.state_seq += 1
            await self.everyone("poll:opened", {"poll": poll.view()})
            await self.send_results(poll)
            return {"ok": True, "poll": poll.view()}
        if name == "poll:close":
            poll.status, poll.closed_at = "closed", now_ms()
            poll.state_seq += 1
            results = poll.results()
            body = {"poll_id": poll.id, "poll": poll.view()}
            await self.to_staff("poll:closed", {**body, "results": results})
            await self.to_attendees(
                "poll:closed", {**body, "results": results if poll.revealed else None}
            )
            await self.send_results(poll, final=True)
            return {"ok": True, "poll": poll.view(), "results": results}
        if name == "poll:reveal":
            poll.revealed = True
            poll.state_seq += 1
            results = poll.results()
            await self.everyone(
                "poll:revealed", {"poll_id": poll.id, "poll": poll.view(), "results": results}
            )
            return {"ok": True, "poll": poll.view(), "results": results}
        return error

    # -- results (sent at most once per window by ResultsWindow) ----------------------
    async def send_results(self, poll: BenchPoll, final: bool = False) -> None:
        body = {**poll.results(), "final": final}
        if poll.revealed:
            await self.everyone("poll:results", body)
        else:
            await self.to_staff("poll:results", body)

    # -- personal messages and pings -----------------------------------------------------
    async def personal(self, request: web.Request) -> web.Response:
        size = int((await request.json()).get("size", 400))
        sent = 0
        ts = now_ms()  # one send time for the batch, like a broadcast
        for rank, conn in enumerate(list(self.attendees.values())):
            body = personal(conn.attendee_id, rank, size)
            with contextlib.suppress(ConnectionError):
                await conn.ws.send_str("42" + dumps([PERSONAL_EVENT, {**body, "ts": ts}]))
                sent += 1
        return web.json_response({"sent": sent})

    async def pinger(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL_S)
            for ws in list(self.conns):
                with contextlib.suppress(ConnectionError):
                    await ws.send_str("2")


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build(floor: Floor) -> web.Application:
    app = web.Application()
    app.router.add_get("/socket.io/", floor.handle)
    app.router.add_post("/bench/personal", floor.personal)
    app.router.add_get("/healthz", healthz)

    async def pings(_: web.Application) -> Any:
        task = asyncio.get_running_loop().create_task(floor.pinger())
        yield
        task.cancel()

    app.cleanup_ctx.append(pings)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    loop_factory = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(args.host, args.port))


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(build(Floor()), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    main()
