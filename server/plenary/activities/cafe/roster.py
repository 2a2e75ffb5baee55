"""Who the attendees are (name, organisation, country), kept per process: a round seats
hundreds of people and every assignment names its tablemates, and an attendee record
never changes once made, so each event's list is read from the store once and again
only when someone unknown here shows up."""

from __future__ import annotations

from collections.abc import Iterable

from plenary.activities.cafe.rounds import Card
from plenary.activities.cafe.seating import Person
from plenary.store import AttendeeRecord, Store

#: Events whose attendee lists are kept (the oldest goes first past it).
EVENTS_KEPT = 64


def card_of(record: AttendeeRecord) -> dict[str, str | None]:
    return {
        "id": record.id,
        "name": record.name,
        "organisation": record.organisation,
        "country": record.country,
    }


class Roster:
    """Attendee records by event code, read through."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._events: dict[str, dict[str, AttendeeRecord]] = {}

    async def records(self, event: str, ids: Iterable[str]) -> dict[str, AttendeeRecord]:
        """The records of ``ids`` (those that exist) in event ``event``."""
        wanted = list(ids)
        known = self._events.get(event)
        if known is None or any(i not in known for i in wanted):
            known = await self._reload(event)
        return {i: known[i] for i in wanted if i in known}

    async def all(self, event: str) -> dict[str, AttendeeRecord]:
        """Every attendee of the event, read now."""
        return dict(await self._reload(event))

    async def cards(self, event: str, ids: Iterable[str]) -> dict[str, Card]:
        return {i: card_of(r) for i, r in (await self.records(event, ids)).items()}

    async def people(self, event: str, ids: Iterable[str]) -> list[Person]:
        """The seating engine's view of ``ids`` (those that exist)."""
        records = await self.records(event, ids)
        return [Person(r.id, r.organisation, r.country) for r in records.values()]

    async def names(self, event: str, ids: Iterable[str]) -> dict[str, str]:
        return {i: r.name for i, r in (await self.records(event, ids)).items()}

    async def _reload(self, event: str) -> dict[str, AttendeeRecord]:
        records = {r.id: r for r in await self._store.list_attendees(event)}
        self._events.pop(event, None)
        if len(self._events) >= EVENTS_KEPT:
            del self._events[next(iter(self._events))]
        self._events[event] = records
        return records
