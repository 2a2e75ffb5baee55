"""The one place that turns Python values into bytes for Redis, and back.

Everything that crosses Redis (stored records and Socket.IO pub/sub messages) is
msgpack: compact, fast, and -- unlike pickle -- it cannot run code when decoded.
"""

from __future__ import annotations

from typing import Any

import msgpack


def pack(value: Any) -> bytes:
    """Encode a value made of dicts, lists, str, bytes, int, float, bool and None."""
    return msgpack.packb(value, use_bin_type=True)


def unpack(data: bytes) -> Any:
    """Decode bytes produced by :func:`pack`."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class MsgpackAsJson:
    """Adapter with the ``dumps``/``loads`` pair that python-socketio's pub/sub managers
    expect from a JSON module, so the cross-process queue speaks msgpack."""

    @staticmethod
    def dumps(value: Any, **_: Any) -> bytes:
        return pack(value)

    @staticmethod
    def loads(data: bytes | str, **_: Any) -> Any:
        if isinstance(data, str):
            data = data.encode()
        return unpack(data)
