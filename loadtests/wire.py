"""The lean Socket.IO client of the load tests: Engine.IO v4 / Socket.IO v5 text frames
written and read directly on a gevent socket, so that what the users measure is the
server, not the load generator (docs/loadtest.md, "The clients").

Each connection is one TCP socket and one reader greenlet. A ``recv`` of up to 64 KiB
takes the receipt time (epoch ms, :func:`loadtests.coordination.now_ms`'s clock) before
anything is decoded, and every frame in it is handed to its handler inline with that
time: no per-message greenlet, no queue, no python-socketio object. Only the default
namespace is spoken (Plenary has no other); server frames are never masked, client
frames carry the all-zero masking key (as in bench/fanout_clients.py); binary frames and
Socket.IO binary packets are refused (Plenary sends none) and reported, not decoded.

Both clients of the users, this one and python-socketio's (``--plenary-client``), offer
:class:`PlenaryClient`. Handlers get the message's data and its receipt time:
``handler(data, received)``; the catch-all ``"*"`` gets ``(event, data, received)``;
``"connect_error"`` the refusal's data, ``"disconnect"`` the reason, :data:`REFUSED` what
was refused.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import gevent
import gevent.event
import gevent.lock
import orjson
from gevent import socket
from socketio import exceptions as sio_errors

log = logging.getLogger("plenary.loadtest.wire")

#: the pseudo-event of a refused frame or packet (binary, fragmented or malformed)
REFUSED = "wire refused"
#: disconnect reasons, as python-socketio gives them
CLIENT_DISCONNECT = "client disconnect"
SERVER_DISCONNECT = "server disconnect"
TRANSPORT_ERROR = "transport error"

RECV_BYTES = 65536
ZERO_MASK = b"\x00\x00\x00\x00"
Handler = Callable[..., None]


def now_ms() -> float:
    """Epoch ms, :func:`loadtests.coordination.now_ms`'s clock (not imported from there:
    importing Locust monkey-patches the process, and this module must not)."""
    return time.time() * 1000.0


class PlenaryClient(Protocol):
    """What the users (loadtests/connection.py, the attendee and presenter on it,
    loadtests/kinds/) use of a Socket.IO client."""

    #: the namespace is connected (the server accepted ``auth``)
    connected: bool

    @property
    def closed(self) -> bool:
        """The transport is fully down: a new :meth:`connect` may start."""
        ...

    def on(self, event: str, handler: Handler) -> None: ...

    def connect(self, url: str, auth: Any, transports: list[str], wait_timeout: float) -> None: ...

    def emit(self, event: str, data: Any = None) -> None: ...

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any: ...

    #: the receipt time (epoch ms) of the ack :meth:`call` returned last: the ack's
    #: latency ends there, not when the calling greenlet got its turn to run again
    ack_received: float

    def disconnect(self) -> None: ...

    def sever(self) -> None:
        """Lose the connection abruptly (no goodbye), like a network drop."""
        ...


def text_frame(text: bytes, opcode: int = 0x81) -> bytes:
    """A masked client frame (all-zero key: the payload goes as is)."""
    n = len(text)
    if n < 126:
        head = bytes((opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + ZERO_MASK + text


class LeanClient:
    """One Socket.IO connection (see the module's docstring); :class:`PlenaryClient`."""

    #: Tests only: a generator too slow to keep up, as if each read took this long before
    #: the frames could be timed (a sleep before the receipt time: every frame late).
    read_delay_s = 0.0

    def __init__(self) -> None:
        self.connected = False
        self.ack_received = 0.0
        self.handlers: dict[str, Handler] = {}
        #: frames or packets refused since this client was made
        self.refused = 0
        self._sock: socket.socket | None = None
        self._reader: gevent.Greenlet[Any] | None = None
        self._send_lock = gevent.lock.Semaphore()
        self._answered = gevent.event.Event()  # CONNECT, CONNECT_ERROR or closed
        self._refusal: Any = None
        self._auth: bytes = b""
        self._acks: dict[int, gevent.event.AsyncResult[Any]] = {}
        self._next_ack = 0
        self._skip_binary = 0  # attachments of a refused binary packet still to come
        self._reason = TRANSPORT_ERROR

    @property
    def closed(self) -> bool:
        return self._reader is None or self._reader.dead

    def on(self, event: str, handler: Handler) -> None:
        self.handlers[event] = handler

    # -- connecting ------------------------------------------------------------------
    def connect(
        self,
        url: str,
        auth: Any = None,
        transports: list[str] | None = None,
        wait_timeout: float = 10.0,
    ) -> None:
        """Open the websocket, connect the namespace with ``auth``; raises
        ``socketio.exceptions.ConnectionError`` when refused (after the
        ``connect_error`` handler) or when nothing answers within ``wait_timeout``."""
        if transports not in (None, ["websocket"]):
            raise ValueError("the lean client speaks websocket only")
        if not self.closed:
            raise sio_errors.ConnectionError("already connected")
        split = urlsplit(url)
        host, port = split.hostname or "127.0.0.1", split.port or 80
        deadline = now_ms() + wait_timeout * 1000
        try:
            sock = socket.create_connection((host, port), timeout=wait_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            rest = self._upgrade(sock, f"{host}:{port}")
            sock.settimeout(None)
        except OSError as exc:
            raise sio_errors.ConnectionError(f"websocket failed: {exc}") from exc
        self._auth = orjson.dumps(auth) if auth is not None else b""
        self._sock, self._refusal, self._reason = sock, None, TRANSPORT_ERROR
        self._skip_binary = 0
        self._answered.clear()
        self._reader = gevent.spawn(self._read, sock, rest)
        self._answered.wait(timeout=max(0.0, (deadline - now_ms()) / 1000))
        if self.connected:
            return
        self._close(sock)
        if self._refusal is not None:
            raise sio_errors.ConnectionError("One or more namespaces failed to connect")
        raise sio_errors.ConnectionError("Connection timed out or closed before CONNECT")

    @staticmethod
    def _upgrade(sock: socket.socket, where: str) -> bytes:
        """The websocket handshake; returns what came after the response's head."""
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {where}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = sock.recv(4096)
            if not data or len(buf) > 65536:
                raise ConnectionRefusedError("no websocket handshake")
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionRefusedError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return rest

    # -- sending ---------------------------------------------------------------------
    def _send(self, *texts: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise sio_errors.DisconnectedError("not connected")
        with self._send_lock:
            try:
                sock.sendall(b"".join(text_frame(t) for t in texts))
            except OSError as exc:
                raise sio_errors.DisconnectedError(str(exc)) from exc

    def emit(self, event: str, data: Any = None) -> None:
        if not self.connected:
            raise sio_errors.BadNamespaceError("/ is not a connected namespace.")
        self._send(b"42" + orjson.dumps([event] if data is None else [event, data]))

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        """Emit with an ack id and wait for the ack: its one argument (a tuple of
        several, None of none). Raises ``socketio.exceptions.TimeoutError`` or
        ``DisconnectedError`` (also when the connection ends while waiting)."""
        if not self.connected:
            raise sio_errors.DisconnectedError("not connected")
        self._next_ack += 1
        ack_id = self._next_ack
        result: gevent.event.AsyncResult[Any] = gevent.event.AsyncResult()
        self._acks[ack_id] = result
        body = orjson.dumps([event] if data is None else [event, data])
        try:
            self._send(b"42%d" % ack_id + body)
            args = result.get(timeout=timeout)
        except gevent.Timeout as exc:
            raise sio_errors.TimeoutError() from exc
        finally:
            self._acks.pop(ack_id, None)
        return args[0] if len(args) == 1 else (tuple(args) or None)

    def disconnect(self) -> None:
        """Say goodbye (Socket.IO DISCONNECT, Engine.IO CLOSE) and close."""
        sock = self._sock
        if sock is None:
            return
        self._reason = CLIENT_DISCONNECT
        if self.connected:
            with contextlib.suppress(sio_errors.DisconnectedError):  # gone already
                self._send(b"41", b"1")
        self._close(sock)
        reader = self._reader
        if reader is not None and reader is not gevent.getcurrent():
            reader.join(timeout=1.0)

    def sever(self) -> None:
        if self._sock is not None:
            self._sock.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already down
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    # -- receiving -------------------------------------------------------------------
    def _read(self, sock: socket.socket, buf: bytes) -> None:
        """The reader greenlet: frames out of each ``recv``, all with its receipt time."""
        try:
            while True:
                if self.read_delay_s:
                    time.sleep(self.read_delay_s)
                received = now_ms()
                # Let every other connection with bytes waiting take its receipt time
                # before this one decodes and dispatches: a broadcast reaches hundreds
                # of this process's users at once, and otherwise the last of them would
                # read (and time) its copy only after the others' handlers had run.
                gevent.sleep(0)
                pos, n = 0, len(buf)
                while n - pos >= 2:
                    b0, b1 = buf[pos], buf[pos + 1] & 0x7F
                    start = pos + 2
                    if b1 == 126:
                        b1, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
                    elif b1 == 127:
                        b1, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
                    end = start + b1
                    if end > n:
                        break
                    pos = end
                    if b0 == 0x81:  # a whole text frame
                        self._packet(buf[start:end], received)
                    elif b0 == 0x89:  # websocket ping
                        self._send_frame(text_frame(buf[start:end], 0x8A))
                    elif b0 & 0x0F == 0x08:  # close
                        return
                    elif b0 & 0x0F != 0x0A:  # binary, fragments (Plenary sends neither)
                        self._binary_frame(b0, received)
                buf = buf[pos:]
                data = sock.recv(RECV_BYTES)
                if not data:
                    return
                buf = buf + data if buf else data
        except (OSError, sio_errors.DisconnectedError):
            return  # the connection broke (or this client closed it)
        finally:
            self._ended(sock)

    def _send_frame(self, frame: bytes) -> None:
        sock = self._sock
        if sock is not None:
            with self._send_lock:
                sock.sendall(frame)

    def _packet(self, p: bytes, received: float) -> None:
        """One Engine.IO packet (a whole text frame)."""
        kind = p[:2]
        try:
            if kind == b"42":
                self._event(p, received)
            elif kind == b"43":
                bracket = p.index(b"[")
                result = self._acks.get(int(p[2:bracket]))
                if result is not None:
                    self.ack_received = received
                    result.set(orjson.loads(p[bracket:]))
            elif p == b"2":  # Engine.IO ping
                self._send(b"3")
            elif kind == b"40":
                self.connected = True
                self._answered.set()
            elif p[:1] == b"0":  # Engine.IO open: connect the namespace
                self._send(b"40" + self._auth)
            elif kind == b"44":
                self._refusal = orjson.loads(p[2:]) if len(p) > 2 else {}
                self._dispatch("connect_error", self._refusal, received)
                self._answered.set()
            elif kind == b"41" or p == b"1":
                self._reason = SERVER_DISCONNECT
                if self._sock is not None:
                    self._close(self._sock)
            elif kind in (b"45", b"46"):  # binary event or ack: attachments follow
                self._skip_binary = int(p[2 : p.index(b"-")])
                self.refuse(f"binary packet {p[:40]!r}", received)
        except (ValueError, IndexError, orjson.JSONDecodeError):
            self.refuse(f"malformed packet {p[:40]!r}", received)

    def _event(self, p: bytes, received: float) -> None:
        bracket = p.index(b"[")
        args = orjson.loads(p[bracket:])
        event, data = args[0], (args[1] if len(args) > 1 else None)
        if bracket > 2:  # the server asks for an ack: an empty one
            self._send(b"43" + p[2:bracket] + b"[]")
        handler = self.handlers.get(event)
        if handler is not None:
            self._call(handler, event, data, received)
        else:
            catch_all = self.handlers.get("*")
            if catch_all is not None:
                self._call(catch_all, event, event, data, received)

    def _dispatch(self, event: str, data: Any, received: float) -> None:
        handler = self.handlers.get(event)
        if handler is not None:
            self._call(handler, event, data, received)

    @staticmethod
    def _call(handler: Handler, event: str, *args: Any) -> None:
        try:
            handler(*args)
        except Exception:  # a handler's bug must not end the connection's reader
            log.exception("handler of %s failed", event)

    def _binary_frame(self, b0: int, received: float) -> None:
        if b0 == 0x82 and self._skip_binary > 0:
            self._skip_binary -= 1  # an attachment of a packet refused already
            return
        self.refuse(f"websocket frame 0x{b0:02x}", received)

    def refuse(self, what: str, received: float) -> None:
        """Count and report something this client does not decode."""
        self.refused += 1
        log.warning("refused: %s", what)
        self._dispatch(REFUSED, what, received)

    def _ended(self, sock: socket.socket) -> None:
        """The connection is gone: fail the pending acks, tell the disconnect handler."""
        self._close(sock)
        was_connected, self.connected = self.connected, False
        self._sock = None
        for result in self._acks.values():
            result.set_exception(sio_errors.DisconnectedError("connection closed"))
        self._answered.set()
        if was_connected:
            self._dispatch("disconnect", self._reason, now_ms())
