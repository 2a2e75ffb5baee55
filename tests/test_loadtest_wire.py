"""The load tests' lean Socket.IO client (loadtests/wire.py) on real websockets: its
frames against python-socketio's own encoder and decoder (a scripted aiohttp websocket
server in a thread writes what ``socketio.packet.Packet`` and ``engineio.packet.Packet``
encode and decodes what the client sends with them), then against the real Plenary
server in a process of its own.

The client runs on gevent in the test's thread (not monkey-patched: the module uses
gevent's socket itself), so waits here yield to gevent (:func:`wait_until`) instead of
blocking the thread the client's reader greenlet runs in.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import engineio.packet as eio
import gevent
import pytest
import socketio.exceptions
import socketio.packet as sio
from aiohttp import WSMsgType, web
from loadtests.kinds.poll import PollSpec
from loadtests.wire import REFUSED, LeanClient, now_ms

from tests.support.ports import free_port
from tests.support.server import ServerProcess, create_event_sync

AUTH = {"event": "ABC123", "role": "attendee", "name": "Zoë Ångström", "tags": ["🎉", {"n": 1}]}
NESTED = {"poll": {"id": "p1", "options": [{"label": "Ünïcödé ✓", "n": [1, 2.5, None]}]}, "ts": 1}


def eio_text(pkt: sio.Packet) -> str:
    """A Socket.IO packet as the server's Engine.IO MESSAGE."""
    encoded = pkt.encode()
    assert isinstance(encoded, str)
    return str(eio.Packet(eio.MESSAGE, data=encoded).encode())


def decode(text: str) -> eio.Packet | sio.Packet:
    """A client frame: its Socket.IO packet, or the Engine.IO packet when not a MESSAGE."""
    outer = eio.Packet(encoded_packet=text)
    if outer.packet_type != eio.MESSAGE:
        return outer
    return sio.Packet(encoded_packet=outer.data)


