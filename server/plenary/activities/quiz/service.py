"""Quiz use cases: create (or import), start, open the next question, close it, end.

The store is the authority, so that every process agrees: the quiz's status says which
question is open (``question:q2``) and only the store changes it, by compare-and-set
(``Store.update_activity(..., expect=...)``). Opening and closing a question are such
transitions: of two presenters pressing "next", or of the deadline timers of several
processes firing together, exactly one makes the change and announces it. Opening
times, answers and the number of closed questions are in the store; scores are computed
from them (:mod:`board`), so a process that crashes mid-question loses nothing acked.

A question closes at its deadline plus the grace, when every attendee online has
answered, or on ``quiz:close``. Then each player gets their ``quiz:result`` and everyone
the ``quiz:reveal``; ``quiz:end`` (or another activity taking the stage) shows the
podium: ``quiz:ended`` and each player's final ``quiz:result``.
"""

from __future__ import annotations

import logging
from typing import Any

from plenary import ids
from plenary.activities.quiz.answering import Answering
from plenary.activities.quiz.board import Board
from plenary.activities.quiz.deadlines import Deadlines
from plenary.activities.quiz.domain import ACTIVITY_TYPE, Quiz, build_quiz
from plenary.activities.quiz.importing import quiz_from_csv, quiz_from_json
from plenary.activities.quiz.limits import QuizLimits
from plenary.activities.quiz.scores import Scoreboards
from plenary.activities.quiz.views import (
    LOBBY,
    Phase,
    current_question,
    ended_message,
    phase_of,
    presenter_item,
    public_view,
    question_message,
    question_status,
    reveal_message,
    reveal_status,
    scored,
)
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request, not_found
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.personal import as_columns, from_columns
from plenary.singleflight import SingleFlight
from plenary.stage.stage import Stage
from plenary.store import Activity, Store
from plenary.store.base import CLOSED, DRAFT

log = logging.getLogger(__name__)

#: Parsed definitions kept per process (a definition never changes once created).
MAX_DEFINITIONS = 1024
#: How often a transition is tried again when another process changed the quiz between
#: our read and our compare-and-set.
ATTEMPTS = 4


def not_open(message: str) -> PlenaryError:
    return PlenaryError(ErrorCode.NOT_OPEN, message)


def busy() -> PlenaryError:
    return PlenaryError(
        ErrorCode.UNAVAILABLE, "The quiz changed meanwhile (another presenter?); try again."
    )


