"""A quiz's part of the event export: per question every answer with its elapsed time,
correctness and points; the ranking of the players and of the teams.

The JSON holds each answer as given (``choice``, ``elapsed_ms``), so anyone can replay
the scoring (``rounds.replay``) and compare it with the ranking; the CSV has one row per
answer, then one per player and per team (``row``: ``answer``, ``player``, ``team``).
"""

from __future__ import annotations

from typing import Any

from plenary.activities.quiz.board import given_answer, split_slot
from plenary.activities.quiz.domain import ACTIVITY_TYPE, CHOICE_KINDS, Question
from plenary.activities.quiz.service import QuizService
from plenary.activities.quiz.views import phase_of, scored
from plenary.clock import iso_utc
from plenary.scopes import event_code
from plenary.stage.kinds import ExportSection
from plenary.store import Activity, Store

SECTION = "quizzes"
CSV_COLUMNS = (
    "quiz_id",
    "quiz_title",
    "row",
    "question_id",
    "question",
    "attendee_id",
    "attendee_name",
    "team",
    "answer",
    "elapsed_ms",
    "correct",
    "points",
    "bonus",
    "score",
    "rank",
    "ts",
    "time_utc",
)


def answer_label(question: Question, choice: Any) -> str:
    """A stored choice as people read it: option labels, true/false, the text."""
    if question.kind in CHOICE_KINDS:
        labels = {o.id: o.label for o in question.options}
        picked = choice if isinstance(choice, list) else [choice]
        return "; ".join(labels.get(str(c), str(c)) for c in picked)
    if isinstance(choice, bool):
        return "true" if choice else "false"
    return str(choice)


async def export_section(service: QuizService, store: Store, scope: str) -> ExportSection:
    """Every quiz of the scope, in creation order."""
    names = {a.id: a.name for a in await store.list_attendees(event_code(scope))}
    items: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    for activity in await store.list_activities(scope):
        if activity.definition.get("type") == ACTIVITY_TYPE:
            item = await export_quiz(service, store, scope, activity, names)
            items.append(item)
            rows.extend(csv_rows(item))
    return ExportSection(SECTION, items, CSV_COLUMNS, rows)


async def export_quiz(
    service: QuizService, store: Store, scope: str, activity: Activity, names: dict[str, str]
) -> dict[str, Any]:
    quiz = service.remember(scope, activity.definition)
    board = await service.board(scope, quiz, activity)
    final = board.final(quiz)
    stored = await store.list_answers(scope, quiz.id)
    by_question: dict[str, list[dict[str, Any]]] = {q.id: [] for q in quiz.questions}
    for slot, record in sorted(stored.items(), key=lambda kv: (kv[1].ts, kv[0])):
        where, given = split_slot(slot), given_answer(record.value)
        question = quiz.question(where[1]) if where is not None else None
        if where is None or given is None or question is None:
            continue
        player = board.players.get(where[0])
        outcome = player.answers.get(question.id) if player is not None else None
        by_question[question.id].append(
            {
                "attendee_id": where[0],
                "name": names.get(where[0], ""),
                "answer_id": given.answer_id,
                "choice": given.choice,
                "answer": answer_label(question, given.choice),
                "elapsed_ms": given.elapsed_ms,
                # None while the question is open: not scored yet
                "correct": outcome.correct if outcome is not None else None,
                "points": outcome.points if outcome is not None else None,
                "bonus": outcome.bonus if outcome is not None else None,
                "ts": record.ts,
                "time_utc": iso_utc(record.ts),
            }
        )
    opened = activity.meta.get("opened") or {}
    closed = activity.meta.get("closed") or {}
    ranking = [
        {
            "rank": state.rank,
            "attendee_id": state.attendee_id,
            "name": state.name,
            "team": state.team,
            "score": state.score,
            "correct_count": state.correct_count,
            "correct_time_ms": state.correct_time_ms,
            "streak": state.streak,
            "best_streak": state.best_streak,
        }
        for state in final.players.values()
    ]
    return {
        **quiz.to_dict(),
        "status": activity.status,
        "phase": str(phase_of(activity.status)[0]),
        "scored": scored(activity),
        "started_at": activity.meta.get("started_at"),
        "ended_at": activity.meta.get("ended_at"),
        "questions": [
            {
                **q.to_dict(),
                "opened_at": opened.get(q.id),
                "closed_at": closed.get(q.id),
                "answers": by_question[q.id],
            }
            for q in quiz.questions
        ],
        "ranking": ranking,
        "team_ranking": final.teams,
    }


def csv_rows(item: dict[str, Any]) -> list[tuple[Any, ...]]:
    """One quiz's CSV rows, in :data:`CSV_COLUMNS` (a row leaves the others empty)."""
    quiz = {"quiz_id": item["id"], "quiz_title": item["title"]}
    cells: list[dict[str, Any]] = []
    for question in item["questions"]:
        asked = {"question_id": question["id"], "question": question["question"]}
        for a in question["answers"]:
            cells.append(
                {
                    **quiz,
                    **asked,
                    "row": "answer",
                    "attendee_id": a["attendee_id"],
                    "attendee_name": a["name"],
                    **{k: a[k] for k in ("answer", "elapsed_ms", "correct", "points", "bonus")},
                    "ts": a["ts"],
                    "time_utc": a["time_utc"],
                }
            )
    for p in item["ranking"]:
        cells.append(
            {
                **quiz,
                "row": "player",
                "attendee_id": p["attendee_id"],
                "attendee_name": p["name"],
                "team": p["team"],
                "elapsed_ms": p["correct_time_ms"],  # the tie-break: time of correct answers
                "score": p["score"],
                "rank": p["rank"],
            }
        )
    for t in item["team_ranking"]:
        cells.append(
            {**quiz, "row": "team", "team": t["team"], "score": t["score"], "rank": t["rank"]}
        )
    return [tuple(row.get(column) for column in CSV_COLUMNS) for row in cells]
