"""The `plenary` command: the embedded default prints a ready demo event; create-event."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.ports import free_port
from tests.support.server import ADMIN_TOKEN, ServerProcess


@pytest.fixture
def embedded() -> Iterator[tuple[int, str]]:
    """`plenary serve --port P` with nothing else: embedded store and a demo event."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plenary", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "big screen" in line:
            break
    try:
        yield port, "".join(lines)
    finally:
        proc.terminate()
        proc.wait(10)


def test_embedded_default_prints_demo_urls(embedded: tuple[int, str]) -> None:
    port, banner = embedded
    assert "(memory store)" in banner
    code = re.search(r"demo event ([A-Z0-9]{6})", banner)
    key = re.search(r"presenter\s+\S+/presenter#event=\w+&key=(\S+)", banner)
    assert code and key, banner
    assert f"http://localhost:{port}/?event={code.group(1)}" in banner
    assert f"http://localhost:{port}/screen?event={code.group(1)}" in banner
    info = requests.get(f"http://127.0.0.1:{port}/api/events/{code.group(1)}", timeout=5)
    assert info.json() == {"code": code.group(1), "title": "Plenary demo"}
    # The demo comes with draft polls ready to open; the printed key is the presenter key.
    export = requests.get(
        f"http://127.0.0.1:{port}/api/events/{code.group(1)}/export",
        headers={"Authorization": f"Bearer {key.group(1)}"},
        timeout=5,
    ).json()
    assert [p["kind"] for p in export["polls"]] == ["single", "wordcloud", "rating"]
    assert {p["status"] for p in export["polls"]} == {"draft"}
    health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
    assert (health["status"], health["store"]) == ("ok", "memory")
    assert health["process"].startswith("proc_")


def test_create_event_command() -> None:
    server = ServerProcess(None).start()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "plenary",
                "create-event",
                "Keynote",
                "--server",
                server.url,
                "--admin-token",
                ADMIN_TOKEN,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        assert body["title"] == "Keynote" and len(body["code"]) == 6
        wrong = subprocess.run(
            [
                sys.executable,
                "-m",
                "plenary",
                "create-event",
                "X",
                "--server",
                server.url,
                "--admin-token",
                "nope",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert wrong.returncode == 1 and "bad_key" in wrong.stderr
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--workers", "2"], "several workers must share state"),
        (["--redis-max-connections", "0"], "--redis-max-connections must be at least 1"),
    ],
)
def test_serve_refuses_impossible_settings(flags: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plenary", "serve", "--port", str(free_port()), *flags],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


async def test_a_shutdown_step_that_hangs_does_not_hold_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """app.stop_within: a step that never finishes is given up on after its time, with a
    warning naming it, and the shutdown goes on."""
    import asyncio

    from plenary.app import stop_within

    done: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def quick() -> None:
        done.append("quick")

    with caplog.at_level("WARNING"):
        await stop_within("stuck part", hangs, 0.05)
        await stop_within("quick part", quick, 0.05)
    assert done == ["quick"]
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "shutdown: stuck part did not stop within 0.05 s; going on"
    ]
