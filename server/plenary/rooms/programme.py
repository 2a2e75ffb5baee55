"""The programme of an event: its rooms, their records and who may act in them.

The main room (id ``main``) always exists and cannot be closed; it has a stored record
only once renamed or moved. Other rooms are added with a title, an optional description
and times, and get a presenter key of their own (valid in that room only). Changes are
announced to everyone in every room of the event (``room:programme``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from plenary import ids
from plenary.clock import iso_utc, now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.realtime.broadcast import Broadcaster
from plenary.scopes import MAIN_ROOM, scope
from plenary.settings import Limits
from plenary.stage.stage import Stage
from plenary.store import RoomRecord, Store
from plenary.text import clean_text

log = logging.getLogger(__name__)

MAIN_TITLE = "Main room"
#: The largest time a room may start or end at (epoch ms; year 9999).
MAX_TIME_MS = 253_402_300_799_000


def main_room() -> RoomRecord:
    """The main room as it is before anyone renames or moves it."""
    return RoomRecord(MAIN_ROOM, MAIN_TITLE, 0)


def room_view(room: RoomRecord) -> dict[str, Any]:
    """A room as clients see it (never its key's digest)."""
    return {
        "id": room.id,
        "title": room.title,
        "description": room.description,
        "starts_at": room.starts_at,
        "ends_at": room.ends_at,
        "starts_at_utc": iso_utc(room.starts_at) if room.starts_at is not None else None,
        "ends_at_utc": iso_utc(room.ends_at) if room.ends_at is not None else None,
        "position": room.position,
        "main": room.id == MAIN_ROOM,
        "closed": room.closed_at is not None,
    }


class Programme:
    """Creates, changes and lists an event's rooms."""

    def __init__(self, store: Store, broadcaster: Broadcaster, stage: Stage, limits: Limits):
        self._store = store
        self._out = broadcaster
        self._stage = stage
        self._limits = limits

    # -- reading ---------------------------------------------------------------
    async def rooms(self, code: str) -> list[RoomRecord]:
        """Every room of the event in programme order, the main room included."""
        stored = await self._store.list_rooms(code)
        if not any(r.id == MAIN_ROOM for r in stored):
            stored.insert(0, main_room())
        return sorted(stored, key=lambda r: (r.position, r.id != MAIN_ROOM, r.created_at))

    async def room(self, code: str, room_id: str) -> RoomRecord | None:
        stored = await self._store.get_room(code, room_id)
        if stored is None and room_id == MAIN_ROOM:
            return main_room()
        return stored

    async def open_room(self, code: str, room_id: Any) -> RoomRecord:
        """The room ``room_id`` if it exists and is not closed, else ``not_found``."""
        found = await self.room(code, room_id) if isinstance(room_id, str) else None
        if found is None or found.closed_at is not None:
            raise PlenaryError(
                ErrorCode.NOT_FOUND,
                f"Room {str(room_id)[:40]!r} is not in this event's programme (or it is "
                "closed); pick one of the rooms listed in 'rooms'.",
            )
        return found

    async def views(self, code: str) -> list[dict[str, Any]]:
        return [room_view(r) for r in await self.rooms(code)]

    async def welcome(self, code: str, room: str) -> dict[str, Any]:
        """The room fields of every ``welcome`` and ``state:get``: the room the client
        is in, and the programme (``rooms``)."""
        rooms = await self.rooms(code)
        here = next((r for r in rooms if r.id == room), None) or main_room()
        return {"room": room_view(here), "rooms": [room_view(r) for r in rooms]}

    async def scopes(self, code: str) -> list[str]:
        """The scope of every open room (where event-wide messages must go)."""
        return [scope(code, r.id) for r in await self.rooms(code) if r.closed_at is None]

    # -- changing ----------------------------------------------------------------
    async def create(self, code: str, body: Any) -> tuple[RoomRecord, str]:
        """A new room from ``{"title", "description"?, "starts_at"?, "ends_at"?}``;
        returns it with its own presenter key."""
        fields = self._fields(body, require_title=True)
        stored = await self._store.list_rooms(code)
        key = ids.new_secret()
        room = RoomRecord(
            id=ids.new_id("r").replace("_", ""),
            title=fields["title"],
            position=max((r.position for r in stored), default=0) + 1,
            description=fields.get("description", ""),
            starts_at=fields.get("starts_at"),
            ends_at=fields.get("ends_at"),
            presenter_key_digest=ids.digest(key),
            created_at=now_ms(),
        )
        # The main room counts towards the limit, stored or implied.
        implied = 0 if any(r.id == MAIN_ROOM for r in stored) else 1
        limit = max(0, self._limits.max_rooms_per_event - implied)
        if not await self._store.add_room(code, room, limit):
            raise bad_request(
                f"An event holds at most {self._limits.max_rooms_per_event} rooms; close "
                "or reuse one."
            )
        log.info("room created", extra={"event": code, "activity": room.id})
        await self.announce(code)
        return room, key

    async def update(self, code: str, room_id: Any, body: Any) -> RoomRecord:
        """Change a room's title, description, times or ``position``."""
        room = await self.open_room(code, room_id)
        fields = self._fields(body, require_title=False)
        updated = replace(room, **fields)
        if updated.starts_at and updated.ends_at and updated.ends_at < updated.starts_at:
            raise bad_request("ends_at must not be before starts_at.")
        await self._store.put_room(code, updated)
        await self.announce(code)
        return updated

    async def reorder(self, code: str, order: Any) -> list[RoomRecord]:
        """Put the rooms in ``order`` (a list of room ids: every open room once)."""
        rooms = {r.id: r for r in await self.rooms(code) if r.closed_at is None}
        if (
            not isinstance(order, list)
            or len(order) != len(rooms)
            or set(order) != set(rooms)
            or len(set(order)) != len(order)
        ):
            raise bad_request("order must list every open room's id exactly once.")
        for position, room_id in enumerate(order):
            if rooms[room_id].position != position:
                await self._store.put_room(code, replace(rooms[room_id], position=position))
        await self.announce(code)
        return await self.rooms(code)

    async def close(self, code: str, room_id: Any) -> RoomRecord:
        """Close a room: its activity on stage closes, its people are told to go back to
        the main room, and it leaves the programme."""
        room = await self.open_room(code, room_id)
        if room.id == MAIN_ROOM:
            raise PlenaryError(ErrorCode.FORBIDDEN, "The main room cannot be closed.")
        closed = replace(room, closed_at=now_ms())
        await self._store.put_room(code, closed)
        where = scope(code, room.id)
        await self._stage.clear(where)
        await self._out.to_everyone(where, "room:closed", {"room": room_view(closed)})
        await self.announce(code)
        log.info("room closed", extra={"event": code, "activity": room.id})
        return closed

    async def announce(self, code: str) -> None:
        """Tell everyone in every room of the event about the programme as it is now."""
        rooms = await self.rooms(code)
        body = {"rooms": [room_view(r) for r in rooms]}
        for room in rooms:
            if room.closed_at is None:
                await self._out.to_everyone(scope(code, room.id), "room:programme", body)

    # -- checking --------------------------------------------------------------
    def _fields(self, body: Any, require_title: bool) -> dict[str, Any]:
        example = '{"title": "Breakout 1", "starts_at": 1767000000000}'
        if not isinstance(body, dict):
            raise bad_request(f"Send a JSON object such as {example}.")
        unknown = set(body) - {"title", "description", "starts_at", "ends_at", "position"}
        if unknown:
            raise bad_request(f"Unknown room fields: {', '.join(sorted(map(str, unknown)))}.")
        fields: dict[str, Any] = {}
        if "title" in body or require_title:
            fields["title"] = self._text(body.get("title"), "title", self._limits.max_title_len)
            if not fields["title"]:
                raise bad_request(f"A room needs a non-empty title, as in {example}.")
        if "description" in body:
            limit = self._limits.max_room_description_len
            fields["description"] = self._text(body["description"] or "", "description", limit)
        for name in ("starts_at", "ends_at"):
            if name in body:
                fields[name] = self._time(body[name], name)
        if "position" in body:
            position = body["position"]
            if type(position) is not int or not 0 <= position <= 10_000:
                raise bad_request("position must be a whole number from 0 to 10000.")
            fields["position"] = position
        start, end = fields.get("starts_at"), fields.get("ends_at")
        if start is not None and end is not None and end < start:
            raise bad_request("ends_at must not be before starts_at.")
        return fields

    @staticmethod
    def _text(value: Any, name: str, limit: int) -> str:
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string.")
        text = clean_text(value)
        if len(text) > limit:
            raise PlenaryError(ErrorCode.TOO_LONG, f"{name} is longer than {limit} characters.")
        return text

    @staticmethod
    def _time(value: Any, name: str) -> int | None:
        if value is None:
            return None
        if type(value) is not int or not 0 <= value <= MAX_TIME_MS:
            raise bad_request(f"{name} must be a time in epoch milliseconds, or null.")
        return value
