"""``timeline.png``: one panel per measure (fan-out, ack, join, the load generator's loop
lag, users and messages, CPU), each latency with its objective drawn, the scenario's
phases shaded (joins, an activity open, its answers) and the presenter's marks as labelled
vertical lines; legends sit outside the data, to the right."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests import catalog, monitor, names
from loadtests.stats import percentile
from loadtests.verdict import GENERATOR_SHARE

#: the panels, top to bottom
PANELS = ("fan-out", "ack", "join", "generator loop lag", "users and messages", "CPU")
#: phase -> shading colour
PHASE_COLOURS = {"joins": "tab:grey", "open": "tab:green", "answers": "tab:orange"}

Series = dict[int, dict[str, Counter[float]]]


@dataclass
class Timeline:
    """The figure and its panels by name (the twin axis of messages per second is the
    users panel's)."""

    figure: Any
    panels: dict[str, Any]


def series(out: Path) -> Series:
    """Per-second histograms of every measurement, merged over the Locust workers."""
    path = out / names.RESULTS_FILE
    results = json.loads(path.read_text()) if path.exists() else {}
    merged: Series = defaultdict(lambda: defaultdict(Counter))
    for worker in results.get("workers", []):
        for second, groups in worker.get("series", {}).items():
            for group, histogram in groups.items():
                merged[int(second)][group].update({float(k): v for k, v in histogram.items()})
    return merged


def users_history(out: Path) -> list[tuple[int, int]]:
    """(epoch second, Locust users) from Locust's history CSV."""
    history = out / f"{names.LOCUST_PREFIX}_stats_history.csv"
    if not history.exists():
        return []
    with history.open() as handle:
        return [
            (int(r["Timestamp"]), int(r["User Count"]))
            for r in csv.DictReader(handle)
            if r["Name"] == "Aggregated"
        ]


def phases(marks: list[dict[str, Any]], t0: float) -> list[tuple[str, float, float]]:
    """(phase, start, end) in seconds since ``t0`` from the presenter's marks: the joins
    (the scenario's start to its first "... online" mark), each activity open (an
    "... opened" mark to the next "... closed") and its answers (to the next "... answers"
    mark)."""
    times = [(m["t"] / 1000 - t0, str(m["what"])) for m in marks]
    if not times:
        return []
    end = times[-1][0]
    found = []
    online = next((x for x, what in times if " online" in what), None)
    if online is not None:
        found.append(("joins", times[0][0], online))
    for i, (x, what) in enumerate(times):
        if not what.endswith(" opened"):
            continue
        later = times[i + 1 :]
        closed = next((y for y, w in later if " closed" in w), end)
        found.append(("open", x, closed))
        answered = next((y for y, w in later if w.endswith(" answers")), None)
        if answered is not None and answered <= closed:
            found.append(("answers", x, answered))
    return found


def _percentiles(
    data: Series, seconds: list[int], t0: float, wanted: Callable[[str], bool]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Per second: (x, p50, p99, max) of the groups ``wanted`` picks."""
    xs, p50, p99, mx = [], [], [], []
    for second in seconds:
        h: Counter[float] = Counter()
        for group, histogram in data[second].items():
            if wanted(group):
                h.update(histogram)
        if h:
            xs.append(second - t0)
            p50.append(percentile(h, 0.5))
            p99.append(percentile(h, 0.99))
            mx.append(max(h))
    return xs, p50, p99, mx


def _latency_panel(
    ax: Any,
    data: Series,
    seconds: list[int],
    t0: float,
    lines: dict[str, Callable[[str], bool]],
    objective: tuple[str, float] | None,
    floor: tuple[str, float | None] | None = None,
    show_max: bool = False,
) -> None:
    peak = 0.0
    for label, wanted in lines.items():
        xs, p50, p99, mx = _percentiles(data, seconds, t0, wanted)
        if not xs:
            continue
        (line,) = ax.plot(xs, p99, marker=".", lw=1.2, label=f"{label} p99")
        ax.plot(xs, p50, ls="--", lw=0.9, color=line.get_color(), label=f"{label} p50")
        if show_max:
            ax.plot(xs, mx, ls=":", lw=0.8, color=line.get_color(), label=f"{label} max")
        peak = max(peak, *p99, *(mx if show_max else ()))
    if objective is not None:
        ax.axhline(objective[1], color="red", lw=1.2, label=objective[0])
        peak = max(peak, objective[1])
    if floor is not None and floor[1] is not None:
        ax.axhline(floor[1], color="dimgrey", lw=1.0, ls="-.", label=floor[0])
    ax.set_ylim(0, peak * 1.15 or 1.0)
    ax.set_ylabel("ms")


def timeline(
    s: dict[str, Any],
    data: Series,
    users: list[tuple[int, int]],
    resources: list[dict[str, Any]],
) -> Timeline | None:
    """The figure of a run (None: nothing was measured)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    starts = [float(min(data))] if data else []
    starts += [float(users[0][0])] if users else []
    starts += [float(resources[0]["t"])] if resources else []
    if not starts:
        return None
    t0 = min(starts)
    seconds = sorted(data)
    slo = s["slo"]
    floor = (s.get("calibration") or {}).get("floor") or {}
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(12, 17), sharex=True)
    panels = dict(zip(PANELS, axes, strict=True))
    answer_acks = tuple(f"{names.ACK} {e}" for e in catalog.answer_events())
    _latency_panel(
        panels["fan-out"],
        data,
        seconds,
        t0,
        {"fan-out": lambda g: g.startswith(names.FANOUT + " ")},
        ("objective p99", slo["fanout_p99_ms"]),
        ("generator floor p99 (calibration)", floor.get("fanout_p99")),
    )
    _latency_panel(
        panels["ack"],
        data,
        seconds,
        t0,
        {"vote ack": lambda g: g.startswith(answer_acks)},
        ("objective p99", slo["ack_p99_ms"]),
        ("generator floor p99 (calibration)", floor.get("ack_p99")),
    )
    _latency_panel(
        panels["join"],
        data,
        seconds,
        t0,
        {
            "join": lambda g: g.startswith(names.JOIN + " "),
            "reconnect": lambda g: g.startswith(names.RECONNECT + " "),
        },
        ("objective max", slo["join_max_ms"]),
        show_max=True,
    )
    lag_limit = GENERATOR_SHARE * min(slo["fanout_p99_ms"], slo["ack_p99_ms"])
    _latency_panel(
        panels["generator loop lag"],
        data,
        seconds,
        t0,
        {"loop lag": lambda g: g == "LAG loop"},
        (f"generator-bound above ({GENERATOR_SHARE:.0%} of the objective)", lag_limit),
        show_max=True,
    )

    ax_users = panels["users and messages"]
    if users:
        ax_users.plot(
            [t - t0 for t, _ in users], [u for _, u in users], color="black", label="users"
        )
    ax_users.set_ylabel("users")
    ax_msgs = ax_users.twinx()
    xs = [sec - t0 for sec in seconds]
    received = [
        sum(sum(h.values()) for g, h in data[sec].items() if g.startswith(names.FANOUT + " "))
        for sec in seconds
    ]
    fails = [sum(data[sec].get("failures", Counter()).values()) for sec in seconds]
    ax_msgs.bar(
        xs, received, width=1.0, alpha=0.3, color="tab:blue", label="broadcasts received / s"
    )
    ax_msgs.bar(xs, fails, width=1.0, color="tab:red", label="failures / s")
    ax_msgs.set_ylabel("per second")
    handles = ax_users.get_legend_handles_labels()
    twin = ax_msgs.get_legend_handles_labels()
    ax_users.legend(
        handles[0] + twin[0], handles[1] + twin[1], **_outside(), title="users and messages"
    )

    by_role: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for row in resources:
        by_role[row["role"]][row["t"]] += row["cpu"]
    ax_cpu = panels["CPU"]
    for role, points in sorted(by_role.items()):
        times = sorted(points)
        ax_cpu.plot([t - t0 for t in times], [points[t] for t in times], label=role)
    ax_cpu.set_ylabel("% of one core")
    ax_cpu.set_xlabel("seconds since start")

    marks = s["scenario"]["timeline"]
    spans = phases(marks, t0)
    for ax in axes:
        for phase, start, end in spans:
            ax.axvspan(start, end, color=PHASE_COLOURS[phase], alpha=0.12, lw=0)
        for mark in marks:
            ax.axvline(mark["t"] / 1000 - t0, color="grey", lw=0.6, ls=":")
    top = panels["fan-out"]
    left, right = top.get_xlim()
    # A label's width in seconds (7-point text is about 4.5 px a character, the panel
    # about 750 px wide): labels that would overlap go one above the other.
    per_char = (right - left) * 4.5 / 750
    ends: list[float] = []  # per level, where its last label ends
    for mark in marks:
        x = mark["t"] / 1000 - t0
        text = str(mark["what"])[:32]
        level = next((i for i, end in enumerate(ends) if end < x), len(ends))
        if level == len(ends):
            ends.append(0.0)
        ends[level] = x + (len(text) + 2) * per_char
        top.annotate(
            text,
            (x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 2 + 10 * level),
            textcoords="offset points",
            fontsize=7,
            va="bottom",
        )
    shown = {phase for phase, _, _ in spans}
    phase_handles = [
        Patch(color=PHASE_COLOURS[p], alpha=0.25, label=f"phase: {p}")
        for p in PHASE_COLOURS
        if p in shown
    ]
    for name, ax in panels.items():
        ax.set_title(name, loc="left", fontsize=9)
        if name == "users and messages":
            continue
        lines, labels = ax.get_legend_handles_labels()
        if name == "fan-out":
            lines, labels = lines + phase_handles, labels + [h.get_label() for h in phase_handles]
        if lines:
            ax.legend(lines, labels, **_outside(), title=name)
    run = s["run"]
    fig.suptitle(
        f"{s.get('headline', s['verdict'])}\n{run['scenario']}, {run['users']:,} users, "
        f"{run['mode']}",
        fontsize=11,
        y=0.995,
    )
    fig.subplots_adjust(hspace=0.35, top=0.9)
    return Timeline(fig, {**panels, "messages": ax_msgs})


def _outside() -> dict[str, Any]:
    """Legend placement: right of the panel, outside the data."""
    return {"loc": "upper left", "bbox_to_anchor": (1.06, 1.0), "fontsize": 7, "title_fontsize": 8}


def plot_timeline(out: Path, s: dict[str, Any]) -> Path | None:
    """Draw and save ``timeline.png`` (None: nothing was measured)."""
    import matplotlib.pyplot as plt

    drawn = timeline(s, series(out), users_history(out), monitor.load(out / names.RESOURCES_CSV))
    if drawn is None:
        return None
    path = out / names.TIMELINE_PNG
    drawn.figure.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(drawn.figure)
    return path
