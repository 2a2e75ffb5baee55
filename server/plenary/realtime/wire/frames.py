"""The bytes on the wire: Socket.IO packets encoded in one pass of orjson, and complete
websocket frames (RFC 6455, server to client) built once and written as they are, to one
client or to many (see :mod:`plenary.realtime.wire.manager`)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from socketio import packet as sio_packet

from plenary.realtime.wire.packet_json import PacketJson

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; without it packets use PacketJson
    orjson = None  # type: ignore[assignment]


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


class PlenaryPacket(sio_packet.Packet):  # type: ignore[misc]
    """python-socketio's packet, encoded in one pass of orjson: a payload that orjson
    can encode has no binary part (orjson refuses ``bytes``), so python-socketio's
    recursive search for binary data, and a second encoding, are skipped. Anything
    else (binary attachments, values only the standard library encodes) takes
    python-socketio's own way."""

    json = PacketJson

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


def _header(first_byte: int, n: int) -> bytes:
    """The header of a complete, unmasked, unfragmented websocket frame (RFC 6455, server
    to client) of ``n`` payload bytes; ``first_byte`` is FIN plus the opcode."""
    if n < 126:
        return _SHORT(first_byte, n)
    if n < 65536:
        return _MEDIUM(first_byte, 126, n)
    return _LONG(first_byte, 127, n)


_SHORT = struct.Struct("!BB").pack
_MEDIUM = struct.Struct("!BBH").pack
_LONG = struct.Struct("!BBQ").pack


def _frame(first_byte: int, payload: bytes) -> bytes:
    return _header(first_byte, len(payload)) + payload


def text_frame(payload: bytes) -> bytes:
    """A complete websocket text frame."""
    return _frame(0x81, payload)


def message_frame(encoded_sio_packet: str) -> bytes:
    """The websocket frame of an engine.io MESSAGE carrying a Socket.IO packet."""
    return packet_frame(encoded_sio_packet.encode())


def event_packet(event: str, data: Any) -> bytes:
    """The Socket.IO packet of ``["event", data]`` on the default namespace (the only one
    Plenary speaks), as bytes: the
    same as :class:`PlenaryPacket` encodes, without the packet object (a personal message
    is encoded once per recipient). Values orjson cannot encode take the packet's way;
    a payload with binary parts (never sent to clients here) is refused."""
    body = compact_json([event, data])
    if body is not None:
        return b"2" + body
    encoded = PlenaryPacket(sio_packet.EVENT, data=[event, data]).encode()
    if not isinstance(encoded, str):
        raise TypeError(f"personal message {event!r} has binary parts; send JSON values")
    return encoded.encode()


def _stamped_head(event: str, ts: int) -> bytes:
    """The start of an event packet's payload object with ``ts`` (``42["event",{"ts":N``),
    the part every spliced personal message shares."""
    name = compact_json(event)
    if name is None:
        raise TypeError(f"message name {event!r} cannot be encoded")
    return b"".join((b"42[", name, b',{"ts":', str(int(ts)).encode()))


def stamped_frames(event: str, ts: int) -> Callable[[bytes, int, int], bytes]:
    """For payloads already encoded as compact JSON objects (``{...}``, without ``ts``),
    each less the bytes from ``start`` to ``end`` (a span inside the braces; none when
    they are equal): a function ``frame(encoded, start, end)`` making the websocket frame that
    :func:`packet_frame` makes of :func:`event_packet` for the payload with ``ts``
    added, spliced in one copy rather than encoded again.

    Builders that cut many payloads from one object (a table's assignment, less each
    member's own card) pass the same object for them: its stamped packet is made once
    and kept while the next payload is the same object (bytes do not change, so the
    same object is the same payload)."""
    head = _stamped_head(event, ts) + b","
    empty_packet = head[:-1] + b"}]"
    empty = _header(0x81, len(empty_packet)) + empty_packet
    # An offset in the object -> the same byte's in its stamped packet (after the head,
    # without the object's opening brace).
    shift = len(head) - 1
    kept: bytes | None = None
    stamped = memoryview(b"")
    size = 0  # of the stamped packet
    inside = 0  # how many bytes are between the kept object's braces

    def frame(encoded: bytes, start: int, end: int) -> bytes:
        nonlocal kept, stamped, size, inside
        if encoded is not kept:
            packet = b"".join((head, memoryview(encoded)[1:], b"]"))
            kept, stamped, size, inside = encoded, memoryview(packet), len(packet), len(encoded) - 2
        cut = end - start
        if cut >= inside:  # {}: no comma after ts
            return empty
        n = size - cut
        header = _MEDIUM(0x81, 126, n) if 125 < n < 65536 else _header(0x81, n)
        return b"".join((header, stamped[: start + shift], stamped[end + shift :]))

    return frame


def merged_frames(event: str, ts: int) -> Callable[[bytes, bytes], bytes]:
    """For payloads already encoded as two compact JSON objects whose members together
    make them (``shared``, the same object for many payloads, and the reader's
    ``own``; no key in both): a function ``frame(shared, own)`` making the websocket
    frame that :func:`packet_frame` makes of :func:`event_packet` for the payload with
    ``ts`` added, with the shared part stamped once while it stays the same object."""
    head = _stamped_head(event, ts)
    kept: bytes | None = None
    start = head + b","  # the packet up to the reader's own members: head, shared ones
    base = len(start)  # with the "]" that closes the packet, less the own part's "{"

    def frame(shared: bytes, own: bytes) -> bytes:
        nonlocal kept, start, base
        if shared is not kept:
            kept = shared
            start = head + b"," + shared[1:-1] + b"," if len(shared) > 2 else head + b","
            base = len(start)
        n = base + len(own)
        if len(own) <= 2:  # {}: nothing of their own
            packet = start[:-1] + b"}]"
            return _header(0x81, len(packet)) + packet
        if 125 < n < 65536:  # the usual size: no branching in _header
            return b"".join((_MEDIUM(0x81, 126, n), start, own[1:], b"]"))
        return b"".join((_header(0x81, n), start, own[1:], b"]"))

    return frame


def frame_packet(frame: bytes) -> bytes:
    """The Socket.IO packet in a frame of :func:`packet_frame` (for clients that are
    not on a websocket)."""
    length = frame[1] & 0x7F
    start = 2 if length < 126 else 4 if length == 126 else 10
    return frame[start + 1 :]


def packet_frame(packet: bytes) -> bytes:
    """The websocket frame of an engine.io MESSAGE carrying an encoded Socket.IO packet
    (one copy of the packet: a personal message is framed once per recipient)."""
    return b"".join((_header(0x81, len(packet) + 1), b"4", packet))


def binary_frame(payload: bytes) -> bytes:
    """A complete websocket binary frame."""
    return _frame(0x82, payload)


def close_frame(code: int, reason: str) -> bytes:
    """A complete websocket close frame with a status code and a short ASCII reason
    (cut to 123 bytes, the most a control frame carries with its code)."""
    return _frame(0x88, code.to_bytes(2, "big") + reason.encode("ascii")[:123])
