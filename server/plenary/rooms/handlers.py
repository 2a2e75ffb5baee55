"""The programme's Socket.IO messages: attendees, screens and presenters move between
rooms (``room:enter``); presenters with the event-wide key add, change, reorder and
close rooms."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from plenary.errors import ErrorCode, PlenaryError
from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.rooms.programme import Programme, room_view

ROOM = Field(min_length=1, max_length=32)


class Mover(Protocol):
    """Moves a connected socket to another room (the gateway)."""

    async def move(self, session: Session, room: str) -> dict[str, Any]: ...


class RoomRef(BaseModel):
    model_config = ConfigDict(strict=True)

    room: str = ROOM


class RoomFields(BaseModel):
    """Checked in full by :meth:`Programme.create` / :meth:`Programme.update`."""

    model_config = ConfigDict(extra="allow")


class RoomUpdate(BaseModel):
    model_config = ConfigDict(strict=True)

    room: str = ROOM
    changes: dict[str, Any]


class RoomOrder(BaseModel):
    model_config = ConfigDict(strict=True)

    order: list[str] = Field(max_length=1000)


def event_wide(session: Session) -> None:
    if session.key_room is not None:
        raise PlenaryError(
            ErrorCode.FORBIDDEN,
            "Only a presenter with the event-wide key can change the programme; this "
            "key is for one room.",
        )


def register(router: Router, programme: Programme, mover: Mover) -> None:
    @router.on("room:enter", roles=set(Role), model=RoomRef)
    async def enter(session: Session, p: RoomRef) -> dict[str, Any]:
        room = await programme.open_room(session.code, p.room)
        if session.key_room is not None and room.id != session.key_room:
            raise PlenaryError(
                ErrorCode.FORBIDDEN,
                "This presenter key is for another room; use the event-wide key to "
                "present in every room.",
            )
        return {"state": await mover.move(session, room.id)}

    presenter = {Role.PRESENTER}

    @router.on("room:create", roles=presenter, model=RoomFields)
    async def create(session: Session, p: RoomFields) -> dict[str, Any]:
        event_wide(session)
        room, key = await programme.create(session.code, p.model_dump())
        return {"room": room_view(room), "presenter_key": key}

    @router.on("room:update", roles=presenter, model=RoomUpdate)
    async def update(session: Session, p: RoomUpdate) -> dict[str, Any]:
        event_wide(session)
        return {"room": room_view(await programme.update(session.code, p.room, p.changes))}

    @router.on("room:reorder", roles=presenter, model=RoomOrder)
    async def reorder(session: Session, p: RoomOrder) -> dict[str, Any]:
        event_wide(session)
        return {"rooms": [room_view(r) for r in await programme.reorder(session.code, p.order)]}

    @router.on("room:close", roles=presenter, model=RoomRef)
    async def close(session: Session, p: RoomRef) -> dict[str, Any]:
        event_wide(session)
        return {"room": room_view(await programme.close(session.code, p.room))}
