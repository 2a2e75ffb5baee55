"""``plenary serve --workers N`` in a child process, for tests of several workers on one
port sharing one Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

from tests.support.ports import free_port
from tests.support.server import ADMIN_TOKEN


class Workers:
    def __init__(
        self,
        redis_url: str,
        count: int,
        log_path: Path | None = None,
        demo: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        """``log_path``: the workers' log (JSON lines, WARNING and up) goes there;
        ``env``: more environment variables (settings) for the workers."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "plenary",
                "serve",
                "--port",
                str(self.port),
                "--redis-url",
                redis_url,
                "--workers",
                str(count),
                "--admin-token",
                ADMIN_TOKEN,
                "--log-level",
                "WARNING",
                *([] if demo else ["--no-demo"]),
            ],
            stdout=subprocess.DEVNULL,
            stderr=log_path.open("ab") if log_path is not None else None,
            env={
                **os.environ,
                **({"PLENARY_LOG_FORMAT": "json"} if log_path else {}),
                **(env or {}),
            },
        )
        self.count = count

    def worker_processes(self) -> list[psutil.Process]:
        """The supervisor's live worker children (not multiprocessing's resource
        tracker, nor a killed worker not yet reaped)."""
        workers = []
        for child in psutil.Process(self.proc.pid).children():
            try:
                if "resource_tracker" not in " ".join(child.cmdline()):
                    workers.append(child)
            except (psutil.ZombieProcess, psutil.NoSuchProcess):
                pass
        return workers

    def processes_seen(self, attempts: int = 40) -> set[str]:
        seen = set()
        for _ in range(attempts):
            try:
                body = requests.get(
                    self.url + "/healthz", timeout=2, headers={"Connection": "close"}
                ).json()
                seen.add(body["process"])
            except requests.RequestException:
                pass
        return seen

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while len(self.processes_seen(10)) < self.count:
            assert self.proc.poll() is None, "supervisor exited"
            assert time.monotonic() < deadline, "workers did not come up"
            time.sleep(0.2)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)
