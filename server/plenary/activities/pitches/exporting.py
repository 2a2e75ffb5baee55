"""A room's pitch sessions in the event's export, and one pitch's feedback on its own
(what a pitcher is sent). Ratings and feedback are anonymous (no attendee); jurors' scores
carry the juror's name, since a jury signs its feedback."""

from __future__ import annotations

from typing import Any

from plenary.activities.pitches import domain
from plenary.activities.pitches.domain import Session
from plenary.activities.pitches.service import PitchService, public_view
from plenary.scopes import event_code
from plenary.stage.kinds import ExportSection
from plenary.store import Store

SECTION = "pitch_sessions"
CSV_COLUMNS = (
    "session_id",
    "pitch_id",
    "pitch_title",
    "stars",
    "feedback",
    "juror",
    "jury_scores",
    "jury_comment",
)


def pitch_feedback(
    session: Session, pitch_id: str, answers: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    """Everything given to one pitch: ratings (count, average, per star), the feedback
    texts (shuffled out of join order: sorted), and each juror's scores and comment."""
    values = list(answers.values())
    counts: dict[str, int] = {}
    for v in values:
        given = (v.get("ratings") or {}).get(pitch_id)
        if given is not None:
            counts[f"{pitch_id}:{given}"] = counts.get(f"{pitch_id}:{given}", 0) + 1
    ratings = domain.rating_summary(session, counts)
    jury = [
        {"juror": names.get(aid, aid), **v["jury"][pitch_id]}
        for aid, v in sorted(answers.items())
        if pitch_id in (v.get("jury") or {})
    ]
    pitch = next(p for p in session.pitches if p.id == pitch_id)
    return {
        "session_id": session.id,
        "session_title": session.title,
        "pitch": vars(pitch).copy(),
        "criteria": [{"id": cid, "name": name} for cid, name in session.criteria],
        "ratings": ratings[pitch_id],
        "feedback": sorted(
            v["feedback"][pitch_id] for v in values if (v.get("feedback") or {}).get(pitch_id)
        ),
        "jury": jury,
    }


async def export_sessions(service: PitchService, store: Store, code: str) -> ExportSection:
    names = {a.id: a.name for a in await store.list_attendees(event_code(code))}
    items: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    for activity, session in await service.sessions(code):
        answers = {aid: a.value for aid, a in (await store.list_answers(code, session.id)).items()}
        item = public_view(session, activity)
        item["pitches_feedback"] = [
            pitch_feedback(session, pid, answers, names) for pid in session.pitch_ids()
        ]
        items.append(item)
        titles = {p.id: p.title for p in session.pitches}
        # Anonymous rows: ratings and feedback in an order that says nothing of who.
        for pid in session.pitch_ids():
            for value in sorted(
                (v for v in answers.values()),
                key=lambda v: (
                    str((v.get("ratings") or {}).get(pid)),
                    str((v.get("feedback") or {}).get(pid)),
                ),
            ):
                given = (value.get("ratings") or {}).get(pid)
                text = (value.get("feedback") or {}).get(pid)
                if given is not None or text:
                    rows.append((session.id, pid, titles[pid], given, text or "", "", "", ""))
            for aid, value in sorted(answers.items()):
                jury = (value.get("jury") or {}).get(pid)
                if jury:
                    scores = "; ".join(
                        f"{name}: {jury['scores'][cid]}" for cid, name in session.criteria
                    )
                    row = (
                        session.id,
                        pid,
                        titles[pid],
                        None,
                        "",
                        names.get(aid, aid),
                        scores,
                        jury["comment"],
                    )
                    rows.append(row)
    return ExportSection(SECTION, items, CSV_COLUMNS, rows)
