"""CPU and memory of the processes in a run, sampled once a second with psutil: the
server processes, Redis, and the load generator's own Locust processes (so a reader can
tell whether the figures measure the server or a saturated generator).

CPU is in percent of one core (200 % = both cores of a 2-core machine)."""

from __future__ import annotations

import csv
import re
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

Finder = Callable[[], list[psutil.Process]]
MAX_MONITOR_S = 6 * 3600.0


def with_children(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (Locust's ``--processes`` forks workers)."""
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class ResourceMonitor:
    """Samples registered process groups ("roles") in a background thread."""

    def __init__(self, csv_path: Path, interval_s: float = 1.0) -> None:
        self.csv_path = csv_path
        self.interval_s = interval_s
        self.roles: dict[str, Finder] = {}
        self.rows: list[dict[str, Any]] = []
        self._known: dict[int, psutil.Process] = {}
        self._others: dict[int, psutil.Process] = {}
        #: CPU seconds used by programs outside the test, by process name
        self.other_cpu_s: dict[str, float] = defaultdict(float)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="resource-monitor", daemon=True)
        self.started_at = 0.0
        #: server base URLs whose GET /metrics (Prometheus text) is sampled, if present
        self.metrics_urls: list[str] = []
        #: (t, url, event loop lag in seconds) as the server itself reports it
        self.server_lag: list[tuple[float, str, float]] = []

    def add(self, role: str, finder: Finder) -> None:
        self.roles[role] = finder

    def start(self) -> None:
        self.started_at = time.time()
        psutil.cpu_percent(None)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self._write()

    def _process(self, proc: psutil.Process) -> psutil.Process:
        known = self._known.get(proc.pid)
        if known is None:
            known = proc
            self._known[proc.pid] = known
            known.cpu_percent(None)  # prime: the first reading is meaningless
        return known

    def _loop(self) -> None:
        # Bounded by the run: stop() is called when Locust ends (or the runner gives up);
        # and by a hard cap, should the runner itself be killed.
        end = time.monotonic() + MAX_MONITOR_S
        while not self._stop.wait(self.interval_s) and time.monotonic() < end:
            now = time.time()
            for role, finder in self.roles.items():
                try:
                    procs = finder()
                except psutil.Error:
                    procs = []
                for proc in procs:
                    try:
                        known = self._process(proc)
                        cpu = known.cpu_percent(None)
                        rss = known.memory_info().rss / 2**20
                    except psutil.Error:
                        continue
                    self.rows.append(
                        {"t": now, "role": role, "pid": proc.pid, "cpu": cpu, "rss_mb": rss}
                    )
            self._sample_others(now)
            for url in self.metrics_urls:
                metrics = scrape(url)
                lag = metrics.get("plenary_event_loop_lag_seconds")
                if lag is not None:
                    self.server_lag.append((now, url, lag))
            cores = psutil.cpu_count() or 1
            self.rows.append(
                {
                    "t": now,
                    "role": "machine",
                    "pid": 0,
                    "cpu": psutil.cpu_percent(None) * cores,
                    "rss_mb": (psutil.virtual_memory().total - psutil.virtual_memory().available)
                    / 2**20,
                }
            )

    def _sample_others(self, now: float) -> None:
        """Attribute the rest of the machine's CPU to named programs (e.g. a browser test
        running next to us), so the report can say who competed for the cores."""
        tracked = {row["pid"] for row in self.rows if row["t"] == now}
        seen = set()
        for proc in psutil.process_iter(["name"]):
            pid = proc.pid
            seen.add(pid)
            if pid in tracked:
                continue
            known = self._others.get(pid)
            try:
                if known is None:
                    self._others[pid] = proc
                    proc.cpu_percent(None)
                    continue
                cpu = known.cpu_percent(None)
            except psutil.Error:
                continue
            if cpu > 0:
                name = proc.info.get("name") or str(pid)
                self.other_cpu_s[name] += cpu / 100 * self.interval_s
        for pid in set(self._others) - seen:
            del self._others[pid]

    def top_others(self, count: int = 5) -> list[tuple[str, float]]:
        """The programs outside the test that used the most CPU (name, CPU seconds)."""
        ranked = sorted(self.other_cpu_s.items(), key=lambda item: -item[1])
        return [(name, round(seconds, 1)) for name, seconds in ranked[:count]]

    def _write(self) -> None:
        with self.csv_path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["t", "role", "pid", "cpu", "rss_mb"])
            writer.writeheader()
            for row in self.rows:
                rounded = {"cpu": round(row["cpu"], 1), "rss_mb": round(row["rss_mb"], 1)}
                writer.writerow({**row, **rounded})


