"""Cross-process traffic with Redis: 4 server processes, one event, real clients.

Measures, for a poll with every attendee voting, what crosses Redis (bytes in and out,
PUBLISH calls) and what each server process spends (CPU seconds, pub/sub messages it
received), then repeats with a second event whose attendees are on processes 0 and 1
only, to show that processes without clients of an event do not pay for it (one pub/sub
channel per event).

    .venv/bin/python -m bench.redis_traffic [--attendees 400] [--out docs/redis-traffic.md]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis
import socketio
from loadtests.servers import Deployment

PROCESSES = 4


def say(message: str) -> None:
    sys.stderr.write(f"[redis-traffic] {message}\n")
    sys.stderr.flush()


@dataclass
class Snapshot:
    redis_in: int
    redis_out: int
    publishes: int
    cpu: list[float]
    pubsub_in: list[float]
    pubsub_out: list[float]


def metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def snapshot(deployment: Deployment, client: redis.Redis) -> Snapshot:
    stats = client.info("stats")
    commands = client.info("commandstats")
    return Snapshot(
        redis_in=int(stats["total_net_input_bytes"]),
        redis_out=int(stats["total_net_output_bytes"]),
        publishes=int(commands.get("cmdstat_publish", {}).get("calls", 0)),
        cpu=[sum(p.cpu_times()[:2]) for p in deployment.server_processes()],
        pubsub_in=[
            metric(u, 'plenary_pubsub_messages_total{direction="in"}') for u in deployment.urls
        ],
        pubsub_out=[
            metric(u, 'plenary_pubsub_messages_total{direction="out"}') for u in deployment.urls
        ],
    )


async def run_poll(urls: list[str], event: dict[str, Any], attendees: int, label: str) -> float:
    """Join ``attendees`` spread over ``urls``, open a poll, everyone votes, close."""
    people: list[socketio.AsyncClient] = []
    opened = asyncio.Event()
    seen_open = 0

    async def join(i: int) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        welcomed = asyncio.Event()

        async def on_opened(_: Any) -> None:
            nonlocal seen_open
            seen_open += 1
            if seen_open == attendees:
                opened.set()

        client.on("welcome", lambda _: welcomed.set())
        client.on("poll:opened", on_opened)
        await client.connect(
            urls[i % len(urls)],
            auth={"event": event["code"], "role": "attendee", "name": f"{label}{i}"},
            transports=["websocket"],
        )
        await asyncio.wait_for(welcomed.wait(), 30)
        return client

    for start in range(0, attendees, 50):
        people += await asyncio.gather(*(join(i) for i in range(start, min(start + 50, attendees))))
    presenter = socketio.AsyncClient(reconnection=False)
    await presenter.connect(
        urls[0],
        auth={"event": event["code"], "role": "presenter", "key": event["presenter_key"]},
        transports=["websocket"],
    )
    created = await presenter.call(
        "poll:create", {"question": label, "kind": "single", "options": ["a", "b", "c"]}
    )
    poll_id = created["poll"]["id"]
    started = time.perf_counter()
    await presenter.call("poll:open", {"poll_id": poll_id})
    await asyncio.wait_for(opened.wait(), 30)

    async def vote(i: int, client: socketio.AsyncClient) -> None:
        await asyncio.sleep((i % 20) * 0.1)  # spread over 2 s
        ack = await client.call(
            "poll:vote",
            {"poll_id": poll_id, "choice": "abc"[i % 3], "vote_id": f"{label}-{i}"},
            timeout=30,
        )
        assert ack["ok"], ack

    await asyncio.gather(*(vote(i, c) for i, c in enumerate(people)))
    await asyncio.sleep(0.5)  # let the last coalesced results go out
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["total"] == attendees, closed
    elapsed = time.perf_counter() - started
    for client in [*people, presenter]:
        await client.disconnect()
    return elapsed


def diff(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    return {
        "redis_in_kb": (b.redis_in - a.redis_in) / 1024,
        "redis_out_kb": (b.redis_out - a.redis_out) / 1024,
        "publishes": b.publishes - a.publishes,
        "cpu": [y - x for x, y in zip(a.cpu, b.cpu, strict=True)],
        "pubsub_in": [y - x for x, y in zip(a.pubsub_in, b.pubsub_in, strict=True)],
        "pubsub_out": [y - x for x, y in zip(a.pubsub_out, b.pubsub_out, strict=True)],
    }


def table(title: str, d: dict[str, Any], attendees: int, elapsed: float) -> str:
    lines = [
        f"### {title}",
        "",
        f"{attendees} attendees, poll open to close {elapsed:.1f} s. Redis: "
        f"{d['redis_in_kb']:.0f} KiB in, {d['redis_out_kb']:.0f} KiB out, "
        f"{d['publishes']} PUBLISH calls.",
        "",
        "| process | CPU s | pub/sub messages received | published |",
        "|---|---|---|---|",
    ]
    for i in range(PROCESSES):
        lines.append(
            f"| {i} | {d['cpu'][i]:.2f} | {d['pubsub_in'][i]:.0f} | {d['pubsub_out'][i]:.0f} |"
        )
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> str:
    deployment = Deployment(mode="redis", processes=PROCESSES, log_dir=Path(args.work_dir))
    say(f"starting redis-server and {PROCESSES} plenary processes")
    deployment.start(say=say)
    try:
        assert deployment.redis_url is not None
        client = redis.Redis.from_url(deployment.redis_url)
        urls = deployment.urls
        first = deployment.create_event("Traffic A")
        second = deployment.create_event("Traffic B")
        say(f"phase 1: {args.attendees} attendees of one event over all {PROCESSES} processes")
        before = snapshot(deployment, client)
        elapsed_a = await run_poll(urls, first, args.attendees, "A")
        after_a = snapshot(deployment, client)
        say(f"phase 2: {args.attendees} attendees of another event on processes 0 and 1 only")
        elapsed_b = await run_poll(urls[:2], second, args.attendees, "B")
        after_b = snapshot(deployment, client)
        return "\n".join(
            [
                table(
                    f"One event, {PROCESSES} processes",
                    diff(before, after_a),
                    args.attendees,
                    elapsed_a,
                ),
                table(
                    "A second event with clients on processes 0 and 1 only",
                    diff(after_a, after_b),
                    args.attendees,
                    elapsed_b,
                ),
            ]
        )
    finally:
        deployment.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attendees", type=int, default=400)
    parser.add_argument("--out", type=Path, help="write the tables to this markdown file")
    parser.add_argument("--work-dir", default="reports/redis-traffic")
    args = parser.parse_args()
    tables = asyncio.run(main_async(args))
    sys.stdout.write(tables)
    if args.out:
        args.out.write_text(tables)
    psutil.Process()  # keep psutil imported for server_processes()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
