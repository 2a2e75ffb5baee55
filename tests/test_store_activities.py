"""Editing the running order in both store backends: a draft's definition replaced
(only while a draft), an activity deleted with its answers, the order rearranged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from plenary.settings import Settings
from plenary.store import EventRecord, RecordOutcome, Store, store_for
from plenary.store.base import DRAFT

CODE = "ABCDEF"


@pytest.fixture
async def store(redis_url: str | None) -> AsyncIterator[Store]:
    s = store_for(Settings(redis_url=redis_url))
    await s.start()
    assert await s.create_event(EventRecord(CODE, "Title", "digest", 1))
    for aid in ("p_1", "p_2", "p_3"):
        await s.add_activity(CODE, aid, {"type": "poll", "question": aid}, DRAFT)
    yield s
    await s.purge_event(CODE)
    await s.close()


async def order(store: Store) -> list[str]:
    return [a.id for a in await store.list_activities(CODE)]


async def test_a_draft_definition_is_replaced_only_while_a_draft(store: Store) -> None:
    done, after = await store.update_definition(
        CODE, "p_1", {"type": "poll", "question": "new"}, DRAFT
    )
    assert done and after is not None and after.definition["question"] == "new"
    assert after.state_seq == 1
    await store.update_activity(CODE, "p_1", "open", {})
    done, after = await store.update_definition(
        CODE, "p_1", {"type": "poll", "question": "x"}, DRAFT
    )
    assert not done and after is not None and after.definition["question"] == "new"
    assert await store.update_definition(CODE, "nope", {}, DRAFT) == (False, None)


async def test_deleting_an_activity_takes_its_answers_and_its_place(store: Store) -> None:
    await store.update_activity(CODE, "p_2", "open", {})
    await store.take_stage(CODE, "p_2", None, {}, {})
    stored = await store.record_answer(CODE, "p_2", "a_1", "v1", ("a",), "a", 5)
    assert stored.outcome is RecordOutcome.STORED
    assert await store.delete_activity(CODE, "p_2")
    assert not await store.delete_activity(CODE, "p_2")
    assert await order(store) == ["p_1", "p_3"]
    assert await store.get_activity(CODE, "p_2") is None
    assert await store.get_current(CODE) is None
    assert (await store.get_tally(CODE, "p_2")).total == 0
    assert await store.list_answers(CODE, "p_2") == {}
    # The same id added again starts from nothing (no stale idempotency record).
    await store.add_activity(CODE, "p_2", {"type": "poll"}, "open")
    again = await store.record_answer(CODE, "p_2", "a_1", "v1", ("b",), "b", 6)
    assert again.outcome is RecordOutcome.STORED


async def test_the_running_order_is_rearranged_only_as_a_whole(store: Store) -> None:
    assert await store.reorder_activities(CODE, ["p_3", "p_1", "p_2"])
    assert await order(store) == ["p_3", "p_1", "p_2"]
    for bad in (["p_3", "p_1"], ["p_3", "p_1", "p_1"], ["p_3", "p_1", "p_9"], []):
        assert not await store.reorder_activities(CODE, bad)
    assert await order(store) == ["p_3", "p_1", "p_2"]
    # Reordering while another activity is added: the stale order is refused.
    results = await asyncio.gather(
        store.add_activity(CODE, "p_4", {"type": "poll"}, DRAFT),
        store.reorder_activities(CODE, ["p_1", "p_2", "p_3"]),
    )
    if results[1]:
        assert await order(store) == ["p_1", "p_2", "p_3", "p_4"]
    else:
        assert await order(store) == ["p_3", "p_1", "p_2", "p_4"]
