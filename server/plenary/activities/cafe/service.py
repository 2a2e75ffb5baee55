"""World café use cases: create, start and end a café, and what each role sees of it.
The rounds and check-ins are :class:`~plenary.activities.cafe.seats.Seats`, the
harvests :class:`~plenary.activities.cafe.harvesting.Harvests`; this class holds both."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from plenary import ids
from plenary.activities.cafe.domain import Cafe, CafeStatus, build_cafe, unknown_hosts
from plenary.activities.cafe.export import export_cafes
from plenary.activities.cafe.harvesting import Harvests, live_harvests
from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.records import CafeRecords, checked_in
from plenary.activities.cafe.roster import Roster, card_of
from plenary.activities.cafe.rounds import RoundState, assignment, tables_view
from plenary.activities.cafe.seats import Seats
from plenary.activities.cafe.table_feed import TableHarvestFeed
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.stage.kinds import ExportSection
from plenary.stage.stage import Stage
from plenary.store import Activity, Store

log = logging.getLogger(__name__)


def cafe_view(activity: Activity) -> dict[str, Any]:
    """A café as every client sees it: definition, status and where its rounds are."""
    meta = activity.meta
    return {
        **activity.definition,
        "status": activity.status,
        "round": int(meta.get("round") or 0),
        "round_started_at": meta.get("round_started_at"),
        "ends_at": meta.get("ends_at"),
        "opened_at": meta.get("opened_at"),
        "closed_at": meta.get("closed_at"),
        "state_seq": activity.state_seq,
    }


class CafeService:
    """Every café use case of this process."""

    def __init__(
        self, store: Store, broadcaster: Broadcaster, stage: Stage, limits: CafeLimits
    ) -> None:
        self._store = store
        self._out = broadcaster
        self._stage = stage
        self._limits = limits
        self.records = CafeRecords(store)
        self.roster = Roster(store)
        self.seats = Seats(self.records, self.roster, broadcaster, limits)
        self.table_feed = TableHarvestFeed(
            self.records, self.roster, broadcaster, limits.cafe_harvest_update_ms
        )
        self.harvests = Harvests(self.records, self.roster, broadcaster, limits, self.table_feed)

    async def stop(self) -> None:
        await self.seats.clocks.stop()
        await self.table_feed.stop()

    async def create(self, code: str, values: Mapping[str, Any]) -> dict[str, Any]:
        if len(await self.records.cafes(code)) >= self._limits.cafe_max_per_event:
            raise bad_request(f"An event holds at most {self._limits.cafe_max_per_event} cafés.")
        cafe = build_cafe(ids.new_id("c"), values, self._limits, now_ms())
        if cafe.plan.hosts:
            attendees = await self.roster.all(event_code(code))
            unknown = unknown_hosts(cafe.plan.hosts, set(attendees))
            if unknown:
                raise bad_request(
                    f"hosts must be attendees of this event: {', '.join(unknown[:5])} are not."
                )
        definition = cafe.to_dict()
        await self._store.add_activity(code, cafe.id, definition, CafeStatus.DRAFT)
        view = cafe_view(Activity(cafe.id, definition, CafeStatus.DRAFT, {}))
        await self._out.to_staff(code, "cafe:created", {"cafe": view})
        return view

    async def start(self, code: str, cafe_id: str) -> dict[str, Any]:
        """Put the café on stage (whatever ran there closes); attendees then join it."""
        activity, _ = await self.records.load(code, cafe_id)
        if activity.status == CafeStatus.OPEN:
            updated = await self._stage.take(code, cafe_id, None, {})
        else:
            updated = await self._stage.take(
                code, cafe_id, CafeStatus.OPEN, {"opened_at": now_ms(), "closed_at": None}
            )
        log.info("café started", extra={"event": code, "activity": cafe_id})
        view = cafe_view(updated)
        await self._out.to_everyone(code, "cafe:started", {"cafe": view})
        return view

    async def end(self, code: str, cafe_id: str) -> dict[str, Any]:
        activity, _ = await self.records.load(code, cafe_id)
        if activity.status == CafeStatus.DRAFT:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This café never started.")
        if activity.status != CafeStatus.OPEN:
            return cafe_view(activity)
        updated = await self._store.update_activity(
            code, cafe_id, CafeStatus.CLOSED, {"closed_at": now_ms()}
        )
        closed = updated or activity
        await self._ended(code, activity, closed)
        return cafe_view(closed)

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        """Another activity took the stage (or the event ended) and closed this café."""
        await self._ended(code, before, after)

    async def _ended(self, code: str, before: Activity, after: Activity) -> None:
        self.seats.ended(code, after)
        if before.status == CafeStatus.OPEN:
            log.info("café ended", extra={"event": code, "activity": after.id})
            await self._out.to_everyone(
                code, "cafe:ended", {"cafe_id": after.id, "cafe": cafe_view(after)}
            )

    # -- views --------------------------------------------------------------------------
    async def attendee_view(
        self, code: str, activity: Activity, attendee_id: str
    ) -> dict[str, Any]:
        """The café on stage for one attendee: their table while a round lasts."""
        view: dict[str, Any] = {"cafe": cafe_view(activity), "assignment": None}
        state = RoundState.from_meta(activity.meta)
        t = state.seat_of(attendee_id) if state.running(now_ms()) else None
        if t is not None and activity.status == CafeStatus.OPEN:
            event = event_code(code)
            cafe = Cafe.from_dict(activity.definition)
            cards = await self.roster.cards(event, state.tables[t])
            view["assignment"] = assignment(cafe, state, t, attendee_id, cards, event)
        return view

    async def staff_view(self, code: str, activity: Activity, presenter: bool) -> dict[str, Any]:
        """The café on stage for presenters (with the check-ins and every harvest) and
        screens: the current round's tables and the big screen's harvests."""
        cafe = Cafe.from_dict(activity.definition)
        state = RoundState.from_meta(activity.meta)
        cards = await self.roster.cards(event_code(code), state.seated())
        view: dict[str, Any] = {
            "cafe": cafe_view(activity),
            "tables": tables_view(cafe, state.tables),
            "stats": dict(state.stats),
            "people": cards,
            "spotlight": list(activity.meta.get("spotlight") or ()),
        }
        if presenter:
            answers = await self._store.list_answers(code, activity.id)
            harvests = live_harvests(answers)
            names = await self.roster.names(event_code(code), {h.author for h in harvests})
            view["joined"] = len(checked_in(answers))
            view["harvests"] = [h.view(names) for h in harvests]
        return view

    async def list_cafes(self, code: str) -> list[dict[str, Any]]:
        return [cafe_view(a) for a in await self.records.cafes(code)]

    async def attendees(self, code: str) -> list[dict[str, Any]]:
        """The event's attendees, for choosing hosts."""
        records = await self.roster.all(event_code(code))
        return [card_of(r) for r in records.values()]

    async def export(self, code: str) -> ExportSection:
        return await export_cafes(self.records, code)
