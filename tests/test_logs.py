"""Structured logs: JSON lines with the event code for significant actions, no secrets."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import requests

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
