"""An award ballot's definition: its title, counting method, candidates, how many
candidates a voter may name, who may vote, and whether presenters see the count live.

Pure: a presenter's plain data in, a :class:`Ballot` out, or a :class:`PlenaryError`
that says what to fix. The definition never changes once created; the status and the
state (opened, closed, revealed, the recorded result) live beside it in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plenary.activities.ballots.choices import RANKED, BallotMethod
from plenary.activities.ballots.limits import BallotLimits
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text

ACTIVITY_TYPE = "ballot"


class BallotStatus(StrEnum):
    """A ballot's life cycle: draft -> open -> closed (reopened only while unrevealed)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Candidate:
    """One candidate: a name, and optionally the organisation, the attendee who is the
    candidate, and the pitch they gave (the ids of other records, kept as given)."""

    id: str
    name: str
    organisation: str | None = None
    attendee_id: str | None = None
    pitch_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name}
        for key in ("organisation", "attendee_id", "pitch_id"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class Eligibility:
    """Who may vote. ``joined_before_open``: only attendees who joined the event before
    the ballot first opened. ``voter_roll``: only attendees who claimed one of the
    organiser's personal voting codes. ``exclude_own``: nobody votes for their own
    candidacy or a candidate of their organisation."""

    joined_before_open: bool = False
    voter_roll: bool = False
    exclude_own: bool = True

    def to_dict(self) -> dict[str, bool]:
        return {
            "joined_before_open": self.joined_before_open,
            "voter_roll": self.voter_roll,
            "exclude_own": self.exclude_own,
        }


@dataclass(frozen=True)
class Ballot:
    """A ballot's definition. ``receipt_key`` makes each voter's receipt (see
    :mod:`plenary.activities.ballots.receipts`); it never leaves the server."""

    id: str
    title: str
    method: BallotMethod
    candidates: tuple[Candidate, ...]
    max_choices: int | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    live: bool = False
    receipt_key: str = ""
    created_at: int = 0
    type: str = ACTIVITY_TYPE

    def candidate_ids(self) -> list[str]:
        return [c.id for c in self.candidates]

    def public(self) -> dict[str, Any]:
        """The definition as clients and exports see it (no receipt key)."""
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "method": str(self.method),
            "candidates": [c.to_dict() for c in self.candidates],
            "max_choices": self.max_choices,
            "eligibility": self.eligibility.to_dict(),
            "live": self.live,
            "created_at": self.created_at,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the store."""
        return {**self.public(), "receipt_key": self.receipt_key}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ballot:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            title=data["title"],
            method=BallotMethod(data["method"]),
            candidates=tuple(
                Candidate(
                    c["id"],
                    c["name"],
                    c.get("organisation"),
                    c.get("attendee_id"),
                    c.get("pitch_id"),
                )
                for c in data["candidates"]
            ),
            max_choices=data.get("max_choices"),
            eligibility=Eligibility(**data.get("eligibility", {})),
            live=bool(data.get("live", False)),
            receipt_key=data.get("receipt_key", ""),
            created_at=data.get("created_at", 0),
        )


def candidate_id(index: int) -> str:
    """Candidate ids are short and stable: ``c1``, ``c2``, ... in the order given."""
    return f"c{index + 1}"


def build_ballot(
    ballot_id: str,
    spec: Mapping[str, Any],
    limits: BallotLimits,
    now: int,
    receipt_key: str,
) -> Ballot:
    """Validate a presenter's ``ballot:create`` fields (``title``, ``method``,
    ``candidates``, ``max_choices``, ``eligibility``, ``live``) into a ballot."""
    title = _text(spec.get("title"), "title", limits.ballot_max_title_len)
    if not title:
        raise bad_request("title must be a non-empty string.")
    try:
        method = BallotMethod(str(spec.get("method")))
    except ValueError:
        allowed = ", ".join(m.value for m in BallotMethod)
        raise bad_request(f"method must be one of: {allowed}.") from None
    candidates = _candidates(spec.get("candidates"), limits)
    max_choices = spec.get("max_choices")
    if max_choices is not None:
        if method not in RANKED and method is not BallotMethod.APPROVAL:
            raise bad_request("max_choices is for approval and ranked ballots only.")
        if type(max_choices) is not int or not 1 <= max_choices <= len(candidates):
            raise bad_request(f"max_choices must be a whole number from 1 to {len(candidates)}.")
    live = spec.get("live", False)
    if type(live) is not bool:
        raise bad_request("live must be true or false.")
    return Ballot(
        id=ballot_id,
        title=title,
        method=method,
        candidates=candidates,
        max_choices=max_choices,
        eligibility=_eligibility(spec.get("eligibility")),
        live=live,
        receipt_key=receipt_key,
        created_at=now,
    )


def _text(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{what} must be a string.")
    text = clean_text(value)
    if len(text) > max_len:
        raise PlenaryError(ErrorCode.TOO_LONG, f"{what} is longer than {max_len} characters.")
    return text


def _candidates(value: Any, limits: BallotLimits) -> tuple[Candidate, ...]:
    most = limits.ballot_max_candidates
    if not isinstance(value, list) or not 2 <= len(value) <= most:
        raise bad_request(f"candidates must be a list of 2 to {most} candidates.")
    found: list[Candidate] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise bad_request('each candidate must be an object such as {"name": "..."}.')
        unknown = set(item) - {"name", "organisation", "attendee_id", "pitch_id"}
        if unknown:
            raise bad_request(f"a candidate has unknown fields: {', '.join(sorted(unknown))}.")
        name = _text(item.get("name"), "a candidate's name", limits.ballot_max_name_len)
        if not name:
            raise bad_request("every candidate needs a name.")
        if name.casefold() in seen:
            raise bad_request("candidates must have different names.")
        seen.add(name.casefold())
        organisation = None
        if item.get("organisation") is not None:
            organisation = _text(
                item["organisation"], "an organisation", limits.ballot_max_name_len
            )
        refs = [_ref(item.get(key), key) for key in ("attendee_id", "pitch_id")]
        found.append(Candidate(candidate_id(i), name, organisation or None, refs[0], refs[1]))
    return tuple(found)


def _ref(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isascii():
        raise bad_request(f"{what} must be an id (1 to 64 characters).")
    return value


def _eligibility(value: Any) -> Eligibility:
    if value is None:
        return Eligibility()
    if not isinstance(value, Mapping):
        raise bad_request("eligibility must be an object of true/false options.")
    allowed = Eligibility().to_dict()
    for key, flag in value.items():
        if key not in allowed:
            raise bad_request(f"eligibility options are: {', '.join(allowed)}.")
        if type(flag) is not bool:
            raise bad_request(f"eligibility.{key} must be true or false.")
    return Eligibility(**{**allowed, **value})
