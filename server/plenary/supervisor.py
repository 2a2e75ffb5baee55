"""``plenary serve --workers N``: N server processes on one port (SO_REUSEPORT), sharing
one Redis, watched by this parent process.

The kernel spreads new connections over the workers. A worker that dies is restarted
(its clients reconnect, to any worker, and resume with their tokens); SIGTERM or Ctrl-C
stops them all gracefully; SIGHUP restarts them one at a time (rolling restart: the
replacement is listening before the old worker is stopped, so the port never closes).
Too many crashes in a row stop the supervisor instead of spinning.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from plenary.metrics import MULTIPROC_ENV, mark_worker_dead
from plenary.settings import Settings

log = logging.getLogger(__name__)

WorkerMain = Callable[[Settings, int, Any], None]  # (settings, index, ready event)

MAX_RESTARTS = 5
RESTART_WINDOW_S = 30.0
STOP_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 30.0


class Supervisor:
    """Starts, watches and stops the worker processes."""

    def __init__(self, settings: Settings, count: int, worker_main: WorkerMain) -> None:
        self.settings = settings
        self.count = count
        self.worker_main = worker_main
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: dict[int, BaseProcess] = {}
        self._ready: dict[int, Any] = {}
        self._restarts: deque[float] = deque()
        self._stopping = False
        self._rolling = False

    def _start(self, index: int) -> Any:
        ready = self._ctx.Event()
        process = self._ctx.Process(
            target=self.worker_main,
            args=(self.settings, index, ready),
            name=f"plenary-worker-{index}",
        )
        process.start()
        self._workers[index] = process
        # Keep the Event alive: the child unpickles it after start() returns, and a
        # collected semaphore makes the child die with FileNotFoundError.
        self._ready[index] = ready
        log.info("worker %d started (pid %s)", index, process.pid, extra={"worker": index})
        return ready

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping %d workers", signal.Signals(signum).name, self.count)
        self._stopping = True

    def _on_hangup(self, _signum: int, _frame: FrameType | None) -> None:
        log.info("received SIGHUP: rolling restart of %d workers", self.count)
        self._rolling = True

    def rolling_restart(self) -> None:
        """Replace each worker in turn: start the new one, wait until it listens, then
        stop the old one gracefully (its clients reconnect to the others)."""
        for index in range(self.count):
            if self._stopping:
                return
            old = self._workers[index]
            ready = self._start(index)
            if not ready.wait(READY_TIMEOUT_S):
                log.error("replacement worker %d did not start; keeping the old one", index)
                self._workers[index].kill()
                self._workers[index] = old
                continue
            old.terminate()
            old.join(STOP_TIMEOUT_S)
            if old.is_alive():
                old.kill()
                old.join()
            if old.pid is not None:
                mark_worker_dead(old.pid)
            log.info("worker %d replaced (pid %s -> %s)", index, old.pid, self._workers[index].pid)
        log.info("rolling restart done")

    def run(self) -> int:
        # Workers share their metrics through files here (prometheus-client's
        # multi-process mode); a fresh directory per run, so no stale values count.
        self._metrics_dir = tempfile.TemporaryDirectory(prefix="plenary-metrics-")
        os.environ[MULTIPROC_ENV] = self._metrics_dir.name
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_hangup)
        for index in range(self.count):
            self._start(index)
        status = 0
        while not self._stopping:
            time.sleep(0.2)
            if self._rolling:
                self._rolling = False
                self.rolling_restart()
            for index, process in list(self._workers.items()):
                if process.is_alive() or self._stopping:
                    continue
                now = time.monotonic()
                self._restarts.append(now)
                while self._restarts and now - self._restarts[0] > RESTART_WINDOW_S:
                    self._restarts.popleft()
                if len(self._restarts) > MAX_RESTARTS:
                    log.error(
                        "workers keep dying (%d restarts in %.0fs); giving up",
                        len(self._restarts),
                        RESTART_WINDOW_S,
                    )
                    self._stopping = True
                    status = 1
                    break
                if process.pid is not None:
                    mark_worker_dead(process.pid)
                log.warning(
                    "worker %d (pid %s) exited with %s; restarting",
                    index,
                    process.pid,
                    process.exitcode,
                )
                self._start(index)
        self._stop_all()
        return status

    def _stop_all(self) -> None:
        for process in self._workers.values():
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: graceful, clients reconnect elsewhere
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self._workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        log.info("all workers stopped")
