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

import html
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.checkout import ROOT, checkout_env
from tests.support.loadtest import RELAXED, assert_passed, run_loadtest, run_scenario

pytestmark = pytest.mark.loadtest

# Two server processes sharing a real Redis.
ON_REDIS = ("--mode", "redis", "--server-processes", "2")


def assert_sound(status: int, summary: dict[str, Any], output: str, attendees: int) -> None:
    assert_passed(status, summary, output)
    assert summary["scenario"]["completed"]
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
@pytest.mark.parametrize("client", ["lean", "socketio"])
def test_plenary_poll_smoke(tmp_path: Path, client: str) -> None:
    """50 attendees in one Locust process against the embedded server, ~15 s; with the
    lean client (the default) and with python-socketio's (``--client socketio``), so
    both stay sound. The lean run is calibrated first (the generator's floor)."""
    out = tmp_path / "smoke"
    status, summary, output = run_scenario(
        out,
        "plenary_poll",
        50,
        3,
        "--locust-processes",
        "0",
        "--client",
        client,
        timeout=80,
        calibrate=client == "lean",
    )
    assert_sound(status, summary, output, attendees=50)
    assert summary["run"]["client"] == client
    for name in ("report.html", "locust_stats.csv", "summary.md", "timeline.png"):
        assert (out / name).exists(), name
    assert_headline(out, summary, "PASS: ")
    if client != "lean":
        assert summary["calibration"] == {"skipped": "--no-calibrate"}
        return
    # The generator was calibrated first: the same 50 attendees and presenter against the
    # reference server, one poll round, every vote acked.
    calibration = summary["calibration"]
    assert calibration["users"] == 51 and calibration["completed"]
    assert calibration["floor"]["ack_count"] == 50
    assert calibration["floor"]["fanout_count"] >= 4 * 50
    assert not summary["generator"]["bound"]


def assert_headline(out: Path, summary: dict[str, Any], start: str) -> None:
    """The headline opens summary.md and Locust's report.html."""
    headline = summary["headline"]
    assert headline.startswith(start), headline
    assert (out / "summary.md").read_text().splitlines()[0] == f"# {headline}"
    page = (out / "report.html").read_text()
    body = page.index(">", page.index("<body")) + 1
    assert page[body:].startswith('<div id="plenary-headline"')
    assert html.escape(headline) in page[body : body + 600]


@pytest.mark.timeout(120)
def test_slowed_generator_is_generator_bound(tmp_path: Path) -> None:
    """Every user sleeps 30 ms before each read is timed (a hidden test option),
    calibration included: the generator's own fan-out floor (>= 30 ms) is over half the 40 ms
    objective, so the run is GENERATOR-BOUND (exit status 3), its latency checks upper
    bounds, neither passed nor failed, and everything else still checked and sound."""
    out = tmp_path / "slowed"
    attendees = 20
    status, summary, output = run_loadtest(
        out,
        "--users",
        str(attendees),
        "--vote-window",
        "3",
        "--locust-processes",
        "0",
        "--handler-delay-ms",
        "30",
        "--slo-fanout-p99",
        "40",
        "--slo-ack-p99",
        "40",
        timeout=110,
    )
    assert status == 3, output
    assert summary["verdict"] == "GENERATOR-BOUND"
    generator = summary["generator"]
    assert generator["bound"] and generator["calibrated"]
    floor_fanout = generator["figures"][0]
    assert floor_fanout["name"] == "generator floor fan-out p99"
    assert floor_fanout["over"] and floor_fanout["limit"] == 20.0
    assert floor_fanout["value"] == summary["calibration"]["floor"]["fanout_p99"] >= 30.0
    assert summary["calibration"]["floor"]["ack_count"] == attendees
    latency = [c for c in summary["checks"] if not c["judged"]]
    assert [c["name"] for c in latency] == ["join time max", "fan-out p99", "vote ack p99"]
    assert all(c["ok"] is None and c["actual"].endswith(" ms, not judged") for c in latency)
    others = [c for c in summary["checks"] if c["judged"]]
    assert others and all(c["ok"] is True for c in others), others
    assert summary["missed"]["total"] == 0 and summary["missed"]["checked"] == 4 * attendees
    [tally] = summary["tally"]
    assert tally["match"] and tally["server_total"] == attendees
    assert any(c.endswith(" --split-cores") for c in generator["way_out"])
    assert any(" --distributed 2" in c for c in generator["way_out"])
    # The headline names the generator's figure furthest over its share: the floor's, or
    # the loop lag while live when the machine is busier still.
    assert_headline(out, summary, "GENERATOR-BOUND: generator ")
    assert "GENERATOR-BOUND: the load generator took more than 50%" in output


