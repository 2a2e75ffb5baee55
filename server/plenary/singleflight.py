"""One load for many callers: concurrent calls for the same key share the call in
flight.

A burst of answers that reaches a process which has not yet seen the quiz or poll they
are for would otherwise read its definition once per answer (500 reads at once, each
decoded), since each of them finds the cache empty before the first read returns; a
burst that meets Redis' empty script cache would load each script once per caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Runs ``load()`` once per key at a time; callers that come while it runs wait for
    its outcome (the value, or the same exception)."""

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """``load()``'s outcome: a coroutine or a future (an awaitable made at once)."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(load())
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        # A caller that is cancelled leaves the load running for the others.
        return await asyncio.shield(flight)

    def _landed(self, key: K, flight: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: every caller may have gone meanwhile
