"""Redis restarted mid-event (AOF on): servers keep their websockets, refuse votes with
`unavailable` meanwhile (never a false ok), resubscribe by themselves, push every client
a fresh state, and the final tally is exact."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator

import aiohttp
import pytest

from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess, create_event_sync

pytestmark = pytest.mark.redis


async def health(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as response:
        return response.status


@pytest.fixture
def aof_redis() -> Iterator[RedisProcess]:
    proc = RedisProcess(aof=True).start()
    yield proc
    proc.cleanup()


async def test_redis_restart_mid_vote(aof_redis: RedisProcess) -> None:
    one = ServerProcess(aof_redis.url).start()
    two = ServerProcess(aof_redis.url).start()
    try:
        event = await asyncio.to_thread(create_event_sync, one.url)
        code = event["code"]
        presenter = await clients.presenter(one.url, code, event["presenter_key"], True)
        people = [
            *await asyncio.gather(
                *(clients.attendee(one.url, code, f"One{i}", reconnection=True) for i in range(15))
            ),
            *await asyncio.gather(
                *(clients.attendee(two.url, code, f"Two{i}", reconnection=True) for i in range(15))
            ),
        ]
        created = await presenter.call_until_acked(
            "poll:create", {"question": "Still here?", "kind": "single", "options": ["y", "n"]}
        )
        poll_id = created["poll"]["id"]
        await presenter.call_until_acked("poll:open", {"poll_id": poll_id})
        rng = random.Random(11)
        plan = {i: rng.choice("ab") for i in range(len(people))}
        unavailable_seen = 0

        async def vote(i: int) -> dict:
            nonlocal unavailable_seen
            await asyncio.sleep(rng.random() * 3)
            data = {"poll_id": poll_id, "choice": plan[i], "vote_id": f"v-{i}"}
            while True:  # like the attendee page: retry the same vote_id until stored
                ack = await people[i].call_until_acked("poll:vote", data, deadline_s=60)
                if ack["ok"] or ack["error"]["code"] != "unavailable":
                    return ack
                unavailable_seen += 1
                await asyncio.sleep(0.2)

        voting = asyncio.gather(*(vote(i) for i in range(len(people))))
        await asyncio.sleep(1.0)
        aof_redis.stop()
        down_health = await health(one.url)
        await asyncio.sleep(1.0)
        aof_redis.start()
        acks = await voting
        assert down_health == 503
        assert all(ack["ok"] for ack in acks), acks

        deadline = time.monotonic() + 20
        while await health(two.url) != 200:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        # Every client gets a fresh welcome once its server's pub/sub link is back.
        for person in people:
            first = person.received["welcome"][0]
            resync = await person.wait_for("welcome", lambda m, first=first: m is not first, 20)
            assert resync["activity"]["poll"]["id"] == poll_id
            assert resync["attendee"] == person.received["welcome"][0]["attendee"]
        closed = await presenter.call_until_acked("poll:close", {"poll_id": poll_id})
        assert closed["results"]["counts"] == {k: Counter(plan.values())[k] for k in "ab"}
        assert closed["results"]["total"] == 30
        # Broadcasts flow again on both processes (the listeners resubscribed).
        second = await presenter.call_until_acked(
            "poll:create", {"question": "After", "kind": "rating"}
        )
        await presenter.call_until_acked("poll:open", {"poll_id": second["poll"]["id"]})
        for person in people:
            await person.wait_for(
                "poll:opened", lambda m: m["poll"]["id"] == second["poll"]["id"], 10
            )
        for c in [presenter, *people]:
            await c.disconnect()
    finally:
        one.stop()
        two.stop()
