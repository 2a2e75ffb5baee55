"""Instant-runoff counting, with its tie rules (docs/ballots.md, "Instant-runoff").

Each round gives every ballot to its highest-ranked continuing candidate (a ballot naming
none is exhausted). A candidate with more than half of the round's continuing ballots
wins. Otherwise the candidate with the fewest votes is eliminated; a tie for fewest is
broken forwards, as issue 18 states the rule: the tied candidate with fewer first
preferences in the earliest round where they differ goes out. When no round separates
them, tied candidates who together have fewer votes than every
other continuing candidate are eliminated together (no order of eliminating them could
matter); otherwise the count stops at that round, every way of choosing is followed, and
the winners are every candidate some choice elects: a tie is reported, never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

#: Bound on the work spent following unbreakable ties (ballot groups and past totals
#: visited, about 0.1 s). Past it the winners are every candidate still in the count at
#: the tie: a larger set, never a wrong one.
BRANCH_BUDGET = 200_000


class IrvRound(TypedDict):
    """One round: the votes of each continuing candidate, and who goes out (none in the
    last round, several when tied candidates go out together)."""

    totals: dict[str, int]
    eliminated: list[str]


class _OutOfBudget(Exception):
    pass


def instant_runoff(
    candidates: Sequence[str], rankings: Mapping[tuple[str, ...], int]
) -> tuple[list[IrvRound], list[str]]:
    """The rounds and the winners (several when the tie rule cannot decide) of an
    instant-runoff count of ``rankings`` (each distinct ranking, best first, with how
    many ballots gave it). No ballots: one round of zeros and no winner."""
    if not rankings:
        return [{"totals": dict.fromkeys(candidates, 0), "eliminated": []}], []
    return _Count(candidates, rankings).run()


class _Count:
    def __init__(self, candidates: Sequence[str], rankings: Mapping[tuple[str, ...], int]):
        self.order = {cid: i for i, cid in enumerate(candidates)}
        self.candidates = list(candidates)
        self.rankings = list(rankings.items())
        self.budget = BRANCH_BUDGET
        self.memo: dict[tuple[tuple[str, ...], tuple[tuple[int, ...], ...]], list[str]] = {}

    def run(self) -> tuple[list[IrvRound], list[str]]:
        return self._count(self.candidates, [], branching=False)

    def _tally(self, continuing: list[str]) -> dict[str, int]:
        self.budget -= len(self.rankings)
        totals = dict.fromkeys(continuing, 0)
        for ranking, weight in self.rankings:
            for cid in ranking:
                if cid in totals:
                    totals[cid] += weight
                    break
        return totals

    def _count(
        self, continuing: list[str], history: list[dict[str, int]], *, branching: bool
    ) -> tuple[list[IrvRound], list[str]]:
        """Count from ``continuing`` on (``history``: the totals of earlier rounds)."""
        rounds: list[IrvRound] = []
        while True:
            if branching and self.budget < 0:
                raise _OutOfBudget
            totals = self._tally(continuing)
            history = [*history, totals]
            top = max(totals.values())
            if 2 * top > sum(totals.values()):
                rounds.append({"totals": totals, "eliminated": []})
                return rounds, [c for c in continuing if totals[c] == top]
            tied = _lowest(continuing, history)
            if len(tied) == 1 or _together(tied, continuing, totals):
                rounds.append({"totals": totals, "eliminated": tied})
                continuing = [c for c in continuing if c not in tied]
                continue
            rounds.append({"totals": totals, "eliminated": []})
            return rounds, self._every_choice(continuing, history, tied, branching)

    def _every_choice(
        self,
        continuing: list[str],
        history: list[dict[str, int]],
        tied: list[str],
        branching: bool,
    ) -> list[str]:
        """The winners over every choice of which tied candidate goes out."""
        winners: set[str] = set()
        try:
            for out in tied:
                rest = [c for c in continuing if c != out]
                self.budget -= len(rest) * len(history)
                if self.budget < 0:
                    raise _OutOfBudget
                # What follows depends only on who is left and their earlier totals, so
                # orders that meet again are counted once.
                seen = (tuple(rest), tuple(tuple(t[c] for c in rest) for t in history))
                if seen not in self.memo:
                    self.memo[seen] = self._count(rest, history, branching=True)[1]
                winners.update(self.memo[seen])
        except _OutOfBudget:
            if branching:
                raise
            winners = set(continuing)
        return sorted(winners, key=self.order.__getitem__)


def _lowest(continuing: list[str], history: list[dict[str, int]]) -> list[str]:
    """The candidates with the fewest votes now, narrowed by the rounds from the first on
    (forwards tie-breaking): in the earliest round where the tied candidates' votes
    differ, those with the fewest stay tied, and so on with the later rounds."""
    now = history[-1]
    fewest = min(now[c] for c in continuing)
    tied = [c for c in continuing if now[c] == fewest]
    for totals in history[:-1]:
        if len(tied) == 1:
            break
        least = min(totals[c] for c in tied)
        tied = [c for c in tied if totals[c] == least]
    return tied


def _together(tied: list[str], continuing: list[str], totals: Mapping[str, int]) -> bool:
    """Whether the tied candidates can go out together: their votes summed are fewer
    than any other continuing candidate's, so one by one they would all go first."""
    others = [totals[c] for c in continuing if c not in tied]
    return bool(others) and sum(totals[c] for c in tied) < min(others)
