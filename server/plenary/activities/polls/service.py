"""Poll use cases: the glue between the pure poll rules, the store and the broadcaster."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from plenary import ids
from plenary.activities.polls.domain import (
    ACTIVITY_TYPE,
    TEXT_KINDS,
    Poll,
    PollStatus,
    answer_labels,
    build_poll,
    validate_answer,
)
from plenary.activities.polls.limits import PollLimits
from plenary.activities.polls.moderation import (
    Moderation,
    decision_meta,
    entry_key,
    settings_meta,
    summaries,
)
from plenary.clock import iso_utc, now_ms
from plenary.coalescer import ResultsCoalescer
from plenary.errors import ErrorCode, PlenaryError, StoreUnavailable, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.singleflight import SingleFlight
from plenary.stage.kinds import ExportSection
from plenary.stage.stage import Stage
from plenary.store import Activity, AnswerRecord, RecordOutcome, Store, Tally

log = logging.getLogger(__name__)

#: Parsed poll definitions kept for votes (a definition never changes once created).
POLL_CACHE_SIZE = 4096


def poll_view(activity: Activity, presenter: bool = False) -> dict[str, Any]:
    """A poll as clients see it: definition plus status and state. ``screen_live``: the
    big screen shows live results before the reveal; for word clouds and open text,
    ``moderation`` and ``filter`` (and for presenters ``blocked_words``)."""
    meta = activity.meta
    view = dict(activity.definition)
    view["status"] = activity.status
    view["revealed"] = bool(meta.get("revealed", False))
    view["screen_live"] = bool(meta.get("screen_live", False))
    view["opened_at"] = meta.get("opened_at")
    view["closed_at"] = meta.get("closed_at")
    view["state_seq"] = activity.state_seq
    if view.get("kind") in TEXT_KINDS:
        moderation = Moderation.from_meta(meta)
        view["moderation"] = str(moderation.mode)
        view["filter"] = moderation.filter
        if presenter:
            view["blocked_words"] = list(moderation.blocked_words)
    return view


def results_payloads(
    poll: Poll, tally: Tally, activity: Activity
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``poll:results`` bodies (without ``ts``) for presenters and for everyone else
    (the same object when moderation keeps nothing from view): the summary plus ``seq``,
    the answer version plus the moderation version (see moderation.py)."""
    moderation = Moderation.from_meta(activity.meta)
    staff, public = summaries(poll, tally.counts, tally.total, tally.labels, moderation)
    seq = tally.version + moderation.seq
    head = {"poll_id": poll.id}
    presenters = {**head, **staff, "seq": seq}
    if public is staff:
        return presenters, presenters
    return presenters, {**head, **public, "seq": seq}


def results_payload(poll: Poll, tally: Tally, activity: Activity | None = None) -> dict[str, Any]:
    """The results as presenters see them (every entry, with its status)."""
    return results_payloads(poll, tally, activity or Activity(poll.id, {}, ""))[0]


def screen_sees_results(activity: Activity) -> bool:
    """Reveal governs the big screen: results once revealed, or live when the poll's
    screen switch is on."""
    return bool(activity.meta.get("revealed") or activity.meta.get("screen_live"))


class Audience(StrEnum):
    PRESENTERS = "presenters"
    SCREENS = "screens"
    ATTENDEES = "attendees"


