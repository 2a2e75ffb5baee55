"""State storage: one interface (:class:`Store`), an in-memory and a Redis backend."""

from __future__ import annotations

from plenary.settings import Settings
from plenary.store.base import (
    Activity,
    AnswerRecord,
    AttendeeRecord,
    Claim,
    ClaimKind,
    EventRecord,
    JoinOutcome,
    JoinResult,
    RecordOutcome,
    RecordResult,
    RoomRecord,
    StageChange,
    Store,
    Tally,
    TicketOutcome,
)


def store_for(settings: Settings) -> Store:
    """The backend the settings ask for (not started: call ``await store.start()``)."""
    if settings.redis_url:
        from plenary.store.redis import RedisStore

        return RedisStore(settings.redis_url, settings.redis_max_connections)
    from plenary.store.memory import MemoryStore

    return MemoryStore()


__all__ = [
    "Activity",
    "AnswerRecord",
    "AttendeeRecord",
    "Claim",
    "ClaimKind",
    "EventRecord",
    "JoinOutcome",
    "JoinResult",
    "RecordOutcome",
    "RecordResult",
    "RoomRecord",
    "StageChange",
    "Store",
    "Tally",
    "TicketOutcome",
    "store_for",
]
