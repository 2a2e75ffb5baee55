"""The bytes on the wire: Socket.IO packets encoded in one pass of orjson, and complete
websocket frames (RFC 6455, server to client) built once and written as they are, to one
client or to many (see :mod:`plenary.realtime.wire.manager`)."""

from __future__ import annotations

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
        return bytes((first_byte, n))
    if n < 65536:
        return bytes((first_byte, 126)) + n.to_bytes(2, "big")
    return bytes((first_byte, 127)) + n.to_bytes(8, "big")


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
