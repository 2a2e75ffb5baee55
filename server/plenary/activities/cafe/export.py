"""The café part of an event's export: every café with every round's tables (members,
topics, hosts) and every harvest; in the CSV one row per person seated per round
(``record`` = ``seat``) and one per harvest (``record`` = ``harvest``)."""

from __future__ import annotations

from typing import Any

from plenary.activities.cafe.domain import Cafe
from plenary.activities.cafe.harvesting import live_harvests
from plenary.activities.cafe.records import CafeRecords, checked_in, kept_rounds
from plenary.activities.cafe.rounds import RoundState, history, tables_view
from plenary.clock import iso_utc
from plenary.scopes import event_code
from plenary.stage.kinds import ExportSection
from plenary.store import AttendeeRecord

SECTION = "cafes"
CSV_COLUMNS = (
    "cafe_id",
    "cafe_title",
    "record",
    "round",
    "table",
    "topic",
    "attendee_id",
    "attendee_name",
    "organisation",
    "country",
    "host",
    "harvest_id",
    "text",
    "ts",
    "time_utc",
)


async def export_cafes(records: CafeRecords, code: str) -> ExportSection:
    """Every café of the scope ``code``."""
    people = {a.id: a for a in await records.store.list_attendees(event_code(code))}
    items: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    for activity in await records.cafes(code):
        cafe = Cafe.from_dict(activity.definition)
        state = RoundState.from_meta(activity.meta)
        answers = await records.store.list_answers(code, activity.id)
        kept = kept_rounds(answers)
        rounds = []
        for number, tables in enumerate(history(state, kept), start=1):
            view = tables_view(cafe, tables)
            rounds.append({"round": number, "tables": view})
            rows.extend(_seat_rows(cafe, number, view, people))
        harvests = live_harvests(answers)
        names = {i: a.name for i, a in people.items()}
        items.append(
            {
                **activity.definition,
                "status": activity.status,
                "opened_at": activity.meta.get("opened_at"),
                "closed_at": activity.meta.get("closed_at"),
                "joined": len(checked_in(answers)),
                "rounds_held": rounds,
                "stats": dict(state.stats),
                "harvests": [h.view(names) for h in harvests],
                "spotlight": list(activity.meta.get("spotlight") or ()),
            }
        )
        rows.extend(
            (
                cafe.id,
                cafe.title,
                "harvest",
                h.round,
                h.table,
                cafe.topic(h.table),
                h.author,
                names.get(h.author, ""),
                _field(people, h.author, "organisation"),
                _field(people, h.author, "country"),
                None,
                h.harvest_id,
                h.text,
                h.created_at,
                iso_utc(h.created_at),
            )
            for h in harvests
        )
    return ExportSection(SECTION, items, CSV_COLUMNS, rows)


def _field(people: dict[str, AttendeeRecord], attendee_id: str, name: str) -> Any:
    record = people.get(attendee_id)
    return getattr(record, name) if record is not None else None


def _seat_rows(
    cafe: Cafe, number: int, tables: list[dict[str, Any]], people: dict[str, AttendeeRecord]
) -> list[tuple[Any, ...]]:
    rows = []
    for table in tables:
        for member in table["members"]:
            record = people.get(member)
            rows.append(
                (
                    cafe.id,
                    cafe.title,
                    "seat",
                    number,
                    table["table"],
                    table["topic"],
                    member,
                    record.name if record else "",
                    record.organisation if record else None,
                    record.country if record else None,
                    "yes" if table.get("host") == member else "",
                    None,
                    None,
                    None,
                    None,
                )
            )
    return rows
