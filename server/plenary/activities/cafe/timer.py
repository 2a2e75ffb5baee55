"""A round's clock: a warning before the end, then the end, each announced once. The
process that started the round owns its clock (one task per café); a new round, the
café's end or the server's shutdown stops it. Before announcing, the clock checks that
its round is still the café's current one, so a clock that outlived its round (another
process started the next) says nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from plenary.clock import now_ms
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)

#: (scope, café id, round number, what happens: "warning" or "ended") -> announce it
Announce = Callable[[str, str, int, str], Awaitable[None]]


class RoundClocks:
    """One clock per café, owned here."""

    def __init__(self, announce: Announce) -> None:
        self._announce = announce
        self._tasks = TaskOwner("cafe rounds")
        self._clocks: dict[tuple[str, str], asyncio.Task[None]] = {}

    def start(self, code: str, cafe_id: str, number: int, warn_at: int, ends_at: int) -> None:
        """Run the clock of round ``number`` (replacing the café's previous one)."""
        self.cancel(code, cafe_id)
        task = self._tasks.spawn(
            self._run(code, cafe_id, number, warn_at, ends_at), name=f"cafe:{cafe_id}:{number}"
        )
        self._clocks[(code, cafe_id)] = task
        task.add_done_callback(lambda done: self._forget(code, cafe_id, done))

    def cancel(self, code: str, cafe_id: str) -> None:
        task = self._clocks.pop((code, cafe_id), None)
        if task is not None:
            task.cancel()

    def running(self, code: str, cafe_id: str) -> bool:
        return (code, cafe_id) in self._clocks

    async def stop(self) -> None:
        self._clocks.clear()
        await self._tasks.stop()

    def _forget(self, code: str, cafe_id: str, task: asyncio.Task[None]) -> None:
        if self._clocks.get((code, cafe_id)) is task:
            del self._clocks[(code, cafe_id)]

    async def _run(self, code: str, cafe_id: str, number: int, warn_at: int, ends_at: int) -> None:
        for at, what in ((warn_at, "warning"), (ends_at, "ended")):
            delay = (at - now_ms()) / 1000
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._announce(code, cafe_id, number, what)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The store reports its own outages; the round goes on without the notice.
                log.warning("café round %s: the %s was not announced: %s", number, what, exc)
