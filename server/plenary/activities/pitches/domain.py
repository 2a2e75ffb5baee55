"""Pitch session rules as pure functions: building a session, checking a rating, a
feedback or a juror's scores, and summing ratings.

No I/O. An attendee's answer to a session is one record holding all they gave it
(``{"ratings": {pitch: stars}, "feedback": {pitch: text}, "jury": {pitch: {...}}}``); its
counting keys are ``"<pitch>:<stars>"``, so the store's tally is every pitch's rating
histogram, exact across processes, and averages come from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plenary.activities.pitches.limits import PitchLimits
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text

ACTIVITY_TYPE = "pitch_session"
STARS = range(1, 6)
JURY_SCORES = range(1, 11)
MAX_TIMER_S = 3600


class SessionStatus(StrEnum):
    """draft -> open (pitches on, ratings taken) -> closed (ratings final)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Pitch:
    id: str
    title: str
    organisation: str
    speaker: str
    description: str = ""
    link: str = ""


@dataclass(frozen=True)
class Session:
    """A pitch session's definition; what is on now and the jurors are state, beside it."""

    id: str
    title: str
    pitches: tuple[Pitch, ...]
    criteria: tuple[tuple[str, str], ...] = ()  # (id, name) of each jury criterion
    timer_s: int | None = None
    created_at: int = 0
    type: str = field(default=ACTIVITY_TYPE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "pitches": [vars(p).copy() for p in self.pitches],
            "criteria": [{"id": cid, "name": name} for cid, name in self.criteria],
            "timer_s": self.timer_s,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        return cls(
            id=data["id"],
            title=data["title"],
            pitches=tuple(Pitch(**p) for p in data["pitches"]),
            criteria=tuple((c["id"], c["name"]) for c in data.get("criteria", ())),
            timer_s=data.get("timer_s"),
            created_at=data.get("created_at", 0),
        )

    def pitch_ids(self) -> list[str]:
        return [p.id for p in self.pitches]

    def position(self, pitch_id: str) -> int:
        """The pitch's place in the running order; ``not_found``-like bad_choice if none."""
        for i, pitch in enumerate(self.pitches):
            if pitch.id == pitch_id:
                return i
        raise PlenaryError(
            ErrorCode.BAD_CHOICE, f"{pitch_id[:40]!r} is not a pitch of this session."
        )


def _text(value: Any, what: str, max_len: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{what} must be a string.")
    text = clean_text(value)
    if required and not text:
        raise bad_request(f"{what} must not be empty.")
    if len(text) > max_len:
        raise PlenaryError(ErrorCode.TOO_LONG, f"{what} is longer than {max_len} characters.")
    return text


def timer(value: Any) -> int | None:
    """A pitch timer in seconds (1 to an hour), or None for none."""
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= MAX_TIMER_S:
        raise bad_request(f"timer_s must be a whole number of seconds from 1 to {MAX_TIMER_S}.")
    return value


def build_session(
    session_id: str, spec: Mapping[str, Any], limits: PitchLimits, now: int
) -> Session:
    """Validate a presenter's ``pitch:create`` fields into a session."""
    short = limits.pitch_max_text_len
    title = _text(spec.get("title"), "title", short)
    raw = spec.get("pitches")
    most = limits.pitch_max_pitches
    if not isinstance(raw, list) or not 1 <= len(raw) <= most:
        raise bad_request(f"pitches must be a list of 1 to {most} pitches.")
    pitches = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise bad_request('each pitch must be an object such as {"title": "...", ...}.')
        link = _text(item.get("link"), "a pitch's link", 500, required=False)
        if link and not link.startswith(("https://", "http://")):
            raise bad_request("a pitch's link must start with https:// or http://.")
        pitches.append(
            Pitch(
                id=f"p{i + 1}",
                title=_text(item.get("title"), "a pitch's title", short),
                organisation=_text(item.get("organisation"), "a pitch's organisation", short),
                speaker=_text(item.get("speaker"), "a pitch's speaker", short),
                description=_text(
                    item.get("description"),
                    "a pitch's description",
                    limits.pitch_max_description_len,
                    required=False,
                ),
                link=link,
            )
        )
    names = spec.get("criteria") or []
    if not isinstance(names, list) or len(names) > limits.pitch_max_criteria:
        raise bad_request(f"criteria must be a list of at most {limits.pitch_max_criteria} names.")
    criteria = tuple((f"k{i + 1}", _text(n, "a criterion", short)) for i, n in enumerate(names))
    if len({name.casefold() for _, name in criteria}) != len(criteria):
        raise bad_request("criteria must be different from each other.")
    return Session(session_id, title, tuple(pitches), criteria, timer(spec.get("timer_s")), now)


# -- what attendees give ----------------------------------------------------------------


def stars(value: Any) -> int:
    if type(value) is not int or value not in STARS:
        raise PlenaryError(ErrorCode.BAD_CHOICE, "Rate a pitch with 1 to 5 stars.")
    return value


def feedback(value: Any, limits: PitchLimits) -> str:
    text = _text(value, "feedback", limits.pitch_max_feedback_len, required=False)
    return text


def jury_scores(session: Session, scores: Any, comment: Any, limits: PitchLimits) -> dict[str, Any]:
    """A juror's structured feedback: a score from 1 to 10 for every criterion, and a
    comment."""
    if not isinstance(scores, Mapping):
        raise bad_request("scores must be an object of criterion id -> score.")
    wanted = [cid for cid, _ in session.criteria]
    if sorted(scores) != sorted(wanted):
        raise PlenaryError(ErrorCode.BAD_CHOICE, f"Score every criterion: {', '.join(wanted)}.")
    for cid in wanted:
        value = scores[cid]
        if type(value) is not int or value not in JURY_SCORES:
            raise PlenaryError(ErrorCode.BAD_CHOICE, "Each criterion is scored from 1 to 10.")
    text = _text(comment, "comment", limits.pitch_max_feedback_len, required=False)
    return {"scores": {cid: scores[cid] for cid in wanted}, "comment": text}


def rating_keys(ratings: Mapping[str, int]) -> tuple[str, ...]:
    """The counting keys of an attendee's ratings: one ``"<pitch>:<stars>"`` each."""
    return tuple(f"{pid}:{n}" for pid, n in sorted(ratings.items()))


def rating_summary(session: Session, counts: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Each pitch's ratings from the tally: how many, the average (2 decimals, None
    without ratings) and the count per star."""
    out: dict[str, dict[str, Any]] = {}
    for pid in session.pitch_ids():
        per_star = {str(n): counts.get(f"{pid}:{n}", 0) for n in STARS}
        total = sum(per_star.values())
        weighted = sum(int(n) * c for n, c in per_star.items())
        average = round(weighted / total, 2) if total else None
        out[pid] = {"count": total, "average": average, "stars": per_star}
    return out


def jury_summary(session: Session, answers: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each pitch's jury scores: how many jurors scored it and the average per criterion."""
    out: dict[str, dict[str, Any]] = {}
    for pid in session.pitch_ids():
        given = [a["jury"][pid] for a in answers if pid in (a.get("jury") or {})]
        averages = {
            cid: round(sum(g["scores"][cid] for g in given) / len(given), 2) if given else None
            for cid, _ in session.criteria
        }
        out[pid] = {"jurors": len(given), "averages": averages}
    return out
