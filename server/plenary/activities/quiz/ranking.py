"""Leaderboards: players by score, then by the total answer time of their correct answers
(less is better); teams by the mean score of their members.

``rank`` is 1 + the number of players strictly ahead, so tied players share a rank and
the next rank skips (1, 2, 2, 4). Tied players are listed by attendee id, so that every
process lists them in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from plenary.activities.quiz.players import PlayerState

TOP = 10


# Scores and times as one int per player, so that the sort compares ints, not tuples
# (about 10 % less time at 10,000 players, measured with bench/quiz_ranking.py's game).
# A total answer time stays far below 2**41 ms.
_SCORE_SHIFT = 1 << 41


def rank_players(players: Iterable[PlayerState]) -> list[tuple[int, PlayerState]]:
    """Every player with their rank, best first."""
    # Sorted by id first: the sort by key is stable, so tied players stay in id order.
    by_id = sorted(players, key=_attendee_id)
    keys = [p.correct_time_ms - p.score * _SCORE_SHIFT for p in by_id]
    order = sorted(range(len(by_id)), key=keys.__getitem__)
    ranked: list[tuple[int, PlayerState]] = []
    append = ranked.append
    rank, last = 0, None
    for position, i in enumerate(order, 1):
        key = keys[i]
        if key != last:
            rank, last = position, key
        append((rank, by_id[i]))
    return ranked


def _attendee_id(player: PlayerState) -> str:
    return player.attendee_id


def top_entries(
    ranked: Sequence[tuple[int, PlayerState]], count: int = TOP
) -> list[dict[str, Any]]:
    """The ``top`` of ``quiz:reveal`` and ``quiz:ended``: the first ``count`` players."""
    return [
        {"attendee_id": p.attendee_id, "name": p.name, "score": p.score, "rank": rank}
        for rank, p in ranked[:count]
    ]


@dataclass(frozen=True)
class TeamStanding:
    """One team of a team quiz. ``score`` is the mean of its members' scores, to one
    decimal (halves up); the ranking compares the exact means."""

    team: str
    score: float
    members: int
    rank: int

    def to_dict(self) -> dict[str, Any]:
        return {"team": self.team, "score": self.score, "members": self.members, "rank": self.rank}


def team_leaderboard(players: Iterable[PlayerState]) -> list[TeamStanding]:
    """Teams by the mean score of their members, then by the mean answer time of their
    members' correct answers (less is better), then by name. Spellings that differ only
    in case or spacing are one team, shown as its most common spelling. Players without
    a team are left out."""
    # Sums per spelling as given (few distinct ones), then spellings merged by team.
    sums: dict[str, list[int]] = {}  # spelling -> [members, total score, total time]
    for player in players:
        if player.team:
            row = sums.get(player.team)
            if row is None:
                row = sums[player.team] = [0, 0, 0]
            row[0] += 1
            row[1] += player.score
            row[2] += player.correct_time_ms
    teams: dict[str, dict[str, list[int]]] = {}
    for spelling, row in sums.items():
        shown = " ".join(spelling.split())
        team = teams.setdefault(shown.casefold(), {})
        merged = team.setdefault(shown, [0, 0, 0])
        for i in range(3):
            merged[i] += row[i]
    rows = []
    for spellings in teams.values():
        label = min(spellings, key=lambda s: (-spellings[s][0], s))
        count = sum(r[0] for r in spellings.values())
        total = sum(r[1] for r in spellings.values())
        time_ms = sum(r[2] for r in spellings.values())
        rows.append((-Fraction(total, count), Fraction(time_ms, count), label, total, count))
    rows.sort()
    standings: list[TeamStanding] = []
    rank = 0
    for position, (neg_mean, mean_time, label, total, count) in enumerate(rows, 1):
        prev = rows[position - 2] if position > 1 else None
        if prev is None or (prev[0], prev[1]) != (neg_mean, mean_time):
            rank = position
        tenths = (total * 20 + count) // (2 * count)  # round(total * 10 / count), halves up
        standings.append(TeamStanding(label, tenths / 10, count, rank))
    return standings
