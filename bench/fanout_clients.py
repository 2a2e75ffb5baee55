"""The fan-out benchmark's client harness: many attendees per process, each a real
websocket speaking Engine.IO v4 / Socket.IO v5, with as little work per message as
possible so that the harness, not the server, is never what is measured.

One attendee is an ``asyncio.Protocol`` on a plain TCP connection: the websocket
handshake and framing are written out here (server frames are never masked; client
frames carry a zero masking key, which RFC 6455 allows a server to accept and every
server does), so a received message costs one ``data_received`` call, a few byte
comparisons and two ``array.append`` calls: no task, no future, no JSON parsing.
Latency is ``receipt time - ts`` (``ts`` is the server's send time in epoch ms, a field
of every server message).

A worker process owns a share of the attendees and obeys commands from the bench over
a ``multiprocessing`` pipe; its garbage collector is frozen and disabled while it
measures. Everything is bounded: every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import random
import re
import struct
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

HANDSHAKE_TIMEOUT_S = 30.0
ZERO_MASK = b"\x00\x00\x00\x00"
PONG = b"\x81\x81" + ZERO_MASK + b"3"
WELCOME = b'42["welcome"'
DIGITS = re.compile(rb"\d+")


def now_ms() -> float:
    return time.time() * 1000.0


def client_frame(text: bytes) -> bytes:
    """A masked client text frame (with the all-zero key, so the payload stays as is)."""
    n = len(text)
    if n < 126:
        return bytes((0x81, 0x80 | n)) + ZERO_MASK + text
    if n < 65536:
        return bytes((0x81, 0x80 | 126)) + struct.pack("!H", n) + ZERO_MASK + text
    return bytes((0x81, 0x80 | 127)) + struct.pack("!Q", n) + ZERO_MASK + text


def parse_ts(payload: bytes) -> float:
    """``ts`` of a server message: ``...,"ts":1764100000123...`` (the digits matched in C:
    a loop over them in Python cost twice as much, a microsecond a message)."""
    i = payload.rfind(b'"ts":')
    if i < 0:
        return -1.0
    digits = DIGITS.match(payload, i + 5)
    return float(digits.group()) if digits is not None else -1.0


@dataclass
class Samples:
    """Receipt samples of one event name: server ``ts`` and receipt time, epoch ms."""

    ts: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    recv: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    size: int = 0


class Attendee(asyncio.Protocol):
    """One websocket connection."""

    def __init__(self, worker: Worker, index: int, url: str, auth: dict[str, Any]) -> None:
        self.worker = worker
        self.index = index
        split = urlsplit(url)
        self.host = split.hostname or "127.0.0.1"
        self.port = split.port or 80
        self.auth = auth
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.upgraded = False
        self.welcomed: asyncio.Future[float] = worker.loop.create_future()
        self.started = 0.0
        self.next_ack = 0
        self.pending: dict[int, tuple[float, int]] = {}  # ack id -> (sent ms, vote tag)
        self.closed_by_server = False
        self.lost = False
        self.pings = 0
        self.vote_seq = 0

    # -- connection ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.transport.write(request.encode())  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(f"lost before welcome: {exc}"))

    def send_text(self, text: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(text))

    # -- receiving -------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        pos = 0
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.fail(f"handshake refused: {buf[:80]!r}")
                return
            self.upgraded = True
            pos = end + 4
        n = len(buf)
        while n - pos >= 2:
            b1 = buf[pos + 1] & 0x7F
            if b1 < 126:
                start = pos + 2
                length = b1
            elif b1 == 126:
                if n - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            else:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > n:
                break
            opcode = buf[pos] & 0x0F
            pos = end
            if opcode == 1:
                self.on_text(buf[start:end])
            elif opcode == 8:
                self.closed_by_server = True
                if self.transport is not None:
                    self.transport.close()
            # binary, ping and pong frames: the servers under test send none
        self.buf = buf[pos:] if pos < n else b""

    def on_text(self, p: bytes) -> float | None:
        """Takes one text frame; returns its receipt time (epoch ms) if it is an event
        (one clock reading a message, which subclasses reuse)."""
        c = p[0]
        if c == 52:  # "4": a Socket.IO packet
            kind = p[1]
            if kind == 50:  # "2": an event: 42["name",{...,"ts":N}]
                name = p[4 : p.index(b'"', 4)]
                t = self.worker.received(name, p)
                if name == b"welcome" and not self.welcomed.done():
                    self.welcomed.set_result(t)
                return t
            if kind == 51:  # "3": an ack: 43<id>[{...}]
                bracket = p.index(b"[", 2)
                self.worker.acked(self, int(p[2:bracket]), p[bracket + 1 : bracket + 12])
            elif kind == 48:  # "0": connected to the namespace
                pass
            elif kind == 52:  # "4": connect_error
                self.fail(f"connect refused: {p[:200]!r}")
        elif c == 50:  # "2": engine.io ping
            self.pings += 1
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(PONG)
        elif c == 48:  # "0": engine.io open -> connect to the namespace with auth
            self.send_text(b"40" + json.dumps(self.auth, separators=(",", ":")).encode())
        elif c == 49:  # "1": engine.io close
            self.closed_by_server = True
        return None

    def fail(self, why: str) -> None:
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.close()

    # -- sending ---------------------------------------------------------------------
    def emit(self, event: str, data: dict[str, Any], tag: int) -> None:
        """Send an event with an ack id and remember when."""
        self.next_ack += 1
        ack = self.next_ack
        body = json.dumps([event, data], separators=(",", ":")).encode()
        self.pending[ack] = (now_ms(), tag)
        self.send_text(b"42" + str(ack).encode() + body)


class Person(Attendee):
    """An attendee that remembers its own id (from its ``welcome``): the per-activity
    benchmarks check each person's messages against what the presenter's ack lists."""

    def __init__(self, worker: Worker, index: int, url: str, auth: dict[str, Any]) -> None:
        super().__init__(worker, index, url, auth)
        self.attendee_id: str | None = None

    def on_text(self, p: bytes) -> float | None:
        if self.attendee_id is None and p.startswith(WELCOME):
            # Once per connection, before anything is measured.
            self.attendee_id = json.loads(p[2:])[1]["attendee"]["id"]
        return super().on_text(p)


class Worker:
    """The attendees of one client process and what they measured."""

    #: what ``connect_people`` connects each person as
    person_class: type[Attendee] = Person

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.loop = asyncio.get_running_loop()
        self.attendees: list[Attendee] = []
        self.samples: dict[bytes, Samples] = {}
        self.failures: list[str] = []
        # Ack latencies per vote tag (phase), and the number of error acks per tag.
        self.ack_ms: dict[int, array] = {}  # type: ignore[type-arg]
        self.ack_errors: dict[int, int] = {}
        self.unacked: dict[int, int] = {}
        self.waiting: tuple[bytes, int, asyncio.Future[None]] | None = None
        self.acks_waiting: tuple[int, int, asyncio.Future[None]] | None = None

    # -- recording (hot path) -----------------------------------------------------------
    def received(self, name: bytes, payload: bytes) -> float:
        t = now_ms()
        s = self.samples.get(name)
        if s is None:
            s = self.samples[name] = Samples(size=len(payload))
        s.ts.append(parse_ts(payload))
        s.recv.append(t)
        w = self.waiting
        if w is not None and w[0] == name and len(s.recv) >= w[1] and not w[2].done():
            w[2].set_result(None)
        return t

    def acked(self, a: Attendee, ack: int, head: bytes) -> None:
        t = now_ms()
        sent = a.pending.pop(ack, None)
        if sent is None:
            return
        tag = sent[1]
        lat = self.ack_ms.get(tag)
        if lat is None:
            lat = self.ack_ms[tag] = array("d")
        lat.append(t - sent[0])
        if not head.startswith(b'{"ok":true'):
            self.ack_errors[tag] = self.ack_errors.get(tag, 0) + 1
        w = self.acks_waiting
        if w is not None and w[0] == tag and len(lat) >= w[1] and not w[2].done():
            w[2].set_result(None)

    async def open(self, a: Attendee, gate: asyncio.Semaphore) -> None:
        """Connect ``a`` (as many at once as ``gate`` lets through) and wait for its
        welcome; a failure is counted and reported, never raised."""
        self.attendees.append(a)
        async with gate:
            a.started = now_ms()
            try:
                await self.loop.create_connection(lambda: a, a.host, a.port)
                await asyncio.wait_for(asyncio.shield(a.welcomed), HANDSHAKE_TIMEOUT_S)
            except Exception as exc:  # counted and reported, never hidden
                self.failures.append(f"attendee {a.index}: {exc!r}"[:300])
                if a.transport is not None:
                    a.transport.close()

    def live(self) -> list[Attendee]:
        """The attendees welcomed and still connected."""
        return [a for a in self.attendees if a.welcomed.done() and not a.lost]

    # -- commands --------------------------------------------------------------------
    async def connect(
        self,
        urls: list[str],
        auth: dict[str, Any],
        first: int,
        count: int,
        start_at: float,
        concurrency: int,
    ) -> dict[str, Any]:
        await sleep_until(start_at)
        cpu0 = time.process_time()
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            auth_i = {**auth, "name": f"Attendee {i}"}
            await self.open(Attendee(self, i, urls[i % len(urls)], auth_i), gate)

        await asyncio.gather(*(one(first + k) for k in range(count)))
        done = [a for a in self.attendees if a.welcomed.done() and not a.welcomed.exception()]
        return {
            "connected": len(done),
            "failures": self.failures[:5],
            "failed": len(self.failures),
            "first_start": min((a.started for a in self.attendees), default=0.0),
            "last_welcome": max((a.welcomed.result() for a in done), default=0.0),
            "per_connection_ms": [a.welcomed.result() - a.started for a in done],
            "cpu_s": time.process_time() - cpu0,
        }

    async def connect_people(
        self, urls: list[str], people: list[dict[str, Any]], start_at: float, concurrency: int
    ) -> dict[str, Any]:
        """Connect ``people`` (``{"index", "auth"}`` each; attendee ``index`` goes to
        ``urls[index % len(urls)]``) as ``person_class`` and wait for their welcomes."""
        await sleep_until(start_at)
        gate = asyncio.Semaphore(concurrency)

        async def one(person: dict[str, Any]) -> None:
            i = int(person["index"])
            await self.open(self.person_class(self, i, urls[i % len(urls)], person["auth"]), gate)

        await asyncio.gather(*(one(p) for p in people))
        done = [a for a in self.attendees if a.welcomed.done() and not a.welcomed.exception()]
        return {
            "connected": len(done),
            "failures": self.failures[:5],
            "last_welcome": max((a.welcomed.result() for a in done), default=0.0),
            "ids": {str(a.index): getattr(a, "attendee_id", None) for a in done},
        }

    async def wait_for(self, name: str, target: int, timeout: float) -> int:
        key = name.encode()
        s = self.samples.get(key)
        have = len(s.recv) if s else 0
        if have < target:
            fut: asyncio.Future[None] = self.loop.create_future()
            self.waiting = (key, target, fut)
            try:
                await asyncio.wait_for(fut, timeout)
            except TimeoutError:
                pass
            finally:
                self.waiting = None
        s = self.samples.get(key)
        return len(s.recv) if s else 0

    async def vote_all(self, poll_id: str, tag: int, start_at: float, timeout: float) -> None:
        """Everyone votes at once, then wait for every ack (bounded)."""
        await sleep_until(start_at)
        live = self.live()
        for a in live:
            self.vote(a, poll_id, tag)
        await self.wait_acks(tag, len(live), timeout)

    def vote(self, a: Attendee, poll_id: str, tag: int) -> None:
        a.vote_seq += 1
        choice = "abcd"[(a.index + a.vote_seq) % 4]
        vote_id = f"v{a.index}-{a.vote_seq}-{tag}"
        a.emit("poll:vote", {"poll_id": poll_id, "choice": choice, "vote_id": vote_id}, tag)

    async def wait_acks(self, tag: int, target: int, timeout: float) -> None:
        lat = self.ack_ms.get(tag)
        if lat is not None and len(lat) >= target:
            return
        fut: asyncio.Future[None] = self.loop.create_future()
        self.acks_waiting = (tag, target, fut)
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            pass
        finally:
            self.acks_waiting = None

    async def sustain(
        self,
        poll_id: str,
        tag: int,
        burst_tag: int,
        start_at: float,
        duration: float,
        period: float,
        burst_at: float,
    ) -> None:
        """Every attendee re-votes about once per ``period`` seconds for ``duration``;
        at ``burst_at`` everyone votes at once (acks of the burst tagged apart)."""
        live = [a for a in self.attendees if a.welcomed.done() and not a.lost]
        rng = random.Random(7)
        schedule: list[tuple[float, int]] = []
        for k in range(len(live)):
            t = rng.uniform(0, period)
            while t < duration:
                schedule.append((start_at / 1000 + t, k))
                t += period
        schedule.sort()
        burst_done = False
        for when, k in schedule:
            if not burst_done and when * 1000 >= burst_at:
                await sleep_until(burst_at)
                for a in live:
                    if not a.lost:
                        self.vote(a, poll_id, burst_tag)
                burst_done = True
            delay = when - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not live[k].lost:
                self.vote(live[k], poll_id, tag)
        await sleep_until(start_at + duration * 1000)
        await asyncio.sleep(1.0)  # the last acks and results

    def collect(self) -> dict[str, Any]:
        return {
            "samples": {
                k.decode(): {"ts": s.ts.tobytes(), "recv": s.recv.tobytes(), "size": s.size}
                for k, s in self.samples.items()
            },
            "acks": {tag: lat.tobytes() for tag, lat in self.ack_ms.items()},
            "ack_errors": dict(self.ack_errors),
            "unacked": {
                tag: sum(1 for a in self.attendees for t in a.pending.values() if t[1] == tag)
                for tag in self.ack_ms
            },
            "alive": sum(1 for a in self.attendees if a.welcomed.done() and not a.lost),
            "closed_by_server": sum(1 for a in self.attendees if a.closed_by_server),
            "lost": sum(1 for a in self.attendees if a.lost and a.welcomed.done()),
            "pings": sum(a.pings for a in self.attendees),
            "with_ping": sum(1 for a in self.attendees if a.pings),
            "cpu_s": time.process_time(),
        }

    def clear(self) -> None:
        self.samples.clear()
        self.ack_ms.clear()
        self.ack_errors.clear()

    def close(self) -> None:
        for a in self.attendees:
            if a.transport is not None:
                a.transport.close()


async def sleep_until(epoch_ms: float) -> None:
    delay = epoch_ms / 1000 - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


COMMANDS = ("connect", "wait_for", "vote_all", "sustain", "collect", "clear")
CONNECTS = ("connect", "connect_people")


def worker_main(pipe: Any, config: dict[str, Any]) -> None:
    """Entry point of a client process: obey ``(command, kwargs)`` until ``stop``."""
    serve(pipe, lambda: Worker(config), COMMANDS)


def serve(pipe: Any, make_worker: Callable[[], Worker], commands: Sequence[str]) -> None:
    """A client process's loop (every benchmark's ``worker_main`` runs it, with its own
    worker and commands): obey ``(command, kwargs)`` from ``pipe`` until ``stop``, on
    uvloop when it is installed."""
    try:
        import uvloop

        uvloop.run(_obey(pipe, make_worker, commands))
    except ImportError:
        asyncio.run(_obey(pipe, make_worker, commands))


async def _obey(pipe: Any, make_worker: Callable[[], Worker], commands: Sequence[str]) -> None:
    worker = make_worker()  # in the running loop: the worker keeps it
    loop = asyncio.get_running_loop()
    # No collection pauses while measuring: nothing here makes garbage cycles worth it.
    gc.collect()
    gc.disable()
    while True:
        command, kwargs = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            worker.close()
            await asyncio.sleep(0.2)
            pipe.send(None)
            return
        if command not in commands:
            pipe.send({"error": f"unknown command {command}"})
            continue
        result = getattr(worker, command)(**kwargs)
        if asyncio.iscoroutine(result):
            result = await result
        if command in CONNECTS:
            gc.freeze()  # the connections live to the end: keep them out of any scan
        pipe.send(result)