TIMING = re.compile(r'plenary_(broadcast|ack)_seconds_(sum|count)\{event="([^"]+)"\}')


def scrape(url: str, timeout: float = 0.5) -> dict[str, float]:
    """A server's ``GET /metrics`` as {sample with labels: value}; {} when it has none."""
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=timeout) as response:
            text = response.read().decode()
    except (OSError, ValueError):
        return {}
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                samples[name] = float(value)
            except ValueError:
                continue
    return samples


def server_view(urls: list[str]) -> dict[str, Any]:
    """What the servers measured themselves (from /metrics, summed over processes): the
    mean time to emit one broadcast to a room and to handle one acked event, by event."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for url in urls:
        for sample, value in scrape(url, timeout=5).items():
            match = TIMING.match(sample)
            if match:
                kind, field, event = match.groups()
                sums[f"{kind} {event}"][field] += value
    return {
        key: {"count": int(v["count"]), "mean_ms": round(v["sum"] / v["count"] * 1000, 2)}
        for key, v in sorted(sums.items())
        if v.get("count")
    }


def machine_cpu(seconds: float = 1.0) -> float:
    """Whole-machine CPU over ``seconds``, in percent of one core."""
    return psutil.cpu_percent(seconds) * (psutil.cpu_count() or 1)


def wait_until_quiet(
    max_wait_s: float, threshold: float, say: Callable[[str], None]
) -> list[float]:
    """Wait (at most ``max_wait_s``) until the machine's CPU stays under ``threshold``
    (% of one core) for 3 s in a row, so other programs do not skew the figures.
    Returns the samples taken."""
    samples: list[float] = []
    deadline = time.monotonic() + max_wait_s
    quiet = 0
    while time.monotonic() < deadline:
        samples.append(machine_cpu(1.0))
        quiet = quiet + 1 if samples[-1] < threshold else 0
        if quiet >= 3:
            return samples
        if len(samples) == 3:
            say(f"the machine is busy ({samples[-1]:.0f} % CPU): waiting for it to calm down")
    say(f"the machine stayed busy for {max_wait_s:.0f} s (last {samples[-1]:.0f} % CPU): going on")
    return samples


def load(csv_path: Path) -> list[dict[str, Any]]:
    """Rows written by :class:`ResourceMonitor`."""
    if not csv_path.exists():
        return []
    with csv_path.open() as handle:
        return [
            {
                "t": float(r["t"]),
                "role": r["role"],
                "pid": int(r["pid"]),
                "cpu": float(r["cpu"]),
                "rss_mb": float(r["rss_mb"]),
            }
            for r in csv.DictReader(handle)
        ]


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per role: mean and peak CPU (summed over the role's processes per sample), peak
    memory (summed), the busiest single process's mean and peak CPU, process count."""
    by_role_time: dict[str, dict[float, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in rows:
        by_role_time[row["role"]][row["t"]].append(row)
    machine = by_role_time.get("machine", {})
    if machine:
        # Everything else running on the machine: other programs competing for the cores.
        for t, group in machine.items():
            tracked = sum(
                r["cpu"]
                for role, samples in by_role_time.items()
                if role not in ("machine", "other")
                for r in samples.get(t, [])
            )
            other = max(0.0, group[0]["cpu"] - tracked)
            by_role_time["other"][t].append({"pid": -1, "cpu": other, "rss_mb": 0.0})
    out: dict[str, dict[str, Any]] = {}
    for role, samples in by_role_time.items():
        cpu = [sum(r["cpu"] for r in group) for group in samples.values()]
        rss = [sum(r["rss_mb"] for r in group) for group in samples.values()]
        per_pid: dict[int, list[float]] = defaultdict(list)
        for group in samples.values():
            for r in group:
                per_pid[r["pid"]].append(r["cpu"])
        busiest = max(per_pid.values(), key=lambda v: sum(v) / len(v)) if per_pid else [0.0]
        out[role] = {
            "processes": len(per_pid),
            "cpu_mean": round(sum(cpu) / len(cpu), 1) if cpu else 0.0,
            "cpu_peak": round(max(cpu), 1) if cpu else 0.0,
            "rss_peak_mb": round(max(rss), 1) if rss else 0.0,
            "busiest_process_cpu_mean": round(sum(busiest) / len(busiest), 1),
            "busiest_process_cpu_peak": round(max(busiest), 1),
        }
    return out
