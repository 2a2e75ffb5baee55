"""Fan-out at the speed limit: Plenary against a raw aiohttp websocket floor and a plain
python-socketio baseline, on one client harness, in one run.

For each number of attendees (default 1,000 and 5,000) and each server -- the floor
(``bench.fanout_floor``), the baseline (``bench.fanout_baseline``), Plenary embedded and
Plenary as 2 processes sharing a redis-server -- it starts the server, connects every
attendee (real websockets, Engine.IO v4 / Socket.IO v5, spread over client processes,
see ``bench.fanout_clients``) and a presenter, then, one phase after the other:

1. connect: time until every attendee has its ``welcome``;
2. poll fan-out: rounds of ``poll:opened`` (the previous poll closed and its
   ``poll:closed`` delivered first), latency = receipt time - the broadcast's ``ts``;
3. personal fan-out: rounds of a personal message of the same size to every attendee;
4. vote burst: the poll is revealed, then every attendee votes at once; ack latency
   from send to ack, and the ``poll:results`` broadcasts during the burst;
5. throughput (1,000 attendees by default): for 30 s every attendee re-votes about
   every 4 s, so results go out 4 times a second, with a second everyone-at-once burst
   in the middle; results per attendee per second, latencies, lost connections and
   answered pings (the first ping comes after 25 s).

Server CPU seconds and peak memory come from /proc (psutil), the client processes' CPU
too. It prints a table per size with ratios to the floor and writes it all to
``docs/performance.md`` (``--out``). Before each server run it waits (up to 15 min)
while the machine's 1-minute load average is above ``--max-load``.

    .venv/bin/python -m bench.fanout                       # everything, ~6 minutes
    .venv/bin/python -m bench.fanout --sizes 1000 --servers floor,embedded --out ''
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from loadtests.servers import Deployment, free_port, wait_until_healthy

from bench.fanout_clients import worker_main

SERVERS = ("floor", "baseline", "embedded", "redis")
LABELS = {
    "floor": "raw aiohttp (floor)",
    "baseline": "plain python-socketio",
    "embedded": "Plenary embedded",
    "redis": "Plenary, 2 processes + Redis",
}
BURST_TAG, TRICKLE_TAG, LOADED_BURST_TAG = 1, 2, 3
QUESTION = "Where are you joining from?"
OPTIONS = ["Europe", "Americas", "Africa", "Asia-Pacific"]
BENCH_ENV = {
    # One IP address opens every connection here: lift the per-IP join limit.
    "PLENARY_JOINS_PER_SECOND_PER_IP": "1000000",
    "PLENARY_JOINS_BURST_PER_IP": "1000000",
}


def say(message: str) -> None:
    sys.stderr.write(f"[fanout] {message}\n")
    sys.stderr.flush()


# -- waiting for a quiet machine ---------------------------------------------------------
#: how long the other programs' CPU is measured before each run, by default
BUSY_SAMPLE_S = 5.0


def busy_cores(seconds: float) -> float:
    """Cores busy over the next ``seconds`` (called while the benchmark itself is idle
    between runs, so this is everyone else's work)."""
    return psutil.cpu_percent(interval=seconds) / 100 * (os.cpu_count() or 1)


def wait_for_quiet(
    max_load: float, deadline: float, sample_s: float = BUSY_SAMPLE_S
) -> tuple[float, float, float]:
    """Wait (polling every 30 s, until ``deadline`` on the monotonic clock) until the
    machine is quiet: the 1-minute load average at most ``max_load``, or, since that
    average still carries the benchmark's own previous run for a minute or two, less
    than half a core busy right now (over ``sample_s``). Returns (load average at
    first, load average then, cores busy then)."""
    first = os.getloadavg()[0]
    while True:
        load = os.getloadavg()[0]
        busy = busy_cores(sample_s)
        if load <= max_load or busy < 0.5 or time.monotonic() > deadline:
            return first, load, busy
        say(f"load average {load:.2f} > {max_load} and {busy:.1f} cores busy: waiting 30 s")
        time.sleep(30)


def add_busy_sample_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--busy-sample-s",
        type=float,
        default=BUSY_SAMPLE_S,
        help="how long to measure the other programs' CPU before each run (the smoke "
        "tests, which never wait, take 0.5)",
    )


