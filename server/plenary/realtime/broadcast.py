"""Sending to clients. Every server-to-client message gets ``ts`` (server send time, epoch
ms) here, so load tests can measure fan-out latency. Services talk to this class, not to
python-socketio."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from plenary.clock import now_ms
from plenary.metrics import Metrics
from plenary.realtime import audiences
from plenary.realtime.session import Sessions
from plenary.realtime.wire import ClientManager, SocketServer, event_packet

NAMESPACE = "/"


class Broadcaster:
    """Emits to an event's rooms, to one socket, or a message of its own to each
    attendee, stamping ``ts``."""

    def __init__(self, sio: SocketServer, metrics: Metrics, sessions: Sessions) -> None:
        self._sio = sio
        self._metrics = metrics
        self._sessions = sessions
        self._manager: ClientManager = sio.manager
        # Batches of personal messages from the other processes (scaled mode).
        self._manager.on_each = self.deliver_each

    async def to_everyone(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, audiences.everyone(code))

    async def to_staff(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, audiences.staff(code))

    async def to_attendees(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, audiences.attendees(code))

    async def to_presenters(self, code: str, event: str, data: dict[str, Any]) -> None:
        """To the presenters' consoles only (not the big screens)."""
        await self._emit(event, data, audiences.presenters(code))

    async def to_screens(self, code: str, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, audiences.screens(code))

    async def to_socket(self, sid: str, event: str, data: dict[str, Any]) -> None:
        """A personal message to a socket of this process: delivered directly, without a
        round trip through the cross-process queue."""
        packet = event_packet(event, {**data, "ts": now_ms()})
        await self._manager.emit_packets(((sid, packet),))
        self._metrics.add(self._metrics.messages_out, 1, event)

    async def to_each(
        self, code: str, event: str, per_attendee: Mapping[str, dict[str, Any]]
    ) -> int:
        """A message of their own to each attendee of ``code`` in ``per_attendee``
        (attendee id -> payload; a quiz result, a cafe table), wherever they are
        connected. All carry the same ``ts``, the time sending began, like a broadcast.

        Each message is encoded once, here. In scaled mode the batch crosses Redis
        first, encoded, in a few large messages on the event's channel, so that the
        other processes write their attendees' messages while this one writes its own;
        then the attendees connected here get theirs, written straight to their sockets
        (no task, no Redis round trip per message). Returns how many were delivered by
        this process."""
        ts = now_ms()
        with self._metrics.timed(self._metrics.broadcast_seconds, event):
            packets = {
                attendee_id: event_packet(event, {**data, "ts": ts})
                for attendee_id, data in per_attendee.items()
            }
            await self._manager.publish_each(code, event, packets)
            sent = await self.deliver_each(code, event, packets)
        self._metrics.add(self._metrics.messages_out, sent, event)
        return sent

    async def deliver_each(self, code: str, event: str, packets: Mapping[str, bytes]) -> int:
        """This process's part of :meth:`to_each` (also called for batches that come
        from other processes through Redis): the packets of the attendees of ``code``
        connected here, on each of their sockets."""
        items = self._local_items(code, packets)
        return await self._manager.emit_packets(items)

    def _local_items(self, code: str, packets: Mapping[str, bytes]) -> Iterator[tuple[str, bytes]]:
        for sid, _ in self._manager.get_participants(NAMESPACE, audiences.attendees(code)):
            session = self._sessions.get(sid)
            if session is None or session.attendee is None:
                continue
            packet = packets.get(session.attendee.id)
            if packet is not None:
                yield sid, packet

    async def _emit(self, event: str, data: dict[str, Any], room: str) -> None:
        # No callback: a room emit with a callback would encode one packet per recipient.
        with self._metrics.timed(self._metrics.broadcast_seconds, event):
            await self._sio.emit(event, {**data, "ts": now_ms()}, room=room)
        self._metrics.add(self._metrics.messages_out, 1, event)
