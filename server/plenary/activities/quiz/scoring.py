"""Scoring one answer: timing, speed points, partial credit and the answer streak bonus.

All in integer arithmetic, so that every process (and a replay of the export) computes
the same points, with halves rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plenary.activities.quiz.answers import Judgement, judge
from plenary.activities.quiz.domain import Question

#: An answer given within the first half second of a question gets its full points.
FULL_POINTS_WITHIN_MS = 500
#: Streak bonus (Kahoot's figures): 100 points at the 2nd correct answer in a row, 100
#: more for each further one, at most 500 (reached at the 6th; the streak goes on).
STREAK_STEP = 100
STREAK_CAP = 500


def deadline_ms(opened_at: int, question: Question) -> int:
    """When the question closes, in server epoch milliseconds."""
    return opened_at + question.limit_ms


def answer_elapsed(
    opened_at: int, arrived_at: int, question: Question, grace_ms: int
) -> int | None:
    """Milliseconds from the question's opening to the answer's arrival, both on the
    server's clock; ``None`` (``too_late``) past the deadline plus ``grace_ms``."""
    elapsed = max(0, arrived_at - opened_at)
    if elapsed > question.limit_ms + grace_ms:
        return None
    return elapsed


def speed_points(
    points: int, elapsed_ms: int, limit_ms: int, credit: int = 1, out_of: int = 1
) -> int:
    """``round(points x (1 - (elapsed / limit) / 2) x credit / out_of)``, halves up.

    ``elapsed`` is taken as 0 within the first ``FULL_POINTS_WITHIN_MS`` and as ``limit``
    past it (an answer in the grace after the deadline scores as one at the deadline),
    so a fully correct answer scores between half and all of ``points``."""
    elapsed = min(max(elapsed_ms, 0), limit_ms)
    if elapsed <= FULL_POINTS_WITHIN_MS:
        elapsed = 0
    # points * (2L - e) / 2L * credit / out_of, as one fraction num / den.
    num = points * (2 * limit_ms - elapsed) * credit
    den = 2 * limit_ms * out_of
    return (2 * num + den) // (2 * den)


def streak_bonus(streak: int, points: int, enabled: bool = True) -> int:
    """The bonus for a correct answer that makes ``streak`` correct answers in a row:
    0 for the first, then 100, 200, ... up to 500. None on a 0-point question (the
    streak still grows) or when the quiz has ``streak_bonus: false``."""
    if not enabled or points == 0 or streak < 2:
        return 0
    return min(STREAK_STEP * (streak - 1), STREAK_CAP)


@dataclass(frozen=True)
class Score:
    """The outcome of one player's answer (or missing answer) to one question."""

    correct: bool
    points: int  # speed points, partial credit included
    bonus: int  # streak bonus
    streak: int  # correct answers in a row, this one included

    @property
    def total(self) -> int:
        return self.points + self.bonus


def score_answer(
    question: Question,
    choice: Any,
    elapsed_ms: int | None,
    streak_before: int,
    bonus_enabled: bool = True,
    judgement: Judgement | None = None,
) -> Score:
    """Score a checked choice (``None``: no answer). A wrong or missing answer scores 0
    and ends the streak; a partly right ``multiple`` answer scores its share of the
    points but, not being correct, ends the streak too. ``judgement``: the choice's, if
    already known (see :class:`plenary.activities.quiz.answers.Judge`)."""
    if choice is None or elapsed_ms is None:
        return Score(False, 0, 0, 0)
    if judgement is None:
        judgement = judge(question, choice)
    points = 0
    if judgement.credit:
        points = speed_points(
            question.points, elapsed_ms, question.limit_ms, judgement.credit, judgement.out_of
        )
    if not judgement.correct:
        return Score(False, points, 0, 0)
    streak = streak_before + 1
    return Score(True, points, streak_bonus(streak, question.points, bonus_enabled), streak)
