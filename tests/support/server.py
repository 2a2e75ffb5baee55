"""Running the real server for tests: in this process on a free port, or as separate
``plenary serve`` processes (for multi-process tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import requests
from aiohttp import web

from plenary.app import build_app
from plenary.services import SERVICES, Services
from plenary.settings import Limits, Settings
from plenary.stage.kinds import KindPlugin
from tests.support.ports import free_port
from tests.support.redis_proc import RedisProcess

ADMIN_TOKEN = "test-admin-token"


@dataclass
class RunningServer:
    url: str
    services: Services


@contextlib.asynccontextmanager
async def running_server(
    redis_url: str | None = None,
    limits: Limits | None = None,
    kinds: Sequence[KindPlugin] | None = None,
    **overrides: object,
) -> AsyncIterator[RunningServer]:
    """The real aiohttp + Socket.IO server, listening on a free loopback port, running
    the installed activity kinds (or ``kinds``)."""
    port = free_port()
    settings = Settings(
        host="127.0.0.1",
        port=port,
        redis_url=redis_url,
        admin_token=ADMIN_TOKEN,
        demo=False,
        limits=limits or Limits(),
        **overrides,  # type: ignore[arg-type]
    )
    app = build_app(settings, kinds=kinds)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", app[SERVICES])
    finally:
        await runner.cleanup()


class ServerProcess:
    """``python -m plenary serve`` in a child process."""

    def __init__(
        self,
        redis_url: str | None,
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        """``log_path``: the server's log (JSON lines, WARNING and up) goes there;
        ``extra_args``: more ``plenary serve`` options."""
        self.port = port or free_port()
        self.redis_url = redis_url
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        args = [
            sys.executable,
            "-m",
            "plenary",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--admin-token",
            ADMIN_TOKEN,
            "--no-demo",
            "--log-level",
            "WARNING",
        ]
        if self.redis_url:
            args += ["--redis-url", self.redis_url]
        args += self.extra_args
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        stderr = None
        if self.log_path is not None:
            env["PLENARY_LOG_FORMAT"] = "json"
            stderr = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        finally:
            if stderr is not None:
                stderr.close()  # the child has its own copy
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"plenary serve did not start on port {self.port}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


@contextlib.contextmanager
def server_processes(
    redis: RedisProcess, extra_args: Sequence[str] = ()
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``plenary serve`` processes (each with ``extra_args``) sharing ``redis``,
    flushed first; both stopped afterwards."""
    redis.flush()
    first = ServerProcess(redis.url, extra_args=extra_args).start()
    second = ServerProcess(redis.url, extra_args=extra_args).start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


async def create_event(base_url: str, title: str = "Test event") -> dict[str, str]:
    """POST /api/events with the tests' admin token (async: the server may share our loop)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            base_url + "/api/events",
            json={"title": title},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as response,
    ):
        assert response.status == 201, await response.text()
        return await response.json()  # type: ignore[no-any-return]


async def end_event(base_url: str, code: str) -> None:
    """POST /api/events/{code}/end with the tests' admin token; it must succeed."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base_url}/api/events/{code}/end",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()


def create_event_sync(base_url: str, title: str = "Test event") -> dict[str, str]:
    """POST /api/events to a server in another process."""
    response = requests.post(
        base_url + "/api/events",
        json={"title": title},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]
