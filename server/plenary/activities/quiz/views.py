"""A quiz's progress as the store keeps it (its status and state fields), and what each
audience may see of it.

Statuses: ``draft`` (created), ``lobby`` (on stage, no question yet),
``question:<id>`` (that question takes answers), ``reveal:<id>`` (it closed; its
answer is shown), ``closed`` (ended: the podium, or another activity took the stage).
The question is part of the status because the store takes an answer only while the
status is exactly the one the answer names: an answer to question 1 can never be
stored once question 2 is open, whichever process receives it.

Nothing here shows a question's correct answer before it closes (the answer-leak
rule): :meth:`Question.public` is all attendees and screens get of an open question.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from plenary.activities.quiz.board import Board
from plenary.activities.quiz.domain import Question, Quiz
from plenary.store import Activity
from plenary.store.base import CLOSED, DRAFT


class Phase(StrEnum):
    """Where a quiz is, as clients see it (``phase`` in every view)."""

    DRAFT = "draft"
    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    ENDED = "ended"


LOBBY = "lobby"
RUNNING = (Phase.LOBBY, Phase.QUESTION, Phase.REVEAL)


_QUESTION_PREFIX = f"{Phase.QUESTION}:"  # built once: every answer asks


def question_status(question_id: str) -> str:
    """The status while ``question_id`` takes answers."""
    return _QUESTION_PREFIX + question_id


def reveal_status(question_id: str) -> str:
    """The status once ``question_id`` has closed."""
    return f"{Phase.REVEAL}:{question_id}"


def phase_of(status: str) -> tuple[Phase, str | None]:
    """The phase and the question (of the ``question`` and ``reveal`` phases)."""
    if status == DRAFT:
        return Phase.DRAFT, None
    if status == CLOSED:
        return Phase.ENDED, None
    if status == LOBBY:
        return Phase.LOBBY, None
    name, _, question_id = status.partition(":")
    if name in (Phase.QUESTION, Phase.REVEAL) and question_id:
        return Phase(name), question_id
    return Phase.ENDED, None  # not a quiz status: treat it as over


def current_question(quiz: Quiz, activity: Activity) -> tuple[int, Question] | None:
    """The question of the ``question`` or ``reveal`` phase, with its index."""
    _, question_id = phase_of(activity.status)
    for index, question in enumerate(quiz.questions):
        if question.id == question_id:
            return index, question
    return None


def opened_at(activity: Activity, question_id: str) -> int | None:
    """When ``question_id`` opened (server epoch ms), if it has."""
    opened = activity.meta.get("opened")
    value = opened.get(question_id) if isinstance(opened, Mapping) else None
    return value if isinstance(value, int) else None


def scored(activity: Activity) -> int:
    """How many questions have closed (and count in the scores)."""
    value = activity.meta.get("scored", 0)
    return value if isinstance(value, int) else 0


def question_message(quiz: Quiz, index: int, opened: int) -> dict[str, Any]:
    """``quiz:question`` (without ``ts``): the open question, never its answer."""
    question = quiz.questions[index]
    return {
        "quiz_id": quiz.id,
        "index": index,
        "count": len(quiz.questions),
        "question": question.public(),
        "opened_at": opened,
        "deadline": opened + question.limit_ms,
    }


def public_view(quiz: Quiz, activity: Activity) -> dict[str, Any]:
    """The quiz as anyone may see it now: title, phase, and the current question (its
    text and options; its answer only in the ``reveal`` phase, through the reveal that
    the service adds)."""
    phase, _ = phase_of(activity.status)
    view: dict[str, Any] = {
        "id": quiz.id,
        "type": quiz.type,
        "title": quiz.title,
        "count": len(quiz.questions),
        "status": activity.status,
        "phase": str(phase),
        "streak_bonus": quiz.streak_bonus,
        "teams": quiz.teams,
        "index": None,
        "question": None,
        "opened_at": None,
        "deadline": None,
        "scored": scored(activity),
        "state_seq": activity.state_seq,
    }
    found = current_question(quiz, activity)
    if found is not None:
        index, question = found
        opened = opened_at(activity, question.id)
        view["index"] = index
        view["question"] = question.public()
        if opened is not None:
            view["opened_at"] = opened
            view["deadline"] = opened + question.limit_ms
    return view


def presenter_item(quiz: Quiz, activity: Activity) -> dict[str, Any]:
    """A quiz in the presenter's list: the whole definition (correct answers included:
    presenters only, never a screen) and its progress."""
    phase, _ = phase_of(activity.status)
    return {
        **quiz.to_dict(),
        "status": activity.status,
        "phase": str(phase),
        "scored": scored(activity),
    }


def reveal_message(quiz: Quiz, board: Board) -> dict[str, Any]:
    """``quiz:reveal`` (without ``ts``) of the last closed question."""
    if board.last is None or board.last.reveal is None:
        return {"quiz_id": quiz.id}
    index = board.scored - 1
    return {**board.last.reveal, "index": index, "count": len(quiz.questions)}


def ended_message(
    quiz: Quiz, top: list[dict[str, Any]], teams: list[dict[str, Any]], players: int
) -> dict[str, Any]:
    """``quiz:ended`` (without ``ts``): the podium."""
    body: dict[str, Any] = {"quiz_id": quiz.id, "top": top, "players": players}
    if quiz.teams:
        body["teams"] = teams
    return body
