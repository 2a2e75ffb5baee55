"""Rooms in both store backends: the programme's records, each room's own stage and
answers under its scope, presence per room, and an event's purge taking its rooms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from plenary.scopes import scope
from plenary.settings import Settings
from plenary.store import EventRecord, RecordOutcome, RoomRecord, Store, store_for
from plenary.store.base import CLOSED, DRAFT

CODE = "ABCDEF"
OTHER = "GHJKMN"
CLOSING = {"closed_at": 99}


@pytest.fixture
async def store(redis_url: str | None) -> AsyncIterator[Store]:
    """A store of each backend (``redis_url`` is parametrised) with two events."""
    s = store_for(Settings(redis_url=redis_url))
    await s.start()
    assert await s.create_event(EventRecord(CODE, "Title", "digest", 1))
    assert await s.create_event(EventRecord(OTHER, "Other", "digest", 2))
    yield s
    await s.purge_event(CODE)
    await s.purge_event(OTHER)
    await s.close()


def room(room_id: str, position: int, **fields: object) -> RoomRecord:
    return RoomRecord(room_id, f"Room {room_id}", position, created_at=position, **fields)  # type: ignore[arg-type]


async def test_rooms_are_listed_in_programme_order(store: Store) -> None:
    assert await store.add_room(CODE, room("b2", 2, presenter_key_digest="kd"), 10)
    assert await store.add_room(CODE, room("a1", 1, starts_at=1000, ends_at=2000), 10)
    assert await store.add_room(CODE, room("c3", 2), 10)  # same position: older first
    assert [r.id for r in await store.list_rooms(CODE)] == ["a1", "b2", "c3"]
    got = await store.get_room(CODE, "a1")
    assert got == room("a1", 1, starts_at=1000, ends_at=2000)
    assert (await store.get_room(CODE, "b2")).presenter_key_digest == "kd"  # type: ignore[union-attr]
    assert await store.get_room(CODE, "zz") is None
    assert await store.list_rooms(OTHER) == []

    await store.put_room(CODE, replace(got, title="Renamed", position=9, closed_at=5))  # type: ignore[arg-type]
    rooms = await store.list_rooms(CODE)
    assert [r.id for r in rooms] == ["b2", "c3", "a1"]
    assert (rooms[-1].title, rooms[-1].closed_at) == ("Renamed", 5)


async def test_add_room_refuses_a_taken_id_a_missing_event_and_a_full_programme(
    store: Store,
) -> None:
    assert await store.add_room(CODE, room("a1", 1), 3)
    assert not await store.add_room(CODE, replace(room("a1", 2), title="Again"), 3)
    assert (await store.get_room(CODE, "a1")).title == "Room a1"  # type: ignore[union-attr]
    assert not await store.add_room("ZZZZZZ", room("a1", 1), 3)
    assert await store.list_rooms("ZZZZZZ") == []

    # Many adds at once (in Redis, from one client's concurrent calls) stop at the limit.
    added = await asyncio.gather(*(store.add_room(CODE, room(f"r{i}", i), 3) for i in range(8)))
    assert sum(added) == 2
    assert len(await store.list_rooms(CODE)) == 3


async def test_each_room_has_its_own_stage_and_answers(store: Store) -> None:
    main, breakout = scope(CODE, "main"), scope(CODE, "b2")
    assert main == CODE and breakout == f"{CODE}/b2"
    await store.add_activity(main, "p_1", {"type": "poll"}, DRAFT)
    await store.add_activity(breakout, "p_2", {"type": "poll"}, DRAFT)
    await store.take_stage(main, "p_1", "open", {}, CLOSING)
    await store.take_stage(breakout, "p_2", "open", {}, CLOSING)
    # Both run at once: a room's stage does not close another room's activity.
    assert await store.get_current(main) == "p_1"
    assert await store.get_current(breakout) == "p_2"
    assert (await store.get_activity(main, "p_1")).status == "open"  # type: ignore[union-attr]
    assert [a.id for a in await store.list_activities(breakout)] == ["p_2"]
    assert await store.get_activity(main, "p_2") is None

    stored = await store.record_answer(breakout, "p_2", "a_1", "v1", ("a",), "a", 5)
    assert stored.outcome is RecordOutcome.STORED
    # The same activity id under another scope is another activity: nothing there.
    missing = await store.record_answer(main, "p_2", "a_1", "v2", ("a",), "a", 5)
    assert missing.outcome is RecordOutcome.MISSING
    assert (await store.get_tally(breakout, "p_2")).counts == {"a": 1}
    assert (await store.get_tally(main, "p_1")).total == 0

    cleared = await store.take_stage(breakout, None, None, {}, CLOSING)
    assert cleared.closed is not None and cleared.closed.status == CLOSED
    assert (await store.get_activity(main, "p_1")).status == "open"  # type: ignore[union-attr]


async def test_presence_is_counted_per_room(store: Store) -> None:
    await store.set_presence("w1", {CODE: 3, f"{CODE}/b2": 2, OTHER: 7}, 1_000)
    await store.set_presence("w2", {f"{CODE}/b2": 1, f"{CODE}/c3": 4}, 1_000)
    await store.set_presence("dead", {CODE: 100}, -100_000)
    assert await store.online_by_room(CODE, 1_500) == {"main": 3, "b2": 3, "c3": 4}
    assert await store.count_online(CODE, 1_500) == 10
    assert await store.count_online(OTHER, 1_500) == 7
    await store.set_presence("w1", {}, 1_000)
    await store.set_presence("w2", {}, 1_000)


async def test_purging_an_event_removes_its_rooms_and_their_activities(store: Store) -> None:
    await store.add_room(CODE, room("b2", 1), 10)
    await store.add_activity(scope(CODE, "b2"), "p_2", {"type": "poll"}, DRAFT)
    await store.add_activity(scope(OTHER, "b2"), "p_3", {"type": "poll"}, DRAFT)
    await store.purge_event(CODE)
    assert await store.list_rooms(CODE) == []
    assert await store.get_activity(scope(CODE, "b2"), "p_2") is None
    # Another event's room of the same id is untouched.
    assert await store.get_activity(scope(OTHER, "b2"), "p_3") is not None
