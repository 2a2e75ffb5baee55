"""Polls as an activity kind: their Socket.IO messages (payload models and handlers,
each validating, calling :class:`PollService` and returning the ack fields), their
views per role, and what the stage and the export ask of them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.polls.domain import ACTIVITY_TYPE
from plenary.activities.polls.limits import PollLimits
from plenary.activities.polls.moderation import MAX_BLOCKED_WORDS
from plenary.activities.polls.service import Audience, PollService
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session
from plenary.roles import STAFF_ROLES, Role
from plenary.stage.kinds import ExportSection, KindContext
from plenary.store import Activity

#: The demo event's polls (``plenary serve`` in the embedded default).
DEMO_POLLS: list[dict[str, Any]] = [
    {
        "question": "Where are you joining from?",
        "kind": "single",
        "options": ["Europe", "Americas", "Africa", "Asia-Pacific"],
    },
    {"question": "Three words for how you feel today", "kind": "wordcloud"},
    {"question": "How useful was this session?", "kind": "rating", "scale": 5},
]

POLL_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class PollCreate(BaseModel):
    model_config = ConfigDict(strict=True)

    question: str
    kind: str
    options: list[str] | None = None
    scale: int | None = None
    max_words: int | None = None
    # Settings (see PollModeration, PollScreen), optional.
    screen_live: bool | None = None
    moderation: Literal["off", "pre"] | None = None
    filter: bool | None = None
    blocked_words: list[str] | None = Field(default=None, max_length=MAX_BLOCKED_WORDS)

    def settings(self) -> dict[str, Any]:
        names = ("screen_live", "moderation", "filter", "blocked_words")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class PollChanges(BaseModel):
    """Fields of a draft to change; those left out stay (checked by ``build_poll``)."""

    model_config = ConfigDict(strict=True)

    question: str | None = None
    kind: str | None = None
    options: list[str] | None = None
    scale: int | None = None
    max_words: int | None = None


class PollUpdate(BaseModel):
    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID
    changes: PollChanges


class PollOrder(BaseModel):
    model_config = ConfigDict(strict=True)

    order: list[str] = Field(max_length=1000)


class PollRef(BaseModel):
    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID


class PollScreen(BaseModel):
    """The poll's screen switch: live results on the big screen before the reveal."""

    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID
    live: bool


class PollModeration(BaseModel):
    """A text poll's moderation settings; fields left out stay."""

    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID
    mode: Literal["off", "pre"] | None = None
    filter: bool | None = None
    blocked_words: list[str] | None = Field(default=None, max_length=MAX_BLOCKED_WORDS)


class PollModerate(BaseModel):
    """A decision on one entry (its counting key, as in the results' ``counts``)."""

    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID
    entry: str = Field(min_length=1, max_length=400)
    action: Literal["approve", "hide", "show"]


class PollVote(BaseModel):
    model_config = ConfigDict(strict=True)

    poll_id: str = POLL_ID
    choice: Any
    vote_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


def audience_of(session: Session) -> Audience:
    """Whose view of the polls a connection gets (a big screen: results after the
    reveal, or live with the screen switch; moderated entries left out)."""
    if session.role is Role.PRESENTER:
        return Audience.PRESENTERS
    return Audience.SCREENS if session.role is Role.SCREEN else Audience.ATTENDEES


class PollsKind:
    """Polls as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: PollService) -> None:
        self.service = service

    @classmethod
    def build(cls, context: KindContext) -> PollsKind:
        settings = context.settings
        return cls(
            PollService(
                context.store,
                context.broadcaster,
                context.stage,
                settings.limits_for(PollLimits),
                settings.results_interval_ms,
            )
        )

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        service = self.service

        @router.on("poll:create", roles=presenter, model=PollCreate)
        async def create(session: Session, p: PollCreate) -> dict[str, Any]:
            poll = await service.create(
                session.scope, p.question, p.kind, p.options, p.scale, p.max_words, p.settings()
            )
            return {"poll": poll}

        @router.on("poll:update", roles=presenter, model=PollUpdate)
        async def update(session: Session, p: PollUpdate) -> dict[str, Any]:
            changes = p.changes.model_dump(exclude_unset=True)
            return {"poll": await service.update(session.scope, p.poll_id, changes)}

        @router.on("poll:duplicate", roles=presenter, model=PollRef)
        async def duplicate(session: Session, p: PollRef) -> dict[str, Any]:
            return {"poll": await service.duplicate(session.scope, p.poll_id)}

        @router.on("poll:delete", roles=presenter, model=PollRef)
        async def delete(session: Session, p: PollRef) -> dict[str, Any]:
            return await service.delete(session.scope, p.poll_id)

        @router.on("poll:reorder", roles=presenter, model=PollOrder)
        async def reorder(session: Session, p: PollOrder) -> dict[str, Any]:
            return await service.reorder(session.scope, p.order)

        @router.on("poll:open", roles=presenter, model=PollRef)
        async def open_poll(session: Session, p: PollRef) -> dict[str, Any]:
            return {"poll": await service.open(session.scope, p.poll_id)}

        @router.on("poll:close", roles=presenter, model=PollRef)
        async def close(session: Session, p: PollRef) -> dict[str, Any]:
            return await service.close(session.scope, p.poll_id)

        @router.on("poll:reveal", roles=presenter, model=PollRef)
        async def reveal(session: Session, p: PollRef) -> dict[str, Any]:
            return await service.reveal(session.scope, p.poll_id)

        @router.on("poll:screen", roles=presenter, model=PollScreen)
        async def screen(session: Session, p: PollScreen) -> dict[str, Any]:
            return await service.set_screen(session.scope, p.poll_id, p.live)

        @router.on("poll:moderation", roles=presenter, model=PollModeration)
        async def moderation(session: Session, p: PollModeration) -> dict[str, Any]:
            settings = {
                "moderation": p.mode,
                "filter": p.filter,
                "blocked_words": p.blocked_words,
            }
            return await service.set_moderation(session.scope, p.poll_id, settings)

        @router.on("poll:moderate", roles=presenter, model=PollModerate)
        async def moderate(session: Session, p: PollModerate) -> dict[str, Any]:
            return await service.moderate(session.scope, p.poll_id, p.entry, p.action)

        @router.on("poll:list", roles=STAFF_ROLES, model=NoPayload)
        async def list_polls(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"polls": await service.list_polls(session.scope, audience_of(session))}

        @router.on("poll:vote", roles={Role.ATTENDEE}, model=PollVote)
        async def vote(session: Session, p: PollVote) -> dict[str, Any]:
            return await service.vote(
                session.scope, session.attendee_id, p.poll_id, p.choice, p.vote_id
            )

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        if session.role is Role.ATTENDEE:
            poll = await self.service.attendee_view(code, activity, session.attendee_id)
        else:
            poll = await self.service.view_with_results(code, activity, audience_of(session))
        return {"type": self.type, "poll": poll}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        if session.role in STAFF_ROLES:
            return {"polls": await self.service.list_polls(code, audience_of(session))}
        return {}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        await self.service.left_stage(code, before, after)

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {"question": activity.definition.get("question")}

    async def export(self, code: str) -> ExportSection:
        return await self.service.export(code)

    async def demo(self, code: str) -> None:
        for poll in DEMO_POLLS:
            await self.service.create(
                code, poll["question"], poll["kind"], poll.get("options"), poll.get("scale")
            )

    async def stop(self) -> None:
        await self.service.stop()