# -- servers under test --------------------------------------------------------------------
@dataclass
class Target:
    kind: str
    urls: list[str]
    code: str
    key: str
    server_pids: list[int]
    redis_pid: int | None
    stop: Any


def start_target(kind: str, work_dir: Path) -> Target:
    work_dir.mkdir(parents=True, exist_ok=True)
    if kind in ("floor", "baseline"):
        port = free_port()
        module = f"bench.fanout_{kind}"
        log = (work_dir / f"{kind}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "--port", str(port)], stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, proc, module, work_dir / f"{kind}.log")

        def stop() -> None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

        return Target(kind, [url], "BENCH1", "key", [proc.pid], None, stop)
    deployment = Deployment(
        # plenary serve plus the benchmark's personal-message route
        server_module=("bench.fanout_plenary",),
        mode="redis" if kind == "redis" else "embedded",
        processes=2 if kind == "redis" else 1,
        log_dir=work_dir / kind,
        log_level="WARNING",
        env=BENCH_ENV,
    )
    deployment.start(say=say)
    event = deployment.create_event("Fan-out bench")
    return Target(
        kind,
        deployment.urls,
        event["code"],
        event["presenter_key"],
        [c.pid for c in deployment.servers],
        deployment.redis.pid if deployment.redis else None,
        deployment.stop,
    )


# -- the presenter -----------------------------------------------------------------------
class Presenter:
    """One Socket.IO connection that runs the show: create, open, close, reveal."""

    def __init__(self, url: str, code: str, key: str) -> None:
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.auth = {"event": code, "role": "presenter", "key": key}
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.welcomed: asyncio.Future[None] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url)
        self.welcomed = asyncio.get_running_loop().create_future()
        self.reader = asyncio.get_running_loop().create_task(self.read())
        await asyncio.wait_for(self.welcomed, 30)

    async def read(self) -> None:
        assert self.ws is not None and self.welcomed is not None
        async for msg in self.ws:
            text = msg.data
            if not isinstance(text, str):
                continue
            if text == "2":
                await self.ws.send_str("3")
            elif text.startswith("0"):
                await self.ws.send_str("40" + json.dumps(self.auth))
            elif text.startswith('42["welcome"') and not self.welcomed.done():
                self.welcomed.set_result(None)
            elif text.startswith("43"):
                bracket = text.index("[")
                future = self.acks.pop(int(text[2:bracket]), None)
                if future is not None and not future.done():
                    future.set_result(json.loads(text[bracket:])[0])

    async def call(self, event: str, data: dict[str, Any], timeout: float = 60) -> Any:
        assert self.ws is not None
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[self.next_id] = future
        await self.ws.send_str(f"42{self.next_id}" + json.dumps([event, data]))
        ack = await asyncio.wait_for(future, timeout)
        if not ack.get("ok"):
            raise RuntimeError(f"{event} failed: {ack}")
        return ack

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()


# -- client processes --------------------------------------------------------------------
class Clients:
    """Client processes, each running ``worker`` (this benchmark's by default; the quiz
    and café benchmarks pass theirs), driven over a pipe each."""

    def __init__(self, count: int, worker: Callable[[Any, dict[str, Any]], None] = worker_main):
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[Any] = []
        self.procs: list[Any] = []
        for _ in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(child, {}), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.procs]

    def cpu_s(self) -> float:
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = psutil.Process(proc.pid).cpu_times()
                total += t.user + t.system
        return total

    async def each(self, command: str, per_worker: list[dict[str, Any]]) -> list[Any]:
        loop = asyncio.get_running_loop()

        def ask(pipe: Any, kwargs: dict[str, Any]) -> Any:
            pipe.send((command, kwargs))
            return pipe.recv()

        return list(
            await asyncio.gather(
                *(
                    loop.run_in_executor(None, ask, pipe, kw)
                    for pipe, kw in zip(self.pipes, per_worker, strict=True)
                )
            )
        )

    async def all(self, command: str, **kwargs: Any) -> list[Any]:
        return await self.each(command, [kwargs] * len(self.pipes))

    async def one(self, worker: int, command: str, **kwargs: Any) -> Any:
        """``command`` to one client process."""
        loop = asyncio.get_running_loop()
        pipe = self.pipes[worker]

        def ask() -> Any:
            pipe.send((command, kwargs))
            return pipe.recv()

        return await loop.run_in_executor(None, ask)

    async def stop(self) -> None:
        """Stop every client process: ``stop`` to each (given 10 s, then the rest is
        killed: a stuck process never holds up the benchmark's clean-up)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.all("stop"), 10)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


def post(request: urllib.request.Request) -> bytes:
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()  # type: ignore[no-any-return]


# -- statistics ----------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p99": pct(values, 99),
        "max": max(values) if values else math.nan,
    }


def samples(results: list[dict[str, Any]], name: str) -> Iterator[tuple[array, array, int]]:  # type: ignore[type-arg]
    """Each client process's samples of ``name``: (the messages' ``ts``, their receipt
    times, both epoch ms, and the largest frame's size)."""
    for r in results:
        s = r["samples"].get(name)
        if not s:
            continue
        ts = array("d")
        ts.frombytes(s["ts"])
        recv = array("d")
        recv.frombytes(s["recv"])
        yield ts, recv, s["size"]


