"""A table's harvests, live to its members (``cafe:table_harvests``): the real server
and real Socket.IO clients on both backends (memory and a real Redis), and two `plenary
serve` processes sharing one Redis. Each change reaches exactly the table's members,
with the table's exact list; nobody at another table gets anything; a burst at one
table is coalesced into one message per window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from plenary.activities.cafe.limits import CafeLimits
from plenary.settings import Limits
from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer, ServerProcess, create_event_sync, running_server
from tests.test_cafe_live import (
    LIMITS,
    event,
    join_all,
    listen,
    me,
    people,
    presenter_of,
    server,
    started_cafe,
    two_servers,
)

__all__ = ["event", "server", "two_servers"]  # the fixtures these tests share

LIVE = "cafe:table_harvests"


def texts(message: dict[str, Any]) -> list[str]:
    return [h["text"] for h in message["harvests"]]


def in_list_order(*harvests: dict[str, Any]) -> list[dict[str, Any]]:
    """``harvests`` in the order a table's list has them: oldest first, then by author
    and id (here, writes a test makes one after the other often share a millisecond)."""
    return sorted(harvests, key=lambda h: (h["created_at"], h["author"], h["harvest_id"]))


def texts_of(harvests: list[dict[str, Any]]) -> list[str]:
    return [h["text"] for h in harvests]


async def write(who: Client, cafe_id: str, harvest_id: str, text: str) -> dict[str, Any]:
    payload = {"cafe_id": cafe_id, "harvest_id": harvest_id, "text": text}
    ack = await who.call("cafe:harvest", payload)
    assert ack["ok"], ack
    return dict(ack["harvest"])


async def remove(who: Client, cafe_id: str, harvest_id: str) -> None:
    ack = await who.call("cafe:harvest_remove", {"cafe_id": cafe_id, "harvest_id": harvest_id})
    assert ack["ok"] and "duplicate" not in ack, ack


async def newest(client: Client, want: list[str]) -> dict[str, Any]:
    """The first message whose list is ``want`` (the texts, in order)."""
    return await client.wait_for(LIVE, lambda m: texts(m) == want)


async def seated(
    presenter: Client, cafe_id: str, attendees: list[Client]
) -> tuple[dict[str, Any], dict[str, int]]:
    await join_all(cafe_id, attendees)
    ack = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    assert ack["ok"], ack
    return ack, {m: t["table"] for t in ack["tables"] for m in t["members"]}


async def test_tablemates_see_each_add_edit_and_removal_and_other_tables_nothing(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await presenter_of(server, event)
    attendees = await people(server.url, code, 6)
    cafe_id = await started_cafe(presenter, tables=2)
    _, table_of = await seated(presenter, cafe_id, attendees)
    ada = attendees[0]
    mates = [a for a in attendees[1:] if table_of[me(a)] == table_of[me(ada)]]
    others = [a for a in attendees if table_of[me(a)] != table_of[me(ada)]]
    assert (len(mates), len(others)) == (2, 3)
    bob = mates[0]

    ack = await ada.call(
        "cafe:harvest", {"cafe_id": cafe_id, "harvest_id": "h1", "text": "Share the cars"}
    )
    added = ack["harvest"]
    for member in (ada, *mates):
        got = await newest(member, ["Share the cars"])
        assert got["harvests"] == [added]
        assert (got["cafe_id"], got["round"], got["table"]) == (cafe_id, 1, table_of[me(ada)])
        # The ack's version orders the author's own change among these messages.
        assert got["version"] >= ack["version"] and isinstance(got["ts"], int)
    bobs = await write(bob, cafe_id, "b1", "Car-free Sundays")
    edited = await write(ada, cafe_id, "h1", "Share the bikes")
    both = in_list_order(edited, bobs)
    for member in (ada, *mates):
        got = await newest(member, texts_of(both))
        assert got["harvests"] == both
    await remove(ada, cafe_id, "h1")
    for member in (ada, *mates):
        got = await newest(member, ["Car-free Sundays"])
        assert got["harvests"] == [bobs]
    # Versions only grow, and the last message each member got is the exact list.
    for member in (ada, *mates):
        versions = [m["version"] for m in member.received[LIVE]]
        assert versions == sorted(versions)
        assert member.received[LIVE][-1]["harvests"] == [bobs]

    # Another table's change reaches that table only; by then ada's table's messages have
    # long reached everyone, and none reached the other table.
    elsewhere = await write(others[0], cafe_id, "o1", "Elsewhere")
    for member in others:
        got = await newest(member, ["Elsewhere"])
        assert got["harvests"] == [elsewhere]
        assert [m["table"] for m in member.received[LIVE]] == [table_of[me(others[0])]]
    listed = await bob.call("cafe:harvests", {"cafe_id": cafe_id})
    assert listed["harvests"] == [bobs]
    assert all(m["table"] == table_of[me(ada)] for a in (ada, *mates) for m in a.received[LIVE])

    for c in (presenter, *attendees):
        await c.disconnect()


@pytest.fixture
async def slow_server(redis_url: str | None) -> AsyncIterator[RunningServer]:
    """Updates of a table at most every 2 s: a burst falls well inside one window."""
    limits = replace(LIMITS, cafe_harvest_update_ms=2000)
    async with running_server(
        redis_url, Limits(events_burst=200), kind_limits={CafeLimits: limits}
    ) as running:
        yield running


async def test_a_burst_at_one_table_is_one_message_per_window(
    slow_server: RunningServer,
) -> None:
    event = await asyncio.to_thread(create_event_sync, slow_server.url)
    presenter = await presenter_of(slow_server, event)
    attendees = await people(slow_server.url, event["code"], 2)
    ada, bob = attendees
    cafe_id = await started_cafe(presenter, tables=1)
    await seated(presenter, cafe_id, attendees)

    # The first change goes out at once; the window then starts.
    await write(ada, cafe_id, "a1", "One")
    first = await newest(bob, ["One"])
    # A burst from both while the window runs: four changes, one message, the exact end.
    one, _, three = await asyncio.gather(
        write(ada, cafe_id, "a1", "One, edited"),
        write(ada, cafe_id, "a2", "Two"),
        write(bob, cafe_id, "b1", "Three"),
    )
    await remove(ada, cafe_id, "a2")
    last = await newest(bob, texts_of(in_list_order(one, three)))
    # A retry and a refused change send nothing.
    retry = {"cafe_id": cafe_id, "harvest_id": "b1", "text": "Three"}
    assert (await bob.call("cafe:harvest", retry))["duplicate"] is True
    gone = {"cafe_id": cafe_id, "harvest_id": "a2"}
    assert (await ada.call("cafe:harvest_remove", gone))["duplicate"] is True
    empty = {"cafe_id": cafe_id, "harvest_id": "a3", "text": " "}
    assert (await ada.call("cafe:harvest", empty))["error"]["code"] == "bad_request"
    # A change after the burst: the next message (none came between).
    four = await write(bob, cafe_id, "b2", "Four")
    end = texts_of(in_list_order(one, three, four))
    after = await newest(bob, end)
    assert bob.received[LIVE] == [first, last, after]
    assert texts(ada.received[LIVE][-1]) == end
    assert len(ada.received[LIVE]) == 3
    for c in (presenter, *attendees):
        await c.disconnect()


@pytest.mark.redis
async def test_two_processes_each_tablemate_gets_the_list_from_their_own_process(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code = event["code"]
    presenter = await clients.presenter(one.url, code, event["presenter_key"])
    listen(presenter)
    on_one = await people(one.url, code, 4, prefix="One")
    on_two = await people(two.url, code, 4, prefix="Two")
    everyone = [*on_one, *on_two]
    cafe_id = await started_cafe(presenter, tables=3)
    ack, table_of = await seated(presenter, cafe_id, everyone)
    # 8 people at tables of 3, 3 and 2: no split of 4 and 4 keeps every table on one
    # process, so some table has people on both.
    table = next(
        t["table"]
        for t in ack["tables"]
        if {table_of[me(a)] for a in on_one} & {table_of[me(a)] for a in on_two} >= {t["table"]}
    )
    a = next(p for p in on_one if table_of[me(p)] == table)
    b = next(p for p in on_two if table_of[me(p)] == table)
    members = [p for p in everyone if table_of[me(p)] == table]
    outsiders = [p for p in everyone if table_of[me(p)] != table]

    added = await write(a, cafe_id, "h1", "From process one")
    assert (await newest(b, ["From process one"]))["harvests"] == [added]
    edited = await write(a, cafe_id, "h1", "Edited on one")
    assert (await newest(b, ["Edited on one"]))["harvests"] == [edited]
    bs = await write(b, cafe_id, "b1", "From process two")
    both = in_list_order(edited, bs)
    assert (await newest(a, texts_of(both)))["harvests"] == both
    await remove(a, cafe_id, "h1")
    for member in members:
        assert (await newest(member, ["From process two"]))["harvests"] == [bs]
    # A change at an outsider's table, on the other process, reaches them: nothing of
    # the first table's came before it.
    for outsider in outsiders:
        mine = await write(outsider, cafe_id, f"o-{me(outsider)}", "Elsewhere")
        got = await outsider.wait_for(LIVE, lambda m, h=mine: h in m["harvests"])
        assert got["table"] == table_of[me(outsider)]
    for outsider in outsiders:
        assert {m["table"] for m in outsider.received[LIVE]} == {table_of[me(outsider)]}
    for c in (presenter, *everyone):
        await c.disconnect()
