"""Smoke version of the fan-out benchmark (``python -m bench.fanout``, issue 5): every
server it compares (the raw floor, the plain python-socketio baseline, Plenary embedded,
Plenary on 2 processes + Redis) at 40 attendees, asserting on what each delivered, so a
change that breaks the benchmark or one of its servers fails CI. The figures themselves
are judged by the full run (docs/performance.md), never here: timings on a shared
machine are noise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.checkout import run_module

pytestmark = [pytest.mark.bench, pytest.mark.redis]

ATTENDEES = 40
ROUNDS = 2
SERVERS = ["floor", "baseline", "embedded", "redis"]
# Never wait for a quiet machine in CI, and measure the other programs only briefly.
NO_WAIT = ["--max-load", "1000", "--busy-sample-s", "0.5"]


def run_bench(module: str, tmp_path: Path, results: Path, *args: str, timeout: float) -> str:
    """``python -m bench.<module>`` with its work in ``tmp_path`` and its figures
    written to ``results``; it must succeed. Its standard output."""
    work = tmp_path / "work"
    proc = run_module(
        f"bench.{module}", *args, f"--work-dir={work}", f"--json={results}", timeout=timeout
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_fanout_benchmark_runs_every_server(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    report = tmp_path / "performance.md"
    run_bench(
        "fanout",
        tmp_path,
        results,
        f"--sizes={ATTENDEES}",
        f"--servers={','.join(SERVERS)}",
        f"--rounds={ROUNDS}",
        "--repeat=1",
        "--sustain-sizes=",
        *NO_WAIT,
        f"--out={report}",
        timeout=300,
    )
    runs = {run["kind"]: run["figures"] for run in json.loads(results.read_text())["runs"]}
    assert sorted(runs) == sorted(SERVERS)
    for kind, figures in runs.items():
        assert figures["connected"] == ATTENDEES, kind
        assert figures["connect_failures"] == [], kind
        assert figures["lost"] == 0, kind
        # Every attendee got every broadcast and personal message, and every vote an ok ack.
        assert figures["poll_opened"]["n"] == ROUNDS * ATTENDEES, kind
        assert figures["personal"]["n"] == ROUNDS * ATTENDEES, kind
        assert figures["burst_ack"]["n"] == ATTENDEES, kind
        assert (figures["burst_errors"], figures["burst_unacked"]) == (0, 0), kind
        # The same frames from every server, or the comparison would be unfair.
        assert figures["poll_frame_bytes"] == runs["floor"]["poll_frame_bytes"], kind
    text = report.read_text()
    assert "raw aiohttp (floor)" in text and "Plenary, 2 processes + Redis" in text


def test_rooms_traffic_benchmark_shows_no_traffic_for_rooms_elsewhere(tmp_path: Path) -> None:
    """``bench.rooms_traffic`` with 2 server processes and 20 attendees: with each room
    pinned to a process, a process receives exactly the messages of its own room's
    channel (and the shared one) and none of the other room's, which one shared channel
    would have delivered; spread over every process, each process receives everything.
    Counts only: the script's CPU figures are never judged here."""
    results = tmp_path / "rooms.json"
    run_bench(
        "rooms_traffic",
        tmp_path,
        results,
        "--processes=2",
        "--attendees=20",
        f"--out={tmp_path / 'rooms.md'}",
        timeout=240,
    )
    phases = {phase["name"]: phase for phase in json.loads(results.read_text())}
    assert list(phases) == ["rooms, pinned", "rooms, spread", "one room"]
    for phase in phases.values():
        assert phase["ok"], phase["checks"]
        assert phase["isolation"]["foreign_polls"] == 0
        for tally in phase["tallies"].values():
            assert tally["votes_acked"] == tally["close_total"] == tally["export_total"]
    pinned = phases["rooms, pinned"]
    assert list(pinned["subscribers"].values()) == [1, 1]  # one process per room channel
    for process in pinned["processes"]:
        assert len(process["rooms_here"]) == 1
        assert process["received"] == process["expected"] > 0
        assert process["foreign"] == 0
        # The other room published meanwhile; this process got none of it.
        assert process["other_rooms_published"] > 0
        assert process["single_channel"] == pinned["messages_published"] > process["received"]
    for process in phases["rooms, spread"]["processes"]:
        assert process["received"] == phases["rooms, spread"]["messages_published"]
    assert (tmp_path / "work" / "rooms-traffic.png").exists()
    assert "rooms, pinned" in (tmp_path / "rooms.md").read_text()