def latencies(
    results: list[dict[str, Any]], name: str, lo: float = 0, hi: float = 1e18
) -> list[float]:
    out: list[float] = []
    for ts, recv, _ in samples(results, name):
        out += [b - a for a, b in zip(ts, recv, strict=True) if lo <= a < hi]
    return out


def acks(results: list[dict[str, Any]], tag: int) -> list[float]:
    out: list[float] = []
    for r in results:
        raw = r["acks"].get(tag)
        if raw:
            a = array("d")
            a.frombytes(raw)
            out += list(a)
    return out


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds the processes ``pids`` have used: from the scheduler's nanosecond
    counts on Linux (``/proc/<pid>/task/*/schedstat``), where ``cpu_times`` counts in
    ticks of 10 ms, too coarse for a burst of 50 ms."""
    total = 0.0
    for pid in pids:
        threads = list(Path(f"/proc/{pid}/task").glob("*/schedstat"))
        if threads:
            for path in threads:
                with contextlib.suppress(OSError, ValueError, IndexError):  # a thread gone
                    total += int(path.read_text().split()[0]) / 1e9
            continue
        with contextlib.suppress(psutil.NoSuchProcess):
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
    return total


def proc_rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += psutil.Process(pid).memory_info().rss
    return total


def proc_peak(pids: list[int]) -> int:
    """Peak resident memory (VmHWM) summed over processes, bytes."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
    return total


# -- one run -------------------------------------------------------------------------------
@dataclass
class RunResult:
    kind: str
    attendees: int
    figures: dict[str, Any] = field(default_factory=dict)


async def run_one(
    kind: str, n: int, args: argparse.Namespace, work_dir: Path, repeat: int = 0
) -> RunResult:
    result = RunResult(kind, n)
    f = result.figures
    target = start_target(kind, work_dir)
    clients = Clients(args.client_procs)
    presenter = Presenter(target.urls[0], target.code, target.key)
    try:
        await presenter.connect()
        procs = len(clients.pipes)
        shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        firsts = [sum(shares[:i]) for i in range(procs)]
        auth = {"event": target.code, "role": "attendee"}
        await asyncio.sleep(0.5)
        rss0 = proc_rss(target.server_pids)
        cpu0, ccpu0 = proc_cpu(target.server_pids), clients.cpu_s()
        redis_cpu0 = proc_cpu([target.redis_pid]) if target.redis_pid else 0.0

        # 1. connect
        start_at = time.time() * 1000 + 500
        conn = await clients.each(
            "connect",
            [
                {
                    "urls": target.urls,
                    "auth": auth,
                    "first": firsts[i],
                    "count": shares[i],
                    "start_at": start_at,
                    "concurrency": max(1, args.connect_concurrency // procs),
                }
                for i in range(procs)
            ],
        )
        connected = sum(c["connected"] for c in conn)
        f["connected"] = connected
        f["connect_failures"] = [x for c in conn for x in c["failures"]][:5]
        f["connect_s"] = (max(c["last_welcome"] for c in conn) - start_at) / 1000
        per_conn = [x for c in conn for x in c["per_connection_ms"]]
        f["connect_each"] = summary(per_conn)
        f["connect_cpu_s"] = proc_cpu(target.server_pids) - cpu0
        f["connect_client_cpu_s"] = clients.cpu_s() - ccpu0
        say(f"{kind} {n}: {connected} connected in {f['connect_s']:.2f} s")
        if connected < n:
            say(f"{n - connected} attendees failed to connect: {f['connect_failures']}")
        if not connected:
            raise RuntimeError("no attendee connected")
        await asyncio.sleep(1.5)
        rss1 = proc_rss(target.server_pids)
        f["bytes_per_attendee"] = (rss1 - rss0) / max(1, connected)
        f["rss_connected_mib"] = rss1 / 2**20

        # 2. poll fan-out, one broadcast at a time
        polls: list[dict[str, Any]] = []
        t_fan, c_fan, cc_fan = time.time(), proc_cpu(target.server_pids), clients.cpu_s()
        for r in range(args.rounds):
            poll = (
                await presenter.call(
                    "poll:create", {"question": QUESTION, "kind": "single", "options": OPTIONS}
                )
            )["poll"]
            if polls:
                await presenter.call("poll:close", {"poll_id": polls[-1]["id"]})
                await clients.each(
                    "wait_for",
                    [{"name": "poll:closed", "target": s * r, "timeout": 30} for s in shares],
                )
            await asyncio.sleep(0.25)
            await presenter.call("poll:open", {"poll_id": poll["id"]})
            got = await clients.each(
                "wait_for",
                [{"name": "poll:opened", "target": s * (r + 1), "timeout": 30} for s in shares],
            )
            if sum(got) < connected * (r + 1):
                say(f"round {r}: only {sum(got)} poll:opened of {connected * (r + 1)}")
            polls.append(poll)
            await asyncio.sleep(0.25)
        f["fanout_wall_s"] = time.time() - t_fan
        f["fanout_cpu_s"] = proc_cpu(target.server_pids) - c_fan
        f["fanout_client_cpu_s"] = clients.cpu_s() - cc_fan
        poll_id = polls[-1]["id"]

        # 3. personal messages of the same size, one batch at a time
        snap = await clients.all("collect")
        size = max(
            r["samples"]["poll:opened"]["size"] for r in snap if "poll:opened" in r["samples"]
        )
        f["poll_frame_bytes"] = size
        for r in range(args.rounds):
            await asyncio.sleep(0.25)
            body = json.dumps({"event": target.code, "size": size}).encode()
            request = urllib.request.Request(
                target.urls[0] + "/bench/personal",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            await asyncio.to_thread(post, request)
            await clients.each(
                "wait_for",
                [{"name": "bench:personal", "target": s * (r + 1), "timeout": 30} for s in shares],
            )

        # 4. the vote burst, results revealed to everyone
        await presenter.call("poll:reveal", {"poll_id": poll_id})
        await clients.each(
            "wait_for", [{"name": "poll:revealed", "target": s, "timeout": 30} for s in shares]
        )
        await asyncio.sleep(0.5)
        burst_at = time.time() * 1000 + 300
        c_b, cc_b = proc_cpu(target.server_pids), clients.cpu_s()
        await clients.all("vote_all", poll_id=poll_id, tag=BURST_TAG, start_at=burst_at, timeout=60)
        f["burst_cpu_s"] = proc_cpu(target.server_pids) - c_b
        f["burst_client_cpu_s"] = clients.cpu_s() - cc_b
        await asyncio.sleep(0.8)  # the last coalesced results
        results_until = time.time() * 1000
        f["main_cpu_s"] = proc_cpu(target.server_pids) - cpu0
        f["main_client_cpu_s"] = clients.cpu_s() - ccpu0
        if target.redis_pid:
            f["main_redis_cpu_s"] = proc_cpu([target.redis_pid]) - redis_cpu0

        # 5. sustained results with a burst in the middle
        if n in args.sustain_sizes and repeat == 0:
            sustain_at = time.time() * 1000 + 300
            c_s = proc_cpu(target.server_pids)
            await clients.all(
                "sustain",
                poll_id=poll_id,
                tag=TRICKLE_TAG,
                burst_tag=LOADED_BURST_TAG,
                start_at=sustain_at,
                duration=args.sustain_s,
                period=args.revote_period_s,
                burst_at=sustain_at + args.sustain_s * 500,
            )
            f["sustain_cpu_s"] = proc_cpu(target.server_pids) - c_s
            f["sustain_window"] = (sustain_at, sustain_at + args.sustain_s * 1000)

        final = await clients.all("collect")
        f["server_peak_mib"] = proc_peak(target.server_pids) / 2**20
        if target.redis_pid:
            f["redis_peak_mib"] = proc_peak([target.redis_pid]) / 2**20
        f["client_procs"] = procs
        f["poll_opened"] = summary(latencies(final, "poll:opened"))
        f["poll_closed"] = summary(latencies(final, "poll:closed"))
        f["personal"] = summary(latencies(final, "bench:personal"))
        f["personal_frame_bytes"] = max(
            (
                r["samples"]["bench:personal"]["size"]
                for r in final
                if "bench:personal" in r["samples"]
            ),
            default=0,
        )
        f["frame_bytes"] = {
            name: max(r["samples"][name]["size"] for r in final if name in r["samples"])
            for name in ("welcome", "poll:opened", "poll:closed", "poll:revealed", "poll:results")
            if any(name in r["samples"] for r in final)
        }
        f["burst_ack"] = summary(acks(final, BURST_TAG))
        f["burst_errors"] = sum(r["ack_errors"].get(BURST_TAG, 0) for r in final)
        f["burst_unacked"] = connected - f["burst_ack"]["n"]
        f["burst_results"] = summary(latencies(final, "poll:results", burst_at - 1, results_until))
        if "sustain_window" in f:
            lo, hi = f["sustain_window"]
            res = latencies(final, "poll:results", lo, hi)
            f["sustain_results"] = summary(res)
            f["sustain_results_per_s"] = len(res) / max(1, connected) / args.sustain_s
            f["sustain_trickle_ack"] = summary(acks(final, TRICKLE_TAG))
            f["sustain_burst_ack"] = summary(acks(final, LOADED_BURST_TAG))
            f["sustain_errors"] = sum(
                r["ack_errors"].get(TRICKLE_TAG, 0) + r["ack_errors"].get(LOADED_BURST_TAG, 0)
                for r in final
            )
        f["lost"] = sum(r["lost"] for r in final)
        f["closed_by_server"] = sum(r["closed_by_server"] for r in final)
        f["pings_answered"] = sum(r["pings"] for r in final)
        f["attendees_pinged"] = sum(r["with_ping"] for r in final)
        derive(f)
        f["client_cpu_s"] = clients.cpu_s() - ccpu0
        say(
            f"{kind} {n}: fan-out p99 {f['poll_opened']['p99']:.1f} ms, "
            f"ack p99 {f['burst_ack']['p99']:.1f} ms, "
            f"{f['bytes_per_attendee'] / 1024:.1f} KiB/attendee"
        )
    finally:
        await presenter.close()
        await clients.stop()
        target.stop()
    return result


# -- report --------------------------------------------------------------------------------
def fmt(value: float, digits: int = 1) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


ROWS: list[tuple[str, Any, int, bool]] = [
    # label, getter, digits, compared with the floor
    ("connect all (s)", lambda f: f["connect_s"], 2, True),
    ("poll fan-out p50 (ms)", lambda f: f["poll_opened"]["p50"], 1, True),
    ("poll fan-out p99 (ms)", lambda f: f["poll_opened"]["p99"], 1, True),
    ("poll fan-out max (ms)", lambda f: f["poll_opened"]["max"], 1, True),
    ("personal fan-out p50 (ms)", lambda f: f["personal"]["p50"], 1, True),
    ("personal fan-out p99 (ms)", lambda f: f["personal"]["p99"], 1, True),
    ("personal fan-out max (ms)", lambda f: f["personal"]["max"], 1, True),
    ("vote burst ack p50 (ms)", lambda f: f["burst_ack"]["p50"], 1, True),
    ("vote burst ack p99 (ms)", lambda f: f["burst_ack"]["p99"], 1, True),
    ("vote burst ack max (ms)", lambda f: f["burst_ack"]["max"], 1, True),
    ("results fan-out p50 (ms)", lambda f: f["burst_results"]["p50"], 1, True),
    ("results fan-out p99 (ms)", lambda f: f["burst_results"]["p99"], 1, True),
    ("results fan-out max (ms)", lambda f: f["burst_results"]["max"], 1, True),
    ("server CPU, whole scenario (s)", lambda f: f["main_cpu_s"], 2, True),
    ("server CPU, connecting (s)", lambda f: f["connect_cpu_s"], 2, True),
    ("server CPU, vote burst (s)", lambda f: f["burst_cpu_s"], 2, True),
    ("server peak memory (MiB)", lambda f: f["server_peak_mib"], 0, True),
    ("memory per attendee (KiB)", lambda f: f["bytes_per_attendee"] / 1024, 1, True),
    ("client CPU, whole scenario (s)", lambda f: f["client_cpu_s"], 2, False),
]


def table(runs: list[RunResult], n: int) -> str:
    by_kind = {r.kind: r.figures for r in runs if r.attendees == n}
    kinds = [k for k in SERVERS if k in by_kind]
    floor = by_kind.get("floor")
    head = "| | " + " | ".join(LABELS[k] for k in kinds) + " |"
    lines = [head, "|---" * (len(kinds) + 1) + "|"]
    for label, get, digits, compare in ROWS:
        cells = []
        for k in kinds:
            try:
                value = get(by_kind[k])
            except (KeyError, TypeError):
                cells.append("-")
                continue
            cell = fmt(value, digits)
            if compare and floor is not None and k != "floor":
                with contextlib.suppress(KeyError, TypeError, ZeroDivisionError):
                    base = get(floor)
                    if base and not math.isnan(base) and not math.isnan(value):
                        cell += f" ({value / base:.2f}x)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def details(runs: list[RunResult], n: int) -> str:
    lines = [
        "| | connected | lost | frames (welcome / poll:opened / personal bytes) |"
        " redis-server CPU s |",
        "|---|---|---|---|---|",
    ]
    for r in runs:
        if r.attendees != n:
            continue
        f = r.figures
        frames = f.get("frame_bytes", {})
        lines.append(
            f"| {LABELS[r.kind]} | {f['connected']} | {f['lost']} | "
            f"{frames.get('welcome', '-')} / {frames.get('poll:opened', '-')} / "
            f"{f.get('personal_frame_bytes', '-')} | "
            f"{fmt(f.get('main_redis_cpu_s', math.nan), 2)} |"
        )
    return "\n".join(lines) + "\n"


def sustain_table(runs: list[RunResult], n: int) -> str:
    rows = [r for r in runs if r.attendees == n and "sustain_results" in r.figures]
    if not rows:
        return ""
    lines = [
        "| | results per attendee per s | results fan-out p50 / p99 / max (ms) |"
        " re-vote ack p99 (ms) | burst ack p50 / p99 (ms) | error acks | lost connections |"
        " attendees pinged | server CPU (% of a core) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r.figures
        s = f["sustain_results"]
        b = f["sustain_burst_ack"]
        lo, hi = f["sustain_window"]
        lines.append(
            f"| {LABELS[r.kind]} | {f['sustain_results_per_s']:.2f} | "
            f"{fmt(s['p50'])} / {fmt(s['p99'])} / {fmt(s['max'])} | "
            f"{fmt(f['sustain_trickle_ack']['p99'])} | {fmt(b['p50'])} / {fmt(b['p99'])} | "
            f"{f['sustain_errors']} | {f['sustain_lost']} | {f['sustain_pinged']} | "
            f"{100 * f['sustain_cpu_s'] / ((hi - lo) / 1000):.0f} |"
        )
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> tuple[list[RunResult], list[dict[str, Any]]]:
    work_dir = Path(args.work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)  # noqa: ASYNC240 - once, before anything runs
    runs: list[RunResult] = []
    loads: list[dict[str, Any]] = []
    # One waiting budget for the whole benchmark, not one per run.
    deadline = time.monotonic() + args.max_wait_s
    for n in args.sizes:
        for repeat in range(args.repeat):
            # Interleaved (floor, baseline, Plenary, floor, ...): a change in the machine's
            # load during the run weighs on every server alike.
            for kind in args.servers:
                waited_from, load, busy = wait_for_quiet(
                    args.max_load, deadline, args.busy_sample_s
                )
                say(
                    f"{kind}, {n} attendees, run {repeat + 1} "
                    f"(load average {load:.2f}, {busy:.1f} cores busy)"
                )
                started = time.time()
                run = await run_one(kind, n, args, work_dir / f"{kind}-{n}-{repeat}", repeat)
                loads.append(
                    {
                        "kind": kind,
                        "n": n,
                        "before": load,
                        "busy_before": busy,
                        "waited_from": waited_from,
                        "after_1min": os.getloadavg()[0],
                        "seconds": time.time() - started,
                    }
                )
                runs.append(run)
                await asyncio.sleep(1.0)
    return runs, loads


def derive(f: dict[str, Any]) -> dict[str, Any]:
    """Figures of the throughput phase under names of their own, so that the median over
    repeated runs (only the first has that phase) keeps them."""
    if "sustain_window" in f:
        f["sustain_lost"] = f["lost"]
        f["sustain_pinged"] = f["attendees_pinged"]
    return f


def median_runs(runs: list[RunResult]) -> list[RunResult]:
    """One result per (server, size): each figure the median over the repeated runs."""
    groups: dict[tuple[str, int], list[RunResult]] = {}
    for run in runs:
        groups.setdefault((run.kind, run.attendees), []).append(run)
    return [
        RunResult(kind, n, _median_figures([r.figures for r in group]))
        for (kind, n), group in groups.items()
    ]


def _median_figures(figures: list[Any]) -> Any:
    first = figures[0]
    if len(figures) == 1:
        return first
    if isinstance(first, dict):
        return {k: _median_figures([f[k] for f in figures if k in f]) for k in first}
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    values = sorted(float(f) for f in figures)
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return type(first)(median) if isinstance(first, int) else median


def report(runs: list[RunResult], loads: list[dict[str, Any]], args: argparse.Namespace) -> str:
    out = []
    for n in args.sizes:
        out.append(f"### {n:,} attendees\n")
        out.append(table(runs, n))
        out.append("")
        out.append(details(runs, n))
        s = sustain_table(runs, n)
        if s:
            out.append(
                f"Throughput, {args.sustain_s:.0f} s of re-votes (each attendee about every "
                f"{args.revote_period_s:.0f} s) with an everyone-at-once burst in the middle:\n"
            )
            out.append(s)
    out.append(
        "Machine load at the start of each run (1-minute load average, and cores busy "
        "with other work in the 5 s before) and load average at its end: "
        + "; ".join(
            f"{LABELS[x['kind']]}, {x['n']:,}: {x['before']:.2f}, {x['busy_before']:.1f} "
            f"cores / {x['after_1min']:.2f}"
            for x in loads
        )
        + (f" (figures: the median of {args.repeat} runs each)" if args.repeat > 1 else "")
        + "\n"
    )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="attendee counts, comma-separated")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"any of {','.join(SERVERS)}")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes")
    parser.add_argument(
        "--connect-concurrency",
        type=int,
        default=100,
        help="handshakes in flight over all client processes",
    )
    parser.add_argument("--rounds", type=int, default=10, help="broadcasts per fan-out phase")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per server and size (figures: the median)"
    )
    parser.add_argument(
        "--sustain-sizes", default="1000", help="sizes with the throughput phase (first run only)"
    )
    parser.add_argument("--sustain-s", type=float, default=30.0)
    parser.add_argument("--revote-period-s", type=float, default=4.0)
    parser.add_argument("--max-load", type=float, default=1.5)
    add_busy_sample_argument(parser)
    parser.add_argument(
        "--max-wait-s",
        type=float,
        default=900.0,
        help="longest wait for a quiet machine over the whole benchmark",
    )
    parser.add_argument("--work-dir", default="reports/fanout")
    parser.add_argument("--json", default="reports/fanout/results.json")
    parser.add_argument(
        "--from-json", help="write the report from a saved results.json instead of running"
    )
    parser.add_argument(
        "--out", default="docs/performance.md", help="markdown file to write ('' for none)"
    )
    args = parser.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    args.servers = [x for x in args.servers.split(",") if x]
    args.sustain_sizes = {int(x) for x in args.sustain_sizes.split(",") if x}
    for kind in args.servers:
        if kind not in SERVERS:
            parser.error(f"unknown server {kind}")
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        all_runs = [
            RunResult(r["kind"], r["attendees"], derive(r["figures"])) for r in saved["runs"]
        ]
        loads = saved["loads"]
        for name, value in saved.get("args", {}).items():
            if name not in ("out", "from_json", "json"):
                setattr(args, name, set(value) if name == "sustain_sizes" else value)
    else:
        all_runs, loads = asyncio.run(main_async(args))
    runs = median_runs(all_runs)
    text = report(runs, loads, args)
    sys.stdout.write(text)
    if not args.from_json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        saved_args = {k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items()}
        Path(args.json).write_text(
            json.dumps(
                {"runs": [r.__dict__ for r in all_runs], "loads": loads, "args": saved_args},
                indent=1,
                default=str,
            )
        )
    if args.out:
        from bench.fanout_report import write_performance_md

        write_performance_md(Path(args.out), text, runs, loads, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
