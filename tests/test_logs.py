"""Structured logs: JSON lines with the event code for significant actions, no secrets."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

import pytest
import requests

from plenary.logs import JsonFormatter
from plenary.realtime.wire import create_socket_server as create_sio
from plenary.realtime.wire.engine import EngineServer
from plenary.settings import Settings
from tests.support.ports import free_port
from tests.support.server import ADMIN_TOKEN


def test_json_lines_for_significant_actions() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plenary",
            "serve",
            "--port",
            str(port),
            "--no-demo",
            "--admin-token",
            ADMIN_TOKEN,
            "--log-format",
            "json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(url + "/healthz", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        event = requests.post(
            url + "/api/events",
            json={"title": "Logged"},
            timeout=5,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert all({"ts", "level", "logger", "msg", "pid"} <= set(line) for line in lines)
    created = [line for line in lines if line["msg"] == "event created"]
    assert created and created[0]["event"] == event["code"]
    assert any(line["msg"].startswith("plenary ready") for line in lines)
    assert any(line["msg"].startswith("plenary stopped") for line in lines)
    assert ADMIN_TOKEN not in err and event["presenter_key"] not in err


def test_engineio_logs_through_ours_once() -> None:
    """Given no logger, engineio adds a handler of its own to its logger, and every error
    was printed twice (once as plain text amid the JSON lines)."""
    sio = create_sio(Settings())
    eio_logger = sio.eio.logger
    assert eio_logger is logging.getLogger("plenary.engineio")
    assert eio_logger.handlers == [] and eio_logger.propagate
    assert eio_logger.getEffectiveLevel() >= logging.WARNING  # no INFO per packet


def test_what_engineio_refuses_is_a_client_error(caplog: pytest.LogCaptureFixture) -> None:
    server = EngineServer(async_mode="aiohttp", logger=logging.getLogger("plenary.t"))
    with caplog.at_level(logging.INFO, logger="plenary.t"):
        server._log_error_once("Invalid session x", "bad-sid")
        server._log_error_once("Invalid session y", "bad-sid")
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]


def test_a_line_with_arguments_that_do_not_fit_is_still_json() -> None:
    record = logging.LogRecord("plenary.t", logging.WARNING, __file__, 1, "%d votes", ("x",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["msg"].startswith("%d votes")
