"""Sending to clients. Every server-to-client message gets ``ts`` (server send time, epoch
ms) here, so load tests can measure fan-out latency. Services talk to this class, not to
python-socketio."""

from __future__ import annotations

from typing import Any

import socketio

from plenary.clock import now_ms
from plenary.metrics import Metrics
from plenary.realtime import rooms


class Broadcaster:
    """Emits to an event's rooms or to one socket, stamping ``ts``."""

    def __init__(self, sio: socketio.AsyncServer, metrics: Metrics) -> None:
        self._sio = sio
        self._metrics = metrics

    async def to_everyone(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, rooms.everyone(code))

    async def to_staff(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, rooms.staff(code))

    async def to_attendees(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, rooms.attendees(code))

    async def to_socket(self, sid: str, event: str, data: dict[str, Any]) -> None:
        """A personal message to a socket of this process: delivered directly, without a
        round trip through the cross-process queue."""
        await self._sio.emit(event, {**data, "ts": now_ms()}, to=sid, ignore_queue=True)
        self._metrics.messages_out.labels(event).inc()

    async def _emit(self, event: str, data: dict[str, Any], room: str) -> None:
        # No callback: a room emit with a callback would encode one packet per recipient.
        with self._metrics.timed(self._metrics.broadcast_seconds, event):
            await self._sio.emit(event, {**data, "ts": now_ms()}, room=room)
        self._metrics.messages_out.labels(event).inc()
