"""Event exports (JSON and CSV): every activity with its results and answers, with
attendee ids and names but no secrets."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from plenary.activities.polls.service import PollService
from plenary.clock import now_ms
from plenary.store import EventRecord, Store


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


def to_csv(data: dict[str, Any]) -> str:
    """One row per answer."""
    names = {a["id"]: a["name"] for a in data["attendees"]}
    out = io.StringIO()
    writer = csv.writer(out)
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
