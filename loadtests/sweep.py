"""Capacity sweep: the plenary poll scenario at growing attendee counts, for the embedded
server and for several server processes on Redis, one fresh deployment per point.

    ./scripts/dev loadtest --sweep                      # 500, 1000, 2000, 5000; both modes
    python -m loadtests.sweep --points 500,1000 --modes embedded --docs

Writes ``capacity.json``, ``capacity.md`` and ``capacity.png`` into the output directory;
with ``--docs`` also ``docs/img/capacity.png`` and the table in ``docs/capacity.md``
(between the ``sweep:begin``/``sweep:end`` markers). A mode stops at the first point that
breaks (the scenario did not complete, or more than 1 % of attendees saw a failure or a
missed broadcast): larger points would only break harder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from loadtests import names
from loadtests.common import ROOT, say
from loadtests.report import CONTENDED_CPU
from loadtests.servers import resolve_commit

DOC = ROOT / "docs" / "capacity.md"
DOC_IMG = ROOT / "docs" / "img" / "capacity.png"
BEGIN, END = "<!-- sweep:begin -->", "<!-- sweep:end -->"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loadtest --sweep", description=__doc__.split("\n")[0])
    p.add_argument("--points", default="500,1000,2000,5000", help="attendee counts")
    p.add_argument("--modes", default="embedded,redis", help="embedded and/or redis")
    p.add_argument("--server-processes", type=int, default=2, help="in redis mode")
    p.add_argument("--locust-processes", type=int, default=2)
    p.add_argument("--scenario", default="plenary_poll")
    p.add_argument("--out", default="", help="default reports/sweep-<time>")
    p.add_argument("--docs", action="store_true", help="update docs/capacity.md and its plot")
    p.add_argument("--keep-going", action="store_true", help="run every point even after a break")
    p.add_argument(
        "--server-ref",
        default="HEAD",
        help="git ref of the server to measure, resolved once so every point runs the same "
        "commit (default HEAD; '' for the working tree as it is at each point)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=0,
        help="repeat a point (at most this many times) when other programs took more than "
        "30 %% of a core while its polls were live; the quietest attempt counts",
    )
    p.add_argument(
        "--from-json",
        default="",
        help="do not run anything: redraw the table and plot from a sweep's capacity.json",
    )
    p.add_argument("run_args", nargs=argparse.REMAINDER, help="-- then options for each run")
    return p


def contention(summary: dict[str, Any]) -> float:
    """CPU (% of one core) other programs took while the polls were live."""
    live = summary.get("live_phase") or {}
    resources = live.get("resources") or summary.get("resources") or {}
    return float(resources.get("other", {}).get("cpu_mean") or 0.0)


def broke(summary: dict[str, Any]) -> bool:
    """The point is past what the setup can do at all (not merely over the SLO)."""
    attendees = max(1, int(summary["run"]["attendees"]))
    bad = summary["failures"]["total"] + summary["missed"]["total"]
    return not summary["scenario"]["completed"] or bad > 0.01 * attendees


def point_row(mode: str, summary: dict[str, Any]) -> dict[str, Any]:
    """The figures of one point, flat."""
    lat = summary["latency"]
    res = summary["resources"]
    server = res.get("server", {})
    redis = res.get("redis", {})
    gen = res.get("locust", {})
    other = res.get("other", {})
    live = summary.get("live_phase") or {}
    live_res = live.get("resources") or {}
    floor = (summary.get("calibration") or {}).get("floor") or {}
    return {
        "mode": mode,
        "attendees": summary["run"]["attendees"],
        "verdict": summary["verdict"],
        "broke": broke(summary),
        "failed_checks": [c["name"] for c in summary["checks"] if c["ok"] is False],
        "fanout_p50": lat["fanout"]["p50"],
        "fanout_p99": lat["fanout"]["p99"],
        "fanout_count": lat["fanout"]["count"],
        "ack_p99": lat["ack_vote"]["p99"],
        "join_max": lat["join"]["max"],
        "failures": summary["failures"]["total"],
        "missed": summary["missed"]["total"],
        "tally_exact": bool(summary["tally"]) and all(t["match"] for t in summary["tally"]),
        # CPU and loop lag while the polls were live (the join phase has other costs).
        "server_cpu_mean": live_res.get("server", server).get("cpu_mean"),
        "server_cpu_peak": live_res.get("server", server).get("cpu_peak"),
        "server_rss_peak_mb": server.get("rss_peak_mb"),
        "redis_cpu_peak": live_res.get("redis", redis).get("cpu_peak"),
        "generator_cpu_mean": live_res.get("locust", gen).get("cpu_mean"),
        "generator_cpu_peak": live_res.get("locust", gen).get("cpu_peak"),
        "generator_lag_p99": live.get("generator_loop_lag_ms", {}).get(
            "p99", summary["generator_loop_lag_ms"]["p99"]
        ),
        "other_cpu_mean": other.get("cpu_mean"),
        "other_cpu_live": contention(summary),
        # The generator's own floor (calibration against the reference server).
        "floor_fanout_p99": floor.get("fanout_p99"),
        "floor_ack_p99": floor.get("ack_p99"),
        "generator_bound": bool((summary.get("generator") or {}).get("bound")),
        "out": summary["run"]["out"],
        "server_commit": (summary["run"].get("server_source") or {}).get("commit"),
    }


def run_point(args: argparse.Namespace, mode: str, users: int, out: Path) -> dict[str, Any] | None:
    cmd = [sys.executable, "-m", "loadtests.run", "--scenario", args.scenario]
    cmd += ["--users", str(users), "--mode", mode, "--out", str(out), "--quiet"]
    cmd += ["--server-processes", str(args.server_processes)]
    cmd += ["--locust-processes", str(args.locust_processes)]
    if args.server_ref:
        cmd += ["--server-ref", args.server_ref]
    cmd += [a for a in args.run_args if a != "--"]
    say(f"sweep point: {users} attendees, {mode} mode -> {out}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Each run bounds itself (scenario time limit + margin); this is a last resort.
    try:
        subprocess.run(cmd, cwd=ROOT, env=env, timeout=3600, check=False)
    except subprocess.TimeoutExpired:
        say(f"the run for {users} attendees ({mode}) did not end within an hour")
    path = out / names.SUMMARY_JSON
    return json.loads(path.read_text()) if path.exists() else None


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 10 else f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """The capacity table (markdown)."""
    head = (
        "| mode | attendees | verdict | fan-out p50 (ms) | fan-out p99 (ms) | vote ack p99 (ms)"
        " | join max (ms) | failures | missed | exact tally | server CPU while live, mean /"
        " peak (%) | server peak memory (MB) | generator CPU while live, mean / peak (%) |"
        " generator loop lag p99 while live (ms) | generator floor: fan-out / ack p99 (ms) |"
        " other programs' CPU while live (%) |"
    )
    lines = [head, "|" + "---|" * 16]
    for r in rows:
        if r.get("skipped"):
            lines.append(
                f"| {r['mode']} | {r['attendees']:,} | not run: {r['skipped']} |" + " |" * 13
            )
            continue
        verdict = r["verdict"] + (" (broke)" if r["broke"] else "")
        lines.append(
            f"| {r['mode']} | {r['attendees']:,} | {verdict} | {_fmt(r['fanout_p50'])} | "
            f"{_fmt(r['fanout_p99'])} | {_fmt(r['ack_p99'])} | {_fmt(r['join_max'])} | "
            f"{_fmt(r['failures'])} | {_fmt(r['missed'])} | {_fmt(r['tally_exact'])} | "
            f"{_fmt(r['server_cpu_mean'])} / {_fmt(r['server_cpu_peak'])} | "
            f"{_fmt(r['server_rss_peak_mb'])} | {_fmt(r['generator_cpu_mean'])} / "
            f"{_fmt(r['generator_cpu_peak'])} | {_fmt(r['generator_lag_p99'])} | "
            f"{_fmt(r.get('floor_fanout_p99'))} / {_fmt(r.get('floor_ack_p99'))} | "
            f"{_fmt(r.get('other_cpu_live', r['other_cpu_mean']))} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path, slo_ms: float = 250.0) -> None:
    """The capacity curve: latency, failures and server resources against attendees."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    (ax_lat, ax_ack), (ax_fail, ax_res) = axes
    ax_mem = ax_res.twinx()
    ax_mem.set_ylabel("server peak memory, MB (dashed)")
    for mode in sorted({r["mode"] for r in rows}):
        done = [r for r in rows if r["mode"] == mode and not r.get("skipped")]
        if not done:
            continue
        xs = [r["attendees"] for r in done]
        (line,) = ax_lat.plot(xs, [r["fanout_p99"] or 0 for r in done], marker="o")
        color = line.get_color()
        line.set_label(f"{mode} p99")
        ax_lat.plot(
            xs, [r["fanout_p50"] or 0 for r in done], "o--", color=color, label=f"{mode} p50"
        )
        ax_ack.plot(xs, [r["ack_p99"] or 0 for r in done], "o-", color=color, label=mode)
        # The generator's floor beside every point: what of each figure is its own.
        floors = [(x, r) for x, r in zip(xs, done, strict=True) if r.get("floor_fanout_p99")]
        if floors:
            fx = [x for x, _ in floors]
            ax_lat.plot(
                fx,
                [r["floor_fanout_p99"] for _, r in floors],
                "x:",
                color=color,
                label=f"{mode}: generator floor p99",
            )
            ax_ack.plot(
                fx,
                [r["floor_ack_p99"] or 0 for _, r in floors],
                "x:",
                color=color,
                label=f"{mode}: generator floor",
            )
        bad = [r["failures"] + r["missed"] for r in done]
        ax_fail.plot(xs, bad, "o-", color=color, label=mode)
        ax_res.plot(
            xs, [r["server_cpu_peak"] or 0 for r in done], "o-", color=color, label=f"{mode}"
        )
        ax_res.plot(
            xs,
            [r["generator_cpu_peak"] or 0 for r in done],
            "x:",
            color=color,
            label=f"{mode}: load generator",
        )
        ax_mem.plot(xs, [r["server_rss_peak_mb"] or 0 for r in done], "--", color=color)
    for ax, title, unit in (
        (ax_lat, "fan-out latency (receipt - ts)", "ms (log)"),
        (ax_ack, "vote ack latency", "ms (log)"),
    ):
        ax.axhline(slo_ms, color="red", lw=0.8, ls=":", label="SLO p99")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_ylabel(unit)
    ax_fail.set_title("failures + missed broadcasts")
    ax_res.set_title("server CPU peak (solid), generator (dotted); % of one core")
    points = sorted({r["attendees"] for r in rows})
    for ax in (ax_lat, ax_ack, ax_fail, ax_res):
        ax.set_xlabel("attendees")
        ax.set_xscale("log")
        ax.set_xticks(points, [f"{p:,}" for p in points])
        ax.minorticks_off()
        ax.legend(fontsize=7)
    fig.suptitle("Plenary capacity: plenary poll scenario, server and load generator on 2 cores")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def update_doc(markdown: str) -> None:
    """Put the table between the markers of docs/capacity.md (the prose stays)."""
    text = DOC.read_text() if DOC.exists() else f"# Capacity\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    DOC.write_text(f"{before}{BEGIN}\n{markdown}\n{END}{after}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    points = [int(p) for p in args.points.split(",") if p]
    modes = [m for m in args.modes.split(",") if m]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else ROOT / "reports" / f"sweep-{stamp}"
    if args.from_json and not args.out:
        out = Path(args.from_json).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    if args.server_ref:
        args.server_ref = resolve_commit(ROOT, args.server_ref)
        say(f"every point runs the server as of commit {args.server_ref[:10]}")
    rows: list[dict[str, Any]] = []
    started = time.time()
    if args.from_json:
        rows = json.loads(Path(args.from_json).read_text())
        modes = []
    for mode in modes:
        label = f"redis x{args.server_processes}" if mode == "redis" else mode
        broken_at = None
        for users in points:
            if broken_at is not None and not args.keep_going:
                skipped = f"broke at {broken_at:,}"
                rows.append({"mode": label, "attendees": users, "skipped": skipped})
                continue
            summary = None
            for attempt in range(args.retries + 1):
                suffix = f"-{attempt + 1}" if attempt else ""
                got = run_point(args, mode, users, out / f"{mode}-{users}{suffix}")
                if got is not None and (summary is None or contention(got) < contention(summary)):
                    summary = got
                if summary is None or contention(summary) <= CONTENDED_CPU:
                    break
                if attempt < args.retries:
                    say(f"other programs took {contention(summary):.0f} % of a core: repeating")
            if summary is None:
                rows.append({"mode": label, "attendees": users, "skipped": "no summary"})
                broken_at = users
                continue
            row = point_row(label, summary)
            rows.append(row)
            if row["broke"]:
                broken_at = users
            (out / "capacity.json").write_text(json.dumps(rows, indent=1))
    markdown = table(rows)
    (out / "capacity.json").write_text(json.dumps(rows, indent=1))
    (out / "capacity.md").write_text(
        f"Sweep of {datetime.now().isoformat(timespec='minutes')}, "
        f"{(time.time() - started) / 60:.0f} min, output `{out}`.\n\n{markdown}\n"
    )
    plot(rows, out / "capacity.png")
    if args.docs:
        plot(rows, DOC_IMG)
        raw = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
        update_doc(
            f"Measured {datetime.now().date().isoformat()} with "
            f"`./scripts/dev loadtest --sweep` (raw results: `{raw}`).\n\n"
            f"![capacity curve](img/capacity.png)\n\n{markdown}"
        )
    say("capacity sweep\n" + markdown)
    say(f"written: {out / 'capacity.md'}, {out / 'capacity.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
