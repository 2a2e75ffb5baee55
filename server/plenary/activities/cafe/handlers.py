"""World cafés as an activity kind: their Socket.IO messages (payload models and
handlers, each validating, calling the service and returning the ack fields), their
views per role, and what the stage and the export ask of them. docs/protocol.md, "World
café", describes every message."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.cafe.domain import ACTIVITY_TYPE
from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.service import CafeService
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session
from plenary.roles import STAFF_ROLES, Role
from plenary.stage.kinds import ExportSection, KindContext
from plenary.store import Activity

#: The demo event's café (``plenary serve`` in the embedded default), in draft: it seats
#: whoever has joined it when its first round starts.
DEMO_CAFE: dict[str, Any] = {
    "title": "World café",
    "table_size": 4,
    "rounds": 3,
    "round_s": 600,
    "topics": ["What surprised you today?", "What will you try next week?"],
}

CAFE_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
HARVEST_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
ATTENDEE_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class CafeCreate(BaseModel):
    """``cafe:create``: the values are checked by the domain (build_cafe), which says
    what to change; the model only fixes their types."""

    model_config = ConfigDict(strict=True)

    title: str | None = None
    tables: int | None = None
    table_size: int | None = None
    min_size: int | None = None
    max_size: int | None = None
    rounds: int
    round_s: int
    topics: list[str]
    hosts: list[str] | None = None
    spread: list[str] | None = None
    room_url: str | None = None


class CafeRef(BaseModel):
    model_config = ConfigDict(strict=True)

    cafe_id: str = CAFE_ID


class CafeRound(BaseModel):
    model_config = ConfigDict(strict=True)

    cafe_id: str = CAFE_ID
    #: the number of the round to start: a retry of one that started acks it
    round: int | None = None


class HarvestWrite(BaseModel):
    model_config = ConfigDict(strict=True)

    cafe_id: str = CAFE_ID
    harvest_id: str = HARVEST_ID
    text: str


class HarvestRef(BaseModel):
    model_config = ConfigDict(strict=True)

    cafe_id: str = CAFE_ID
    harvest_id: str = HARVEST_ID


class Spotlight(BaseModel):
    model_config = ConfigDict(strict=True)

    cafe_id: str = CAFE_ID
    author_id: str = ATTENDEE_ID
    harvest_id: str = HARVEST_ID
    shown: bool = True


class CafeKind:
    """World cafés as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: CafeService) -> None:
        self.service = service

    @classmethod
    def build(cls, context: KindContext) -> CafeKind:
        limits = context.settings.limits_for(CafeLimits)
        return cls(CafeService(context.store, context.broadcaster, context.stage, limits))

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        attendee = {Role.ATTENDEE}
        service = self.service
        seats = service.seats
        harvests = service.harvests

        @router.on("cafe:create", roles=presenter, model=CafeCreate)
        async def create(session: Session, p: CafeCreate) -> dict[str, Any]:
            return {"cafe": await service.create(session.scope, p.model_dump())}

        @router.on("cafe:start", roles=presenter, model=CafeRef)
        async def start(session: Session, p: CafeRef) -> dict[str, Any]:
            return {"cafe": await service.start(session.scope, p.cafe_id)}

        @router.on("cafe:round", roles=presenter, model=CafeRound)
        async def next_round(session: Session, p: CafeRound) -> dict[str, Any]:
            return await seats.next_round(session.scope, p.cafe_id, p.round)

        @router.on("cafe:end", roles=presenter, model=CafeRef)
        async def end(session: Session, p: CafeRef) -> dict[str, Any]:
            return {"cafe": await service.end(session.scope, p.cafe_id)}

        @router.on("cafe:list", roles=STAFF_ROLES, model=NoPayload)
        async def list_cafes(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"cafes": await service.list_cafes(session.scope)}

        @router.on("cafe:attendees", roles=presenter, model=NoPayload)
        async def attendees(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"attendees": await service.attendees(session.scope)}

        @router.on("cafe:join", roles=attendee, model=CafeRef)
        async def join(session: Session, p: CafeRef) -> dict[str, Any]:
            return await seats.join(session.scope, p.cafe_id, session.attendee_id)

        @router.on("cafe:leave", roles=attendee, model=CafeRef)
        async def leave(session: Session, p: CafeRef) -> dict[str, Any]:
            return await seats.leave(session.scope, p.cafe_id, session.attendee_id)

        @router.on("cafe:harvest", roles=attendee, model=HarvestWrite)
        async def harvest(session: Session, p: HarvestWrite) -> dict[str, Any]:
            return await harvests.write(
                session.scope, p.cafe_id, session.attendee_id, p.harvest_id, p.text
            )

        @router.on("cafe:harvest_remove", roles=attendee, model=HarvestRef)
        async def harvest_remove(session: Session, p: HarvestRef) -> dict[str, Any]:
            return await harvests.remove(
                session.scope, p.cafe_id, session.attendee_id, p.harvest_id
            )

        @router.on("cafe:harvests", roles={Role.PRESENTER, Role.ATTENDEE}, model=CafeRef)
        async def harvest_list(session: Session, p: CafeRef) -> dict[str, Any]:
            mine = session.attendee_id if session.role is Role.ATTENDEE else None
            listed = await harvests.listing(session.scope, p.cafe_id, mine)
            return {"cafe_id": p.cafe_id, "harvests": listed}

        @router.on("cafe:spotlight", roles=presenter, model=Spotlight)
        async def spotlight(session: Session, p: Spotlight) -> dict[str, Any]:
            return await harvests.spotlight(
                session.scope, p.cafe_id, p.author_id, p.harvest_id, p.shown
            )

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        if session.role is Role.ATTENDEE:
            view = await self.service.attendee_view(code, activity, session.attendee_id)
        else:
            view = await self.service.staff_view(code, activity, session.role is Role.PRESENTER)
        return {"type": self.type, **view}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        if session.role in STAFF_ROLES:
            return {"cafes": await self.service.list_cafes(code)}
        return {}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        await self.service.left_stage(code, before, after)

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {"question": activity.definition.get("title")}

    async def export(self, code: str) -> ExportSection:
        return await self.service.export(code)

    async def demo(self, code: str) -> None:
        await self.service.create(code, DEMO_CAFE)

    async def stop(self) -> None:
        await self.service.stop()
