"""Writes ``docs/performance.md`` from a ``bench.fanout`` run: the tables, how the targets
fared, the machine and its load. The hand-written part between the ``notes`` markers of
the existing file is kept as it is, so a new run updates the figures, not the analysis."""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

NOTES_START = "<!-- notes: kept by bench/fanout_report.py -->"
NOTES_END = "<!-- /notes -->"

DEFAULT_NOTES = """\
(Reading the figures: add the analysis here; it is kept when the benchmark rewrites
this file.)
"""

# (description, size, server, figure getter, limit as a multiple of the floor's figure)
TARGETS: list[tuple[str, int, str, Any, float]] = [
    ("poll fan-out p99", 1000, "embedded", lambda f: f["poll_opened"]["p99"], 1.3),
    ("poll fan-out p99", 5000, "embedded", lambda f: f["poll_opened"]["p99"], 1.5),
    ("vote burst ack p99", 1000, "embedded", lambda f: f["burst_ack"]["p99"], 1.5),
    ("connect all", 1000, "embedded", lambda f: f["connect_s"], 1.5),
    ("poll fan-out p99", 1000, "redis", lambda f: f["poll_opened"]["p99"], 1.3),
    ("poll fan-out p99", 5000, "redis", lambda f: f["poll_opened"]["p99"], 1.5),
    ("vote burst ack p99", 1000, "redis", lambda f: f["burst_ack"]["p99"], 1.5),
    ("connect all", 1000, "redis", lambda f: f["connect_s"], 1.5),
]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model}), Linux {platform.release()}, "
        f"Python {platform.python_version()}, python-socketio {_version('python-socketio')}, "
        f"python-engineio {_version('python-engineio')}, aiohttp {_version('aiohttp')}, "
        f"uvloop {_version('uvloop')}, orjson {_version('orjson')}"
    )


def _figure(runs: list[Any], n: int, kind: str, get: Any) -> float | None:
    for run in runs:
        if run.attendees == n and run.kind == kind:
            try:
                value = float(get(run.figures))
            except (KeyError, TypeError, ValueError):
                return None
            return None if math.isnan(value) else value
    return None


def targets(runs: list[Any]) -> str:
    lines = [
        "| target | Plenary | floor | ratio | limit | |",
        "|---|---|---|---|---|---|",
    ]
    for label, n, kind, get, limit in TARGETS:
        mine = _figure(runs, n, kind, get)
        floor = _figure(runs, n, "floor", get)
        if mine is None or floor is None or floor == 0:
            continue
        ratio = mine / floor
        unit = "s" if label.startswith("connect") else "ms"
        verdict = "met" if ratio <= limit else f"**missed** by {100 * (ratio / limit - 1):.0f} %"
        where = "embedded" if kind == "embedded" else "2 processes + Redis"
        lines.append(
            f"| {label}, {n:,} attendees, {where} | {mine:.2f} {unit} | {floor:.2f} {unit} | "
            f"{ratio:.2f}x | {limit}x | {verdict} |"
        )
    for run in runs:
        f = run.figures
        if "sustain_results" not in f or run.kind not in ("embedded", "redis"):
            continue
        where = "embedded" if run.kind == "embedded" else "2 processes + Redis"
        ok = (
            f["sustain_lost"] == 0
            and f["sustain_errors"] == 0
            and f["sustain_results_per_s"] >= 3.5
            and f["sustain_pinged"] == run.figures["connected"]
        )
        verdict = "met" if ok else "**missed**"
        lines.append(
            f"| throughput, {run.attendees:,} attendees, {where}: results per attendee per s "
            f"/ lost connections / error acks / attendees pinged | "
            f"{f['sustain_results_per_s']:.2f} / {f['sustain_lost']} / {f['sustain_errors']} / "
            f"{f['sustain_pinged']} | | | 4 / 0 / 0 / all | {verdict} |"
        )
    for run in runs:
        if run.kind == "embedded":
            per = run.figures["bytes_per_attendee"] / 1024
            verdict = "met" if per < 50 else "**missed**"
            lines.append(
                f"| memory per attendee, {run.attendees:,} attendees, embedded | {per:.1f} KiB | | "
                f"| < 50 KiB | {verdict} |"
            )
    return "\n".join(lines) + "\n"


