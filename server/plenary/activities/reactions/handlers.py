"""Reactions as an activity kind: the attendees' ``reaction`` taps, the presenters'
emoji set, the welcome's ``reactions`` field and the export's totals per minute. It
never takes the stage, so ``view`` and ``left_stage`` have nothing to do."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.reactions.domain import ACTIVITY_TYPE, per_minute
from plenary.activities.reactions.limits import ReactionLimits
from plenary.activities.reactions.service import ReactionService
from plenary.clock import iso_utc
from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.stage.kinds import ExportSection, KindContext
from plenary.store import Activity

CSV_COLUMNS = ("time_utc", "emoji", "count")


class Tap(BaseModel):
    model_config = ConfigDict(strict=True)

    emoji: str = Field(min_length=1, max_length=64)


class EmojiSet(BaseModel):
    model_config = ConfigDict(strict=True)

    emojis: list[str] = Field(max_length=64)


class ReactionsKind:
    """Reactions as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: ReactionService) -> None:
        self.service = service

    @classmethod
    def build(cls, context: KindContext) -> ReactionsKind:
        limits = context.settings.limits_for(ReactionLimits)
        return cls(ReactionService(context.store, context.broadcaster, limits))

    def register(self, router: Router) -> None:
        service = self.service

        @router.on("reaction", roles={Role.ATTENDEE}, model=Tap)
        async def tap(session: Session, p: Tap) -> dict[str, Any]:
            # The ack is optional: most clients send taps without one.
            counted = await service.tap(session.scope, session.attendee_id, p.emoji)
            return {"counted": counted}

        @router.on("reactions:settings", roles={Role.PRESENTER}, model=EmojiSet)
        async def configure(session: Session, p: EmojiSet) -> dict[str, Any]:
            return await service.configure(session.scope, p.emojis)

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        return {"type": self.type}  # never on stage

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        return {"reactions": await self.service.state(code)}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        return None  # never on stage

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {}

    async def export(self, code: str) -> ExportSection:
        """The room's taps per minute (every process's, summed)."""
        minutes = per_minute(await self.service.minutes(code))
        items = [{**m, "time_utc": iso_utc(m["minute"])} for m in minutes]
        rows = [
            (item["time_utc"], emoji, count)
            for item in items
            for emoji, count in item["counts"].items()
        ]
        return ExportSection("reactions", items, CSV_COLUMNS, rows)

    async def demo(self, code: str) -> None:
        return None

    async def stop(self) -> None:
        await self.service.stop()
