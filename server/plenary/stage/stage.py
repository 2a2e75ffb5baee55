"""The stage: at most one activity on stage per event, whatever its kind.

Opening an activity of any kind takes the stage: in one atomic store operation
(:meth:`plenary.store.Store.take_stage`, one Lua script in Redis) the activity on stage
is closed, the new one gets its status and becomes current. Two presenters opening
activities of different kinds at the same moment, on different processes, leave exactly
one on stage and the other closed. The kind of the closed activity is then told
(:meth:`ActivityKind.left_stage`) so it can announce it; the event's end closes what is
on stage the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from plenary.clock import now_ms
from plenary.errors import not_found
from plenary.stage.kinds import Kinds
from plenary.store import Activity, StageChange, Store

log = logging.getLogger(__name__)


class Stage:
    """Takes and clears the stage of an event, and tells the kinds what left it."""

    def __init__(self, store: Store, kinds: Kinds) -> None:
        self._store = store
        self._kinds = kinds

    async def on_stage(self, code: str) -> Activity | None:
        """The activity on stage (the last one opened), if any."""
        current = await self._store.get_current(code)
        return await self._store.get_activity(code, current) if current else None

    async def take(
        self, code: str, activity_id: str, status: str | None, meta: Mapping[str, Any]
    ) -> Activity:
        """Put ``activity_id`` on stage with ``status`` (None: keep it) and ``meta``
        merged, closing the activity on stage before it. Raises ``not_found`` when the
        activity does not exist (and changes nothing)."""
        change = await self._store.take_stage(code, activity_id, status, meta, self._closing())
        if change.current is None:
            raise not_found(f"Activity {activity_id!r}")
        await self._announce(code, change)
        return change.current

    async def clear(self, code: str) -> Activity | None:
        """Close the activity on stage, if it is still running (the event ends). It stays
        the current one, so late visitors see how it ended. Returns it, closed."""
        change = await self._store.take_stage(code, None, None, {}, self._closing())
        await self._announce(code, change)
        return change.closed

    @staticmethod
    def _closing() -> dict[str, Any]:
        return {"closed_at": now_ms()}

    async def _announce(self, code: str, change: StageChange) -> None:
        before, after = change.closed_before, change.closed
        if before is None or after is None:
            return
        log.info(
            "stage closed %s to make way",
            before.id,
            extra={"event": code, "activity": before.id},
        )
        kind = self._kinds.of(after)
        if kind is not None:
            await kind.left_stage(code, before, after)
