"""The voter's side of an award ballot: entering a personal voting code, casting a
ballot (one per attendee, changeable while open, idempotent per ``vote_id``), and the
ballot as this attendee sees it. Eligibility is checked here, from the attendee's record
and the store (docs/ballots.md, "Eligibility")."""

from __future__ import annotations

from typing import Any

from plenary.activities.ballots import views
from plenary.activities.ballots.choices import validate_choice
from plenary.activities.ballots.definition import Ballot, BallotStatus
from plenary.activities.ballots.eligibility import (
    Standing,
    code_ticket,
    excluded_for,
    normalise_code,
    not_eligible,
    receipt,
    standing,
)
from plenary.activities.ballots.service import BallotService
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request, not_found
from plenary.store import Activity, AttendeeRecord, RecordOutcome, TicketOutcome

CLAIM_REFUSALS = {
    TicketOutcome.UNKNOWN: "This voting code is not on the voter roll; check it and retry.",
    TicketOutcome.TAKEN: "This voting code was already used by someone else.",
    TicketOutcome.OTHER: "You already entered another voting code for this ballot.",
}


class BallotVoting:
    """Voting codes, ballots cast, and the attendee's view of a ballot."""

    def __init__(self, service: BallotService) -> None:
        self._ballots = service
        self._store = service.store

    async def claim(
        self, code: str, attendee: AttendeeRecord, ballot_id: str, voting_code: str
    ) -> dict[str, Any]:
        activity, ballot = await self._ballots.load(code, ballot_id)
        if not ballot.eligibility.voter_roll:
            raise bad_request("This ballot needs no voting code.")
        if activity.status == BallotStatus.CLOSED:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This ballot is closed.")
        ticket = code_ticket(ballot.id, normalise_code(voting_code))
        outcome = await self._store.claim_ticket(code, ballot.id, ticket, attendee.id)
        if outcome in CLAIM_REFUSALS:
            raise PlenaryError(ErrorCode.NOT_ELIGIBLE, CLAIM_REFUSALS[outcome])
        return {"ballot_id": ballot.id, "has_code": True}

    async def _standing(
        self, code: str, ballot: Ballot, attendee: AttendeeRecord, opened_at: int | None
    ) -> tuple[Standing, list[str], bool]:
        """May this attendee vote, which candidates are excluded, and do they hold a
        voting code (read from the store only for a ballot with a voter roll)."""
        excluded = excluded_for(ballot, attendee.id, attendee.organisation)
        holds = False
        if ballot.eligibility.voter_roll:
            holds = await self._store.ticket_of(code, ballot.id, attendee.id) is not None
        found = standing(ballot, attendee.joined_at, opened_at, holds, excluded)
        return found, excluded, holds

    async def cast(
        self, code: str, attendee: AttendeeRecord, ballot_id: str, vote_id: str, choice: object
    ) -> dict[str, Any]:
        ballot, opened_at = await self._ballots.for_votes(code, ballot_id)
        found, excluded, _ = await self._standing(code, ballot, attendee, opened_at)
        if not found.eligible and found.reason is not None:
            raise not_eligible(found.reason)
        chosen = validate_choice(
            ballot.method,
            ballot.candidate_ids(),
            choice,
            max_choices=ballot.max_choices,
            excluded=excluded,
        )
        # The receipt is the voter's whatever they cast: the last ballot keeps it.
        mark = receipt(ballot.receipt_key, attendee.id)
        value = {"receipt": mark, "choice": chosen}
        # No counting keys: the store's tally is the turnout and nothing else (the seal).
        stored = await self._store.record_answer(
            code, ballot.id, attendee.id, vote_id, (), value, now_ms()
        )
        if stored.outcome is RecordOutcome.STORED:
            self._ballots.coalescer.note(code, ballot.id, stored.version)
            return {"ballot_id": ballot.id, "receipt": mark, "choice": chosen}
        if stored.outcome is RecordOutcome.DUPLICATE:
            mine = await self._store.get_answer(code, ballot.id, attendee.id)
            latest = mine.value.get("choice") if mine else None
            return {"ballot_id": ballot.id, "receipt": mark, "choice": latest, "duplicate": True}
        if stored.outcome is RecordOutcome.NOT_OPEN:
            raise PlenaryError(ErrorCode.NOT_OPEN, "This ballot is not open for voting.")
        raise not_found(f"Ballot {ballot_id!r}")

    async def view(self, code: str, activity: Activity, attendee: AttendeeRecord) -> dict[str, Any]:
        """The ballot as this attendee sees it: the public view and ``mine``."""
        ballot = Ballot.from_dict(activity.definition)
        opened_at = activity.meta.get(views.OPENED_AT)
        found, excluded, holds = await self._standing(code, ballot, attendee, opened_at)
        answer = await self._store.get_answer(code, ballot.id, attendee.id)
        mine = {
            "receipt": answer.value["receipt"] if answer else None,
            "choice": answer.value["choice"] if answer else None,
            "eligible": found.eligible,
            "reason": found.reason,
            "excluded": excluded,
            "has_code": holds,
        }
        turnout = await self._ballots.turnout(code, ballot.id)
        return views.attendee_view(ballot, activity, turnout, mine)
