"""What crosses Redis is msgpack: stored records and the Socket.IO pub/sub queue."""

from __future__ import annotations

import asyncio
import json

import msgpack
import pytest
import redis.asyncio as aioredis

from plenary.codec import MsgpackAsJson, pack, unpack
from plenary.realtime.wire.redis_manager import CHANNEL
from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import create_event, running_server

pytestmark = pytest.mark.redis


def test_codec_round_trip() -> None:
    value = {"a": [1, 2.5, None, True], "ü": b"\x00\xff", "n": -(2**40)}
    assert unpack(pack(value)) == value
    assert MsgpackAsJson.loads(MsgpackAsJson.dumps(value)) == value


async def test_pubsub_messages_are_msgpack(redis_proc: RedisProcess) -> None:
    redis_proc.flush()
    listener = aioredis.Redis.from_url(redis_proc.url)
    pubsub = listener.pubsub()
    await pubsub.psubscribe(CHANNEL + "*")
    async with running_server(redis_proc.url) as server:
        event = await create_event(server.url)
        presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
        await presenter.call("poll:create", {"question": "Wire?", "kind": "rating"})
        emitted = None
        for _ in range(50):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message and message["type"] == "pmessage":
                data = message["data"]
                with pytest.raises((UnicodeDecodeError, json.JSONDecodeError)):
                    json.loads(data)
                decoded = msgpack.unpackb(data)
                if decoded.get("event") == "poll:created":
                    emitted = decoded
                    assert message["channel"] == f"{CHANNEL}:{event['code']}".encode()
                    break
        assert emitted is not None
        assert emitted["data"][0]["poll"]["question"] == "Wire?"
        await presenter.disconnect()
    await pubsub.aclose()
    await listener.aclose()
    # Stored state is msgpack too: the event record decodes as msgpack.
    raw = aioredis.Redis.from_url(redis_proc.url)
    record = await raw.hget(f"pl:{{{event['code']}}}:event", "rec")
    assert msgpack.unpackb(record)[1] == "Test event"
    await raw.aclose()
    await asyncio.sleep(0)


def test_pack_is_msgpack_s_and_survives_a_value_it_cannot_pack() -> None:
    """codec.pack reuses one packer: the same bytes as msgpack.packb, and a value it
    refuses midway (after part of a list was written) leaves nothing behind."""
    import msgpack
    import pytest

    from plenary import codec

    value = ["b", ["b"], "v1-2-3", 1795675082123, {"x": b"\x00", "y": None, "z": 1.5}]
    assert codec.pack(value) == msgpack.packb(value, use_bin_type=True)
    with pytest.raises(TypeError):
        codec.pack(["written first", object()])
    assert codec.pack(value) == msgpack.packb(value, use_bin_type=True)
    assert codec.unpack(codec.pack(value)) == value
