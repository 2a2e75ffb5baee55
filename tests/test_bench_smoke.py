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
        # This checkout's server (server/), not whichever one the virtualenv installed.
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT / "server"), str(ROOT)))},
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


def test_rooms_traffic_benchmark_shows_no_traffic_for_rooms_elsewhere(tmp_path: Path) -> None:
    """``bench.rooms_traffic`` with 2 server processes and 20 attendees: with each room
    pinned to a process, a process receives exactly the messages of its own room's
    channel (and the shared one) and none of the other room's, which one shared channel
    would have delivered; spread over every process, each process receives everything.
    Counts only: the script's CPU figures are never judged here."""
    results = tmp_path / "rooms.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.rooms_traffic",
            "--processes",
            "2",
            "--attendees",
            "20",
            "--work-dir",
            str(tmp_path / "work"),
            "--json",
            str(results),
            "--out",
            str(tmp_path / "rooms.md"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
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
