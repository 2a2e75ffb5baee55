"""The JSON module python-socketio and python-engineio use for packets: orjson when it is
installed (several times faster for both directions), with the standard library as the
judge of everything orjson declines, so that what clients may send and receive stays
what it was with the standard library: lone surrogates (``"\\ud800"``), NaN and
Infinity still decode, and values orjson cannot encode are encoded by the standard
library. (One difference remains: an integer beyond 64 bits in a client's JSON decodes
as a float; every Plenary payload field that takes a number rejects it either way.)

It is a process-wide setting of python-socketio (``AsyncServer(json=...)`` sets it on the
packet classes), so its output must be valid JSON for every Socket.IO client: orjson
writes compact JSON with non-ASCII characters as UTF-8 instead of ``\\u`` escapes, which
any JSON parser reads the same.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps it optional
    orjson = None  # type: ignore[assignment]

_OPTIONS = orjson.OPT_NON_STR_KEYS if orjson is not None else 0


class PacketJson:
    """``dumps``/``loads`` with the standard library's signatures (extra keyword
    arguments such as ``separators`` are accepted; the output is always compact)."""

    available = orjson is not None

    @staticmethod
    def dumps(value: Any, **_: Any) -> str:
        if orjson is not None:
            try:
                return orjson.dumps(value, option=_OPTIONS).decode()
            except TypeError:  # lone surrogates, integers beyond 64 bits, odd types
                pass
        return json.dumps(value, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        if orjson is not None:
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:  # maybe valid for the standard library
                pass
        return json.loads(text)
