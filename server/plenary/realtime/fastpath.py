"""Fan-out at the speed of a raw websocket loop, inside python-socketio's extension points.

Stock python-socketio sends a room emit by encoding the packet once and then creating
one asyncio task per recipient, each putting the packet on that socket's queue, from
which the socket's own writer task takes it and writes it to the websocket
(``AsyncManager.emit``, engineio's ``AsyncSocket``). Reading costs a task and a
``wait_for`` per message too. Here:

* :class:`FastManager` (the client manager; :class:`plenary.realtime.fanout.
  PlenaryRedisManager` builds on it) encodes a room emit once into a complete websocket
  frame and writes those same bytes to every local recipient's transport, in one
  synchronous loop: no task, no queue, no per-recipient encoding. Personal messages
  (:meth:`FastManager.emit_each`) go the same way, one encoding each.
* :class:`FastSocket` (engineio's socket) writes every packet of a websocket connection
  straight to its transport, reads with ``receive()`` in the connection's own handler,
  and sends pings from a timer instead of a sleeping task. Long-polling connections,
  and websockets in the middle of an upgrade from polling, keep engineio's queue.
* The transport's write buffer is the only backlog, and it is bounded
  (:attr:`FastEngineIOServer.max_backlog_bytes`): a client that does not read is
  disconnected once that much is waiting for it, instead of growing the server's memory;
  like any dropped client it reconnects and gets a fresh ``welcome``.
* Websockets are served without permessage-deflate: every frame of a broadcast is then
  the same bytes for every recipient (compression would cost a deflate per recipient).

Nothing on the wire changes: the frames are the ones engineio would send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import engineio
import socketio
from aiohttp import WSMsgType, web
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet

from plenary.realtime.fastjson import FastJson

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; without it packets use FastJson
    orjson = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: What may wait in one client's transport buffer before it is disconnected as too
#: slow: a couple of minutes of live results for a phone on a bad network.
MAX_BACKLOG_BYTES = 256 * 1024
#: Sockets whose frames are written together (see FastEngineIOServer.mark_dirty): on
#: loopback and in VMs a write that wakes an idle receiver costs several times one that
#: follows other writes closely, and a batch this size delays the first of them by well
#: under a millisecond.
WRITE_BATCH = 64


def compact_json(value: Any) -> bytes | None:
    """``value`` as compact JSON by orjson (non-string keys allowed, as the standard
    library allows them), or None for what orjson cannot encode (bytes, integers beyond
    64 bits, lone surrogates, other types): those take python-socketio's own way."""
    if orjson is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return None


class FastPacket(sio_packet.Packet):  # type: ignore[misc]
    """python-socketio's packet, encoded in one pass of orjson: a payload that orjson
    can encode has no binary part (orjson refuses ``bytes``), so python-socketio's
    recursive search for binary data, and a second encoding, are skipped. Anything
    else (binary attachments, values only the standard library encodes) takes
    python-socketio's own way."""

    json = FastJson

    def __init__(
        self,
        packet_type: int = sio_packet.EVENT,
        data: Any = None,
        namespace: str | None = None,
        id: int | None = None,
        binary: bool | None = None,
        encoded_packet: Any = None,
    ) -> None:
        self.encoded_data: str | None = None
        if binary is None and data is not None and encoded_packet is None:
            encoded = compact_json(data)
            if encoded is not None:
                self.encoded_data = encoded.decode()
                binary = False
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def encode(self) -> Any:
        if self.encoded_data is None:
            return super().encode()
        head = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            head += self.namespace + ","
        if self.id is not None:
            head += str(self.id)
        return head + self.encoded_data


def _frame(first_byte: int, payload: bytes) -> bytes:
    """A complete, unmasked, unfragmented websocket frame (RFC 6455, server to client);
    ``first_byte`` is FIN plus the opcode."""
    n = len(payload)
    if n < 126:
        return bytes((first_byte, n)) + payload
    if n < 65536:
        return bytes((first_byte, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first_byte, 127)) + n.to_bytes(8, "big") + payload


def text_frame(payload: bytes) -> bytes:
    """A complete websocket text frame."""
    return _frame(0x81, payload)


def message_frame(encoded_sio_packet: str) -> bytes:
    """The websocket frame of an engine.io MESSAGE carrying a Socket.IO packet."""
    return text_frame(("4" + encoded_sio_packet).encode())


def default_namespace_event_frame(event: str, data: Any) -> bytes | None:
    """The websocket frame of ``["event", data]`` on the default namespace, straight from
    orjson's bytes: the same bytes as :class:`FastPacket` and :func:`message_frame` make,
    without the packet object (a personal message is encoded once per recipient). None
    when orjson cannot encode ``data``: the caller then takes the packet's way."""
    body = compact_json([event, data])
    return text_frame(b"42" + body) if body is not None else None


