"""Quizzes as an activity kind: their Socket.IO messages (payload models and handlers,
each calling :class:`QuizService` and returning the ack fields), the REST import, the
views per role, and what the stage and the export ask of them (docs/protocol.md,
"Quizzes")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plenary.activities.quiz.domain import ACTIVITY_TYPE
from plenary.activities.quiz.exporting import export_section
from plenary.activities.quiz.limits import QuizLimits
from plenary.activities.quiz.service import QuizService
from plenary.activities.quiz.welcome import session_view
from plenary.errors import bad_request
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session
from plenary.roles import Role
from plenary.stage.kinds import ExportSection, KindContext, KindRequest, KindRoute
from plenary.store import Activity, Store

ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
QUESTION_ID = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_]+$")

#: The demo event's quiz (``plenary serve`` in the embedded default).
DEMO_QUIZ: dict[str, Any] = {
    "title": "Warm-up quiz",
    "questions": [
        {
            "kind": "single",
            "question": "Which planet is the largest?",
            "options": ["Mars", "Jupiter", "Venus", "Saturn"],
            "correct": ["b"],
        },
        {"kind": "truefalse", "question": "Light is faster than sound.", "correct": True},
        {"kind": "number", "question": "How many minutes in a day?", "answer": 1440},
    ],
}


class QuizCreate(BaseModel):
    """Checked field by field by the quiz rules (their messages name the field)."""

    model_config = ConfigDict(extra="allow")


class QuizImport(BaseModel):
    model_config = ConfigDict(strict=True)

    format: Literal["json", "csv"]
    data: str
    title: str | None = None
    streak_bonus: bool | None = None
    teams: str | None = None


class QuizRef(BaseModel):
    model_config = ConfigDict(strict=True)

    quiz_id: str = ID


class QuizAnswer(BaseModel):
    model_config = ConfigDict(strict=True)

    quiz_id: str = ID
    question_id: str = QUESTION_ID
    choice: Any
    answer_id: str = ID


CSV_TYPES = ("text/csv", "text/plain", "application/csv", "text/comma-separated-values")
JSON_TYPES = ("application/json", "text/json")


class QuizKind:
    """Quizzes as an activity kind (see :class:`plenary.stage.kinds.ActivityKind`)."""

    type = ACTIVITY_TYPE

    def __init__(self, service: QuizService, store: Store) -> None:
        self.service = service
        self._store = store

    @classmethod
    def build(cls, context: KindContext) -> QuizKind:
        settings = context.settings
        service = QuizService(
            context.store,
            context.broadcaster,
            context.stage,
            settings.limits_for(QuizLimits),
            settings.results_interval_ms,
        )
        return cls(service, context.store)

    def register(self, router: Router) -> None:
        presenter = {Role.PRESENTER}
        service = self.service

        @router.on("quiz:create", roles=presenter, model=QuizCreate)
        async def create(session: Session, p: QuizCreate) -> dict[str, Any]:
            return {"quiz": await service.create(session.scope, p.model_dump())}

        @router.on("quiz:import", roles=presenter, model=QuizImport)
        async def import_file(session: Session, p: QuizImport) -> dict[str, Any]:
            quiz = await service.import_file(
                session.scope, p.format, p.data, p.title, p.streak_bonus, p.teams
            )
            return {"quiz": quiz}

        @router.on("quiz:list", roles=presenter, model=NoPayload)
        async def list_quizzes(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"quizzes": await service.list_quizzes(session.scope)}

        @router.on("quiz:start", roles=presenter, model=QuizRef)
        async def start(session: Session, p: QuizRef) -> dict[str, Any]:
            return await service.start(session.scope, p.quiz_id)

        @router.on("quiz:next", roles=presenter, model=QuizRef)
        async def next_question(session: Session, p: QuizRef) -> dict[str, Any]:
            return await service.next(session.scope, p.quiz_id)

        @router.on("quiz:close", roles=presenter, model=QuizRef)
        async def close(session: Session, p: QuizRef) -> dict[str, Any]:
            return await service.close(session.scope, p.quiz_id)

        @router.on("quiz:end", roles=presenter, model=QuizRef)
        async def end(session: Session, p: QuizRef) -> dict[str, Any]:
            return await service.end(session.scope, p.quiz_id)

        @router.on("quiz:answer", roles={Role.ATTENDEE}, model=QuizAnswer)
        async def answer(session: Session, p: QuizAnswer) -> dict[str, Any]:
            return await service.answering.answer(
                session.scope, session.attendee_id, p.quiz_id, p.question_id, p.choice, p.answer_id
            )

    def http_routes(self) -> list[KindRoute]:
        return [
            KindRoute(
                "POST", "quizzes", self._import_over_rest, self.service.limits.quiz_max_import_bytes
            )
        ]

    async def _import_over_rest(self, request: KindRequest) -> tuple[int, dict[str, Any]]:
        """``POST /api/events/{code}/quizzes``: a JSON file (the ``quiz:create``
        payload, or a bare list of questions) or a CSV file (``?title=...``)."""
        if request.content_type in CSV_TYPES:
            fmt = "csv"
        elif request.content_type in JSON_TYPES:
            fmt = "json"
        else:
            raise bad_request(
                "Send the quiz as Content-Type: application/json or text/csv (a CSV takes "
                "?title=...&streak_bonus=false&teams=country)."
            )
        query = request.query
        streak_bonus = query.get("streak_bonus")
        if streak_bonus not in (None, "true", "false"):
            raise bad_request("streak_bonus must be true or false.")
        quiz = await self.service.import_file(
            request.code,
            fmt,
            request.body,
            query.get("title"),
            None if streak_bonus is None else streak_bonus == "true",
            query.get("teams"),
        )
        return 201, {"quiz": quiz}

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        attendee_id = session.attendee_id if session.role is Role.ATTENDEE else None
        quiz = await session_view(self.service, self._store, code, activity, attendee_id)
        return {"type": self.type, "quiz": quiz}

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        # Definitions carry the correct answers: presenters only, never a big screen.
        if session.role is Role.PRESENTER:
            return {"quizzes": await self.service.list_quizzes(code)}
        return {}

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        await self.service.left_stage(code, before, after)

    def summary(self, activity: Activity) -> dict[str, Any]:
        return {"question": activity.definition.get("title")}

    async def export(self, code: str) -> ExportSection:
        return await export_section(self.service, self._store, code)

    async def demo(self, code: str) -> None:
        await self.service.create(code, DEMO_QUIZ)

    async def stop(self) -> None:
        await self.service.stop()
