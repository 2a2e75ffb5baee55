"""Pitch sessions as an activity kind: their Socket.IO messages (payload models and
handlers), their views per role, and what the stage and the export ask of them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.pitches.domain import ACTIVITY_TYPE
from plenary.activities.pitches.exporting import export_sessions, pitch_feedback
from plenary.activities.pitches.limits import PitchLimits
from plenary.activities.pitches.service import PitchService, public_view
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.scopes import event_code
from plenary.stage.kinds import ExportSection, KindContext
from plenary.store import Activity, Store

ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class SessionCreate(BaseModel):
    """Checked in full by :func:`plenary.activities.pitches.domain.build_session`."""

    model_config = ConfigDict(strict=True)

    title: str = Field(max_length=1000)
    pitches: list[dict[str, Any]] = Field(max_length=1000)
    criteria: list[str] | None = Field(default=None, max_length=100)
    timer_s: int | None = None


class SessionRef(BaseModel):
    model_config = ConfigDict(strict=True)

    session_id: str = ID


class PitchRef(SessionRef):
    pitch_id: str = ID


class PitchNow(PitchRef):
    timer_s: int | None = None


class PitchTimer(SessionRef):
    timer_s: int | None


class Jurors(SessionRef):
    jurors: list[str] = Field(max_length=1000)


class Rate(PitchRef):
    vote_id: str = ID
    stars: Any


class Feedback(PitchRef):
    vote_id: str = ID
    text: Any


class JuryScores(PitchRef):
    vote_id: str = ID
    scores: Any
    comment: Any = ""


class PitchesKind:
    """Pitch sessions as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: PitchService, store: Store) -> None:
        self.service = service
        self._store = store

    @classmethod
    def build(cls, context: KindContext) -> PitchesKind:
        settings = context.settings
        service = PitchService(
            context.store,
            context.broadcaster,
            context.stage,
            settings.limits_for(PitchLimits),
            settings.results_interval_ms,
        )
        return cls(service, context.store)

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        attendee = {Role.ATTENDEE}
        service = self.service

        @router.on("pitch:create", roles=presenter, model=SessionCreate)
        async def create(session: Session, p: SessionCreate) -> dict[str, Any]:
            return {"session": await service.create(session.scope, p.model_dump())}

        @router.on("pitch:open", roles=presenter, model=SessionRef)
        async def open_session(session: Session, p: SessionRef) -> dict[str, Any]:
            return {"session": await service.open(session.scope, p.session_id)}

        @router.on("pitch:now", roles=presenter, model=PitchNow)
        async def now(session: Session, p: PitchNow) -> dict[str, Any]:
            view = await service.now(session.scope, p.session_id, p.pitch_id, p.timer_s)
            return {"session": view}

        @router.on("pitch:timer", roles=presenter, model=PitchTimer)
        async def timer(session: Session, p: PitchTimer) -> dict[str, Any]:
            return {"session": await service.timer(session.scope, p.session_id, p.timer_s)}

        @router.on("pitch:attendees", roles=presenter, model=NoPayload)
        async def attendees(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"attendees": await service.attendees(session.scope)}

        @router.on("pitch:jurors", roles=presenter, model=Jurors)
        async def jurors(session: Session, p: Jurors) -> dict[str, Any]:
            return {"session": await service.set_jurors(session.scope, p.session_id, p.jurors)}

        @router.on("pitch:close", roles=presenter, model=SessionRef)
        async def close(session: Session, p: SessionRef) -> dict[str, Any]:
            return {"session": await service.close(session.scope, p.session_id)}

        @router.on("pitch:list", roles=presenter, model=NoPayload)
        async def list_sessions(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"sessions": await self._list(session.scope)}

        @router.on("pitch:export", roles=presenter, model=PitchRef)
        async def export_pitch(session: Session, p: PitchRef) -> dict[str, Any]:
            return {"feedback": await self._pitch_export(session.scope, p.session_id, p.pitch_id)}

        @router.on("pitch:rate", roles=attendee, model=Rate)
        async def rate(session: Session, p: Rate) -> dict[str, Any]:
            return await service.give(
                session.scope,
                session.attendee_record,
                p.session_id,
                p.pitch_id,
                p.vote_id,
                "ratings",
                p.stars,
            )

        @router.on("pitch:feedback", roles=attendee, model=Feedback)
        async def feedback(session: Session, p: Feedback) -> dict[str, Any]:
            return await service.give(
                session.scope,
                session.attendee_record,
                p.session_id,
                p.pitch_id,
                p.vote_id,
                "feedback",
                p.text,
            )

        @router.on("pitch:jury", roles=attendee, model=JuryScores)
        async def jury(session: Session, p: JuryScores) -> dict[str, Any]:
            value = {"scores": p.scores, "comment": p.comment}
            return await service.give(
                session.scope,
                session.attendee_record,
                p.session_id,
                p.pitch_id,
                p.vote_id,
                "jury",
                value,
            )

    async def _list(self, code: str) -> list[dict[str, Any]]:
        return [
            await self.service.presenter_view(code, activity, session)
            for activity, session in await self.service.sessions(code)
        ]

    async def _pitch_export(self, code: str, session_id: str, pitch_id: str) -> dict[str, Any]:
        _, session = await self.service.load(code, session_id)
        session.position(pitch_id)
        answers = {
            a: r.value for a, r in (await self._store.list_answers(code, session_id)).items()
        }
        names = {a.id: a.name for a in await self._store.list_attendees(event_code(code))}
        return pitch_feedback(session, pitch_id, answers, names)

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        if session.role is Role.ATTENDEE:
            view = await self.service.attendee_view(code, activity, session.attendee_record)
        elif session.role is Role.PRESENTER:
            _, parsed = await self.service.load(code, activity.id)
            view = await self.service.presenter_view(code, activity, parsed)
        else:
            _, parsed = await self.service.load(code, activity.id)
            view = public_view(parsed, activity)
        return {"type": self.type, "session": view}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        if session.role is Role.PRESENTER:
            return {"pitch_sessions": await self._list(code)}
        return {}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        await self.service.left_stage(code, before, after)

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {"title": activity.definition.get("title")}

    async def export(self, code: str) -> ExportSection:
        return await export_sessions(self.service, self._store, code)

    async def demo(self, code: str) -> None:
        return None  # the demo event shows polls and an award ballot

    async def stop(self) -> None:
        await self.service.stop()
