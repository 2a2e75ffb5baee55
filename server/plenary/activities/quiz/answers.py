"""Checking an answer: is the choice one the question's kind takes (else ``bad_choice``,
or ``too_long`` for typed text), and how much of it is right.

A checked choice is plain data, ready to store: an option id (``single``), a list of
option ids in option order (``multiple``), a bool (``truefalse``), the cleaned text
(``text``) or an int or float (``number``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from plenary.activities.quiz.domain import (
    MAX_NUMBER,
    Number,
    Question,
    QuestionKind,
    answer_key,
    too_long,
)
from plenary.activities.quiz.limits import QuizLimits
from plenary.errors import ErrorCode, PlenaryError
from plenary.text import clean_text

# A typed number: "42", "-3.5", "3,5" (decimal comma), ".5", "1e6".
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d{1,3})?")
MAX_NUMBER_TEXT = 40


def bad_choice(message: str) -> PlenaryError:
    return PlenaryError(ErrorCode.BAD_CHOICE, message)


@dataclass(frozen=True)
class Judgement:
    """How right a checked choice is: ``correct`` when entirely right, and the share of
    the question's points it earns before the speed factor, ``credit / out_of``."""

    correct: bool
    credit: int
    out_of: int = 1


RIGHT = Judgement(True, 1)
WRONG = Judgement(False, 0)


def check_choice(question: Question, choice: Any, limits: QuizLimits) -> Any:
    """The choice, checked against the question and normalised; ``bad_choice`` (or
    ``too_long``) with a message that says what to send otherwise."""
    kind = question.kind
    ids = question.option_ids
    if kind is QuestionKind.SINGLE:
        if not isinstance(choice, str) or choice not in ids:
            raise bad_choice(f"Choose one option, by its id: {', '.join(ids)}.")
        return choice
    if kind is QuestionKind.MULTIPLE:
        if (
            not isinstance(choice, list)
            or not 1 <= len(choice) <= len(ids)
            or not all(isinstance(c, str) and c in ids for c in choice)
        ):
            raise bad_choice(
                f"Choose one or more options, as a list of ids from: {', '.join(ids)}."
            )
        if len(set(choice)) != len(choice):
            raise bad_choice("Each option can be chosen once.")
        return [i for i in ids if i in choice]
    if kind is QuestionKind.TRUEFALSE:
        if not isinstance(choice, bool):
            raise bad_choice("Answer true or false.")
        return choice
    if kind is QuestionKind.TEXT:
        if not isinstance(choice, str):
            raise bad_choice("Type your answer as text.")
        most = limits.quiz_max_text_answer_len
        if len(choice) > 4 * most or len(text := clean_text(choice)) > most:
            raise too_long(f"Answers are limited to {most} characters.")
        if not answer_key(text):
            raise bad_choice("The answer is empty: type a word or a number.")
        return text
    return _typed_number(choice)


def _typed_number(choice: Any) -> Number:
    value: Number
    if isinstance(choice, str) and len(choice) <= MAX_NUMBER_TEXT:
        text = choice.strip()
        if not NUMBER_TEXT.fullmatch(text):
            raise bad_choice("Answer with a number, such as 42 or 3.5.")
        text = text.replace(",", ".")
        value = float(text) if "." in text or "e" in text.lower() else int(text)
    elif isinstance(choice, int | float) and not isinstance(choice, bool):
        value = choice
    else:
        raise bad_choice("Answer with a number, such as 42 or 3.5.")
    if abs(value) > MAX_NUMBER or not math.isfinite(value):  # in this order: 10**400
        raise bad_choice("Answer with a number between -1e15 and 1e15.")
    return value


def judge(question: Question, choice: Any) -> Judgement:
    """How right a choice returned by :func:`check_choice` is.

    ``multiple``: one credit per correct option picked, minus one per wrong option
    picked, never below 0, out of the number of correct options; ``correct`` only when
    exactly the correct options are picked."""
    kind = question.kind
    if kind is QuestionKind.SINGLE:
        return RIGHT if choice in question.correct else WRONG
    if kind is QuestionKind.MULTIPLE:
        picked = set(choice)
        right = sum(1 for c in question.correct if c in picked)
        wrong = len(picked) - right
        out_of = len(question.correct)
        return Judgement(right == out_of and wrong == 0, max(0, right - wrong), out_of)
    if kind is QuestionKind.TRUEFALSE:
        return RIGHT if choice is question.truth else WRONG
    if kind is QuestionKind.TEXT:
        return RIGHT if answer_key(choice) in question.accept_keys else WRONG
    return RIGHT if within_tolerance(choice, question) else WRONG


class Judge:
    """:func:`judge` for every answer to one question, each distinct choice judged once
    (a room gives few distinct answers; closing a question judges all of them)."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.seen: dict[Any, Judgement] = {}

    def __call__(self, choice: Any) -> Judgement:
        key = tuple(choice) if isinstance(choice, list) else choice
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = judge(self.question, choice)
        return found


def within_tolerance(value: Number, question: Question) -> bool:
    """``|value - answer| <= tolerance``, in decimal: 3.15 is within 0.01 of 3.14 (in
    binary floating point it is not)."""
    bounds = question.answer_range
    return bounds is not None and bounds[0] <= _decimal(value) <= bounds[1]


def _decimal(value: Number) -> Decimal:
    # str() of a float is the shortest text that reads back as it: what was typed.
    return Decimal(str(value))


def distribution_key(question: Question, choice: Any) -> list[str]:
    """The keys a checked choice counts under in the reveal's distribution: option ids,
    ``"true"``/``"false"``, the compared form of a typed answer, or the number."""
    kind = question.kind
    if kind is QuestionKind.SINGLE:
        return [choice]
    if kind is QuestionKind.MULTIPLE:
        return list(choice)
    if kind is QuestionKind.TRUEFALSE:
        return ["true" if choice else "false"]
    if kind is QuestionKind.TEXT:
        return [answer_key(choice)]
    # normalize(): 3.50 and 3.5 count together; + 0 makes -0 read 0.
    return [format(_decimal(choice).normalize() + 0, "f")]
