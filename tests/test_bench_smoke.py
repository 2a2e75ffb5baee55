"""Smoke version of the fan-out benchmark (``python -m bench.fanout``, issue 5): every
server it compares (the raw floor, the plain python-socketio baseline, Plenary embedded,
Plenary on 2 processes + Redis) at 40 attendees, asserting on what each delivered, so a
change that breaks the benchmark or one of its servers fails CI. The figures themselves
are judged by the full run (docs/performance.md), never here: timings on a shared
machine are noise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[1]
ATTENDEES = 40
ROUNDS = 2
SERVERS = ["floor", "baseline", "embedded", "redis"]


def test_fanout_benchmark_runs_every_server(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    report = tmp_path / "performance.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.fanout",
            "--sizes",
            str(ATTENDEES),
            "--servers",
            ",".join(SERVERS),
            "--rounds",
            str(ROUNDS),
            "--repeat",
            "1",
            "--sustain-sizes",
            "",
            "--max-load",
            "1000",  # never wait for a quiet machine in CI
            "--work-dir",
            str(tmp_path / "work"),
            "--json",
            str(results),
            "--out",
            str(report),
        ],
        cwd=ROOT,
        # This checkout's server, whichever checkout the virtualenv's editable install
        # points at.
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "server"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
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
