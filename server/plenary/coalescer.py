"""Coalesced results broadcasts: however fast answers arrive, each activity's results go
out at most once per window (default 250 ms, so about 4 a second), the first change
goes out at once, and the last broadcast always reflects the last answer.

Works across processes: :meth:`plenary.store.Store.claim_broadcast` elects one
broadcaster per window for everyone sharing the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from plenary.errors import StoreUnavailable
from plenary.store import ClaimKind, Store
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)

Publish = Callable[[str, str], Awaitable[None]]


class ResultsCoalescer:
    """Schedules ``publish(code, activity_id)`` calls, coalesced per activity."""

    def __init__(self, store: Store, window_ms: int, publish: Publish) -> None:
        self._store = store
        self._window_ms = window_ms
        self._publish = publish
        self._wanted: dict[tuple[str, str], int] = {}
        self._running: set[tuple[str, str]] = set()
        self._tasks = TaskOwner("results-coalescer")

    def note(self, code: str, activity_id: str, version: int) -> None:
        """An answer produced ``version``: make sure a broadcast showing it happens."""
        key = (code, activity_id)
        if version <= self._wanted.get(key, 0) and key in self._running:
            return
        self._wanted[key] = max(version, self._wanted.get(key, 0))
        if key not in self._running:
            self._running.add(key)
            self._tasks.spawn(self._run(key), name=f"results:{code}:{activity_id}")

    async def _run(self, key: tuple[str, str]) -> None:
        code, activity_id = key
        backoff = 0.1
        try:
            while True:
                want = self._wanted[key]
                try:
                    claim = await self._store.claim_broadcast(
                        code, activity_id, want, self._window_ms
                    )
                    if claim.kind is ClaimKind.GO:
                        await self._publish(code, activity_id)
                        done_up_to = claim.version
                    elif claim.kind is ClaimKind.WAIT:
                        await asyncio.sleep(claim.wait_ms / 1000)
                        continue
                    else:
                        done_up_to = want
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except StoreUnavailable:
                    # Expected while Redis restarts: the store logs the outage once; the
                    # broadcast is retried until it goes out.
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                except Exception:
                    log.exception("results broadcast for %s/%s failed", code, activity_id)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                # No await between this check and leaving: note() sees a consistent state.
                if self._wanted[key] <= done_up_to:
                    del self._wanted[key]
                    return
        finally:
            self._running.discard(key)

    async def stop(self) -> None:
        await self._tasks.stop()
