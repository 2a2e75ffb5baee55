"""`plenary serve --workers N`: several processes on one port sharing one Redis; a worker
killed with SIGKILL mid-vote loses nothing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import psutil
import pytest

from tests.support import clients
from tests.support.ports import free_port
from tests.support.redis_proc import RedisProcess
from tests.support.server import create_event_sync
from tests.support.workers import Workers

pytestmark = pytest.mark.redis


@pytest.fixture
def workers(redis_proc: RedisProcess) -> Iterator[Workers]:
    redis_proc.flush()
    running = Workers(redis_proc.url, 2)
    running.wait_ready()
    yield running
    if running.proc.poll() is None:
        running.stop()


def test_workers_need_redis() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plenary", "serve", "--workers", "2", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "--redis-url" in result.stderr


def test_two_workers_share_the_port_and_stop_cleanly(workers: Workers) -> None:
    assert len(workers.processes_seen()) == 2
    pids = workers.worker_processes()
    assert len(pids) == 2
    assert workers.stop() == 0
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in pids)


async def test_sigkill_mid_vote_loses_nothing(workers: Workers) -> None:
    event = await asyncio.to_thread(create_event_sync, workers.url)
    code = event["code"]
    presenter = await clients.presenter(workers.url, code, event["presenter_key"], True)
    people = await asyncio.gather(
        *(clients.attendee(workers.url, code, f"P{i}", reconnection=True) for i in range(40))
    )
    ids_before = {p.welcome["attendee"]["id"] for p in people}
    created = await presenter.call_until_acked(
        "poll:create", {"question": "Survive?", "kind": "single", "options": ["x", "y", "z"]}
    )
    poll_id = created["poll"]["id"]
    assert (await presenter.call_until_acked("poll:open", {"poll_id": poll_id}))["ok"]
    rng = random.Random(4)
    plan = {i: rng.choice("abc") for i in range(len(people))}

    async def vote(i: int) -> dict:
        await asyncio.sleep(rng.random() * 1.5)
        return await people[i].call_until_acked(
            "poll:vote", {"poll_id": poll_id, "choice": plan[i], "vote_id": f"vote-{i}"}
        )

    voting = asyncio.gather(*(vote(i) for i in range(len(people))))
    await asyncio.sleep(0.5)
    victim = workers.worker_processes()[0]
    os.kill(victim.pid, signal.SIGKILL)
    acks = await voting
    assert all(ack["ok"] for ack in acks), acks
    closed = await presenter.call_until_acked("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {k: Counter(plan.values())[k] for k in "abc"}
    assert closed["results"]["total"] == 40
    # Everyone who was moved kept their identity.
    for p in people:
        assert p.welcome["attendee"]["id"] in ids_before
    assert len({p.welcome["attendee"]["id"] for p in people}) == 40
    assert any(len(p.received["welcome"]) > 1 for p in people), "someone was moved"
    # The supervisor replaced the killed worker.
    await asyncio.to_thread(workers.wait_ready)
    assert victim.pid not in [c.pid for c in workers.worker_processes()]
    for c in [presenter, *people]:
        await c.disconnect()


async def test_rolling_restart_mid_vote_loses_nothing(workers: Workers) -> None:
    event = await asyncio.to_thread(create_event_sync, workers.url)
    code = event["code"]
    presenter = await clients.presenter(workers.url, code, event["presenter_key"], True)
    people = await asyncio.gather(
        *(clients.attendee(workers.url, code, f"R{i}", reconnection=True) for i in range(30))
    )
    created = await presenter.call_until_acked(
        "poll:create", {"question": "Rolling?", "kind": "rating", "scale": 10}
    )
    poll_id = created["poll"]["id"]
    await presenter.call_until_acked("poll:open", {"poll_id": poll_id})
    before = {p.pid for p in workers.worker_processes()}
    rng = random.Random(9)
    plan = {i: rng.randint(1, 10) for i in range(len(people))}

    async def vote(i: int) -> dict:
        await asyncio.sleep(rng.random() * 4)
        return await people[i].call_until_acked(
            "poll:vote", {"poll_id": poll_id, "choice": plan[i], "vote_id": f"r-{i}"}
        )

    voting = asyncio.gather(*(vote(i) for i in range(len(people))))
    await asyncio.sleep(0.3)
    workers.proc.send_signal(signal.SIGHUP)
    acks = await voting
    assert all(ack["ok"] for ack in acks), acks
    deadline = time.monotonic() + 30
    while {p.pid for p in workers.worker_processes()} & before:
        assert time.monotonic() < deadline, "rolling restart did not replace every worker"
        await asyncio.sleep(0.2)
    assert len(workers.worker_processes()) == 2
    closed = await presenter.call_until_acked("poll:close", {"poll_id": poll_id})
    expected = Counter(str(v) for v in plan.values())
    assert closed["results"]["counts"] == {str(v): expected[str(v)] for v in range(1, 11)}
    assert closed["results"]["total"] == 30
    assert len({p.welcome["attendee"]["id"] for p in people}) == 30
    for c in [presenter, *people]:
        await c.disconnect()
