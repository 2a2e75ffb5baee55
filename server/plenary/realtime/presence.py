"""Attendee counts for presenters: this process's heartbeat with its local counts, and a
``presence`` broadcast (at most once a second) for events whose count changed here."""

from __future__ import annotations

from plenary.clock import now_ms
from plenary.metrics import Metrics
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.session import Sessions
from plenary.store import Store


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

    async def counts(self, code: str) -> dict[str, int]:
        """``online``: connected attendees over all processes; ``joined``: ever joined."""
        return {
            "online": await self._store.count_online(code, now_ms()),
            "joined": await self._store.count_attendees(code),
        }

    async def tick(self) -> None:
        """One heartbeat; run every second by the app."""
        with self._metrics.timed(self._metrics.redis_roundtrip):
            await self._store.ping()
        await self._store.set_presence(
            self.process_id, dict(self._sessions.attendees_online), now_ms()
        )
        changed = self._sessions.take_changed()
        try:
            for code in changed:
                await self._out.to_staff(code, "presence", await self.counts(code))
        except Exception:
            self._sessions.changed_events |= changed  # try again on the next tick
            raise
