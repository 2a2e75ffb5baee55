"""The baseline of the fan-out benchmark: a straightforward python-socketio server
(stock ``AsyncServer`` on aiohttp, default event loop and JSON, ``emit(..., room=...)``),
running the benchmark's scenario with the same frames as Plenary
(``bench.fanout_frames``) and no other logic.

    .venv/bin/python -m bench.fanout_baseline --port 8102
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import socketio
from aiohttp import web

from bench.fanout_frames import (
    PERSONAL_EVENT,
    BenchPoll,
    ResultsWindow,
    attendee_welcome,
    new_id,
    now_ms,
    personal,
    staff_welcome,
)


class Baseline(ResultsWindow):
    def __init__(self) -> None:
        super().__init__()
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp", cors_allowed_origins="*", max_http_buffer_size=16_384
        )
        self.attendee_of: dict[str, str] = {}  # sid -> attendee id
        self.tasks: set[asyncio.Task[None]] = set()
        sio = self.sio
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("poll:create", self.create)
        sio.on("poll:open", self.open)
        sio.on("poll:close", self.close)
        sio.on("poll:reveal", self.reveal)
        sio.on("poll:vote", self.vote)

    async def emit(self, event: str, data: dict[str, Any], room: str) -> None:
        await self.sio.emit(event, {**data, "ts": now_ms()}, room=room)

    async def connect(self, sid: str, environ: Any, auth: Any = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        role = str(auth.get("role", "attendee"))
        code = str(auth.get("event", ""))
        await self.sio.enter_room(sid, "everyone")
        if role == "attendee":
            attendee_id = new_id("a")
            self.attendee_of[sid] = attendee_id
            await self.sio.enter_room(sid, "attendees")
            welcome = attendee_welcome(code, attendee_id, str(auth.get("name", "")))
        else:
            await self.sio.enter_room(sid, "staff")
            welcome = staff_welcome(code, role)

        async def send_welcome() -> None:  # after the CONNECT packet, like Plenary
            await self.sio.emit("welcome", {**welcome, "ts": now_ms()}, to=sid)

        task = asyncio.get_running_loop().create_task(send_welcome())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True

    async def disconnect(self, sid: str, *_: Any) -> None:
        self.attendee_of.pop(sid, None)

    async def create(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        poll = BenchPoll(str(data.get("question", "")), list(data.get("options") or []))
        self.polls[poll.id] = poll
        await self.emit("poll:created", {"poll": poll.view()}, "staff")
        return {"ok": True, "poll": poll.view()}

    async def open(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        poll = self.polls[data["poll_id"]]
        poll.status, poll.opened_at, poll.closed_at = "open", now_ms(), None
        poll.state_seq += 1
        await self.emit("poll:opened", {"poll": poll.view()}, "everyone")
        await self.send_results(poll)
        return {"ok": True, "poll": poll.view()}

    async def close(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        poll = self.polls[data["poll_id"]]
        poll.status, poll.closed_at = "closed", now_ms()
        poll.state_seq += 1
        results = poll.results()
        body = {"poll_id": poll.id, "poll": poll.view()}
        await self.emit("poll:closed", {**body, "results": results}, "staff")
        shown = results if poll.revealed else None
        await self.emit("poll:closed", {**body, "results": shown}, "attendees")
        await self.send_results(poll, final=True)
        return {"ok": True, "poll": poll.view(), "results": results}

    async def reveal(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        poll = self.polls[data["poll_id"]]
        poll.revealed = True
        poll.state_seq += 1
        results = poll.results()
        await self.emit(
            "poll:revealed",
            {"poll_id": poll.id, "poll": poll.view(), "results": results},
            "everyone",
        )
        return {"ok": True, "poll": poll.view(), "results": results}

    async def vote(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        poll = self.polls.get(str(data.get("poll_id")))
        attendee_id = self.attendee_of.get(sid, "")
        fields = poll.vote(attendee_id, data.get("choice")) if poll else None
        if fields is None:
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        self.note_results()
        return {"ok": True, **fields}

    async def send_results(self, poll: BenchPoll, final: bool = False) -> None:
        body = {**poll.results(), "final": final}
        await self.emit("poll:results", body, "everyone" if poll.revealed else "staff")

    async def personal(self, request: web.Request) -> web.Response:
        size = int((await request.json()).get("size", 400))
        sent = 0
        ts = now_ms()  # one send time for the batch, like a broadcast
        for rank, (sid, attendee_id) in enumerate(list(self.attendee_of.items())):
            body = personal(attendee_id, rank, size)
            await self.sio.emit(PERSONAL_EVENT, {**body, "ts": ts}, to=sid)
            sent += 1
        return web.json_response({"sent": sent})


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    baseline = Baseline()
    app = web.Application()
    baseline.sio.attach(app)
    app.router.add_post("/bench/personal", baseline.personal)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
