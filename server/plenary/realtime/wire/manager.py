"""Fan-out at the speed of a raw websocket loop, inside python-socketio's extension points.

Stock python-socketio sends a room emit by encoding the packet once and then creating
one asyncio task per recipient, each putting the packet on that socket's queue, from
which the socket's own writer task takes it and writes it to the websocket
(``AsyncManager.emit``, engineio's ``AsyncSocket``). Reading costs a task and a
``wait_for`` per message too. Here, in three modules:

* :class:`LocalManager` (this module; the client manager, which
  :class:`plenary.realtime.wire.redis_manager.RedisManager` builds on) encodes a room emit
  once into a complete websocket frame and writes those same bytes to every local
  recipient's transport, in one synchronous loop: no task, no queue, no per-recipient
  encoding. Personal messages (:meth:`LocalManager.emit_packets`) go the same way, one
  encoding each.
* :mod:`plenary.realtime.wire.engine`: engineio's socket and server, writing every packet of
  a websocket straight to its transport, reading without a task per message, pinging
  from timers, bounding each client's backlog, and accepting a new websocket connection
  without engineio's general request dispatch.
* :mod:`plenary.realtime.wire.frames`: packets encoded in one pass of orjson, and the
  websocket frames built from them once.

Nothing on the wire changes: the frames are the ones engineio would send.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from plenary.metrics import Metrics
from plenary.realtime.wire.frames import frame_packet, message_frame, packet_frame
from plenary.realtime.wire.socket import DirectSocket

#: Delivers a batch of personal messages to this process's attendees (see ``on_each``):
#: (scope, message name, attendee id -> encoded Socket.IO packet) -> how many were sent.
DeliverEach = Callable[[str, str, Mapping[str, bytes]], Coroutine[Any, Any, int]]
#: A message for everyone of a scope that follows a batch of personal messages, each
#: attendee's copy in the same write as their own (``Broadcaster.to_each_shared``):
#: (message name, payload). Lists are taken too: msgpack carries tuples as lists.
Followup = tuple[str, dict[str, Any]] | list[Any]
#: Builds and delivers this process's share of a batch of personal messages from the
#: data they are made of (see ``on_shared``): (scope, message name, shared data, ``ts``,
#: the follow-up or None) -> how many were sent.
DeliverShared = Callable[[str, str, Any, int, Followup | None], Coroutine[Any, Any, int]]


class RoomMembers(dict[str, Any]):
    """The members of a room (sid -> engine.io sid), for every room but a namespace's
    connected clients. python-socketio keeps a ``bidict`` for each room, but reads the
    reverse mapping of the connected clients' room only, and the members of any other
    room through the ``bidict``'s forward mapping, ``_fwdm``: a plain dict offers the
    same, and costs several times less to fill (three of the four rooms a client joins).
    """

    @property
    def _fwdm(self) -> dict[str, Any]:
        return self


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """A client manager whose emits without callback are encoded once and written to
    every local recipient in one synchronous loop (see the module docstring).

    It also keeps, for each socket, the rooms it is in: python-socketio finds them by
    scanning every room, and since every socket has a room of its own, each disconnect
    cost time in proportion to the number of connected sockets (a million room checks
    for 1,000 clients leaving, 25 million for 5,000). And it keeps the members of rooms
    in :class:`RoomMembers` rather than python-socketio's ``bidict`` (but for the
    connected clients' room, whose reverse mapping python-socketio reads)."""

    rooms: dict[str, dict[Any, Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[str, dict[str, dict[Any, None]]] = {}  # ns -> sid -> rooms

    #: Hooks the app sets; the Redis manager calls them (one process never needs to).
    #: ``on_resubscribe()``: resend every local client its state; ``on_resync_event(code)``:
    #: the same for one event's; ``on_each(code, message, packets)``: deliver a batch of
    #: personal messages, encoded by the process that sent it, that came from another;
    #: ``on_shared(code, message, shared, ts, then)``: build and deliver this process's
    #: share of a batch that another process sent as the data the messages are made of.
    on_resubscribe: Callable[[], Coroutine[Any, Any, None]] | None = None
    on_resync_event: Callable[[str], Coroutine[Any, Any, None]] | None = None
    on_each: DeliverEach | None = None
    on_shared: DeliverShared | None = None
    metrics: Metrics | None = None

    async def publish_each(self, code: str, event: str, packets: Mapping[str, bytes]) -> None:
        """Send a batch of personal messages to the other processes (none here: the
        Redis manager publishes it)."""

    async def publish_shared(
        self, code: str, event: str, shared: Any, ts: int, then: Followup | None = None
    ) -> None:
        """Send the other processes the data a batch of personal messages is made of
        (and its follow-up), for each to build its own attendees' messages (none here:
        the Redis manager publishes it)."""

    async def follow(self, code: str) -> None:
        """A local client of scope ``code`` (a room of an event) is connecting or moving
        in. In one process every emit is local, so there is nothing to listen to; the
        Redis manager subscribes to the scope's channel here, and raises
        ``StoreUnavailable`` if it cannot."""

    async def unfollow(self, code: str) -> None:
        """A local client of scope ``code`` left (the counterpart of :meth:`follow`)."""

    async def stop(self) -> None:
        """Stop the manager's background work at shutdown (none in one process)."""

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        rooms = self.rooms.get(namespace)
        connected = rooms.get(None) if rooms is not None else None
        if room is None or connected is None:
            super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        else:
            # python-socketio's BaseManager.basic_enter_room, with a RoomMembers.
            if sid != room and room in connected:
                raise ValueError("cannot enter a sid room")
            members = rooms.get(room)  # type: ignore[union-attr]
            if members is None:
                members = rooms[room] = RoomMembers()  # type: ignore[index]
            members[sid] = connected[sid] if eio_sid is None else eio_sid
        self._rooms_of.setdefault(namespace, {}).setdefault(sid, {})[room] = None

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        of_namespace = self._rooms_of.get(namespace)
        joined = of_namespace.get(sid) if of_namespace is not None else None
        if joined is not None:
            joined.pop(room, None)
            if not joined:
                del of_namespace[sid]  # type: ignore[union-attr]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        # python-socketio's BaseManager.basic_disconnect, with the rooms from the index.
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get(namespace, {}).get(sid, ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        joined = self._rooms_of.get(namespace, {}).get(sid, {})
        return [room for room in joined if room is not None]

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if not isinstance(encoded, str):  # binary attachments: python-socketio's way
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, **kwargs)
            return
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        frame = message_frame(encoded)
        sockets = self.server.eio.sockets
        queued: list[Any] = []
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None:
                continue
            if not (isinstance(socket, DirectSocket) and socket.write_frame(frame)):
                queued.append(socket)
        if queued:
            await self._queue_send(queued, encoded)

    async def emit_packets(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Send each socket id its own encoded Socket.IO packet (:func:`event_packet`):
        see :meth:`emit_frames`."""
        return await self.emit_frames((sid, packet_frame(packet)) for sid, packet in items)

    async def emit_frames(
        self, items: Iterable[tuple[str, bytes]], then: bytes | None = None
    ) -> int:
        """Send each socket id its own websocket frame of an event packet
        (:func:`packet_frame`, :func:`stamped_frames`): the personal counterpart of a
        room emit (no task per message), written at once rather than when the event loop
        next gets a turn, since the service that sends a batch of personal messages
        usually goes on working without yielding. ``then``, a frame for every one of
        them, is written right after each socket's own, in the same write. Returns how
        many sockets were sent to. The packets are of the default namespace (the only
        one Plenary speaks), so the sockets are looked up there.

        ``items`` may be a generator that builds each frame: all are built before the
        first is written, so that the writes follow each other closely, as a room
        emit's do (a write that comes after Python work costs more than one right
        after another, see :data:`~plenary.realtime.wire.engine.WRITE_BATCH`)."""
        connected = self.rooms.get("/", {}).get(None)
        if connected is None:
            return 0
        # The bidict's forward dict, as python-socketio's get_participants reads it: its
        # own get() goes through two Python-level calls per lookup.
        eio_sids = getattr(connected, "_fwdm", connected)
        sockets = self.server.eio.sockets
        sent = 0
        for sid, frame in list(items):  # built first (see above)
            eio_sid = eio_sids.get(sid)
            socket = sockets.get(eio_sid) if eio_sid is not None else None
            if socket is None:
                continue
            if isinstance(socket, DirectSocket) and socket.write_frame(frame):
                if then is not None:
                    socket.write_frame(then)  # in the same write (EngineServer.mark_dirty)
            else:
                await self._queue_send([socket], frame_packet(frame).decode())
                if then is not None:
                    await self._queue_send([socket], frame_packet(then).decode())
            sent += 1
        if sent:
            self.server.eio.flush()
        return sent

    @staticmethod
    async def _queue_send(sockets: list[Any], encoded: str) -> None:
        """Long-polling clients (and websockets mid-upgrade): engineio's queue."""
        pkt = eio_packet.Packet(eio_packet.MESSAGE, data=encoded)
        for socket in sockets:
            if not socket.closed and not socket.closing:
                await socket.send(pkt)
