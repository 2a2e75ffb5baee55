"""Taking quiz answers: one per player per question, timed by the server, never changed.

The path of an answer, in order:

1. the question must have opened: its opening time is read from the store once per
   process and kept (it never changes), so the answer costs no read of the quiz (a
   process new to the quiz learns it from the read of its definition);
2. the choice is checked (``bad_choice``, ``too_long``);
3. ``elapsed`` = arrival - opening, both server times; past the deadline plus the
   grace (``quiz_answer_grace_ms``) the answer is ``too_late``;
4. the store records it atomically under the player's slot for that question, with the
   question's id as the ``vote_id`` and ``question:<id>`` as the status that takes
   answers. So the first answer stands: any later one for the slot is a store
   duplicate, which is ``ok`` with ``duplicate: true`` when it has the first one's
   ``answer_id`` (a retry) and ``already_answered`` otherwise; and once the question
   has closed (the status moved on), nothing more is stored (``too_late``).

Then the live answer count goes to the staff, coalesced like poll results (at most one
message per window across processes); the process sending it also closes the question
once every attendee online has answered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from plenary.activities.quiz.answers import check_choice
from plenary.activities.quiz.board import answer_slot, given_answer, stored_value
from plenary.activities.quiz.deadlines import Deadlines
from plenary.activities.quiz.domain import Question, Quiz
from plenary.activities.quiz.limits import QuizLimits
from plenary.activities.quiz.scoring import answer_elapsed
from plenary.activities.quiz.views import Phase, phase_of, question_status
from plenary.activities.quiz.views import opened_at as opened_in
from plenary.clock import now_ms
from plenary.coalescer import ResultsCoalescer
from plenary.errors import ErrorCode, PlenaryError, StoreUnavailable, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import event_code, room_of
from plenary.singleflight import SingleFlight
from plenary.store import Activity, RecordOutcome, Store

log = logging.getLogger(__name__)

#: Opening times kept per process (one per question ever opened here).
MAX_OPENED = 8192

Definition = Callable[[str, str], Awaitable[Quiz]]
Close = Callable[[str, str, str], Awaitable[object]]


def too_late(question: Question) -> PlenaryError:
    return PlenaryError(
        ErrorCode.TOO_LATE,
        f"Time is up for this question ({question.time_limit_s} s): the answer was not counted.",
    )


class Answering:
    """Records answers and tells the staff how many came."""

    def __init__(
        self,
        store: Store,
        broadcaster: Broadcaster,
        limits: QuizLimits,
        window_ms: int,
        definition: Definition,
        deadlines: Deadlines,
        close: Close,
    ) -> None:
        self._store = store
        self._out = broadcaster
        self._limits = limits
        self._definition = definition
        self._deadlines = deadlines
        self._close = close
        self._opened: dict[tuple[str, str, str], int] = {}
        self._reads: SingleFlight[tuple[str, str, str], int | None] = SingleFlight()
        self.counter = ResultsCoalescer(store, window_ms, self.publish_count)

    def opened(self, scope: str, quiz: Quiz, question: Question, at_ms: int) -> None:
        """This process opened the question: remember when, and arm its deadline."""
        self._remember(scope, quiz.id, question.id, at_ms)
        grace = self._limits.quiz_answer_grace_ms
        self._deadlines.arm(scope, quiz.id, question.id, at_ms + question.limit_ms + grace)

    def _remember(self, scope: str, quiz_id: str, question_id: str, at_ms: int) -> None:
        if len(self._opened) >= MAX_OPENED:
            self._opened.clear()
        self._opened[(scope, quiz_id, question_id)] = at_ms

    async def read_opened(self, scope: str, quiz: Quiz, question: Question) -> int | None:
        """When the question opened, for a process that does not know it yet (one store
        read for a burst of answers); None if it has not. A process that learns of an
        open question here arms its deadline too, so the question closes on time even
        if the process that opened it is gone."""
        key = (scope, quiz.id, question.id)
        return await self._reads.run(key, lambda: self._read_opened(scope, quiz, question))

    async def _read_opened(self, scope: str, quiz: Quiz, question: Question) -> int | None:
        activity = await self._store.get_activity(scope, quiz.id)
        if activity is None:
            return None
        self.learn(scope, quiz, activity)
        found = opened_in(activity, question.id)
        if found is not None:  # opened, and maybe closed since: too late, then
            self._remember(scope, quiz.id, question.id, found)
        return found

    def learn(self, scope: str, quiz: Quiz, activity: Activity) -> None:
        """What any read of the quiz says of its open question: when it opened (kept)
        and its deadline (armed). The read of the definition that a burst's first answer
        makes on a process new to the quiz so tells the opening time too: a second read,
        that the whole burst would wait for again, is not needed."""
        phase, current = phase_of(activity.status)
        if phase is not Phase.QUESTION or current is None:
            return
        question = quiz.question(current)
        found = opened_in(activity, current)
        if question is None or found is None or (scope, quiz.id, question.id) in self._opened:
            return
        self.opened(scope, quiz, question, found)

    async def answer(
        self,
        scope: str,
        attendee_id: str,
        quiz_id: str,
        question_id: str,
        choice: Any,
        answer_id: str,
    ) -> dict[str, Any]:
        arrived = now_ms()
        quiz = await self._definition(scope, quiz_id)
        question = quiz.question(question_id)
        if question is None:
            raise not_found(f"Question {question_id!r} of this quiz")
        opened = self._opened.get((scope, quiz_id, question.id))  # kept once known
        if opened is None:
            opened = await self.read_opened(scope, quiz, question)
        if opened is None:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This question is not open yet: wait for it.")
        checked = check_choice(question, choice, self._limits)
        slot = answer_slot(attendee_id, question.id)
        elapsed = answer_elapsed(opened, arrived, question, self._limits.quiz_answer_grace_ms)
        if elapsed is None:  # too late by the clock, unless it retries an answer given in time
            return await self._first_answer(scope, quiz_id, question, slot, answer_id)
        stored = await self._store.record_answer(
            scope,
            quiz_id,
            slot,
            question.id,  # one vote per slot: whatever comes after the first is a duplicate
            (question.id,),  # counted per question: the live answer count
            stored_value(answer_id, checked, elapsed),
            arrived,
            None,
            question_status(question.id),
        )
        if stored.outcome is RecordOutcome.STORED:
            self.counter.note(scope, quiz_id, stored.version)
            return {
                "quiz_id": quiz_id,
                "question_id": question.id,
                "choice": checked,
                "elapsed_ms": elapsed,
            }
        if stored.outcome is RecordOutcome.DUPLICATE:
            return await self._first_answer(scope, quiz_id, question, slot, answer_id)
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise too_late(question)  # it has opened (above), so it has closed since
        raise not_found(f"Quiz {quiz_id!r}")

    async def _first_answer(
        self, scope: str, quiz_id: str, question: Question, slot: str, answer_id: str
    ) -> dict[str, Any]:
        """The answer that stands for this slot, as the ack of a retry of it;
        ``already_answered`` for another answer, ``too_late`` when there is none."""
        record = await self._store.get_answer(scope, quiz_id, slot)
        given = given_answer(record.value) if record is not None else None
        if given is None:
            raise too_late(question)
        if given.answer_id != answer_id:
            raise PlenaryError(
                ErrorCode.ALREADY_ANSWERED,
                "You already answered this question; your first answer stands.",
            )
        return {
            "quiz_id": quiz_id,
            "question_id": question.id,
            "choice": given.choice,
            "elapsed_ms": given.elapsed_ms,
            "duplicate": True,
        }

    async def publish_count(self, scope: str, quiz_id: str) -> None:
        """``quiz:answers`` to the staff: how many answered the open question, of how
        many attendees online; closes the question once all of them have."""
        activity = await self._store.get_activity(scope, quiz_id)
        if activity is None:
            return
        phase, question_id = phase_of(activity.status)
        if phase is not Phase.QUESTION or question_id is None:
            return  # closed meanwhile: the reveal has the final count
        tally = await self._store.get_tally(scope, quiz_id)
        answered = tally.counts.get(question_id, 0)
        rooms = await self._store.online_by_room(event_code(scope), now_ms())
        online = rooms.get(room_of(scope), 0)  # the players in this quiz's room
        await self._out.to_staff(
            scope,
            "quiz:answers",
            {
                "quiz_id": quiz_id,
                "question_id": question_id,
                "answered": answered,
                "online": online,
            },
        )
        if 0 < online <= answered:
            try:
                await self._close(scope, quiz_id, question_id)
            except StoreUnavailable:
                raise  # the coalescer tries again
            except PlenaryError as exc:  # the quiz is gone (its event was purged)
                log.info("quiz %s: no close after the count: %s", quiz_id, exc.code)

    async def stop(self) -> None:
        await self.counter.stop()
