"""A room's questions in the event's export: votes, status, highlight, reply, author
(never for anonymous questions)."""

from __future__ import annotations

from typing import Any

from plenary.activities.qa.domain import ordered
from plenary.activities.qa.records import QARecords
from plenary.clock import iso_utc
from plenary.stage.kinds import ExportSection

CSV_COLUMNS = (
    "question_id",
    "question",
    "status",
    "votes",
    "anonymous",
    "attendee_id",
    "attendee_name",
    "edited",
    "reply",
    "highlighted_at",
    "answered_at",
    "ts",
    "time_utc",
)


def _utc(ms: int | None) -> str | None:
    return iso_utc(ms) if ms else None


async def export_questions(records: QARecords, code: str) -> ExportSection:
    """Every question of the room, most votes first."""
    questions = await records.questions(code)
    counts = (await records.votes(code)).counts
    items: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    for q in ordered(questions.values(), counts):
        author_id = None if q.anonymous else q.author_id
        author_name = None if q.anonymous else q.author_name
        item = {
            "id": q.id,
            "text": q.text,
            "status": str(q.status),
            "votes": counts.get(q.id, 0),
            "anonymous": q.anonymous,
            "attendee_id": author_id,
            "attendee_name": author_name,
            "edited": q.edited,
            "reply": q.reply,
            "replied_at": q.replied_at,
            "replied_at_utc": _utc(q.replied_at),
            "highlighted_at": q.highlighted_at,
            "highlighted_at_utc": _utc(q.highlighted_at),
            "answered_at": q.answered_at,
            "answered_at_utc": _utc(q.answered_at),
            "ts": q.created_at,
            "time_utc": iso_utc(q.created_at),
        }
        items.append(item)
        rows.append(
            (
                q.id,
                q.text,
                item["status"],
                item["votes"],
                "yes" if q.anonymous else "no",
                author_id,
                author_name,
                "yes" if q.edited else "no",
                q.reply,
                item["highlighted_at_utc"],
                item["answered_at_utc"],
                q.created_at,
                item["time_utc"],
            )
        )
    return ExportSection("questions", items, CSV_COLUMNS, rows)