def wait_until(done: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``done`` while letting gevent run (the client's reader greenlet)."""
    with gevent.Timeout(timeout, AssertionError("timed out")):
        while not (value := done()):
            gevent.sleep(0.01)
    return value


class ScriptedServer:
    """An aiohttp websocket at ``/socket.io/`` in a thread: opens each connection with
    an Engine.IO OPEN, keeps every frame the client sends, and sends what the test says."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.frames: list[tuple[WSMsgType, Any]] = []
        self.ws: web.WebSocketResponse | None = None
        #: the tests' clients, disconnected before the server stops (which waits for them)
        self.clients: list[LeanClient] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/socket.io/", self._socket)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self.ws = ws
        opened = {"sid": "s1", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000}
        await ws.send_str(eio.Packet(eio.OPEN, opened).encode())
        async for msg in ws:
            self.frames.append((msg.type, msg.data))
        return ws

    def do(self, make: Callable[[web.WebSocketResponse], Any]) -> None:
        """Run ``make(ws)`` (a coroutine) on the server's loop and wait for it."""
        assert self.ws is not None
        asyncio.run_coroutine_threadsafe(make(self.ws), self.loop).result(5)

    def send(self, *texts: str) -> None:
        async def go(ws: web.WebSocketResponse) -> None:
            for text in texts:
                await ws.send_str(text)

        self.do(go)

    def texts(self) -> list[eio.Packet | sio.Packet]:
        return [decode(data) for kind, data in self.frames if kind == WSMsgType.TEXT]

    def stop(self) -> None:
        for client in self.clients:
            client.disconnect()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.thread.start()
    assert server.ready.wait(5)
    yield server
    server.stop()


def connected_client(server: ScriptedServer) -> tuple[LeanClient, list[tuple[Any, ...]]]:
    """A lean client connected with :data:`AUTH` (the server accepts it), and the list
    every handler of it appends to."""
    client = LeanClient()
    server.clients.append(client)
    seen: list[tuple[Any, ...]] = []
    client.on("*", lambda *args: seen.append(("*", *args)))
    for event in ("welcome", "disconnect", "connect_error", REFUSED):
        client.on(event, lambda data, received, event=event: seen.append((event, data, received)))
    job = gevent.spawn(client.connect, server.url, AUTH, ["websocket"], 5.0)
    wait_until(lambda: server.frames)
    server.send(eio_text(sio.Packet(sio.CONNECT, data={"sid": "n1"})))
    job.get(timeout=5)
    return client, seen


def test_connect_sends_auth_and_events_reach_handlers_with_receipt_time(
    scripted: ScriptedServer,
) -> None:
    client, seen = connected_client(scripted)
    assert client.connected and not client.closed
    [connect] = scripted.texts()
    assert isinstance(connect, sio.Packet)
    assert (connect.packet_type, connect.namespace, connect.data) == (sio.CONNECT, None, AUTH)

    before = now_ms()
    scripted.send(
        eio_text(sio.Packet(sio.EVENT, data=["welcome", NESTED])),
        eio_text(sio.Packet(sio.EVENT, data=["poll:results", {"ü": ["ß"], "ts": 2}])),
        eio_text(sio.Packet(sio.EVENT, data=["bare"])),
        eio_text(sio.Packet(sio.EVENT, data=["two", 1, 2])),
    )
    wait_until(lambda: len(seen) == 4)
    assert [s[:-1] for s in seen] == [
        ("welcome", NESTED),
        ("*", "poll:results", {"ü": ["ß"], "ts": 2}),
        ("*", "bare", None),
        ("*", "two", 1),
    ]
    after = now_ms()
    assert all(before <= s[-1] <= after for s in seen)


def test_calls_get_their_own_acks_and_emits_carry_no_id(scripted: ScriptedServer) -> None:
    client, _ = connected_client(scripted)
    first = gevent.spawn(client.call, "poll:vote", {"choice": "ä", "nested": NESTED}, 5)
    second = gevent.spawn(client.call, "qa:ask", {"text": "Wie geht's? 🙂"}, 5)
    wait_until(lambda: len(scripted.texts()) == 3)
    _, vote, ask = scripted.texts()
    assert isinstance(vote, sio.Packet) and isinstance(ask, sio.Packet)
    assert (vote.packet_type, vote.data) == (
        sio.EVENT,
        ["poll:vote", {"choice": "ä", "nested": NESTED}],
    )
    assert (ask.packet_type, ask.data) == (sio.EVENT, ["qa:ask", {"text": "Wie geht's? 🙂"}])
    assert vote.id != ask.id
    # answered in the other order: each call gets the ack with its own id
    before = now_ms()
    scripted.send(
        eio_text(sio.Packet(sio.ACK, data=[{"ok": True, "q": "✓"}], id=ask.id)),
        eio_text(
            sio.Packet(sio.ACK, data=[{"ok": False, "error": {"code": "closed"}}], id=vote.id)
        ),
    )
    assert second.get(timeout=5) == {"ok": True, "q": "✓"}
    assert first.get(timeout=5) == {"ok": False, "error": {"code": "closed"}}
    # the ack's receipt time is taken as its frame is read, before the caller runs again
    assert before <= client.ack_received <= now_ms()

    client.emit("reaction", {"emoji": "👏"})
    client.emit("ping:me")
    wait_until(lambda: len(scripted.texts()) == 5)
    reaction, bare = scripted.texts()[3:]
    assert isinstance(reaction, sio.Packet) and isinstance(bare, sio.Packet)
    assert (reaction.packet_type, reaction.id, reaction.data) == (
        sio.EVENT,
        None,
        ["reaction", {"emoji": "👏"}],
    )
    assert (bare.id, bare.data) == (None, ["ping:me"])

    with pytest.raises(socketio.exceptions.TimeoutError):
        client.call("poll:vote", {"choice": "b"}, timeout=0.2)


def test_an_event_asking_for_an_ack_gets_an_empty_one(scripted: ScriptedServer) -> None:
    _, seen = connected_client(scripted)
    scripted.send(eio_text(sio.Packet(sio.EVENT, data=["confirm", {"x": 1}], id=7)))
    wait_until(lambda: len(scripted.texts()) == 2)
    ack = scripted.texts()[1]
    assert isinstance(ack, sio.Packet)
    assert (ack.packet_type, ack.id, ack.data) == (sio.ACK, 7, [])
    assert seen[0][:-1] == ("*", "confirm", {"x": 1})


def test_connect_error_hands_the_refusal_over_and_raises(scripted: ScriptedServer) -> None:
    client = LeanClient()
    scripted.clients.append(client)
    refusals: list[Any] = []
    client.on("connect_error", lambda data, received: refusals.append(data))
    refusal = {"message": "No event", "data": {"code": "unknown_event", "retry_after_ms": 250}}
    job = gevent.spawn(client.connect, scripted.url, AUTH, ["websocket"], 5.0)
    wait_until(lambda: scripted.frames)
    scripted.send(eio_text(sio.Packet(sio.CONNECT_ERROR, data=refusal)))
    with pytest.raises(socketio.exceptions.ConnectionError):
        job.get(timeout=5)
    assert refusals == [refusal]
    assert not client.connected
    wait_until(lambda: client.closed)


def test_client_disconnect_says_goodbye(scripted: ScriptedServer) -> None:
    client, seen = connected_client(scripted)
    client.disconnect()
    assert client.closed and not client.connected
    assert [s[:2] for s in seen] == [("disconnect", "client disconnect")]
    wait_until(lambda: len(scripted.texts()) == 3)
    _, goodbye, close = scripted.texts()
    assert isinstance(goodbye, sio.Packet) and goodbye.packet_type == sio.DISCONNECT
    assert isinstance(close, eio.Packet) and close.packet_type == eio.CLOSE
    with pytest.raises(socketio.exceptions.DisconnectedError):
        client.call("poll:vote", {}, timeout=1)
    with pytest.raises(socketio.exceptions.BadNamespaceError):
        client.emit("reaction", {})


def test_server_disconnect_ends_the_session_and_fails_pending_calls(
    scripted: ScriptedServer,
) -> None:
    client, seen = connected_client(scripted)
    pending = gevent.spawn(client.call, "poll:vote", {"choice": "a"}, 5)
    wait_until(lambda: len(scripted.texts()) == 2)
    scripted.send(eio_text(sio.Packet(sio.DISCONNECT)))
    with pytest.raises(socketio.exceptions.DisconnectedError):
        pending.get(timeout=5)
    wait_until(lambda: client.closed)
    assert not client.connected
    assert [s[:2] for s in seen] == [("disconnect", "server disconnect")]


def test_a_severed_connection_is_a_transport_error(scripted: ScriptedServer) -> None:
    client, seen = connected_client(scripted)
    client.sever()
    wait_until(lambda: client.closed)
    assert [s[:2] for s in seen] == [("disconnect", "transport error")]
    # and it connects again, as a reconnecting attendee does
    scripted.frames.clear()
    again, _ = connected_client(scripted)
    assert again.connected


def test_binary_packets_are_refused_and_the_connection_goes_on(scripted: ScriptedServer) -> None:
    client, seen = connected_client(scripted)
    binary = sio.Packet(sio.EVENT, data=["file", {"blob": b"\x00\x01\xff"}]).encode()
    assert isinstance(binary, list) and len(binary) == 2  # a text header, one attachment
    header, attachment = binary

    async def send_binary(ws: web.WebSocketResponse) -> None:
        await ws.send_str(str(eio.Packet(eio.MESSAGE, data=header).encode()))
        await ws.send_bytes(attachment)
        await ws.send_bytes(b"\x04stray")  # a binary frame of its own
        await ws.send_str(eio_text(sio.Packet(sio.EVENT, data=["after", {"ok": 1}])))

    scripted.do(send_binary)
    wait_until(lambda: len(seen) == 3)
    assert [s[0] for s in seen] == [REFUSED, REFUSED, "*"]
    assert "binary packet" in seen[0][1] and "0x82" in seen[1][1]
    assert seen[2][1:-1] == ("after", {"ok": 1})
    assert client.refused == 2 and client.connected


def test_pings_are_answered_with_pongs(scripted: ScriptedServer) -> None:
    client, _ = connected_client(scripted)
    scripted.send(str(eio.Packet(eio.PING).encode()), str(eio.Packet(eio.PING).encode()))
    scripted.do(lambda ws: ws.ping(b"hello"))
    wait_until(lambda: len(scripted.frames) == 4)
    pongs = [p for p in scripted.texts()[1:] if isinstance(p, eio.Packet)]
    assert [p.packet_type for p in pongs] == [eio.PONG, eio.PONG]
    assert (WSMsgType.PONG, b"hello") in scripted.frames
    assert client.connected


@pytest.mark.timeout(60)
def test_against_the_real_server_join_broadcast_and_ack() -> None:
    """A presenter and an attendee on the lean client: the attendee joins, receives the
    poll's ``poll:opened`` broadcast, votes and gets the ack; a wrong code is refused
    with the server's error code."""
    server = ServerProcess(redis_url=None).start()
    try:
        event = create_event_sync(server.url)
        presenter, attendee = LeanClient(), LeanClient()
        heard: list[tuple[str, Any, float]] = []
        attendee.on("*", lambda name, data, received: heard.append((name, data, received)))
        attendee.on("welcome", lambda data, received: heard.append(("welcome", data, received)))
        staff = {"event": event["code"], "role": "presenter", "key": event["presenter_key"]}
        presenter.connect(server.url, staff, ["websocket"], 5.0)
        joiner = {"event": event["code"], "role": "attendee", "name": "Zoë", "country": "DE"}
        attendee.connect(server.url, joiner, ["websocket"], 5.0)
        [welcome] = wait_until(lambda: [h for h in heard if h[0] == "welcome"])
        assert welcome[1]["attendee"]["name"] == "Zoë"

        created = presenter.call("poll:create", PollSpec("Where from?").payload(), 5)
        poll_id = created["poll"]["id"]
        assert presenter.call("poll:open", {"poll_id": poll_id}, 5)["ok"] is True
        [opened] = wait_until(lambda: [h for h in heard if h[0] == "poll:opened"])
        assert opened[1]["poll"]["id"] == poll_id and opened[1]["poll"]["status"] == "open"
        assert isinstance(opened[1]["ts"], int) and isinstance(opened[2], float)

        vote = {"poll_id": poll_id, "choice": "a", "vote_id": "v-1"}
        assert attendee.call("poll:vote", vote, 5) == {
            "ok": True,
            "poll_id": poll_id,
            "choice": "a",
        }

        stranger, refusals = LeanClient(), []
        stranger.on("connect_error", lambda data, received: refusals.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            stranger.connect(server.url, {**joiner, "event": "NOPE00"}, ["websocket"], 5.0)
        assert refusals[0]["data"]["code"] == "unknown_event"
        for client in (attendee, presenter):
            client.disconnect()
            assert client.closed
    finally:
        server.stop()
