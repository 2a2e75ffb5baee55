"""Poll use cases: the glue between the pure poll rules, the store and the broadcaster."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from plenary import ids
from plenary.activities.polls.domain import (
    ACTIVITY_TYPE,
    Poll,
    PollStatus,
    answer_labels,
    build_poll,
    summarise,
    validate_answer,
)
from plenary.activities.polls.limits import PollLimits
from plenary.clock import iso_utc, now_ms
from plenary.coalescer import ResultsCoalescer
from plenary.errors import ErrorCode, PlenaryError, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.stage.kinds import ExportSection
from plenary.stage.stage import Stage
from plenary.store import Activity, AnswerRecord, RecordOutcome, Store, Tally

log = logging.getLogger(__name__)

#: Parsed poll definitions kept for votes (a definition never changes once created).
POLL_CACHE_SIZE = 4096


def poll_view(activity: Activity) -> dict[str, Any]:
    """A poll as clients see it: definition plus status and state."""
    view = dict(activity.definition)
    view["status"] = activity.status
    view["revealed"] = bool(activity.meta.get("revealed", False))
    view["opened_at"] = activity.meta.get("opened_at")
    view["closed_at"] = activity.meta.get("closed_at")
    view["state_seq"] = activity.state_seq
    return view


def results_payload(poll: Poll, tally: Tally) -> dict[str, Any]:
    """``poll:results`` body (without ``ts``): summary plus the tally version as ``seq``."""
    return {
        "poll_id": poll.id,
        **summarise(poll, tally.counts, tally.total, tally.labels),
        "seq": tally.version,
    }


class PollService:
    """Create, open, close and reveal polls; record votes; broadcast results."""

    def __init__(
        self,
        store: Store,
        broadcaster: Broadcaster,
        stage: Stage,
        limits: PollLimits,
        results_window_ms: int,
    ) -> None:
        self._store = store
        self._out = broadcaster
        self._stage = stage
        self._limits = limits
        self.coalescer = ResultsCoalescer(store, results_window_ms, self.publish_results)
        self._polls: dict[tuple[str, str], Poll] = {}

    async def stop(self) -> None:
        await self.coalescer.stop()

    async def _load(self, code: str, poll_id: str) -> tuple[Activity, Poll]:
        activity = await self._store.get_activity(code, poll_id)
        if activity is None or activity.definition.get("type") != ACTIVITY_TYPE:
            raise not_found(f"Poll {poll_id!r}")
        return activity, self._remember(code, Poll.from_dict(activity.definition), activity.status)

    def _remember(self, code: str, poll: Poll, status: str = PollStatus.OPEN) -> Poll:
        if status == PollStatus.DRAFT:
            return poll  # a draft may still be edited: its definition is not final
        if len(self._polls) >= POLL_CACHE_SIZE:
            self._polls.clear()
        self._polls[(code, poll.id)] = poll
        return poll

    async def _definition(self, code: str, poll_id: str) -> Poll:
        """The poll's definition, without a store round trip once it is known here:
        a vote needs only the definition (the status is checked atomically by
        ``record_answer``)."""
        poll = self._polls.get((code, poll_id))
        if poll is None:
            _, poll = await self._load(code, poll_id)
        return poll

    async def create(
        self,
        code: str,
        question: Any,
        kind: Any,
        options: Any,
        scale: Any,
        max_words: Any = None,
    ) -> dict[str, Any]:
        existing = [
            a
            for a in await self._store.list_activities(code)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]
        if len(existing) >= self._limits.max_polls_per_event:
            raise bad_request(f"An event holds at most {self._limits.max_polls_per_event} polls.")
        poll = build_poll(
            ids.new_id("p"), question, kind, options, scale, self._limits, now_ms(), max_words
        )
        await self._store.add_activity(code, poll.id, poll.to_dict(), PollStatus.DRAFT)
        view = poll_view(Activity(poll.id, poll.to_dict(), PollStatus.DRAFT, {}))
        await self._out.to_staff(code, "poll:created", {"poll": view})
        return view

    async def update(self, code: str, poll_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit a draft: its question, kind, options, scale or max_words (fields left out
        stay as they are). Once opened a poll's definition never changes."""
        _, poll = await self._load(code, poll_id)
        current = poll.to_dict()
        kind = changes.get("kind", current["kind"])
        keep_kind = kind == current["kind"]
        edited = build_poll(
            poll.id,
            changes.get("question", current["question"]),
            kind,
            changes.get("options", [o["label"] for o in current["options"]] if keep_kind else None),
            changes.get("scale", current["scale"] if keep_kind else None),
            self._limits,
            poll.created_at,
            changes.get("max_words", current["max_words"] if keep_kind else None),
        )
        done, after = await self._store.update_definition(
            code, poll_id, edited.to_dict(), PollStatus.DRAFT
        )
        if after is None:
            raise not_found(f"Poll {poll_id!r}")
        if not done:
            raise PlenaryError(
                ErrorCode.NOT_OPEN, "Only a draft can be edited; duplicate this poll instead."
            )
        view = poll_view(after)
        await self._out.to_staff(code, "poll:updated", {"poll": view})
        return view

    async def duplicate(self, code: str, poll_id: str) -> dict[str, Any]:
        """A new draft with the same question and answers, placed right after it."""
        _, poll = await self._load(code, poll_id)
        copy = poll.to_dict()
        created = await self.create(
            code,
            copy["question"],
            copy["kind"],
            [o["label"] for o in copy["options"]] or None,
            copy["scale"],
            copy["max_words"],
        )
        order = [a.id for a in await self._store.list_activities(code) if a.id != created["id"]]
        order.insert(order.index(poll_id) + 1, created["id"])
        if await self._store.reorder_activities(code, order):
            await self._announce_order(code)
        return created

    async def delete(self, code: str, poll_id: str) -> dict[str, Any]:
        """Remove a poll that is not open, with its answers (the console confirms)."""
        activity, _ = await self._load(code, poll_id)
        if activity.status == PollStatus.OPEN:
            raise PlenaryError(ErrorCode.FORBIDDEN, "Close this poll before deleting it.")
        await self._store.delete_activity(code, poll_id)
        self._polls.pop((code, poll_id), None)
        log.info("poll deleted", extra={"event": code, "activity": poll_id})
        await self._out.to_staff(code, "poll:deleted", {"poll_id": poll_id})
        return {"poll_id": poll_id}

    async def reorder(self, code: str, order: list[str]) -> dict[str, Any]:
        """Put the room's polls in ``order`` (every poll id once); activities of other
        kinds keep their places among them."""
        activities = await self._store.list_activities(code)
        polls = [a.id for a in activities if a.definition.get("type") == ACTIVITY_TYPE]
        if len(order) != len(polls) or set(order) != set(polls):
            raise bad_request("order must list every poll id of this room exactly once.")
        placed = iter(order)
        full = [next(placed) if a.id in set(polls) else a.id for a in activities]
        if not await self._store.reorder_activities(code, full):
            raise PlenaryError(
                ErrorCode.BAD_REQUEST, "The polls changed meanwhile; reload and try again."
            )
        return {"order": await self._announce_order(code)}

    async def _announce_order(self, code: str) -> list[str]:
        order = [
            a.id
            for a in await self._store.list_activities(code)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]
        await self._out.to_staff(code, "poll:order", {"order": order})
        return order

    async def open(self, code: str, poll_id: str) -> dict[str, Any]:
        activity, _ = await self._load(code, poll_id)
        if activity.status == PollStatus.OPEN:
            # Open already: back on stage as it is (whatever took the stage is closed).
            return poll_view(await self._stage.take(code, poll_id, None, {}))
        # Taking the stage closes the activity on it, of whatever kind, atomically.
        updated = await self._stage.take(
            code, poll_id, PollStatus.OPEN, {"opened_at": now_ms(), "closed_at": None}
        )
        log.info("poll opened", extra={"event": code, "activity": poll_id})
        view = poll_view(updated)
        await self._out.to_everyone(code, "poll:opened", {"poll": view})
        await self.publish_results(code, poll_id)
        return view

    async def close(self, code: str, poll_id: str) -> dict[str, Any]:
        activity, poll = await self._load(code, poll_id)
        if activity.status == PollStatus.DRAFT:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This poll was never opened.")
        updated = activity
        if activity.status == PollStatus.OPEN:
            changed = await self._store.update_activity(
                code, poll_id, PollStatus.CLOSED, {"closed_at": now_ms()}
            )
            updated = changed or activity
        return await self._closed(code, poll, activity, updated)

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        """Another activity took the stage (or the event ended) and closed this poll."""
        poll = self._remember(code, Poll.from_dict(after.definition))
        await self._closed(code, poll, before, after)

    async def _closed(
        self, code: str, poll: Poll, before: Activity, after: Activity
    ) -> dict[str, Any]:
        """The final results of a closed poll, announced if it was open until now."""
        # Votes are refused atomically once the status is closed: this tally is final.
        tally = await self._store.get_tally(code, poll.id)
        results = results_payload(poll, tally)
        view = poll_view(after)
        if before.status == PollStatus.OPEN:
            log.info(
                "poll closed with %d answers",
                tally.total,
                extra={"event": code, "activity": poll.id},
            )
            await self._out.to_staff(
                code, "poll:closed", {"poll_id": poll.id, "poll": view, "results": results}
            )
            shown = results if view["revealed"] else None
            await self._out.to_attendees(
                code, "poll:closed", {"poll_id": poll.id, "poll": view, "results": shown}
            )
            await self._emit_results(code, after, results, final=True)
        return {"poll": view, "results": results}

    async def reveal(self, code: str, poll_id: str) -> dict[str, Any]:
        activity, poll = await self._load(code, poll_id)
        if activity.status == PollStatus.DRAFT:
            raise PlenaryError(
                ErrorCode.NOT_OPEN, "This poll was never opened; open it before revealing."
            )
        updated = await self._store.update_activity(code, poll_id, None, {"revealed": True})
        tally = await self._store.get_tally(code, poll_id)
        results = results_payload(poll, tally)
        view = poll_view(updated or activity)
        await self._out.to_everyone(
            code, "poll:revealed", {"poll_id": poll_id, "poll": view, "results": results}
        )
        return {"poll": view, "results": results}

    async def vote(
        self, code: str, attendee_id: str, poll_id: str, choice: Any, vote_id: str
    ) -> dict[str, Any]:
        poll = await self._definition(code, poll_id)
        answer = validate_answer(poll, choice, self._limits)
        stored = await self._store.record_answer(
            code, poll_id, attendee_id, vote_id, answer.keys, answer.value, now_ms(), answer.labels
        )
        if stored.outcome is RecordOutcome.STORED:
            self.coalescer.note(code, poll_id, stored.version)
            return {"poll_id": poll_id, "choice": answer.value}
        if stored.outcome is RecordOutcome.DUPLICATE:
            mine = await self._store.get_answer(code, poll_id, attendee_id)
            return {"poll_id": poll_id, "choice": mine.value if mine else None, "duplicate": True}
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This poll is not open for answers.")
        raise not_found(f"Poll {poll_id!r}")

    async def publish_results(self, code: str, poll_id: str) -> None:
        """Broadcast the current results (staff only until revealed)."""
        activity, poll = await self._load(code, poll_id)
        if activity.status == PollStatus.CLOSED:
            return  # close() already sent the final results; a late copy would look live
        tally = await self._store.get_tally(code, poll_id)
        await self._emit_results(code, activity, results_payload(poll, tally))

    async def _emit_results(
        self, code: str, activity: Activity, results: dict[str, Any], final: bool = False
    ) -> None:
        body = {**results, "final": final}
        if activity.meta.get("revealed"):
            await self._out.to_everyone(code, "poll:results", body)
        else:
            await self._out.to_staff(code, "poll:results", body)

    # -- views ----------------------------------------------------------------
    async def view_with_results(self, code: str, activity: Activity) -> dict[str, Any]:
        poll = Poll.from_dict(activity.definition)
        tally = await self._store.get_tally(code, activity.id)
        return {**poll_view(activity), "results": results_payload(poll, tally)}

    async def list_polls(self, code: str) -> list[dict[str, Any]]:
        return [
            await self.view_with_results(code, a)
            for a in await self._store.list_activities(code)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]

    async def attendee_view(
        self, code: str, activity: Activity, attendee_id: str
    ) -> dict[str, Any]:
        """The on-stage poll for one attendee: results only once revealed, plus their answer."""
        mine_read = self._store.get_answer(code, activity.id, attendee_id)
        view: dict[str, Any]
        mine: AnswerRecord | None
        if activity.meta.get("revealed"):
            # Both reads at once: one round trip in scaled mode (see store/autopipeline.py).
            view, mine = await asyncio.gather(self.view_with_results(code, activity), mine_read)
        else:
            view, mine = {**poll_view(activity), "results": None}, await mine_read
        view["my_answer"] = mine.value if mine else None
        return view

    async def export(self, code: str) -> ExportSection:
        """Every poll with its results and every answer (attendee ids, no secrets); in
        the CSV one row per answer."""
        names = {a.id: a.name for a in await self._store.list_attendees(event_code(code))}
        polls = []
        rows: list[tuple[Any, ...]] = []
        for activity in await self._store.list_activities(code):
            if activity.definition.get("type") != ACTIVITY_TYPE:
                continue
            poll = Poll.from_dict(activity.definition)
            view = await self.view_with_results(code, activity)
            answers = await self._store.list_answers(code, activity.id)
            view["answers"] = [
                {
                    "attendee_id": attendee_id,
                    "value": record.value,
                    "labels": answer_labels(poll, record.value),
                    "ts": record.ts,
                    "time_utc": iso_utc(record.ts),
                }
                for attendee_id, record in sorted(answers.items(), key=lambda kv: kv[1].ts)
            ]
            polls.append(view)
            rows.extend(
                (
                    poll.id,
                    poll.question,
                    view["kind"],
                    answer["attendee_id"],
                    names.get(answer["attendee_id"], ""),
                    "; ".join(answer["labels"]),
                    answer["ts"],
                    answer["time_utc"],
                )
                for answer in view["answers"]
            )
        return ExportSection("polls", polls, CSV_COLUMNS, rows)


CSV_COLUMNS = (
    "poll_id",
    "question",
    "kind",
    "attendee_id",
    "attendee_name",
    "answer",
    "ts",
    "time_utc",
)
