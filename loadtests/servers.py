"""The system under test: ``plenary serve`` processes (embedded: one, memory store; or
several sharing a redis-server that is started here on a free port), or an external
deployment given by URL. Everything listens on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

START_TIMEOUT_S = 30.0
EXPORT_ATTEMPTS = 20


def resolve_commit(repo: Path, ref: str) -> str:
    """The full commit id that git ``ref`` (a branch, tag, or short id) names."""
    return subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def export_ref(repo: Path, ref: str, into: Path) -> str:
    """Extract the server (and its web pages) as of git ``ref`` into ``into`` (read-only
    ``git archive``: the working tree and index are not touched); returns the commit."""
    sha = resolve_commit(repo, ref)
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(
        ["git", "archive", sha, "server", "clients"], cwd=repo, stdout=subprocess.PIPE
    )
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {sha} failed")
    return sha


def source_info(repo: Path) -> dict[str, Any]:
    """The working tree's commit and whether its server code has uncommitted changes."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return result.stdout.strip()

    dirty = [line[3:] for line in git("status", "--porcelain", "server").splitlines()]
    return {"commit": git("rev-parse", "HEAD"), "dirty_server_files": dirty}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_json(
    method: str, url: str, token: str | None = None, body: Any = None, timeout: float = 30
) -> Any:
    """A small JSON HTTP client (no session state; loopback only in practice)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def healthy(url: str) -> bool:
    try:
        return http_json("GET", url + "/healthz", timeout=2).get("status") == "ok"  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], name: str, log: Path) -> None:
    """Wait until the server at ``url`` answers ``/healthz``; raise if its process
    exits or it takes longer than START_TIMEOUT_S."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on {url} (see {log})")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode


