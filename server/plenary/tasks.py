"""Background tasks with an owner: whoever starts a task can stop it, and shutdown
stops them all. Loops re-raise CancelledError and log everything else."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from plenary.errors import StoreUnavailable

log = logging.getLogger(__name__)


class TaskOwner:
    """Holds references to running tasks (so they are not garbage-collected) and
    cancels them on :meth:`stop`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)


async def run_forever(
    name: str,
    step: Callable[[], Awaitable[None]],
    interval_s: float,
    max_backoff_s: float = 30.0,
) -> None:
    """Call ``step`` every ``interval_s`` seconds until cancelled; on errors log and back
    off (doubling, capped) instead of dying."""
    backoff = interval_s
    while True:
        try:
            await step()
            backoff = interval_s
        except asyncio.CancelledError:
            raise
        except StoreUnavailable:
            # An expected outage (Redis restarting), logged once by the store: no
            # traceback per round.
            log.debug("%s: store unavailable; retrying in %.1fs", name, backoff)
        except Exception:
            log.exception("%s failed; retrying in %.1fs", name, backoff)
        else:
            await asyncio.sleep(interval_s)
            continue
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, max_backoff_s)
