"""Reactions at bounded cost: what 1,000 attendees tapping flat out cost the server,
against the same room with nobody tapping, in one run (issue 19).

It starts Plenary (embedded, or ``--mode redis``: ``--processes`` server processes
sharing a redis-server), connects ``--attendees`` attendees (real websockets on
127.0.0.1, the fan-out benchmark's lean client harness, ``bench.fanout_clients``, spread
over ``--client-procs`` processes), a presenter and a big screen, then measures two
phases of ``--seconds`` each, one after the other:

1. **idle**: everyone connected, nobody taps;
2. **tapping**: every attendee sends ``reaction`` ``{"emoji"}`` ``--taps-per-s`` times a
   second (default 10: flat out, twice the per-attendee limit of 5 a second, so about
   half are dropped silently), without an ack, as the pages send them; the sends are
   spread evenly over each period, and the loop stops after ``--seconds``.

Per phase: the messages the server sent per second (its own ``plenary_messages_out``
counter, by event: one per room broadcast) and the frames its clients received per
second (presenter, screen, attendees), the server processes' CPU (user + system,
psutil, in % of one core) and the client processes' own CPU. After the tapping phase
it checks, by counts only: every attendee stayed connected; the attendees received no
``reactions``; the presenter and the screen received the same totals, in at most one
message per window (500 ms) and room, and those totals equal the export's reaction
totals and stay within what the per-attendee limit lets through (a burst of 10, then
5 a second).

    .venv/bin/python -m bench.reactions                      # 1,000 attendees, 20 s each
    .venv/bin/python -m bench.reactions --attendees 100 --seconds 5 --json out.json

It prints the table (markdown) and exits 1 if a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import socketio
from loadtests.servers import Deployment

from bench.fanout import Clients
from bench.fanout_clients import Worker, serve, sleep_until

BENCH_ENV = {
    # One IP address opens every connection here: lift the per-IP join limit. Every
    # reaction limit stays at its default (5 taps a second, bursts of 10, 500 ms windows).
    "PLENARY_JOINS_PER_SECOND_PER_IP": "1000000",
    "PLENARY_JOINS_BURST_PER_IP": "1000000",
}
EMOJIS = ("👍", "❤️", "😂", "👏", "🎉")
#: the defaults the checks hold the server to (docs/protocol.md, "Reactions")
WINDOW_MS = 500
TAP_RATE = 5.0
TAP_BURST = 10
#: each tap period is split into this many slots, one group of attendees per slot
GROUPS = 10
SETTLE_S = 2.0
WAIT_S = 30.0
OUT_METRIC = re.compile(r'^plenary_messages_out_total\{event="([^"]+)"\} ([0-9.e+]+)$', re.M)
#: error "acks" by code: counted also for messages sent without an ack id (a tap over
#: the connection's message limit is ``rate_limited`` and dropped there)
ERROR_METRIC = re.compile(r'^plenary_error_acks_total\{code="([^"]+)"\} ([0-9.e+]+)$', re.M)


def say(message: str) -> None:
    sys.stderr.write(f"[reactions] {message}\n")
    sys.stderr.flush()


# -- the client processes -----------------------------------------------------------------
class TapWorker(Worker):
    """The fan-out harness's worker, plus a bounded tapping loop."""

    async def tap(self, rate: float, start_at: float, seconds: float) -> dict[str, Any]:
        """Every live attendee sends one tap per ``1 / rate`` s (without an ack) from
        ``start_at`` for ``seconds``; returns the taps sent and the time it took."""
        live = self.live()
        frames = [b"42" + json.dumps(["reaction", {"emoji": e}]).encode() for e in EMOJIS]
        groups = [live[g::GROUPS] for g in range(GROUPS)]
        slot_ms = 1000 / rate / GROUPS
        slots = int(seconds * rate * GROUPS)
        sent = 0
        cpu0 = time.process_time()
        await sleep_until(start_at)
        for k in range(slots):
            await sleep_until(start_at + k * slot_ms)
            frame = frames[k % len(frames)]
            for a in groups[k % GROUPS]:
                if not a.lost:
                    a.send_text(frame)
                    sent += 1
        return {
            "sent": sent,
            "late_ms": time.time() * 1000 - (start_at + seconds * 1000),
            "cpu_s": time.process_time() - cpu0,
        }

    def counts(self) -> dict[str, Any]:
        return {
            "received": {k.decode(): len(s.recv) for k, s in self.samples.items()},
            "alive": sum(1 for a in self.attendees if a.welcomed.done() and not a.lost),
            "closed_by_server": sum(1 for a in self.attendees if a.closed_by_server),
        }


