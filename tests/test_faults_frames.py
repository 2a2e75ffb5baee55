"""Frame-level abuse against a real ``plenary serve`` process on a real redis-server
(issue 12, items 2 and 3): binary attachments, malformed packets, and floods of both,
over websockets and long-polling. Every one is refused (the connection closed) or
answered ``bad_request``; the server's memory and log stay bounded, every log line is
JSON and none is an ERROR; ``/metrics`` counts them; other clients are served throughout.

Seeded by ``PLENARY_FAULT_SEED``; every wait is bounded."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from plenary.realtime.wire.frameguard import LOG_BURST
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess, create_event_sync

pytestmark = [pytest.mark.redis, pytest.mark.faults]

SEED = int(os.environ.get("PLENARY_FAULT_SEED", "12"))
#: The issue's attack: an announcement of a million attachments, then 6,000 of 16,000 B.
ANNOUNCEMENT = '451000000-["poll:vote",{"_placeholder":true,"num":0}]'
ATTACHMENTS, ATTACHMENT_BYTES = 6_000, 16_000
#: What the binary flood may add to the server's memory (it added 96 MB before).
RSS_GROWTH_LIMIT = 20 * 1024 * 1024
DEEP = "42" + "[" * 5_000 + "]" * 5_000
HUGE_NUMBER = "9" * 5_000


@dataclass
class Served:
    server: ServerProcess
    code: str
    log: Path
    offset: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    @property
    def url(self) -> str:
        return self.server.url

    def new_log_lines(self) -> list[dict[str, Any]]:
        """The log lines written since the last call, each checked: JSON, not ERROR."""
        with self.log.open("rb") as f:
            f.seek(self.offset)
            raw = f.read()
        self.offset += len(raw)
        lines = []
        for text in raw.decode().splitlines():
            line = json.loads(text)  # every line is one JSON object
            assert isinstance(line, dict), text
            assert line["level"] not in ("ERROR", "CRITICAL"), text
            lines.append(line)
        return lines

    def rss(self) -> int:
        assert self.server.proc is not None
        return int(psutil.Process(self.server.proc.pid).memory_info().rss)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    redis = RedisProcess().start()
    log = tmp_path_factory.mktemp("frames") / "server.log"
    server = ServerProcess(redis.url, log_path=log).start()
    try:
        event = create_event_sync(server.url)
        yield Served(server, event["code"], log)
    finally:
        server.stop()
        redis.cleanup()
    # The whole run: JSON lines only, no ERROR, a bounded log.
    Served(server, "", log).new_log_lines()
    assert log.stat().st_size < 64 * 1024


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def join(http: aiohttp.ClientSession, served: Served, name: str) -> Any:
    """A websocket attendee, joined (its CONNECT answered), driven by hand."""
    ws = await http.ws_connect(
        served.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    )
    opened = await ws.receive_str(timeout=10)
    assert opened.startswith("0{"), opened
    await ws.send_str("40" + json.dumps({"event": served.code, "role": "attendee", "name": name}))
    while not (await ws.receive_str(timeout=10)).startswith("40"):
        pass
    return ws


@dataclass
class Ending:
    texts: list[str]
    close_code: int | None


async def ending(ws: Any, timeout: float = 10) -> Ending:
    """Read until the server ends the connection (a close frame, or the TCP connection
    dropping); fails if it does not within ``timeout``."""
    texts: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        msg = await ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if msg.type is aiohttp.WSMsgType.TEXT:
            texts.append(msg.data)
        elif msg.type is aiohttp.WSMsgType.CLOSE:
            return Ending(texts, int(msg.data))
        elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return Ending(texts, None)


async def ack(ws: Any, ack_id: int) -> Any:
    while True:
        text = await ws.receive_str(timeout=10)
        if text.startswith(f"43{ack_id}["):
            return json.loads(text[len(f"43{ack_id}") :])[0]


def counters(served: Served) -> dict[tuple[str, str], float]:
    """``plenary_bad_frames_total`` and ``plenary_connections_closed_total`` by reason."""
    text = requests.get(served.url + "/metrics", timeout=5).text
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in ("plenary_bad_frames_total", "plenary_connections_closed_total"):
                found[(sample.name, sample.labels["reason"])] = sample.value
    return found


def grew(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}


async def still_serves(http: aiohttp.ClientSession, served: Served) -> None:
    """A new attendee joins and is answered."""
    ws = await join(http, served, "Fine")
    await ws.send_str('421["state:get",{}]')
    assert (await ack(ws, 1))["ok"] is True
    await ws.close()


async def test_binary_attachments_are_refused_at_once_and_cost_no_memory(
    served: Served, http: aiohttp.ClientSession
) -> None:
    before, rss_before = counters(served), served.rss()
    ws = await join(http, served, "Mallory")
    await ws.send_str(ANNOUNCEMENT)
    blob = bytes(ATTACHMENT_BYTES)
    sent = 0
    try:
        for _ in range(ATTACHMENTS):
            await ws.send_bytes(blob)
            sent += 1
    except (ConnectionError, aiohttp.ClientError):
        pass  # the server closed the connection under the flood
    end = await ending(ws)
    assert served.rss() - rss_before < RSS_GROWTH_LIMIT, f"sent {sent} attachments"

    # A plain binary frame, without announcement: refused the same way, in order.
    ws = await join(http, served, "Mallory 2")
    await ws.send_bytes(b"\x00binary")
    end = await ending(ws)
    assert end.texts[-2:] == ["41", "1"] and end.close_code == 1003, end

    assert grew(before, counters(served)) == {
        ("plenary_bad_frames_total", "binary"): 2.0,
        ("plenary_connections_closed_total", "binary"): 2.0,
    }
    lines = served.new_log_lines()
    assert [line.get("reason") for line in lines] == ["binary", "binary"], lines
    await still_serves(http, served)


async def poll_until_closed(http: aiohttp.ClientSession, url: str) -> list[str]:
    """Long-polling GETs until the server sends engine.io's CLOSE (or refuses one)."""
    packets: list[str] = []
    while "1" not in packets:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as r:
            if r.status != 200:
                break
            packets += (await r.text()).split("\x1e")
    return packets


