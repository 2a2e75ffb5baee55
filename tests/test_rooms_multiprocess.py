"""Rooms in scaled mode: two `plenary serve` processes on one real Redis. A room's
broadcasts cross processes to that room's people only, moves between rooms work on
either process, presence adds up per room, and a process listens to the channels of
rooms its clients are in, and no others."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from plenary.realtime.wire.redis_manager import event_channel
from plenary.scopes import scope
from tests.support import clients
from tests.support.clients import Client
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess, create_event_sync
from tests.test_polls_live import create_open
from tests.test_rooms_live import add_room_at

pytestmark = pytest.mark.redis


async def test_rooms_across_two_processes(
    two_servers: tuple[ServerProcess, ServerProcess], redis_proc: RedisProcess
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code = event["code"]
    room = (await add_room_at(one.url, event, "Breakout"))["room"]["id"]
    raw = aioredis.Redis.from_url(redis_proc.url)

    async def subscribers(where: str) -> int:
        channel = event_channel(where)
        return int(dict(await raw.pubsub_numsub(channel))[channel.encode()])

    async def settle(where: str, count: int) -> None:
        for _ in range(100):
            if await subscribers(where) == count:
                return
            await asyncio.sleep(0.05)
        assert await subscribers(where) == count

    host = await clients.presenter(one.url, code, event["presenter_key"])
    room_host = await clients.presenter(two.url, code, event["presenter_key"], room=room)
    # The main room on both processes; the breakout on process two only, so far.
    main_one = [await clients.attendee(one.url, code, f"M1-{i}") for i in range(3)]
    main_two = [await clients.attendee(two.url, code, f"M2-{i}") for i in range(3)]
    room_two = [await clients.attendee(two.url, code, f"B2-{i}", room=room) for i in range(3)]
    breakout = scope(code, room)
    assert await subscribers(code) == 2
    assert await subscribers(breakout) == 1  # process one has nobody there

    # An attendee of process one moves into the breakout: process one now listens too.
    mover = main_one.pop()
    moved = await mover.call("room:enter", {"room": room})
    assert moved["ok"] and moved["state"]["room"]["id"] == room
    room_one = [mover]
    await settle(breakout, 2)

    main_poll = await create_open(host, question="Main", kind="single", options=["x", "y"])
    room_poll = await create_open(room_host, question="Room", kind="single", options=["x", "y"])
    main_people, room_people = [*main_one, *main_two], [*room_one, *room_two]
    for a in room_people:
        await a.wait_for("poll:opened", lambda m: m["poll"]["id"] == room_poll)
    acks = await asyncio.gather(
        *(a.vote(main_poll, "a") for a in main_people),
        *(a.vote(room_poll, "b") for a in room_people),
    )
    assert all(ack["ok"] for ack in acks), acks
    main_final = await host.call("poll:close", {"poll_id": main_poll})
    room_final = await room_host.call("poll:close", {"poll_id": room_poll})
    assert main_final["results"]["counts"] == {"a": 5, "b": 0}
    assert room_final["results"]["counts"] == {"a": 0, "b": 4}
    for a in room_people:
        await a.wait_for("poll:closed", lambda m: m["poll_id"] == room_poll)
    for a in main_people:
        await a.wait_for("poll:closed", lambda m: m["poll_id"] == main_poll)

    def polls_seen(client: Client) -> set[str]:
        return {m["poll"]["id"] for m in client.received["poll:opened"]} | {
            m["poll_id"] for m in client.received["poll:closed"]
        }

    assert all(polls_seen(a) == {main_poll} for a in main_people)
    assert all(polls_seen(a) == {room_poll} for a in room_people)

    # Presence per room, summed over both processes, for the main room's presenter.
    await host.wait_for(
        "presence", lambda m: m["rooms_online"] == {"main": 5, room: 4} and m["joined"] == 9
    )
    await room_host.wait_for("presence", lambda m: m["online"] == 4)

    # Everyone back to the main room: process one stops listening to the breakout
    # once it has nobody left there (process two keeps its presenter there).
    for a in room_people:
        assert (await a.call("room:enter", {"room": "main"}))["ok"]
    await settle(breakout, 1)
    plenary = await create_open(host, question="All", kind="single", options=["x", "y"])
    everyone = [*main_people, *room_people]
    acks = await asyncio.gather(*(a.vote(plenary, "a") for a in everyone))
    assert all(ack["ok"] for ack in acks)
    final = await host.call("poll:close", {"poll_id": plenary})
    assert final["results"]["counts"] == {"a": 9, "b": 0}

    # Closing the room on process one reaches its presenter on process two.
    assert (await host.call("room:close", {"room": room}))["ok"]
    notice = await room_host.wait_for("room:closed")
    assert notice["room"]["id"] == room
    for c in [host, room_host, *everyone]:
        await c.disconnect()
    await raw.aclose()