class FastWebSocket:
    """engineio's websocket driver for aiohttp, with the aiohttp response and its
    transport exposed, and without permessage-deflate."""

    def __init__(self, handler: Callable[[FastWebSocket], Any], server: Any) -> None:
        self.handler = handler
        self.server = server
        self.response: web.WebSocketResponse | None = None
        self.transport: asyncio.Transport | None = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        response = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await response.prepare(request)
        self.response = response
        self.transport = request.transport
        await self.handler(self)
        return response

    async def close(self) -> None:
        if self.response is not None:
            await self.response.close()

    async def send(self, message: str | bytes) -> None:
        assert self.response is not None
        if isinstance(message, bytes):
            await self.response.send_bytes(message)
        else:
            await self.response.send_str(message)

    async def wait(self) -> str | bytes:
        assert self.response is not None
        msg = await self.response.receive()
        if not isinstance(msg.data, bytes | str):
            raise OSError()
        return msg.data


class FastSocket(AsyncSocket):  # type: ignore[misc]
    """An engine.io socket whose websocket packets are written straight to the
    transport. ``transport`` is set while that is possible (websocket, upgraded)."""

    # engineio's attributes used here (the package has no type information)
    server: Any
    last_ping: float | None
    connected: bool
    upgrading: bool
    upgraded: bool
    closing: bool
    closed: bool
    queue: asyncio.Queue[Any]
    sid: str

    transport: asyncio.Transport | None = None
    #: Set once the websocket is done (closed, dropped): frames for it are discarded.
    gone = False
    #: Frames waiting for the end of the event loop's round (see write_frame).
    pending: list[bytes] | None = None
    #: The engine.io OPEN frame of a websocket connection, written first once the
    #: websocket is up (see FastEngineIOServer._handle_connect).
    open_frame: bytes | None = None
    _ping_timer: asyncio.TimerHandle | None = None

    # -- writing -------------------------------------------------------------------
    def write_frame(self, frame: bytes) -> bool:
        """Send a ready websocket frame. False when this socket is not a direct
        websocket (long-polling, mid-upgrade): the caller then uses engineio's queue.
        A closed or dropped socket takes (and discards) everything.

        Frames are written when the event loop finishes its current round of work
        (:meth:`FastEngineIOServer.flush`): everything a socket is sent meanwhile goes
        out in one write, and the acks of a burst of votes go out together."""
        transport = self.transport
        if transport is None:
            return False
        if self.gone or transport.is_closing():
            return True
        out = self.pending
        if out is None:
            if transport.get_write_buffer_size() > self.server.max_backlog_bytes:
                self.drop_slow()
                return True
            self.pending = [frame]
            self.server.mark_dirty(self)
        else:
            out.append(frame)
        return True

    def flush(self) -> None:
        """Write what :meth:`write_frame` collected, in one write."""
        out = self.pending
        self.pending = None
        transport = self.transport
        if out is None or transport is None or self.gone or transport.is_closing():
            return
        transport.write(out[0] if len(out) == 1 else b"".join(out))

    def drop_slow(self) -> None:
        """The client does not read what it is sent: disconnect it (it reconnects)."""
        transport = self.transport
        self.gone = True
        if transport is not None and not transport.is_closing():
            backlog = transport.get_write_buffer_size()
            transport.abort()
            self.server.slow_clients_dropped += 1
            log.warning("dropped a client that does not read (%d bytes waiting)", backlog)

    async def send(self, pkt: eio_packet.Packet) -> None:
        if self.transport is None:  # polling, or in the middle of an upgrade
            await super().send(pkt)
            return
        if self.gone or self.closed or not await self.check_ping_timeout():
            return
        encoded = pkt.encode()
        if isinstance(encoded, str):
            self.write_frame(text_frame(encoded.encode()))
        else:  # a binary engine.io message
            self.write_frame(_binary_frame(encoded))

    # -- pings: a timer, not a sleeping task per socket --------------------------------
    def schedule_ping(self) -> None:
        if self.last_ping:
            self.last_ping = None
            loop = asyncio.get_running_loop()
            self._ping_timer = loop.call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        if not self.write_frame(b"\x81\x012"):  # "2": engine.io PING; else long-polling
            self.server.start_background_task(self.send, eio_packet.Packet(eio_packet.PING))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        await super().close(wait=wait, abort=abort, reason=reason)
        # The reader waits for the client without a timeout: end the websocket here
        # (after the CLOSE packet, if one was sent). A client that stopped answering
        # pings is cut off at once rather than waited for.
        transport = self.transport
        if transport is not None and not self.gone:
            if reason == self.server.reason.PING_TIMEOUT:
                self.gone = True
                transport.abort()
            else:
                self.flush()  # the CLOSE packet, and anything before it
                self.gone = True
                transport.close()

    # -- reading ----------------------------------------------------------------------
    async def receive(self, pkt: eio_packet.Packet) -> None:
        if pkt.packet_type == eio_packet.MESSAGE:
            await self.deliver_message(pkt.data)
            return
        await super().receive(pkt)

    async def deliver_message(self, data: Any) -> None:
        """An engine.io MESSAGE's data to the Socket.IO server, in this task (engineio
        would start a task for it, or wait on one)."""
        handler = self.server.handlers.get("message")
        if handler is not None:
            try:
                await handler(self.sid, data)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.server.logger.exception("message async handler error")

    async def _websocket_handler(self, ws: FastWebSocket) -> None:
        if self.connected:
            # An upgrade from long-polling: engineio's probe exchange, packets held
            # in the queue meanwhile.
            if not await self._upgrade_probe(ws):
                return
        else:
            self.connected = True
            self.upgraded = True
        assert ws.response is not None
        self._switch_to_direct(ws)
        response = ws.response
        # No timeout per message (a timer each): a silent client is found by engineio's
        # client monitor, which closes it when a ping goes unanswered (see close()).
        while True:
            try:
                msg = await response.receive()
            except Exception:  # the transport failed
                break
            if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
                data = msg.data
            else:  # CLOSE, CLOSING, CLOSED, ERROR (e.g. a message over the size limit)
                break
            try:
                if type(data) is str and data[:1] == "4" and data[1:2].isdigit():
                    # A text MESSAGE carrying a Socket.IO packet (which starts with a
                    # digit): engineio's decoding would give the same string, after
                    # building a packet object and trying the text as JSON first.
                    await self.deliver_message(data[1:])
                else:
                    await self.receive(eio_packet.Packet(encoded_packet=data))
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                self.server.logger.exception("Unknown receive error")
        self.gone = True
        await ws.close()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    def _switch_to_direct(self, ws: FastWebSocket) -> None:
        """From now on packets go straight to the transport; what the queue holds
        (the OPEN packet, anything sent during an upgrade) is written first, in order.
        No await in here: nothing can be sent in between."""
        transport = ws.transport
        if transport is None:
            return
        frames = [self.open_frame] if self.open_frame is not None else []
        self.open_frame = None
        while True:
            try:
                pkt = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if pkt is None:
                continue
            encoded = pkt.encode()
            frames.append(
                text_frame(encoded.encode()) if isinstance(encoded, str) else _binary_frame(encoded)
            )
        if frames:
            transport.write(b"".join(frames))
        self.transport = transport

    async def _upgrade_probe(self, ws: FastWebSocket) -> bool:
        """engineio's upgrade from polling (``2probe``/``3probe``, then ``5``)."""
        self.upgrading = True
        try:
            data = await ws.wait()
        except OSError:
            self.upgrading = False
            return False
        probe = eio_packet.Packet(encoded_packet=data)
        if probe.packet_type != eio_packet.PING or probe.data != "probe":
            self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
            self.upgrading = False
            return False
        await ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
        await self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
        try:
            data = await ws.wait()
        except OSError:
            self.upgrading = False
            return False
        if eio_packet.Packet(encoded_packet=data).packet_type != eio_packet.UPGRADE:
            self.upgraded = False
            self.upgrading = False
            return False
        self.upgraded = True
        self.upgrading = False
        return True


