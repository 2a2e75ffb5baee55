"""Smoke versions of the load tests: the real runner (``python -m loadtests.run``, as
``./scripts/dev loadtest`` runs it) with about 50 attendees, asserting on its real
outcome, so a change that breaks the load tests (or the server under them) fails CI.

The checks are the full run's (no failure, no missed broadcast, exact tally, everyone
joined, server up and silent), but the latency thresholds are relaxed to 1 s: CI
machines are shared, and the latency objective is judged by the 1,000-attendee run (see
docs/capacity.md). The distributed smoke runs a Locust master and one worker as separate
processes, as on several machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.loadtest

ROOT = Path(__file__).resolve().parents[1]
RELAXED = ["--slo-fanout-p99", "1000", "--slo-ack-p99", "1000", "--wait-quiet", "0"]


def run_loadtest(out: Path, *args: str, timeout: float) -> tuple[int, dict[str, Any], str]:
    """Run the runner as a subprocess; returns (exit status, summary, output tail)."""
    # This checkout's server and load tests, whichever checkout the virtualenv's
    # editable install points at.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "server"), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "loadtests.run", "--out", str(out), "--quiet", *RELAXED, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = (proc.stdout + proc.stderr)[-6000:]
    summary_path = out / "summary.json"
    assert summary_path.exists(), f"no summary.json; runner output:\n{output}"
    return proc.returncode, json.loads(summary_path.read_text()), output


def assert_sound(status: int, summary: dict[str, Any], output: str, attendees: int) -> None:
    failed = [c for c in summary["checks"] if not c["ok"]]
    assert status == 0, f"runner failed: {failed}\n{output}"
    assert summary["verdict"] == "PASS"
    assert summary["scenario"]["completed"]
    assert summary["failures"]["total"] == 0
    assert summary["missed"]["total"] == 0
    # Every attendee was expected to receive poll:opened, poll:revealed, poll:closed and
    # the final results, and did.
    assert summary["missed"]["checked"] == 4 * attendees
    assert summary["joins"]["joined"] == attendees
    [tally] = summary["tally"]
    assert tally["match"]
    assert tally["server_total"] == tally["acked_voters"] == tally["export_total"] == attendees
    assert sum(tally["server_counts"].values()) == attendees
    assert summary["latency"]["fanout"]["count"] >= 4 * attendees
    assert summary["latency"]["ack_vote"]["count"] == attendees


@pytest.mark.timeout(90)
def test_plenary_poll_smoke(tmp_path: Path) -> None:
    """50 attendees in one Locust process against the embedded server, ~15 s."""
    out = tmp_path / "smoke"
    status, summary, output = run_loadtest(
        out,
        "--scenario",
        "plenary_poll",
        "--users",
        "50",
        "--vote-window",
        "3",
        "--locust-processes",
        "0",
        timeout=80,
    )
    assert_sound(status, summary, output, attendees=50)
    for name in ("report.html", "locust_stats.csv", "summary.md", "timeline.png"):
        assert (out / name).exists(), name


@pytest.mark.timeout(90)
def test_distributed_smoke_on_redis(tmp_path: Path) -> None:
    """A Locust master and one worker process (--master/--worker), 20 attendees spread
    over two server processes sharing Redis."""
    out = tmp_path / "distributed"
    status, summary, output = run_loadtest(
        out,
        "--scenario",
        "plenary_poll",
        "--users",
        "20",
        "--vote-window",
        "2",
        "--mode",
        "redis",
        "--server-processes",
        "2",
        "--distributed",
        "1",
        timeout=80,
    )
    assert_sound(status, summary, output, attendees=20)
    assert summary["scenario"]["workers_reported"] == 1
    assert len(summary["run"]["urls"]) == 2


@pytest.mark.timeout(120)
def test_ballot_smoke(tmp_path: Path) -> None:
    """The award ballot scenario with 50 attendees (votes within 3 s, some changed
    once): every ballot acked, no count before the reveal (every attendee inspects
    every ballot message), and the revealed result equals ``plenary recount`` of the
    export."""
    out = tmp_path / "ballot"
    attendees = 50
    status, summary, output = run_loadtest(
        out,
        "--scenario",
        "ballot_irv",
        "--users",
        str(attendees),
        "--vote-window",
        "3",
        "--locust-processes",
        "0",
        timeout=110,
    )
    failed = [c for c in summary["checks"] if not c["ok"]]
    assert status == 0 and summary["verdict"] == "PASS", f"{failed}\n{output}"
    assert summary["failures"]["total"] == 0 and summary["missed"]["total"] == 0
    # ballot:opened, ballot:closed and the three ballot:revealed reached everyone.
    assert summary["missed"]["checked"] == 5 * attendees
    [tally] = summary["tally"]
    assert tally["match"] and tally["server_total"] == tally["export_total"] == attendees
    changes = summary["counters"].get("changes_of_mind", 0)
    assert summary["latency"]["ack_vote"]["count"] == attendees + changes
    # opened, closed, three reveal steps and at least one turnout, for every attendee
    assert summary["counters"]["ballot messages inspected"] >= 6 * attendees
    [recount] = [c for c in summary["checks"] if "plenary recount" in c["name"]]
    assert recount["ok"] and "equal" in str(recount["actual"])
