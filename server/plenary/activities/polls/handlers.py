"""Socket.IO events of polls: payload models and handlers. Each handler validates,
calls :class:`PollService`, and returns the ack fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.polls.domain import ACTIVITY_TYPE
from plenary.activities.polls.service import PollService
from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.roles import STAFF_ROLES, Role
from plenary.store import Activity

POLL_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class PollCreate(BaseModel):
    model_config = ConfigDict(strict=True)

    question: str
    kind: str
    options: list[str] | None = None
    scale: int | None = None


class PollRef(BaseModel):
    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID


class PollVote(BaseModel):
    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID
    choice: Any
    vote_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class EmptyPayload(BaseModel):
    pass


class PollsModule:
    """Polls as an activity module (see :class:`plenary.activities.base.ActivityModule`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: PollService) -> None:
        self.service = service

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        service = self.service

        @router.on("poll:create", roles=presenter, model=PollCreate)
        async def create(session: Session, p: PollCreate) -> dict[str, Any]:
            poll = await service.create(session.code, p.question, p.kind, p.options, p.scale)
            return {"poll": poll}

        @router.on("poll:open", roles=presenter, model=PollRef)
        async def open_poll(session: Session, p: PollRef) -> dict[str, Any]:
            return {"poll": await service.open(session.code, p.poll_id)}

        @router.on("poll:close", roles=presenter, model=PollRef)
        async def close(session: Session, p: PollRef) -> dict[str, Any]:
            return await service.close(session.code, p.poll_id)

        @router.on("poll:reveal", roles=presenter, model=PollRef)
        async def reveal(session: Session, p: PollRef) -> dict[str, Any]:
            return await service.reveal(session.code, p.poll_id)

        @router.on("poll:list", roles=STAFF_ROLES, model=EmptyPayload)
        async def list_polls(session: Session, _: EmptyPayload) -> dict[str, Any]:
            return {"polls": await service.list_polls(session.code)}

        @router.on("poll:vote", roles={Role.ATTENDEE}, model=PollVote)
        async def vote(session: Session, p: PollVote) -> dict[str, Any]:
            return await service.vote(
                session.code, session.attendee_id, p.poll_id, p.choice, p.vote_id
            )

    async def current_view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        if session.role is Role.ATTENDEE:
            poll = await self.service.attendee_view(code, activity, session.attendee_id)
        else:
            poll = await self.service.view_with_results(code, activity)
        return {"type": self.type, "poll": poll}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        if session.role in STAFF_ROLES:
            return {"polls": await self.service.list_polls(code)}
        return {}
