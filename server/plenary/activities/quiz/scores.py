"""Each process's scoreboards: the :class:`Board` of every quiz it has been asked about,
computed from the store's answers and kept, since a board never changes once its
questions have closed.

A close computes the board once; the welcomes of a thousand reconnecting players then
read it (one computation at a time per quiz, the others wait for it rather than
repeat it), and a process that did not run the close computes it on first need.
"""

from __future__ import annotations

import asyncio

from plenary.activities.quiz.board import Board, Given, Person, group_answers, rebuild
from plenary.activities.quiz.domain import Quiz
from plenary.scopes import event_code
from plenary.store import Store

#: Boards kept per process (a few quizzes run per event; events run side by side).
MAX_BOARDS = 256

Key = tuple[str, str]


class Scoreboards:
    """Boards by (scope, quiz id), computed on demand from the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._boards: dict[Key, Board] = {}
        self._locks: dict[Key, asyncio.Lock] = {}

    async def board(self, scope: str, quiz: Quiz, scored: int) -> Board:
        """The board once the first ``scored`` questions of ``quiz`` have closed. Only
        ask for a count the store has recorded (the activity's ``scored``): the
        answers to those questions are then final."""
        key = (scope, quiz.id)
        found = self._boards.get(key)
        if found is not None and found.scored == scored:
            return found
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            found = self._boards.get(key)
            if found is not None and found.scored == scored:
                return found
            given, people = await self.read(scope, quiz.id)
            start = found if found is not None and found.scored < scored else None
            board = rebuild(quiz, scored, given, people, start)
            if found is None or board.scored >= found.scored:
                self._keep(key, board)
            return board

    async def read(self, scope: str, quiz_id: str) -> tuple[Given, dict[str, Person]]:
        """Every answer given to the quiz, by player and question, and the people of
        the event (names, and what picks their team)."""
        answers, attendees = await asyncio.gather(
            self._store.list_answers(scope, quiz_id),
            self._store.list_attendees(event_code(scope)),
        )
        given = group_answers({slot: record.value for slot, record in answers.items()})
        people = {a.id: Person(a.name, a.country, a.organisation) for a in attendees}
        return given, people

    def _keep(self, key: Key, board: Board) -> None:
        if key not in self._boards and len(self._boards) >= MAX_BOARDS:
            # Rarely reached; whatever is dropped is computed again when needed.
            self._boards.clear()
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        self._boards[key] = board

    def forget(self, scope: str, quiz_id: str) -> None:
        self._boards.pop((scope, quiz_id), None)
