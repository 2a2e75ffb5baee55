"""Award ballots as an activity kind: their Socket.IO messages (payload models and
handlers, each validating, calling :class:`BallotService` and returning the ack
fields), their views per role, and what the stage and the export ask of them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.ballots.definition import ACTIVITY_TYPE
from plenary.activities.ballots.exporting import export_ballots
from plenary.activities.ballots.limits import BallotLimits
from plenary.activities.ballots.service import BallotService
from plenary.activities.ballots.voting import BallotVoting
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.stage.kinds import ExportSection, KindContext
from plenary.store import Activity

ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")

#: The demo event's ballot (``plenary serve`` in the embedded default).
DEMO_BALLOT: dict[str, Any] = {
    "title": "Cluster Manager of the Year",
    "method": "irv",
    "candidates": [
        {"name": "Ana Sousa", "organisation": "Lisbon Digital Cluster"},
        {"name": "Jonas Berg", "organisation": "Nordic Energy Cluster"},
        {"name": "Marta Kowalska", "organisation": "Silesian Health Cluster"},
    ],
}


class BallotCreate(BaseModel):
    """Checked in full by :func:`plenary.activities.ballots.definition.build_ballot`."""

    model_config = ConfigDict(strict=True)

    title: str = Field(max_length=1000)
    method: str = Field(max_length=20)
    candidates: list[dict[str, Any]] = Field(max_length=1000)
    max_choices: int | None = None
    eligibility: dict[str, Any] | None = None
    live: bool = False


class BallotRef(BaseModel):
    model_config = ConfigDict(strict=True)

    ballot_id: str = ID


class BallotReveal(BaseModel):
    model_config = ConfigDict(strict=True)

    ballot_id: str = ID
    places: int | None = None


class BallotRoll(BaseModel):
    model_config = ConfigDict(strict=True)

    ballot_id: str = ID
    csv: str


class BallotClaim(BaseModel):
    model_config = ConfigDict(strict=True)

    ballot_id: str = ID
    voting_code: str = Field(min_length=1, max_length=200)


class BallotCast(BaseModel):
    model_config = ConfigDict(strict=True)

    ballot_id: str = ID
    vote_id: str = ID
    choice: Any


class BallotsKind:
    """Award ballots as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: BallotService) -> None:
        self.service = service
        self.voting = BallotVoting(service)

    @classmethod
    def build(cls, context: KindContext) -> BallotsKind:
        settings = context.settings
        return cls(
            BallotService(
                context.store,
                context.broadcaster,
                context.stage,
                settings.limits_for(BallotLimits),
                settings.results_interval_ms,
            )
        )

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        service = self.service
        voting = self.voting

        @router.on("ballot:create", roles=presenter, model=BallotCreate)
        async def create(session: Session, p: BallotCreate) -> dict[str, Any]:
            return {"ballot": await service.create(session.scope, p.model_dump())}

        @router.on("ballot:roll", roles=presenter, model=BallotRoll)
        async def roll(session: Session, p: BallotRoll) -> dict[str, Any]:
            return await service.add_roll(session.scope, p.ballot_id, p.csv)

        @router.on("ballot:open", roles=presenter, model=BallotRef)
        async def open_ballot(session: Session, p: BallotRef) -> dict[str, Any]:
            return {"ballot": await service.open(session.scope, p.ballot_id)}

        @router.on("ballot:close", roles=presenter, model=BallotRef)
        async def close(session: Session, p: BallotRef) -> dict[str, Any]:
            return {"ballot": await service.close(session.scope, p.ballot_id)}

        @router.on("ballot:reveal", roles=presenter, model=BallotReveal)
        async def reveal(session: Session, p: BallotReveal) -> dict[str, Any]:
            return {"ballot": await service.reveal(session.scope, p.ballot_id, p.places)}

        @router.on("ballot:list", roles=presenter, model=NoPayload)
        async def list_ballots(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"ballots": await self._list(session.scope)}

        @router.on("ballot:claim", roles={Role.ATTENDEE}, model=BallotClaim)
        async def claim(session: Session, p: BallotClaim) -> dict[str, Any]:
            return await voting.claim(
                session.scope, session.attendee_record, p.ballot_id, p.voting_code
            )

        @router.on("ballot:cast", roles={Role.ATTENDEE}, model=BallotCast)
        async def cast(session: Session, p: BallotCast) -> dict[str, Any]:
            return await voting.cast(
                session.scope, session.attendee_record, p.ballot_id, p.vote_id, p.choice
            )

        @router.on("ballot:published", roles=set(Role), model=BallotRef)
        async def published(session: Session, p: BallotRef) -> dict[str, Any]:
            return await service.published(session.scope, p.ballot_id)

    async def _list(self, code: str) -> list[dict[str, Any]]:
        return [
            await self.service.presenter_view(code, activity, ballot)
            for activity, ballot in await self.service.ballots(code)
        ]

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        if session.role is Role.ATTENDEE:
            ballot = await self.voting.view(code, activity, session.attendee_record)
        elif session.role is Role.PRESENTER:
            _, parsed = await self.service.load(code, activity.id)
            ballot = await self.service.presenter_view(code, activity, parsed)
        else:
            ballot = await self.service.public_view(code, activity)
        return {"type": self.type, "ballot": ballot}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        if session.role is Role.PRESENTER:
            return {"ballots": await self._list(code)}
        return {}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        await self.service.left_stage(code, before, after)

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {"title": activity.definition.get("title")}

    async def export(self, code: str) -> ExportSection:
        return await export_ballots(self.service, code)

    async def demo(self, code: str) -> None:
        await self.service.create(code, dict(DEMO_BALLOT))

    async def stop(self) -> None:
        await self.service.stop()