async def test_binary_over_long_polling_is_refused(
    served: Served, http: aiohttp.ClientSession
) -> None:
    before = counters(served)
    # Engine.io payloads: a MESSAGE with the announcement; a binary MESSAGE (base64).
    for body in ("4" + ANNOUNCEMENT, "b" + base64.b64encode(b"\x00binary").decode()):
        base = served.url + "/socket.io/?EIO=4&transport=polling"
        async with http.get(base) as r:
            sid = json.loads((await r.text())[1:])["sid"]
        url = f"{base}&sid={sid}"
        auth = {"event": served.code, "role": "attendee", "name": "Poller"}
        async with http.post(url, data="40" + json.dumps(auth)) as r:
            assert r.status == 200
        async with http.get(url) as r:
            assert (await r.text()).startswith("40")
        # As a real client does, with a GET waiting (which gets what the server sends).
        received = asyncio.ensure_future(poll_until_closed(http, url))
        await asyncio.sleep(0.2)
        async with http.post(url, data=body) as r:
            assert r.status == 200
        packets = await asyncio.wait_for(received, 10)
        # Socket.IO's DISCONNECT (and engine.io's CLOSE, if another GET was waiting).
        assert packets[-1] in ("41", "1") and "41" in packets, packets
        async with http.get(url) as r:
            assert r.status == 400  # the session is gone
    assert grew(before, counters(served)) == {
        ("plenary_bad_frames_total", "binary"): 2.0,
        ("plenary_connections_closed_total", "binary"): 2.0,
    }
    refusals = [line for line in served.new_log_lines() if line["logger"].endswith("frameguard")]
    assert len(refusals) == 2, refusals


MALFORMED = [
    "42not json",
    DEEP,
    f'42["poll:vote",{HUGE_NUMBER}]',
    "45",
    '4399["x"]',
    "4",
    "",
    "9999",
    "4" + "\x00" * 10,
    '42[{"not":"a name"}]',
    "44[]",
    '40{"event":',
]


async def test_malformed_packets_close_the_connection_with_one_warning(
    served: Served, http: aiohttp.ClientSession
) -> None:
    before = counters(served)
    for frame in MALFORMED:
        ws = await join(http, served, "Garbled")
        await ws.send_str(frame)
        end = await ending(ws)
        assert end.texts[-2:] == ["41", "1"], (frame[:20], end)
        assert end.close_code in (1003, 1008), (frame[:20], end)
    grown = grew(before, counters(served))
    assert sum(v for (name, _), v in grown.items() if "closed" in name) == len(MALFORMED)
    assert grown[("plenary_bad_frames_total", "malformed")] >= len(MALFORMED) - 1
    lines = served.new_log_lines()
    assert len(lines) == len(MALFORMED), lines
    assert all(line["level"] == "WARNING" and "exc" not in line for line in lines)