def test_reactions_benchmark_counts(tmp_path: Path) -> None:
    """``bench.reactions`` with 20 attendees tapping 10 times a second for 2 s, against
    2 s with nobody tapping: counts only (its CPU figures are never judged here). Nobody
    tapping, the server sends nothing; tapping flat out, one ``reactions`` message per
    window at most, to the staff only, with the same totals as the export, and no more
    taps shown than the per-attendee limit lets through."""
    results = tmp_path / "reactions.json"
    stdout = run_bench(
        "reactions",
        tmp_path,
        results,
        "--attendees=20",
        "--seconds=2",
        "--client-procs=1",
        timeout=120,
    )
    result = json.loads(results.read_text())
    assert result["ok"], result["checks"]
    assert result["connected"] == 20
    idle, tapping = result["phases"]
    assert idle["out_per_s"] == {} and idle["taps_sent"] == 0
    assert tapping["taps_sent"] == 20 * 10 * 2
    assert set(tapping["out_per_s"]) == {"reactions"}
    assert tapping["received_per_s"]["attendees"] == {}
    # A burst of 10 each, then 5 a second: 20 * (10 + 5 * 2) at most, and most of it.
    assert 20 * 10 <= result["shown"] <= 20 * (10 + 5 * 3)
    assert 1 <= result["reactions_messages"] <= (2 + 2 + 1) * 2
    assert "| server CPU (% of one core) |" in stdout


def test_cafe_delivery_benchmark_checks_every_table_in_both_modes(tmp_path: Path) -> None:
    """``bench.cafe_fanout`` (issue 17) at 40 attendees and 2 measured rounds, embedded
    and on 2 processes + Redis: everyone connects and joins the café, every attendee gets
    exactly one ``cafe:assignment`` a round with the table and tablemates of the round's
    ack, all of a round's assignments carry one ``ts``, every broadcast reaches everyone,
    and the broadcast's frame is sized like an assignment. Counts only: the timings
    (the 1.2x target) are judged by the full run (docs/performance.md), never here."""
    results = tmp_path / "cafe.json"
    stdout = run_bench(
        "cafe_fanout",
        tmp_path,
        results,
        f"--attendees={ATTENDEES}",
        "--rounds=2",
        *NO_WAIT,
        timeout=300,
    )
    runs = {run["mode"]: run for run in json.loads(results.read_text())["runs"]}
    assert sorted(runs) == ["embedded", "redis"]
    for mode, run in runs.items():
        assert (run["connected"], run["joined"], run["join_errors"]) == (ATTENDEES, ATTENDEES, 0)
        assert (run["problem_count"], run["crashed"], run["server_errors"]) == (0, [], []), mode
        # Round 1 (warm-up) and the 2 measured rounds, each to everyone once.
        assert run["rounds_checked"] == [1, 2, 3], mode
        assert run["assignments"] == 3 * ATTENDEES, mode
        assert [r["n"] for r in run["rounds"]] == [ATTENDEES, ATTENDEES], mode
        assert [b["n"] for b in run["broadcasts"]] == [ATTENDEES, ATTENDEES], mode
        assert run["round_one_ts"], mode
        assert len(run["seating_stats"]) == 3, mode
        spot = run["broadcast_bytes"]
        assert run["assignment_bytes"]["min"] - 50 <= spot <= run["assignment_bytes"]["max"] + 50
    assert "2 processes + Redis" in stdout


def test_quiz_benchmark_runs_both_modes(tmp_path: Path) -> None:
    """``bench.quiz_fanout`` (issue 16) with 30 players and 2 rounds, embedded and on 2
    processes + Redis: every answer and every vote acked ok, each player exactly one
    ``quiz:result`` per question and one final, with the documented points and rank for
    the time the server measured (the bench checks them and fails otherwise), every
    message of a phase to everyone. Its comparisons (1.1x, 1.2x) are judged by the full
    run (docs/performance.md), never here."""
    players, rounds = 30, 2
    results = tmp_path / "quiz.json"
    stdout = run_bench(
        "quiz_fanout",
        tmp_path,
        results,
        f"--players={players}",
        f"--rounds={rounds}",
        *NO_WAIT,
        timeout=300,
    )
    runs = {run["mode"]: run for run in json.loads(results.read_text())["runs"]}
    assert sorted(runs) == ["embedded", "redis"]
    for mode, run in runs.items():
        assert run["connected"] == players, mode
        assert (run["problem_count"], run["crashed"], run["server_errors"]) == (0, [], []), mode
        assert run["results_checked"] == rounds * players, mode
        for kind in ("quiz", "poll"):
            assert (run[f"{kind}_ack_errors"], run[f"{kind}_ack_unacked"]) == (0, 0), mode
        for r in run["rounds"]:
            assert r["answers"]["n"] == r["votes"]["n"] == players, mode
            for phase in ("question", "results", "reveal", "ended", "final_results"):
                assert r[phase]["n"] == players, (mode, phase)
        assert run["results_one_ts"], mode
    assert "2 processes + Redis" in stdout


def test_personal_cost_benchmark_writes_every_way() -> None:
    """``bench.personal_cost`` at 40 people: every way of sending is measured and the
    round's ratio printed (its figures are never judged here)."""
    proc = run_module("bench.personal_cost", "--people=40", "--tables=4", "--repeat=2", timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "ms" not in line]
    assert len(rows) == 6, proc.stdout
    assert "40 people at 4 tables" in proc.stdout
    assert "A round's writing against a broadcast's (medians):" in proc.stdout
