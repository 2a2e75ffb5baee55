"""Ranking a quiz's players after a question (issue 16: 10,000 players well under 50 ms),
beside a baseline in the same run.

For each size in ``--players``, builds a quiz of 5 questions and that many players who
played the first 4 (random answers and times, so scores spread and tie as in a real
game) and answered the 5th, then times, ``--repeat`` times each, in one process:

- baseline: a plain ``sorted()`` of ``(-score, answer time, attendee id)`` tuples (no
  ranks, no output), the floor any ranking pays;
- ``rank_players``: the players in order with their rank (ties share a rank);
- ``team_leaderboard``: the same players in 40 teams (a team quiz adds it);
- ``close_question``: everything closing the 5th question does, scoring every answer,
  ranking, each player's ``quiz:result`` and the ``quiz:reveal`` (team mode on).

It checks that ``rank_players`` orders the players as the baseline does, and prints for
each the median and slowest CPU time of this thread (the figure: unlike the wall clock
it does not count the time other processes of a shared machine held the core), the
median wall-clock time, and the ratio of CPU medians to the baseline's.

    .venv/bin/python -m bench.quiz_ranking [--players 1000,10000] [--repeat 31]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from plenary.activities.quiz.answers import check_choice
from plenary.activities.quiz.domain import Quiz, build_quiz
from plenary.activities.quiz.limits import QuizLimits
from plenary.activities.quiz.players import PlayerState, give_answer, new_player
from plenary.activities.quiz.ranking import rank_players, team_leaderboard
from plenary.activities.quiz.rounds import close_question

LIMITS = QuizLimits()
TEAMS = 40
QUESTIONS: list[dict[str, Any]] = [
    {"kind": "single", "question": "Q1", "options": ["A", "B", "C", "D"], "correct": ["b"]},
    {"kind": "multiple", "question": "Q2", "options": ["A", "B", "C", "D"], "correct": ["a", "c"]},
    {"kind": "truefalse", "question": "Q3", "correct": True, "points": 2000},
    {"kind": "text", "question": "Q4", "accept": ["Lisbon", "Lisboa"]},
    {"kind": "number", "question": "Q5", "answer": 1969, "tolerance": 1},
]
CHOICES: list[list[Any]] = [
    ["a", "b", "c", "d"],
    [["a"], ["a", "c"], ["b", "d"], ["a", "b", "c"]],
    [True, False],
    ["lisbon", "Lisboa ", "Porto", "LISBON"],
    [1969, 1970, 1968, 1972, "1967"],
]


def game(players: int, seed: int) -> tuple[Quiz, list[PlayerState]]:
    """A quiz and its players, 4 questions played and the 5th answered, not closed."""
    rng = random.Random(seed)
    quiz = build_quiz(
        "qz_bench", {"title": "Bench", "questions": QUESTIONS, "teams": "country"}, LIMITS, 0
    )
    states = {
        f"a_{i:06d}": new_player(f"a_{i:06d}", f"Player {i}", f"Team {rng.randrange(TEAMS)}")
        for i in range(players)
    }
    for index, question in enumerate(quiz.questions):
        for attendee_id, state in states.items():
            if rng.random() < 0.1:  # some never answer
                continue
            choice = check_choice(question, rng.choice(CHOICES[index]), LIMITS)
            elapsed = rng.randrange(question.limit_ms)
            states[attendee_id], _, _ = give_answer(
                state, question.id, f"v{index}", choice, elapsed
            )
        if index < len(quiz.questions) - 1:
            states = close_question(quiz, index, states.values()).players
    order = list(states.values())
    rng.shuffle(order)  # as a store may hand them over
    return quiz, order


def baseline(players: list[PlayerState]) -> list[tuple[int, int, str]]:
    return sorted([(-p.score, p.correct_time_ms, p.attendee_id) for p in players])


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """CPU time of this thread and wall-clock time of each run, in ms. CPU time is the
    figure: on a shared machine the wall clock also counts the time other processes
    held the core."""
    cpu, wall = [], []
    for _ in range(repeat):
        gc.collect()
        start_cpu, start_wall = time.thread_time(), time.perf_counter()
        fn()
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start_wall) * 1000)
    return cpu, wall


def run(players_count: int, repeat: int, seed: int) -> bool:
    """Time every figure at one size and print its table; False if the orders differ."""
    quiz, players = game(players_count, seed)
    ranked = rank_players(players)
    expected = [key[2] for key in baseline(players)]
    if [p.attendee_id for _, p in ranked] != expected:
        print("rank_players orders the players differently from the baseline", file=sys.stderr)
        return False
    last = len(quiz.questions) - 1
    figures = [
        (
            "baseline: sorted() of (score, time, id) tuples",
            timed(lambda: baseline(players), repeat),
        ),
        ("rank_players (ranks included)", timed(lambda: rank_players(players), repeat)),
        ("team_leaderboard (40 teams)", timed(lambda: team_leaderboard(players), repeat)),
        (
            "close_question (score, rank, results, reveal)",
            timed(lambda: close_question(quiz, last, players), repeat),
        ),
    ]
    base = statistics.median(figures[0][1][0])
    distinct = len({(p.score, p.correct_time_ms) for p in players})
    print(
        f"quiz ranking, {players_count:,} players ({distinct:,} distinct score and time pairs), "
        f"{repeat} runs each, Python {sys.version.split()[0]}"
    )
    print(f"{'':48} {'CPU median ms':>14} {'CPU max':>8} {'wall median':>12} {'x baseline':>11}")
    for label, (cpu, wall) in figures:
        median = statistics.median(cpu)
        print(
            f"{label:48} {median:14.2f} {max(cpu):8.2f} {statistics.median(wall):12.2f} "
            f"{median / base:11.2f}"
        )
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", default="10000", help="sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"1-minute load average {load:.2f} on {os.cpu_count()} cores at the start")
    for size in (int(s) for s in args.players.split(",")):
        if not run(size, args.repeat, args.seed):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