async def test_oversized_messages_close_the_connection_and_are_counted(
    served: Served, http: aiohttp.ClientSession
) -> None:
    before = counters(served)
    ws = await join(http, served, "Verbose")
    await ws.send_str('42["poll:vote",{"choice":"' + "x" * 20_000 + '"}]')
    assert (await ending(ws)).close_code == 1009
    base = served.url + "/socket.io/?EIO=4&transport=polling"
    async with http.get(base) as r:
        sid = json.loads((await r.text())[1:])["sid"]
    async with http.post(f"{base}&sid={sid}", data="4" + "x" * 20_000) as r:
        assert r.status == 400
    assert grew(before, counters(served)) == {
        ("plenary_bad_frames_total", "too_large"): 2.0,
        ("plenary_connections_closed_total", "too_large"): 2.0,
    }
    lines = served.new_log_lines()
    assert [line.get("reason") for line in lines] == ["too_large", "too_large"], lines


async def test_a_malformed_event_with_an_ack_id_is_answered_bad_request(
    served: Served, http: aiohttp.ClientSession
) -> None:
    ws = await join(http, served, "Typo")
    frames = ["421not json", f'422["poll:vote",{HUGE_NUMBER}]', "423" + DEEP[2:]]
    for ack_id, frame in enumerate(frames, 1):
        await ws.send_str(frame)
        answer = await ack(ws, ack_id)
        assert answer["ok"] is False and answer["error"]["code"] == "bad_request", answer
    await ws.send_str('424["state:get",{}]')
    assert (await ack(ws, 4))["ok"] is True, "the connection stays"
    await ws.close()
    lines = served.new_log_lines()
    assert len(lines) == 1, "one warning per connection and interval"
    assert "answered bad_request" in lines[0]["msg"]


async def test_floods_are_closed_after_the_frame_budget(
    served: Served, http: aiohttp.ClientSession
) -> None:
    before = counters(served)
    floods = {
        "2,000 frames of 42not json": ["42not json"] * 2_000,
        "2,000 malformed events with ack ids": [f"42{i}not json" for i in range(1, 2_001)],
        "1,000 events ignoring rate_limited": [f'42{i}["state:get",{{}}]' for i in range(1, 1_001)],
        "1,000 pongs": ["3"] * 1_000,
    }
    for what, frames in floods.items():
        ws = await join(http, served, "Flood")
        try:
            for frame in frames:
                await ws.send_str(frame)
        except (ConnectionError, aiohttp.ClientError):
            pass
        end = await ending(ws)
        answered = [t for t in end.texts if t.startswith("43")]
        assert len(answered) < 200, (what, len(answered))  # the budget: 4 x a burst of 20
    websocket_pings = await join(http, served, "Pinger")
    try:
        for _ in range(1_000):
            await websocket_pings.ping()
    except (ConnectionError, aiohttp.ClientError):
        pass
    await ending(websocket_pings)
    grown = grew(before, counters(served))
    assert grown[("plenary_connections_closed_total", "flood")] == 4  # pings, pongs, 2 floods
    assert grown[("plenary_connections_closed_total", "malformed")] == 1
    lines = served.new_log_lines()
    assert len(lines) <= 7, lines  # one per closed connection, one bad_request warning
    await still_serves(http, served)


async def test_seeded_garbage_from_many_connections_keeps_the_log_bounded(
    served: Served, http: aiohttp.ClientSession
) -> None:
    rng = served.rng
    pieces = ["4", "2", "42", "43", "45", "451-", "40", "41", "4/x,", "[", "]", "{", '"a"', "1"]
    started = time.monotonic()

    async def one(i: int) -> None:
        ws = await join(http, served, f"Noise {i}")
        try:
            for _ in range(rng.randint(1, 30)):
                frame = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
                if rng.random() < 0.1:
                    await ws.send_bytes(rng.randbytes(rng.randint(1, 64)))
                else:
                    await ws.send_str(frame + rng.choice(["", "x", "[]", '["state:get"]']))
        except (ConnectionError, aiohttp.ClientError):
            pass
        await ws.close()

    for batch in range(5):
        await asyncio.gather(*(one(batch * 12 + i) for i in range(12)))
    elapsed = time.monotonic() - started
    await asyncio.sleep(1.1)  # a token for one more line, which counts what was left out
    ws = await join(http, served, "Last")
    await ws.send_str("45")
    await ending(ws)
    lines = served.new_log_lines()
    assert len(lines) <= LOG_BURST + elapsed + 3, (len(lines), elapsed)
    if len(lines) > LOG_BURST:
        assert any(line.get("suppressed") for line in lines)
    await still_serves(http, served)
