"""The café delivery benchmark's client processes (``bench.cafe_fanout``): the fan-out
benchmark's harness (``bench.fanout_clients``: one ``asyncio.Protocol`` per attendee, the
websocket framing written out, a received message costs a few byte comparisons and two
``array.append``), with what a café needs on top:

- each attendee joins with their own name, organisation and country (the seating
  engine keeps colleagues and compatriots apart, so the roster matters);
- ``cafe:join`` for everyone, acknowledged;
- every ``cafe:assignment`` frame is kept as received (a reference to the bytes, no
  parsing while measuring) so that the bench can check afterwards that each person got
  exactly one a round, with their own table;
- one attendee writes harvests (for the broadcast the bench compares with).
"""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

from bench.fanout_clients import HANDSHAKE_TIMEOUT_S, Attendee, Worker, now_ms, sleep_until

ASSIGNMENT = b'42["cafe:assignment"'
SPOTLIGHT = b'42["cafe:spotlight"'
WELCOME = b'42["welcome"'


class CafeAttendee(Attendee):
    """An attendee that remembers its id and keeps its assignments' frames."""

    def __init__(self, worker: Worker, index: int, url: str, auth: dict[str, Any]) -> None:
        super().__init__(worker, index, url, auth)
        self.attendee_id: str | None = None
        self.kept: list[bytes] = []
        self.url = url
        # When this attendee last received each measured message (epoch ms): the bench
        # splits "all arrived" by the server process that holds the connection.
        self.last: dict[bytes, float] = {}

    def on_text(self, p: bytes) -> None:
        if p.startswith(ASSIGNMENT):
            self.kept.append(p)
            self.last[ASSIGNMENT] = now_ms()
        elif p.startswith(SPOTLIGHT):
            self.last[SPOTLIGHT] = now_ms()
        elif self.attendee_id is None and p.startswith(WELCOME):
            # Once per connection, before anything is measured.
            self.attendee_id = json.loads(p[2:])[1]["attendee"]["id"]
        super().on_text(p)


class CafeWorker(Worker):
    """The attendees of one client process."""

    async def connect_people(
        self,
        urls: list[str],
        people: list[dict[str, Any]],
        start_at: float,
        concurrency: int,
    ) -> dict[str, Any]:
        """Connect ``people`` (``{"index", "auth"}`` each; attendee ``index`` goes to
        ``urls[index % len(urls)]``) and wait for their welcomes."""
        await sleep_until(start_at)
        gate = asyncio.Semaphore(concurrency)

        async def one(person: dict[str, Any]) -> None:
            i = int(person["index"])
            url = urls[i % len(urls)]
            a = CafeAttendee(self, i, url, person["auth"])
            self.attendees.append(a)
            async with gate:
                a.started = now_ms()
                try:
                    await self.loop.create_connection(lambda: a, a.host, a.port)
                    await asyncio.wait_for(asyncio.shield(a.welcomed), HANDSHAKE_TIMEOUT_S)
                except Exception as exc:  # counted and reported, never hidden
                    self.failures.append(f"attendee {i}: {exc!r}"[:300])
                    if a.transport is not None:
                        a.transport.close()

        await asyncio.gather(*(one(p) for p in people))
        done = [a for a in self.attendees if a.welcomed.done() and not a.welcomed.exception()]
        return {
            "connected": len(done),
            "failures": self.failures[:5],
            "last_welcome": max((a.welcomed.result() for a in done), default=0.0),
            "ids": {str(a.index): a.attendee_id for a in done},
        }

    def live(self) -> list[Attendee]:
        return [a for a in self.attendees if a.welcomed.done() and not a.lost]

    async def join(self, cafe_id: str, tag: int, timeout: float) -> dict[str, Any]:
        """Everyone checks in to the café (``cafe:join``); wait for every ack."""
        live = self.live()
        for a in live:
            a.emit("cafe:join", {"cafe_id": cafe_id}, tag)
        await self.wait_acks(tag, len(live), timeout)
        return {
            "acked": len(self.ack_ms.get(tag, ())),
            "errors": self.ack_errors.get(tag, 0),
            "sent": len(live),
        }

    async def harvest(
        self, index: int, cafe_id: str, harvest_id: str, text: str, tag: int, timeout: float
    ) -> dict[str, Any]:
        """Attendee ``index`` writes a harvest; wait for its ack."""
        a = next(x for x in self.attendees if x.index == index)
        a.emit("cafe:harvest", {"cafe_id": cafe_id, "harvest_id": harvest_id, "text": text}, tag)
        await self.wait_acks(tag, 1, timeout)
        return {"acked": len(self.ack_ms.get(tag, ())), "errors": self.ack_errors.get(tag, 0)}

    def last_receipts(self, name: str) -> dict[str, float]:
        """The last receipt of ``name`` (a measured message) per server URL."""
        key = f'42["{name}"'.encode()
        out: dict[str, float] = {}
        for a in self.attendees:
            got = a.last.get(key) if isinstance(a, CafeAttendee) else None
            if got is not None:
                out[a.url] = max(out.get(a.url, 0.0), got)
        return out

    def kept(self) -> dict[str, list[str]]:
        """Every assignment frame each attendee received, as text."""
        return {
            str(a.index): [p.decode() for p in a.kept] for a in self.attendees if a.welcomed.done()
        }


COMMANDS = (
    "connect_people",
    "join",
    "harvest",
    "wait_for",
    "collect",
    "clear",
    "kept",
    "last_receipts",
)


def worker_main(pipe: Any, config: dict[str, Any]) -> None:
    """Entry point of a client process: obey ``(command, kwargs)`` until ``stop``."""
    try:
        import uvloop

        uvloop.run(_obey(pipe, config))
    except ImportError:
        asyncio.run(_obey(pipe, config))


async def _obey(pipe: Any, config: dict[str, Any]) -> None:
    worker = CafeWorker(config)
    loop = asyncio.get_running_loop()
    gc.collect()
    gc.disable()  # no collection pauses while measuring
    while True:
        command, kwargs = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            worker.close()
            await asyncio.sleep(0.2)
            pipe.send(None)
            return
        if command not in COMMANDS:
            pipe.send({"error": f"unknown command {command}"})
            continue
        result = getattr(worker, command)(**kwargs)
        if asyncio.iscoroutine(result):
            result = await result
        if command == "connect_people":
            gc.freeze()
        pipe.send(result)