class QuizService:
    """Everything a quiz does, on the store, the stage and the broadcaster."""

    def __init__(
        self,
        store: Store,
        broadcaster: Broadcaster,
        stage: Stage,
        limits: QuizLimits,
        window_ms: int,
    ) -> None:
        self._store = store
        self._out = broadcaster
        # Every player's result is built by the process holding their connection.
        broadcaster.build_personal("quiz:result", from_columns)
        self._stage = stage
        self.limits = limits
        self._quizzes: dict[tuple[str, str], Quiz] = {}
        self._loads: SingleFlight[tuple[str, str], tuple[Activity, Quiz]] = SingleFlight()
        self.boards = Scoreboards(store)
        self.deadlines = Deadlines(self.close_question)
        close = self.close_question
        self.answering = Answering(
            store, broadcaster, limits, window_ms, self.definition, self.deadlines, close
        )

    async def stop(self) -> None:
        await self.answering.stop()
        await self.deadlines.stop()

    # -- definitions ------------------------------------------------------------------
    def remember(self, scope: str, definition: Any) -> Quiz:
        key = (scope, str(definition["id"]))
        quiz = self._quizzes.get(key)
        if quiz is None:
            if len(self._quizzes) >= MAX_DEFINITIONS:
                self._quizzes.clear()
            quiz = self._quizzes[key] = Quiz.from_dict(definition)
        return quiz

    async def load(self, scope: str, quiz_id: str) -> tuple[Activity, Quiz]:
        activity = await self._store.get_activity(scope, quiz_id)
        if activity is None or activity.definition.get("type") != ACTIVITY_TYPE:
            raise not_found(f"Quiz {quiz_id!r}")
        quiz = self.remember(scope, activity.definition)
        self.answering.learn(scope, quiz, activity)  # an open question's time and deadline
        return activity, quiz

    async def definition(self, scope: str, quiz_id: str) -> Quiz:
        """The quiz's definition, without a store read once known here (and one read
        for a burst of answers that finds it unknown)."""
        quiz = self._quizzes.get((scope, quiz_id))
        if quiz is None:
            _, quiz = await self._loads.run((scope, quiz_id), lambda: self.load(scope, quiz_id))
        return quiz

    async def board(self, scope: str, quiz: Quiz, activity: Activity) -> Board:
        count = scored(activity)
        return await self.boards.board(scope, quiz, count) if count else Board()

    # -- creating ---------------------------------------------------------------------
    async def create(self, scope: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._add(scope, build_quiz(ids.new_id("qz"), payload, self.limits, now_ms()))

    async def import_file(
        self, scope: str, fmt: str, data: str | bytes, title: Any, streak_bonus: Any, teams: Any
    ) -> dict[str, Any]:
        """A quiz from a JSON or CSV file (see docs/quiz.md, "Importing a quiz")."""
        quiz_id, now = ids.new_id("qz"), now_ms()
        if fmt == "json":
            if streak_bonus is not None or teams is not None:
                raise bad_request("A JSON file says streak_bonus and teams itself.")
            given = title if isinstance(title, str) else None
            quiz = quiz_from_json(quiz_id, data, self.limits, now, given)
        elif fmt == "csv":
            bonus = True if streak_bonus is None else streak_bonus
            quiz = quiz_from_csv(quiz_id, data, title, self.limits, now, bonus, teams)
        else:
            raise bad_request('format must be "json" or "csv".')
        return await self._add(scope, quiz)

    async def _add(self, scope: str, quiz: Quiz) -> dict[str, Any]:
        existing = await self._store.list_activities(scope)
        most = self.limits.quiz_max_per_event
        if sum(a.definition.get("type") == ACTIVITY_TYPE for a in existing) >= most:
            raise bad_request(f"An event holds at most {most} quizzes.")
        await self._store.add_activity(scope, quiz.id, quiz.to_dict(), DRAFT)
        self._quizzes[(scope, quiz.id)] = quiz
        activity = Activity(quiz.id, quiz.to_dict(), DRAFT, {})
        log.info("quiz created", extra={"event": scope, "activity": quiz.id})
        # Staff includes the big screens: only what anyone may see, no answers.
        await self._out.to_staff(scope, "quiz:created", {"quiz": public_view(quiz, activity)})
        return presenter_item(quiz, activity)

    async def list_quizzes(self, scope: str) -> list[dict[str, Any]]:
        return [
            presenter_item(self.remember(scope, a.definition), a)
            for a in await self._store.list_activities(scope)
            if a.definition.get("type") == ACTIVITY_TYPE
        ]

    # -- running ----------------------------------------------------------------------
    async def start(self, scope: str, quiz_id: str) -> dict[str, Any]:
        """Put the quiz on stage in its lobby (closing whatever was on stage)."""
        activity, quiz = await self.load(scope, quiz_id)
        phase, _ = phase_of(activity.status)
        if phase is Phase.ENDED:
            raise not_open("This quiz has ended; create it again to play it again.")
        started = None
        if phase is Phase.DRAFT:
            meta = {"started_at": now_ms(), "scored": 0, "opened": {}, "closed": {}}
            started = await self._store.update_activity(scope, quiz_id, LOBBY, meta, expect=DRAFT)
        # Taking the stage closes the activity on it, of whatever kind, atomically.
        taken = await self._stage.take(scope, quiz_id, None, {})
        view = public_view(quiz, taken)
        if started is not None:
            log.info("quiz started", extra={"event": scope, "activity": quiz_id})
            await self._out.to_everyone(scope, "quiz:started", {"quiz": view})
        return {"quiz": view}

    async def next(self, scope: str, quiz_id: str) -> dict[str, Any]:
        """Open the next question."""
        for _ in range(ATTEMPTS):
            activity, quiz = await self.load(scope, quiz_id)
            phase, _ = phase_of(activity.status)
            found = current_question(quiz, activity)
            if phase is Phase.DRAFT:
                raise not_open("Start the quiz first (quiz:start).")
            if phase is Phase.ENDED:
                raise not_open("This quiz has ended.")
            if phase is Phase.QUESTION and found is not None:
                raise bad_request(
                    f"Question {found[0] + 1} is still open: close it (quiz:close) or wait "
                    "for its deadline."
                )
            index = found[0] + 1 if found is not None else 0
            if index >= len(quiz.questions):
                raise bad_request("That was the last question: end the quiz (quiz:end).")
            question = quiz.questions[index]
            opened = now_ms()
            meta = {"opened": {**activity.meta.get("opened", {}), question.id: opened}}
            updated = await self._store.update_activity(
                scope, quiz_id, question_status(question.id), meta, expect=activity.status
            )
            if updated is None:
                continue  # another process moved the quiz on: look again
            self.answering.opened(scope, quiz, question, opened)
            message = question_message(quiz, index, opened)
            log.info(
                "quiz question %d opened", index + 1, extra={"event": scope, "activity": quiz_id}
            )
            await self._out.to_everyone(scope, "quiz:question", message)
            return {"quiz": public_view(quiz, updated), "question": message}
        raise busy()

    async def close(self, scope: str, quiz_id: str) -> dict[str, Any]:
        """``quiz:close``: close the open question now (already closed: its reveal)."""
        activity, quiz = await self.load(scope, quiz_id)
        phase, question_id = phase_of(activity.status)
        if phase is Phase.QUESTION and question_id is not None:
            await self.close_question(scope, quiz_id, question_id)
            activity, quiz = await self.load(scope, quiz_id)
            phase, question_id = phase_of(activity.status)
        if phase is not Phase.REVEAL:
            raise not_open("No question is open.")
        board = await self.board(scope, quiz, activity)
        reveal = reveal_message(quiz, board)
        return {"quiz": public_view(quiz, activity), "reveal": reveal}

    async def close_question(self, scope: str, quiz_id: str, question_id: str) -> bool:
        """Close ``question_id`` if it is still the open question, and announce it. True
        for the one caller (of every process) that closed it."""
        activity, quiz = await self.load(scope, quiz_id)
        phase, current = phase_of(activity.status)
        found = current_question(quiz, activity)
        if phase is not Phase.QUESTION or current != question_id or found is None:
            self.deadlines.cancel(scope, quiz_id, question_id)
            return False
        index = found[0]
        closed = {**activity.meta.get("closed", {}), question_id: now_ms()}
        updated = await self._store.update_activity(
            scope,
            quiz_id,
            reveal_status(question_id),
            {"scored": index + 1, "closed": closed},
            expect=activity.status,
        )
        self.deadlines.cancel(scope, quiz_id, question_id)
        if updated is None:
            return False  # another process closed it (and announces it)
        # Answers are refused atomically since the status changed: these are final.
        board = await self.boards.board(scope, quiz, index + 1)
        log.info(
            "quiz question %d closed with %d players",
            index + 1,
            len(board.players),
            extra={"event": scope, "activity": quiz_id},
        )
        await self._announce_close(scope, quiz, board)
        return True

    async def _announce_close(self, scope: str, quiz: Quiz, board: Board) -> None:
        reveal = reveal_message(quiz, board)
        if board.last is None:
            await self._out.to_everyone(scope, "quiz:reveal", reveal)
            return
        # Each player's verdict first, the reveal with it in the same write.
        results = as_columns(board.last.results)
        await self._out.to_each_shared(scope, "quiz:result", results, ("quiz:reveal", reveal))

    async def end(self, scope: str, quiz_id: str) -> dict[str, Any]:
        """``quiz:end``: close the open question if any, then show the podium."""
        for _ in range(ATTEMPTS):
            activity, quiz = await self.load(scope, quiz_id)
            phase, question_id = phase_of(activity.status)
            if phase is Phase.DRAFT:
                raise not_open("This quiz never started.")
            if phase is Phase.ENDED:
                return await self.podium(scope, quiz, activity)  # announced already
            if phase is Phase.QUESTION and question_id is not None:
                await self.close_question(scope, quiz_id, question_id)
                continue
            now = now_ms()
            updated = await self._store.update_activity(
                scope, quiz_id, CLOSED, {"ended_at": now, "closed_at": now}, expect=activity.status
            )
            if updated is not None:
                return await self._announce_end(scope, quiz, updated)
        raise busy()

    async def left_stage(self, scope: str, before: Activity, after: Activity) -> None:
        """Another activity took the stage, or the event ended: the quiz is closed. A
        question that was open counts (its answers are final), then the podium."""
        quiz = self.remember(scope, after.definition)
        phase, question_id = phase_of(before.status)
        found = current_question(quiz, before)
        meta: dict[str, Any] = {"ended_at": now_ms()}
        if phase is Phase.QUESTION and question_id is not None and found is not None:
            meta["scored"] = found[0] + 1
            meta["closed"] = {**before.meta.get("closed", {}), question_id: now_ms()}
            self.deadlines.cancel(scope, quiz.id, question_id)
        updated = await self._store.update_activity(scope, quiz.id, None, meta) or after
        if "scored" in meta:
            await self._announce_close(scope, quiz, await self.board(scope, quiz, updated))
        await self._announce_end(scope, quiz, updated)

    async def podium(self, scope: str, quiz: Quiz, activity: Activity) -> dict[str, Any]:
        final = (await self.board(scope, quiz, activity)).final(quiz)
        body = ended_message(quiz, final.top, final.teams, len(final.players))
        return {**body, "quiz": public_view(quiz, activity)}

    async def _announce_end(self, scope: str, quiz: Quiz, activity: Activity) -> dict[str, Any]:
        final = (await self.board(scope, quiz, activity)).final(quiz)
        body = ended_message(quiz, final.top, final.teams, len(final.players))
        log.info("quiz ended", extra={"event": scope, "activity": quiz.id})
        await self._out.to_everyone(scope, "quiz:ended", body)
        await self._out.to_each_shared(scope, "quiz:result", as_columns(final.results))
        return {**body, "quiz": public_view(quiz, activity)}
