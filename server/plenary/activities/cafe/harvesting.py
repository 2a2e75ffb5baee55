"""Harvests: each table's takeaways of a round, written by the people seated there,
seen live by the presenters and by the table's members (:mod:`.table_feed`), some put
on the big screen.

A harvest is a record of its own (slot ``h:<author>:<harvest_id>``), so that two
tablemates writing at once never overwrite each other. Its author adds it with a new
``harvest_id`` (a retry with the same id and text changes nothing), edits it by sending
the same ``harvest_id`` with new text, and removes it, while its round is the café's
current one (until the next round starts or the café ends: a takeaway typed as time
runs out is not lost). An author keeps at most ``cafe_max_harvests`` live harvests a
round: the store counts them with each change (two devices of one person adding at the
same instant could each pass the last free place)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from plenary.activities.cafe.domain import Cafe
from plenary.activities.cafe.harvest import (
    Harvest,
    check_changeable,
    harvest_text,
    spotlight_entry,
)
from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.records import TRIES, CafeRecords, busy
from plenary.activities.cafe.roster import Roster
from plenary.activities.cafe.rounds import RoundState
from plenary.activities.cafe.slots import HARVEST, author_key, harvest_slot
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.store import AnswerRecord, RecordOutcome

if TYPE_CHECKING:  # built by the service: the feed lists harvests with live_harvests
    from plenary.activities.cafe.table_feed import TableHarvestFeed


def live_harvests(answers: dict[str, AnswerRecord]) -> list[Harvest]:
    """Every harvest not removed, oldest first (then by author and id: several may come
    in one millisecond)."""
    found = [
        Harvest.from_dict(record.value)
        for slot, record in answers.items()
        if slot.startswith(HARVEST) and isinstance(record.value, dict)
    ]
    return sorted(
        (h for h in found if not h.removed), key=lambda h: (h.created_at, h.author, h.harvest_id)
    )


class Harvests:
    """Add, edit, remove and list harvests; the big screen's selection."""

    def __init__(
        self,
        records: CafeRecords,
        roster: Roster,
        broadcaster: Broadcaster,
        limits: CafeLimits,
        feed: TableHarvestFeed,
    ) -> None:
        self._records = records
        self._store = records.store
        self._roster = roster
        self._out = broadcaster
        self._limits = limits
        self._feed = feed

    async def _mine(self, code: str, cafe_id: str, author: str, harvest_id: str) -> Harvest | None:
        record = await self._store.get_answer(code, cafe_id, harvest_slot(author, harvest_id))
        return Harvest.from_dict(record.value) if record is not None else None

    async def write(
        self, code: str, cafe_id: str, author: str, harvest_id: str, text: Any
    ) -> dict[str, Any]:
        """Add a harvest, or edit the author's harvest of this id."""
        cleaned = harvest_text(text, self._limits)
        activity, cafe = await self._records.load_open(code, cafe_id)
        state = RoundState.from_meta(activity.meta)
        names = await self._roster.names(event_code(code), [author])
        existing = await self._mine(code, cafe_id, author, harvest_id)
        now = now_ms()
        if existing is None:
            harvest = self._new(cafe, state, author, harvest_id, cleaned, now)
            await self._count_check(code, cafe_id, author, state.number)
            vote_id = "new"  # two copies of one add: the second is a duplicate
        else:
            if existing.removed:
                raise bad_request(
                    "This harvest was removed; write a new one with a new harvest_id."
                )
            check_changeable(existing, author, state.number)
            if existing.text == cleaned:
                return {"harvest": existing.view(names), "duplicate": True}
            harvest = existing.edited(cleaned, now)
            vote_id = secrets.token_hex(8)
        stored = await self._store.record_answer(
            code,
            cafe_id,
            harvest_slot(author, harvest_id),
            vote_id,
            (author_key(author, harvest.round),),
            harvest.to_dict(),
            now,
        )
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This café is over.")
        if stored.outcome is RecordOutcome.DUPLICATE:
            again = await self._mine(code, cafe_id, author, harvest_id)
            return {"harvest": (again or harvest).view(names), "duplicate": True}
        view = harvest.view(names)
        await self._out.to_staff(code, "cafe:harvested", {"cafe_id": cafe_id, "harvest": view})
        self._feed.changed(code, cafe_id, harvest.round, harvest.table, stored.version)
        if existing is not None:
            await self._respot(code, cafe_id, harvest, names)
        # ``version``: where this change stands among the table's cafe:table_harvests.
        return {"harvest": view, "version": stored.version}

    def _new(
        self, cafe: Cafe, state: RoundState, author: str, harvest_id: str, text: str, now: int
    ) -> Harvest:
        if state.number == 0:
            raise PlenaryError(ErrorCode.NOT_OPEN, "No round has started: there is no table yet.")
        t = state.seat_of(author)
        if t is None:
            raise PlenaryError(
                ErrorCode.FORBIDDEN, "Only people seated at a table this round can harvest."
            )
        return Harvest(harvest_id, author, state.number, t + 1, text, now)

    async def _count_check(self, code: str, cafe_id: str, author: str, number: int) -> None:
        tally = await self._store.get_tally(code, cafe_id)
        if tally.counts.get(author_key(author, number), 0) >= self._limits.cafe_max_harvests:
            raise bad_request(
                f"You have {self._limits.cafe_max_harvests} harvests this round, the most "
                "allowed; edit or remove one."
            )

    async def remove(self, code: str, cafe_id: str, author: str, harvest_id: str) -> dict[str, Any]:
        """Remove the author's harvest (a second removal changes nothing)."""
        activity, _ = await self._records.load_open(code, cafe_id)
        state = RoundState.from_meta(activity.meta)
        existing = await self._mine(code, cafe_id, author, harvest_id)
        if existing is None:
            raise not_found(f"Harvest {harvest_id!r}")
        body = {"cafe_id": cafe_id, "author_id": author, "harvest_id": harvest_id}
        if existing.removed:
            return {**body, "removed": True, "duplicate": True}
        check_changeable(existing, author, state.number)
        stored = await self._store.record_answer(
            code,
            cafe_id,
            harvest_slot(author, harvest_id),
            "removed",
            (),
            existing.gone(now_ms()).to_dict(),
            now_ms(),
        )
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This café is over.")
        if stored.outcome is not RecordOutcome.STORED:
            return {**body, "removed": True}
        await self._out.to_staff(
            code, "cafe:harvest_removed", {**body, "round": existing.round, "table": existing.table}
        )
        self._feed.changed(code, cafe_id, existing.round, existing.table, stored.version)
        await self._respot(code, cafe_id, existing.gone(now_ms()), {})
        return {**body, "removed": True, "version": stored.version}

    async def listing(self, code: str, cafe_id: str, attendee: str | None) -> list[dict[str, Any]]:
        """Every live harvest (staff), or those of the attendee's table this round."""
        activity, _ = await self._records.load(code, cafe_id)
        harvests = live_harvests(await self._store.list_answers(code, cafe_id))
        if attendee is not None:
            state = RoundState.from_meta(activity.meta)
            t = state.seat_of(attendee)
            if t is None:
                return []
            harvests = [h for h in harvests if h.round == state.number and h.table == t + 1]
        names = await self._roster.names(event_code(code), {h.author for h in harvests})
        return [h.view(names) for h in harvests]

    # -- the big screen -----------------------------------------------------------------
    async def spotlight(
        self, code: str, cafe_id: str, author: str, harvest_id: str, shown: bool
    ) -> dict[str, Any]:
        """Put a harvest on the big screen (the latest few stay), or take it off."""
        harvest = await self._mine(code, cafe_id, author, harvest_id)
        if harvest is None or harvest.removed:
            raise not_found(f"Harvest {harvest_id!r} by {author!r}")
        names = await self._roster.names(event_code(code), [author])
        return {"spotlight": await self._set_spot(code, cafe_id, harvest, names, shown)}

    async def _respot(
        self, code: str, cafe_id: str, harvest: Harvest, names: dict[str, str]
    ) -> None:
        """An edited or removed harvest changes on the big screen too."""
        activity, _ = await self._records.load(code, cafe_id)
        if any(_same(s, harvest) for s in activity.meta.get("spotlight") or ()):
            await self._set_spot(code, cafe_id, harvest, names, not harvest.removed)

    async def _set_spot(
        self, code: str, cafe_id: str, harvest: Harvest, names: dict[str, str], shown: bool
    ) -> list[dict[str, Any]]:
        for _ in range(TRIES):
            async with self._records.changing(code, cafe_id):
                activity, cafe = await self._records.load_open(code, cafe_id)
                current = [s for s in activity.meta.get("spotlight") or () if not _same(s, harvest)]
                if shown:
                    entry = spotlight_entry(harvest, names, cafe.topic(harvest.table))
                    current = [*current, entry][-self._limits.cafe_max_spotlight :]
                if await self._records.commit(code, activity, {"spotlight": current}) is None:
                    continue
            await self._out.to_everyone(
                code, "cafe:spotlight", {"cafe_id": cafe_id, "harvests": current}
            )
            return current
        raise busy()


def _same(entry: dict[str, Any], harvest: Harvest) -> bool:
    return bool(
        entry.get("author_id") == harvest.author and entry.get("harvest_id") == harvest.harvest_id
    )