def kept_notes(path: Path) -> str:
    if path.exists():
        text = path.read_text()
        match = re.search(re.escape(NOTES_START) + r"\n(.*?)" + re.escape(NOTES_END), text, re.S)
        if match:
            return match.group(1)
    return DEFAULT_NOTES


def write_performance_md(
    path: Path, tables: str, runs: list[Any], loads: list[dict[str, Any]], args: argparse.Namespace
) -> None:
    command = ".venv/bin/python -m bench.fanout" + (
        f" --repeat {args.repeat}" if args.repeat > 1 else ""
    )
    client_cpu = ", ".join(
        f"{r.kind} {r.attendees}: {r.figures['client_cpu_s']:.1f} s" for r in runs
    )
    repeats = f" (each the median of {args.repeat} interleaved runs)" if args.repeat > 1 else ""
    text = f"""# Performance: fan-out at the speed limit

How fast a broadcast reaches every attendee, how fast a burst of votes is acknowledged,
how long it takes to let everyone in, and what it costs, for Plenary and for two
references run in the same benchmark on the same client harness:

- **floor**: a raw aiohttp websocket server (`bench/fanout_floor.py`) that speaks just
  enough Engine.IO / Socket.IO for the scenario and broadcasts with a plain loop of
  `await ws.send_str(frame)`; same event loop (uvloop) and JSON library (orjson) as
  Plenary. Nothing written in Python can send the same frames much faster.
- **baseline**: a straightforward python-socketio server (`bench/fanout_baseline.py`,
  stock `AsyncServer`, `emit(..., room=...)`, default event loop and JSON).
- **Plenary embedded** (one process, memory store) and **Plenary, 2 processes + Redis**
  (scaled mode), started as `plenary serve` is (`bench/fanout_plenary.py` adds only a
  route that triggers personal messages).

All of them send the same frames: the reference servers build their payloads field for
field like Plenary's (`bench/fanout_frames.py`), and the table under each size lists the
frame sizes each server actually sent.

## How it was measured

`{command}` (about 8 minutes per repeat on this machine; `--help` for the
options). It writes this file; the figures below are from one such run{repeats}.

For each size and server: start the server; connect every attendee (real websockets on
127.0.0.1 speaking Engine.IO v4 / Socket.IO v5, {args.client_procs} client processes,
{args.connect_concurrency} handshakes in flight); then, one phase at a time, so that no
measurement overlaps another:

1. **connect all**: from the first connection attempt until every attendee has its
   `welcome`.
2. **poll fan-out**: {args.rounds} rounds of `poll:opened` to everyone (the previous
   poll is closed and its `poll:closed` delivered first). Latency = receipt time - the
   broadcast's `ts` (the server's send time, stamped once before the first recipient).
3. **personal fan-out**: {args.rounds} rounds of a message of its own to each attendee,
   the same size as `poll:opened` (one `ts` per batch, like a broadcast).
4. **vote burst**: the poll is revealed, then every attendee votes at once; ack latency
   from the vote's send to its ack, and the `poll:results` broadcasts during the burst
   (latency from their `ts`).
5. **throughput** ({", ".join(str(s) for s in sorted(args.sustain_sizes)) or "none"}):
   {args.sustain_s:.0f} s in which every attendee re-votes about every
   {args.revote_period_s:.0f} s, so results go out 4 times a second, with a second
   everyone-at-once burst in the middle; results received per attendee per second,
   lost connections, and whether pings were answered (the first comes after 25 s).

The client harness (`bench/fanout_clients.py`) is built not to be the bottleneck: an
`asyncio.Protocol` per attendee with the websocket framing written out (no task, no
future, no JSON parsing per message: a received message costs a few byte comparisons and
two `array.append`), its garbage collector disabled while it measures, the fan-out
measured before the vote burst rather than during it, spread over client processes. Its
CPU time over each whole run: {client_cpu}.

Server CPU is user + system time of the server processes (psutil); peak memory is the
sum of their peak resident sets (VmHWM); memory per attendee is the growth of resident
memory from before the first connection to after the last `welcome`, divided by the
number of attendees.

Machine: {machine()}. The machine is shared (other work may run on it): before each
server's run the benchmark waits while the 1-minute load average is above
{args.max_load}.

## Figures

{tables}
## Targets

{targets(runs)}
{NOTES_START}
{kept_notes(path)}{NOTES_END}
"""
    path.write_text(text)
