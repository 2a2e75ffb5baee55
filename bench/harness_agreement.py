"""Do the load test and the fan-out benchmark measure the same server? (issue 21)

For each number of attendees and each mode it runs, against the same build, one after
the other:

* the fan-out benchmark's raw-websocket harness (``bench.fanout``: Engine.IO frames on
  aiohttp, a few client processes, no Locust), and
* the project's Locust load test (``loadtests.run``, scenario ``vote_burst`` with a vote
  window of 0: a poll opens and every attendee votes as it arrives, as in the harness's
  burst; the lean user by default),

and prints, side by side, the fan-out p99 of ``poll:opened`` (the broadcast both send
the same way: a poll opening while nothing else happens) and the vote-ack p99 of the
everyone-at-once vote burst, with the ratio load test / harness. The goal (docs/capacity.md)
is a ratio within 1.2 at 1,000 and 5,000 attendees on a 2-core machine in both modes: then
the load test's figures describe the server, not the load generator. The load test's
calibration (its generator floor, see docs/loadtest.md) is printed beside.

    .venv/bin/python -m bench.harness_agreement                     # 1,000 and 5,000, ~25 min
    .venv/bin/python -m bench.harness_agreement --sizes 1000 --modes embedded
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: the load test / harness ratio within which the two agree (issue 21)
AGREEMENT = 1.2


def say(message: str) -> None:
    sys.stderr.write(f"[agreement] {message}\n")
    sys.stderr.flush()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT / "server"), str(ROOT)))}


def _run(cmd: list[str], log: Path) -> int:
    """Run ``cmd`` from the repository root, its output into ``log``; its exit status."""
    say(f"$ {' '.join(cmd[2:])}  (output: {log})")
    with log.open("w") as out:
        return subprocess.run(
            cmd, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT
        ).returncode


def harness(n: int, mode: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The raw harness's figures for ``n`` attendees in ``mode``."""
    path = work / f"harness-{mode}-{n}.json"
    cmd = [sys.executable, "-m", "bench.fanout", "--sizes", str(n), "--servers", mode]
    cmd += ["--rounds", str(args.rounds), "--repeat", "1", "--sustain-sizes", ""]
    cmd += ["--max-load", str(args.max_load), "--max-wait-s", str(args.max_wait_s)]
    cmd += ["--out", "", "--json", str(path)]
    status = _run(cmd, work / f"harness-{mode}-{n}.log")
    if status != 0 or not path.exists():
        return {"error": f"bench.fanout exited {status}"}
    [run] = json.loads(path.read_text())["runs"]
    f = run["figures"]
    return {"fanout_p99": f["poll_opened"]["p99"], "ack_p99": f["burst_ack"]["p99"]}


def loadtest(n: int, mode: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The Locust load test's figures for ``n`` attendees in ``mode``."""
    out = work / f"loadtest-{mode}-{n}"
    cmd = [sys.executable, "-m", "loadtests.run", "--scenario", args.scenario]
    cmd += ["--users", str(n), "--mode", mode, "--vote-window", str(args.vote_window)]
    cmd += ["--client", args.client, "--out", str(out), "--quiet"]
    status = _run(cmd, work / f"loadtest-{mode}-{n}.log")
    summary_path = out / "summary.json"
    if not summary_path.exists():
        return {"error": f"loadtests.run exited {status} without a summary"}
    s = json.loads(summary_path.read_text())
    latency = s["latency"]
    opened = latency["fanout_by_event"].get("poll:opened", {})
    found: dict[str, Any] = {
        "fanout_p99": opened.get("p99"),
        "ack_p99": latency["ack_vote"].get("p99"),
        "verdict": s.get("verdict"),
    }
    floor = (s.get("calibration") or {}).get("floor") or {}
    found["floor_fanout_p99"] = floor.get("fanout_p99")
    found["floor_ack_p99"] = floor.get("ack_p99")
    found["generator_bound"] = (s.get("generator") or {}).get("bound")
    return found


def ratio(a: Any, b: Any) -> float | None:
    if not isinstance(a, int | float) or not isinstance(b, int | float) or b <= 0:
        return None
    return a / b


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.2f}{suffix}" if suffix == "x" else f"{value:.1f}{suffix}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| mode | attendees | fan-out p99: load test / harness (ms) | ratio "
        "| vote-ack p99: load test / harness (ms) | ratio | generator floor: fan-out / ack "
        "p99 (ms) | agree |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lt, h = r["loadtest"], r["harness"]
        fr, ar = (
            ratio(lt.get("fanout_p99"), h.get("fanout_p99")),
            ratio(lt.get("ack_p99"), h.get("ack_p99")),
        )
        agree = fr is not None and ar is not None and max(fr, 1 / fr, ar, 1 / ar) <= AGREEMENT
        lines.append(
            f"| {r['mode']} | {r['attendees']:,} | {_fmt(lt.get('fanout_p99'))} / "
            f"{_fmt(h.get('fanout_p99'))} | {_fmt(fr, 'x')} | {_fmt(lt.get('ack_p99'))} / "
            f"{_fmt(h.get('ack_p99'))} | {_fmt(ar, 'x')} | {_fmt(lt.get('floor_fanout_p99'))} / "
            f"{_fmt(lt.get('floor_ack_p99'))} | {'yes' if agree else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,5000", help="attendee counts, comma-separated")
    p.add_argument("--modes", default="embedded,redis", help="embedded and/or redis")
    p.add_argument("--client", default="lean", help="the load test's user (lean or socketio)")
    p.add_argument(
        "--scenario",
        default="vote_burst",
        help="the load test's scenario (default vote_burst: everyone votes within 1 s, as "
        "in the harness's vote burst)",
    )
    p.add_argument(
        "--vote-window",
        type=float,
        default=0.0,
        help="the load test's vote window, s (default 0: every attendee votes as the poll "
        "opens, like the harness's burst)",
    )
    p.add_argument("--rounds", type=int, default=10, help="the harness's broadcasts")
    p.add_argument("--max-load", type=float, default=1.5)
    p.add_argument("--max-wait-s", type=float, default=600)
    p.add_argument("--work-dir", default="", help="default reports/agreement-<time>")
    p.add_argument("--json", default="", help="write the rows there too")
    args = p.parse_args(argv)
    work = Path(args.work_dir or ROOT / "reports" / time.strftime("agreement-%Y%m%d-%H%M%S"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    rows: list[dict[str, Any]] = []
    for mode in modes:
        for n in sizes:
            say(f"{mode}, {n:,} attendees: the raw harness")
            h = harness(n, mode, args, work)
            say(f"{mode}, {n:,} attendees: the load test ({args.client} users)")
            lt = loadtest(n, mode, args, work)
            rows.append({"mode": mode, "attendees": n, "harness": h, "loadtest": lt})
            say(
                f"{mode} {n}: fan-out p99 {lt.get('fanout_p99')} / {h.get('fanout_p99')} ms, "
                f"ack p99 {lt.get('ack_p99')} / {h.get('ack_p99')} ms"
            )
    text = table(rows)
    sys.stdout.write(text)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
