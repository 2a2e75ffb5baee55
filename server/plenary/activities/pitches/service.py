"""Pitch session use cases: create, open, put a pitch on now, name the jurors, close;
record ratings, feedback and jury scores; live ratings to the presenters; exports."""

from __future__ import annotations

import logging
from typing import Any

from plenary import ids
from plenary.activities.pitches import domain
from plenary.activities.pitches.domain import ACTIVITY_TYPE, Session, SessionStatus
from plenary.activities.pitches.limits import PitchLimits
from plenary.clock import now_ms
from plenary.coalescer import ResultsCoalescer
from plenary.errors import ErrorCode, PlenaryError, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code
from plenary.stage.stage import Stage
from plenary.store import Activity, AttendeeRecord, RecordOutcome, Store

log = logging.getLogger(__name__)

EMPTY: dict[str, dict[str, Any]] = {"ratings": {}, "feedback": {}, "jury": {}}


def public_view(session: Session, activity: Activity) -> dict[str, Any]:
    """The session as everyone sees it: the pitches, what is on now (since when, with
    which timer), the jurors, the status. No ratings: those are the presenters'."""
    meta = activity.meta
    return {
        **session.to_dict(),
        "status": activity.status,
        "now": meta.get("now"),
        "now_at": meta.get("now_at"),
        "now_timer_s": meta.get("now_timer_s"),
        "jurors": list(meta.get("jurors") or []),
        "opened_at": meta.get("opened_at"),
        "closed_at": meta.get("closed_at"),
        "state_seq": activity.state_seq,
    }


