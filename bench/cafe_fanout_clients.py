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

from typing import Any

from bench.fanout_clients import Person, Worker, now_ms, serve

ASSIGNMENT = b'42["cafe:assignment"'
SPOTLIGHT = b'42["cafe:spotlight"'


class CafeAttendee(Person):
    """A person that keeps its assignments' frames."""

    def __init__(self, worker: Worker, index: int, url: str, auth: dict[str, Any]) -> None:
        super().__init__(worker, index, url, auth)
        self.kept: list[bytes] = []
        self.url = url
        # When this attendee last received each measured message (epoch ms): the bench
        # splits "all arrived" by the server process that holds the connection.
        self.last: dict[bytes, float] = {}

    def on_text(self, p: bytes) -> float | None:
        received = super().on_text(p)
        if p.startswith(ASSIGNMENT):
            self.kept.append(p)
            self.last[ASSIGNMENT] = received or now_ms()
        elif p.startswith(SPOTLIGHT):
            self.last[SPOTLIGHT] = received or now_ms()
        return received


class CafeWorker(Worker):
    """The attendees of one client process."""

    person_class = CafeAttendee

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
    serve(pipe, lambda: CafeWorker(config), COMMANDS)
