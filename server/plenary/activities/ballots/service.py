"""Award ballot use cases (the presenter's, the counts and broadcasts; the voter's are
in :mod:`voting`): the glue between the pure ballot rules, the store, the stage
and the broadcaster. The seal is kept by what goes where: the turnout to everyone, the
count to presenters only and only for a ``live`` ballot, the result to everyone at the
reveal (docs/ballots.md)."""

from __future__ import annotations

import logging
from typing import Any

from plenary import ids
from plenary.activities.ballots import views
from plenary.activities.ballots.counting import count
from plenary.activities.ballots.definition import (
    ACTIVITY_TYPE,
    Ballot,
    BallotStatus,
    build_ballot,
)
from plenary.activities.ballots.eligibility import code_ticket, parse_roll
from plenary.activities.ballots.limits import BallotLimits
from plenary.clock import now_ms
from plenary.coalescer import ResultsCoalescer
from plenary.errors import ErrorCode, PlenaryError, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.stage.stage import Stage
from plenary.store import Activity, Store

log = logging.getLogger(__name__)

#: Parsed definitions (and first opening times) kept for votes; both never change.
CACHE_SIZE = 1024


class BallotService:
    """Create, open, close and reveal award ballots; record ballots; publish turnout."""

    def __init__(
        self,
        store: Store,
        broadcaster: Broadcaster,
        stage: Stage,
        limits: BallotLimits,
        results_window_ms: int,
    ) -> None:
        self._store = store
        self._out = broadcaster
        self._stage = stage
        self._limits = limits
        self.coalescer = ResultsCoalescer(store, results_window_ms, self.publish_turnout)
        self._known: dict[tuple[str, str], tuple[Ballot, int | None]] = {}

    @property
    def store(self) -> Store:
        return self._store

    async def stop(self) -> None:
        await self.coalescer.stop()

    # -- loading --------------------------------------------------------------
    async def load(self, code: str, ballot_id: str) -> tuple[Activity, Ballot]:
        activity = await self._store.get_activity(code, ballot_id)
        if activity is None or activity.definition.get("type") != ACTIVITY_TYPE:
            raise not_found(f"Ballot {ballot_id!r}")
        ballot = Ballot.from_dict(activity.definition)
        if len(self._known) >= CACHE_SIZE:
            self._known.clear()
        self._known[(code, ballot_id)] = (ballot, activity.meta.get(views.OPENED_AT))
        return activity, ballot

    async def for_votes(self, code: str, ballot_id: str) -> tuple[Ballot, int | None]:
        """The definition and first opening time, without a store read once both are
        known here (the status is checked atomically by ``record_answer``)."""
        known = self._known.get((code, ballot_id))
        if known is None or known[1] is None:
            await self.load(code, ballot_id)
            known = self._known[(code, ballot_id)]
        return known

    async def ballots(self, code: str) -> list[tuple[Activity, Ballot]]:
        return [
            (a, Ballot.from_dict(a.definition))
            for a in await self._store.list_activities(code)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]

    # -- the presenter's use cases ---------------------------------------------
    async def create(self, code: str, spec: dict[str, Any]) -> dict[str, Any]:
        if len(await self.ballots(code)) >= self._limits.ballot_max_per_event:
            raise bad_request(f"A room holds at most {self._limits.ballot_max_per_event} ballots.")
        ballot = build_ballot(ids.new_id("b"), spec, self._limits, now_ms(), ids.new_secret())
        wanted = {c.attendee_id for c in ballot.candidates if c.attendee_id}
        if wanted:
            known = {a.id for a in await self._store.list_attendees(event_code(code))}
            missing = sorted(wanted - known)
            if missing:
                raise not_found(f"Attendee {missing[0]!r}")
        await self._store.add_activity(code, ballot.id, ballot.to_dict(), BallotStatus.DRAFT)
        activity = Activity(ballot.id, ballot.to_dict(), BallotStatus.DRAFT, {})
        view = await self.presenter_view(code, activity, ballot)
        await self._out.to_presenters(code, "ballot:created", {"ballot": view})
        return view

    async def add_roll(self, code: str, ballot_id: str, csv_text: str) -> dict[str, Any]:
        activity, ballot = await self.load(code, ballot_id)
        if not ballot.eligibility.voter_roll:
            raise bad_request("This ballot has no voter roll (eligibility.voter_roll is false).")
        if activity.status == BallotStatus.CLOSED:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This ballot is closed.")
        codes = parse_roll(csv_text, self._limits.ballot_max_code_len)
        tickets = [code_ticket(ballot.id, c) for c in codes]
        most = self._limits.ballot_max_roll
        total = await self._store.add_tickets(code, ballot.id, tickets, most)
        if total is None:
            raise bad_request(
                f"A voter roll holds at most {most} codes; this upload would exceed it."
            )
        _, held = await self._store.count_tickets(code, ballot.id)
        return {
            "ballot_id": ballot.id,
            "roll": {"codes": total, "claimed": held},
            "read": len(codes),
        }

    async def open(self, code: str, ballot_id: str) -> dict[str, Any]:
        activity, ballot = await self.load(code, ballot_id)
        if views.revealed(activity) or activity.meta.get(views.REVEAL_FROM) is not None:
            raise bad_request("This ballot's result was revealed; it cannot be reopened.")
        if activity.status == BallotStatus.OPEN:
            updated = await self._stage.take(code, ballot_id, None, {})
        else:
            # The first opening time stays: "joined before the ballot opened" means the
            # first one, whatever happened after.
            first = activity.meta.get(views.OPENED_AT) or now_ms()
            meta = {views.OPENED_AT: first, views.CLOSED_AT: None, views.RESULT: None}
            updated = await self._stage.take(code, ballot_id, BallotStatus.OPEN, meta)
            log.info("ballot opened", extra={"event": code, "activity": ballot_id})
        self._known[(code, ballot_id)] = (ballot, updated.meta.get(views.OPENED_AT))
        turnout = await self.turnout(code, ballot_id)
        await self._out.to_everyone(
            code, "ballot:opened", {"ballot": views.public_view(ballot, updated, turnout)}
        )
        return await self.presenter_view(code, updated, ballot)

    async def close(self, code: str, ballot_id: str) -> dict[str, Any]:
        activity, ballot = await self.load(code, ballot_id)
        if activity.status == BallotStatus.DRAFT:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This ballot was never opened.")
        if activity.status == BallotStatus.OPEN:
            after = await self._store.update_activity(
                code, ballot_id, BallotStatus.CLOSED, {views.CLOSED_AT: now_ms()}
            )
            activity = await self._closed(code, ballot, activity, after or activity)
        return await self.presenter_view(code, activity, ballot)

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        """Another activity took the stage (or the event ended) and closed this ballot."""
        await self._closed(code, Ballot.from_dict(after.definition), before, after)

    async def _closed(
        self, code: str, ballot: Ballot, before: Activity, after: Activity
    ) -> Activity:
        """Announce the close of a ballot that was open. Its ballots are refused
        atomically from the status change on, so the count is final from now; it is
        recorded with the first reveal step (one state change, one broadcast)."""
        if before.status == BallotStatus.OPEN:
            turnout = await self.turnout(code, ballot.id)
            log.info(
                "ballot closed with %d ballots",
                turnout,
                extra={"event": code, "activity": ballot.id},
            )
            public = views.public_view(ballot, after, turnout)
            await self._out.to_everyone(code, "ballot:closed", {"ballot": public})
            if ballot.live:
                result = await self.count_now(code, ballot)
                body = {"ballot_id": ballot.id, "result": result, "final": True}
                await self._out.to_presenters(code, "ballot:results", body)
        return after

    async def reveal(self, code: str, ballot_id: str, places: int | None) -> dict[str, Any]:
        activity, ballot = await self.load(code, ballot_id)
        if activity.status != BallotStatus.CLOSED:
            raise PlenaryError(
                ErrorCode.NOT_OPEN, "Close the ballot first: a result is revealed once voting ends."
            )
        n = len(ballot.candidates)
        if places is not None and not 1 <= places <= n:
            raise bad_request(f"places must be a whole number from 1 to {n}.")
        meta: dict[str, Any] = {}
        if not isinstance(activity.meta.get(views.RESULT), dict):
            meta[views.RESULT] = await self.count_now(code, ballot)
        shown = activity.meta.get(views.REVEAL_FROM)
        position = 1 if places is None else places
        meta[views.REVEAL_FROM] = position if shown is None else min(shown, position)
        start = activity.meta.get(views.REVEAL_START)
        meta[views.REVEAL_START] = position if start is None else max(start, position)
        # On stage for the reveal (the big screen shows it), closing whatever runs there.
        updated = await self._stage.take(code, ballot_id, None, meta)
        turnout = await self.turnout(code, ballot_id)
        public = views.public_view(ballot, updated, turnout)
        await self._out.to_everyone(code, "ballot:revealed", {"ballot": public})
        return await self.presenter_view(code, updated, ballot)

    async def published(self, code: str, ballot_id: str) -> dict[str, Any]:
        """Every ballot counted, anonymised (receipt and choice), once the whole result
        is revealed: a voter checks that their receipt is in it."""
        activity, ballot = await self.load(code, ballot_id)
        if not views.revealed(activity):
            raise PlenaryError(
                ErrorCode.NOT_OPEN, "The ballots are published once the whole result is revealed."
            )
        return {"ballot_id": ballot.id, "cast": await self.cast_list(code, ballot.id)}

    # -- counts and broadcasts -------------------------------------------------
    async def cast_list(self, code: str, ballot_id: str) -> list[dict[str, Any]]:
        """The ballots counted, anonymised, sorted by receipt (so that their order says
        nothing about who voted when)."""
        answers = await self._store.list_answers(code, ballot_id)
        cast = [
            {"receipt": a.value["receipt"], "choice": a.value["choice"]} for a in answers.values()
        ]
        return sorted(cast, key=lambda entry: str(entry["receipt"]))

    async def count_now(self, code: str, ballot: Ballot) -> dict[str, Any]:
        """The result of the ballots stored now."""
        cast = await self.cast_list(code, ballot.id)
        counted = count(ballot.method, ballot.candidate_ids(), [c["choice"] for c in cast])
        return {"ballot_id": ballot.id, **counted}

    async def roll_size(self, code: str, ballot_id: str) -> tuple[int, int]:
        """The voter roll's codes, and how many are claimed."""
        return await self._store.count_tickets(code, ballot_id)

    async def turnout(self, code: str, ballot_id: str) -> int:
        return (await self._store.get_tally(code, ballot_id)).total

    async def publish_turnout(self, code: str, ballot_id: str) -> None:
        """Broadcast the turnout to everyone, and for a live ballot the count to the
        presenters (coalesced: at most once per window)."""
        activity, ballot = await self.load(code, ballot_id)
        if activity.status != BallotStatus.OPEN:
            return  # the close sent the final state; a late copy would look live
        tally = await self._store.get_tally(code, ballot_id)
        body = {"ballot_id": ballot_id, "turnout": tally.total, "seq": tally.version}
        await self._out.to_everyone(code, "ballot:turnout", body)
        if ballot.live:
            result = await self.count_now(code, ballot)
            live = {"ballot_id": ballot_id, "result": result, "seq": tally.version, "final": False}
            await self._out.to_presenters(code, "ballot:results", live)

    # -- views ----------------------------------------------------------------
    async def presenter_view(self, code: str, activity: Activity, ballot: Ballot) -> dict[str, Any]:
        live = None
        if ballot.live and not isinstance(activity.meta.get(views.RESULT), dict):
            live = await self.count_now(code, ballot)
        roll = None
        if ballot.eligibility.voter_roll:
            roll = await self._store.count_tickets(code, ballot.id)
        turnout = await self.turnout(code, ballot.id)
        return views.presenter_view(ballot, activity, turnout, live, roll)

    async def public_view(self, code: str, activity: Activity) -> dict[str, Any]:
        ballot = Ballot.from_dict(activity.definition)
        return views.public_view(ballot, activity, await self.turnout(code, activity.id))
