"""Q&A as an activity kind: its Socket.IO messages (payload models and handlers, each
validating, calling :class:`QAService` and returning the ack fields) and what the
welcome and the export ask of it. It never takes the stage, so ``view`` and
``left_stage`` have nothing to do."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.qa.domain import ACTIVITY_TYPE, Action
from plenary.activities.qa.export import export_questions
from plenary.activities.qa.limits import QALimits
from plenary.activities.qa.service import QAService
from plenary.errors import ErrorCode, PlenaryError
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.stage.kinds import ExportSection, KindContext
from plenary.store import Activity

CLIENT_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
#: Long enough for any limit a deployment sets; the service checks the configured one.
TEXT = Field(max_length=10_000)


class Ask(BaseModel):
    model_config = ConfigDict(strict=True)

    text: str = TEXT
    anonymous: bool = False
    ask_id: str = CLIENT_ID


class Upvote(BaseModel):
    model_config = ConfigDict(strict=True)

    question_id: str = CLIENT_ID
    up: bool


class Moderate(BaseModel):
    model_config = ConfigDict(strict=True)

    question_id: str = CLIENT_ID
    action: Action = Field(strict=False)


class Highlight(BaseModel):
    model_config = ConfigDict(strict=True)

    question_id: str | None = Field(default=None, min_length=1, max_length=64)


class TextChange(BaseModel):
    model_config = ConfigDict(strict=True)

    question_id: str = CLIENT_ID
    text: str = TEXT


class Configure(BaseModel):
    model_config = ConfigDict(strict=True)

    anonymous: bool | None = None
    moderation: bool | None = None


class QAKind:
    """Q&A as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: QAService) -> None:
        self.service = service

    @classmethod
    def build(cls, context: KindContext) -> QAKind:
        limits = context.settings.limits_for(QALimits)
        return cls(QAService(context.store, context.broadcaster, limits))

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        attendee = {Role.ATTENDEE}
        service = self.service

        @router.on("qa:ask", roles=attendee, model=Ask)
        async def ask(session: Session, p: Ask) -> dict[str, Any]:
            author = session.attendee
            if author is None:  # the router let attendees only in
                raise PlenaryError(ErrorCode.FORBIDDEN, "qa:ask is for attendees only.")
            return await service.ask(session.scope, author, p.text, p.anonymous, p.ask_id)

        @router.on("qa:upvote", roles=attendee, model=Upvote)
        async def upvote(session: Session, p: Upvote) -> dict[str, Any]:
            return await service.upvote(session.scope, session.attendee_id, p.question_id, p.up)

        @router.on("qa:moderate", roles=presenter, model=Moderate)
        async def moderate(session: Session, p: Moderate) -> dict[str, Any]:
            return await service.moderate(session.scope, p.question_id, p.action)

        @router.on("qa:highlight", roles=presenter, model=Highlight)
        async def highlight(session: Session, p: Highlight) -> dict[str, Any]:
            return await service.highlight(session.scope, p.question_id)

        @router.on("qa:reply", roles=presenter, model=TextChange)
        async def reply(session: Session, p: TextChange) -> dict[str, Any]:
            return await service.reply(session.scope, p.question_id, p.text)

        @router.on("qa:edit", roles=presenter, model=TextChange)
        async def edit(session: Session, p: TextChange) -> dict[str, Any]:
            return await service.edit(session.scope, p.question_id, p.text)

        @router.on("qa:settings", roles=presenter, model=Configure)
        async def configure(session: Session, p: Configure) -> dict[str, Any]:
            return await service.configure(session.scope, p.anonymous, p.moderation)

        @router.on("qa:list", roles={Role.ATTENDEE, Role.PRESENTER, Role.SCREEN}, model=NoPayload)
        async def list_questions(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"qa": await service.state(session.scope, _viewer(session))}

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        return {"type": self.type}  # never on stage

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        return {"qa": await self.service.state(code, _viewer(session))}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        return None  # never on stage

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {}

    async def export(self, code: str) -> ExportSection:
        return await export_questions(self.service.records, code)

    async def demo(self, code: str) -> None:
        return None

    async def stop(self) -> None:
        await self.service.stop()


def _viewer(session: Session) -> str | None:
    """Whose view: an attendee's id, or None for presenters and screens."""
    return session.attendee_id if session.role is Role.ATTENDEE else None
