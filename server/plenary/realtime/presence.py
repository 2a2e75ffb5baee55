"""Attendee counts for presenters: this process's heartbeat with its local counts per
room, and a ``presence`` broadcast (at most once a second) to the staff of rooms whose
count changed here, and of their event's main room (which sees every room's count).

Each process reads the totals over all processes when it tells. Two processes whose
heartbeats run at the same moment can each read before the other's count is written,
and the stale message may reach the presenter last; so a process reads again on its
next heartbeat what it told, and tells again if the totals have moved since."""

from __future__ import annotations

from typing import Any

from plenary.clock import now_ms
from plenary.metrics import Metrics
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.session import Sessions
from plenary.scopes import MAIN_ROOM, event_code, room_of, scope
from plenary.store import Store


def _counts(where: str, rooms: dict[str, int], joined: int) -> dict[str, int]:
    return {"online": rooms.get(room_of(where), 0), "joined": joined}


class Presence:
    """Publishes this process's attendee counts and tells staff the totals."""

    def __init__(
        self,
        store: Store,
        sessions: Sessions,
        broadcaster: Broadcaster,
        process_id: str,
        metrics: Metrics,
    ) -> None:
        self._metrics = metrics
        self._store = store
        self._sessions = sessions
        self._out = broadcaster
        self.process_id = process_id
        #: what this process told on its last heartbeat, per staff scope, to read again
        self._told: dict[str, dict[str, Any]] = {}

    async def counts(self, where: str) -> tuple[dict[str, int], dict[str, int]]:
        """For the staff of scope ``where``: ``{"online", "joined"}`` (connected
        attendees in that room over all processes; ever joined the event), and the
        connected attendees of every room of the event (room id -> count)."""
        rooms, joined = await self._event_totals(event_code(where))
        return _counts(where, rooms, joined), rooms

    async def message(self, where: str) -> dict[str, Any]:
        """The ``presence`` message for the staff of scope ``where``."""
        counts, rooms = await self.counts(where)
        return {**counts, "rooms_online": rooms}

    async def _event_totals(self, code: str) -> tuple[dict[str, int], int]:
        """The connected attendees of every room of event ``code``, and how many ever
        joined it."""
        rooms = await self._store.online_by_room(code, now_ms())
        return rooms, await self._store.count_attendees(code)

    async def _messages(self, scopes: set[str]) -> dict[str, dict[str, Any]]:
        """:meth:`message` for each of ``scopes``, each event's totals read once (a
        room's staff and its main room's are told from the same read)."""
        totals = {code: await self._event_totals(code) for code in {event_code(s) for s in scopes}}
        messages: dict[str, dict[str, Any]] = {}
        for where in sorted(scopes):
            rooms, joined = totals[event_code(where)]
            messages[where] = {**_counts(where, rooms, joined), "rooms_online": rooms}
        return messages

    async def tick(self) -> None:
        """One heartbeat; run every second by the app."""
        with self._metrics.timed(self._metrics.redis_roundtrip):
            await self._store.ping()
        await self._store.set_presence(
            self.process_id, dict(self._sessions.attendees_online), now_ms()
        )
        changed = self._sessions.take_changed()
        fresh = {s for where in changed for s in (where, scope(event_code(where), MAIN_ROOM))}
        told: dict[str, dict[str, Any]] = {}
        try:
            for staff_of, message in (await self._messages(fresh | self._told.keys())).items():
                if staff_of in fresh or message != self._told[staff_of]:
                    await self._out.to_staff(staff_of, "presence", message)
                    told[staff_of] = message
        except Exception:
            self._sessions.changed_events |= changed  # try again on the next tick
            raise
        self._told = told
