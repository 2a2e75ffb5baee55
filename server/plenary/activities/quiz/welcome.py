"""The quiz on stage as a (re)connecting client sees it: the ``activity`` of its
``welcome`` and ``state:get``.

Everyone gets the public view (:func:`views.public_view`): the open question without
its answer, the deadline to count down to (with the welcome's ``server_time``), and
after a close its reveal, after the end the podium. An attendee also gets ``me``: their
score, streak and rank, and the answer they already gave to the open question, so a
late joiner plays from the current question and a reconnecting player carries on where
they were. The staff also get the live answer count.
"""

from __future__ import annotations

from typing import Any

from plenary.activities.quiz.board import answer_slot, given_answer
from plenary.activities.quiz.service import QuizService
from plenary.activities.quiz.views import (
    Phase,
    ended_message,
    phase_of,
    public_view,
    reveal_message,
)
from plenary.store import Activity, Store


async def session_view(
    service: QuizService,
    store: Store,
    scope: str,
    activity: Activity,
    attendee_id: str | None,
) -> dict[str, Any]:
    """The view for a staff session (``attendee_id`` None) or an attendee's."""
    quiz = service.remember(scope, activity.definition)
    view = public_view(quiz, activity)
    phase, question_id = phase_of(activity.status)
    board = await service.board(scope, quiz, activity)
    final = board.final(quiz) if phase is Phase.ENDED else None
    if phase is Phase.REVEAL:
        view["reveal"] = reveal_message(quiz, board)
    if final is not None:
        view["ended"] = ended_message(quiz, final.top, final.teams, len(final.players))
    if attendee_id is None:
        if phase is Phase.QUESTION and question_id is not None:
            tally = await store.get_tally(scope, quiz.id)
            view["answered"] = tally.counts.get(question_id, 0)
        return view
    state = board.state(attendee_id)
    # The answer to a closed question is in the board; to the open one, in the store.
    me = state.view(question_id if phase is Phase.REVEAL else None)
    if phase is Phase.QUESTION and question_id is not None:
        record = await store.get_answer(scope, quiz.id, answer_slot(attendee_id, question_id))
        given = given_answer(record.value) if record is not None else None
        if given is not None:
            me.update(answered=True, choice=given.choice, answer_id=given.answer_id)
            me["elapsed_ms"] = given.elapsed_ms
    if phase is Phase.REVEAL and board.last is not None:
        me["result"] = board.last.results.get(attendee_id)
    if final is not None:
        me["result"] = final.results.get(attendee_id)
    view["me"] = me
    return view
