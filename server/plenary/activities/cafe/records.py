"""A café's records in the store, for the café's use cases: its definition and state
(the activity), the check-ins, the earlier rounds' tables, and the one way its state
changes: read, compute, write back only if nobody changed it in between (the store's
``update_activity(..., if_seq=...)``), else read again. So two presenters starting the
next round on two processes at once start it once, and a latecomer seated while a round
starts is in that round or the next, never lost."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Any

from plenary.activities.cafe.domain import ACTIVITY_TYPE, Cafe, CafeStatus
from plenary.activities.cafe.rounds import RoundState, Tables
from plenary.activities.cafe.slots import CHECKIN, ROUND, round_slot
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, not_found
from plenary.store import Activity, AnswerRecord, Store

#: How often a change is computed again when another one got in first.
TRIES = 12
#: Earlier rounds' tables kept per process (they never change once kept).
KEPT_ROUNDS = 256


def busy() -> PlenaryError:
    return PlenaryError(
        ErrorCode.UNAVAILABLE, "The café is changing a lot at once; retry in a moment."
    )


def checked_in(answers: Mapping[str, AnswerRecord]) -> list[str]:
    """The attendees checked in to the café (who a new round seats), sorted."""
    return sorted(
        slot[len(CHECKIN) :]
        for slot, record in answers.items()
        if slot.startswith(CHECKIN) and isinstance(record.value, dict) and record.value.get("in")
    )


def kept_rounds(answers: Mapping[str, AnswerRecord]) -> dict[int, Tables]:
    """The earlier rounds kept as records, by number."""
    rounds = {}
    for slot, record in answers.items():
        if slot.startswith(ROUND) and isinstance(record.value, dict):
            rounds[int(slot[len(ROUND) :])] = [list(t) for t in record.value.get("tables", ())]
    return rounds


class CafeRecords:
    """Reads and changes a café's records."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # One change at a time per café in this process (others retry across processes).
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._kept: dict[tuple[str, str, int], Tables] = {}

    async def load(self, code: str, cafe_id: str) -> tuple[Activity, Cafe]:
        activity = await self.store.get_activity(code, cafe_id)
        if activity is None or activity.definition.get("type") != ACTIVITY_TYPE:
            raise not_found(f"Café {cafe_id!r}")
        return activity, Cafe.from_dict(activity.definition)

    async def load_open(self, code: str, cafe_id: str) -> tuple[Activity, Cafe]:
        activity, cafe = await self.load(code, cafe_id)
        require_open(activity)
        return activity, cafe

    @asynccontextmanager
    async def changing(self, code: str, cafe_id: str) -> Any:
        """Hold this process's lock of the café while computing and writing a change."""
        key = (code, cafe_id)
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) >= 1024:
                for idle in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[idle]
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield

    async def commit(
        self, code: str, activity: Activity, meta: Mapping[str, Any]
    ) -> Activity | None:
        """Write ``meta`` if the café's state is still the one in ``activity``; None if
        another change got in first."""
        return await self.store.update_activity(
            code, activity.id, None, meta, if_seq=activity.state_seq
        )

    async def older_rounds(self, code: str, cafe_id: str, state: RoundState) -> dict[int, Tables]:
        """The kept rounds before ``state``'s previous one (read once per process)."""
        found: dict[int, Tables] = {}
        for number in range(1, state.number - 1):
            key = (code, cafe_id, number)
            tables = self._kept.get(key)
            if tables is None:
                record = await self.store.get_answer(code, cafe_id, round_slot(number))
                if record is None:
                    continue  # lost with a process that stopped mid-way: nobody met then
                tables = [list(t) for t in record.value.get("tables", ())]
                self._remember(key, tables)
            found[number] = tables
        return found

    async def keep_round(self, code: str, cafe_id: str, number: int, tables: Tables) -> None:
        """Keep round ``number``'s final tables as a record of their own (once the next
        round has started they no longer change: every writer writes the same)."""
        if number < 1:
            return
        await self.store.record_answer(
            code,
            cafe_id,
            round_slot(number),
            "kept",
            (),
            {"round": number, "tables": tables},
            now_ms(),
        )
        self._remember((code, cafe_id, number), tables)

    def _remember(self, key: tuple[str, str, int], tables: Tables) -> None:
        if len(self._kept) >= KEPT_ROUNDS:
            self._kept.clear()
        self._kept[key] = tables

    async def cafes(self, code: str) -> list[Activity]:
        return [
            a
            for a in await self.store.list_activities(code)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]


def require_open(activity: Activity) -> None:
    if activity.status == CafeStatus.DRAFT:
        raise PlenaryError(ErrorCode.NOT_OPEN, "This café has not started yet (cafe:start).")
    if activity.status != CafeStatus.OPEN:
        raise PlenaryError(ErrorCode.NOT_OPEN, "This café is over.")
