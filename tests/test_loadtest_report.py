"""The load test's report read at a glance (issue 21): the verdict with its one-line
headline (PASS, FAIL or GENERATOR-BOUND and the figure nearest its limit), latency
checks left unjudged when the load generator takes too much of the objective, the
headline at the top of Locust's HTML report, and ``timeline.png`` with a panel per
measure. On synthetic summaries: no server, no Locust."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

from loadtests import plots, report, verdict
from loadtests.checks import Slo, check

SLO = Slo()
T0 = 1_700_000_000


def summary(
    fanout_p99: float = 41.0,
    ack_p99: float = 30.0,
    floor_fanout_p99: float = 10.0,
    floor_ack_p99: float = 8.0,
    live_lag_p99: float = 4.0,
    missed: int = 0,
) -> dict[str, Any]:
    """A summary as :func:`loadtests.report.build` leaves it before judging."""
    latency = {
        "join": {"count": 50, "max": 900.0, "p99": 800.0},
        "fanout": {"count": 4000, "p99": fanout_p99, "p50": 9.0},
        "ack_vote": {"count": 50, "p99": ack_p99, "p50": 5.0},
        "reconnect": {"count": 0, "max": 0.0},
    }
    return {
        "run": {"scenario": "plenary_poll", "users": 51, "mode": "embedded", "argv": [
            "--users", "50", "--split-cores", "--out", "reports/x", "--vote-window", "3"]},
        "latency": latency,
        "slo": {"fanout_p99_ms": 250.0, "ack_p99_ms": 250.0, "join_max_ms": 5000.0,
                "reconnect_max_ms": 5000.0},
        "calibration": {"floor": {"fanout_p99": floor_fanout_p99, "ack_p99": floor_ack_p99}},
        "live_phase": {"generator_loop_lag_ms": {"p99": live_lag_p99}},
        "scenario": {"timeline": [
            {"t": (T0 + 1) * 1000, "what": "scenario plenary_poll starts (50 attendees)"},
            {"t": (T0 + 4) * 1000, "what": "50 online"},
            {"t": (T0 + 5) * 1000, "what": "poll opened"},
            {"t": (T0 + 9) * 1000, "what": "50 answers"},
            {"t": (T0 + 10) * 1000, "what": "poll closed"},
            {"t": (T0 + 10) * 1000, "what": "scenario finished"},
        ]},
        "checks": [
            check("missed broadcasts", "0", f"{missed} of 200 expected deliveries", missed == 0),
            check("join time max", "<= 5000 ms", 900.0, True),
            check("fan-out p99", "<= 250 ms", fanout_p99, fanout_p99 <= 250),
            check("vote ack p99", "<= 250 ms", ack_p99, ack_p99 <= 250),
        ],
    }  # fmt: skip


def judged(**figures: float) -> dict[str, Any]:
    s = summary(**figures)
    verdict.judge(s, SLO)
    return s


def test_pass_names_the_figure_nearest_its_limit() -> None:
    s = judged(fanout_p99=41.0, ack_p99=30.0)
    assert s["verdict"] == "PASS"
    assert s["headline"] == "PASS: join time max 900 ms of 5,000 ms"
    s = judged(fanout_p99=201.0, ack_p99=30.0)
    assert s["headline"] == "PASS: fan-out p99 201 ms of 250 ms"
    assert verdict.exit_status([s["verdict"]]) == 0


def test_fail_names_the_worst_miss() -> None:
    s = judged(fanout_p99=410.0, ack_p99=300.0)
    assert s["verdict"] == "FAIL"
    assert s["headline"] == "FAIL: fan-out p99 410 ms of 250 ms"
    s = judged(missed=3)
    assert s["headline"] == "FAIL: missed broadcasts: 3 of 200 expected deliveries (target 0)"
    assert verdict.exit_status(["PASS", "GENERATOR-BOUND", "FAIL"]) == 1


def test_generator_bound_leaves_latency_unjudged() -> None:
    """The generator's floor above half the fan-out objective: the latency checks are
    upper bounds (even the failing one), the way out names --split-cores and workers."""
    s = judged(fanout_p99=410.0, floor_fanout_p99=140.0)
    assert s["verdict"] == "GENERATOR-BOUND"
    assert s["headline"] == (
        "GENERATOR-BOUND: generator floor fan-out p99 140 ms of the 250 ms fan-out p99 "
        "objective (over 50%); fan-out p99 410 ms, not judged"
    )
    latency = {c["name"]: c for c in s["checks"] if c["name"] != "missed broadcasts"}
    assert [c["judged"] for c in latency.values()] == [False, False, False]
    assert [c["ok"] for c in latency.values()] == [None, None, None]
    assert latency["fan-out p99"]["actual"] == "<= 410 ms, not judged"
    assert [f["over"] for f in s["generator"]["figures"]] == [True, False, False]
    base = "./scripts/dev loadtest --users 50 --vote-window 3"
    assert s["generator"]["way_out"][:2] == [f"{base} --split-cores", f"{base} --distributed 2"]
    assert "--external-workers 2" in s["generator"]["way_out"][2]
    assert verdict.exit_status([s["verdict"], "PASS"]) == 3
    # The generator's loop lag while live counts too (50 % of the lower objective).
    s = judged(live_lag_p99=126.0)
    assert s["verdict"] == "GENERATOR-BOUND"
    assert s["headline"].startswith("GENERATOR-BOUND: generator loop lag p99 while live 126 ms")
    # A failure that is not latency still fails a generator-bound run.
    assert judged(floor_ack_p99=200.0, missed=1)["verdict"] == "FAIL"


def test_headline_at_the_top_of_the_html_report(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text('<!doctype html><html><head></head><body class="x"><div id="root"></div>')
    assert report.headline_into_html(page, "FAIL: fan-out p99 410 ms of 250 ms <")
    assert report.headline_into_html(page, "PASS: fan-out p99 41 ms of 250 ms")
    text = page.read_text()
    assert text.count('id="plenary-headline"') == 1
    start = text.index('<body class="x">') + len('<body class="x">')
    assert text[start:].startswith('<div id="plenary-headline"')
    assert '>PASS: fan-out p99 41 ms of 250 ms</div><div id="root">' in text
    assert not report.headline_into_html(tmp_path / "none.html", "PASS")


def test_timeline_has_a_panel_per_measure() -> None:
    """Six panels (and the messages' twin axis), each latency with its objective line,
    the phases shaded, the marks labelled, legends outside the data."""
    s = judged(floor_fanout_p99=12.0)
    series: plots.Series = {}
    for second in range(T0, T0 + 11):
        series[second] = {
            "FANOUT poll:results": Counter({10.0: 50, 30.0: 2}),
            "ACK poll:vote": Counter({5.0: 5}),
            "JOIN attendee": Counter({40.0: 5}),
            "LAG loop": Counter({1.0: 9, 3.0: 1}),
        }
    users = [(T0 + i, min(51, 10 * i)) for i in range(11)]
    resources = [
        {"t": T0 + i + 0.5, "role": role, "pid": pid, "cpu": 20.0 * pid, "rss_mb": 50.0}
        for i in range(11)
        for role, pid in (("server", 1), ("locust", 2))
    ]
    drawn = plots.timeline(copy.deepcopy(s), series, users, resources)
    assert drawn is not None
    try:
        assert list(drawn.panels) == [*plots.PANELS, "messages"]
        assert len(drawn.figure.axes) == 7
        objectives = {
            name: sorted(line.get_ydata()[0] for line in drawn.panels[name].get_lines()
                         if line.get_label().startswith(("objective", "generator")))
            for name in ("fan-out", "ack", "join", "generator loop lag")
        }  # fmt: skip
        assert objectives == {
            "fan-out": [12.0, 250.0],  # the generator's floor and the objective
            "ack": [8.0, 250.0],
            "join": [5000.0],
            "generator loop lag": [125.0],  # half the lower objective
        }
        for name in ("fan-out", "ack", "join", "generator loop lag", "users and messages"):
            legend = drawn.panels[name].get_legend()
            assert legend is not None and legend.get_bbox_to_anchor().x0 > 0, name
        assert [p for p, _, _ in plots.phases(s["scenario"]["timeline"], T0)] == [
            "joins",
            "open",
            "answers",
        ]
        assert plots.phases(s["scenario"]["timeline"], T0)[1] == ("open", 5.0, 10.0)
        labels = [t.get_text() for t in drawn.panels["fan-out"].texts]
        assert labels == [m["what"][:32] for m in s["scenario"]["timeline"]]
        assert drawn.figure.texts[0].get_text().startswith("PASS: ")
    finally:
        import matplotlib.pyplot as plt

        plt.close(drawn.figure)
