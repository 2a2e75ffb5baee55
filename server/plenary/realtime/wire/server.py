"""The Socket.IO server: python-socketio's ``AsyncServer`` on the fast engine.io server
of :mod:`plenary.realtime.wire.engine`, writing packets to websocket clients directly,
answering client events that have no handler with an error ack instead of silence, and
refusing packets the protocol has no use for (see :mod:`plenary.realtime.wire.frameguard`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import socketio
from socketio import packet as sio_packet

from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.metrics import Metrics
from plenary.realtime.wire.engine import EngineServer
from plenary.realtime.wire.frameguard import Reason
from plenary.realtime.wire.frames import compact_json, message_frame, text_frame
from plenary.realtime.wire.socket import DirectSocket
from plenary.settings import Limits

#: Digits of an ack id that :func:`parse_event` reads (python-socketio reads more).
MAX_ID_DIGITS = 12


def parse_event(data: Any) -> tuple[int | None, list[Any]] | None:
    """The ack id and arguments of ``2[...]`` or ``2<id>[...]``: a Socket.IO EVENT on the
    default namespace without binary parts, which is what every Plenary client sends.
    None for anything else (other namespaces, attachments, JSON that orjson declines,
    a first argument that is not an event name): python-socketio decodes those."""
    if type(data) is not str or not data.startswith("2"):
        return None
    end = len(data)
    i = 1
    while i < end and "0" <= data[i] <= "9":
        i += 1
    if i == end or data[i] != "[" or i > MAX_ID_DIGITS:
        return None
    try:
        args = orjson.loads(data[i:])
    except orjson.JSONDecodeError:
        return None
    if type(args) is not list or not args or type(args[0]) is not str:
        return None
    return (int(data[1:i]) if i > 1 else None), args


def packet_head(data: str) -> tuple[int, bool, str | None, int | None] | None:
    """The type of a Socket.IO packet, whether it announces binary attachments, its
    namespace and its ack id (None when it has none, or one longer than MAX_ID_DIGITS),
    read as python-socketio reads them but without the JSON. None when ``data`` does not
    start with a packet type."""
    if not data or not "0" <= data[0] <= "9":
        return None
    rest = data[1:]
    dash = rest.find("-")
    if dash > 0 and rest[:dash].isdigit():
        return int(data[0]), True, None, None
    namespace = None
    if rest[:1] == "/":
        sep = rest.find(",")
        namespace, rest = (rest, "") if sep == -1 else (rest[:sep], rest[sep + 1 :])
        namespace = namespace.partition("?")[0]
    i = 0
    while i < len(rest) and "0" <= rest[i] <= "9":
        i += 1
    ack_id = int(rest[:i]) if 0 < i <= MAX_ID_DIGITS else None
    return int(data[0]), False, namespace, ack_id


def parse_connect(data: Any) -> tuple[Any] | None:
    """The auth payload of ``0`` or ``0{...}``, a Socket.IO CONNECT to the default
    namespace, as a 1-tuple (the payload may be None). None for anything else (another
    namespace, JSON that orjson declines, not text): python-socketio decodes those."""
    if type(data) is not str:
        return None
    if data == "0":
        return (None,)
    if data[:2] != "0{":
        return None
    try:
        return (orjson.loads(data[1:]),)
    except orjson.JSONDecodeError:
        return None


class PlenaryServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on :class:`EngineServer`, writing packets to a
    websocket client directly, and calling the handler of a client event straight from
    its frame."""

    reserved_events: list[str]
    handlers: dict[str, dict[str, Any]]
    async_handlers: bool
    _binary_packet: dict[str, Any]

    def __init__(
        self,
        *args: Any,
        limits: Limits | None = None,
        metrics: Metrics | None = None,
        **kwargs: Any,
    ) -> None:
        """``limits`` set each connection's frame budget, ``metrics`` count refused
        frames (see frameguard); both optional, for tests."""
        super().__init__(*args, **kwargs)
        self._after_connect: dict[str, Callable[[], Awaitable[None]]] = {}
        limits = limits or Limits()
        self.eio.frame_watch.configure(limits.events_per_second, limits.events_burst, metrics)

    def _engineio_server_class(self) -> type[EngineServer]:
        return EngineServer

    def after_connect(self, sid: str, follow_up: Callable[[], Awaitable[None]]) -> None:
        """From a ``connect`` handler that accepts ``sid``: await ``follow_up()`` once
        python-socketio has sent the client its CONNECT packet (which it does after the
        handler returns), in the task that handles the connection request. This is how
        the first message a client must get after CONNECT is sent without a task per
        join. Dropped if the connection does not complete."""
        eio_sid = self.manager.eio_sid_from_sid(sid, "/")
        if eio_sid is not None:
            self._after_connect[eio_sid] = follow_up

    @property
    def follow_ups_waiting(self) -> int:
        """Follow-ups registered by :meth:`after_connect` and not yet run (for tests)."""
        return len(self._after_connect)

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        try:
            handler = self.handlers.get("/", {}).get("connect")
            if (namespace or "/") == "/" and data and handler and not self.always_connect:
                await self._connect_with_auth(eio_sid, handler, data)
            else:
                await super()._handle_connect(eio_sid, namespace, data)
        finally:
            follow_up = self._after_connect.pop(eio_sid, None)
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if follow_up is not None and sid is not None and self.manager.is_connected(sid, namespace):
            await follow_up()

    async def _connect_with_auth(self, eio_sid: str, handler: Any, auth: Any) -> None:
        """python-socketio's ``_handle_connect`` for the CONNECT every Plenary client
        sends (default namespace, an auth payload, a ``connect`` handler): the handler is
        called directly rather than through the generic event dispatch, and the CONNECT
        packet is written as a frame rather than built as a packet object."""
        sid = await self.manager.pre_connect(eio_sid, "/")
        if sid is None:  # this client is connected already
            error = self.packet_class(
                sio_packet.CONNECT_ERROR, data="Unable to connect", namespace="/"
            )
            await self._send_packet(eio_sid, error)
            return
        refusal = socketio.exceptions.ConnectionRefusedError().error_args
        try:
            accepted = handler(sid, self.environ[eio_sid], auth)
            if inspect.isawaitable(accepted):
                accepted = await accepted
        except socketio.exceptions.ConnectionRefusedError as exc:
            refusal, accepted = exc.error_args, False
        except ConnectionRefusedError:
            refusal, accepted = {"message": "Connection refused by server"}, False
        if accepted is False:
            error = self.packet_class(sio_packet.CONNECT_ERROR, data=refusal, namespace="/")
            await self._send_packet(eio_sid, error)
            await self.manager.disconnect(sid, "/", ignore_queue=True)
            return
        socket = self._direct_socket(eio_sid)
        if socket is not None:
            await self._write_live(socket, text_frame(b"40" + orjson.dumps({"sid": sid})))
        else:
            connect = self.packet_class(sio_packet.CONNECT, {"sid": sid}, namespace="/")
            await self._send_packet(eio_sid, connect)
        await self.manager.connect(sid, "/")

    def _direct_socket(self, eio_sid: str) -> DirectSocket | None:
        """The client's socket if it is a websocket written to directly, else None
        (long-polling, mid-upgrade, gone): then engineio's way."""
        socket = self.eio.sockets.get(eio_sid)
        if isinstance(socket, DirectSocket) and socket.transport is not None:
            return socket
        return None

    @staticmethod
    async def _write_live(socket: DirectSocket, frame: bytes) -> None:
        # engineio's check before every send: a client past its ping timeout is closed.
        if socket.closed:
            return
        if socket.past_ping_timeout():
            await socket.check_ping_timeout()  # closes it
            return
        socket.write_frame(frame)

    async def _send_packet(self, eio_sid: str, pkt: sio_packet.Packet) -> None:
        encoded = pkt.encode()
        if isinstance(encoded, str):
            socket = self._direct_socket(eio_sid)
            if socket is not None:
                await self._write_live(socket, message_frame(encoded))
                return
            await self.eio.send(eio_sid, encoded)
            return
        for part in encoded:  # binary attachments
            await self.eio.send(eio_sid, part)

    async def _send_ack(self, eio_sid: str, ack_id: int, args: list[Any]) -> None:
        """An ACK on the default namespace. To a websocket client, the frame is built
        straight from orjson's bytes (``43<id>[...]``), as python-socketio would encode
        it; anything else goes through a packet object."""
        socket = self._direct_socket(eio_sid)
        body = compact_json(args) if socket is not None else None
        if socket is not None and body is not None:
            await self._write_live(socket, text_frame(b"43%d%b" % (ack_id, body)))
            return
        ack = self.packet_class(sio_packet.ACK, namespace="/", id=ack_id, data=args)
        await self._send_packet(eio_sid, ack)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        """A Socket.IO packet from a client. The common one, an event on the default
        namespace, is decoded in one pass (``parse_event``) and its handler called and
        acked here, as python-socketio's ``_handle_event`` would with ``async_handlers``
        off, without building a packet object and going through its generic dispatch;
        every other packet takes python-socketio's way."""
        parsed = None
        if not self.async_handlers and eio_sid not in self._binary_packet:
            parsed = parse_event(data)
            auth = parse_connect(data) if parsed is None else None
            if auth is not None:
                await self._handle_connect(eio_sid, "/", auth[0])
                return
        if parsed is not None:
            ack_id, args = parsed
            handler = self.handlers.get("/", {}).get(args[0])
            if handler is not None and args[0] not in self.reserved_events:
                sid = self.manager.sid_from_eio_sid(eio_sid, "/")
                if sid is not None and self.manager.is_connected(sid, "/"):
                    result = await handler(sid, *args[1:])
                    if ack_id is not None:
                        await self._send_ack(eio_sid, ack_id, _ack_args(result))
                    return
        await self._handle_packet(eio_sid, data)

    async def _handle_packet(self, eio_sid: str, data: Any) -> None:
        """python-socketio's decoding and dispatch of a packet (its
        ``_handle_eio_message``), with what the protocol has no use for refused: binary
        data, binary packets and announcements of attachments (python-socketio would keep
        every attachment in memory until the last one came), packets that do not decode,
        types clients do not send, acks the server did not ask for. A malformed event
        with an ack id is answered with ``bad_request``."""
        if type(data) is not str:
            if isinstance(data, bytes | bytearray):
                await self._refuse(eio_sid, Reason.BINARY, "binary data")
            else:  # engineio decoded the message's text as JSON
                await self._refuse(eio_sid, Reason.MALFORMED, "a message that is no packet")
            return
        head = packet_head(data)
        if head is None:
            await self._refuse(eio_sid, Reason.MALFORMED, "a message that is no packet")
            return
        kind, attachments, namespace, ack_id = head
        if attachments or kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
            await self._refuse(eio_sid, Reason.BINARY, "a packet with binary attachments")
            return
        if kind > sio_packet.ACK:
            await self._refuse(eio_sid, Reason.MALFORMED, "a packet type clients do not send")
            return
        try:
            pkt = self.packet_class(encoded_packet=data)
        except Exception:  # JSON that does not decode, nests too deep, too many digits
            if kind == sio_packet.EVENT and ack_id is not None and namespace in (None, "/"):
                await self._answer_malformed(eio_sid, ack_id)
            else:
                await self._refuse(eio_sid, Reason.MALFORMED, "a packet that does not decode")
            return
        if kind == sio_packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif kind == sio_packet.EVENT:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif self._asked_for(eio_sid, pkt.namespace, pkt.id):
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
        else:
            await self._refuse(eio_sid, Reason.MALFORMED, "an ack the server did not ask for")

    def _asked_for(self, eio_sid: str, namespace: str | None, ack_id: int | None) -> bool:
        """Whether the server waits for this ack (python-socketio's callback ids start at
        1; key 0 holds its counter)."""
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        callbacks = self.manager.callbacks.get(sid) if sid is not None else None
        return bool(ack_id and callbacks and ack_id in callbacks)

    async def _refuse(self, eio_sid: str, reason: Reason, detail: str) -> None:
        """Close the client's connection (see DirectSocket.refuse)."""
        socket = self.eio.sockets.get(eio_sid)
        if isinstance(socket, DirectSocket):
            await socket.refuse(reason, detail)

    async def _answer_malformed(self, eio_sid: str, ack_id: int) -> None:
        """A ``bad_request`` ack for an event whose JSON does not decode."""
        socket = self.eio.sockets.get(eio_sid)
        if isinstance(socket, DirectSocket):
            self.eio.frame_watch.report(
                socket.frame_guard(),
                Reason.MALFORMED,
                "an event that does not decode",
                closed=False,
            )
        error = bad_request(
            'The message is not valid JSON; send ["event name", {...fields}] (docs/protocol.md).'
        )
        await self._send_ack(eio_sid, ack_id, [error.to_ack()])

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        """A client event. python-socketio would call the ``connect`` or ``disconnect``
        handler for a client event of that name (with the client's arguments: a client
        could end its own session, or authenticate again with made-up request data),
        fail on an empty event, leave an unknown event unanswered, and log a warning for
        an event before CONNECT. Here all of them get an error ack (``bad_request``, or
        ``unauthorized`` before CONNECT), if the client asked for one, and change
        nothing; an event without a name and without an ack id closes the connection."""
        namespace = namespace or "/"
        name = data[0] if isinstance(data, list) and data else None
        error = None
        if (
            not isinstance(name, str)
            or name in self.reserved_events
            or name not in self.handlers.get(namespace, {})
        ):
            if id is None and not isinstance(name, str):
                await self._refuse(eio_sid, Reason.MALFORMED, "an event without a name")
                return
            # Only a string's repr: a list may nest a thousand levels deep.
            shown = repr(name)[:40] if isinstance(name, str) else f"<{type(name).__name__}>"
            shown = "none" if name is None else shown
            error = bad_request(f"Unknown event {shown}; see docs/protocol.md for the list.")
        elif not self.manager.is_connected(
            self.manager.sid_from_eio_sid(eio_sid, namespace), namespace
        ):
            # python-socketio would log a warning for every one of them.
            error = PlenaryError(ErrorCode.UNAUTHORIZED, "Connect with an auth payload first.")
        if error is not None:
            if id is not None:
                ack = self.packet_class(
                    sio_packet.ACK, namespace=namespace, id=id, data=[error.to_ack()]
                )
                await self._send_packet(eio_sid, ack)
            return
        await super()._handle_event(eio_sid, namespace, id, data)


def _ack_args(result: Any) -> list[Any]:
    """A handler's return value as ack arguments, as python-socketio makes them."""
    if result is None:
        return []
    if isinstance(result, tuple):
        return list(result)
    return [result]
