"""Event-wide Socket.IO messages of presenters with the event-wide key: what the event
asks of people who join, and ending the event from the console (the same as the
admin's ``POST /api/events/{code}/end``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from plenary.errors import ErrorCode, PlenaryError
from plenary.event_service import EventService
from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.retention import EventRetention
from plenary.roles import Role


class EndEvent(BaseModel):
    model_config = ConfigDict(strict=True)

    #: The event's join code again, so that a console cannot end an event by a slip.
    confirm: str


class JoinFormChange(BaseModel):
    model_config = ConfigDict(strict=True)

    join: dict[str, Any]


def register(router: Router, retention: EventRetention, events: EventService) -> None:
    @router.on("event:join_form", roles={Role.PRESENTER}, model=JoinFormChange)
    async def join_form(session: Session, p: JoinFormChange) -> dict[str, Any]:
        if session.key_room is not None:
            raise PlenaryError(
                ErrorCode.FORBIDDEN, "Only the event-wide presenter key can change this."
            )
        return {"join": (await events.set_join_form(session.code, p.join)).to_dict()}

    @router.on("event:end", roles={Role.PRESENTER}, model=EndEvent)
    async def end(session: Session, p: EndEvent) -> dict[str, Any]:
        if session.key_room is not None:
            raise PlenaryError(
                ErrorCode.FORBIDDEN, "Only the event-wide presenter key can end the event."
            )
        if p.confirm.strip().upper() != session.code:
            raise PlenaryError(ErrorCode.BAD_REQUEST, "confirm must be this event's join code.")
        ended = await retention.end(session.code)
        # Where the export was written is the server's business, not the console's.
        return {"ended_at": ended["ended_at"]}
