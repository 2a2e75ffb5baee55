"""The load tests' runner (``python -m loadtests.run``, as ``./scripts/dev loadtest``
runs it) in a short form for the smoke tests, with the latency thresholds relaxed to
1 s (CI machines are shared; the 1,000-attendee run judges latency, docs/capacity.md),
and the checks every scenario's smoke test makes of its outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.checkout import run_module

RELAXED = ["--slo-fanout-p99", "1000", "--slo-ack-p99", "1000", "--wait-quiet", "0"]


def run_loadtest(out: Path, *args: str, timeout: float) -> tuple[int, dict[str, Any], str]:
    """Run the runner as a subprocess; returns (exit status, summary, output tail)."""
    proc = run_module(
        "loadtests.run", "--out", str(out), "--quiet", *RELAXED, *args, timeout=timeout
    )
    output = (proc.stdout + proc.stderr)[-6000:]
    summary_path = out / "summary.json"
    assert summary_path.exists(), f"no summary.json; runner output:\n{output}"
    return proc.returncode, json.loads(summary_path.read_text()), output


def run_scenario(
    out: Path,
    scenario: str,
    users: int,
    vote_window: int,
    *args: str,
    timeout: float = 110,
    calibrate: bool = False,
) -> tuple[int, dict[str, Any], str]:
    """``run_loadtest`` of ``scenario`` with ``users`` attendees who vote within
    ``vote_window`` seconds; ``args``: the runner's other options. The load generator's
    calibration (8 s) only where ``calibrate``: the plenary_poll smoke tests it."""
    return run_loadtest(
        out,
        "--scenario",
        scenario,
        "--users",
        str(users),
        "--vote-window",
        str(vote_window),
        *(() if calibrate else ("--no-calibrate",)),
        *args,
        timeout=timeout,
    )


def assert_passed(status: int, summary: dict[str, Any], output: str) -> None:
    """The runner passed: exit status 0 and a PASS verdict (else its failed checks and
    output tail are shown), no failure, no missed broadcast."""
    failed = [c for c in summary["checks"] if not c["ok"]]
    assert status == 0 and summary["verdict"] == "PASS", f"{failed}\n{output}"
    assert summary["failures"]["total"] == 0 and summary["missed"]["total"] == 0
