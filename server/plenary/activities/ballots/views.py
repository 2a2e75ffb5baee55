"""What each role sees of an award ballot: pure functions from the stored state to the
views and messages, where the seal is kept.

Until the reveal, no attendee or screen view holds a tally, a count or a partial
result: only the turnout (ballots cast). Presenters see the count too, but only when
the ballot is ``live``. A staged reveal shows the places revealed so far (candidates,
no numbers); the complete reveal shows the whole result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plenary.activities.ballots.definition import Ballot
from plenary.activities.ballots.standings import places_from, standings
from plenary.store import Activity

#: State fields of a ballot (``Activity.meta``).
OPENED_AT = "opened_at"
CLOSED_AT = "closed_at"
RESULT = "result"  # the final count, recorded with the first reveal step
REVEAL_FROM = "reveal_from"  # the best position revealed so far (1: all of it)
REVEAL_START = "reveal_start"  # the position the staged reveal started from


def revealed(activity: Activity) -> bool:
    """Whether the whole result is public."""
    return activity.meta.get(REVEAL_FROM) == 1


def public_view(ballot: Ballot, activity: Activity, turnout: int) -> dict[str, Any]:
    """The view every role shares: the definition, the status, the turnout, and what
    the reveal has shown so far."""
    meta = activity.meta
    view = ballot.public()
    view.update(
        status=activity.status,
        opened_at=meta.get(OPENED_AT),
        closed_at=meta.get(CLOSED_AT),
        turnout=turnout,
        state_seq=activity.state_seq,
        reveal=reveal_part(ballot, activity),
        result=None,
    )
    if revealed(activity):
        view["result"] = meta.get(RESULT)
    return view


def reveal_part(ballot: Ballot, activity: Activity) -> dict[str, Any] | None:
    """``{"from", "start", "complete", "places"}``: the places shown so far, or None
    before any reveal."""
    meta = activity.meta
    lowest = meta.get(REVEAL_FROM)
    result = meta.get(RESULT)
    if lowest is None or not isinstance(result, Mapping):
        return None
    every = standings(result, ballot.candidate_ids())
    complete = lowest == 1
    start = meta.get(REVEAL_START) or lowest
    shown = every if complete else places_from(every, lowest, start)
    return {"from": lowest, "start": start, "complete": complete, "places": shown}


def presenter_view(
    ballot: Ballot,
    activity: Activity,
    turnout: int,
    live_result: dict[str, Any] | None,
    roll: tuple[int, int] | None,
) -> dict[str, Any]:
    """A presenter's view: the public one, plus the count when the ballot is ``live``
    (the recorded result once there is one, else ``live_result``, counted now), and the
    voter roll's size."""
    view = public_view(ballot, activity, turnout)
    if ballot.live and view["result"] is None:
        recorded = activity.meta.get(RESULT)
        view["result"] = recorded if isinstance(recorded, Mapping) else live_result
    if roll is not None:
        view["roll"] = {"codes": roll[0], "claimed": roll[1]}
    return view


def attendee_view(
    ballot: Ballot,
    activity: Activity,
    turnout: int,
    mine: dict[str, Any],
) -> dict[str, Any]:
    """An attendee's view: the public one plus ``mine`` (their receipt and choice if
    they voted, whether they may vote, the candidates they may not vote for)."""
    return {**public_view(ballot, activity, turnout), "mine": mine}


def choice_text(ballot: Ballot, choice: Any) -> str:
    """A choice as people read it, for the CSV: names, numbered when ranked."""
    names = {c.id: c.name for c in ballot.candidates}
    if isinstance(choice, str):
        return names.get(choice, choice)
    if isinstance(choice, Mapping):
        return "; ".join(f"{names.get(cid, cid)}: {score}" for cid, score in choice.items())
    if isinstance(choice, list):
        if ballot.method in ("irv", "borda", "schulze"):
            return "; ".join(f"{i}. {names.get(c, str(c))}" for i, c in enumerate(choice, start=1))
        return "; ".join(names.get(c, str(c)) for c in choice)
    return str(choice)
