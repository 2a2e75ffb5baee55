"""Event exports (JSON and CSV): every activity with its results and answers, with
attendee ids and names but no secrets. The JSON is raw data; the CSV is made safe to
open in a spreadsheet (see ``SafeCsvWriter``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, TextIO

from plenary.activities.polls.service import PollService
from plenary.clock import now_ms
from plenary.store import EventRecord, Store
from plenary.text import neutralise_formula


async def build_export(store: Store, polls: PollService, event: EventRecord) -> dict[str, Any]:
    """The whole event as plain data."""
    attendees = await store.list_attendees(event.code)
    return {
        "event": {"code": event.code, "title": event.title, "created_at": event.created_at},
        "exported_at": now_ms(),
        "attendees": [
            {
                "id": a.id,
                "name": a.name,
                "country": a.country,
                "organisation": a.organisation,
                "joined_at": a.joined_at,
            }
            for a in attendees
        ],
        "polls": await polls.export(event.code),
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


CSV_COLUMNS = ("poll_id", "question", "kind", "attendee_id", "attendee_name", "answer", "ts")


def csv_cell(value: object) -> object:
    """One CSV cell as a spreadsheet may safely open it: text that starts like a formula
    gets a leading single quote; numbers stay numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return neutralise_formula(value if isinstance(value, str) else str(value))


class SafeCsvWriter:
    """The one way exports write CSV: every cell quoted and every text cell neutralised
    (OWASP's CSV-injection advice), so any column added later is covered too."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])


def to_csv(data: dict[str, Any]) -> str:
    """One row per answer."""
    names = {a["id"]: a["name"] for a in data["attendees"]}
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(CSV_COLUMNS)
    for poll in data["polls"]:
        for answer in poll["answers"]:
            writer.writerow(
                [
                    poll["id"],
                    poll["question"],
                    poll["kind"],
                    answer["attendee_id"],
                    names.get(answer["attendee_id"], ""),
                    "; ".join(answer["labels"]),
                    answer["ts"],
                ]
            )
    return out.getvalue()
