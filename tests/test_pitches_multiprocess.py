"""Pitch sessions in scaled mode: two `plenary serve` processes on one real Redis.
Attendees on both processes rate pitches and change their ratings; a presenter on one
process sees exactly the averages and counts the acked ratings imply, live and in its
view, and so does the export (of the other process)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.support import clients
from tests.support.clients import Client
from tests.support.server import ServerProcess, create_event_sync
from tests.test_http_api import request
from tests.test_pitches_live import PITCHES

pytestmark = pytest.mark.redis


async def rate(client: Client, session_id: str, pitch: str, stars: int) -> dict[str, Any]:
    payload = {"session_id": session_id, "pitch_id": pitch, "vote_id": uuid.uuid4().hex}
    ack = await client.call("pitch:rate", {**payload, "stars": stars})
    assert ack["ok"] and ack["ratings"] == stars, ack
    return ack


def summary(ratings: dict[str, int]) -> dict[str, Any]:
    """What the server must say of one pitch's final ratings (one per attendee)."""
    stars = {str(n): sum(1 for r in ratings.values() if r == n) for n in range(1, 6)}
    count = len(ratings)
    average = round(sum(ratings.values()) / count, 2) if count else None
    return {"count": count, "average": average, "stars": stars}


async def test_ratings_from_two_processes_add_up_exactly(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code = event["code"]
    host = await clients.presenter(one.url, code, event["presenter_key"])
    left = [await clients.attendee(one.url, code, f"L{i}") for i in range(4)]
    right = [await clients.attendee(two.url, code, f"R{i}") for i in range(4)]
    everyone = [*left, *right]
    created = await host.call("pitch:create", {"title": "Night", "pitches": PITCHES})
    sid = created["session"]["id"]
    assert (await host.call("pitch:open", {"session_id": sid}))["ok"]
    assert (await host.call("pitch:now", {"session_id": sid, "pitch_id": "p1"}))["ok"]
    for attendee in right:  # pushed across processes
        await attendee.wait_for("pitch:now", lambda m: m["session"]["now"] == "p1")

    # p1: everyone rates at once, from both processes; then one on each changes theirs.
    final: dict[str, dict[int, int]] = {"p1": {}, "p2": {}, "p3": {}}
    first = [(i, 1 + i % 5) for i in range(len(everyone))]
    await asyncio.gather(*(rate(everyone[i], sid, "p1", s) for i, s in first))
    final["p1"] = dict(first)
    await rate(left[0], sid, "p1", 5)
    await rate(right[3], sid, "p1", 2)
    final["p1"][0], final["p1"][7] = 5, 2

    # p2 on now (pushed to the other process); the right side rates it and p1 again.
    assert (await host.call("pitch:now", {"session_id": sid, "pitch_id": "p2"}))["ok"]
    await right[0].wait_for("pitch:now", lambda m: m["session"]["now"] == "p2")
    second = [(4 + i, 4 - i % 2) for i in range(4)]
    await asyncio.gather(*(rate(everyone[i], sid, "p2", s) for i, s in second))
    final["p2"] = dict(second)
    await rate(right[1], sid, "p1", 1)
    await rate(left[1], sid, "p2", 5)
    final["p1"][5] = 1
    final["p2"][1] = 5
    expected = {pid: summary(given) for pid, given in final.items()}
    assert expected["p1"]["count"] == 8 and expected["p2"]["count"] == 5
    assert expected["p3"] == {"count": 0, "average": None, "stars": summary({})["stars"]}

    # The presenter on process one: live (coalesced), then in its view at the close.
    await host.wait_for("pitch:ratings", lambda m: m["ratings"] == expected)
    closed = await host.call("pitch:close", {"session_id": sid})
    assert closed["session"]["ratings"] == expected
    other = await clients.presenter(two.url, code, event["presenter_key"])
    assert (await other.call("pitch:list"))["sessions"][0]["ratings"] == expected

    # The export, from process two: the same counts, averages and histograms.
    status, data, _ = await request(
        "GET", f"{two.url}/api/events/{code}/export", event["presenter_key"]
    )
    assert status == 200, data
    [item] = data["pitch_sessions"]
    assert {f["pitch"]["id"]: f["ratings"] for f in item["pitches_feedback"]} == expected
    for client in (host, other, *everyone):
        await client.disconnect()