@pytest.mark.timeout(90)
def test_distributed_smoke_on_redis(tmp_path: Path) -> None:
    """A Locust master and one worker process (--master/--worker), 20 attendees spread
    over two server processes sharing Redis."""
    out = tmp_path / "distributed"
    status, summary, output = run_scenario(
        out, "plenary_poll", 20, 2, *ON_REDIS, "--distributed", "1", timeout=80
    )
    assert_sound(status, summary, output, attendees=20)
    assert summary["scenario"]["workers_reported"] == 1
    assert len(summary["run"]["urls"]) == 2


def locust_api(base: str, path: str, form: dict[str, Any] | None = None) -> Any:
    """GET (or, with ``form``, POST) Locust's web API; the JSON answer."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with urllib.request.urlopen(base + path, data=data, timeout=10) as response:
        return json.load(response)


@pytest.mark.timeout(120)
def test_web_ui_drives_the_scenario(tmp_path: Path) -> None:
    """--web: the runner starts the server and Locust's web UI on 127.0.0.1; the test
    starts the run through the UI's API (21 users: the presenter and 20 attendees),
    sees the fan-out and ack entries in the UI's statistics as they come, stops the run
    from the UI, and the runner writes the report of what ran."""
    out = tmp_path / "web"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = checkout_env()
    args = ["--users", "20", "--vote-window", "10", "--locust-processes", "0"]
    args += ["--web", "--web-port", str(port)]
    runner = subprocess.Popen(
        [sys.executable, "-m", "loadtests.run", "--out", str(out), "--quiet", *RELAXED, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                stats = locust_api(base, "/stats/requests")
                break
            except OSError:
                assert runner.poll() is None and time.monotonic() < deadline, "no web UI"
                time.sleep(0.3)
        assert stats["state"] == "ready"
        started = locust_api(base, "/swarm", {"user_count": 21, "spawn_rate": 50})
        assert started["success"], started
        entries: set[tuple[str, str]] = set()
        while not {("FANOUT", "poll:opened"), ("ACK", "poll:vote")} <= entries:
            assert time.monotonic() < deadline + 30, f"no fan-out or vote ack in {entries}"
            time.sleep(0.3)
            stats = locust_api(base, "/stats/requests")
            entries = {(e["method"], e["name"]) for e in stats["stats"]}
        assert stats["user_count"] == 21
        assert ("JOIN", "attendee") in entries and ("FANOUT", "poll:revealed") in entries
        locust_api(base, "/stop", {})
        output, _ = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    summary = json.loads((out / "summary.json").read_text())
    # Stopped (at once, in a web UI run) while the attendees were still voting (within
    # 10 s): the scenario did not complete, and the report says so, with what was
    # measured until then.
    assert runner.returncode == 1, output
    assert summary["verdict"] == "FAIL" and not summary["scenario"]["completed"]
    assert summary["run"]["web"] == {"url": f"{base}/"}
    assert summary["run"]["users"] == 21
    assert summary["calibration"] == {"skipped": "--web (the users are chosen in the web UI)"}
    assert summary["latency"]["fanout_by_event"]["poll:opened"]["count"] == 20
    assert summary["latency"]["ack_by_name"]["poll:vote"]["count"] >= 1
    assert summary["headline"].startswith("FAIL: scenario completed: no")
    for name in ("report.html", "summary.md", "timeline.png", "locust_stats.csv"):
        assert (out / name).exists(), name


def assert_rooms_sound(
    status: int, summary: dict[str, Any], output: str, attendees: int, rooms: int
) -> None:
    """The rooms scenario's own checks: a poll in every room (the main room and
    ``rooms`` breakouts) with an exact tally per room (server = acked votes = the event's
    export = the room's export), no attendee given a message of another room's poll,
    then one plenary poll in the main room that every attendee answered."""
    assert_passed(status, summary, output)
    assert summary["scenario"]["completed"]
    assert summary["joins"]["joined"] == attendees
    assert len(summary["rooms"]) == rooms + 1 and summary["rooms"][0] == "main"
    # Every attendee expected its room's poll:opened, poll:revealed, poll:closed and final
    # results, then the same four of the plenary poll, and got them.
    assert summary["missed"]["checked"] == 8 * attendees
    *parallel, plenary = summary["tally"]
    assert sorted(t["room"] for t in parallel) == sorted(summary["rooms"])
    for tally in summary["tally"]:
        assert tally["match"], tally
        assert (
            tally["server_total"]
            == tally["acked_voters"]
            == tally["export_total"]
            == tally["room_export_total"]
        )
    assert sum(t["server_total"] for t in parallel) == attendees
    assert all(t["server_total"] > 0 for t in parallel)  # every room had its people
    assert plenary["room"] == "main" and plenary["server_total"] == attendees
    isolation = summary["isolation"]
    assert isolation["attendees_checked"] == attendees
    assert isolation["rooms"] == rooms + 1
    assert isolation["foreign"] == isolation["unknown"] == 0
    assert isolation["messages"] >= 8 * attendees
    checks = {e["name"]: e for e in summary["entries"] if e["type"] == "CHECK"}
    assert checks["welcome is for my room"]["requests"] == attendees
    assert checks["only my room's activities"]["requests"] == attendees
    # Everyone outside the main room moved back with room:enter.
    assert (
        checks["room:enter lands in the room"]["requests"]
        == attendees - parallel[0]["server_total"]
    )
    assert summary["latency"]["ack_vote"]["count"] == 2 * attendees


@pytest.mark.timeout(120)
def test_rooms_smoke_embedded(tmp_path: Path) -> None:
    """40 attendees over the main room and 3 breakouts, embedded server, ~25 s."""
    out = tmp_path / "rooms"
    status, summary, output = run_scenario(
        out, "rooms", 40, 2, "--rooms", "3", "--locust-processes", "0"
    )
    assert_rooms_sound(status, summary, output, attendees=40, rooms=3)


@pytest.mark.timeout(120)
def test_rooms_smoke_on_redis(tmp_path: Path) -> None:
    """30 attendees over 4 rooms on two server processes sharing Redis (each room has
    attendees on both), a Locust master and one worker process, ~25 s."""
    out = tmp_path / "rooms-redis"
    status, summary, output = run_scenario(
        out, "rooms", 30, 2, "--rooms", "3", *ON_REDIS, "--distributed", "1"
    )
    assert_rooms_sound(status, summary, output, attendees=30, rooms=3)
    assert len(summary["run"]["urls"]) == 2


@pytest.mark.timeout(120)
def test_cafe_rounds_smoke_on_two_processes(tmp_path: Path) -> None:
    """The world café's scenario (cafe_rounds): 40 attendees in two Locust processes
    over two server processes sharing Redis, 4 rounds; each attendee told once a round,
    tablemates agreeing, stats matching, across processes on both sides."""
    out = tmp_path / "cafe"
    status, summary, output = run_scenario(
        out, "cafe_rounds", 40, 3, *ON_REDIS, "--locust-processes", "2"
    )
    assert_passed(status, summary, output)
    assert summary["scenario"]["completed"]
    # cafe:started, 4 rounds' assignments and cafe:ended, for each of the 40.
    assert summary["missed"]["checked"] == 6 * 40
    [tally] = summary["tally"]
    assert tally["match"] and tally["server_total"] == tally["export_total"] == 40
    kind_checks = {c["name"]: c for c in summary["kind_checks"]}
    once = kind_checks["café: one assignment per round each"]
    assert once["ok"] and once["actual"].startswith("4 rounds, 160 seats: 0 missing, 0 extra")
    assert kind_checks["café: tablemates agree (A lists B, B lists A, same table as the ack)"]["ok"]
    assert kind_checks["café: the ack's stats match what attendees received"]["ok"]
    timing = kind_checks["café: round start to last delivery"]["actual"]
    assert [part.split(":")[0] for part in timing.split("; ")] == [
        f"round {n}" for n in range(1, 5)
    ]
    assert summary["latency"]["fanout_by_event"]["cafe:assignment"]["count"] == 160


@pytest.mark.timeout(120)
def test_qa_storm_smoke_on_two_processes(tmp_path: Path) -> None:
    """Q&A and reactions (qa_storm, issue 19): 30 attendees in two Locust processes over
    two server processes sharing Redis tap reactions and upvote (taking some back) for
    8 s while 15 of them ask 3 questions each. Every upvote is exact in the final list
    (and the export), every question asked is in it once, every attendee's last
    qa:votes is the final list, every tap is shown once, and qa:votes, qa:questions and
    reactions stay within their documented rates, across processes on both sides."""
    out = tmp_path / "qa"
    attendees = 30
    status, summary, output = run_scenario(
        out, "qa_storm", attendees, 8, *ON_REDIS, "--locust-processes", "2"
    )
    assert_passed(status, summary, output)
    assert summary["scenario"]["completed"]
    assert summary["joins"]["joined"] == attendees
    # qa:settings, reactions:settings and the highlight, for each attendee.
    assert summary["missed"]["checked"] == 3 * attendees
    [tally] = summary["tally"]
    assert tally["type"] == "qa" and tally["match"]
    assert tally["server_total"] == tally["acked_voters"] == tally["export_total"] > 0
    checks = {c["name"]: c for c in summary["kind_checks"]}
    exact = checks["Q&A: every upvote exact in the final list (acked - taken back = its votes)"]
    assert exact["ok"] and " 0 questions off" in exact["actual"], exact
    asked = checks["Q&A: every question asked is in the list, once"]
    # Half the attendees ask: each Locust process picks its share of them.
    askers = int(asked["actual"].split(" askers")[0])
    assert asked["ok"] and abs(askers - attendees // 2) <= 1, asked
    assert f"{askers} askers, {3 * askers} questions acked" in asked["actual"], asked
    assert checks["Q&A: every attendee's last qa:votes is the final list"]["ok"]
    assert checks["reactions: every tap shown once (presenter's totals = taps sent)"]["ok"]
    rates = [c for name, c in checks.items() if name.endswith("per second per room")]
    assert len(rates) == 5 and all(c["ok"] for c in rates), rates
    assert summary["latency"]["ack_by_name"]["qa:upvote"]["failures"] == 0


@pytest.mark.timeout(120)
def test_ballot_smoke(tmp_path: Path) -> None:
    """The award ballot scenario with 50 attendees (votes within 3 s, some changed
    once): every ballot acked, no count before the reveal (every attendee inspects
    every ballot message), and the revealed result equals ``plenary recount`` of the
    export."""
    out = tmp_path / "ballot"
    attendees = 50
    status, summary, output = run_scenario(
        out, "ballot_irv", attendees, 3, "--locust-processes", "0"
    )
    assert_passed(status, summary, output)
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
