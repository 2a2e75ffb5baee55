"""``plenary serve --workers N``: N server processes on one port (SO_REUSEPORT), sharing
one Redis, watched by this parent process.

The kernel spreads new connections over the workers. A worker that dies is restarted
(its clients reconnect, to any worker, and resume with their tokens); SIGTERM or Ctrl-C
stops them all gracefully. Too many crashes in a row stop the supervisor instead of
spinning.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

from plenary.settings import Settings

log = logging.getLogger(__name__)

WorkerMain = Callable[[Settings, int], None]

MAX_RESTARTS = 5
RESTART_WINDOW_S = 30.0
STOP_TIMEOUT_S = 10.0


class Supervisor:
    """Starts, watches and stops the worker processes."""

    def __init__(self, settings: Settings, count: int, worker_main: WorkerMain) -> None:
        self.settings = settings
        self.count = count
        self.worker_main = worker_main
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: dict[int, BaseProcess] = {}
        self._restarts: deque[float] = deque()
        self._stopping = False

    def _start(self, index: int) -> None:
        process = self._ctx.Process(
            target=self.worker_main,
            args=(self.settings, index),
            name=f"plenary-worker-{index}",
        )
        process.start()
        self._workers[index] = process
        log.info("worker %d started (pid %s)", index, process.pid)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping %d workers", signal.Signals(signum).name, self.count)
        self._stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for index in range(self.count):
            self._start(index)
        status = 0
        while not self._stopping:
            time.sleep(0.2)
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
