"""Scaled mode: two `plenary serve` processes sharing one real Redis, attendees on each."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess, create_event_sync

pytestmark = pytest.mark.redis


async def test_poll_across_two_processes(two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code = event["code"]
    presenter = await clients.presenter(one.url, code, event["presenter_key"])
    screen = await clients.screen(two.url, code)
    on_one = await asyncio.gather(*(clients.attendee(one.url, code, f"One{i}") for i in range(15)))
    on_two = await asyncio.gather(*(clients.attendee(two.url, code, f"Two{i}") for i in range(15)))
    everyone = [*on_one, *on_two]

    created = await presenter.call(
        "poll:create", {"question": "Across", "kind": "single", "options": ["x", "y", "z"]}
    )
    poll_id = created["poll"]["id"]
    # The screen on the other process hears about the new poll too.
    await screen.wait_for("poll:created", lambda m: m["poll"]["id"] == poll_id)
    # Live results on the big screen before the reveal: the poll's screen switch.
    assert (await presenter.call("poll:screen", {"poll_id": poll_id, "live": True}))["ok"]
    assert (await presenter.call("poll:open", {"poll_id": poll_id}))["ok"]
    for attendee in everyone:
        await attendee.wait_for("poll:opened", lambda m: m["poll"]["id"] == poll_id)

    choices = ["a", "b", "c"]
    acks = await asyncio.gather(*(a.vote(poll_id, choices[i % 3]) for i, a in enumerate(everyone)))
    assert all(ack["ok"] for ack in acks)
    # Some change their mind, and some retry an acked vote: still one answer each.
    changed = await asyncio.gather(
        *(a.vote(poll_id, "a", vote_id=f"late-{i}") for i, a in enumerate(on_two[:5]))
    )
    retried = await asyncio.gather(
        *(a.vote(poll_id, "a", vote_id=f"late-{i}") for i, a in enumerate(on_two[:5]))
    )
    assert all(ack["ok"] for ack in changed) and all(ack["duplicate"] for ack in retried)

    expected = Counter(choices[i % 3] for i in range(30))
    for i in range(5):
        expected[choices[(15 + i) % 3]] -= 1
        expected["a"] += 1
    live = await screen.wait_for("poll:results", lambda m: m["seq"] == 35, timeout=15)
    assert live["counts"] == dict(expected) and live["total"] == 30

    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == dict(expected)
    assert closed["results"]["total"] == 30
    final_on_two = await screen.wait_for("poll:results", lambda m: m["final"])
    assert final_on_two["counts"] == dict(expected)
    for attendee in everyone:
        await attendee.wait_for("poll:closed", lambda m: m["poll_id"] == poll_id)

    # An attendee of process one resumes on process two as the same person.
    token = on_one[0].welcome["token"]
    attendee_id = on_one[0].welcome["attendee"]["id"]
    await on_one[0].disconnect()
    moved = await clients.attendee(two.url, code, token=token)
    assert moved.welcome["attendee"]["id"] == attendee_id
    assert moved.welcome["activity"]["poll"]["my_answer"] == "a"

    await presenter.wait_for("presence", lambda m: m["joined"] == 30 and m["online"] == 30)
    for c in [presenter, screen, moved, *on_one[1:], *on_two]:
        await c.disconnect()


async def test_a_process_listens_only_to_events_it_has_clients_of(
    two_servers: tuple[ServerProcess, ServerProcess], redis_proc: RedisProcess
) -> None:
    import redis.asyncio as aioredis

    from plenary.realtime.wire.redis_manager import event_channel

    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    channel = event_channel(event["code"])
    raw = aioredis.Redis.from_url(redis_proc.url)

    async def subscribers() -> int:
        return int(dict(await raw.pubsub_numsub(channel))[channel.encode()])

    assert await subscribers() == 0
    ada = await clients.attendee(one.url, event["code"], "Ada")
    bob = await clients.attendee(one.url, event["code"], "Bob")
    assert await subscribers() == 1  # only process one follows the event
    cy = await clients.attendee(two.url, event["code"], "Cy")
    assert await subscribers() == 2
    presenter = await clients.presenter(one.url, event["code"], event["presenter_key"])
    created = await presenter.call("poll:create", {"question": "Q", "kind": "rating"})
    await presenter.call("poll:open", {"poll_id": created["poll"]["id"]})
    await cy.wait_for("poll:opened")  # reached process two through the event's channel
    await cy.disconnect()
    for _ in range(50):
        if await subscribers() == 1:
            break
        await asyncio.sleep(0.05)
    assert await subscribers() == 1  # process two let go of the event
    for c in (ada, bob, presenter):
        await c.disconnect()
    await raw.aclose()
