"""Payloads of the fan-out benchmark's reference servers (the raw floor and the plain
python-socketio baseline), built field for field like Plenary's (same keys, same order,
same value types and lengths: ids ``p_`` + 10 hex, epoch-ms integers, 32-character
tokens), so that every server sends frames of the same bytes apart from ids and
clocks. ``bench.fanout`` prints each server's frame sizes to show it."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

try:  # the floor uses the fastest encoder available, like Plenary
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

except ImportError:  # pragma: no cover

    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))


OPEN_PACKET = {"upgrades": [], "pingTimeout": 20000, "pingInterval": 25000, "maxPayload": 16384}
PING_INTERVAL_S = 25.0
RESULTS_WINDOW_S = 0.25
PERSONAL_EVENT = "bench:personal"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(5)}"


@dataclass
class BenchPoll:
    """A single-choice poll with the state Plenary keeps beside it."""

    question: str
    labels: list[str]
    id: str = field(default_factory=lambda: new_id("p"))
    created_at: int = field(default_factory=now_ms)
    status: str = "draft"
    revealed: bool = False
    opened_at: int | None = None
    closed_at: int | None = None
    state_seq: int = 0
    answers: dict[str, str] = field(default_factory=dict)  # attendee id -> option id
    version: int = 0

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "kind": "single",
            "options": [{"id": chr(97 + i), "label": label} for i, label in enumerate(self.labels)],
            "scale": None,
            "max_words": None,
            "created_at": self.created_at,
            "type": "poll",
            "status": self.status,
            "revealed": self.revealed,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "state_seq": self.state_seq,
        }

    def results(self) -> dict[str, Any]:
        counts = {chr(97 + i): 0 for i in range(len(self.labels))}
        for choice in self.answers.values():
            counts[choice] += 1
        return {
            "poll_id": self.id,
            "counts": counts,
            "total": len(self.answers),
            "seq": self.version,
        }

    def vote(self, attendee_id: str, choice: Any) -> dict[str, Any] | None:
        """The ack fields, or None when the choice is not an option."""
        if not isinstance(choice, str) or not ("a" <= choice < chr(97 + len(self.labels))):
            return None
        if self.status != "open":
            return None
        self.answers[attendee_id] = choice
        self.version += 1
        return {"poll_id": self.id, "choice": choice}


def attendee_welcome(code: str, attendee_id: str, name: str) -> dict[str, Any]:
    joined = now_ms()
    return {
        "role": "attendee",
        "event": {"code": code, "title": "Fan-out bench"},
        "activity": None,
        "server_time": joined,
        "attendee": {
            "id": attendee_id,
            "name": name,
            "country": None,
            "organisation": None,
            "joined_at": joined,
        },
        "token": secrets.token_urlsafe(24),
    }


def staff_welcome(code: str, role: str) -> dict[str, Any]:
    return {
        "role": role,
        "event": {"code": code, "title": "Fan-out bench"},
        "activity": None,
        "server_time": now_ms(),
        "polls": [],
        "presence": {"online": 0, "joined": 0},
    }


def personal(attendee_id: str, rank: int, size: int) -> dict[str, Any]:
    """A personal message (a quiz result) padded so that its whole Socket.IO frame,
    ``42["bench:personal",{...,"ts":<13 digits>}]``, is ``size`` bytes long."""
    body: dict[str, Any] = {
        "attendee_id": attendee_id,
        "rank": rank,
        "score": rank * 10,
        "note": "",
    }
    frame = 2 + len(dumps([PERSONAL_EVENT, {**body, "ts": now_ms()}]))
    body["note"] = "x" * max(0, size - frame)
    return body


def parse_event(text: str) -> tuple[int | None, list[Any]] | None:
    """``42<id>[...]`` -> (ack id, arguments), or None when it is not an event."""
    if not text.startswith("42"):
        return None
    i = 2
    while i < len(text) and text[i].isdigit():
        i += 1
    ack = int(text[2:i]) if i > 2 else None
    try:
        args = json.loads(text[i:])
    except ValueError:
        return None
    if not isinstance(args, list) or not args or not isinstance(args[0], str):
        return None
    return ack, args


class ResultsWindow:
    """Live results at most once per window (the first at once), like Plenary's
    coalescer: the reference servers inherit it and say how to send."""

    def __init__(self) -> None:
        self.polls: dict[str, BenchPoll] = {}
        self.results_task: asyncio.Task[None] | None = None
        self.results_due = False
        self.last_results = 0.0

    def note_results(self) -> None:
        self.results_due = True
        if self.results_task is None or self.results_task.done():
            self.results_task = asyncio.get_running_loop().create_task(self.results_loop())

    async def results_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.results_due:
            wait = self.last_results + RESULTS_WINDOW_S - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.results_due = False
            self.last_results = loop.time()
            for poll in self.polls.values():
                if poll.status == "open":
                    await self.send_results(poll)

    async def send_results(self, poll: BenchPoll, final: bool = False) -> None:
        raise NotImplementedError
