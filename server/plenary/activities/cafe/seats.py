"""Who sits where: checking in and out of a café, starting its rounds, seating
latecomers, and telling each person their own table.

**Who is seated.** A round seats the attendees *checked in* to the café: an attendee's
page sends ``cafe:join`` when the café comes on stage (``cafe:started``) and on every
``welcome`` that shows it, and ``cafe:leave`` when its person leaves the café. The
check-ins are records in the store, so every process sees the same list whichever holds
the connections, and a round seats the same people whichever process starts it. Someone
who closes the page without leaving stays checked in until they send ``cafe:leave``
(docs/cafe.md).

**Latecomers.** ``cafe:join`` while a round runs seats the attendee at once with
:func:`~plenary.activities.cafe.seating.seat_latecomer` (nobody else moves); their
tablemates get ``cafe:table``. ``cafe:leave`` while a round runs takes them off their
table the same way.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from plenary.activities.cafe.domain import Cafe, CafeStatus, warning_at
from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.records import TRIES, CafeRecords, busy, checked_in, kept_rounds
from plenary.activities.cafe.roster import Roster
from plenary.activities.cafe.rounds import (
    RoundState,
    assignment,
    assignments,
    assignments_from_sheet,
    history,
    next_state,
    round_sheet,
    seat_next_round,
    tables_view,
    with_latecomer,
    without,
)
from plenary.activities.cafe.slots import checkin_slot
from plenary.activities.cafe.timer import RoundClocks
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.store import Activity, RecordOutcome


def round_ack(cafe: Cafe, state: RoundState) -> dict[str, Any]:
    """``cafe:round``'s ack fields for the round in ``state``."""
    return {
        "cafe_id": cafe.id,
        "round": state.number,
        "rounds": cafe.rounds,
        "tables": tables_view(cafe, state.tables),
        "stats": dict(state.stats),
        "ends_at": state.ends_at,
    }


