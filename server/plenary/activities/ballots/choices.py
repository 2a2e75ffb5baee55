"""A voter's choice on an award ballot: its shape per method, and its validation.

Pure: plain data in, the normalised choice out, or :class:`InvalidChoice` with a stable
``reason`` and a message that says how to fix the ballot. The rules are in docs/ballots.md.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from plenary.errors import ErrorCode, PlenaryError

SCORE_MIN = 0
SCORE_MAX = 5

#: A normalised choice: a candidate id (plurality), ids (approval: in candidate order;
#: ranked methods: best first), or scores by candidate id (score, in candidate order).
Choice = str | list[str] | dict[str, int]


class BallotMethod(StrEnum):
    """How a ballot is counted."""

    PLURALITY = "plurality"
    APPROVAL = "approval"
    SCORE = "score"
    IRV = "irv"
    BORDA = "borda"
    SCHULZE = "schulze"


RANKED = frozenset({BallotMethod.IRV, BallotMethod.BORDA, BallotMethod.SCHULZE})


class ChoiceReason(StrEnum):
    """Why a choice was refused (stable, for tests, logs and pages)."""

    WRONG_SHAPE = "wrong_shape"
    EMPTY = "empty"
    UNKNOWN_CANDIDATE = "unknown_candidate"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    EXCLUDED_CANDIDATE = "excluded_candidate"


class InvalidChoice(PlenaryError):
    """A choice the ballot refuses. A choice of the wrong JSON type is ``bad_request``
    (as for polls); a well-formed but unacceptable one is ``bad_choice``. ``reason`` is
    an attribute, not a detail, so the error ack keeps the protocol's shape."""

    def __init__(self, reason: ChoiceReason, message: str) -> None:
        code = ErrorCode.BAD_REQUEST if reason is ChoiceReason.WRONG_SHAPE else ErrorCode.BAD_CHOICE
        super().__init__(code, message)
        self.reason = reason


def validate_choice(
    method: BallotMethod | str,
    candidates: Sequence[str],
    choice: object,
    *,
    max_choices: int | None = None,
    excluded: Collection[str] = (),
) -> Choice:
    """Check ``choice`` against the ballot and return it normalised.

    ``max_choices`` caps how many candidates an approval or ranked ballot names;
    ``excluded`` are candidates this voter may not vote for (their own, their
    organisation's): they may not be named, except with a score of 0.
    """
    index = {cid: i for i, cid in enumerate(candidates)}
    return normalise(BallotMethod(method), index, choice, max_choices, excluded)


def normalise(
    method: BallotMethod,
    index: Mapping[str, int],
    choice: object,
    max_choices: int | None = None,
    excluded: Collection[str] = (),
) -> Choice:
    """:func:`validate_choice` with the candidate positions (``{id: position}``) already
    built, for counting many ballots."""
    if method is BallotMethod.PLURALITY:
        if not isinstance(choice, str):
            raise InvalidChoice(ChoiceReason.WRONG_SHAPE, "choice must be a candidate id.")
        _check_known(index, choice, excluded)
        return choice
    if method is BallotMethod.SCORE:
        return _scores(index, choice, excluded)
    if not isinstance(choice, list) or not all(isinstance(c, str) for c in choice):
        what = "the approved" if method is BallotMethod.APPROVAL else "a ranking of"
        raise InvalidChoice(
            ChoiceReason.WRONG_SHAPE, f"choice must be a list of {what} candidate ids."
        )
    ids: list[str] = choice
    if not ids:
        raise InvalidChoice(ChoiceReason.EMPTY, "Choose at least one candidate.")
    if max_choices is not None and len(ids) > max_choices:
        raise InvalidChoice(
            ChoiceReason.TOO_MANY, f"Choose at most {max_choices} candidates on this ballot."
        )
    distinct = set(ids)
    if (
        len(distinct) != len(ids)
        or not distinct.issubset(index)
        or not distinct.isdisjoint(excluded)
    ):
        _explain_ids(index, ids, excluded)
    if method is BallotMethod.APPROVAL:
        return sorted(ids, key=index.__getitem__)  # a set of approvals: one canonical order
    return list(ids)


def _explain_ids(index: Mapping[str, int], ids: list[str], excluded: Collection[str]) -> None:
    """Raise for the first bad id (the fast check above found one)."""
    seen: set[str] = set()
    for cid in ids:
        _check_known(index, cid, excluded)
        if cid in seen:
            raise InvalidChoice(
                ChoiceReason.DUPLICATE, f"{_show(cid)} appears twice; name each candidate once."
            )
        seen.add(cid)


def _scores(index: Mapping[str, int], choice: object, excluded: Collection[str]) -> Choice:
    if not isinstance(choice, dict):
        raise InvalidChoice(
            ChoiceReason.WRONG_SHAPE,
            f"choice must be an object of scores ({SCORE_MIN} to {SCORE_MAX}) by candidate id.",
        )
    if not choice:
        raise InvalidChoice(ChoiceReason.EMPTY, "Score at least one candidate.")
    for cid, value in choice.items():
        if not isinstance(cid, str):
            raise InvalidChoice(ChoiceReason.WRONG_SHAPE, "scores must be keyed by candidate id.")
        # A score of 0 for an excluded candidate is no vote for them: allowed.
        _check_known(index, cid, excluded if value != 0 else ())
        if type(value) is not int or not SCORE_MIN <= value <= SCORE_MAX:
            raise InvalidChoice(
                ChoiceReason.SCORE_OUT_OF_RANGE,
                f"The score of {_show(cid)} must be a whole number from {SCORE_MIN} to "
                f"{SCORE_MAX}, not {_show(value)}.",
            )
    scores: dict[str, int] = choice
    return {cid: scores[cid] for cid in sorted(scores, key=index.__getitem__)}


def _check_known(index: Mapping[str, int], cid: str, excluded: Collection[str]) -> None:
    if cid not in index:
        raise InvalidChoice(
            ChoiceReason.UNKNOWN_CANDIDATE, f"{_show(cid)} is not a candidate on this ballot."
        )
    if cid in excluded:
        raise InvalidChoice(
            ChoiceReason.EXCLUDED_CANDIDATE,
            f"You cannot vote for {_show(cid)} (your own candidacy or organisation); leave it out.",
        )


def _show(value: object) -> str:
    """A bounded rendering of a voter's input for messages."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
