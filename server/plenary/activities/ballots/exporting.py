"""A room's award ballots in the event's export: every ballot anonymised (receipt and
choice, no attendee id) and the full count, in the shape ``plenary recount`` reads
(docs/ballots.md, "Export and recount"); in the CSV one row per ballot cast."""

from __future__ import annotations

from typing import Any

from plenary.activities.ballots import views
from plenary.activities.ballots.counting import count
from plenary.activities.ballots.definition import BallotStatus
from plenary.activities.ballots.recount import SECTION
from plenary.activities.ballots.service import BallotService
from plenary.stage.kinds import ExportSection

CSV_COLUMNS = ("ballot_id", "title", "method", "receipt", "choice")


async def export_ballots(service: BallotService, code: str) -> ExportSection:
    items: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    for activity, ballot in await service.ballots(code):
        cast = await service.cast_list(code, ballot.id)
        recorded = activity.meta.get(views.RESULT)
        if activity.status == BallotStatus.CLOSED and isinstance(recorded, dict):
            result: dict[str, Any] | None = recorded
        elif cast:
            # Still open (or never counted): the count of exactly the ballots listed.
            counted = count(ballot.method, ballot.candidate_ids(), [c["choice"] for c in cast])
            result = {"ballot_id": ballot.id, **counted}
        else:
            result = None
        item = ballot.public()
        item.update(
            status=activity.status,
            opened_at=activity.meta.get(views.OPENED_AT),
            closed_at=activity.meta.get(views.CLOSED_AT),
            revealed=views.revealed(activity),
            cast=cast,
            result=result,
        )
        if ballot.eligibility.voter_roll:
            codes, claimed = await service.roll_size(code, ballot.id)
            item["roll"] = {"codes": codes, "claimed": claimed}
        items.append(item)
        rows.extend(
            (
                ballot.id,
                ballot.title,
                str(ballot.method),
                c["receipt"],
                views.choice_text(ballot, c["choice"]),
            )
            for c in cast
        )
    return ExportSection(SECTION, items, CSV_COLUMNS, rows)
