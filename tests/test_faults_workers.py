"""Fault runs with real processes: two workers on one real Redis while attendees keep
connecting (each of a few loops
connecting one every 60 ms), through rolling restarts (SIGHUP), killed workers
(SIGKILL) and a Redis restart. After every round, every connected client must receive
the next broadcasts, whichever worker sends them: no worker may be left deaf to the
event. The workers' log must hold no ERROR line (an expected outage is a warning).

Short by default (CI); ``./scripts/dev faults`` runs more rounds
(``PLENARY_FAULT_ROUNDS``). Seeded by ``PLENARY_FAULT_SEED``."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio

from plenary.supervisor import MAX_RESTARTS, RESTART_WINDOW_S
from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import create_event_sync
from tests.support.workers import Workers

pytestmark = [pytest.mark.redis, pytest.mark.faults]

ROUNDS = int(os.environ.get("PLENARY_FAULT_ROUNDS", "2"))
SEED = int(os.environ.get("PLENARY_FAULT_SEED", "12"))
CONNECT_EVERY_S = 0.06
#: Loops that each connect an attendee every CONNECT_EVERY_S.
CONNECTORS = int(os.environ.get("PLENARY_FAULT_CONNECTORS", "2"))
#: Attendees kept connected at most: past it the oldest leaves as a new one comes (the
#: clients all live in this test process, which must not become the bottleneck).
CROWD = int(os.environ.get("PLENARY_FAULT_CROWD", "300"))
#: Kills at least this far apart: the supervisor gives up on workers that die more than
#: MAX_RESTARTS times in RESTART_WINDOW_S (by design; tests/test_workers.py).
KILL_SPACING_S = RESTART_WINDOW_S / MAX_RESTARTS + 1
PRESENTERS = 3
#: How long a broadcast may take to reach every client (generous: a shared 2-core box).
DELIVERY_TIMEOUT_S = 15.0


@pytest.fixture
def aof_redis() -> Iterator[RedisProcess]:
    proc = RedisProcess(aof=True).start()
    yield proc
    proc.cleanup()


class Crowd:
    """The presenters and attendees of one event on the workers, growing while a fault
    happens."""

    def __init__(self, workers: Workers, code: str, key: str, rng: random.Random) -> None:
        self.workers = workers
        self.code = code
        self.key = key
        self.rng = rng
        self.presenters: list[clients.Client] = []
        self.attendees: list[clients.Client] = []
        self.refusals = 0
        self.left = 0
        self.last_kill = 0.0

    async def add_attendee(self) -> None:
        """Connect one more attendee; a refused connection (``unavailable`` while a
        worker cannot listen yet, or a worker that just died) is retried, as pages do."""
        refused: list[str] = []
        for _ in range(100):
            # A fresh client each time, as a reloaded page: a refused one may have a
            # reconnection of its own under way, and would then answer "Already
            # connected" to every later try.
            client = clients.Client(
                self.workers.url,
                {"event": self.code, "role": "attendee", "name": f"A{len(self.attendees)}"},
                reconnection=True,
            )
            try:
                await client.connect()
                break
            except socketio.exceptions.ConnectionError as exc:
                self.refusals += 1
                refused.append(str(exc))
                await client.sio.shutdown()  # stops a reconnection it may have begun
                await asyncio.sleep(0.1 + self.rng.random() * 0.2)
        else:
            reasons = Counter(refused).most_common(3)
            raise AssertionError(f"an attendee could not connect in 100 tries: {reasons}")
        self.attendees.append(client)
        if len(self.attendees) > CROWD:
            self.left += 1
            await self.attendees.pop(0).disconnect()

    async def keep_connecting(self, stop: asyncio.Event) -> None:
        pending: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            pending.add(asyncio.create_task(self.add_attendee()))
            await asyncio.sleep(CONNECT_EVERY_S)
        await asyncio.gather(*pending)

    async def everyone_connected(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        for client in [*self.presenters, *self.attendees]:
            while not (client.sio.connected and client.received["welcome"]):
                assert time.monotonic() < deadline, "a client did not reconnect"
                await asyncio.sleep(0.1)

    async def check_broadcasts(self, label: str) -> None:
        """Each presenter (on whichever worker it is) opens and closes a poll; every
        client must receive both messages."""
        for n, presenter in enumerate(self.presenters):
            created = await presenter.call_until_acked(
                "poll:create",
                {"question": f"{label} #{n}", "kind": "single", "options": ["a", "b"]},
            )
            poll_id = created["poll"]["id"]
            for verb, message in (("poll:open", "poll:opened"), ("poll:close", "poll:closed")):
                assert (await presenter.call_until_acked(verb, {"poll_id": poll_id}))["ok"]
                await self._all_receive(message, poll_id, label)

    async def _all_receive(self, message: str, poll_id: str, label: str) -> None:
        everyone = [*self.presenters, *self.attendees]

        async def gets(client: clients.Client) -> bool:
            try:
                await client.wait_for(
                    message, lambda m: m["poll"]["id"] == poll_id, DELIVERY_TIMEOUT_S
                )
                return True
            except TimeoutError:
                return False

        got = await asyncio.gather(*(gets(c) for c in everyone))
        deaf = got.count(False)
        assert deaf == 0, f"{label}: {deaf} of {len(everyone)} clients never got {message}"

    async def close(self) -> None:
        await asyncio.gather(*(c.disconnect() for c in [*self.presenters, *self.attendees]))


def log_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if raw.strip():
            lines.append(json.loads(raw))  # every line of the JSON log is JSON
    return lines


async def wait_replaced(workers: Workers, before: set[int], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while True:
        now = {p.pid for p in workers.worker_processes()}
        if len(now) == workers.count and not now & before:
            break
        assert time.monotonic() < deadline, "the workers were not replaced"
        await asyncio.sleep(0.2)
    await asyncio.to_thread(workers.wait_ready)


async def fault(
    kind: str, workers: Workers, redis: RedisProcess, rng: random.Random, crowd: Crowd
) -> None:
    if kind == "rolling":
        before = {p.pid for p in workers.worker_processes()}
        workers.proc.send_signal(signal.SIGHUP)
        await wait_replaced(workers, before)
    elif kind == "kill":
        await asyncio.sleep(max(0.0, crowd.last_kill + KILL_SPACING_S - time.monotonic()))
        crowd.last_kill = time.monotonic()
        victim = rng.choice(workers.worker_processes())
        os.kill(victim.pid, signal.SIGKILL)
        await wait_replaced(workers, {victim.pid})
    else:  # a Redis restart (AOF on): every worker loses its pub/sub link
        redis.stop()
        await asyncio.sleep(1.0 + rng.random())
        redis.start()
    await asyncio.sleep(1.0)  # keep connecting to the new worker for a while


@pytest.mark.parametrize("kind", ["rolling", "kill", "redis-restart"])
async def test_no_worker_goes_deaf(kind: str, aof_redis: RedisProcess, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{kind}")
    log_path = tmp_path / "workers.log"
    # Every attendee comes from 127.0.0.1: lift the per-IP join limit (tested elsewhere),
    # which a long run's reconnect storms would otherwise reach.
    unlimited = {
        "PLENARY_JOINS_PER_SECOND_PER_IP": "100000",
        "PLENARY_JOINS_BURST_PER_IP": "100000",
    }
    workers = Workers(aof_redis.url, 2, log_path=log_path, demo=False, env=unlimited)
    crowd: Crowd | None = None
    try:
        await asyncio.to_thread(workers.wait_ready)
        event = await asyncio.to_thread(create_event_sync, workers.url)
        crowd = Crowd(workers, event["code"], event["presenter_key"], rng)
        crowd.presenters = [
            await clients.presenter(workers.url, crowd.code, crowd.key, reconnection=True)
            for _ in range(PRESENTERS)
        ]
        await crowd.check_broadcasts("before")
        for round_no in range(ROUNDS):
            stop = asyncio.Event()
            connecting = asyncio.gather(*(crowd.keep_connecting(stop) for _ in range(CONNECTORS)))
            await asyncio.sleep(0.5 + rng.random())
            await fault(kind, workers, aof_redis, rng, crowd)
            stop.set()
            await connecting
            await crowd.everyone_connected()
            await crowd.check_broadcasts(f"{kind} round {round_no}")
        assert len(crowd.attendees) + crowd.left >= 20 * ROUNDS
    finally:
        if crowd is not None:
            await crowd.close()
        if workers.proc.poll() is None:
            workers.stop()
    lines = log_lines(log_path)
    errors = [line for line in lines if line.get("level") in ("ERROR", "CRITICAL")]
    assert errors == [], errors[:3]
    if kind == "redis-restart":
        # One warning when the outage starts and one when it ends, per worker and
        # link, not one per failed operation.
        outage = [line for line in lines if "unreachable (" in str(line.get("msg"))]
        assert 0 < len(outage) <= 2 * 3 * ROUNDS + 2, [line["msg"] for line in outage]