def _binary_frame(payload: bytes) -> bytes:
    return _frame(0x82, payload)


class FastEngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
    """engineio's server with :class:`FastSocket` sockets and :class:`FastWebSocket`."""

    _async: dict[str, Any]
    start_service_task: bool
    sockets: dict[str, Any]

    #: Bytes that may wait for one client before it is disconnected as too slow.
    max_backlog_bytes = MAX_BACKLOG_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The driver table is shared by every server of the async mode: copy it.
        self._async = {**self._async, "websocket": FastWebSocket}
        self.slow_clients_dropped = 0
        self._dirty: list[FastSocket] = []

    def mark_dirty(self, socket: FastSocket) -> None:
        """``socket`` has frames to write: write them (all sockets' together) once the
        event loop is done with what it is running now, or once :data:`WRITE_BATCH`
        sockets are waiting, whichever comes first."""
        dirty = self._dirty
        if not dirty:
            asyncio.get_running_loop().call_soon(self.flush)
        dirty.append(socket)
        if len(dirty) >= WRITE_BATCH:
            self._dirty = []
            for waiting in dirty:
                waiting.flush()

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for socket in dirty:
            socket.flush()

    async def _handle_connect(
        self, environ: dict[str, Any], transport: str, jsonp_index: int | None = None
    ) -> Any:
        # python-engineio 4.x's AsyncServer._handle_connect; the only change is the
        # socket class (engineio creates an AsyncSocket there, with no hook to change it).
        if self.start_service_task:
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)

        sid = self.generate_id()
        s = FastSocket(self, sid)
        self.sockets[sid] = s

        handshake = {
            "sid": sid,
            "upgrades": self._upgrades(sid, transport),
            "pingTimeout": int(self.ping_timeout * 1000),
            "pingInterval": int(self.ping_interval + self.ping_interval_grace_period) * 1000,
            "maxPayload": self.max_http_buffer_size,
        }
        if transport == "websocket":
            # Written as the websocket's first frame (no packet object, no queue).
            s.open_frame = text_frame(("0" + FastJson.dumps(handshake)).encode())
        else:
            await s.send(eio_packet.Packet(eio_packet.OPEN, handshake))

        ret = await self._trigger_event("connect", sid, environ, run_async=False)
        if ret is not None and ret is not True:
            del self.sockets[sid]
            self.logger.warning("Application rejected connection")
            return self._unauthorized(ret or None)

        s.schedule_ping()

        if transport == "websocket":
            ret = await s.handle_get_request(environ)
            if s.closed and sid in self.sockets:
                del self.sockets[sid]
            return ret
        s.connected = True
        headers = None
        if self.cookie:
            cookie = (
                self.cookie
                if isinstance(self.cookie, dict)
                else {"name": self.cookie, "path": "/", "SameSite": "Lax"}
            )
            headers = [("Set-Cookie", self._generate_sid_cookie(sid, cookie))]
        try:
            return self._ok(await s.poll(), headers=headers, jsonp_index=jsonp_index)
        except eio_exceptions.QueueEmpty:
            return self._bad_request()