COMMANDS = ("connect", "tap", "counts", "clear")


def worker_main(pipe: Any, config: dict[str, Any]) -> None:
    """Entry point of a client process: obey ``(command, kwargs)`` until ``stop``."""
    serve(pipe, lambda: TapWorker(config), COMMANDS)


# -- the staff ----------------------------------------------------------------------------
@dataclass
class Viewer:
    """A presenter or big screen: every message it receives, by event."""

    client: socketio.AsyncClient
    received: Counter[str] = field(default_factory=Counter)
    #: each ``reactions`` message: (ts, counts)
    reactions: list[tuple[float, dict[str, int]]] = field(default_factory=list)

    def shown(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for _, counts in self.reactions:
            total.update(counts)
        return total


async def viewer(url: str, auth: dict[str, Any]) -> Viewer:
    client = socketio.AsyncClient(reconnection=False)
    seen = Viewer(client)
    welcomed = asyncio.Event()

    async def on_any(event: str, data: Any = None) -> None:
        seen.received[event] += 1
        if event == "welcome":
            welcomed.set()
        elif event == "reactions" and isinstance(data, dict):
            seen.reactions.append((float(data["ts"]), dict(data["counts"])))

    client.on("*", on_any)
    await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT_S)
    await asyncio.wait_for(welcomed.wait(), WAIT_S)
    return seen


# -- measuring ----------------------------------------------------------------------------
def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their children."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            process = psutil.Process(pid)
            for p in (process, *process.children(recursive=True)):
                t = p.cpu_times()
                total += t.user + t.system
    return total


def server_counts(urls: list[str]) -> tuple[Counter[str], Counter[str]]:
    """(messages sent so far by event: one per room broadcast or personal message,
    messages refused so far by error code), summed over every server process."""
    out: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for url in urls:
        text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
        for event, value in OUT_METRIC.findall(text):
            out[event] += int(float(value))
        for code, value in ERROR_METRIC.findall(text):
            refused[code] += int(float(value))
    return out, refused


@dataclass
class Phase:
    name: str
    seconds: float
    server_cpu_pct: float
    redis_cpu_pct: float
    client_cpu_pct: float
    #: broadcasts the servers sent per second, by event (their own counter)
    out_per_s: dict[str, float]
    #: messages the servers refused, by error code (taps over a connection's limit)
    refused: dict[str, int]
    #: frames each audience received per second, by event
    received_per_s: dict[str, dict[str, float]]
    taps_sent: int = 0
    taps_per_s: float = 0.0

    @property
    def out_total_per_s(self) -> float:
        return sum(self.out_per_s.values())


@dataclass
class Snapshot:
    at: float
    server_cpu: float
    redis_cpu: float
    client_cpu: float
    out: Counter[str]
    refused: Counter[str]
    staff: dict[str, Counter[str]]
    attendees: Counter[str]


async def snapshot(deployment: Deployment, clients: Clients, staff: dict[str, Viewer]) -> Snapshot:
    counts = await clients.all("counts")
    attendees: Counter[str] = Counter()
    for c in counts:
        attendees.update(c["received"])
    out, refused = server_counts(deployment.urls)
    return Snapshot(
        at=time.perf_counter(),
        server_cpu=cpu_s([p.pid for p in deployment.server_processes()]),
        redis_cpu=cpu_s([p.pid for p in deployment.redis_processes()]),
        client_cpu=cpu_s(clients.pids()),
        out=out,
        refused=refused,
        staff={name: Counter(v.received) for name, v in staff.items()},
        attendees=attendees,
    )


