"""Redis commands packed into the wire protocol by hiredis, in C.

redis-py's asyncio connection packs every command in Python (``pack_command``: an
encoder call, a length and two joins per argument). A vote is one ``EVALSHA`` with some
fifteen arguments, so in a burst of votes the packing was a tenth of a scaled-mode
worker's CPU, more than the vote's own logic. ``hiredis.pack_command`` (hiredis-py 2.1
and later, already the reply parser here) produces the same bytes.

Only the packing changes: connecting, authentication, TLS, retries and reply parsing are
redis-py's. A command with an argument hiredis does not take (``bool``, ``None``, a
``memoryview``, ...) is packed by redis-py, which raises its usual ``DataError`` for
what Redis cannot be sent.
"""

from __future__ import annotations

from typing import Any

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover - hiredis is a dependency; older ones lack it
    _hiredis_pack = None  # type: ignore[assignment]

#: Argument types hiredis packs exactly as redis-py does (bool, an int, is not one).
_PACKABLE = frozenset({bytes, str, int, float})


class HiredisPacking:
    """Mixin for a ``redis.asyncio`` connection class: ``pack_command`` in C."""

    def pack_command(self, *args: Any) -> list[bytes]:
        if _hiredis_pack is not None and _PACKABLE.issuperset(map(type, args)):
            first = args[0]
            # redis-py sends a command name with a space ("SCRIPT LOAD") as two words.
            if (type(first) is str and " " in first) or (type(first) is bytes and b" " in first):
                args = (*first.split(), *args[1:])
            return [_hiredis_pack(args)]
        return super().pack_command(*args)  # type: ignore[misc, no-any-return]


def with_hiredis_packing(connection_class: type[Any]) -> type[Any]:
    """``connection_class`` (redis-py's TCP, TLS or unix socket connection, as
    ``ConnectionPool.from_url`` chose it for the URL) packing commands in C."""
    if _hiredis_pack is None or issubclass(connection_class, HiredisPacking):
        return connection_class
    return type(
        f"HiredisPacking{connection_class.__name__}", (HiredisPacking, connection_class), {}
    )
