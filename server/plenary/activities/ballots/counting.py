"""Counting an award ballot: the result object of docs/protocol.md from the candidates
and the ballots, for every method. Pure and deterministic: no randomness, and the order
of the ballots never matters. The rules per method and the tie rules are in
docs/ballots.md; the caller adds ``ballot_id``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import NotRequired, TypedDict, cast

from plenary.activities.ballots.choices import BallotMethod, Choice, normalise
from plenary.activities.ballots.irv import IrvRound, instant_runoff

#: ``pairwise[a][b]``: how many ballots put a above b.
Pairwise = dict[str, dict[str, int]]


class BallotResult(TypedDict):
    """The result object (without ``ballot_id``, which the caller adds)."""

    method: str
    ballots: int
    winners: list[str]
    tie: bool
    totals: dict[str, int]
    rounds: NotRequired[list[IrvRound]]
    pairwise: NotRequired[Pairwise]


class CountError(ValueError):
    """The ballot itself cannot be counted (unknown method, bad candidate list)."""


def count(
    method: BallotMethod | str, candidates: Sequence[str], ballots: Iterable[object]
) -> BallotResult:
    """Count ``ballots`` (choices as voters send them; each is validated, and
    :class:`~plenary.activities.ballots.choices.InvalidChoice` is raised for a bad one)
    by ``method`` among ``candidates`` (their ids, in the ballot's order)."""
    try:
        how = BallotMethod(method)
    except ValueError:
        allowed = ", ".join(m.value for m in BallotMethod)
        raise CountError(f"method must be one of: {allowed}.") from None
    ids = list(candidates)
    if not ids or not all(isinstance(c, str) and c for c in ids) or len(set(ids)) != len(ids):
        raise CountError("candidates must be distinct, non-empty ids, at least one.")
    index = {cid: i for i, cid in enumerate(ids)}
    # Identical choices are counted once with their number: a hall votes alike.
    groups: Counter[Hashable] = Counter(_key(normalise(how, index, b)) for b in ballots)
    total = sum(groups.values())
    if how is BallotMethod.PLURALITY or how is BallotMethod.APPROVAL:
        totals = dict.fromkeys(ids, 0)
        for key, weight in groups.items():
            for cid in (key,) if isinstance(key, str) else cast(tuple[str, ...], key):
                totals[cid] += weight
        return _result(how, total, _top(totals) if total else [], totals)
    if how is BallotMethod.SCORE:
        scores = [(dict(cast(tuple[tuple[str, int], ...], k)), w) for k, w in groups.items()]
        totals = dict.fromkeys(ids, 0)
        for points, weight in scores:
            for cid, value in points.items():
                totals[cid] += value * weight
        return _by_points(how, total, totals, lambda: _scored_pairwise(ids, scores))
    rankings = cast(Mapping[tuple[str, ...], int], groups)
    if how is BallotMethod.IRV:
        rounds, winners = instant_runoff(ids, rankings)
        result = _result(how, total, winners, rounds[-1]["totals"])
        result["rounds"] = rounds
        return result
    if how is BallotMethod.SCHULZE:
        return _schulze(ids, _ranked_pairwise(ids, rankings), total)
    totals = dict.fromkeys(ids, 0)
    for ranking, weight in rankings.items():
        for place, cid in enumerate(ranking):  # n-1 points to the first, then one fewer
            totals[cid] += (len(ids) - 1 - place) * weight
    return _by_points(how, total, totals, lambda: _ranked_pairwise(ids, rankings))


def _key(choice: Choice) -> Hashable:
    if isinstance(choice, str):
        return choice
    if isinstance(choice, list):
        return tuple(choice)
    return tuple(choice.items())


def _result(
    method: BallotMethod, ballots: int, winners: list[str], totals: dict[str, int]
) -> BallotResult:
    return {
        "method": method.value,
        "ballots": ballots,
        "winners": winners,
        "tie": len(winners) > 1,
        "totals": totals,
    }


def _top(totals: Mapping[str, int]) -> list[str]:
    best = max(totals.values())
    return [cid for cid, n in totals.items() if n == best]


def _by_points(
    method: BallotMethod, ballots: int, totals: dict[str, int], pairwise: Callable[[], Pairwise]
) -> BallotResult:
    """Most points wins; a tie on points is broken head to head (score, Borda)."""
    winners = _top(totals) if ballots else []
    if len(winners) > 1:
        winners = _undominated(winners, pairwise())
    return _result(method, ballots, winners, totals)


def _ranked_pairwise(ids: Sequence[str], rankings: Mapping[tuple[str, ...], int]) -> Pairwise:
    """``d[a][b]``: the ballots that rank a above b; a ranked candidate is above every
    unranked one, and unranked candidates are level."""
    d: Pairwise = {a: dict.fromkeys((b for b in ids if b != a), 0) for a in ids}
    for ranking, weight in rankings.items():
        unranked = [c for c in ids if c not in ranking] if len(ranking) < len(ids) else []
        for place, a in enumerate(ranking):
            row = d[a]
            for b in ranking[place + 1 :]:
                row[b] += weight
            for b in unranked:
                row[b] += weight
    return d


def _scored_pairwise(ids: Sequence[str], scores: list[tuple[dict[str, int], int]]) -> Pairwise:
    """``d[a][b]``: the ballots that score a above b (an unscored candidate has 0)."""
    d: Pairwise = {a: dict.fromkeys((b for b in ids if b != a), 0) for a in ids}
    for points, weight in scores:
        for a, pa in points.items():
            if pa > 0:  # nobody is below 0
                row = d[a]
                for b in row:
                    if points.get(b, 0) < pa:
                        row[b] += weight
    return d


def _undominated(tied: list[str], d: Pairwise) -> list[str]:
    """The tied candidates no other tied candidate beats head to head; all of them when
    every one is beaten (a cycle)."""
    kept = [a for a in tied if not any(d[b][a] > d[a][b] for b in tied if b != a)]
    return kept or tied


def _schulze(ids: list[str], d: Pairwise, total: int) -> BallotResult:
    """Schulze with winning votes: a defeat is the stronger the more ballots it has for
    it, then the fewer against it (Schulze 2011; with partial rankings the second rule
    separates defeats that plain winning votes would tie). Widest paths by the
    Floyd-Warshall-like pass."""
    # (for, against) ordered as one number: for * (total + 1) - against; 0 is no defeat.
    p = {
        a: {b: (d[a][b] * (total + 1) - d[b][a] if d[a][b] > d[b][a] else 0) for b in ids if b != a}
        for a in ids
    }
    for k in ids:
        for i in ids:
            if i == k or p[i][k] == 0:
                continue
            via = p[i][k]
            row, krow = p[i], p[k]
            for j in ids:
                if j != i and j != k:
                    wide = min(via, krow[j])
                    if wide > row[j]:
                        row[j] = wide
    beats = {a: sum(1 for b in ids if b != a and p[a][b] > p[b][a]) for a in ids}
    winners = [a for a in ids if all(p[a][b] >= p[b][a] for b in ids if b != a)]
    result = _result(BallotMethod.SCHULZE, total, winners if total else [], beats)
    result["pairwise"] = d
    return result
