"""The stage in both store backends (``Store.take_stage``): one activity running on stage
per event, whatever the kinds, also when two processes open activities at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from plenary.settings import Settings
from plenary.store import EventRecord, Store, store_for
from plenary.store.base import CLOSED, DRAFT

CODE = "ABCDEF"

CLOSING = {"closed_at": 99}


@pytest.fixture
async def store(redis_url: str | None) -> AsyncIterator[Store]:
    """A store of each backend (``redis_url`` is parametrised) with one event."""
    s = store_for(Settings(redis_url=redis_url))
    await s.start()
    assert await s.create_event(EventRecord(CODE, "Title", "digest", 1))
    yield s
    await s.close()


async def add(store: Store, aid: str, kind: str, status: str = DRAFT) -> None:
    await store.add_activity(CODE, aid, {"type": kind, "id": aid}, status)


async def status_of(store: Store, aid: str) -> str:
    activity = await store.get_activity(CODE, aid)
    assert activity is not None
    return activity.status


async def test_taking_the_stage_closes_what_runs_on_it(store: Store) -> None:
    await add(store, "p_1", "poll")
    await add(store, "q_1", "quiz")
    first = await store.take_stage(CODE, "p_1", "open", {"opened_at": 5}, CLOSING)
    assert first.closed is None and first.closed_before is None
    assert first.current is not None
    assert (first.current.id, first.current.status) == ("p_1", "open")
    assert first.current.meta["opened_at"] == 5
    assert await store.get_current(CODE) == "p_1"

    second = await store.take_stage(CODE, "q_1", "lobby", {}, CLOSING)
    assert second.closed_before is not None and second.closed is not None
    assert (second.closed_before.id, second.closed_before.status) == ("p_1", "open")
    assert (second.closed.id, second.closed.status) == ("p_1", CLOSED)
    assert second.closed.meta == {"opened_at": 5, "closed_at": 99}
    assert second.closed.state_seq == second.closed_before.state_seq + 1
    assert second.current is not None and second.current.status == "lobby"
    assert await store.get_current(CODE) == "q_1"
    assert await status_of(store, "p_1") == CLOSED


async def test_taking_the_stage_again_or_with_nothing_running(store: Store) -> None:
    await add(store, "p_1", "poll")
    await add(store, "p_2", "poll")
    await store.take_stage(CODE, "p_1", "open", {}, CLOSING)
    # The same activity again, without a status: it stays as it is and on stage.
    again = await store.take_stage(CODE, "p_1", None, {}, CLOSING)
    assert again.closed is None and again.current is not None
    assert again.current.status == "open"
    # A closed activity on stage is not closed twice (its closing time stays).
    await store.update_activity(CODE, "p_1", CLOSED, {"closed_at": 7})
    change = await store.take_stage(CODE, "p_2", "open", {}, CLOSING)
    assert change.closed is None
    p_1 = await store.get_activity(CODE, "p_1")
    assert p_1 is not None and p_1.meta["closed_at"] == 7


async def test_a_missing_activity_changes_nothing(store: Store) -> None:
    await add(store, "p_1", "poll")
    await store.take_stage(CODE, "p_1", "open", {}, CLOSING)
    change = await store.take_stage(CODE, "nope", "open", {}, CLOSING)
    assert change.current is None and change.closed is None
    assert await store.get_current(CODE) == "p_1"
    assert await status_of(store, "p_1") == "open"


async def test_clearing_the_stage_closes_but_keeps_it_current(store: Store) -> None:
    await add(store, "q_1", "quiz")
    nothing = await store.take_stage(CODE, None, None, {}, CLOSING)
    assert nothing.closed is None and nothing.current is None
    await store.take_stage(CODE, "q_1", "question", {}, CLOSING)
    cleared = await store.take_stage(CODE, None, None, {}, CLOSING)
    assert cleared.closed is not None and cleared.closed.status == CLOSED
    assert cleared.current is None
    assert await store.get_current(CODE) == "q_1"


@pytest.fixture
async def second_process(redis_url: str | None, store: Store) -> AsyncIterator[Store]:
    """Another process's store on the same state (the same store in embedded mode)."""
    if redis_url is None:
        yield store
        return
    other = store_for(Settings(redis_url=redis_url))
    await other.start()
    yield other
    await other.close()


async def test_two_processes_opening_at_once_leave_one_running(
    store: Store,
    second_process: Store,
) -> None:
    for round_no in range(20):
        poll, quiz = f"p_{round_no}", f"q_{round_no}"
        await add(store, poll, "poll")
        await add(store, quiz, "quiz")
        one, two = await asyncio.gather(
            store.take_stage(CODE, poll, "open", {}, CLOSING),
            second_process.take_stage(CODE, quiz, "question", {}, CLOSING),
        )
        current = await store.get_current(CODE)
        assert current in (poll, quiz)
        running = [
            a.id for a in await store.list_activities(CODE) if a.status not in (DRAFT, CLOSED)
        ]
        assert running == [current], (round_no, running)
        # The one that came second closed the first one, and said so.
        later = two if current == quiz else one
        assert later.closed is not None and later.closed.id == (poll if current == quiz else quiz)
