"""Reaction use cases: taps counted in memory, stored once per window per room, and one
``reactions`` message per window per room (see :mod:`.domain` for how processes
combine)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from plenary import ids
from plenary.activities.reactions.domain import (
    DEFAULT_EMOJIS,
    MINUTES_ID,
    MINUTES_TYPE,
    ROOM_RECORD_ID,
    ROOM_RECORD_TYPE,
    RoomTaps,
    TapLimiter,
    check_emojis,
    sum_counts,
    window_counts,
)
from plenary.activities.reactions.limits import ReactionLimits
from plenary.clock import now_ms
from plenary.coalescer import ResultsCoalescer
from plenary.errors import StoreUnavailable
from plenary.realtime.broadcast import Broadcaster
from plenary.store import RecordOutcome, Store
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)

OPEN = "open"  # the status under which the store takes answers for a record
#: How long a process trusts its copy of a room's emoji set: a tap on an emoji the
#: presenter just removed may still count for this long.
EMOJI_CACHE_MS = 2_000


class ReactionService:
    """Taps in, one total per window and room out."""

    def __init__(self, store: Store, broadcaster: Broadcaster, limits: ReactionLimits) -> None:
        self._store = store
        self._out = broadcaster
        self._limits = limits
        self.window_ms = limits.reactions_window_ms
        #: This process's name in the room records (a restart is a new process: the
        #: old one's totals stay and still add up).
        self.process = ids.new_id("x")
        self.limiter = TapLimiter(limits.reactions_taps_per_second, limits.reactions_tap_burst)
        self._rooms: dict[str, RoomTaps] = {}
        self._emojis: dict[str, tuple[int, tuple[str, ...]]] = {}
        self._ready: set[str] = set()
        self._tasks = TaskOwner("reactions")
        self._flushing = False
        self.coalescer = ResultsCoalescer(store, self.window_ms, self.publish)

    async def stop(self) -> None:
        await self._tasks.stop()
        await self.coalescer.stop()

    async def emojis(self, code: str) -> tuple[str, ...]:
        now = now_ms()
        cached = self._emojis.get(code)
        if cached is not None and now - cached[0] < EMOJI_CACHE_MS:
            return cached[1]
        room = await self._store.get_activity(code, ROOM_RECORD_ID)
        found = tuple(room.meta.get("emojis") or DEFAULT_EMOJIS) if room else DEFAULT_EMOJIS
        if len(self._emojis) > 4096:
            self._emojis.clear()
        self._emojis[code] = (now, found)
        return found

    async def tap(self, code: str, attendee_id: str, emoji: str) -> bool:
        """Count one tap; False (and nothing counted) for an emoji outside the room's
        set or a tap over the attendee's limit. Never an error: a flood of taps must
        not become a flood of error acks."""
        if emoji not in await self.emojis(code):
            return False
        now = now_ms()
        if not self.limiter.allow(f"{code}|{attendee_id}", now):
            return False
        self._rooms.setdefault(code, RoomTaps()).add(emoji, now)
        if not self._flushing:
            self._flushing = True
            self._tasks.spawn(self._flush_loop(), name="reactions-flush")
        return True

    async def _flush_loop(self) -> None:
        try:
            while any(room.window for room in self._rooms.values()):
                await asyncio.sleep(self.window_ms / 1000)
                for code, room in list(self._rooms.items()):
                    if room.window:
                        await self._flush(code, room)
                self.limiter.forget_idle(now_ms())
        finally:
            self._flushing = False

    async def _flush(self, code: str, room: RoomTaps) -> None:
        running, minutes = room.close_window()
        try:
            await self._ensure(code)
            stored = await self._store.record_answer(
                code, ROOM_RECORD_ID, self.process, ids.new_id("w"), (), running, now_ms()
            )
            await asyncio.gather(
                *(
                    self._store.record_answer(
                        code,
                        MINUTES_ID,
                        f"{self.process}@{minute}",
                        ids.new_id("w"),
                        (),
                        counts,
                        minute,
                    )
                    for minute, counts in minutes.items()
                )
            )
        except StoreUnavailable:
            log.debug("reactions of %s not stored (store unavailable); they add up later", code)
            return
        if stored.outcome is RecordOutcome.STORED:
            self.coalescer.note(code, ROOM_RECORD_ID, stored.version)
        else:
            self._ready.discard(code)

    async def _ensure(self, code: str) -> None:
        if code in self._ready:
            return
        await self._store.add_activity(code, ROOM_RECORD_ID, {"type": ROOM_RECORD_TYPE}, OPEN)
        await self._store.add_activity(code, MINUTES_ID, {"type": MINUTES_TYPE}, OPEN)
        if len(self._ready) > 4096:
            self._ready.clear()
        self._ready.add(code)

    async def publish(self, code: str, _record: str) -> None:
        """This process won the window: send what was stored since the last message."""
        answers, room = await asyncio.gather(
            self._store.list_answers(code, ROOM_RECORD_ID),
            self._store.get_activity(code, ROOM_RECORD_ID),
        )
        totals = sum_counts(record.value for record in answers.values())
        sent = (room.meta.get("sent") if room is not None else None) or {}
        counts = window_counts(totals, sent)
        if not counts:
            return
        await self._store.update_activity(code, ROOM_RECORD_ID, None, {"sent": totals})
        await self._out.to_staff(code, "reactions", {"counts": counts, "window_ms": self.window_ms})

    async def configure(self, code: str, emojis: Any) -> dict[str, Any]:
        chosen = check_emojis(emojis, self._limits.reactions_max_emojis)
        await self._ensure(code)
        await self._store.update_activity(code, ROOM_RECORD_ID, None, {"emojis": list(chosen)})
        self._emojis[code] = (now_ms(), chosen)
        await self._out.to_everyone(code, "reactions:settings", {"emojis": list(chosen)})
        return {"emojis": list(chosen)}

    async def state(self, code: str) -> dict[str, Any]:
        return {"emojis": list(await self.emojis(code)), "window_ms": self.window_ms}

    async def minutes(self, code: str) -> list[tuple[int, dict[str, int]]]:
        answers = await self._store.list_answers(code, MINUTES_ID)
        return [(record.ts, dict(record.value)) for record in answers.values()]