def phase(name: str, before: Snapshot, after: Snapshot) -> Phase:
    seconds = after.at - before.at

    def rate(a: Counter[str], b: Counter[str]) -> dict[str, float]:
        return {k: round((b[k] - a[k]) / seconds, 2) for k in sorted(b) if b[k] - a[k]}

    received = {who: rate(before.staff[who], after.staff[who]) for who in after.staff}
    received["attendees"] = rate(before.attendees, after.attendees)
    return Phase(
        name=name,
        seconds=round(seconds, 2),
        server_cpu_pct=round((after.server_cpu - before.server_cpu) / seconds * 100, 1),
        redis_cpu_pct=round((after.redis_cpu - before.redis_cpu) / seconds * 100, 1),
        client_cpu_pct=round((after.client_cpu - before.client_cpu) / seconds * 100, 1),
        out_per_s=rate(before.out, after.out),
        refused={
            k: after.refused[k] - before.refused[k]
            for k in after.refused
            if after.refused[k] > before.refused[k]
        },
        received_per_s=received,
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    deployment = Deployment(
        mode=args.mode,
        processes=args.processes if args.mode == "redis" else 1,
        log_dir=Path(args.work_dir),
        env=BENCH_ENV,
    )
    say(f"starting Plenary ({args.mode})")
    deployment.start(say=say)
    clients = Clients(args.client_procs, worker_main)
    staff: dict[str, Viewer] = {}
    try:
        urls = deployment.urls
        event = deployment.create_event("Reactions bench")
        code, key = event["code"], event["presenter_key"]
        staff["presenter"] = await viewer(urls[0], {"event": code, "role": "presenter", "key": key})
        staff["screen"] = await viewer(urls[-1], {"event": code, "role": "screen"})
        procs = len(clients.pipes)
        shares = [args.attendees // procs + (i < args.attendees % procs) for i in range(procs)]
        start_at = time.time() * 1000 + 500
        connected = await clients.each(
            "connect",
            [
                {
                    "urls": urls,
                    "auth": {"event": code, "role": "attendee"},
                    "first": sum(shares[:i]),
                    "count": shares[i],
                    "start_at": start_at,
                    "concurrency": 50,
                }
                for i in range(procs)
            ],
        )
        joined = sum(c["connected"] for c in connected)
        say(f"{joined} of {args.attendees} attendees connected")
        await asyncio.sleep(SETTLE_S + 1)  # presence settles: once a second at most

        say(f"idle: {args.seconds:g} s with nobody tapping")
        s0 = await snapshot(deployment, clients, staff)
        await asyncio.sleep(args.seconds)
        s1 = await snapshot(deployment, clients, staff)
        idle = phase("nobody tapping", s0, s1)

        say(f"tapping: every attendee {args.taps_per_s:g} taps a second for {args.seconds:g} s")
        start_at = time.time() * 1000 + 500
        s2 = await snapshot(deployment, clients, staff)
        taps = await clients.all(
            "tap", rate=args.taps_per_s, start_at=start_at, seconds=args.seconds
        )
        s3 = await snapshot(deployment, clients, staff)
        tapping = phase("everyone tapping flat out", s2, s3)
        tapping.taps_sent = sum(t["sent"] for t in taps)
        tapping.taps_per_s = round(tapping.taps_sent / args.seconds, 1)
        await asyncio.sleep(SETTLE_S)  # the last window's totals
        export = deployment.export(code, key)
        end = await clients.all("counts")
    finally:
        for v in staff.values():
            with contextlib.suppress(Exception):
                await v.client.disconnect()
        await clients.stop()
        deployment.stop()

    exported: Counter[str] = Counter()
    for minute in export.get("reactions", []):
        exported.update(minute["counts"])
    presenter, screen = staff["presenter"], staff["screen"]
    shown = presenter.shown()
    busiest = Counter(int(ts // 1000) for ts, _ in presenter.reactions)
    allowed = joined * (TAP_BURST + TAP_RATE * (tapping.seconds + 1))
    alive = sum(c["alive"] for c in end)
    checks = [
        (
            "every attendee stayed connected",
            alive == joined == args.attendees,
            f"{alive} of {args.attendees}",
        ),
        (
            "the attendees received no reactions message",
            all("reactions" not in c["received"] for c in end),
            "none" if all("reactions" not in c["received"] for c in end) else "some",
        ),
        (
            f"at most one reactions message per {WINDOW_MS} ms window (peak in one second "
            f"<= {1000 // WINDOW_MS + 1})",
            len(presenter.reactions) > 0
            and max(busiest.values()) <= 1000 // WINDOW_MS + 1
            and len(presenter.reactions) <= (tapping.seconds + SETTLE_S + 1) * 1000 / WINDOW_MS,
            f"{len(presenter.reactions)} messages, peak {max(busiest.values(), default=0)} "
            "in one second",
        ),
        (
            "presenter = screen = the export's totals",
            shown == screen.shown() == exported and sum(shown.values()) > 0,
            f"{sum(shown.values())} / {sum(screen.shown().values())} / "
            f"{sum(exported.values())} taps",
        ),
        (
            "taps shown within the per-attendee limit (burst 10, then 5 a second)",
            sum(shown.values()) <= min(allowed, tapping.taps_sent),
            f"{sum(shown.values())} shown of {tapping.taps_sent} sent (limit {allowed:.0f})",
        ),
    ]
    return {
        "mode": args.mode,
        "processes": len(deployment.urls),
        "attendees": args.attendees,
        "connected": joined,
        "taps_per_s_each": args.taps_per_s,
        "phases": [idle.__dict__, {**tapping.__dict__}],
        "shown": sum(shown.values()),
        "reactions_messages": len(presenter.reactions),
        "taps_late_ms": max(t["late_ms"] for t in taps),
        "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks],
        "ok": all(ok for _, ok, _ in checks),
        "machine": machine(),
    }


def machine() -> str:
    cores = os.cpu_count()
    return (
        f"{cores} cores, Linux, Python {sys.version.split()[0]}; 1-minute load average "
        f"{os.getloadavg()[0]:.2f} at the end"
    )


def table(result: dict[str, Any]) -> str:
    idle, tapping = result["phases"]

    def staff_rate(p: dict[str, Any], event: str) -> str:
        got = p["received_per_s"]
        return f"{got['presenter'].get(event, 0):g} / {got['screen'].get(event, 0):g}"

    def out(p: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in p["out_per_s"].items()) or "0"

    rows = [
        ("phase length (s)", idle["seconds"], tapping["seconds"]),
        ("taps sent per second (all attendees)", 0, tapping["taps_per_s"]),
        (
            "messages the server sent per second (broadcasts, by event)",
            out(idle),
            out(tapping),
        ),
        (
            "reactions messages received per second (presenter / screen)",
            staff_rate(idle, "reactions"),
            staff_rate(tapping, "reactions"),
        ),
        (
            "frames the attendees received per second (all of them)",
            f"{sum(idle['received_per_s']['attendees'].values()):g}",
            f"{sum(tapping['received_per_s']['attendees'].values()):g}",
        ),
        (
            "messages refused (taps over a connection's limit of 10 a second)",
            sum(idle["refused"].values()),
            sum(tapping["refused"].values()),
        ),
        ("server CPU (% of one core)", idle["server_cpu_pct"], tapping["server_cpu_pct"]),
        *(
            [("redis-server CPU (% of one core)", idle["redis_cpu_pct"], tapping["redis_cpu_pct"])]
            if result["mode"] == "redis"
            else []
        ),
        (
            "client processes' CPU (% of one core)",
            idle["client_cpu_pct"],
            tapping["client_cpu_pct"],
        ),
    ]
    lines = [
        f"{result['attendees']:,} attendees, Plenary {result['mode']} "
        f"({result['processes']} server process{'es' if result['processes'] > 1 else ''}), "
        f"{result['taps_per_s_each']:g} taps a second each while tapping:",
        "",
        "| | nobody tapping | everyone tapping flat out |",
        "|---|---|---|",
        *(f"| {label} | {a} | {b} |" for label, a, b in rows),
        "",
    ]
    for check in result["checks"]:
        lines.append(f"- [{'ok' if check['ok'] else 'FAIL'}] {check['name']}: {check['detail']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--attendees", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--taps-per-s", type=float, default=10.0, help="per attendee")
    parser.add_argument("--mode", choices=["embedded", "redis"], default="embedded")
    parser.add_argument("--processes", type=int, default=2, help="server processes (redis)")
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--work-dir", default="reports/reactions")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--out", type=Path, help="write the table to this markdown file")
    args = parser.parse_args(argv)
    if not 1 <= args.attendees <= 20000 or not 0 < args.seconds <= 300:
        parser.error("--attendees 1-20000, --seconds up to 300")
    if not 0 < args.taps_per_s <= 50:
        parser.error("--taps-per-s must be over 0 and at most 50")
    result = asyncio.run(run(args))
    text = table(result)
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    for check in result["checks"]:
        if not check["ok"]:
            say(f"FAILED: {check['name']}: {check['detail']}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
