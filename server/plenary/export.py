"""Event exports (JSON and CSV): every activity with its results and answers, with
attendee ids and names but no secrets. The JSON is raw data; the CSV is made safe to
open in a spreadsheet (see ``SafeCsvWriter``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from plenary.clock import iso_utc, now_ms
from plenary.scopes import scope
from plenary.stage.kinds import ExportSection, Kinds
from plenary.store import EventRecord, Store
from plenary.text import neutralise_formula

#: The UTF-8 byte-order mark the CSV starts with (Excel needs it to read UTF-8).
BOM = "\ufeff"


@dataclass(frozen=True)
class EventExport:
    """An event's export: the JSON document (``data``) and each kind's CSV rows."""

    data: dict[str, Any]
    sections: Mapping[str, ExportSection]


async def build_export(
    store: Store,
    kinds: Kinds,
    event: EventRecord,
    rooms: Sequence[Mapping[str, Any]],
    only: str | None = None,
) -> EventExport:
    """The whole event as plain data: the event, its attendees, its programme
    (``rooms``: the room views of plenary.rooms) and a section per activity kind
    (``polls``, ...) holding the activities of every room, or of room ``only``. When it
    holds several rooms (the event has rooms besides the main one), each item names its
    ``room`` and so does a ``room`` column of the CSV; an event without rooms exports as
    before rooms existed."""
    attendees = await store.list_attendees(event.code)
    exported_at = now_ms()
    data: dict[str, Any] = {
        "event": {
            "code": event.code,
            "title": event.title,
            "created_at": event.created_at,
            "created_at_utc": iso_utc(event.created_at),
        },
        "exported_at": exported_at,
        "exported_at_utc": iso_utc(exported_at),
        "attendees": [
            {
                "id": a.id,
                "name": a.name,
                "country": a.country,
                "organisation": a.organisation,
                "joined_at": a.joined_at,
                "joined_at_utc": iso_utc(a.joined_at),
            }
            for a in attendees
        ],
    }
    chosen = [r for r in rooms if only is None or r["id"] == only]
    data["rooms"] = list(chosen)
    if only is not None and chosen:
        data["room"] = chosen[0]
    with_room = only is None and len(rooms) > 1
    merged: dict[str, ExportSection] = {}
    for room in chosen:
        room_id = str(room["id"])
        for type_, section in (await kinds.export(scope(event.code, room_id))).items():
            items = section.items
            rows = section.rows
            if with_room:
                items = [{**item, "room": room_id} for item in items]
                rows = [(room_id, *row) for row in rows]
            columns = ("room", *section.columns) if with_room else section.columns
            before = merged.get(type_)
            if before is not None:
                items = [*before.items, *items]
                rows = [*before.rows, *rows]
            merged[type_] = ExportSection(section.name, items, columns, rows)
    for section in merged.values():
        data[section.name] = section.items
    return EventExport(data, merged)


def to_json(export: EventExport) -> str:
    return json.dumps(export.data, ensure_ascii=False, indent=2)


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


def to_csv(export: EventExport) -> str:
    """Every kind's rows in one table: ``activity_type`` (the kind), then the columns of
    every kind in turn; a row fills its own kind's columns. It starts with a UTF-8
    byte-order mark: spreadsheet programs then read accented and Arabic names right."""
    columns: list[str] = []
    for section in export.sections.values():
        columns.extend(c for c in section.columns if c not in columns)
    position = {name: i for i, name in enumerate(columns)}
    out = io.StringIO()
    out.write(BOM)
    writer = SafeCsvWriter(out)
    writer.writerow(("activity_type", *columns))
    for type_, section in export.sections.items():
        where = [position[c] for c in section.columns]
        for row in section.rows:
            cells: list[Any] = [None] * len(columns)
            for i, value in zip(where, row, strict=True):
                cells[i] = value
            writer.writerow((type_, *cells))
    return out.getvalue()