class FastManager(socketio.AsyncManager):  # type: ignore[misc]
    """A client manager whose emits without callback are encoded once and written to
    every local recipient in one synchronous loop (see the module docstring).

    It also keeps, for each socket, the rooms it is in: python-socketio finds them by
    scanning every room, and since every socket has a room of its own, each disconnect
    cost time in proportion to the number of connected sockets (a million room checks
    for 1,000 clients leaving, 25 million for 5,000)."""

    rooms: dict[str, dict[Any, Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[str, dict[str, dict[Any, None]]] = {}  # ns -> sid -> rooms

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
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
            if not (isinstance(socket, FastSocket) and socket.write_frame(frame)):
                queued.append(socket)
        if queued:
            await self._queue_send(queued, encoded)

    async def emit_each(
        self, event: str, items: Iterable[tuple[str, Any]], namespace: str = "/"
    ) -> int:
        """Send each socket id its own ``data`` as ``event``: the personal counterpart of
        a room emit (one encoding per message, no task). Returns how many were sent."""
        connected = self.rooms.get(namespace, {}).get(None)
        if connected is None:
            return 0
        sockets = self.server.eio.sockets
        packet_class = self.server.packet_class
        sent = 0
        for sid, data in items:
            eio_sid = connected.get(sid)
            socket = sockets.get(eio_sid) if eio_sid is not None else None
            if socket is None:
                continue
            frame = default_namespace_event_frame(event, data) if namespace == "/" else None
            if frame is not None and isinstance(socket, FastSocket) and socket.write_frame(frame):
                sent += 1
                continue
            encoded = packet_class(
                sio_packet.EVENT, namespace=namespace, data=[event, data]
            ).encode()
            if not isinstance(encoded, str):  # binary attachments: python-socketio's way
                await socketio.AsyncManager.emit(self, event, data, namespace, room=sid)
            elif not (
                isinstance(socket, FastSocket) and socket.write_frame(message_frame(encoded))
            ):
                await self._queue_send([socket], encoded)
            sent += 1
        return sent

    @staticmethod
    async def _queue_send(sockets: list[Any], encoded: str) -> None:
        """Long-polling clients (and websockets mid-upgrade): engineio's queue."""
        pkt = eio_packet.Packet(eio_packet.MESSAGE, data=encoded)
        for socket in sockets:
            if not socket.closed and not socket.closing:
                await socket.send(pkt)
