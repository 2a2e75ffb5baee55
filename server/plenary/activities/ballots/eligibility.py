"""Who may vote on an award ballot, and for whom: the candidates a voter may not vote
for, the voter roll of personal voting codes, and the voter's receipt.

Pure: plain data in and out, no I/O. The service asks the store whether a voting code
is free (one-use tickets, :meth:`plenary.store.Store.claim_ticket`).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
from dataclasses import dataclass

from plenary.activities.ballots.definition import Ballot
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text

#: A voting code shorter than this could be guessed by trying (the roll is a secret
#: list; every code should be at least as long as a join code plus a check).
MIN_CODE_LEN = 6
#: Header cells that name the column of codes in an uploaded CSV.
CODE_HEADERS = frozenset({"code", "codes", "voting_code", "voting code", "votingcode"})


def _key(text: str | None) -> str:
    """How organisations are compared: case, spacing and Unicode forms do not matter."""
    return clean_text(text).casefold() if text else ""


def excluded_for(ballot: Ballot, attendee_id: str, organisation: str | None) -> list[str]:
    """The candidates this attendee may not vote for (in candidate order): their own
    candidacy and the candidates of their organisation, if the ballot excludes them."""
    if not ballot.eligibility.exclude_own:
        return []
    own = _key(organisation)
    return [
        c.id
        for c in ballot.candidates
        if c.attendee_id == attendee_id or (own and _key(c.organisation) == own)
    ]


@dataclass(frozen=True)
class Standing:
    """Whether an attendee may vote now, and if not, why (a stable reason)."""

    eligible: bool
    reason: str | None = None  # "joined_late", "needs_code", "no_candidate"


def standing(
    ballot: Ballot,
    joined_at: int,
    opened_at: int | None,
    holds_code: bool,
    excluded: list[str],
) -> Standing:
    """May an attendee who joined at ``joined_at`` vote on ``ballot`` (first opened at
    ``opened_at``, None while never opened)?"""
    rules = ballot.eligibility
    if rules.joined_before_open and opened_at is not None and joined_at >= opened_at:
        return Standing(False, "joined_late")
    if len(excluded) >= len(ballot.candidates):
        return Standing(False, "no_candidate")
    if rules.voter_roll and not holds_code:
        return Standing(False, "needs_code")
    return Standing(True)


REFUSALS = {
    "joined_late": "Only attendees who joined before this ballot opened may vote on it.",
    "needs_code": "This ballot needs your personal voting code: enter it first.",
    "no_candidate": "Every candidate on this ballot is yours or your organisation's.",
}


def not_eligible(reason: str) -> PlenaryError:
    return PlenaryError(ErrorCode.NOT_ELIGIBLE, REFUSALS[reason])


# -- the voter roll -------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """A voting code as compared: spaces and dashes dropped, letters in capitals, so
    ``ab12-cd34`` and ``AB12CD34`` are the same code."""
    return "".join(clean_text(code).split()).replace("-", "").upper()


def code_ticket(ballot_id: str, code: str) -> str:
    """What the store keeps for a (normalised) code: its digest, so that a copy of the
    store does not hold the codes in clear."""
    return hashlib.sha256(f"{ballot_id}\x1f{code}".encode()).hexdigest()[:32]


def parse_roll(text: str, max_code_len: int) -> list[str]:
    """The normalised codes of an uploaded CSV: one code per row, in the column headed
    ``code`` (or ``voting_code``) if the first row names one, else the first column.
    Empty rows are skipped and repeated codes kept once; a bad code is ``bad_request``
    with its row number."""
    rows = list(csv.reader(io.StringIO(text)))
    column = 0
    first = 0
    if rows:
        header = [cell.strip().casefold() for cell in rows[0]]
        named = [i for i, cell in enumerate(header) if cell in CODE_HEADERS]
        if named:
            column, first = named[0], 1
    codes: dict[str, None] = {}
    for number, row in enumerate(rows[first:], start=first + 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        code = normalise_code(row[column] if column < len(row) else "")
        if not code:
            raise bad_request(f"Row {number} of the voter roll has no code.")
        if len(code) > max_code_len:
            raise bad_request(
                f"Row {number}: a voting code is longer than {max_code_len} characters."
            )
        if len(code) < MIN_CODE_LEN:
            raise bad_request(
                f"Row {number}: voting codes need at least {MIN_CODE_LEN} letters or digits, "
                "so that nobody can guess one."
            )
        codes[code] = None
    if not codes:
        raise bad_request("The voter roll holds no codes: send a CSV with one code per row.")
    return list(codes)


# -- receipts -------------------------------------------------------------------------


def receipt(receipt_key: str, attendee_id: str) -> str:
    """The voter's receipt on one ballot, such as ``K7Q2-MX4B-9TRE``: the same for every
    ballot they cast on it (the last one counts, the receipt stays theirs), different
    for every voter, and meaningless without the ballot's secret key, so the published
    list of receipts and choices names nobody."""
    mac = hmac.new(receipt_key.encode(), attendee_id.encode(), hashlib.sha256).digest()
    text = base64.b32encode(mac).decode()[:12]
    return "-".join(text[i : i + 4] for i in range(0, 12, 4))