class Seats:
    """Check-ins, rounds and latecomers of every café (see the module's doc)."""

    def __init__(
        self,
        records: CafeRecords,
        roster: Roster,
        broadcaster: Broadcaster,
        limits: CafeLimits,
    ) -> None:
        self._records = records
        self._store = records.store
        self._roster = roster
        self._out = broadcaster
        # A round's assignments are built by the process holding each connection.
        broadcaster.build_personal("cafe:assignment", assignments_from_sheet)
        self._limits = limits
        self.clocks = RoundClocks(self._announce)

    # -- check-in -----------------------------------------------------------------------
    async def join(self, code: str, cafe_id: str, attendee_id: str) -> dict[str, Any]:
        """Check in; while a round runs, be seated at once. Ack: the assignment, if any."""
        await self._check(code, cafe_id, attendee_id, True)
        # Read after the check-in is stored: a round that started before is seen here,
        # one that starts after sees the check-in (see Seats.next_round).
        seated = await self.seat_latecomer(code, cafe_id, attendee_id)
        return {"cafe_id": cafe_id, "joined": True, "assignment": seated}

    async def leave(self, code: str, cafe_id: str, attendee_id: str) -> dict[str, Any]:
        """Check out: not seated in the next rounds, and off their table now."""
        await self._check(code, cafe_id, attendee_id, False)
        for _ in range(TRIES):
            async with self._records.changing(code, cafe_id):
                activity, cafe = await self._records.load(code, cafe_id)
                state = RoundState.from_meta(activity.meta)
                change = without(state, attendee_id) if state.running(now_ms()) else None
                if change is None:
                    break
                t, after = change
                if await self._records.commit(code, activity, after.to_meta()) is None:
                    continue
            await self._table_changed(code, cafe, after, t, left=attendee_id)
            break
        else:
            raise busy()
        return {"cafe_id": cafe_id, "joined": False}

    async def _check(self, code: str, cafe_id: str, attendee_id: str, present: bool) -> None:
        await self._records.load_open(code, cafe_id)
        stored = await self._store.record_answer(
            code,
            cafe_id,
            checkin_slot(attendee_id),
            secrets.token_hex(8),
            (),
            {"in": present},
            now_ms(),
        )
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This café is over.")

    async def seat_latecomer(
        self, code: str, cafe_id: str, attendee_id: str
    ) -> dict[str, Any] | None:
        """Seat ``attendee_id`` if a round runs and they are not seated: their
        assignment (also sent to them, and the table's change to its members and the
        staff), or the one they have, or None between rounds."""
        event = event_code(code)
        # Most calls change nothing (between rounds, or seated already: a page joins on
        # every welcome); they take no lock, so a thousand at once do not queue.
        settled, found = await self._seated(code, cafe_id, attendee_id)
        if settled:
            return found
        for _ in range(TRIES):
            async with self._records.changing(code, cafe_id):
                activity, cafe = await self._records.load_open(code, cafe_id)
                state = RoundState.from_meta(activity.meta)
                if not state.running(now_ms()):
                    return None
                t = state.seat_of(attendee_id)
                if t is not None:
                    cards = await self._roster.cards(event, state.tables[t])
                    return assignment(cafe, state, t, attendee_id, cards, event)
                older = await self._records.older_rounds(code, cafe_id, state)
                rounds = history(state, older)
                people = await self._roster.people(event, [*state.seated(), attendee_id])
                person = next((p for p in people if p.id == attendee_id), None)
                if person is None:
                    return None  # not an attendee of this event (cannot happen via join)
                t, after = with_latecomer(cafe, state, person, people, rounds)
                if await self._records.commit(code, activity, after.to_meta()) is None:
                    continue
            await self._table_changed(code, cafe, after, t, joined=attendee_id)
            cards = await self._roster.cards(event, after.tables[t])
            mine = assignment(cafe, after, t, attendee_id, cards, event)
            await self._out.to_each(code, "cafe:assignment", {attendee_id: mine})
            return mine
        raise busy()

    async def _seated(
        self, code: str, cafe_id: str, attendee_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        """(True, the assignment) if seated, (True, None) between rounds, (False, None)
        if the attendee is to be seated."""
        activity, cafe = await self._records.load_open(code, cafe_id)
        state = RoundState.from_meta(activity.meta)
        if not state.running(now_ms()):
            return True, None
        t = state.seat_of(attendee_id)
        if t is None:
            return False, None
        event = event_code(code)
        cards = await self._roster.cards(event, state.tables[t])
        return True, assignment(cafe, state, t, attendee_id, cards, event)

    async def _table_changed(
        self, code: str, cafe: Cafe, state: RoundState, t: int, **change: str
    ) -> None:
        """Tell a table's members (their table as it is now) and the staff who came or
        went."""
        event = event_code(code)
        who = next(iter(change.values()))
        cards = await self._roster.cards(event, [*state.tables[t], who])
        others = {
            member: {**body, **change}
            for member, body in assignments(cafe, state, cards, event, only=[t]).items()
            if member != change.get("joined")
        }
        if others:
            await self._out.to_each(code, "cafe:table", others)
        staff = {
            "cafe_id": cafe.id,
            "round": state.number,
            **tables_view(cafe, state.tables)[t],
            "people": {who: cards[who]} if who in cards else {},
            **change,
        }
        await self._out.to_staff(code, "cafe:table", staff)

    # -- rounds -------------------------------------------------------------------------
    async def next_round(self, code: str, cafe_id: str, expected: int | None) -> dict[str, Any]:
        """Start the next round (``expected``: its number, so a retry does not start
        another). Exactly one of concurrent calls starts it; the others ack it with
        ``duplicate``."""
        event = event_code(code)
        for _ in range(TRIES):
            async with self._records.changing(code, cafe_id):
                activity, cafe = await self._records.load_open(code, cafe_id)
                state = RoundState.from_meta(activity.meta)
                if expected is not None and expected == state.number and expected > 0:
                    return {**round_ack(cafe, state), "duplicate": True}
                self._check_next(cafe, state, expected)
                answers = await self._store.list_answers(code, cafe_id)
                present = checked_in(answers)
                if len(present) < 2:
                    raise PlenaryError(
                        ErrorCode.NOT_OPEN,
                        f"{len(present)} attendee(s) joined the café: a round needs 2 or more.",
                    )
                people = await self._roster.people(event, present)
                rounds = history(state, kept_rounds(answers))
                seating = await asyncio.to_thread(seat_next_round, cafe, people, rounds)
                after = next_state(state, seating, now_ms(), cafe.round_s)
                committed = await self._records.commit(code, activity, after.to_meta())
            if committed is None:
                won = await self._started_elsewhere(code, cafe_id, state.number + 1)
                if won is not None:
                    return won
                continue  # the state changed otherwise (a latecomer): seat again
            await self._records.keep_round(code, cafe_id, state.number, state.tables)
            await self._records.keep_round(code, cafe_id, state.number - 1, state.previous)
            await self._deliver(code, cafe, after)
            await self._seat_stragglers(code, cafe_id, after)
            return round_ack(cafe, after)
        raise busy()

    def _check_next(self, cafe: Cafe, state: RoundState, expected: int | None) -> None:
        if state.number >= cafe.rounds:
            raise PlenaryError(
                ErrorCode.NOT_OPEN,
                f"All {cafe.rounds} rounds of this café have been held; end it (cafe:end).",
            )
        if expected is not None and expected != state.number + 1:
            raise bad_request(
                f"Round {expected} is not the next one: this café is at round {state.number}."
            )

    async def _started_elsewhere(
        self, code: str, cafe_id: str, number: int
    ) -> dict[str, Any] | None:
        activity, cafe = await self._records.load(code, cafe_id)
        state = RoundState.from_meta(activity.meta)
        if state.number >= number:
            return {**round_ack(cafe, state), "duplicate": True}
        return None

    async def _deliver(self, code: str, cafe: Cafe, state: RoundState) -> None:
        """Each seated person's own table, the staff's overview, and the round's clock."""
        event = event_code(code)
        cards = await self._roster.cards(event, state.seated())
        sheet = round_sheet(cafe, state, cards, event)
        await self._out.to_each_shared(code, "cafe:assignment", sheet)
        await self._out.to_staff(code, "cafe:round", {**round_ack(cafe, state), "people": cards})
        warn_at = warning_at(state.ends_at, cafe.round_s, self._limits.cafe_warning_s)
        self.clocks.start(code, cafe.id, state.number, warn_at, state.ends_at)

    async def _seat_stragglers(self, code: str, cafe_id: str, state: RoundState) -> None:
        """Those who checked in while the round was being seated: their ``cafe:join``
        read the state before this round was written, so they are seated now."""
        answers = await self._store.list_answers(code, cafe_id)
        for attendee_id in set(checked_in(answers)) - state.seated():
            await self.seat_latecomer(code, cafe_id, attendee_id)

    async def _announce(self, code: str, cafe_id: str, number: int, what: str) -> None:
        """The round clock's notices, if the round is still the current one."""
        activity = await self._store.get_activity(code, cafe_id)
        if activity is None or activity.status != CafeStatus.OPEN:
            return
        state = RoundState.from_meta(activity.meta)
        if state.number != number:
            return
        cafe = Cafe.from_dict(activity.definition)
        body = {
            "cafe_id": cafe_id,
            "round": number,
            "rounds": cafe.rounds,
            "ends_at": state.ends_at,
        }
        if what == "warning":
            left = max(0, round((state.ends_at - now_ms()) / 1000))
            await self._out.to_everyone(code, "cafe:warning", {**body, "seconds_left": left})
        else:
            await self._out.to_everyone(
                code, "cafe:round_ended", {**body, "last": number >= cafe.rounds}
            )

    def ended(self, code: str, activity: Activity) -> None:
        """The café closed: its round's clock stops here."""
        self.clocks.cancel(code, activity.id)
