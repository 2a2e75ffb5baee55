"""The scoreboard of a running quiz, rebuilt from the stored answers alone.

The store keeps only what players sent (each answer with its server-measured time) and
how many questions have closed (``scored``); scores, streaks and ranks are a pure
function of that, so every process computes the same board without storing it, a
process that crashed loses nothing, and the export can be checked by replaying it.

A :class:`Board` is the state after the first ``scored`` questions closed. Once a
question has closed its answers never change (the store refuses them atomically), so a
board is final for its ``scored`` and :func:`advance` moves one on by one question.

Answers are stored under one *slot* per player and question (``attendee/q2``), so
that the store's idempotent ``record_answer`` keeps the first answer and every later
one is a duplicate (see service.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plenary.activities.quiz.domain import Quiz
from plenary.activities.quiz.players import (
    GivenAnswer,
    PlayerState,
    new_player,
    team_of,
    with_fields,
)
from plenary.activities.quiz.rounds import Standings, close_question, final_standings

SLOT_SEPARATOR = "/"


def answer_slot(attendee_id: str, question_id: str) -> str:
    """Where one player's answer to one question is stored (the store's "attendee")."""
    return f"{attendee_id}{SLOT_SEPARATOR}{question_id}"


def split_slot(slot: str) -> tuple[str, str] | None:
    """``(attendee_id, question_id)`` of a slot, or None for anything else."""
    attendee_id, sep, question_id = slot.rpartition(SLOT_SEPARATOR)
    return (attendee_id, question_id) if sep and attendee_id and question_id else None


def stored_value(answer_id: str, choice: Any, elapsed_ms: int) -> list[Any]:
    """The value stored for an answer: small and plain (msgpack in Redis)."""
    return [answer_id, choice, elapsed_ms]


def given_answer(value: Any) -> GivenAnswer | None:
    """A stored value back as a :class:`GivenAnswer` (None if it is not one)."""
    if isinstance(value, list | tuple) and len(value) == 3 and isinstance(value[2], int):
        return GivenAnswer(str(value[0]), value[1], value[2])
    return None


@dataclass(frozen=True)
class Person:
    """What a player shows on the leaderboard: a name, and what picks their team."""

    name: str
    country: str | None = None
    organisation: str | None = None


#: every player's answers: attendee id -> question id -> answer
Given = Mapping[str, Mapping[str, GivenAnswer]]


def group_answers(stored: Mapping[str, Any]) -> dict[str, dict[str, GivenAnswer]]:
    """The store's answers of a quiz (slot -> value) by player and question."""
    grouped: dict[str, dict[str, GivenAnswer]] = {}
    for slot, value in stored.items():
        where = split_slot(slot)
        given = given_answer(value)
        if where is not None and given is not None:
            grouped.setdefault(where[0], {})[where[1]] = given
    return grouped


@dataclass(frozen=True)
class Board:
    """Every player's state once the first ``scored`` questions have closed, and the
    close of the last of them (its ``quiz:result`` payloads and ``quiz:reveal``).
    Players are those who answered at least one of those questions."""

    scored: int = 0
    players: Mapping[str, PlayerState] = field(default_factory=dict)
    last: Standings | None = None

    def final(self, quiz: Quiz) -> Standings:
        """The podium: final ranks and each player's final ``quiz:result``."""
        return final_standings(quiz, self.players.values())

    def state(self, attendee_id: str) -> PlayerState:
        """A player's state (a fresh one for someone who has not played yet)."""
        return self.players.get(attendee_id) or PlayerState(attendee_id)


def advance(quiz: Quiz, board: Board, given: Given, people: Mapping[str, Person]) -> Board:
    """Close the next question (``board.scored``): its answers join the players' states
    (a player's first answer makes them a player), then everyone is scored and ranked."""
    index = board.scored
    question_id = quiz.questions[index].id
    players = dict(board.players)
    for attendee_id, answers in given.items():
        answer = answers.get(question_id)
        if answer is None:
            continue
        state = players.get(attendee_id)
        if state is None:
            person = people.get(attendee_id) or Person("")
            team = team_of(quiz.teams, person.country, person.organisation)
            state = new_player(attendee_id, person.name, team)
        fresh = GivenAnswer(answer.answer_id, answer.choice, answer.elapsed_ms)
        players[attendee_id] = with_fields(state, answers={**state.answers, question_id: fresh})
    standings = close_question(quiz, index, players.values())
    return Board(index + 1, standings.players, standings)


def rebuild(
    quiz: Quiz, scored: int, given: Given, people: Mapping[str, Person], start: Board | None = None
) -> Board:
    """The board after ``scored`` closed questions, from ``start`` (a board already
    computed for fewer questions) or from nothing."""
    board = start if start is not None and start.scored <= scored else Board()
    while board.scored < min(scored, len(quiz.questions)):
        board = advance(quiz, board, given, people)
    return board
