"""Presence across processes: the last count a presenter is told is the true total,
whatever order two processes' heartbeats ran in."""

from __future__ import annotations

from typing import Any, cast

from plenary.metrics import Metrics
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.presence import Presence
from plenary.realtime.session import Sessions
from plenary.store.memory import MemoryStore

CODE = "ABC123"


class Told:
    """Stands in for the broadcaster: what each process told the staff, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    async def to_staff(self, where: str, event: str, data: dict[str, Any]) -> None:
        assert event == "presence"
        self.messages.append((where, data))

    def online(self) -> list[int]:
        return [data["online"] for _, data in self.messages]


def process(store: MemoryStore, name: str) -> tuple[Presence, Sessions, Told]:
    sessions, told = Sessions(), Told()
    presence = Presence(store, sessions, cast(Broadcaster, told), name, Metrics())
    return presence, sessions, told


def arrive(sessions: Sessions, count: int) -> None:
    sessions.attendees_online[CODE] += count
    sessions.changed_events.add(CODE)


async def test_a_process_tells_again_when_another_counted_after_it_read() -> None:
    store = MemoryStore()
    a, a_sessions, a_told = process(store, "proc-a")
    b, b_sessions, b_told = process(store, "proc-b")
    arrive(a_sessions, 39)
    arrive(b_sessions, 1)
    # A reads before B's heartbeat has written B's count: A tells 39, B then tells 40.
    # Were A's message to reach the presenter last, the presenter would keep 39.
    await a.tick()
    await b.tick()
    assert (a_told.online(), b_told.online()) == ([39], [40])
    await a.tick()  # A reads again what it told, sees 40 and says so
    await b.tick()  # B's 40 still holds: nothing more from B
    assert (a_told.online(), b_told.online()) == ([39, 40], [40])
    await a.tick()  # settled: A stops reading again
    assert a_told.online() == [39, 40]


async def test_a_process_does_not_repeat_a_count_that_still_holds() -> None:
    store = MemoryStore()
    a, a_sessions, a_told = process(store, "proc-a")
    arrive(a_sessions, 3)
    for _ in range(3):
        await a.tick()
    assert a_told.online() == [3]
