"""The engine.io socket of the wire layer: python-engineio's socket, with every packet
of a websocket connection written straight to its transport (see
:mod:`plenary.realtime.wire.engine` for the server that makes these sockets).

* :class:`DirectSocket` writes every packet of a websocket connection straight to its
  transport, reads with ``receive()`` in the connection's own handler, and sends pings
  from timers shared by the sockets due together instead of a sleeping task each.
  Long-polling connections, and websockets in the middle of an upgrade from polling,
  keep engineio's queue.
* The transport's write buffer is the only backlog, and it is bounded
  (``EngineServer.max_backlog_bytes``): a client that does not read is disconnected once
  that much is waiting for it, instead of growing the server's memory; like any dropped
  client it reconnects and gets a fresh ``welcome``.
* :class:`WebSocketDriver` serves websockets without permessage-deflate: every frame of
  a broadcast is then the same bytes for every recipient (compression would cost a
  deflate per recipient).
* Every frame a client sends (websocket pings included, and each packet of a
  long-polling request) counts against its connection's frame budget, and a binary or
  malformed one closes the connection (see :mod:`plenary.realtime.wire.frameguard`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio import payload as eio_payload
from engineio.async_socket import AsyncSocket

from plenary.realtime.wire.frameguard import CLOSE_CODES, FrameGuard, Reason
from plenary.realtime.wire.frames import binary_frame, close_frame, message_frame, text_frame

log = logging.getLogger(__name__)


class WebSocketDriver:
    """engineio's websocket driver for aiohttp, with the aiohttp response and its
    transport exposed, and without permessage-deflate."""

    def __init__(self, handler: Callable[[WebSocketDriver], Any], server: Any) -> None:
        self.handler = handler
        self.server = server
        self.response: web.WebSocketResponse | None = None
        self.transport: asyncio.Transport | None = None

    async def __call__(self, environ: dict[str, Any]) -> web.StreamResponse:
        request: web.Request = environ["aiohttp.request"]
        # Websocket pings are answered by DirectSocket's reader, which counts them.
        response = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False, autoping=False
        )
        try:
            await response.prepare(request)
        except ConnectionError:
            # The client went away during the handshake: its doing, not a server fault
            # (aiohttp would log the exception as an ERROR). End the session now; the
            # plain response is dropped quietly by aiohttp, the transport being gone.
            socket = getattr(self.handler, "__self__", None)
            if socket is not None:
                await socket.close(wait=False, abort=True)
            return web.Response(status=400)
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
        """The next message of the upgrade probe; anything else (a websocket ping
        included: browsers send none) fails the upgrade."""
        assert self.response is not None
        msg = await self.response.receive()
        if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
            raise OSError()
        return msg.data  # type: ignore[no-any-return]


class DirectSocket(AsyncSocket):  # type: ignore[misc]
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
    session: dict[str, Any]
    sid: str

    transport: asyncio.Transport | None = None
    #: Set once the websocket is done (closed, dropped): frames for it are discarded.
    gone = False
    #: Frames waiting for the end of the event loop's round (see write_frame).
    pending: list[bytes] | None = None
    #: The engine.io OPEN frame of a websocket connection, written first once the
    #: websocket is up (see EngineServer._handle_connect).
    open_frame: bytes | None = None
    #: The server's ping slot this socket waits in (see EngineServer.ping_later).
    _ping_slot: float | None = None
    _queue: asyncio.Queue[Any] | None = None
    #: This connection's frame budget (see frame_guard).
    _frame_guard: FrameGuard | None = None
    #: The websocket close frame that ends a connection refused for what it sent.
    _close_frame: bytes | None = None

    def __init__(self, server: Any, sid: str) -> None:
        # engineio's BaseSocket.__init__, without creating the packet queue: a websocket
        # written to directly never uses it (see queue). tests/test_fastpath.py checks
        # that this sets every attribute engineio's own socket has.
        self.server = server
        self.sid = sid
        self.last_ping = time.time()
        self.connected = False
        self.upgrading = False
        self.upgraded = False
        self.closing = False
        self.closed = False
        self.session = {}

    @property
    def queue(self) -> asyncio.Queue[Any]:
        """engineio's packet queue (long-polling, and websockets in the middle of an
        upgrade), created when first used."""
        queue = self._queue
        if queue is None:
            queue = self._queue = self.server.create_queue()
        return queue

    # -- writing -------------------------------------------------------------------
    def write_frame(self, frame: bytes) -> bool:
        """Send a ready websocket frame. False when this socket is not a direct
        websocket (long-polling, mid-upgrade): the caller then uses engineio's queue.
        A closed or dropped socket takes (and discards) everything.

        Frames are written when the event loop finishes its current round of work
        (:meth:`EngineServer.flush`): everything a socket is sent meanwhile goes
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

    def past_ping_timeout(self) -> bool:
        """The condition of engineio's ``check_ping_timeout`` (a ping unanswered for
        longer than ``ping_timeout``), without its coroutine: callers test it before
        every write, and await ``check_ping_timeout()`` (which closes the socket) only
        when it holds."""
        last_ping = self.last_ping
        if not last_ping:
            return False
        return time.time() - last_ping > self.server.ping_timeout  # type: ignore[no-any-return]

    async def send(self, pkt: eio_packet.Packet) -> None:
        if self.transport is None:  # polling, or in the middle of an upgrade
            await super().send(pkt)
            return
        if self.gone or self.closed:
            return
        if self.past_ping_timeout():
            await self.check_ping_timeout()  # closes it
            return
        encoded = pkt.encode()
        if isinstance(encoded, str):
            self.write_frame(text_frame(encoded.encode()))
        else:  # a binary engine.io message
            self.write_frame(binary_frame(encoded))

    # -- pings: a shared timer, not a sleeping task per socket ---------------------------
    def schedule_ping(self) -> None:
        if self.last_ping:
            self.last_ping = None
            self._ping_slot = self.server.ping_later(self)

    def ping_due(self) -> None:
        """Send the ping (called by the server's ping timer)."""
        self._ping_slot = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        if not self.write_frame(b"\x81\x012"):  # "2": engine.io PING; else long-polling
            self.server.start_background_task(self.send, eio_packet.Packet(eio_packet.PING))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_slot is not None:
            self.server.cancel_ping(self, self._ping_slot)
            self._ping_slot = None
        # Waiting for the queue to empty is waiting for engineio's writer task; a socket
        # that never had a queue has neither.
        await super().close(wait=wait and self._queue is not None, abort=abort, reason=reason)
        # The reader waits for the client without a timeout: end the websocket here
        # (after the CLOSE packet, if one was sent). A client that stopped answering
        # pings is cut off at once rather than waited for.
        transport = self.transport
        if transport is not None and not self.gone:
            if reason == self.server.reason.PING_TIMEOUT:
                self.gone = True
                transport.abort()
            else:
                if self._close_frame is not None:  # after the CLOSE packet
                    self.write_frame(self._close_frame)
                self.flush()  # the CLOSE packet, and anything before it
                self.gone = True
                transport.close()

    # -- reading ----------------------------------------------------------------------
    def frame_guard(self) -> FrameGuard:
        """This connection's frame budget, from its first frame on (see frameguard)."""
        guard = self._frame_guard
        if guard is None:
            guard = self._frame_guard = self.server.frame_watch.guard()
        return guard

    async def refuse(self, reason: Reason, detail: str) -> None:
        """Close this connection for what its client sent (``detail``, a few words for
        the log): a Socket.IO DISCONNECT first, so that clients do not reconnect by
        themselves, then engine.io's CLOSE and, on a websocket, a close frame with the
        code of ``reason``. Nothing it sends after this is read."""
        if self.closing or self.closed:
            return
        self.server.frame_watch.report(self.frame_guard(), reason, detail, closed=True)
        self._close_frame = close_frame(CLOSE_CODES[reason], f"refused: {reason.value}")
        if self.transport is not None and not self.gone:
            self.write_frame(message_frame("1"))
        else:
            await self.send(eio_packet.Packet(eio_packet.MESSAGE, "1"))
        await self.close(wait=False, abort=False, reason=self.server.reason.SERVER_DISCONNECT)

    async def receive(self, pkt: eio_packet.Packet) -> None:
        kind = pkt.packet_type
        if kind == eio_packet.MESSAGE:
            await self.deliver_message(pkt.data)
        elif kind == eio_packet.PONG:
            self.schedule_ping()  # what engineio does, without its log line
        elif kind == eio_packet.CLOSE or kind == eio_packet.UPGRADE:
            await super().receive(pkt)
            if kind == eio_packet.CLOSE and self._queue is not None:
                # A long-polling client that says goodbye still has a GET waiting here,
                # which engineio answers only at the ping timeout; python-engineio's
                # client waits for it (30 s) before its disconnect returns.
                self._queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))
        else:  # OPEN, PING, NOOP are the server's to send; anything else is no packet
            await self.refuse(Reason.MALFORMED, "an engine.io packet clients do not send")

    async def deliver_message(self, data: Any) -> None:
        """An engine.io MESSAGE's data to the Socket.IO server, in this task (engineio
        would start a task for it, or wait on one). What the client sent cannot make the
        handler fail (PlenaryServer answers or refuses it): a failure is the server's."""
        handler = self.server.handlers.get("message")
        if handler is not None:
            try:
                await handler(self.sid, data)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.server.logger.exception("message async handler error")

    async def _receive_text(self, data: str) -> None:
        """A text frame that is not a Socket.IO message: an engine.io packet."""
        if data[:1] == "b":  # a binary engine.io message, in base64
            await self.refuse(Reason.BINARY, "a binary engine.io message")
            return
        try:
            pkt = eio_packet.Packet(encoded_packet=data)
        except ValueError:  # empty, or not starting with a packet type
            await self.refuse(Reason.MALFORMED, "a text frame that is no engine.io packet")
            return
        await self.receive(pkt)

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        """engineio's long-polling POST, with each packet counted against the frame
        budget, and a body that is no engine.io payload refused (engineio would log it
        as a server error and answer 200)."""
        guard = self.frame_guard()
        length = int(environ.get("CONTENT_LENGTH", "0"))
        if length > self.server.max_http_buffer_size:
            # Closed here without waiting: engineio's own close would wait until a GET
            # took the CLOSE packet, and hold this request until then, maybe forever.
            await self.refuse(Reason.TOO_LARGE, "a long-polling body over the size limit")
            raise eio_exceptions.ContentTooLongError()  # engineio answers 400
        body = await environ["wsgi.input"].read(length)
        try:
            packets = eio_payload.Payload(encoded_payload=body.decode()).packets
        except Exception:  # not UTF-8, too many packets, a packet that does not decode
            await self.refuse(Reason.MALFORMED, "a long-polling body that is no engine.io payload")
            return
        for pkt in packets:
            if not guard.take():
                await self.refuse(Reason.FLOOD, "more frames than its connection may send")
                return
            await self.receive(pkt)
            if self.closing or self.closed:
                return

    async def _websocket_handler(self, ws: WebSocketDriver) -> None:
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
        guard = self.frame_guard()
        # No timeout per message (a timer each): a silent client is found by engineio's
        # client monitor, which closes it when a ping goes unanswered (see close()).
        while True:
            try:
                msg = await response.receive()
            except Exception:  # the transport failed
                break
            kind = msg.type
            if kind is WSMsgType.BINARY:
                await self.refuse(Reason.BINARY, "a binary websocket frame")
                break
            if kind is not WSMsgType.TEXT and kind is not WSMsgType.PING:
                if kind is WSMsgType.PONG:  # unasked for, but allowed (RFC 6455)
                    if guard.take():
                        continue
                    await self.refuse(Reason.FLOOD, "more frames than its connection may send")
                elif kind is WSMsgType.ERROR and getattr(msg.data, "code", None) == 1009:
                    # aiohttp closed it (code 1009): a message over max_http_buffer_size.
                    self.server.frame_watch.report(
                        guard, Reason.TOO_LARGE, "a message over the size limit", closed=True
                    )
                break  # CLOSE, CLOSING, CLOSED, ERROR
            if not guard.take():
                await self.refuse(Reason.FLOOD, "more frames than its connection may send")
                break
            data = msg.data
            try:
                if kind is WSMsgType.PING:
                    await response.pong(data)
                elif data[:1] == "4" and "0" <= data[1:2] <= "9":
                    # A text MESSAGE carrying a Socket.IO packet (which starts with a
                    # digit): engineio's decoding would give the same string, after
                    # building a packet object and trying the text as JSON first.
                    await self.deliver_message(data[1:])
                else:
                    await self._receive_text(data)
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                self.server.logger.exception("Unknown receive error")
            if self.closing or self.closed:  # closed (or refused) meanwhile: read no more
                break
        self.gone = True
        await ws.close()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    def _switch_to_direct(self, ws: WebSocketDriver) -> None:
        """From now on packets go straight to the transport; what the queue holds
        (the OPEN packet, anything sent during an upgrade) is written first, in order.
        No await in here: nothing can be sent in between."""
        transport = ws.transport
        if transport is None:
            return
        frames = [self.open_frame] if self.open_frame is not None else []
        self.open_frame = None
        queue = self._queue
        while queue is not None:
            try:
                pkt = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            queue.task_done()
            if pkt is None:
                continue
            encoded = pkt.encode()
            frames.append(
                text_frame(encoded.encode()) if isinstance(encoded, str) else binary_frame(encoded)
            )
        if frames:
            transport.write(b"".join(frames))
        self.transport = transport

    async def _upgrade_probe(self, ws: WebSocketDriver) -> bool:
        """engineio's upgrade from polling (``2probe``/``3probe``, then ``5``)."""
        self.upgrading = True
        try:
            data = await ws.wait()
        except OSError:
            self.upgrading = False
            return False
        probe = _decoded(data)
        if probe is None or probe.packet_type != eio_packet.PING or probe.data != "probe":
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
        upgrade = _decoded(data)
        if upgrade is None or upgrade.packet_type != eio_packet.UPGRADE:
            self.upgraded = False
            self.upgrading = False
            return False
        self.upgraded = True
        self.upgrading = False
        return True


def _decoded(data: str | bytes) -> eio_packet.Packet | None:
    """An engine.io packet, or None for text that is none."""
    try:
        return eio_packet.Packet(encoded_packet=data)
    except ValueError:
        return None
