"""Where a room's Q&A lives in the store, on its generic records only:

* the room record (``qa``, type ``qa_room``, status ``open``): the settings and the
  highlighted question in its state fields; every upvote is one of its answers, by
  ``<attendee>><question>``, counted under the question id (a withdrawn upvote is the
  same answer with no counting key), so its tally is every question's votes, exact and
  idempotent across processes, and its answer version orders the vote broadcasts;
* the change log (``qa-log``, type ``qa_log``): one answer per question, replaced at
  each change of it, whose version says whether a process's copy of the questions is
  current;
* one activity per question (type ``qa_question``): its text and author as the
  definition, its status as the status, edits, replies and times as state fields, its
  ``state_seq`` as the ``rev`` clients order updates by.

None of these ever takes the stage.
"""

from __future__ import annotations

from typing import Any

from plenary.activities.qa.domain import (
    LOG_ID,
    LOG_TYPE,
    QUESTION_TYPE,
    ROOM_RECORD_ID,
    ROOM_RECORD_TYPE,
    Question,
    Settings,
)
from plenary.clock import now_ms
from plenary.errors import StoreUnavailable, not_found
from plenary.store import Activity, RecordOutcome, Store, Tally

#: The status under which the store takes answers (upvotes, log entries) for a record.
OPEN = "open"
#: Rooms whose copy of the questions a process keeps (a bound on memory, not a rule).
CACHED_ROOMS = 1024


def question_of(activity: Activity) -> Question:
    return Question.from_record(
        activity.definition, activity.status, activity.meta, activity.state_seq
    )


def voter_key(attendee_id: str, question_id: str) -> str:
    return f"{attendee_id}>{question_id}"


class QARecords:
    """A room's Q&A records, with this process's copy of each room's questions."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ready: set[str] = set()
        #: scope -> (change-log version it reflects, questions by id)
        self._questions: dict[str, tuple[int, dict[str, Question]]] = {}

    async def ensure(self, code: str) -> None:
        """Create the room's records if they are missing (any process may, at once:
        adding an activity is one step and keeps the first)."""
        if code in self._ready:
            return
        await self.store.add_activity(code, ROOM_RECORD_ID, {"type": ROOM_RECORD_TYPE}, OPEN)
        await self.store.add_activity(code, LOG_ID, {"type": LOG_TYPE}, OPEN)
        if len(self._ready) > CACHED_ROOMS:
            self._ready.clear()
        self._ready.add(code)

    async def room(self, code: str) -> Activity | None:
        return await self.store.get_activity(code, ROOM_RECORD_ID)

    async def settings(self, code: str) -> tuple[Settings, str | None]:
        """The room's settings and highlighted question id."""
        room = await self.room(code)
        meta = room.meta if room is not None else {}
        return Settings.from_meta(meta), meta.get("highlighted")

    async def set_room(self, code: str, meta: dict[str, Any]) -> Activity:
        await self.ensure(code)
        updated = await self.store.update_activity(code, ROOM_RECORD_ID, None, meta)
        if updated is None:  # the event was purged meanwhile
            raise StoreUnavailable("the room's Q&A record is gone")
        return updated

    async def votes(self, code: str) -> Tally:
        return await self.store.get_tally(code, ROOM_RECORD_ID)

    async def question(self, code: str, question_id: str) -> Question:
        activity = await self.store.get_activity(code, question_id)
        if activity is None or activity.definition.get("type") != QUESTION_TYPE:
            raise not_found(f"Question {question_id!r}")
        return question_of(activity)

    async def add(self, code: str, question: Question) -> bool:
        """Store a new question; False when its id is taken (a retry of the same ask)."""
        await self.ensure(code)
        added = await self.store.add_activity(
            code, question.id, question.definition(), question.status
        )
        if added:
            await self.logged(code, question)
        return added

    async def update(
        self, code: str, question_id: str, status: str | None, meta: dict[str, Any]
    ) -> Question:
        activity = await self.store.update_activity(code, question_id, status, meta)
        if activity is None:
            raise not_found(f"Question {question_id!r}")
        question = question_of(activity)
        await self.logged(code, question)
        return question

    async def logged(self, code: str, question: Question) -> None:
        """Note a change of ``question`` in the room's change log."""
        outcome = await self.store.record_answer(
            code, LOG_ID, question.id, f"r{question.rev}", (), question.rev, now_ms()
        )
        if outcome.outcome is RecordOutcome.MISSING:
            self._ready.discard(code)

    async def questions(self, code: str) -> dict[str, Question]:
        """Every question of the room, from this process's copy while the change log
        says it is current (a welcome costs one small read, not one per question)."""
        version = (await self.store.get_tally(code, LOG_ID)).version
        cached = self._questions.get(code)
        if cached is not None and cached[0] == version:
            return cached[1]
        found = {
            a.id: question_of(a)
            for a in await self.store.list_activities(code)
            if a.definition.get("type") == QUESTION_TYPE
        }
        if len(self._questions) >= CACHED_ROOMS:
            self._questions.clear()
        self._questions[code] = (version, found)
        return found
