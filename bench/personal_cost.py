"""What a batch of personal messages costs the server against one broadcast, with the
receivers taken out: the café round's 1,000 assignments (issue 17) built and framed as
the server does it (``round_sheet`` once, then ``assignments_from_sheet`` and
``stamped_frames`` per person), and the socket writes, on real loopback TCP connections
drained by a reader process.

Six ways of sending N frames, interleaved, each repeated ``--repeat`` times:

- *one frame to every socket*: a broadcast's writing (the baseline);
- *a frame of its own to every socket*, built beforehand: does a distinct frame cost
  more to write than the same one?
- *built and framed, not written*: the per-person work alone;
- *built, framed and written*, one by one, and in batches of the server's
  ``WRITE_BATCH``: does the order of building and writing matter?
- *all built, then all written*: what a round's delivery costs the server (the server
  builds a batch's frames before writing the first).

The last over the first is the floor of the café's "round against one broadcast" ratio
on this machine (bench/cafe_fanout.py measures it with the receivers, who add the same
time to both). Figures in docs/performance.md.

    .venv/bin/python -m bench.personal_cost                 # 1,000 people, 30 repeats
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import selectors
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.cafe_seating import roster
from plenary.activities.cafe.domain import build_cafe
from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.rounds import RoundState, assignments_from_sheet, round_sheet
from plenary.realtime.wire.engine import WRITE_BATCH
from plenary.realtime.wire.frames import stamped_frames, text_frame

EVENT = "cafe:assignment"
BROADCAST = "one frame to every socket (a broadcast)"
ROUND = "all built, then all written (a round, as the server does it)"


def drain(port: int, count: int, ready: Any) -> None:
    """The reader process: ``count`` connections, read and discarded until closed."""
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    selector = selectors.DefaultSelector()
    for conn in conns:
        conn.setblocking(False)
        selector.register(conn, selectors.EVENT_READ)
    ready.set()
    open_ = count
    while open_:
        for key, _ in selector.select():
            try:
                if not key.fileobj.recv(1 << 16):  # type: ignore[union-attr]
                    selector.unregister(key.fileobj)
                    open_ -= 1
            except BlockingIOError:
                pass


class Sink(asyncio.Protocol):
    def __init__(self, transports: list[asyncio.Transport]) -> None:
        self.transports = transports

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transports.append(transport)


def the_round(people: int, tables: int) -> tuple[dict[str, Any], list[str]]:
    """A round's sheet for ``people`` (the seating benchmark's roster) at ``tables``
    tables, seated in turn; and everyone's id."""
    crowd = roster(people, seed=1)
    ids = [p.id for p in crowd]
    cards = {
        p.id: {
            "id": p.id,
            "name": f"Person {p.id}",
            "organisation": p.organisation,
            "country": p.country,
        }
        for p in crowd
    }
    settings = {"tables": tables, "rounds": 4, "round_s": 600, "topics": ["Energy", "Food"]}
    cafe = build_cafe("c_1", settings, CafeLimits(), 1000)
    seated = [ids[t::tables] for t in range(tables)]
    state = RoundState(number=1, tables=seated, started_at=1000, ends_at=601_000)
    return round_sheet(cafe, state, cards, "EVT234"), ids


def built(sheet: dict[str, Any], ids: list[str]) -> Iterator[bytes]:
    frame = stamped_frames(EVENT, int(time.time() * 1000))
    for _, cut in assignments_from_sheet(sheet, set(ids)):
        yield frame(*cut)


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    sheet, ids = the_round(args.people, args.tables)
    frames = list(built(sheet, ids))
    mean = sum(map(len, frames)) // len(frames)
    shared = text_frame(b"4" + b"x" * (mean - 5))  # a broadcast frame of the mean size
    transports: list[asyncio.Transport] = []
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Sink(transports), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ready = multiprocessing.Event()
    reader = multiprocessing.Process(target=drain, args=(port, len(ids), ready), daemon=True)
    reader.start()
    await asyncio.to_thread(ready.wait, 60)
    for _ in range(1000):  # the last connections' accepts
        if len(transports) >= len(ids):
            break
        await asyncio.sleep(0.01)
    if len(transports) < len(ids):
        raise SystemExit(f"only {len(transports)} of {len(ids)} connections came")

    def one_frame() -> None:
        for transport in transports:
            transport.write(shared)

    def own_frames() -> None:
        for transport, frame in zip(transports, frames, strict=True):
            transport.write(frame)

    def build_only() -> None:
        for _ in built(sheet, ids):
            pass

    def build_and_write() -> None:
        for transport, frame in zip(transports, built(sheet, ids), strict=True):
            transport.write(frame)

    def in_batches(size: int) -> Callable[[], None]:
        def write() -> None:
            batch: list[tuple[asyncio.Transport, bytes]] = []
            for transport, frame in zip(transports, built(sheet, ids), strict=True):
                batch.append((transport, frame))
                if len(batch) >= size:
                    for waiting, ready_frame in batch:
                        waiting.write(ready_frame)
                    batch.clear()
            for waiting, ready_frame in batch:
                waiting.write(ready_frame)

        return write

    ways: dict[str, Callable[[], None]] = {
        BROADCAST: one_frame,
        "a frame of its own to every socket, built before": own_frames,
        "built and framed, not written": build_only,
        "built, framed and written one by one": build_and_write,
        f"built in batches of {WRITE_BATCH}, each then written": in_batches(WRITE_BATCH),
        ROUND: in_batches(len(ids)),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for k in range(args.repeat):
        for name, way in ways.items():
            await asyncio.sleep(0.05)  # the reader empties the sockets
            started = time.perf_counter()
            way()
            times[name].append((time.perf_counter() - started) * 1000)
        print(f"[personal-cost] repeat {k + 1}/{args.repeat}", flush=True)
    for transport in transports:
        transport.close()
    server.close()
    await asyncio.to_thread(reader.join, 10)  # the loop runs meanwhile: the closes go out
    print(f"\n{len(ids)} people at {args.tables} tables; frames of {mean} bytes on average\n")
    return times


def table(times: dict[str, list[float]], people: int) -> str:
    lines = ["| | median (ms) | best (ms) | per message, median (µs) |", "|---|---|---|---|"]
    for name, runs in times.items():
        med = statistics.median(runs)
        lines.append(f"| {name} | {med:.2f} | {min(runs):.2f} | {med * 1000 / people:.1f} |")
    base = statistics.median(times[BROADCAST])
    full = statistics.median(times[ROUND])
    lines.append(f"\nA round's writing against a broadcast's (medians): {full / base:.2f}x")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--tables", type=int, default=104)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    times = asyncio.run(measure(args))
    print(table(times, args.people))


if __name__ == "__main__":
    main()
