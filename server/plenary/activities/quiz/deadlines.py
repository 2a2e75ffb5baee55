"""Deadline timers: each open question is closed when its time is up (plus the grace).

Every process that opens a question or takes answers to it arms a timer for it, so the
question closes on time even if the process that opened it died. When the timers fire,
each process tries the same atomic transition in the store and exactly one makes it
(see ``QuizService.close_question``); the others find the question closed and stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from plenary.clock import now_ms
from plenary.errors import PlenaryError, StoreUnavailable
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)

#: (scope, quiz id, question id)
Key = tuple[str, str, str]
Close = Callable[[str, str, str], Awaitable[object]]

#: After the deadline plus the grace, a little more: an answer that arrived just inside
#: the grace is in the store before the close reads the answers.
SLACK_MS = 20
RETRY_MAX_S = 5.0


class Deadlines:
    """Timers that call ``close(scope, quiz_id, question_id)`` at a question's deadline."""

    def __init__(self, close: Close) -> None:
        self._close = close
        self._tasks = TaskOwner("quiz-deadlines")
        self._armed: dict[Key, asyncio.Task[None]] = {}

    def arm(self, scope: str, quiz_id: str, question_id: str, at_ms: int) -> None:
        """Close the question at ``at_ms`` (server epoch ms), unless armed already."""
        key = (scope, quiz_id, question_id)
        if key in self._armed:
            return
        self._armed[key] = self._tasks.spawn(
            self._wait(key, at_ms + SLACK_MS), name=f"quiz-deadline:{scope}:{quiz_id}:{question_id}"
        )

    def cancel(self, scope: str, quiz_id: str, question_id: str) -> None:
        """The question closed otherwise: stop its timer here (not from within it)."""
        task = self._armed.pop((scope, quiz_id, question_id), None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def armed(self, scope: str, quiz_id: str, question_id: str) -> bool:
        return (scope, quiz_id, question_id) in self._armed

    async def _wait(self, key: Key, at_ms: int) -> None:
        try:
            await asyncio.sleep(max(0, at_ms - now_ms()) / 1000)
            delay = 0.1
            while True:
                try:
                    await self._close(*key)
                    return
                except StoreUnavailable:
                    # Redis restarting: the question must still close; try again.
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                except PlenaryError as exc:
                    # The quiz is gone (its event was purged): nothing left to close.
                    log.info("quiz deadline %s: %s", key, exc.code)
                    return
        finally:
            if self._armed.get(key) is asyncio.current_task():
                del self._armed[key]

    async def stop(self) -> None:
        self._armed.clear()
        await self._tasks.stop()

    def __len__(self) -> int:
        return len(self._armed)
