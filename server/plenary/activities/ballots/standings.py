"""Places of a counted ballot, for the staged reveal (third, second, then the winner).

Pure: the result object of :func:`plenary.activities.ballots.counting.count` in, the
candidates in places out. Candidates the count cannot tell apart share a place, and the
place after them is skipped (competition ranking: 1, 2, 2, 4). The order per method:

- the winners (``winners``) are first, together when the result is a tie;
- instant-runoff: the others by how long they stayed in the count (the later a
  candidate went out, the better), and in the last round by its votes;
- every other method: the others by ``totals`` (votes, approvals, points, or for
  Schulze the candidates beaten on strongest paths), highest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict


class Place(TypedDict):
    place: int
    candidates: list[str]


def standings(result: Mapping[str, Any], candidate_ids: Sequence[str]) -> list[Place]:
    """Every candidate in a place, best first (candidates in a place in ballot order)."""
    order = {cid: i for i, cid in enumerate(candidate_ids)}
    winners = [c for c in result.get("winners", []) if c in order]
    rest = [c for c in candidate_ids if c not in winners]
    score = _irv_scores(result) if result.get("method") == "irv" else _totals(result)
    groups: list[list[str]] = [winners] if winners else []
    for cid in sorted(rest, key=lambda c: (-score.get(c, -1), order[c])):
        if (
            groups
            and groups[-1] is not winners
            and score.get(groups[-1][0], -1) == score.get(cid, -1)
        ):
            groups[-1].append(cid)
        else:
            groups.append([cid])
    places: list[Place] = []
    position = 1
    for group in groups:
        places.append({"place": position, "candidates": sorted(group, key=order.__getitem__)})
        position += len(group)
    return places


def _totals(result: Mapping[str, Any]) -> dict[str, int]:
    totals = result.get("totals") or {}
    return {cid: int(n) for cid, n in totals.items()}


def _irv_scores(result: Mapping[str, Any]) -> dict[str, int]:
    """One number per candidate that orders them as the count did: the round they
    reached, then their votes in it (scaled so that a later round always ranks higher)."""
    rounds = result.get("rounds") or []
    biggest = 1 + max((n for r in rounds for n in r["totals"].values()), default=0)
    score: dict[str, int] = {}
    for number, round_ in enumerate(rounds):
        for cid, votes in round_["totals"].items():
            score[cid] = number * biggest + votes
    return score


def places_from(places: Sequence[Place], lowest: int, highest: int) -> list[Place]:
    """What a staged reveal that went from position ``highest`` (e.g. 3) up to position
    ``lowest`` (e.g. 2) has shown: every place covering one of those positions, so that
    with two candidates tied for second (places 1, 2, 2, 4) revealing "third" shows the
    tie for second."""
    return [
        p
        for p in places
        if p["place"] <= highest and p["place"] + len(p["candidates"]) - 1 >= lowest
    ]
