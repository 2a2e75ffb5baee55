"""The scaled mode's event channels, against a real redis-server: a process never stays
subscribed to nothing while it admits clients of an event (issue: a restarted worker
went deaf to an event). Each case drives the manager into a situation the fault runs
produced and checks that a message published by another process still arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from plenary.realtime.wire import create_socket_server as create_sio
from plenary.realtime.wire.redis_manager import ChannelNotLive, RedisManager, event_channel
from plenary.settings import Settings
from tests.support.redis_proc import RedisProcess

pytestmark = pytest.mark.redis


class Process:
    """The pub/sub side of one server process: its manager, and what reached it."""

    def __init__(self, url: str) -> None:
        self.sio = create_sio(Settings(redis_url=url))
        self.manager: RedisManager = self.sio.manager
        self.delivered: list[tuple[str, str, Any]] = []
        self.resynced_events: list[str] = []
        self.resynced_all = 0
        self._arrived = asyncio.Event()
        self.manager.on_each = self._on_each
        self.manager.on_resync_event = self._on_resync_event
        self.manager.on_resubscribe = self._on_resubscribe

    async def _on_each(self, code: str, event: str, items: Any) -> int:
        self.delivered.append((code, event, items))
        self._arrived.set()
        return len(items)

    async def _on_resync_event(self, code: str) -> None:
        self.resynced_events.append(code)

    async def _on_resubscribe(self) -> None:
        self.resynced_all += 1

    async def receives(self, sender: Process, code: str, tag: str, timeout: float = 5) -> bool:
        """Whether a batch that ``sender`` publishes for ``code`` reaches this process
        (sent again every 0.2 s, since a subscription may still be on its way)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await sender.manager.publish_each(code, tag, {"a_1": b'2["n",1]'})
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), 0.2)
            except TimeoutError:
                continue
            if any(c == code and e == tag for c, e, _ in self.delivered):
                return True
        return False


@pytest.fixture
async def url(redis_proc: RedisProcess) -> str:
    redis_proc.flush()
    return redis_proc.url


@pytest.fixture
async def pair(url: str) -> AsyncIterator[tuple[Process, Process]]:
    listener, sender = Process(url), Process(url)
    yield listener, sender
    await listener.manager.stop()
    await sender.manager.stop()


async def until(condition: Any, timeout: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_client_that_connects_while_the_link_opens_is_not_deaf(
    pair: tuple[Process, Process],
) -> None:
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    # The listener starts opening its link: it has decided which channels to subscribe
    # to and waits for Redis. A client of a new event connects right then.
    for _ in range(100):
        if manager.pubsub is not None:
            break
        await asyncio.sleep(0)  # one round of the event loop
    assert manager.pubsub is not None and not manager._subscribed
    await manager.follow("K7Q2MX")
    assert event_channel("K7Q2MX") in manager.live_channels()
    assert await listener.receives(sender, "K7Q2MX", "first")


async def test_a_failed_publish_leaves_the_listeners_link_alone(
    pair: tuple[Process, Process],
) -> None:
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    await manager.follow("AAAAAA")
    # A publish that fails once (python-socketio then marks the manager disconnected
    # and its next publish makes a new Redis client and a new, unread pub/sub object).
    manager.connected = False
    await manager._publish({"method": "emit", "event": "x", "data": {}, "room": None})
    await manager.follow("BBBBBB")
    assert await listener.receives(sender, "BBBBBB", "after-publish")
    assert await listener.receives(sender, "AAAAAA", "still")


async def test_an_unsubscribe_that_overtakes_a_subscribe_heals_and_resyncs(
    pair: tuple[Process, Process],
) -> None:
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    await manager.follow("CCCCCC")
    # The last client of the event left and its UNSUBSCRIBE reached Redis after the
    # SUBSCRIBE of a client that came meanwhile: Redis drops the channel while a local
    # client still follows it.
    await manager.pubsub.unsubscribe(event_channel("CCCCCC"))
    await until(lambda: listener.resynced_events == ["CCCCCC"])
    assert event_channel("CCCCCC") in manager.live_channels()
    assert await listener.receives(sender, "CCCCCC", "healed")


async def test_a_dropped_pubsub_connection_is_regained_and_clients_resynced(
    pair: tuple[Process, Process], url: str
) -> None:
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    await manager.follow("DDDDDD")
    admin = aioredis.Redis.from_url(url)
    try:
        killed = await admin.client_kill_filter(_type="pubsub")
        assert killed >= 1
        await until(lambda: listener.resynced_all >= 1, timeout=10)
    finally:
        await admin.aclose()
    assert await listener.receives(sender, "DDDDDD", "after-kill", timeout=10)


async def test_a_client_is_refused_when_redis_does_not_confirm_in_time(
    pair: tuple[Process, Process], url: str
) -> None:
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    await manager.follow("EEEEEE")  # the link is up
    admin = aioredis.Redis.from_url(url)
    try:
        await admin.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        with pytest.raises(ChannelNotLive):
            await manager.follow("FFFFFF")
        assert event_channel("FFFFFF") not in manager.followed_channels()
    finally:
        await admin.execute_command("CLIENT", "UNPAUSE")
        await admin.aclose()
    # Once Redis answers again, the next client of that event is admitted and hears.
    await manager.follow("FFFFFF")
    assert await listener.receives(sender, "FFFFFF", "after-pause")


async def test_room_channels_heal_and_come_back_like_event_channels(
    pair: tuple[Process, Process], url: str
) -> None:
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    main, breakout = "GGGGGG", "GGGGGG/r1a2b3"  # an event's main room and another room
    await manager.follow(main)
    await manager.follow(breakout)
    assert await listener.receives(sender, breakout, "room")
    await manager.pubsub.unsubscribe(event_channel(breakout))
    await until(lambda: listener.resynced_events == [breakout])  # only that room's clients
    assert await listener.receives(sender, breakout, "healed")
    admin = aioredis.Redis.from_url(url)
    try:
        assert await admin.client_kill_filter(_type="pubsub") >= 1
        await until(lambda: listener.resynced_all >= 1, timeout=10)
    finally:
        await admin.aclose()
    assert await listener.receives(sender, breakout, "after-kill", timeout=10)
    assert await listener.receives(sender, main, "main-after-kill", timeout=10)
    # The last client of the room leaves: its channel goes, the main room's stays.
    await manager.unfollow(breakout)
    assert event_channel(breakout) not in manager.followed_channels()
    assert event_channel(main) in manager.live_channels()


async def test_a_process_drops_its_own_personal_batches_without_decoding_them(
    pair: tuple[Process, Process], caplog: pytest.LogCaptureFixture
) -> None:
    """Every process gets its own personal batches back from Redis (a megabyte for a
    round of café tables): they are recognised by their first bytes and dropped as they
    are; another process's are decoded and delivered."""
    listener, sender = pair
    manager = listener.manager
    manager.initialize()
    await manager.follow("OWNBAT")
    raw = aioredis.Redis.from_url(manager.redis_url)
    try:
        # Its own mark, then bytes no decoder takes: dropped, so nothing is logged.
        await raw.publish(event_channel("OWNBAT"), manager._own_mark + b"\xc1 not msgpack")
        assert await listener.receives(sender, "OWNBAT", "from-the-other")
    finally:
        await raw.aclose()
    assert not [r for r in caplog.records if "undecodable" in r.getMessage()]
    assert [e for _, e, _ in listener.delivered] == ["from-the-other"] * len(listener.delivered)