#: A message for each audience; SKIP: that audience gets none.
SKIP: dict[str, Any] = {}
#: Tries of a compare-and-set of a poll's state fields against concurrent changes.
CAS_TRIES = 100


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
        self._loads: SingleFlight[tuple[str, str], tuple[Activity, Poll]] = SingleFlight()

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
        ``record_answer``); one read for a burst of votes that finds it unknown."""
        poll = self._polls.get((code, poll_id))
        if poll is None:
            _, poll = await self._loads.run((code, poll_id), lambda: self._load(code, poll_id))
        return poll

    async def create(
        self,
        code: str,
        question: Any,
        kind: Any,
        options: Any,
        scale: Any,
        max_words: Any = None,
        settings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new draft; ``settings`` (optional): ``screen_live``, and for word clouds and
        open text ``moderation``, ``filter``, ``blocked_words``."""
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
        meta = self._settings_of(poll, Moderation(), False, settings or {})
        await self._store.add_activity(code, poll.id, poll.to_dict(), PollStatus.DRAFT)
        activity = Activity(poll.id, poll.to_dict(), PollStatus.DRAFT, {})
        if meta:
            activity = await self._store.update_activity(code, poll.id, None, meta) or activity
        await self._announce(code, "poll:created", activity)
        return poll_view(activity, presenter=True)

    @staticmethod
    def _settings_of(
        poll: Poll, current: Moderation, live: bool, settings: dict[str, Any]
    ) -> dict[str, Any]:
        """The state fields for new ``settings`` of ``poll`` (wire names: ``screen_live``,
        ``moderation``, ``filter``, ``blocked_words``; None: unchanged), checked; {}: no
        change."""
        unknown = set(settings) - {"screen_live", "moderation", "filter", "blocked_words"}
        if unknown:
            raise bad_request(f"unknown poll settings: {', '.join(sorted(unknown))}.")
        meta: dict[str, Any] = {}
        want_live = settings.get("screen_live")
        if want_live is not None:
            if not isinstance(want_live, bool):
                raise bad_request("screen_live must be true or false.")
            if want_live != live:
                meta["screen_live"] = want_live
        mode, filter_on, words = (
            settings.get(k) for k in ("moderation", "filter", "blocked_words")
        )
        if (mode, filter_on, words) != (None, None, None):
            if poll.kind not in TEXT_KINDS:
                raise bad_request("Only word clouds and open text are moderated.")
            meta.update(settings_meta(current, mode, filter_on, words))
        return meta

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
        await self._announce(code, "poll:updated", after)
        return poll_view(after, presenter=True)

    async def duplicate(self, code: str, poll_id: str) -> dict[str, Any]:
        """A new draft with the same question, answers and settings (not the decisions
        on entries), placed right after it."""
        activity, poll = await self._load(code, poll_id)
        copy = poll.to_dict()
        settings: dict[str, Any] = {}
        if activity.meta.get("screen_live"):
            settings["screen_live"] = True
        if poll.kind in TEXT_KINDS:
            moderation = Moderation.from_meta(activity.meta)
            settings.update(
                moderation=str(moderation.mode),
                filter=moderation.filter,
                blocked_words=list(moderation.blocked_words),
            )
        created = await self.create(
            code,
            copy["question"],
            copy["kind"],
            [o["label"] for o in copy["options"]] or None,
            copy["scale"],
            copy["max_words"],
            settings,
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
        on_stage = await self._store.get_current(code) == poll_id
        await self._store.delete_activity(code, poll_id)
        self._polls.pop((code, poll_id), None)
        log.info("poll deleted", extra={"event": code, "activity": poll_id})
        # Attendees hear of it only when it was the one shown to them (closed on stage).
        send = self._out.to_everyone if on_stage else self._out.to_staff
        await send(code, "poll:deleted", {"poll_id": poll_id})
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
            return poll_view(await self._stage.take(code, poll_id, None, {}), presenter=True)
        # Taking the stage closes the activity on it, of whatever kind, atomically.
        updated = await self._stage.take(
            code, poll_id, PollStatus.OPEN, {"opened_at": now_ms(), "closed_at": None}
        )
        log.info("poll opened", extra={"event": code, "activity": poll_id})
        view = poll_view(updated)
        mine = poll_view(updated, presenter=True)
        await self._send(code, "poll:opened", {"poll": mine}, {"poll": view}, {"poll": view})
        await self.publish_results(code, poll_id)
        return mine

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
        staff, public = results_payloads(poll, tally, after)
        mine = poll_view(after, presenter=True)
        if before.status == PollStatus.OPEN:
            log.info(
                "poll closed with %d answers",
                tally.total,
                extra={"event": code, "activity": poll.id},
            )
            view = poll_view(after)
            head = {"poll_id": poll.id, "poll": view}
            await self._send(
                code,
                "poll:closed",
                {"poll_id": poll.id, "poll": mine, "results": staff},
                {**head, "results": public if screen_sees_results(after) else None},
                {**head, "results": public if view["revealed"] else None},
            )
            await self._emit_results(code, after, staff, public, final=True)
        return {"poll": mine, "results": staff}

    async def reveal(self, code: str, poll_id: str) -> dict[str, Any]:
        activity, poll = await self._load(code, poll_id)
        if activity.status == PollStatus.DRAFT:
            raise PlenaryError(
                ErrorCode.NOT_OPEN, "This poll was never opened; open it before revealing."
            )
        updated = await self._store.update_activity(code, poll_id, None, {"revealed": True})
        # The tally, then the state: results never lag a moderation decision they
        # carry the seq of (see moderation.py).
        tally = await self._store.get_tally(code, poll_id)
        fresh = await self._store.get_activity(code, poll_id) or updated or activity
        staff, public = results_payloads(poll, tally, fresh)
        mine = poll_view(fresh, presenter=True)
        view = poll_view(fresh)
        await self._send(
            code,
            "poll:revealed",
            {"poll_id": poll_id, "poll": mine, "results": staff},
            {"poll_id": poll_id, "poll": view, "results": public},
            {"poll_id": poll_id, "poll": view, "results": public},
        )
        return {"poll": mine, "results": staff}

    # -- the big screen and moderation ----------------------------------------------------
    async def set_screen(self, code: str, poll_id: str, live: bool) -> dict[str, Any]:
        """The poll's screen switch: whether the big screen shows live results before
        the reveal (presenters always see them)."""
        activity, poll, changed = await self._change(
            code,
            poll_id,
            lambda a, p: self._settings_of(
                p, Moderation(), bool(a.meta.get("screen_live")), {"screen_live": live}
            ),
        )
        if changed:
            await self._announce(code, "poll:updated", activity)
            if live and activity.status != PollStatus.DRAFT and not activity.meta.get("revealed"):
                # The screens saw no results until now: the current ones, at once.
                tally, fresh, poll = await self._snapshot(code, poll_id)
                if fresh.meta.get("screen_live"):
                    _, public = results_payloads(poll, tally, fresh)
                    final = fresh.status == PollStatus.CLOSED
                    await self._out.to_screens(code, "poll:results", {**public, "final": final})
        return {"poll": poll_view(activity, presenter=True)}

    async def set_moderation(
        self, code: str, poll_id: str, settings: dict[str, Any]
    ) -> dict[str, Any]:
        """A word cloud's or open-text poll's moderation settings: ``moderation``
        (``off``: entries show at once, ``pre``: they wait for approval), ``filter`` (the
        built-in word lists) and ``blocked_words`` (the poll's own)."""
        activity, poll, changed = await self._change(
            code,
            poll_id,
            lambda a, p: self._settings_of(
                p, Moderation.from_meta(a.meta), bool(a.meta.get("screen_live")), settings
            ),
        )
        if not changed and poll.kind not in TEXT_KINDS:
            raise bad_request("Only word clouds and open text are moderated.")
        results = await self._moderated(code, poll_id, activity, changed)
        return {"poll": poll_view(activity, presenter=True), "results": results}

    async def moderate(self, code: str, poll_id: str, entry: Any, action: Any) -> dict[str, Any]:
        """A presenter's decision on one entry (its counting key): ``approve``,
        ``hide`` or ``show``. Works in every mode; a hidden entry leaves every screen
        and attendee view at once and stays in the export with its status."""
        key = entry_key(entry)

        def decide(activity: Activity, poll: Poll) -> dict[str, Any]:
            if poll.kind not in TEXT_KINDS:
                raise bad_request("Only word clouds and open text are moderated.")
            return decision_meta(Moderation.from_meta(activity.meta), key, action)

        activity, _, changed = await self._change(code, poll_id, decide)
        results = await self._moderated(code, poll_id, activity, changed)
        moderation = Moderation.from_meta(activity.meta)
        return {
            "poll_id": poll_id,
            "entry": key,
            "status": str(moderation.status(key, moderation.blocklist())),
            "poll": poll_view(activity, presenter=True),
            "results": results,
        }

    async def _moderated(
        self, code: str, poll_id: str, activity: Activity, changed: bool
    ) -> dict[str, Any]:
        """After a change of what may be seen: the poll to everyone who may know it, and
        the results to everyone who sees them. Returns the presenters' results."""
        if changed:
            await self._announce(code, "poll:updated", activity)
        tally, fresh, poll = await self._snapshot(code, poll_id)
        staff, public = results_payloads(poll, tally, fresh)
        if changed and fresh.status != PollStatus.DRAFT:
            final = fresh.status == PollStatus.CLOSED
            await self._emit_results(code, fresh, staff, public, final=final)
        return staff

    async def _change(
        self,
        code: str,
        poll_id: str,
        build: Callable[[Activity, Poll], dict[str, Any]],
    ) -> tuple[Activity, Poll, bool]:
        """Merge ``build(activity, poll)`` into the poll's state fields with a
        compare-and-set on its ``state_seq``, reading again when another change came
        first. Returns the activity after, the poll, and whether anything changed."""
        for attempt in range(CAS_TRIES):
            if attempt:
                # Another change came first: read again, after a short random pause so
                # that a burst of decisions does not keep colliding.
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
            activity, poll = await self._load(code, poll_id)
            meta = build(activity, poll)
            if not meta:
                return activity, poll, False
            updated = await self._store.update_activity(
                code, poll_id, None, meta, if_seq=activity.state_seq
            )
            if updated is not None:
                return updated, poll, True
        raise StoreUnavailable("The poll changed too often meanwhile; try again.")

    async def _snapshot(self, code: str, poll_id: str) -> tuple[Tally, Activity, Poll]:
        """The tally, then the poll: read in this order, results built from them never
        carry a newer ``seq`` than what they show (see moderation.py)."""
        tally = await self._store.get_tally(code, poll_id)
        activity, poll = await self._load(code, poll_id)
        return tally, activity, poll

    # -- answers and results ------------------------------------------------------------
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
        """Broadcast the current results: presenters always, screens when the switch
        is on, everyone once revealed."""
        tally, activity, poll = await self._snapshot(code, poll_id)
        if activity.status == PollStatus.CLOSED:
            return  # close() already sent the final results; a late copy would look live
        staff, public = results_payloads(poll, tally, activity)
        await self._emit_results(code, activity, staff, public)

    async def _emit_results(
        self,
        code: str,
        activity: Activity,
        staff: dict[str, Any],
        public: dict[str, Any],
        final: bool = False,
    ) -> None:
        shown = {**public, "final": final}
        await self._send(
            code,
            "poll:results",
            shown if staff is public else {**staff, "final": final},
            shown if screen_sees_results(activity) else SKIP,
            shown if activity.meta.get("revealed") else SKIP,
        )

    async def _announce(self, code: str, event: str, activity: Activity) -> None:
        """The poll to presenters (with what only they see) and screens; once opened,
        also to attendees (their copy must follow every ``state_seq``)."""
        view = {"poll": poll_view(activity)}
        draft = activity.status == PollStatus.DRAFT
        await self._send(
            code,
            event,
            {"poll": poll_view(activity, presenter=True)},
            view,
            SKIP if draft else view,
        )

    async def _send(
        self,
        code: str,
        event: str,
        presenters: dict[str, Any],
        screens: dict[str, Any],
        attendees: dict[str, Any],
    ) -> None:
        """One message per audience (:data:`SKIP`: none), in as few emits as the
        messages allow (the same to presenters and screens: one to the staff)."""
        if presenters is not SKIP and presenters == screens:
            if screens == attendees:
                await self._out.to_everyone(code, event, presenters)
                return
            await self._out.to_staff(code, event, presenters)
        else:
            if presenters is not SKIP:
                await self._out.to_presenters(code, event, presenters)
            if screens is not SKIP:
                await self._out.to_screens(code, event, screens)
        if attendees is not SKIP:
            await self._out.to_attendees(code, event, attendees)

    # -- views ----------------------------------------------------------------
    async def view_with_results(
        self, code: str, activity: Activity, audience: Audience = Audience.PRESENTERS
    ) -> dict[str, Any]:
        """The poll with its results as ``audience`` sees them (``null`` for a screen
        before the reveal, unless the screen switch is on)."""
        presenter = audience is Audience.PRESENTERS
        if audience is Audience.SCREENS and not screen_sees_results(activity):
            return {**poll_view(activity), "results": None}
        poll = Poll.from_dict(activity.definition)
        tally = await self._store.get_tally(code, activity.id)
        if poll.kind in TEXT_KINDS:
            # Moderation state as new as the tally, at least (see moderation.py).
            activity = await self._store.get_activity(code, activity.id) or activity
        staff, public = results_payloads(poll, tally, activity)
        return {**poll_view(activity, presenter), "results": staff if presenter else public}

    async def list_polls(
        self, code: str, audience: Audience = Audience.PRESENTERS
    ) -> list[dict[str, Any]]:
        return [
            await self.view_with_results(code, a, audience)
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
            view, mine = await asyncio.gather(
                self.view_with_results(code, activity, Audience.ATTENDEES), mine_read
            )
        else:
            view, mine = {**poll_view(activity), "results": None}, await mine_read
        view["my_answer"] = mine.value if mine else None
        return view

    async def export(self, code: str) -> ExportSection:
        """Every poll with its results and every answer (attendee ids, no secrets); in
        the CSV one row per answer. Word clouds and open text: each answer's entries
        with their moderation status (``statuses``, in the order of ``labels``)."""
        names = {a.id: a.name for a in await self._store.list_attendees(event_code(code))}
        polls = []
        rows: list[tuple[Any, ...]] = []
        for activity in await self._store.list_activities(code):
            if activity.definition.get("type") != ACTIVITY_TYPE:
                continue
            poll = Poll.from_dict(activity.definition)
            view = await self.view_with_results(code, activity)
            answers = await self._store.list_answers(code, activity.id)
            moderation = Moderation.from_meta(activity.meta)
            blocked = moderation.blocklist()
            view["answers"] = []
            for attendee_id, record in sorted(answers.items(), key=lambda kv: kv[1].ts):
                answer: dict[str, Any] = {
                    "attendee_id": attendee_id,
                    "value": record.value,
                    "labels": answer_labels(poll, record.value),
                    "ts": record.ts,
                    "time_utc": iso_utc(record.ts),
                }
                if poll.kind in TEXT_KINDS:
                    answer["statuses"] = [
                        str(moderation.status(key, blocked)) for key in record.keys
                    ]
                view["answers"].append(answer)
            polls.append(view)
            rows.extend(
                (
                    poll.id,
                    poll.question,
                    view["kind"],
                    answer["attendee_id"],
                    names.get(answer["attendee_id"], ""),
                    "; ".join(answer["labels"]),
                    "; ".join(answer.get("statuses", ())),
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
    "status",
    "ts",
    "time_utc",
)
