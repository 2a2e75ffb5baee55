"""Configurable limits at the door: joins per IP, attendees per event, allowed origins,
and how long a connection may stay without joining."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest
import socketio

from plenary.settings import Limits
from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import create_event, running_server
from tests.test_connect import refusal
from tests.test_metrics import scrape, value

POLLING = "/socket.io/?EIO=4&transport=polling"
WEBSOCKET = "/socket.io/?EIO=4&transport=websocket"


async def polling_handshake(http: aiohttp.ClientSession, url: str) -> tuple[int, Any, str]:
    """A new engine.io session over long-polling: the status, the body (JSON when it is
    an error) and the Retry-After header."""
    async with http.get(url + POLLING) as response:
        text = await response.text()
        body = json.loads(text) if response.content_type == "application/json" else text
        return response.status, body, response.headers.get("Retry-After", "")


async def websocket_handshake(
    http: aiohttp.ClientSession, url: str
) -> aiohttp.ClientWebSocketResponse | int:
    """A new engine.io session over a websocket: the open websocket (its OPEN packet
    read), or the HTTP status that refused it."""
    try:
        ws = await http.ws_connect(url.replace("http", "ws") + WEBSOCKET)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    opened = await ws.receive_str(timeout=10)
    assert opened.startswith("0{"), opened
    return ws


async def test_joins_per_ip_are_limited(redis_url: str | None) -> None:
    """Every new engine.io session takes a token (its first CONNECT is free): past the
    burst, the handshake itself is refused with 429 rate_limited, whatever the transport,
    and nothing is created."""
    limits = Limits(joins_per_second_per_ip=0.5, joins_burst_per_ip=3)
    async with running_server(redis_url, limits=limits) as server:
        event = await create_event(server.url)
        joined = [await clients.attendee(server.url, event["code"], f"P{i}") for i in range(3)]
        async with aiohttp.ClientSession() as http:
            status, body, retry_after = await polling_handshake(http, server.url)
            assert status == 429 and body["error"]["code"] == "rate_limited"
            assert 0 < body["error"]["retry_after_ms"] <= 2001 and retry_after in ("1", "2")
            assert "retry" in body["error"]["message"]
            assert await websocket_handshake(http, server.url) == 429
        with pytest.raises(socketio.exceptions.ConnectionError):
            await clients.attendee(server.url, event["code"], "Fourth")
        assert await server.services.store.count_attendees(event["code"]) == 3
        assert len(server.services.sio.eio.sockets) == 3
        _, text = await scrape(server.url)
        assert value(text, "plenary_connections_refused_total", code="rate_limited") == 3
        for c in joined:
            await c.disconnect()


async def test_sessions_that_never_join_are_closed(redis_url: str | None) -> None:
    """A session that answers pings but never sends CONNECT is closed once the connect
    timeout has passed, on either transport; joined sessions stay."""
    limits = Limits(connect_timeout_s=0.5)
    async with running_server(redis_url, limits=limits) as server:
        event = await create_event(server.url)
        screen = await clients.screen(server.url, event["code"])
        async with aiohttp.ClientSession() as http:
            ws = await websocket_handshake(http, server.url)
            assert not isinstance(ws, int)
            status, opened, _ = await polling_handshake(http, server.url)
            assert status == 200 and opened.startswith("0{")
            sid = json.loads(opened[1:])["sid"]
            started = time.monotonic()
            msg = await ws.receive(timeout=5)  # the server's CLOSE, then the close itself
            while msg.type is aiohttp.WSMsgType.TEXT:
                assert msg.data == "1", msg.data  # engine.io CLOSE
                msg = await ws.receive(timeout=5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert time.monotonic() - started < 2.5
            async with http.get(f"{server.url}{POLLING}&sid={sid}") as poll:
                text = await poll.text()  # the CLOSE packet, or the session is gone
                assert (poll.status, text) in ((200, "1"), (400, '"Invalid session ' + sid + '"'))
        assert screen.sio.connected and len(server.services.sio.eio.sockets) == 1
        _, text = await scrape(server.url)
        assert value(text, "plenary_idle_sessions_closed_total") == 2
        await screen.disconnect()


async def test_each_further_connect_on_a_session_is_charged(redis_url: str | None) -> None:
    """Join codes guessed by CONNECTs on one session: the first CONNECT was paid for by
    the session, every further one takes a token of its own."""
    limits = Limits(joins_per_second_per_ip=0.5, joins_burst_per_ip=2)
    async with (
        running_server(redis_url, limits=limits) as server,
        aiohttp.ClientSession() as http,
    ):
        ws = await websocket_handshake(http, server.url)
        assert not isinstance(ws, int)
        codes = []
        for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
            await ws.send_str("40" + json.dumps({"event": guess, "role": "screen"}))
            refused = await ws.receive_str(timeout=5)
            assert refused.startswith("44"), refused  # Socket.IO CONNECT_ERROR
            codes.append(json.loads(refused[2:])["data"]["code"])
        assert codes == ["unknown_event", "unknown_event", "rate_limited"]
        await ws.close()


async def test_per_ip_limit_is_per_process_while_redis_is_down() -> None:
    """Redis gone: new sessions are not all refused, the per-process bucket decides
    (its burst, then 429), and /metrics shows the fallback."""
    redis_proc = RedisProcess().start()
    limits = Limits(joins_per_second_per_ip=0.5, joins_burst_per_ip=3)
    try:
        async with running_server(redis_proc.url, limits=limits) as server:
            redis_proc.stop()
            async with aiohttp.ClientSession() as http:
                started = time.monotonic()
                outcomes = [await websocket_handshake(http, server.url) for _ in range(4)]
                assert time.monotonic() - started < 5
                assert [not isinstance(o, int) for o in outcomes] == [True, True, True, False]
                assert outcomes[3] == 429
                for ws in outcomes[:3]:
                    assert not isinstance(ws, int)
                    await ws.close()
            _, text = await scrape(server.url)
            assert value(text, "plenary_rate_limit_fallbacks_total", limit="conn") == 3
    finally:
        redis_proc.cleanup()


async def test_event_full_but_resume_still_works(redis_url: str | None) -> None:
    async with running_server(redis_url, limits=Limits(max_attendees_per_event=2)) as server:
        event = await create_event(server.url)
        ada = await clients.attendee(server.url, event["code"], "Ada")
        bob = await clients.attendee(server.url, event["code"], "Bob")
        data = await refusal(server.url, {"event": event["code"], "role": "attendee", "name": "Cy"})
        assert data["data"]["code"] == "event_full"
        token = ada.welcome["token"]
        await ada.disconnect()
        back = await clients.attendee(server.url, event["code"], token=token)
        assert back.welcome["attendee"]["name"] == "Ada"
        for c in (back, bob):
            await c.disconnect()


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://good.example", True),
        ("https://evil.example", False),
    ],
)
async def test_origin_allow_list(origin: str, allowed: bool) -> None:
    async with running_server(cors_allowed_origins=("https://good.example",)) as server:
        event = await create_event(server.url)
        client = socketio.AsyncClient(reconnection=False)
        auth = {"event": event["code"], "role": "screen"}
        if allowed:
            await client.connect(
                server.url,
                auth=auth,
                headers={"Origin": origin},
                transports=["websocket"],
                wait_timeout=5,
            )
            assert client.connected
            await client.disconnect()
        else:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect(
                    server.url,
                    auth=auth,
                    headers={"Origin": origin},
                    transports=["websocket"],
                    wait_timeout=5,
                )
