"""Quiz definitions as pure data: building and validating a quiz from the ``quiz:create``
payload (or an imported file), and the views of a question that attendees may see.

No I/O here. Every problem is a :class:`plenary.errors.PlenaryError` (``bad_request``
or ``too_long``) whose message names the field (``questions[2].points``, or ``row 4``
for a CSV import) and says what to put there.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Context, Decimal
from enum import StrEnum
from typing import Any

from plenary.activities.quiz.limits import QuizLimits
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text

ACTIVITY_TYPE = "quiz"
TIME_LIMIT_RANGE_S = (5, 240)
POINTS_CHOICES = (0, 1000, 2000)
DEFAULT_TIME_LIMIT_S = 20
DEFAULT_POINTS = 1000
OPTIONS_RANGE = (2, 6)
TEAM_MODES = ("organisation", "country")
#: Numbers (a number question's answer and tolerance, a typed number) stay within this,
#: so that a float still holds every digit people type.
MAX_NUMBER = 1e15

Number = int | float

COMMON_FIELDS = ("kind", "question", "time_limit_s", "points")
QUIZ_FIELDS = ("title", "questions", "streak_bonus", "teams")


class QuestionKind(StrEnum):
    """What kind of answer a question takes."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"
    TEXT = "text"
    NUMBER = "number"


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
#: The fields each kind takes besides ``COMMON_FIELDS``.
KIND_FIELDS: dict[QuestionKind, tuple[str, ...]] = {
    QuestionKind.SINGLE: ("options", "correct"),
    QuestionKind.MULTIPLE: ("options", "correct"),
    QuestionKind.TRUEFALSE: ("correct",),
    QuestionKind.TEXT: ("accept",),
    QuestionKind.NUMBER: ("answer", "tolerance"),
}


def too_long(message: str) -> PlenaryError:
    return PlenaryError(ErrorCode.TOO_LONG, message)


def option_id(index: int) -> str:
    """Option ids are ``a``, ``b``, ... in the order given, as for polls."""
    return chr(ord("a") + index)


def answer_key(text: str) -> str:
    """How typed answers compare: case-folded, accents dropped, every space removed,
    punctuation and symbols trimmed from both ends (``" Besançon! "``, ``"besancon"``
    and ``"BES ANCON"`` all give ``"besancon"``)."""
    text = unicodedata.normalize("NFKD", clean_text(text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch) and not ch.isspace())
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PS":
        end -= 1
    return unicodedata.normalize("NFC", text[start:end])


