"""The engine.io server of the wire layer: python-engineio's server, making
:class:`~plenary.realtime.wire.socket.DirectSocket` sockets (every packet of a websocket
connection written straight to its transport), with a short way for new websocket
connections, ping timers shared by the sockets due together, and sessions that must
join in time.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import math
import os
from collections.abc import Callable
from typing import Any, Protocol

import engineio
from aiohttp import web
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers.aiohttp import translate_request

from plenary.errors import PlenaryError
from plenary.realtime.wire.frameguard import FrameWatch
from plenary.realtime.wire.frames import text_frame
from plenary.realtime.wire.packet_json import PacketJson
from plenary.realtime.wire.socket import DirectSocket, WebSocketDriver

log = logging.getLogger(__name__)


#: What may wait in one client's transport buffer before it is disconnected as too
#: slow: a couple of minutes of live results for a phone on a bad network.
MAX_BACKLOG_BYTES = 256 * 1024
#: Sockets whose frames are written together (see EngineServer.mark_dirty): on
#: loopback and in VMs a write that wakes an idle receiver costs several times one that
#: follows other writes closely, and a batch this size delays the first of them by well
#: under a millisecond.
WRITE_BATCH = 64
#: Pings due within the same slot of this many seconds go out together, from one timer
#: (a client allows pingInterval + pingTimeout, 45 s, before it gives up on the server).
PING_SLOT_S = 0.5
#: New sessions whose time to join ends within the same slot of this many seconds are
#: checked together, from one timer (see EngineServer.expect_join).
JOIN_SLOT_S = 1.0


class SessionAdmission(Protocol):
    """Who may open an engine.io session (see :class:`plenary.realtime.admission.Admission`)."""

    async def admit_session(self, environ: dict[str, Any]) -> PlenaryError | None:
        """None to accept a new session, else why it is refused."""

    def closed_idle(self, count: int) -> None:
        """``count`` sessions were closed for not joining in time."""


class RandomPool:
    """Random bytes from the operating system's generator (``os.urandom``, as
    ``secrets`` uses), fetched a few KiB at a time instead of one system call per
    session id. A forked child starts with an empty pool: it must not hand out the
    same ids as its parent."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._buffer = b""
        self._pos = 0

    def take(self, n: int) -> bytes:
        pos = self._pos
        if pos + n > len(self._buffer):
            self._buffer = os.urandom(max(self._size, n))
            pos = 0
        self._pos = pos + n
        return self._buffer[pos : pos + n]

    def reset(self) -> None:
        self._buffer = b""
        self._pos = 0


_random = RandomPool()
os.register_at_fork(after_in_child=_random.reset)


def is_new_websocket_query(query_string: str) -> bool:
    """Whether a request's query string asks for a new websocket connection in
    engine.io v4 (``EIO=4``, ``transport=websocket``, no ``sid``, no JSONP ``j``), read
    the way engineio reads it. Escapes (``%``, ``+``) and repeated names answer False,
    as does anything else: engineio's own parsing then decides."""
    if "%" in query_string or "+" in query_string:
        return False
    params: dict[str, str] = {}
    for part in query_string.split("&"):
        name, _, value = part.partition("=")
        if name in params:
            return False
        params[name] = value
    return (
        params.get("EIO") == "4"
        and params.get("transport") == "websocket"
        and "sid" not in params
        and "j" not in params
    )


class EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """engineio's server with :class:`DirectSocket` sockets and :class:`WebSocketDriver`."""

    _async: dict[str, Any]
    start_service_task: bool
    sockets: dict[str, Any]
    sequence_number: int

    #: Bytes that may wait for one client before it is disconnected as too slow.
    max_backlog_bytes = MAX_BACKLOG_BYTES
    #: Asked before a session is created (a per-IP limit); None admits everyone.
    admission: SessionAdmission | None = None
    #: Whether a session has joined (has a Socket.IO connection on it), set by the
    #: application; a session that has not within ``connect_timeout_s`` is closed.
    joined: Callable[[str], bool] | None = None
    connect_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The driver table is shared by every server of the async mode: copy it.
        self._async = {**self._async, "websocket": WebSocketDriver}
        self.slow_clients_dropped = 0
        #: Frame budgets and reports of refused frames (PlenaryServer configures it).
        self.frame_watch = FrameWatch()
        self._dirty: list[DirectSocket] = []
        self._ping_slots: dict[float, dict[DirectSocket, None]] = {}
        self._join_slots: dict[float, list[str]] = {}
        self._closing_idle: set[asyncio.Task[None]] = set()
        self.idle_sessions_closed = 0

    def mark_dirty(self, socket: DirectSocket) -> None:
        """``socket`` has frames to write: write them (all sockets' together) once the
        event loop is done with what it is running now, or once :data:`WRITE_BATCH`
        sockets are waiting, whichever comes first."""
        dirty = self._dirty
        if not dirty:
            asyncio.get_running_loop().call_soon(self.flush)
        elif len(dirty) >= WRITE_BATCH:
            # The full batch goes out before this socket starts the next one, so that
            # frames a socket is given back to back (a personal message and the
            # broadcast that follows it) still share its write.
            self._dirty = []
            for waiting in dirty:
                waiting.flush()
            dirty = self._dirty
        dirty.append(socket)

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for socket in dirty:
            socket.flush()

    def ping_later(self, socket: DirectSocket) -> float:
        """Ping ``socket`` once ``ping_interval`` has passed, or a little later (up to
        :data:`PING_SLOT_S`, or a tenth of the interval if that is shorter): the sockets
        due in the same slot share one timer, where a join storm would otherwise set a
        timer per socket. Returns the slot (its time on the event loop's clock)."""
        loop = asyncio.get_running_loop()
        interval = float(self.ping_interval)
        width = min(PING_SLOT_S, interval / 10)
        slot = math.ceil((loop.time() + interval) / width) * width
        waiting = self._ping_slots.get(slot)
        if waiting is None:
            waiting = self._ping_slots[slot] = {}
            loop.call_at(slot, self._ping_slot_due, slot)
        waiting[socket] = None
        return slot

    def cancel_ping(self, socket: DirectSocket, slot: float) -> None:
        waiting = self._ping_slots.get(slot)
        if waiting is not None:
            waiting.pop(socket, None)

    def _ping_slot_due(self, slot: float) -> None:
        for socket in self._ping_slots.pop(slot, ()):
            socket.ping_due()

    def _log_error_once(self, message: str, message_key: str) -> None:
        """engineio logs the requests it refuses (an unknown or closed session, a bad
        transport, origin or protocol version) as an ERROR the first time, then at INFO.
        They are the client's errors: a WARNING the first time. Only the server's own
        (no websocket support) stays an ERROR."""
        if message_key == "no-websocket":
            super()._log_error_once(message, message_key)
        elif message_key not in self.log_message_keys:
            self.log_message_keys.add(message_key)
            self.logger.warning("%s (further occurrences are logged at INFO)", message)
        else:
            self.logger.info(message)

    def generate_id(self) -> str:
        """engineio's session id (12 random bytes and a 3-byte sequence number, in
        URL-safe base64), with the random bytes from :class:`RandomPool`.
        python-socketio takes its own sids from here too: two per connection."""
        raw = _random.take(12) + self.sequence_number.to_bytes(3, "big")
        self.sequence_number = (self.sequence_number + 1) & 0xFFFFFF
        return base64.urlsafe_b64encode(raw).decode()

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """engineio's entry point. The request nearly every client starts with, a new
        websocket connection, goes straight to :meth:`_handle_connect` once it is known to
        be one (engineio would parse the query string with urllib and walk through every
        kind of request first); anything else, and any request this cannot tell apart at
        a glance, takes engineio's way, which also answers the ones it refuses."""
        request = args[0] if len(args) == 1 and not kwargs else None
        if (
            isinstance(request, web.BaseRequest)
            and request.method == "GET"
            and is_new_websocket_query(request.query_string)
        ):
            environ = translate_request(request)
            if environ.get("HTTP_UPGRADE", "").lower() == "websocket" and self._origin_allowed(
                environ
            ):
                response = await self._handle_connect(environ, "websocket")
                if isinstance(response, dict):  # refused: engineio's error response
                    return await self._make_response(response, environ)
                return response
        return await super().handle_request(*args, **kwargs)

    def _origin_allowed(self, environ: dict[str, Any]) -> bool:
        """engineio's check of the Origin header (see ``handle_request``)."""
        if self.cors_allowed_origins == []:
            return True
        origin = environ.get("HTTP_ORIGIN")
        if not origin:
            return True
        allowed = self._cors_allowed_origins(environ)
        return allowed is None or origin in allowed

    async def _trigger_connect(self, sid: str, environ: dict[str, Any]) -> Any:
        """The ``connect`` handler's answer, as engineio's ``_trigger_event`` gives it
        (a handler that raises refuses the connection), without building its generic
        wrapper for every connection."""
        handler = self.handlers.get("connect")
        if handler is None:
            return None
        try:
            result = handler(sid, environ)
            if inspect.isawaitable(result):
                result = await result
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger.exception("connect async handler error")
            return False
        return result

    def expect_join(self, sid: str) -> None:
        """Close session ``sid`` if it has not joined once ``connect_timeout_s`` has
        passed (or a little later, up to JOIN_SLOT_S): the sessions due in the same slot
        share one timer, where a connection storm would otherwise set one each."""
        timeout = self.connect_timeout_s
        if self.joined is None or timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        width = min(JOIN_SLOT_S, timeout / 10)
        slot = math.ceil((loop.time() + timeout) / width) * width
        waiting = self._join_slots.get(slot)
        if waiting is None:
            waiting = self._join_slots[slot] = []
            loop.call_at(slot, self._join_slot_due, slot)
        waiting.append(sid)

    def _join_slot_due(self, slot: float) -> None:
        joined = self.joined
        idle = []
        for sid in self._join_slots.pop(slot, ()):
            socket = self.sockets.get(sid)
            if socket is None or socket.closing or socket.closed:
                continue
            if joined is not None and not joined(sid):
                idle.append(socket)
        if idle:
            task = asyncio.get_running_loop().create_task(self._close_idle(idle))
            self._closing_idle.add(task)
            task.add_done_callback(self._closing_idle.discard)

    async def _close_idle(self, sockets: list[Any]) -> None:
        """Close sessions that did not join in time, with an engine.io CLOSE: a real
        client that was this slow connects anew, anything else is gone."""
        closed = 0
        for socket in sockets:
            if socket.closing or socket.closed or (self.joined and self.joined(socket.sid)):
                continue  # it changed while the ones before it were closed
            try:
                await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
            except Exception:
                self.logger.exception("closing a session that did not join failed")
            self.sockets.pop(socket.sid, None)
            closed += 1
        self.idle_sessions_closed += closed
        if closed and self.admission is not None:
            self.admission.closed_idle(closed)

    @staticmethod
    def _refused(refusal: PlenaryError) -> dict[str, Any]:
        """The HTTP answer to a refused new session: 429 with the error as JSON."""
        retry_ms = refusal.details.get("retry_after_ms")
        headers = [("Content-Type", "application/json")]
        if isinstance(retry_ms, int):
            headers.append(("Retry-After", str(math.ceil(retry_ms / 1000))))
        body = PacketJson.dumps({"error": refusal.to_payload()}).encode()
        return {"status": "429 TOO MANY REQUESTS", "headers": headers, "response": body}

    async def _handle_connect(
        self, environ: dict[str, Any], transport: str, jsonp_index: int | None = None
    ) -> Any:
        # python-engineio 4.x's AsyncServer._handle_connect, with the socket class changed
        # (engineio creates an AsyncSocket there, with no hook to change it), and for a
        # websocket, the OPEN packet built as a frame and the handler called directly.
        # Before any of it, the per-IP limit: a refused session costs no socket.
        if self.admission is not None:
            refusal = await self.admission.admit_session(environ)
            if refusal is not None:
                return self._refused(refusal)
        if self.start_service_task:
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)

        sid = self.generate_id()
        s = DirectSocket(self, sid)
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
            s.open_frame = text_frame(("0" + PacketJson.dumps(handshake)).encode())
        else:
            await s.send(eio_packet.Packet(eio_packet.OPEN, handshake))

        ret = await self._trigger_connect(sid, environ)
        if ret is not None and ret is not True:
            del self.sockets[sid]
            self.logger.warning("Application rejected connection")
            return self._unauthorized(ret or None)

        s.schedule_ping()
        self.expect_join(sid)

        if transport == "websocket":
            if "upgrade" in environ.get("HTTP_CONNECTION", "").lower():
                # What handle_get_request would decide after parsing the headers again
                # (the Upgrade header was checked on the way here).
                ret = await s._upgrade_websocket(environ)
            else:
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
