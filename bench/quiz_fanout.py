"""Quiz answers and results at 1,000 players (issue 16), against a poll's votes and a
broadcast in the same run, embedded and on 2 server processes sharing a redis-server.

Two comparisons, each in one deployment with the same connected attendees:

1. **The answer burst.** Every player answers a quiz question at once (``quiz:answer``):
   the ack latency (send to ack, on the client), against every attendee voting in a
   poll at once (``poll:vote``, the fan-out benchmark's vote burst; the poll open and
   not revealed, so its live results go to the staff, as the quiz's answer count does).
   Target: the quiz's ack p99 within 1.1x the poll's.
2. **The personal results.** When a question closes every player gets a
   ``quiz:result`` of their own (points, score, rank): the time until the last of them
   has arrived (receipt - the message's ``ts``, the server's time when sending began;
   all of a close's results carry the same ``ts``), against one broadcast to the same
   people: the ``quiz:question`` that opened the question (a frame of about the same
   size, reported). Target: within 1.2x.

For each mode it starts Plenary (``plenary serve``, as deployed), connects N attendees
(real websockets, the fan-out benchmark's client harness, ``bench.quiz_fanout_clients``;
in scaled mode every other attendee on the other process) and a presenter, then for
``--rounds`` rounds, alternating which goes first:

- a quiz (``quiz:create``, ``quiz:start``): its question opens (the broadcast, measured),
  everyone answers at once (the answer burst, measured); the question closes (as it does
  in a room where everyone answered: by itself once the answer count reaches the
  attendees online, or by the presenter's ``quiz:close`` sent once every answer is
  acked, whichever comes first) and the results go out (measured, with the
  ``quiz:reveal`` broadcast right after them); then ``quiz:end`` (the podium and every
  player's final result, also measured);
- a poll (``poll:create``, ``poll:open``): everyone votes at once (measured).

Afterwards it checks that every player got exactly one result per question and one
final result, with the points the documented formula gives for the time the server
measured (the answer's ack says it), the right verdict and the right rank.

    .venv/bin/python -m bench.quiz_fanout                      # 1,000 players, both modes
    .venv/bin/python -m bench.quiz_fanout --players 40 --rounds 2 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.fanout import acks as ack_latencies
from bench.fanout import pct, proc_cpu, samples
from bench.fanout_clients import now_ms
from bench.fanout_modes import LABELS, ModeRun, add_common_arguments, check_modes, run_modes
from bench.quiz_fanout_clients import choice_of, worker_main

ACK_TARGET = 1.1
FANOUT_TARGET = 1.2
LIMIT_S = 60
POINTS = 1000
RIGHT = True
# True or false, and short: its quiz:question frame is as close as a broadcast of the
# quiz gets to the size of a quiz:result (both are reported).
QUESTION = {
    "kind": "truefalse",
    "question": "True?",
    "correct": RIGHT,
    "time_limit_s": LIMIT_S,
    "points": POINTS,
}
POLL = {"question": "Which one?", "kind": "single", "options": ["A", "B", "C", "D"]}
QUIZ_TAG, POLL_TAG = 1, 2


def say(message: str) -> None:
    sys.stderr.write(f"[quiz-fanout] {message}\n")
    sys.stderr.flush()


# -- the documented rules, written out again (docs/quiz.md) ---------------------------------
def speed_points(points: int, elapsed_ms: int, limit_s: int) -> int:
    """round(points x (1 - (elapsed / limit) / 2)), halves up; full points within the
    first 0.5 s; the elapsed time capped at the limit."""
    limit_ms = limit_s * 1000
    elapsed = min(elapsed_ms, limit_ms)
    if elapsed <= 500:
        elapsed = 0
    # integer arithmetic, halves up: points x (2 limit - elapsed) / (2 limit)
    numerator = points * (2 * limit_ms - elapsed)
    denominator = 2 * limit_ms
    return (2 * numerator + denominator) // (2 * denominator)


def expected_ranks(players: dict[str, tuple[int, int]]) -> dict[str, int]:
    """attendee id -> rank, from (score, total time of the correct answers): 1 + the
    number of players strictly ahead (more points, or as many in less time)."""
    keys = sorted(players.values(), key=lambda v: (-v[0], v[1]))
    ranks: dict[str, int] = {}
    for who, (score, time_ms) in players.items():
        ahead = sum(1 for s, t in keys if s > score or (s == score and t < time_ms))
        ranks[who] = ahead + 1
    return ranks


# -- the client processes -----------------------------------------------------------------------
# -- figures -------------------------------------------------------------------------------
def receipts(results: list[dict[str, Any]], name: str) -> tuple[list[float], set[float], int]:
    """(latencies recv - ts in ms, the ts values, the largest frame) of ``name``."""
    lat: list[float] = []
    stamps: set[float] = set()
    size = 0
    for ts, recv, frame in samples(results, name):
        lat += [b - a for a, b in zip(ts, recv, strict=True)]
        stamps |= set(ts)
        size = max(size, frame)
    return lat, stamps, size


def delivery(lat: list[float], stamps: set[float], size: int) -> dict[str, Any]:
    return {
        "n": len(lat),
        "all_ms": max(lat) if lat else math.nan,
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "ts_values": len(stamps),
        "bytes": size,
    }


def burst(lat: list[float]) -> dict[str, Any]:
    return {"n": len(lat), "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat)}


class Run(ModeRun):
    """One mode: its deployment, clients, presenter and figures."""

    def __init__(self, mode: str, args: argparse.Namespace, work_dir: Path) -> None:
        super().__init__(mode, args, work_dir, args.players, worker_main, say)
        self.quizzes: list[str] = []
        self.figures["players"] = self.n
        self.rounds: list[dict[str, Any]] = []

    # -- set-up --------------------------------------------------------------------------
    async def setup(self) -> None:
        await self.connect_everyone("Quiz bench", lambda i: {"name": f"Player {i:05d}"})
        # Presence is refreshed every second: every player counts as online before a
        # question can close by itself.
        await asyncio.sleep(2.5)

    # -- the phases ----------------------------------------------------------------------
    async def wait_all(self, name: str, timeout: float = 60) -> int:
        assert self.clients is not None
        got = await self.clients.each(
            "wait_for", [{"name": name, "target": len(s), "timeout": timeout} for s in self.shares]
        )
        if sum(got) != self.n:
            raise RuntimeError(f"{name}: {sum(got)} of {self.n} arrived")
        return sum(got)

    async def delivered(
        self, name: str, start: Callable[[], Awaitable[Any]], also: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
        """Clear the samples, trigger with ``start()`` and wait until every attendee has
        ``name`` (and each of ``also``); its delivery figures, the samples, the ack."""
        assert self.clients is not None
        await self.clients.all("clear")
        await asyncio.sleep(0.25)
        cpu0 = proc_cpu(self.server_pids)
        ack = await start()
        for other in (name, *also):
            await self.wait_all(other)
        cpu = proc_cpu(self.server_pids) - cpu0
        results = await self.clients.all("collect")
        figures = delivery(*receipts(results, name))
        figures["server_cpu_s"] = cpu
        return figures, results, ack

    async def quiz_round(self, number: int) -> dict[str, Any]:
        assert self.clients is not None and self.presenter is not None
        presenter = self.presenter
        created = await presenter.call(
            "quiz:create", {"title": f"Round {number}", "questions": [QUESTION]}
        )
        quiz_id = created["quiz"]["id"]
        self.quizzes.append(quiz_id)
        await self.clients.all("clear")
        await presenter.call("quiz:start", {"quiz_id": quiz_id})
        await self.wait_all("quiz:started")

        # The question's broadcast.
        async def open_question() -> Any:
            return await presenter.call("quiz:next", {"quiz_id": quiz_id})

        question, _, opened = await self.delivered("quiz:question", open_question)
        question_id = opened["question"]["question"]["id"]

        # Everyone answers at once; then the question closes and the results go out.
        await self.clients.all("clear")
        await asyncio.sleep(0.5)
        cpu0 = proc_cpu(self.server_pids)
        start_at = now_ms() + 300
        sent = await self.clients.all(
            "answer_all",
            quiz_id=quiz_id,
            question_id=question_id,
            tag=QUIZ_TAG,
            start_at=start_at,
            timeout=60,
        )
        answers_cpu = proc_cpu(self.server_pids) - cpu0
        # Everyone online answered: the answer count closes the question within its
        # window (250 ms); the presenter's close is the fallback.
        closed_by = "everyone answered"
        early = await self.clients.each(
            "wait_for",
            [{"name": "quiz:result", "target": len(s), "timeout": 3} for s in self.shares],
        )
        if sum(early) < self.n:
            closed_by = "quiz:close"
            await presenter.call("quiz:close", {"quiz_id": quiz_id})
        await self.wait_all("quiz:result")
        await self.wait_all("quiz:reveal")
        cpu_close = proc_cpu(self.server_pids) - cpu0
        results = await self.clients.all("collect")
        acks = ack_latencies(results, QUIZ_TAG)
        answers = burst(acks)
        answers["errors"] = sum(s["errors"] for s in sent)
        answers["unacked"] = sum(s["sent"] for s in sent) - len(acks)
        answers["server_cpu_s"] = answers_cpu
        personal = delivery(*receipts(results, "quiz:result"))
        personal["server_cpu_s"] = cpu_close  # the answers and the close
        reveal = delivery(*receipts(results, "quiz:reveal"))

        # The end: the podium (a broadcast) and every player's final result.
        async def end() -> Any:
            return await presenter.call("quiz:end", {"quiz_id": quiz_id})

        ended, results, _ = await self.delivered("quiz:ended", end, also=("quiz:result",))
        final = delivery(*receipts(results, "quiz:result"))
        return {
            "quiz_id": quiz_id,
            "question": question,
            "answers": answers,
            "results": personal,
            "reveal": reveal,
            "closed_by": closed_by,
            "ended": ended,
            "final_results": final,
        }

    async def poll_round(self, number: int) -> dict[str, Any]:
        assert self.clients is not None and self.presenter is not None
        presenter = self.presenter
        poll = (await presenter.call("poll:create", {**POLL, "question": f"Round {number}?"}))[
            "poll"
        ]
        await self.clients.all("clear")
        await presenter.call("poll:open", {"poll_id": poll["id"]})
        await self.wait_all("poll:opened")
        await self.clients.all("clear")
        await asyncio.sleep(0.5)
        cpu0 = proc_cpu(self.server_pids)
        sent = await self.clients.all(
            "vote_burst", poll_id=poll["id"], tag=POLL_TAG, start_at=now_ms() + 300, timeout=60
        )
        cpu = proc_cpu(self.server_pids) - cpu0
        results = await self.clients.all("collect")
        acks = ack_latencies(results, POLL_TAG)
        votes = burst(acks)
        votes["errors"] = sum(s["errors"] for s in sent)
        votes["unacked"] = sum(s["sent"] for s in sent) - len(acks)
        votes["server_cpu_s"] = cpu
        await presenter.call("poll:close", {"poll_id": poll["id"]})
        await asyncio.sleep(0.5)
        return {"poll_id": poll["id"], "votes": votes}

    async def measure(self) -> None:
        f = self.figures
        for number in range(1, self.args.rounds + 1):
            if number % 2:
                quiz = await self.quiz_round(number)
                poll = await self.poll_round(number)
            else:
                poll = await self.poll_round(number)
                quiz = await self.quiz_round(number)
            self.rounds.append({**quiz, **poll})
            say(
                f"{self.mode} round {number}: ack p99 quiz {quiz['answers']['p99_ms']:.1f} / "
                f"poll {poll['votes']['p99_ms']:.1f} ms; all arrived: results "
                f"{quiz['results']['all_ms']:.1f} / question {quiz['question']['all_ms']:.1f} ms"
                f" ({quiz['closed_by']})"
            )
        self.summarise()
        f["rounds"] = self.rounds

    def summarise(self) -> None:
        f = self.figures
        med = statistics.median
        rounds = self.rounds
        # The answer burst: every ack of every round pooled, per kind.
        for key, part in (("quiz", "answers"), ("poll", "votes")):
            f[f"{key}_ack_p50_ms"] = med(r[part]["p50_ms"] for r in rounds)
            f[f"{key}_ack_p99_ms"] = med(r[part]["p99_ms"] for r in rounds)
            f[f"{key}_ack_max_ms"] = max(r[part]["max_ms"] for r in rounds)
            f[f"{key}_ack_errors"] = sum(r[part]["errors"] for r in rounds)
            f[f"{key}_ack_unacked"] = sum(r[part]["unacked"] for r in rounds)
            f[f"{key}_burst_cpu_s"] = med(r[part]["server_cpu_s"] for r in rounds)
        f["ack_ratio"] = f["quiz_ack_p99_ms"] / f["poll_ack_p99_ms"]
        f["ack_ratio_pairs"] = med(r["answers"]["p99_ms"] / r["votes"]["p99_ms"] for r in rounds)
        f["ack_met"] = f["ack_ratio"] <= ACK_TARGET
        # The results against the question's broadcast.
        for key in ("results", "question", "reveal", "final_results", "ended"):
            for stat in ("all_ms", "p50_ms", "p99_ms", "bytes"):
                f[f"{key}_{stat}"] = med(r[key][stat] for r in rounds)
        f["fanout_ratio"] = f["results_all_ms"] / f["question_all_ms"]
        f["fanout_ratio_pairs"] = med(
            r["results"]["all_ms"] / r["question"]["all_ms"] for r in rounds
        )
        f["fanout_met"] = f["fanout_ratio"] <= FANOUT_TARGET
        f["final_ratio"] = f["final_results_all_ms"] / f["ended_all_ms"]
        f["results_one_ts"] = all(r["results"]["ts_values"] == 1 for r in rounds)
        f["closed_by"] = sorted({r["closed_by"] for r in rounds})

    # -- checking what arrived -------------------------------------------------------------
    async def verify(self) -> None:
        """Every player got exactly one result per question and one final result, with
        the documented points for the time the server measured, the right verdict, and
        the right rank."""
        assert self.clients is not None
        kept: dict[int, dict[str, list[Any]]] = {}
        for part in await self.clients.all("kept"):
            kept.update({int(k): v for k, v in part.items()})
        self.per_process(kept)
        problems: list[str] = []
        checked = 0
        for quiz_id in self.quizzes:
            taken: dict[str, tuple[int, int]] = {}  # attendee id -> (points, correct time)
            got: dict[str, dict[str, Any]] = {}
            for index, frames in kept.items():
                me = self.ids[index]
                acks = [b for b in (json.loads(p[p.index("[") :])[0] for p in frames["acks"])]
                mine = [a for a in acks if a.get("quiz_id") == quiz_id]
                results = [json.loads(p[2:])[1] for p in frames["results"]]
                own = [r for r in results if r["quiz_id"] == quiz_id and not r.get("final")]
                final = [r for r in results if r["quiz_id"] == quiz_id and r.get("final")]
                if len(mine) != 1 or not mine[0].get("ok"):
                    problems.append(f"{quiz_id}: {me} has {len(mine)} ok answer acks")
                    continue
                if len(own) != 1 or len(final) != 1:
                    problems.append(f"{quiz_id}: {me} got {len(own)} results, {len(final)} final")
                    continue
                right = choice_of(index) == RIGHT
                points = speed_points(POINTS, mine[0]["elapsed_ms"], LIMIT_S) if right else 0
                taken[me] = (points, mine[0]["elapsed_ms"] if right else 0)
                got[me] = own[0]
                if (own[0]["correct"], own[0]["points"], own[0]["score"]) != (
                    right,
                    points,
                    points,
                ):
                    problems.append(f"{quiz_id}: {me} was given {own[0]}, expected {points}")
                if (final[0]["score"], final[0]["rank"]) != (points, own[0]["rank"]):
                    problems.append(f"{quiz_id}: {me}'s final result {final[0]}")
                checked += 1
            ranks = expected_ranks(taken)
            for me, result in got.items():
                if (result["rank"], result["players"]) != (ranks[me], len(taken)):
                    problems.append(
                        f"{quiz_id}: {me} ranked {result['rank']} of {result['players']}, "
                        f"expected {ranks[me]} of {len(taken)}"
                    )
        f = self.figures
        f["problems"] = problems[:10]
        f["problem_count"] = len(problems)
        f["results_checked"] = checked

    def per_process(self, kept: dict[int, dict[str, list[Any]]]) -> None:
        """When the last result of a close arrived on each server process's attendees
        (attendee i is on process i % processes): the slower and the faster process,
        medians over the rounds. Embedded, both are the one process."""
        processes = len(self.deployment.urls)
        slowest: list[float] = []
        fastest: list[float] = []
        for quiz_id in self.quizzes:
            last = [0.0] * processes
            for index, frames in kept.items():
                for text, received in zip(frames["results"], frames["result_times"], strict=True):
                    body = json.loads(text[2:])[1]
                    if body["quiz_id"] == quiz_id and not body.get("final"):
                        where = index % processes
                        last[where] = max(last[where], received - body["ts"])
            slowest.append(max(last))
            fastest.append(min(last))
        self.figures["results_all_ms_by_process"] = {
            "slower": statistics.median(slowest),
            "faster": statistics.median(fastest),
        }


def both(f: dict[str, Any], a: str, b: str, digits: int = 1) -> str:
    return f"{f[a]:.{digits}f} / {f[b]:.{digits}f}"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def table(runs: list[dict[str, Any]]) -> str:
    """The figures as a markdown table, one column per mode."""
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("players; rounds", lambda f: f"{f['players']:,}; {len(f['rounds'])}"),
        (
            "answer burst: quiz ack p99, median of rounds (ms)",
            lambda f: f"{f['quiz_ack_p99_ms']:.1f}",
        ),
        (
            "vote burst: poll ack p99, median of rounds (ms)",
            lambda f: f"{f['poll_ack_p99_ms']:.1f}",
        ),
        ("ratio (target 1.1x)", lambda f: f"{f['ack_ratio']:.2f}x, {verdict(f['ack_met'])}"),
        ("ratio, round by round (median)", lambda f: f"{f['ack_ratio_pairs']:.2f}x"),
        ("ack p50: quiz / poll (ms)", lambda f: both(f, "quiz_ack_p50_ms", "poll_ack_p50_ms")),
        ("ack max: quiz / poll (ms)", lambda f: both(f, "quiz_ack_max_ms", "poll_ack_max_ms")),
        (
            "server CPU of a burst: quiz / poll (s)",
            lambda f: both(f, "quiz_burst_cpu_s", "poll_burst_cpu_s", 3),
        ),
        (
            "error acks; unacked: quiz / poll",
            lambda f: (
                f"{f['quiz_ack_errors']}; {f['quiz_ack_unacked']} / "
                f"{f['poll_ack_errors']}; {f['poll_ack_unacked']}"
            ),
        ),
        ("results of a close: all arrived, median (ms)", lambda f: f"{f['results_all_ms']:.1f}"),
        (
            "quiz:question broadcast: all arrived, median (ms)",
            lambda f: f"{f['question_all_ms']:.1f}",
        ),
        ("ratio (target 1.2x)", lambda f: f"{f['fanout_ratio']:.2f}x, {verdict(f['fanout_met'])}"),
        ("ratio, round by round (median)", lambda f: f"{f['fanout_ratio_pairs']:.2f}x"),
        (
            "p50 per recipient: results / question (ms)",
            lambda f: both(f, "results_p50_ms", "question_p50_ms"),
        ),
        (
            "p99 per recipient: results / question (ms)",
            lambda f: both(f, "results_p99_ms", "question_p99_ms"),
        ),
        (
            "results all arrived, per server process: slower / faster (ms)",
            lambda f: (
                f"{f['results_all_ms_by_process']['slower']:.1f} / "
                f"{f['results_all_ms_by_process']['faster']:.1f}"
            ),
        ),
        (
            "quiz:reveal broadcast right after the results: all arrived (ms)",
            lambda f: f"{f['reveal_all_ms']:.1f}",
        ),
        (
            "final results / quiz:ended broadcast: all arrived (ms)",
            lambda f: (
                f"{f['final_results_all_ms']:.1f} / {f['ended_all_ms']:.1f} "
                f"({f['final_ratio']:.2f}x)"
            ),
        ),
        (
            "frame bytes: quiz:result / quiz:question",
            lambda f: f"{f['results_bytes']:.0f} / {f['question_bytes']:.0f}",
        ),
        ("closed by", lambda f: ", ".join(f["closed_by"])),
        ("results checked; problems", lambda f: f"{f['results_checked']:,}; {f['problem_count']}"),
        ("load average before / after", lambda f: f"{f['load_before']} / {f['load_after']}"),
    ]
    head = "| | " + " | ".join(LABELS[f["mode"]] for f in runs) + " |"
    lines = [head, "|---" * (len(runs) + 1) + "|"]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(f) for f in runs) + " |")
    return "\n".join(lines) + "\n"


def run_all(args: argparse.Namespace) -> int:
    runs = run_modes(args, lambda mode, work_dir: Run(mode, args, work_dir), table, say)
    ok = all(
        r["problem_count"] == 0
        and not r["crashed"]
        and r["quiz_ack_errors"] == r["poll_ack_errors"] == 0
        and r["quiz_ack_unacked"] == r["poll_ack_unacked"] == 0
        for r in runs
    )
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=1000)
    # A round's figures are a burst's p99 and the slowest of 1,000 deliveries, which move
    # by a tenth from round to round on a shared machine: medians of 20 hold still.
    parser.add_argument("--rounds", type=int, default=20, help="rounds of a quiz and a poll")
    add_common_arguments(parser, work_dir="/tmp/plenary-quiz-fanout")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 100:
        parser.error("--rounds must be 1 to 100")
    check_modes(parser, args)
    return args


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_all(parse_args(argv)))


if __name__ == "__main__":
    main()
