"""Per-process Redis pub/sub traffic with rooms: does a server process receive anything
for the rooms none of its clients are in?

It starts a redis-server and ``--processes`` ``plenary serve`` processes on this machine,
and runs three phases with real Socket.IO clients (python-socketio over websockets),
each on a fresh event with ``--attendees`` attendees:

1. **rooms, pinned**: ``--rooms`` rooms (the main room and breakouts; default one per
   process); the attendees and the presenter of room *k* are all on process *k* modulo
   the processes. A poll opens in every room at once, everyone votes (over ~2 s), every
   poll closes.
2. **rooms, spread**: the same rooms and polls, but each room's attendees are spread
   over every process (what a load balancer without room affinity does).
3. **one room** (the baseline): everyone in the main room, spread over every process,
   one poll.

While the polls run (after everyone joined, before anyone leaves, so no process
subscribes or unsubscribes meanwhile), it counts per process the pub/sub messages the
process received (its ``plenary_pubsub_messages_total{direction="in"}``), the bytes the
kernel delivered on its pub/sub socket (``ss``'s ``bytes_received``) and its CPU time.
A tap (``PSUBSCRIBE plenary*``) sees every message published, with its channel, so for
each process it computes what it should have received (the messages of the channels of
the rooms it has clients in, and of the shared ``plenary`` channel), what came for rooms
it has no client in (received minus that: must be 0), and what python-socketio's stock
``AsyncRedisManager`` would have delivered (one channel for everything: every message
to every process). The phase also checks the polls: exact tallies per room (close ack =
votes = the room's export) and that no attendee received a message of another room's
poll.

    .venv/bin/python -m bench.rooms_traffic [--processes 4] [--rooms 4] [--attendees 400]
        [--out rooms-traffic.md] [--plot rooms-traffic.png] [--json rooms-traffic.json]

It prints the tables (markdown) and exits 1 if a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
import redis.asyncio
import socketio
from loadtests.servers import Deployment, http_json

from plenary.realtime.wire.redis_manager import CHANNEL, event_channel
from plenary.scopes import MAIN_ROOM, scope

#: the simulated clients all come from 127.0.0.1: raise the per-IP limits of joins and of
#: REST lookups (adding rooms and exporting them are lookups of the join code)
SERVER_ENV = {
    "PLENARY_JOINS_PER_SECOND_PER_IP": "1000000",
    "PLENARY_JOINS_BURST_PER_IP": "1000000",
    "PLENARY_LOOKUPS_PER_SECOND_PER_IP": "1000",
    "PLENARY_LOOKUPS_BURST_PER_IP": "1000",
}
OPTIONS = ("a", "b", "c")
#: seconds of quiet before a snapshot (presence is sent at most once a second, and a
#: process may correct what it told on its next heartbeat)
SETTLE_S = 2.5
VOTE_SPREAD_S = 2.0
#: bytes a pub/sub socket may receive besides messages: redis-py's health-check PING
#: replies (one per 10 s of silence, 22 bytes each) and (un)subscribe confirmations
BYTES_SLACK = 256
WAIT_S = 30.0
IN_METRIC = 'plenary_pubsub_messages_total{direction="in"}'
OUT_METRIC = 'plenary_pubsub_messages_total{direction="out"}'


def say(message: str) -> None:
    sys.stderr.write(f"[rooms-traffic] {message}\n")
    sys.stderr.flush()


# -- what crosses Redis -----------------------------------------------------------------
def frame_bytes(channel: str, payload: int) -> int:
    """Bytes of one pub/sub ``message`` push (RESP2) for a subscriber of ``channel``:
    ``*3 $7 message $<channel> $<payload>``."""

    def bulk(n: int) -> int:
        return 1 + len(str(n)) + 2 + n + 2

    return 4 + bulk(len("message")) + bulk(len(channel.encode())) + bulk(payload)


class Tap:
    """Every message published on ``plenary*`` while it runs, with its channel and size
    (a pattern subscription: it does not count in ``PUBSUB NUMSUB``)."""

    def __init__(self, url: str) -> None:
        self.client = redis.asyncio.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.messages: list[tuple[str, int]] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.pubsub.psubscribe(f"{CHANNEL}*")
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self.pubsub.get_message(timeout=1.0)
            if message is not None and message.get("type") == "pmessage":
                channel = message["channel"].decode()
                self.messages.append((channel, len(message["data"])))

    def mark(self) -> int:
        return len(self.messages)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.pubsub.aclose()
        await self.client.aclose()


# -- each server process ---------------------------------------------------------------
def metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def ports_of(pid: int) -> set[int]:
    """The local TCP ports of process ``pid``'s connections."""
    return {c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp") if c.laddr}


def pubsub_ports(client: redis.Redis) -> set[int]:
    """Client ports of Redis connections subscribed to a channel (the servers' pub/sub
    links; the tap has a pattern only)."""
    ports = set()
    for entry in client.client_list():
        if int(entry.get("sub", 0)) > 0:
            ports.add(int(str(entry["addr"]).rsplit(":", 1)[1]))
    return ports


def received_bytes(redis_port: int) -> dict[int, int] | None:
    """Local port -> bytes the kernel received on each established connection to Redis
    (``ss``'s tcp_info), or None without ``ss``."""
    if shutil.which("ss") is None:
        return None
    text = subprocess.run(
        ["ss", "-tinH", "state", "established", "(", "dport", "=", f":{redis_port}", ")"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out: dict[int, int] = {}
    port = None
    for line in text.splitlines():
        addresses = re.findall(r"(\S+):(\d+)", line) if not line.startswith((" ", "\t")) else []
        if len(addresses) >= 2:
            port = int(addresses[0][1])
            out[port] = 0
            continue
        found = re.search(r"bytes_received:(\d+)", line)
        if found and port is not None:
            out[port] = int(found.group(1))
    return out


@dataclass
class Snapshot:
    at: float
    tap: int
    cpu: list[float]
    pubsub_in: list[float]
    pubsub_out: list[float]
    #: per process: bytes received on its pub/sub socket so far (None: unknown)
    pubsub_bytes: list[int | None]


def snapshot(deployment: Deployment, client: redis.Redis, tap: Tap, port: int) -> Snapshot:
    processes = deployment.server_processes()
    sockets = received_bytes(port)
    subscribed = pubsub_ports(client)
    byte_counts: list[int | None] = []
    for process in processes:
        mine = ports_of(process.pid) & subscribed
        if sockets is None or len(mine) != 1:
            byte_counts.append(None)
        else:
            byte_counts.append(sockets.get(mine.pop(), 0))
    return Snapshot(
        at=time.perf_counter(),
        tap=tap.mark(),
        cpu=[sum(p.cpu_times()[:2]) for p in processes],
        pubsub_in=[metric(u, IN_METRIC) for u in deployment.urls],
        pubsub_out=[metric(u, OUT_METRIC) for u in deployment.urls],
        pubsub_bytes=byte_counts,
    )


# -- the clients ------------------------------------------------------------------------
@dataclass
class Person:
    """A connected attendee: its room and the polls it heard of."""

    client: socketio.AsyncClient
    room: str
    process: int
    heard: set[str] = field(default_factory=set)
    opened: asyncio.Event = field(default_factory=asyncio.Event)


async def connect(url: str, auth: dict[str, Any]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    welcomed = asyncio.Event()
    client.on("welcome", lambda _: welcomed.set())
    await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT_S)
    await asyncio.wait_for(welcomed.wait(), WAIT_S)
    return client


async def join(url: str, code: str, room: str, name: str, process: int) -> Person:
    client = socketio.AsyncClient(reconnection=False)
    person = Person(client, room, process)
    welcomed = asyncio.Event()

    def heard(poll_id: Any) -> None:
        person.heard.add(str(poll_id))

    async def on_poll(data: Any) -> None:
        heard((data.get("poll") or {}).get("id"))

    async def on_opened(data: Any) -> None:
        await on_poll(data)
        person.opened.set()

    async def on_results(data: Any) -> None:
        heard(data.get("poll_id"))

    client.on("welcome", lambda _: welcomed.set())
    client.on("poll:opened", on_opened)
    client.on("poll:revealed", on_poll)
    client.on("poll:closed", on_poll)
    client.on("poll:results", on_results)
    auth = {"event": code, "role": "attendee", "name": name, "room": room}
    await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT_S)
    await asyncio.wait_for(welcomed.wait(), WAIT_S)
    return person


# -- one phase --------------------------------------------------------------------------
@dataclass
class Layout:
    """Where each room's people are: room index -> server processes of its attendees
    (round-robin over them), and the process of its presenter."""

    name: str
    rooms: int
    attendees: list[list[int]]
    presenters: list[int]


@dataclass
class ProcessFigures:
    process: int
    rooms_here: list[str]
    received: int
    expected: int
    foreign: int
    other_rooms_published: int
    single_channel: int
    published: int
    bytes_received: int | None
    bytes_expected: int
    bytes_single_channel: int
    cpu_s: float


@dataclass
class PhaseResult:
    name: str
    attendees: int
    rooms: int
    seconds: float
    messages_published: int
    bytes_published: int
    by_channel: dict[str, int]
    subscribers: dict[str, int]
    processes: list[ProcessFigures]
    tallies: dict[str, dict[str, int | None]]
    isolation: dict[str, int]
    checks: list[tuple[str, bool, str]]

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


async def run_phase(
    deployment: Deployment,
    client: redis.Redis,
    tap: Tap,
    redis_port: int,
    layout: Layout,
    attendees: int,
) -> PhaseResult:
    urls = deployment.urls
    event = deployment.create_event(f"Rooms traffic: {layout.name}")
    code, key = event["code"], event["presenter_key"]
    rooms = [MAIN_ROOM]
    for i in range(1, layout.rooms):
        created = http_json(
            "POST", f"{urls[0]}/api/events/{code}/rooms", key, {"title": f"Breakout {i}"}
        )
        rooms.append(str(created["room"]["id"]))
    channels = {room: event_channel(scope(code, room)) for room in rooms}
    # Short names for the tables: main, B1, B2, ... (breakout k is the k-th room added).
    label = {room: "main" if i == 0 else f"B{i}" for i, room in enumerate(rooms)}
    say(f"{layout.name}: event {code}, {len(rooms)} room(s); {attendees} attendees joining")

    presenters = [
        await connect(
            urls[layout.presenters[r]],
            {"event": code, "role": "presenter", "key": key, "room": room},
        )
        for r, room in enumerate(rooms)
    ]
    plan = []
    for i in range(attendees):
        r = i % len(rooms)
        where = layout.attendees[r]
        plan.append((rooms[r], where[(i // len(rooms)) % len(where)]))
    people: list[Person] = []
    for start in range(0, attendees, 50):
        batch = plan[start : start + 50]
        people += await asyncio.gather(
            *(
                join(urls[p], code, room, f"{layout.name[:1]}{start + j}", p)
                for j, (room, p) in enumerate(batch)
            )
        )
    here: list[set[str]] = [set() for _ in urls]
    for person in people:
        here[person.process].add(person.room)
    for r, room in enumerate(rooms):
        here[layout.presenters[r]].add(room)
    await asyncio.sleep(SETTLE_S)  # presence settles: nothing is published meanwhile

    before = snapshot(deployment, client, tap, redis_port)
    numsub = dict(client.pubsub_numsub(*channels.values()))
    subscribers = {
        k.decode() if isinstance(k, bytes) else str(k): int(v) for k, v in numsub.items()
    }
    say(f"{layout.name}: everyone in; a poll opens in {len(rooms)} room(s) at once")
    created = await asyncio.gather(
        *(
            p.call("poll:create", {"question": "Q", "kind": "single", "options": list(OPTIONS)})
            for p in presenters
        )
    )
    polls = [str(c["poll"]["id"]) for c in created]
    room_of = dict(zip(polls, rooms, strict=True))
    await asyncio.gather(
        *(p.call("poll:open", {"poll_id": poll}) for p, poll in zip(presenters, polls, strict=True))
    )
    await asyncio.gather(
        *(
            p.call("poll:reveal", {"poll_id": poll})
            for p, poll in zip(presenters, polls, strict=True)
        )
    )
    await asyncio.wait_for(asyncio.gather(*(p.opened.wait() for p in people)), WAIT_S)
    poll_in = dict(zip(rooms, polls, strict=True))
    votes: Counter[str] = Counter()

    async def vote(i: int, person: Person) -> None:
        await asyncio.sleep((i % 20) * VOTE_SPREAD_S / 20)
        ack = await person.client.call(
            "poll:vote",
            {"poll_id": poll_in[person.room], "choice": OPTIONS[i % 3], "vote_id": f"v{i}"},
            timeout=WAIT_S,
        )
        if isinstance(ack, dict) and ack.get("ok"):
            votes[person.room] += 1

    say(f"{layout.name}: {attendees} attendees vote over {VOTE_SPREAD_S:g} s")
    await asyncio.gather(*(vote(i, p) for i, p in enumerate(people)))
    await asyncio.sleep(0.5)  # the last coalesced results
    closed = await asyncio.gather(
        *(
            p.call("poll:close", {"poll_id": poll})
            for p, poll in zip(presenters, polls, strict=True)
        )
    )
    await asyncio.sleep(SETTLE_S)
    after = snapshot(deployment, client, tap, redis_port)
    say(f"{layout.name}: polls closed; checking and leaving")

    tallies: dict[str, dict[str, int | None]] = {}
    for room, poll, ack in zip(rooms, polls, closed, strict=True):
        export = http_json("GET", f"{urls[0]}/api/events/{code}/rooms/{room}/export", key)
        items: list[dict[str, Any]] = export.get("polls", [])
        exported = next((item for item in items if item["id"] == poll), {})
        tallies[label[room]] = {
            "attendees": sum(1 for p in people if p.room == room),
            "votes_acked": votes[room],
            "close_total": int(ack["results"]["total"]),
            "export_total": (exported.get("results") or {}).get("total"),
        }
    foreign = sum(1 for p in people for poll in p.heard if room_of.get(poll) != p.room)
    isolation = {
        "attendees": len(people),
        "heard_own_poll": sum(1 for p in people if poll_in[p.room] in p.heard),
        "foreign_polls": foreign,
    }
    for c in [*people, *presenters]:
        await (c.client if isinstance(c, Person) else c).disconnect()
    await asyncio.sleep(SETTLE_S)

    window = tap.messages[before.tap : after.tap]
    by_channel: Counter[str] = Counter(channel for channel, _ in window)
    figures = []
    for i in range(len(urls)):
        mine = {CHANNEL} | {channels[room] for room in here[i]}
        own = [(c, n) for c, n in window if c in mine]
        received = int(after.pubsub_in[i] - before.pubsub_in[i])
        b0, b1 = before.pubsub_bytes[i], after.pubsub_bytes[i]
        figures.append(
            ProcessFigures(
                process=i,
                rooms_here=[label[room] for room in sorted(here[i], key=rooms.index)],
                received=received,
                expected=len(own),
                foreign=received - len(own),
                other_rooms_published=len(window) - len(own),
                single_channel=len(window),
                published=int(after.pubsub_out[i] - before.pubsub_out[i]),
                bytes_received=None if b0 is None or b1 is None else b1 - b0,
                bytes_expected=sum(frame_bytes(c, n) for c, n in own),
                bytes_single_channel=sum(frame_bytes(CHANNEL, n) for _, n in window),
                cpu_s=after.cpu[i] - before.cpu[i],
            )
        )
    checks = [
        (
            "exact tally in every room (votes = close = the room's export)",
            all(
                t["attendees"] == t["votes_acked"] == t["close_total"] == t["export_total"]
                for t in tallies.values()
            ),
            "; ".join(
                f"{room}: {t['votes_acked']}/{t['close_total']}/{t['export_total']}"
                for room, t in tallies.items()
            ),
        ),
        (
            "every attendee got its room's poll, none another room's",
            isolation["heard_own_poll"] == len(people) and foreign == 0,
            f"{isolation['heard_own_poll']}/{len(people)} got theirs, {foreign} foreign",
        ),
        (
            "each process received exactly its rooms' messages (none for other rooms)",
            all(f.foreign == 0 for f in figures),
            ", ".join(f"process {f.process}: {f.received}/{f.expected}" for f in figures),
        ),
    ]
    if all(f.bytes_received is not None for f in figures):
        checks.append(
            (
                "its pub/sub socket's bytes are its rooms' messages' (within "
                f"{BYTES_SLACK} B of health-check PINGs)",
                all(
                    abs((f.bytes_received or 0) - f.bytes_expected) <= BYTES_SLACK for f in figures
                ),
                ", ".join(
                    f"process {f.process}: {f.bytes_received}/{f.bytes_expected} B" for f in figures
                ),
            )
        )
    return PhaseResult(
        name=layout.name,
        attendees=attendees,
        rooms=len(rooms),
        seconds=after.at - before.at,
        messages_published=len(window),
        bytes_published=sum(n for _, n in window),
        by_channel={label.get(_room_of(c, channels) or "", c): n for c, n in by_channel.items()},
        subscribers={label[room]: subscribers.get(c, 0) for room, c in channels.items()},
        processes=figures,
        tallies=tallies,
        isolation=isolation,
        checks=checks,
    )


def _room_of(channel: str, channels: dict[str, str]) -> str | None:
    return next((room for room, c in channels.items() if c == channel), None)


# -- reporting --------------------------------------------------------------------------
def kib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.1f}"


def _rooms(here: list[str], rooms: int) -> str:
    if rooms > 1 and len(here) == rooms:
        return f"all {rooms}"
    return ", ".join(here) or "-"


def _numsub(subscribers: dict[str, int]) -> str:
    counts = set(subscribers.values())
    if len(counts) == 1 and len(subscribers) > 1:
        return f"{counts.pop()} on each of the {len(subscribers)}"
    return ", ".join(f"{room} {n}" for room, n in subscribers.items())


def table(phase: PhaseResult) -> str:
    lines = [
        f"### {phase.name}",
        "",
        f"{phase.attendees} attendees in {phase.rooms} room(s), polls open to closed "
        f"{phase.seconds:.1f} s. Published on Redis meanwhile: {phase.messages_published} "
        f"messages ({kib(phase.bytes_published)} KiB of payload); processes subscribed to "
        "each room's channel: " + _numsub(phase.subscribers) + ".",
        "",
        "| process | rooms with clients here | pub/sub messages received | of them for rooms "
        "with no client here | KiB received on its pub/sub socket (its rooms' messages) | "
        "with one shared channel: messages / KiB | CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in phase.processes:
        lines.append(
            f"| {f.process} | {_rooms(f.rooms_here, phase.rooms)} | {f.received} | {f.foreign} | "
            f"{kib(f.bytes_received)} ({kib(f.bytes_expected)}) | {f.single_channel} / "
            f"{kib(f.bytes_single_channel)} | {f.cpu_s:.2f} |"
        )
    lines.append("")
    for name, ok, detail in phase.checks:
        lines.append(f"- [{'ok' if ok else 'FAIL'}] {name}: {detail}")
    return "\n".join(lines) + "\n"


def summary(phases: list[PhaseResult]) -> str:
    pinned = phases[0]
    lines = ["### Comparison", "", "| per process, mean | " + " | ".join(p.name for p in phases)]
    lines[-1] += " | rooms, pinned, with one shared channel |"
    lines.append("|---|" + "---|" * (len(phases) + 1))

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    rows = [
        ("pub/sub messages received", lambda f: f.received, lambda f: f.single_channel),
        (
            "KiB received on the pub/sub socket",
            lambda f: (f.bytes_received or 0) / 1024,
            lambda f: f.bytes_single_channel / 1024,
        ),
        (
            "messages for rooms with no client here",
            lambda f: f.foreign,
            lambda f: f.single_channel - f.expected,
        ),
    ]
    for label, get, single in rows:
        cells = [f"{mean([get(f) for f in p.processes]):.1f}" for p in phases]
        cells.append(f"{mean([single(f) for f in pinned.processes]):.1f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(phases: list[PhaseResult], path: Path) -> None:
    """Per process: messages and KiB received in each phase, and what one shared
    channel would have delivered in the pinned phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pinned = phases[0]
    processes = [f.process for f in pinned.processes]
    series = [(p.name, p.processes, False) for p in phases]
    series.append(("rooms, pinned, one shared channel (computed)", pinned.processes, True))
    fig, (ax_msg, ax_kib) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(series)
    for s, (label, figures, single) in enumerate(series):
        xs = [x + (s - (len(series) - 1) / 2) * width for x in processes]
        msgs = [f.single_channel if single else f.received for f in figures]
        kibs = [
            (f.bytes_single_channel if single else (f.bytes_received or 0)) / 1024 for f in figures
        ]
        hatch = "//" if single else None
        ax_msg.bar(xs, msgs, width, label=label, hatch=hatch, fill=not single)
        ax_kib.bar(xs, kibs, width, label=label, hatch=hatch, fill=not single)
    for ax, title in (
        (ax_msg, "pub/sub messages received per process"),
        (ax_kib, "KiB received on each process's pub/sub socket"),
    ):
        ax.set_xticks(processes, [f"process {p}" for p in processes])
        ax.set_title(title)
    handles, labels = ax_msg.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(series), fontsize=8)
    fig.suptitle(
        f"{pinned.attendees} attendees, {pinned.rooms} rooms, a poll in each: pinned rooms "
        "receive only their own traffic"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


# -- main -------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> list[PhaseResult]:
    n = args.processes
    deployment = Deployment(mode="redis", processes=n, log_dir=Path(args.work_dir), env=SERVER_ENV)
    say(f"starting redis-server and {n} plenary processes")
    deployment.start(say=say)
    tap = None
    try:
        assert deployment.redis_url is not None
        client = redis.Redis.from_url(deployment.redis_url)
        redis_port = int(deployment.redis_url.rsplit(":", 1)[1].split("/")[0])
        tap = Tap(deployment.redis_url)
        await tap.start()
        everywhere = list(range(n))
        rooms = args.rooms or n
        home = [r % n for r in range(rooms)]
        layouts = [
            Layout("rooms, pinned", rooms, [[p] for p in home], home),
            Layout("rooms, spread", rooms, [everywhere] * rooms, home),
            Layout("one room", 1, [everywhere], [0]),
        ]
        phases = []
        for layout in layouts:
            phase = await run_phase(deployment, client, tap, redis_port, layout, args.attendees)
            for name, ok, detail in phase.checks:
                say(f"{layout.name}: [{'ok' if ok else 'FAIL'}] {name}: {detail}")
            phases.append(phase)
        return phases
    finally:
        if tap is not None:
            await tap.stop()
        deployment.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--processes", type=int, default=4, help="server processes (2-8)")
    parser.add_argument(
        "--rooms",
        type=int,
        default=0,
        help="rooms, the main one included (default: one per process); room k is on "
        "process k modulo --processes when pinned",
    )
    parser.add_argument("--attendees", type=int, default=400)
    parser.add_argument("--out", type=Path, help="write the tables to this markdown file")
    parser.add_argument("--plot", type=Path, help="write the plot here (default: work dir)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--work-dir", default="reports/rooms-traffic")
    args = parser.parse_args(argv)
    if not 2 <= args.processes <= 8:
        parser.error("--processes must be 2 to 8")
    if args.rooms and not args.processes <= args.rooms <= 100:
        parser.error("--rooms must be from --processes to 100")
    if args.attendees < max(args.processes, args.rooms):
        parser.error("--attendees must be at least one per room")
    phases = asyncio.run(main_async(args))
    text = "\n".join([*(table(p) for p in phases), summary(phases)])
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text)
    plot_path = args.plot or Path(args.work_dir) / "rooms-traffic.png"
    plot(phases, plot_path)
    say(f"plot: {plot_path}")
    if args.json:
        args.json.write_text(
            json.dumps([{**asdict(p), "ok": p.ok} for p in phases], indent=1, default=str)
        )
    failed = [(p.name, name) for p in phases for name, ok, _ in p.checks if not ok]
    for phase_name, name in failed:
        say(f"FAILED in {phase_name}: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