@dataclass
class Child:
    """A child process with its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None


@dataclass
class Deployment:
    """Plenary under test. ``mode`` is ``embedded`` (one process, memory store),
    ``redis`` (``processes`` server processes sharing one Redis) or ``external``."""

    mode: str = "embedded"
    processes: int = 1
    log_dir: Path = Path(".")
    admin_token: str = field(default_factory=lambda: os.urandom(12).hex())
    external_urls: tuple[str, ...] = ()
    log_level: str = "WARNING"
    #: directory holding the ``plenary`` package to run (None: the installed one)
    server_path: str | None = None
    #: CPU cores the server processes and Redis may run on (None: any)
    cpus: set[int] | None = None
    #: extra environment for the server processes (PLENARY_* settings)
    env: dict[str, str] = field(default_factory=dict)
    #: what follows ``python -m`` to start one server (it takes ``plenary serve``'s flags)
    server_module: tuple[str, ...] = ("plenary", "serve")
    servers: list[Child] = field(default_factory=list)
    redis: Child | None = None
    redis_url: str | None = None
    crashed: list[str] = field(default_factory=list)
    #: run the servers (and Redis) in a process group of their own, out of the reach of
    #: a Ctrl-C in the terminal (a web UI run stops Locust with it, then reports)
    own_process_group: bool = False

    @property
    def urls(self) -> list[str]:
        if self.mode == "external":
            return list(self.external_urls)
        return [f"http://127.0.0.1:{port}" for port in self._ports]

    _ports: list[int] = field(default_factory=list)

    def start(self, say: Any = print) -> Deployment:
        """Start Redis (in redis mode) and the server processes; wait until healthy."""
        if self.mode == "external":
            for url in self.urls:
                if not healthy(url):
                    raise RuntimeError(f"{url}/healthz is not ok")
            return self
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.mode == "redis":
            self._start_redis(say)
        count = self.processes if self.mode == "redis" else 1
        for i in range(count):
            self._start_server(i, say)
        return self

    def _start_redis(self, say: Any) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (./scripts/dev install adds it)")
        port = free_port()
        data_dir = self.log_dir / "redis"
        data_dir.mkdir(exist_ok=True)
        log = self.log_dir / "redis.log"
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir)]
        args += ["--save", "", "--appendonly", "no", "--logfile", str(log.resolve())]
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=self._pin
        )
        self.redis = Child("redis", proc, log)
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (see {log})")
            time.sleep(0.05)
        say(f"redis-server on 127.0.0.1:{port} (pid {proc.pid})")

    def _start_server(self, index: int, say: Any) -> None:
        port = free_port()
        log = self.log_dir / f"server-{index}.log"
        args = [sys.executable, "-m", *self.server_module, "--host", "127.0.0.1"]
        args += ["--port", str(port), "--admin-token", self.admin_token, "--no-demo"]
        args += ["--log-level", self.log_level]
        if self.redis_url:
            args += ["--redis-url", self.redis_url]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        if self.server_path:
            env["PYTHONPATH"] = self.server_path
        with log.open("wb") as handle:
            proc = subprocess.Popen(
                args, env=env, stdout=handle, stderr=subprocess.STDOUT, preexec_fn=self._pin
            )
        self.servers.append(Child(f"server-{index}", proc, log))
        self._ports.append(port)
        url = f"http://127.0.0.1:{port}"
        name = " ".join(self.server_module)
        wait_until_healthy(url, proc, name, log)
        say(f"{name} on {url} (pid {proc.pid}, {self.mode} mode)")

    def _pin(self) -> None:
        """In the child, before exec: restrict it to :attr:`cpus` (and leave the
        terminal's process group, with :attr:`own_process_group`)."""
        if self.cpus:
            os.sched_setaffinity(0, self.cpus)
        if self.own_process_group:
            os.setpgrp()

    def server_processes(self) -> list[psutil.Process]:
        return [psutil.Process(c.pid) for c in self.servers if c.alive()]

    def redis_processes(self) -> list[psutil.Process]:
        return [psutil.Process(self.redis.pid)] if self.redis and self.redis.alive() else []

    def check_alive(self) -> list[str]:
        """Names of processes that exited on their own (a crash during the test)."""
        dead = [c.name for c in self.servers if not c.alive()]
        if self.redis and not self.redis.alive():
            dead.append("redis")
        return dead

    def log_errors(self) -> list[str]:
        """Lines of the server logs that report an error (ERROR, CRITICAL, tracebacks)."""
        found = []
        for child in self.servers:
            if child.log.exists():
                for line in child.log.read_text(errors="replace").splitlines():
                    if re.search(r"\b(ERROR|CRITICAL)\b|^Traceback", line):
                        found.append(f"{child.name}: {line.strip()}")
        return found

    def create_event(self, title: str) -> dict[str, Any]:
        """POST /api/events with the admin token."""
        return http_json(  # type: ignore[no-any-return]
            "POST", self.urls[0] + "/api/events", self.admin_token, {"title": title}
        )

    def export(self, code: str, key: str, room: str | None = None) -> dict[str, Any]:
        """GET /api/events/{code}/export (or one room's, /rooms/{room}/export) with the
        presenter key. Exports share the per-IP limit of join-code lookups, so a 429 is
        tried again (a bounded number of times)."""
        path = f"/api/events/{code}" + (f"/rooms/{room}" if room else "") + "/export"
        for attempt in range(EXPORT_ATTEMPTS):
            try:
                return http_json(  # type: ignore[no-any-return]
                    "GET", f"{self.urls[0]}{path}?format=json", key, timeout=60
                )
            except urllib.error.HTTPError as exc:
                if exc.code != 429 or attempt == EXPORT_ATTEMPTS - 1:
                    raise
                time.sleep(1.0)
        raise RuntimeError("unreachable")

    def stop(self) -> dict[str, int | None]:
        """Stop everything this deployment started; returns the exit codes."""
        codes: dict[str, int | None] = {}
        for child in self.servers:
            codes[child.name] = _stop(child.proc)
        if self.redis is not None:
            codes["redis"] = _stop(self.redis.proc)
            shutil.rmtree(self.log_dir / "redis", ignore_errors=True)
        return codes
