"""Sending to clients. Every server-to-client message gets ``ts`` (server send time, epoch
ms) here, so load tests can measure fan-out latency. Services talk to this class, not to
python-socketio."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from plenary.clock import now_ms
from plenary.metrics import Metrics
from plenary.realtime import audiences
from plenary.realtime.personal import PersonalBuilder
from plenary.realtime.session import Sessions
from plenary.realtime.wire import (
    ClientManager,
    Followup,
    SocketServer,
    event_packet,
    merged_frames,
    packet_frame,
    stamped_frames,
)


class Broadcaster:
    """Emits to an event's rooms, to one socket, or a message of its own to each
    attendee, stamping ``ts``."""

    def __init__(self, sio: SocketServer, metrics: Metrics, sessions: Sessions) -> None:
        self._sio = sio
        self._metrics = metrics
        self._sessions = sessions
        self._manager: ClientManager = sio.manager
        self._builders: dict[str, PersonalBuilder] = {}
        # Batches of personal messages from the other processes (scaled mode).
        self._manager.on_each = self.deliver_each
        self._manager.on_shared = self.deliver_shared

    def build_personal(self, event: str, build: PersonalBuilder) -> None:
        """How every process builds the personal messages named ``event`` that
        :meth:`to_each_shared` sends: the kind that sends them registers it when it is
        built, in every process."""
        self._builders[event] = build

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
        return sent

    async def to_each_shared(
        self, code: str, event: str, shared: Any, then: Followup | None = None
    ) -> int:
        """A message of their own to each attendee of ``code`` the builder of ``event``
        (:meth:`build_personal`) makes one for from ``shared`` (plain data: what msgpack
        carries), wherever they are connected; all with the same ``ts``.

        For large batches (every player's quiz result, every attendee's table): in
        scaled mode only ``shared`` crosses Redis, once, published first; then every
        process builds, encodes and writes its own attendees' messages, side by side.

        ``then``, (message name, payload): a message for everyone of ``code`` that
        follows the batch (a quiz's reveal after its results). Each attendee's copy goes
        out in the same write as their own message, and attendees without one get it
        alone, in every process; the staff get it as a broadcast, after. So the batch
        and its follow-up cost one write per attendee, not two, and no process writes
        the follow-up to its attendees while another is still writing their own
        messages (as a broadcast sent after the batch would).

        Returns how many personal messages this process delivered."""
        ts = now_ms()
        with self._metrics.timed(self._metrics.broadcast_seconds, event):
            await self._manager.publish_shared(code, event, shared, ts, then)
            sent = await self.deliver_shared(code, event, shared, ts, then)
        if then is not None:
            await self._emit(then[0], then[1], audiences.staff(code), ts)
        return sent

    async def deliver_shared(
        self, code: str, event: str, shared: Any, ts: int, then: Followup | None = None
    ) -> int:
        """This process's part of :meth:`to_each_shared` (also called for the batches of
        other processes): built for the attendees of ``code`` connected here, each
        followed by ``then`` if given."""
        build = self._builders.get(event)
        if build is None:
            raise LookupError(
                f"no builder for personal messages {event!r}: its kind registers one with "
                "Broadcaster.build_personal when it is built"
            )
        sockets = self._sessions.attendee_sockets(code)
        if not sockets:
            return 0
        cut, merged = stamped_frames(event, ts), merged_frames(event, ts)
        reached: set[str] = set()  # with a follow-up: who had a message of their own
        track = then is not None

        def items() -> Iterator[tuple[str, bytes]]:
            for attendee_id, payload in build(shared, sockets.keys()):
                if isinstance(payload, tuple):
                    frame = cut(*payload) if len(payload) == 3 else merged(*payload)
                elif isinstance(payload, bytes):
                    frame = cut(payload, 0, 0)
                else:
                    payload["ts"] = ts
                    frame = packet_frame(event_packet(event, payload))
                for sid in sockets.get(attendee_id, ()):
                    yield sid, frame
                if track:
                    reached.add(attendee_id)

        if then is None:
            written = await self._manager.emit_frames(items())
            self._metrics.add(self._metrics.messages_out, written, event)
            return written
        after = packet_frame(event_packet(then[0], {**then[1], "ts": ts}))
        written = await self._manager.emit_frames(items(), then=after)
        alone = (sid for aid, sids in sockets.items() if aid not in reached for sid in sids)
        followed = written + await self._manager.emit_frames((sid, after) for sid in alone)
        self._metrics.add(self._metrics.messages_out, written, event)
        self._metrics.add(self._metrics.messages_out, followed, then[0])
        return written

    async def deliver_each(self, code: str, event: str, packets: Mapping[str, bytes]) -> int:
        """This process's part of :meth:`to_each` (also called for batches that come
        from other processes through Redis): the packets of the attendees of ``code``
        connected here, on each of their sockets."""
        sent = await self._manager.emit_packets(self._local_items(code, packets))
        self._metrics.add(self._metrics.messages_out, sent, event)
        return sent

    def _local_items(self, code: str, packets: Mapping[str, bytes]) -> Iterator[tuple[str, bytes]]:
        sockets = self._sessions.attendee_sockets(code)
        for attendee_id, packet in packets.items():
            for sid in sockets.get(attendee_id, ()):
                yield sid, packet

    async def _emit(
        self, event: str, data: dict[str, Any], room: str, ts: int | None = None
    ) -> None:
        # No callback: a room emit with a callback would encode one packet per recipient.
        with self._metrics.timed(self._metrics.broadcast_seconds, event):
            await self._sio.emit(event, {**data, "ts": now_ms() if ts is None else ts}, room=room)
        self._metrics.add(self._metrics.messages_out, 1, event)
