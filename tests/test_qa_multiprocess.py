"""Q&A and reactions in scaled mode: two `plenary serve` processes on one real Redis.
Questions and upvotes from both add up exactly, the coalesced streams reach everyone
on either process, and taps on both processes are shown once each, in one message per
window at most."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support import clients
from tests.support.clients import Client
from tests.support.server import ServerProcess, create_event_sync
from tests.test_qa_live import asked, qa_state, upvote

pytestmark = pytest.mark.redis


async def test_qa_and_reactions_across_two_processes(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code = event["code"]
    host = await clients.presenter(one.url, code, event["presenter_key"])
    screen = await clients.screen(two.url, code)
    left = [await clients.attendee(one.url, code, f"L{i}") for i in range(4)]
    right = [await clients.attendee(two.url, code, f"R{i}") for i in range(4)]
    everyone = [*left, *right]

    secret = await asked(right[0], "Asked anonymously on two?", anonymous=True)
    named = await asked(left[0], "Asked on one?")
    # Every attendee upvotes `named`; the odd ones `secret` too; two change their mind.
    acks = await asyncio.gather(
        *(upvote(a, named) for a in everyone),
        *(upvote(a, secret) for a in everyone[1::2]),
    )
    assert all(a["ok"] for a in acks), acks
    assert (await upvote(left[1], secret, up=False))["ok"]
    assert (await upvote(right[1], named, up=False))["ok"]
    expected = [(named, 7), (secret, 3)]
    for client in (host, screen, *everyone):
        assert [(q["id"], q["votes"]) for q in (await qa_state(client))["questions"]] == expected
    final_votes = {named: 7, secret: 3}
    for client in (host, screen, left[2], right[2]):
        await client.wait_for("qa:votes", lambda m: m["votes"] == final_votes)
        await client.wait_for("qa:questions", lambda m: secret in {q["id"] for q in m["questions"]})
    # Nobody but the author learns who asked anonymously, on either process.
    author = right[0].welcome["attendee"]["id"]
    for client in (host, screen, *left, *right[1:]):
        frames = json.dumps(client.received, ensure_ascii=False)
        assert author not in frames and '"R0"' not in frames

    # Moderation on process one reaches the screen on process two.
    assert (await host.call("qa:highlight", {"question_id": secret}))["ok"]
    shown = await screen.wait_for("qa:highlight", lambda m: m["question"] is not None)
    assert shown["question"]["id"] == secret and shown["question"]["author"] is None

    # Taps on both processes: each shown exactly once, one message per window at most.
    loop = asyncio.get_running_loop()
    start = loop.time()
    taps = await asyncio.gather(
        *(a.call("reaction", {"emoji": "👏"}) for a in everyone for _ in range(5))
    )
    assert all(t["ok"] and t["counted"] for t in taps)

    def total(client: Client) -> int:
        return sum(sum(m["counts"].values()) for m in client.received["reactions"])

    for client in (host, screen):
        for _ in range(100):
            if total(client) >= 40:
                break
            await asyncio.sleep(0.05)
        assert total(client) == 40
    window_ms = host.welcome["reactions"]["window_ms"]
    elapsed_ms = (loop.time() - start) * 1000
    assert len(host.received["reactions"]) <= elapsed_ms / window_ms + 1
    for client in (host, screen, *everyone):
        await client.disconnect()