class PitchService:
    """Everything about pitch sessions, over the store's generic records."""

    def __init__(
        self,
        store: Store,
        broadcaster: Broadcaster,
        stage: Stage,
        limits: PitchLimits,
        results_window_ms: int,
    ) -> None:
        self._store = store
        self._out = broadcaster
        self._stage = stage
        self._limits = limits
        self.coalescer = ResultsCoalescer(store, results_window_ms, self.publish_ratings)

    async def stop(self) -> None:
        await self.coalescer.stop()

    async def load(self, code: str, session_id: str) -> tuple[Activity, Session]:
        activity = await self._store.get_activity(code, session_id)
        if activity is None or activity.definition.get("type") != ACTIVITY_TYPE:
            raise not_found(f"Pitch session {session_id!r}")
        return activity, Session.from_dict(activity.definition)

    async def sessions(self, code: str) -> list[tuple[Activity, Session]]:
        return [
            (a, Session.from_dict(a.definition))
            for a in await self._store.list_activities(code)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]

    # -- the presenter's ----------------------------------------------------------------
    async def create(self, code: str, spec: dict[str, Any]) -> dict[str, Any]:
        if len(await self.sessions(code)) >= self._limits.pitch_max_per_event:
            raise bad_request(f"A room holds at most {self._limits.pitch_max_per_event} sessions.")
        session = domain.build_session(ids.new_id("s"), spec, self._limits, now_ms())
        await self._store.add_activity(code, session.id, session.to_dict(), SessionStatus.DRAFT)
        activity = Activity(session.id, session.to_dict(), SessionStatus.DRAFT, {})
        view = await self.presenter_view(code, activity, session)
        await self._out.to_presenters(code, "pitch:created", {"session": view})
        return view

    async def open(self, code: str, session_id: str) -> dict[str, Any]:
        activity, session = await self.load(code, session_id)
        if activity.status == SessionStatus.OPEN:
            updated = await self._stage.take(code, session_id, None, {})
        else:
            meta = {"opened_at": now_ms(), "closed_at": None}
            updated = await self._stage.take(code, session_id, SessionStatus.OPEN, meta)
        await self._out.to_everyone(
            code, "pitch:opened", {"session": public_view(session, updated)}
        )
        return await self.presenter_view(code, updated, session)

    async def now(
        self, code: str, session_id: str, pitch_id: str, timer_s: int | None
    ) -> dict[str, Any]:
        activity, session = await self.load(code, session_id)
        if activity.status != SessionStatus.OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "Open the session before putting a pitch on.")
        session.position(pitch_id)
        seconds = domain.timer(timer_s) if timer_s is not None else session.timer_s
        meta = {"now": pitch_id, "now_at": now_ms(), "now_timer_s": seconds}
        updated = await self._store.update_activity(code, session_id, None, meta)
        view = public_view(session, updated or activity)
        await self._out.to_everyone(code, "pitch:now", {"session": view})
        return await self.presenter_view(code, updated or activity, session)

    async def timer(self, code: str, session_id: str, timer_s: int | None) -> dict[str, Any]:
        """Start the pitch on now's timer again from now (``timer_s`` seconds), or stop it
        (None): the screens count down from ``now_at``."""
        activity, session = await self.load(code, session_id)
        if activity.status != SessionStatus.OPEN or activity.meta.get("now") is None:
            raise PlenaryError(ErrorCode.NOT_OPEN, "Put a pitch on before timing it.")
        meta = {"now_at": now_ms(), "now_timer_s": domain.timer(timer_s)}
        updated = await self._store.update_activity(code, session_id, None, meta)
        view = public_view(session, updated or activity)
        await self._out.to_everyone(code, "pitch:timer", {"session": view})
        return await self.presenter_view(code, updated or activity, session)

    async def attendees(self, code: str) -> list[dict[str, Any]]:
        """The event's attendees, for naming jurors."""
        records = await self._store.list_attendees(event_code(code))
        return [
            {"id": r.id, "name": r.name, "organisation": r.organisation, "country": r.country}
            for r in records
        ]

    async def set_jurors(self, code: str, session_id: str, jurors: list[str]) -> dict[str, Any]:
        activity, session = await self.load(code, session_id)
        if len(set(jurors)) > self._limits.pitch_max_jurors:
            raise bad_request(f"A session has at most {self._limits.pitch_max_jurors} jurors.")
        known = {a.id for a in await self._store.list_attendees(event_code(code))}
        missing = sorted(set(jurors) - known)
        if missing:
            raise not_found(f"Attendee {missing[0]!r}")
        chosen = list(dict.fromkeys(jurors))
        updated = await self._store.update_activity(code, session_id, None, {"jurors": chosen})
        view = public_view(session, updated or activity)
        await self._out.to_everyone(code, "pitch:updated", {"session": view})
        return await self.presenter_view(code, updated or activity, session)

    async def close(self, code: str, session_id: str) -> dict[str, Any]:
        activity, session = await self.load(code, session_id)
        if activity.status == SessionStatus.DRAFT:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This session was never opened.")
        if activity.status == SessionStatus.OPEN:
            after = await self._store.update_activity(
                code, session_id, SessionStatus.CLOSED, {"closed_at": now_ms()}
            )
            activity = await self._closed(code, session, activity, after or activity)
        return await self.presenter_view(code, activity, session)

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        await self._closed(code, Session.from_dict(after.definition), before, after)

    async def _closed(
        self, code: str, session: Session, before: Activity, after: Activity
    ) -> Activity:
        if before.status == SessionStatus.OPEN:
            log.info("pitch session closed", extra={"event": code, "activity": session.id})
            await self._out.to_everyone(
                code, "pitch:closed", {"session": public_view(session, after)}
            )
            await self.publish_ratings(code, session.id, final=True)
        return after

    # -- the attendee's ------------------------------------------------------------------
    async def give(
        self,
        code: str,
        attendee: AttendeeRecord,
        session_id: str,
        pitch_id: str,
        vote_id: str,
        what: str,
        value: Any,
    ) -> dict[str, Any]:
        """Record a rating (``what`` = "ratings"), feedback or jury scores for a pitch
        that is on now or was on earlier; the attendee's other entries stay."""
        activity, session = await self.load(code, session_id)
        now = activity.meta.get("now")
        if activity.status != SessionStatus.OPEN or now is None:
            raise PlenaryError(ErrorCode.NOT_OPEN, "No pitch is on: nothing can be rated yet.")
        if session.position(pitch_id) > session.position(now):
            raise PlenaryError(ErrorCode.NOT_OPEN, "This pitch has not been on yet.")
        if what == "jury":
            if attendee.id not in (activity.meta.get("jurors") or []):
                raise PlenaryError(ErrorCode.FORBIDDEN, "Only the session's jurors score pitches.")
            if not session.criteria:
                raise bad_request("This session has no jury criteria.")
            entry: Any = domain.jury_scores(
                session, value.get("scores"), value.get("comment"), self._limits
            )
        elif what == "ratings":
            entry = domain.stars(value)
        else:
            entry = domain.feedback(value, self._limits)
        # One record per attendee holds all they gave the session; the attendee's messages
        # are handled one after another, so reading it and writing it back loses nothing.
        mine = await self._store.get_answer(code, session_id, attendee.id)
        record = {k: dict(v) for k, v in (mine.value if mine else EMPTY).items()}
        record.setdefault(what, {})[pitch_id] = entry
        keys = domain.rating_keys(record.get("ratings", {}))
        stored = await self._store.record_answer(
            code, session_id, attendee.id, vote_id, keys, record, now_ms()
        )
        if stored.outcome is RecordOutcome.STORED:
            if what == "ratings":
                self.coalescer.note(code, session_id, stored.version)
            return {"session_id": session_id, "pitch_id": pitch_id, what: entry}
        if stored.outcome is RecordOutcome.DUPLICATE:
            latest = await self._store.get_answer(code, session_id, attendee.id)
            given = (latest.value.get(what) or {}).get(pitch_id) if latest else None
            return {"session_id": session_id, "pitch_id": pitch_id, what: given, "duplicate": True}
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This session is closed.")
        raise not_found(f"Pitch session {session_id!r}")

    # -- ratings -------------------------------------------------------------------------
    async def ratings(self, code: str, session: Session) -> dict[str, dict[str, Any]]:
        tally = await self._store.get_tally(code, session.id)
        return domain.rating_summary(session, tally.counts)

    async def publish_ratings(self, code: str, session_id: str, final: bool = False) -> None:
        """Live average ratings and counts, to the presenters only (coalesced)."""
        activity, session = await self.load(code, session_id)
        if activity.status != SessionStatus.OPEN and not final:
            return
        tally = await self._store.get_tally(code, session_id)
        body = {
            "session_id": session_id,
            "ratings": domain.rating_summary(session, tally.counts),
            "seq": tally.version,
            "final": final,
        }
        await self._out.to_presenters(code, "pitch:ratings", body)

    # -- views ---------------------------------------------------------------------------
    async def presenter_view(
        self, code: str, activity: Activity, session: Session
    ) -> dict[str, Any]:
        answers = [a.value for a in (await self._store.list_answers(code, session.id)).values()]
        view = public_view(session, activity)
        view["ratings"] = await self.ratings(code, session)
        view["jury"] = domain.jury_summary(session, answers)
        view["feedback_count"] = {
            pid: sum(1 for a in answers if (a.get("feedback") or {}).get(pid))
            for pid in session.pitch_ids()
        }
        return view

    async def attendee_view(
        self, code: str, activity: Activity, attendee: AttendeeRecord
    ) -> dict[str, Any]:
        session = Session.from_dict(activity.definition)
        mine = await self._store.get_answer(code, session.id, attendee.id)
        view = public_view(session, activity)
        view["mine"] = mine.value if mine else EMPTY
        view["juror"] = attendee.id in view["jurors"]
        return view
