"""What the per-activity fan-out benchmarks (``bench.cafe_fanout``, ``bench.quiz_fanout``)
share: one run per mode (Plenary embedded, or 2 ``plenary serve`` processes sharing a
redis-server) with its deployment, client processes and presenter, cleaned up whatever
happens; the connect phase (a roster of people spread over the client processes, each
process holding people of every server process); the command line and the loop over
the modes, each after waiting for a quiet machine.

A benchmark subclasses ``ModeRun`` with its own ``setup``, ``measure`` and ``verify``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtests.servers import Deployment

from bench.fanout import (
    BENCH_ENV,
    Clients,
    Presenter,
    add_busy_sample_argument,
    wait_for_quiet,
)
from bench.fanout_clients import now_ms

MODES = ("embedded", "redis")
LABELS = {"embedded": "embedded", "redis": "2 processes + Redis"}


def machine() -> str:
    cores = os.cpu_count() or 1
    system = f"{platform.system()} {platform.release()}"
    return f"{cores} cores, Python {platform.python_version()}, {system}"


class ModeRun:
    """One mode: its deployment, clients, presenter and figures. ``run`` starts them,
    sets up, measures and verifies, and always stops them; the figures say whether the
    servers crashed or logged errors."""

    def __init__(
        self,
        mode: str,
        args: argparse.Namespace,
        work_dir: Path,
        people: int,
        worker: Callable[[Any, dict[str, Any]], None],
        say: Callable[[str], None],
    ) -> None:
        """``people``: how many attendees connect; ``worker``: the client processes'
        entry point; ``say``: the benchmark's progress line."""
        self.mode = mode
        self.args = args
        self.n = people
        self.worker = worker
        self.say = say
        self.deployment = Deployment(
            mode=mode,
            processes=2 if mode == "redis" else 1,
            log_dir=work_dir / mode,
            log_level="WARNING",
            env=BENCH_ENV,
            server_path=args.server_path or None,  # add_common_arguments
        )
        self.clients: Clients | None = None
        self.presenter: Presenter | None = None
        self.shares: list[list[int]] = []
        self.ids: dict[int, str] = {}
        self.figures: dict[str, Any] = {"mode": mode}

    @property
    def server_pids(self) -> list[int]:
        return [c.pid for c in self.deployment.servers]

    async def run(self) -> dict[str, Any]:
        f = self.figures
        f["load_before"] = round(os.getloadavg()[0], 2)
        self.deployment.start(say=self.say)
        self.clients = Clients(self.args.client_procs, self.worker)
        try:
            await self.setup()
            await self.measure()
            await self.verify()
        finally:
            f["load_after"] = round(os.getloadavg()[0], 2)
            f["server_errors"] = self.deployment.log_errors()[:5]
            f["crashed"] = self.deployment.check_alive()
            if self.presenter is not None:
                with contextlib.suppress(Exception):
                    await self.presenter.close()
            await self.clients.stop()
            self.deployment.stop()
        return f

    async def setup(self) -> None:
        raise NotImplementedError

    async def measure(self) -> None:
        raise NotImplementedError

    async def verify(self) -> None:
        raise NotImplementedError

    # -- the connect phase ---------------------------------------------------------------
    async def connect_everyone(self, title: str, person: Callable[[int], dict[str, Any]]) -> None:
        """Create the event ``title``, connect its presenter, then the ``n`` attendees
        (``person(i)``: attendee i's name and what else it joins with) and wait for
        every welcome; raises unless everyone connected."""
        assert self.clients is not None
        f = self.figures
        event = self.deployment.create_event(title)
        code = event["code"]
        urls = self.deployment.urls
        self.presenter = Presenter(urls[0], code, event["presenter_key"])
        await self.presenter.connect()
        procs = len(self.clients.pipes)
        # Contiguous blocks per client process; attendee i connects to urls[i % len]: in
        # scaled mode every client process holds people of both server processes.
        bounds = [self.n * k // procs for k in range(procs + 1)]
        self.shares = [list(range(bounds[k], bounds[k + 1])) for k in range(procs)]
        start_at = now_ms() + 300
        conn = await self.clients.each(
            "connect_people",
            [
                {
                    "urls": urls,
                    "people": [
                        {"index": i, "auth": {"event": code, "role": "attendee", **person(i)}}
                        for i in share
                    ],
                    "start_at": start_at,
                    "concurrency": max(1, self.args.connect_concurrency // procs),
                }
                for share in self.shares
            ],
        )
        f["connected"] = sum(c["connected"] for c in conn)
        f["connect_s"] = round((max(c["last_welcome"] for c in conn) - start_at) / 1000, 2)
        f["connect_failures"] = [x for c in conn for x in c["failures"]][:5]
        for c in conn:
            self.ids.update({int(k): v for k, v in c["ids"].items()})
        self.say(f"{self.mode}: {f['connected']} of {self.n} connected in {f['connect_s']} s")
        if f["connected"] != self.n:
            raise RuntimeError(
                f"only {f['connected']} of {self.n} connected: {f['connect_failures']}"
            )


# -- the command line and the runs -------------------------------------------------------
def add_common_arguments(parser: argparse.ArgumentParser, work_dir: str) -> None:
    """The options every per-activity benchmark takes (its own come first)."""
    parser.add_argument("--modes", default=",".join(MODES), help="embedded, redis or both")
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--connect-concurrency", type=int, default=100)
    parser.add_argument("--max-load", type=float, default=1.5, help="wait while the load is above")
    parser.add_argument("--max-wait-s", type=float, default=900)
    add_busy_sample_argument(parser)
    parser.add_argument("--work-dir", default=work_dir)
    parser.add_argument("--json", default="", help="write the figures there")
    parser.add_argument(
        "--server-path",
        default="",
        help="a directory holding another plenary package to run (a git worktree's server/): "
        "the same benchmark against other code",
    )


def check_modes(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--modes`` as a list, each one of ``MODES``."""
    args.modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in args.modes):
        parser.error(f"--modes: {', '.join(MODES)}")


def run_modes(
    args: argparse.Namespace,
    make_run: Callable[[str, Path], ModeRun],
    table: Callable[[list[dict[str, Any]]], str],
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Each mode's run, one after the other, each once the machine is quiet; prints the
    machine and ``table`` of the figures, writes them to ``--json``; the figures."""
    runs: list[dict[str, Any]] = []
    work_dir = Path(args.work_dir)
    deadline = time.monotonic() + args.max_wait_s
    for mode in args.modes:
        _, load, busy = wait_for_quiet(args.max_load, deadline, args.busy_sample_s)
        say(f"{mode}: load average {load:.2f}, {busy:.1f} cores busy with other work")
        figures = asyncio.run(make_run(mode, work_dir).run())
        figures["cores_busy_before"] = round(busy, 2)
        runs.append(figures)
    print(f"Machine: {machine()}.\n")
    print(table(runs))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "machine": machine()}, indent=1))
    return runs
