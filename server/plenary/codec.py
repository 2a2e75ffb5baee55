"""The one place that turns Python values into bytes for Redis, and back.

Everything that crosses Redis (stored records and Socket.IO pub/sub messages) is
msgpack: compact, fast, and -- unlike pickle -- it cannot run code when decoded.
"""

from __future__ import annotations

import threading
from typing import Any

import msgpack

#: A packer per thread, reused for every call (``msgpack.packb`` builds one per call,
#: which cost more than packing a vote): with ``autoreset`` a packer keeps nothing
#: between calls, and no default hook is used, so packing never re-enters.
_local = threading.local()


def pack(value: Any) -> bytes:
    """Encode a value made of dicts, lists, str, bytes, int, float, bool and None."""
    packer = getattr(_local, "packer", None)
    if packer is None:
        packer = _local.packer = msgpack.Packer(use_bin_type=True)
    try:
        return packer.pack(value)
    except Exception:
        # A failed pack can leave the buffer half written: the next call starts afresh.
        packer.reset()
        raise


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