@dataclass(frozen=True)
class Option:
    """One answer option of a choice question."""

    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question, with its correct answer. Only the fields of its kind are set."""

    id: str
    kind: QuestionKind
    question: str
    time_limit_s: int = DEFAULT_TIME_LIMIT_S
    points: int = DEFAULT_POINTS
    options: tuple[Option, ...] = ()
    correct: tuple[str, ...] = ()  # single, multiple: option ids, in option order
    truth: bool | None = None  # truefalse
    accept: tuple[str, ...] = ()  # text: accepted answers as written
    answer: Number | None = None  # number
    tolerance: Number = 0  # number

    @functools.cached_property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    @functools.cached_property
    def accept_keys(self) -> frozenset[str]:
        return frozenset(answer_key(a) for a in self.accept)

    @functools.cached_property
    def answer_range(self) -> tuple[Decimal, Decimal] | None:
        """A number question's correct answers, ``answer`` +/- ``tolerance``, in decimal
        (3.15 is within 0.01 of 3.14; in binary floating point it is not). ``str`` of a
        float is the shortest text that reads back as it: what was typed."""
        if self.answer is None:
            return None
        answer, tolerance = Decimal(str(self.answer)), Decimal(str(self.tolerance))
        exact = Context(prec=1000)  # enough for any float's digits: no rounding here
        return exact.subtract(answer, tolerance), exact.add(answer, tolerance)

    @property
    def limit_ms(self) -> int:
        return self.time_limit_s * 1000

    def revealed(self) -> Any:
        """The correct answer as ``quiz:reveal`` shows it (never sent before the close)."""
        if self.kind in CHOICE_KINDS:
            return list(self.correct)
        if self.kind is QuestionKind.TRUEFALSE:
            return self.truth
        if self.kind is QuestionKind.TEXT:
            return list(self.accept)
        return {"answer": self.answer, "tolerance": self.tolerance}

    def public(self) -> dict[str, Any]:
        """What attendees and screens see while the question is open: no answer."""
        data: dict[str, Any] = {"id": self.id, "kind": str(self.kind), "question": self.question}
        if self.kind in CHOICE_KINDS:
            data["options"] = [{"id": o.id, "label": o.label} for o in self.options]
        data["time_limit_s"] = self.time_limit_s
        data["points"] = self.points
        return data

    def to_dict(self) -> dict[str, Any]:
        """The whole definition, in the shape of the ``quiz:create`` payload plus ids."""
        data = self.public()
        if self.kind is QuestionKind.NUMBER:
            data["answer"] = self.answer
            data["tolerance"] = self.tolerance
        elif self.kind is QuestionKind.TEXT:
            data["accept"] = list(self.accept)
        else:
            data["correct"] = self.revealed()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        """Inverse of :meth:`to_dict` (for stored, already validated definitions)."""
        kind = QuestionKind(data["kind"])
        correct = data.get("correct")
        return cls(
            id=data["id"],
            kind=kind,
            question=data["question"],
            time_limit_s=data["time_limit_s"],
            points=data["points"],
            options=tuple(Option(o["id"], o["label"]) for o in data.get("options", ())),
            correct=tuple(correct) if isinstance(correct, list) else (),
            truth=correct if isinstance(correct, bool) else None,
            accept=tuple(data.get("accept", ())),
            answer=data.get("answer"),
            tolerance=data.get("tolerance", 0),
        )


@dataclass(frozen=True)
class Quiz:
    """A quiz definition. Its progress (current question, players) lives beside it."""

    id: str
    title: str
    questions: tuple[Question, ...]
    streak_bonus: bool = True
    teams: str | None = None
    created_at: int = 0
    type: str = field(default=ACTIVITY_TYPE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "questions": [q.to_dict() for q in self.questions],
            "streak_bonus": self.streak_bonus,
            "teams": self.teams,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quiz:
        return cls(
            id=data["id"],
            title=data["title"],
            questions=tuple(Question.from_dict(q) for q in data["questions"]),
            streak_bonus=data.get("streak_bonus", True),
            teams=data.get("teams"),
            created_at=data.get("created_at", 0),
        )

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, Question]:
        # Looked up for every answer.
        return {q.id: q for q in self.questions}


def build_quiz(quiz_id: str, payload: Any, limits: QuizLimits, now: int) -> Quiz:
    """Validate a ``quiz:create`` payload (or an imported JSON file) and return the quiz."""
    if not isinstance(payload, Mapping):
        raise bad_request('A quiz is an object: {"title": ..., "questions": [...]}.')
    _no_unknown_fields(payload, QUIZ_FIELDS, "the quiz")
    questions = payload.get("questions")
    if not isinstance(questions, list) or not questions:
        raise bad_request("questions must be a non-empty list of questions.")
    if len(questions) > limits.quiz_max_questions:
        raise too_long(
            f"A quiz has at most {limits.quiz_max_questions} questions; this one has "
            f"{len(questions)}. Split it into several quizzes."
        )
    built = [build_question(q, i, limits, f"questions[{i}]") for i, q in enumerate(questions)]
    return assemble_quiz(
        quiz_id,
        payload.get("title"),
        built,
        payload.get("streak_bonus", True),
        payload.get("teams"),
        limits,
        now,
    )


def assemble_quiz(
    quiz_id: str,
    title: Any,
    questions: Sequence[Question],
    streak_bonus: Any,
    teams: Any,
    limits: QuizLimits,
    now: int,
) -> Quiz:
    """A quiz from questions already built with :func:`build_question`."""
    title = _text(title, "title", limits.quiz_max_title_len)
    if not isinstance(streak_bonus, bool):
        raise bad_request("streak_bonus must be true or false (it is true when left out).")
    if teams is not None and teams not in TEAM_MODES:
        raise bad_request('teams must be "organisation" or "country", or left out.')
    if not questions:
        raise bad_request("A quiz needs at least one question.")
    return Quiz(quiz_id, title, tuple(questions), streak_bonus, teams, now)


def build_question(raw: Any, index: int, limits: QuizLimits, where: str) -> Question:
    """Validate one question; ``where`` names it in error messages."""
    if not isinstance(raw, Mapping):
        raise bad_request(f"{where} must be an object with kind, question and its answer.")
    kind_name: Any = raw.get("kind")
    try:
        kind = QuestionKind(kind_name)
    except ValueError:
        allowed = ", ".join(k.value for k in QuestionKind)
        raise bad_request(f"{_at(where, 'kind')} must be one of: {allowed}.") from None
    _no_unknown_fields(raw, COMMON_FIELDS + KIND_FIELDS[kind], f"{where} ({kind})")
    text = _text(raw.get("question"), _at(where, "question"), limits.quiz_max_question_len)
    limit = raw.get("time_limit_s", DEFAULT_TIME_LIMIT_S)
    low, high = TIME_LIMIT_RANGE_S
    if not _is_whole(limit) or not low <= limit <= high:
        raise bad_request(
            f"{_at(where, 'time_limit_s')} must be a whole number of seconds, {low}-{high}."
        )
    points = raw.get("points", DEFAULT_POINTS)
    if not _is_whole(points) or points not in POINTS_CHOICES:
        raise bad_request(
            f"{_at(where, 'points')} must be 0, 1000 or 2000 (2000 for double points)."
        )
    question = Question(f"q{index + 1}", kind, text, int(limit), int(points))
    if kind in CHOICE_KINDS:
        options = _options(raw.get("options"), limits, where)
        correct = _correct_ids(raw.get("correct"), options, where)
        return replace(question, options=options, correct=correct)
    if kind is QuestionKind.TRUEFALSE:
        truth = raw.get("correct")
        if not isinstance(truth, bool):
            raise bad_request(f"{_at(where, 'correct')} must be true or false.")
        return replace(question, truth=truth)
    if kind is QuestionKind.TEXT:
        return replace(question, accept=_accept(raw.get("accept"), limits, where))
    answer = _number(raw.get("answer"), _at(where, "answer"))
    tolerance = _number(raw.get("tolerance", 0), _at(where, "tolerance"))
    if tolerance < 0:
        raise bad_request(
            f"{_at(where, 'tolerance')} must be 0 or more (how far off still counts)."
        )
    return replace(question, answer=answer, tolerance=tolerance)


def _at(where: str, name: str) -> str:
    """A field's name in a message: ``questions[2].points``, or ``row 4, points`` for a
    row of an imported CSV file (``where`` is then ``row 4``)."""
    return f"{where}, {name}" if where.startswith("row ") else f"{where}.{name}"


def _no_unknown_fields(raw: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise bad_request(
            f"{where} takes no {unknown[0][:40]!r}; its fields are: {', '.join(allowed)}."
        )


def _text(value: Any, where: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{where} must be a non-empty string.")
    # Far too long is refused before the clean-up, which costs time per character.
    text = clean_text(value) if len(value) <= 4 * max_len else value
    if not text:
        raise bad_request(f"{where} must be a non-empty string.")
    if len(text) > max_len:
        raise too_long(f"{where} is longer than {max_len} characters; shorten it.")
    return text


def _is_whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _number(value: Any, where: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{where} must be a number.")
    if abs(value) > MAX_NUMBER or not math.isfinite(value):  # in this order: 10**400
        raise bad_request(f"{where} must be a finite number between -1e15 and 1e15.")
    return value


def _options(options: Any, limits: QuizLimits, where: str) -> tuple[Option, ...]:
    low, high = OPTIONS_RANGE
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise bad_request(
            _at(where, "options") + f' must be a list of {low} to {high} labels: ["A", "B"].'
        )
    if not low <= len(options) <= high:
        raise bad_request(
            f"{_at(where, 'options')} must hold {low} to {high} labels, not {len(options)}."
        )
    labels = [clean_text(o) if len(o) <= 4 * limits.quiz_max_option_len else o for o in options]
    if not all(labels):
        raise bad_request(f"{_at(where, 'options')} must not hold an empty label.")
    if any(len(label) > limits.quiz_max_option_len for label in labels):
        raise too_long(
            f"{where}: an option is longer than {limits.quiz_max_option_len} characters; "
            "shorten it."
        )
    if len({label.casefold() for label in labels}) != len(labels):
        raise bad_request(f"{_at(where, 'options')} must be different from each other.")
    return tuple(Option(option_id(i), label) for i, label in enumerate(labels))


def _correct_ids(correct: Any, options: tuple[Option, ...], where: str) -> tuple[str, ...]:
    ids = [o.id for o in options]
    example = f'["{ids[0]}"]'
    if not isinstance(correct, list) or not correct:
        raise bad_request(
            f"{_at(where, 'correct')} must be a non-empty list of option ids, e.g. {example}."
        )
    for c in correct:
        if not isinstance(c, str) or c not in ids:
            raise bad_request(
                f"{_at(where, 'correct')} holds {str(c)[:20]!r}: use ids {', '.join(ids)}."
            )
    if len(set(correct)) != len(correct):
        raise bad_request(f"{_at(where, 'correct')} names an option twice.")
    return tuple(i for i in ids if i in correct)


def _accept(accept: Any, limits: QuizLimits, where: str) -> tuple[str, ...]:
    most = limits.quiz_max_accept
    if not isinstance(accept, list) or not accept or not all(isinstance(a, str) for a in accept):
        raise bad_request(_at(where, "accept") + ' must be a list of accepted answers: ["Paris"].')
    if len(accept) > most:
        raise too_long(
            f"{_at(where, 'accept')} holds more than {most} answers; keep the likeliest."
        )
    cleaned = tuple(
        clean_text(a) if len(a) <= 4 * limits.quiz_max_accept_len else a for a in accept
    )
    for i, text in enumerate(cleaned):
        entry = _at(where, f"accept[{i}]")
        if len(text) > limits.quiz_max_accept_len:
            raise too_long(f"{entry} is longer than {limits.quiz_max_accept_len} characters.")
        if not answer_key(text):
            raise bad_request(f"{entry} has no letter or digit to compare.")
    return cleaned
