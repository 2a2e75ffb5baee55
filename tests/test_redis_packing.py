"""Commands packed by hiredis (store/packing.py) are byte for byte what redis-py packs,
and what hiredis cannot pack is left to redis-py (which refuses what Redis cannot take).
The store suite in test_store.py runs every command through it against a real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError

from plenary.store.packing import HiredisPacking, with_hiredis_packing

FastConnection = with_hiredis_packing(Connection)

COMMANDS: list[tuple[Any, ...]] = [
    ("PING",),
    ("HSET", "pl:{ABC}:event", "current", "p_1"),
    ("EVALSHA", "a" * 40, 2, "k1", b"k2", "attendee", b"\x00\xff\x1f", 0, -7, 12345678901234567890),
    ("HSET", "k", "naïve ☕ text", 1.5),
    ("SET", "k", 0.1, "PX", 250),
    ("SET", "k", ""),
    ("SCRIPT LOAD", "return 1"),
    (b"CLIENT SETNAME", b"plenary"),
]


def joined(chunks: list[bytes]) -> bytes:
    return b"".join(bytes(c) for c in chunks)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_hiredis_packs_what_redis_py_packs(command: tuple[Any, ...]) -> None:
    ours = FastConnection().pack_command(*command)
    theirs = Connection().pack_command(*command)
    assert joined(ours) == joined(theirs)
    assert len(ours) == 1  # one buffer: one write


def test_a_pipeline_packs_the_same_bytes() -> None:
    assert joined(FastConnection().pack_commands(COMMANDS)) == joined(
        Connection().pack_commands(COMMANDS)
    )


@pytest.mark.parametrize("bad", [True, None, {"a": 1}])
def test_what_redis_cannot_take_is_refused_as_redis_py_refuses_it(bad: Any) -> None:
    with pytest.raises(DataError):
        FastConnection().pack_command("SET", "k", bad)


def test_a_memoryview_is_packed_by_redis_py() -> None:
    value = memoryview(b"x" * 10)
    assert joined(FastConnection().pack_command("SET", "k", value)) == joined(
        Connection().pack_command("SET", "k", value)
    )


@pytest.mark.parametrize("cls", [Connection, SSLConnection, UnixDomainSocketConnection])
def test_every_kind_of_connection_keeps_its_class(cls: type[Any]) -> None:
    fast = with_hiredis_packing(cls)
    assert issubclass(fast, cls) and issubclass(fast, HiredisPacking)
    assert with_hiredis_packing(fast) is fast
