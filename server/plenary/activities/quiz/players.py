"""A player's state in one quiz, as plain data that survives reconnects: score, streak,
rank, and every answer given (the open question's included), with its outcome once the
question closed. One answer per player per question, never changed once given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plenary.text import clean_text


class AnswerOutcome(StrEnum):
    """What giving an answer did: stored it, recognised a retry of it (same
    ``answer_id``: ack ``ok`` with ``duplicate``), or refused another one
    (``already_answered``)."""

    NEW = "new"
    DUPLICATE = "duplicate"
    ALREADY_ANSWERED = "already_answered"


@dataclass
class GivenAnswer:
    """One answer: the checked choice and the server-measured time, then (once the
    question closed) whether it was correct and what it scored."""

    answer_id: str
    choice: Any
    elapsed_ms: int
    correct: bool | None = None
    points: int | None = None  # speed points, partial credit included
    bonus: int = 0  # streak bonus

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer_id": self.answer_id,
            "choice": self.choice,
            "elapsed_ms": self.elapsed_ms,
            "correct": self.correct,
            "points": self.points,
            "bonus": self.bonus,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GivenAnswer:
        return cls(
            data["answer_id"],
            data["choice"],
            data["elapsed_ms"],
            data.get("correct"),
            data.get("points"),
            data.get("bonus", 0),
        )


@dataclass
class PlayerState:
    """One player of one quiz. ``scored`` counts the questions already applied to the
    score (closing a question twice changes nothing); ``correct_time_ms`` is the total
    answer time of the correct answers, the ranking's tie-break."""

    attendee_id: str
    name: str = ""
    team: str | None = None
    score: int = 0
    streak: int = 0
    best_streak: int = 0
    correct_count: int = 0
    correct_time_ms: int = 0
    rank: int | None = None
    scored: int = 0
    answers: Mapping[str, GivenAnswer] = field(default_factory=dict)  # by question id

    def to_dict(self) -> dict[str, Any]:
        return {
            "attendee_id": self.attendee_id,
            "name": self.name,
            "team": self.team,
            "score": self.score,
            "streak": self.streak,
            "best_streak": self.best_streak,
            "correct_count": self.correct_count,
            "correct_time_ms": self.correct_time_ms,
            "rank": self.rank,
            "scored": self.scored,
            "answers": {q: a.to_dict() for q, a in self.answers.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlayerState:
        return cls(
            attendee_id=data["attendee_id"],
            name=data.get("name", ""),
            team=data.get("team"),
            score=data.get("score", 0),
            streak=data.get("streak", 0),
            best_streak=data.get("best_streak", 0),
            correct_count=data.get("correct_count", 0),
            correct_time_ms=data.get("correct_time_ms", 0),
            rank=data.get("rank"),
            scored=data.get("scored", 0),
            answers={q: GivenAnswer.from_dict(a) for q, a in data.get("answers", {}).items()},
        )

    def view(self, open_question_id: str | None = None) -> dict[str, Any]:
        """The player's own state for the ``welcome`` after a (re)connect: score,
        streak, rank, and the answer already given to the open question, if any."""
        data: dict[str, Any] = {
            "score": self.score,
            "streak": self.streak,
            "rank": self.rank,
            "answered": False,
        }
        given = self.answers.get(open_question_id) if open_question_id else None
        if given is not None:
            data.update(answered=True, choice=given.choice, answer_id=given.answer_id)
            data["elapsed_ms"] = given.elapsed_ms
        return data


def team_of(mode: str | None, country: str | None, organisation: str | None) -> str | None:
    """A player's team in a team quiz (``teams``: ``"organisation"`` or ``"country"``),
    from what they gave when joining; ``None`` when they gave nothing."""
    value = organisation if mode == "organisation" else country if mode == "country" else None
    return (clean_text(value) or None) if value else None


def new_player(
    attendee_id: str, name: str, team: str | None = None, scored: int = 0
) -> PlayerState:
    """A player joining the quiz; a late joiner passes the number of questions already
    closed as ``scored`` and plays from the current question."""
    return PlayerState(attendee_id, name, team, scored=scored)


def give_answer(
    state: PlayerState, question_id: str, answer_id: str, choice: Any, elapsed_ms: int
) -> tuple[PlayerState, AnswerOutcome, GivenAnswer]:
    """Record a checked answer. Returns the new state (the same object unless
    ``NEW``), the outcome, and the answer that stands (the first one)."""
    given = state.answers.get(question_id)
    if given is not None:
        same = given.answer_id == answer_id
        return state, AnswerOutcome.DUPLICATE if same else AnswerOutcome.ALREADY_ANSWERED, given
    given = GivenAnswer(answer_id, choice, elapsed_ms)
    answers = {**state.answers, question_id: given}
    return with_fields(state, answers=answers), AnswerOutcome.NEW, given


def with_fields(state: PlayerState, **changes: Any) -> PlayerState:
    """A copy with ``changes`` (dataclasses.replace without its per-call field lookup;
    valid because PlayerState has no ``__post_init__`` and no slots). States are never
    changed in place: every function here returns a new one."""
    copy = object.__new__(PlayerState)
    copy.__dict__.update(state.__dict__, **changes)
    return copy
