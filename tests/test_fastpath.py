"""The fan-out fast path (``realtime/wire/manager.py``, ``engine.py`` and ``frames.py``):
broadcasts and personal messages written straight to each websocket, batched writes, the
bounded backlog, pings from a timer, the room index, and python-socketio's own clients
still working on top.

Nothing here asserts timing: speed is measured by ``bench/fanout.py``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import socketio

from plenary.realtime import audiences
from plenary.realtime.wire.engine import DirectSocket, EngineServer, is_new_websocket_query
from plenary.realtime.wire.frames import (
    PlenaryPacket,
    event_packet,
    message_frame,
    packet_frame,
    text_frame,
)
from plenary.realtime.wire.manager import LocalManager
from plenary.realtime.wire.packet_json import PacketJson
from plenary.settings import Limits
from tests.support import clients
from tests.support.raw_socketio import RawClient
from tests.support.redis_proc import RedisProcess
from tests.support.server import RunningServer, create_event, running_server

MANY = 300
LIMITS = Limits(joins_per_second_per_ip=100_000, joins_burst_per_ip=100_000)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


async def join_many(
    http: aiohttp.ClientSession, url: str, code: str, count: int, **kw: Any
) -> list[RawClient]:
    gate = asyncio.Semaphore(50)

    async def one(i: int) -> RawClient:
        async with gate:
            client = RawClient(http, url, **kw)
            return await client.connect({"event": code, "role": "attendee", "name": f"Raw {i}"})

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def attendee_id(client: RawClient) -> str:
    return str(client.received("welcome")[0]["attendee"]["id"])


async def test_a_broadcast_reaches_every_client_once_with_the_same_bytes(
    http: aiohttp.ClientSession,
) -> None:
    async with running_server(limits=LIMITS) as server:
        event = await create_event(server.url)
        code = event["code"]
        raw = await join_many(http, server.url, code, MANY)
        python_client = await clients.attendee(server.url, code, "Py")  # python-socketio
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        poll = (
            await presenter.call(
                "poll:create", {"question": "Hello?", "kind": "single", "options": ["a", "b"]}
            )
        )["poll"]
        opened = (await presenter.call("poll:open", {"poll_id": poll["id"]}))["poll"]

        for client in raw:
            await client.wait_for("poll:opened")
        await python_client.wait_for("poll:opened")
        await asyncio.sleep(0.2)  # anything extra would have arrived by now

        frames = {f for c in raw for f in c.frames if f.startswith('42["poll:opened"')}
        assert len(frames) == 1, "every recipient gets the very same bytes"
        frame = frames.pop()
        name, payload = json.loads(frame[2:])
        assert name == "poll:opened"
        assert payload["poll"] == opened
        assert isinstance(payload["ts"], int)
        assert all(len(c.received("poll:opened")) == 1 for c in raw), "exactly once each"
        assert python_client.received["poll:opened"] == [payload]
        for client in raw:
            await client.close()
        await python_client.disconnect()
        await presenter.disconnect()


async def test_personal_messages_reach_each_attendee_with_their_own_payload(
    http: aiohttp.ClientSession,
) -> None:
    async with running_server(limits=LIMITS) as server:
        event = await create_event(server.url)
        code = event["code"]
        raw = await join_many(http, server.url, code, 50)
        python_client = await clients.attendee(server.url, code, "Py")
        ids = [attendee_id(c) for c in raw] + [python_client.welcome["attendee"]["id"]]
        # one attendee is not named: it gets nothing
        messages = {aid: {"rank": i, "attendee_id": aid} for i, aid in enumerate(ids[1:])}

        sent = await server.services.broadcaster.to_each(code, "quiz:result", messages)

        assert sent == len(messages)
        for client in raw[1:]:
            (got,) = await client.wait_for("quiz:result")
            assert got["attendee_id"] == attendee_id(client)
            assert got["rank"] == messages[attendee_id(client)]["rank"]
        results = [r for c in raw[1:] for r in c.received("quiz:result")]
        assert len({r["ts"] for r in results}) == 1, "one send time for the batch"
        py_event: list[Any] = []
        python_client.sio.on("quiz:result", lambda data: py_event.append(data))
        await server.services.broadcaster.to_each(code, "quiz:result", messages)
        for _ in range(100):
            if py_event:
                break
            await asyncio.sleep(0.02)
        assert py_event and py_event[0]["attendee_id"] == python_client.welcome["attendee"]["id"]
        await asyncio.sleep(0.1)
        assert raw[0].received("quiz:result") == []
        for client in raw:
            await client.close()
        await python_client.disconnect()


async def test_ignore_queue_personal_emit_is_delivered() -> None:
    async with running_server() as server:
        event = await create_event(server.url)
        client = await clients.attendee(server.url, event["code"], "Solo")
        got: list[Any] = []
        client.sio.on("note", lambda data: got.append(data))
        sid = server.services.sessions.sids()[0]
        await server.services.sio.emit("note", {"text": "é ✓"}, to=sid, ignore_queue=True)
        await server.services.broadcaster.to_socket(sid, "note", {"text": "second"})
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.02)
        assert [g["text"] for g in got] == ["é ✓", "second"]
        await client.disconnect()


async def test_long_polling_and_upgrading_clients_get_broadcasts() -> None:
    async with running_server() as server:
        event = await create_event(server.url)
        code = event["code"]
        polling = socketio.AsyncClient(reconnection=False)
        upgrading = socketio.AsyncClient(reconnection=False)
        got: dict[str, list[Any]] = {"polling": [], "upgrading": []}
        for name, sio in (("polling", polling), ("upgrading", upgrading)):
            sio.on("poll:opened", lambda data, name=name: got[name].append(data))
        auth = {"event": code, "role": "attendee", "name": "P"}
        await polling.connect(server.url, auth=auth, transports=["polling"])
        await upgrading.connect(server.url, auth=auth)  # polling, then websocket
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        poll = (
            await presenter.call(
                "poll:create", {"question": "Q", "kind": "single", "options": ["a", "b"]}
            )
        )["poll"]
        await asyncio.sleep(0.5)  # let the upgrade finish
        for _ in range(3):
            await presenter.call("poll:open", {"poll_id": poll["id"]})
            await presenter.call("poll:close", {"poll_id": poll["id"]})
        for _ in range(200):
            if len(got["polling"]) == 3 and len(got["upgrading"]) == 3:
                break
            await asyncio.sleep(0.02)
        assert [len(got["polling"]), len(got["upgrading"])] == [3, 3]
        assert upgrading.transport() == "websocket"
        ack = await polling.call(
            "poll:vote", {"poll_id": poll["id"], "choice": "a", "vote_id": "v1"}, timeout=10
        )
        assert ack["error"]["code"] == "not_open"
        # python-socketio's client waits out its pending long-poll on disconnect (about
        # 30 s, with any server): abort instead.
        await polling.eio.disconnect(abort=True)
        await upgrading.disconnect()
        await presenter.disconnect()


async def test_a_client_that_never_reads_is_dropped_and_others_keep_receiving(
    http: aiohttp.ClientSession,
) -> None:
    async with running_server(limits=LIMITS) as server:
        eio = server.services.sio.eio
        eio.max_backlog_bytes = 64 * 1024
        event = await create_event(server.url)
        code = event["code"]
        reader = await RawClient(http, server.url).connect(
            {"event": code, "role": "attendee", "name": "Reads"}
        )
        stalled = await stalled_client(server, code)
        # Keep the kernel from absorbing megabytes for the stalled client.
        for sock in eio.sockets.values():
            if isinstance(sock, DirectSocket) and sock.transport is not None:
                raw_socket = sock.transport.get_extra_info("socket")
                raw_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
        sessions = server.services.sessions
        assert len(sessions) == 2

        blob = "x" * 8000
        sent = 0
        for i in range(400):
            await server.services.sio.emit(
                "blob", {"i": i, "blob": blob}, room=audiences.everyone(code)
            )
            sent += 1
            await asyncio.sleep(0.002)
            if eio.slow_clients_dropped and len(sessions) == 1:
                break
        for _ in range(200):
            if len(sessions) == 1:
                break
            await asyncio.sleep(0.02)

        assert eio.slow_clients_dropped == 1
        assert len(sessions) == 1, "the stalled client's session ended"
        got = await reader.wait_for("blob", sent, timeout=20)
        assert [g["i"] for g in got] == list(range(sent)), "in order, none lost"
        stalled.close()
        await reader.close()


async def stalled_client(server: RunningServer, code: str) -> socket.socket:
    """A websocket client that connects, joins, and then never reads again."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    request = (
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    await asyncio.sleep(0.2)
    auth = json.dumps({"event": code, "role": "attendee", "name": "Stalls"}).encode()
    payload = b"40" + auth
    frame = bytes((0x81, 0x80 | len(payload))) + b"\x00\x00\x00\x00" + payload
    await loop.sock_sendall(sock, frame)
    for _ in range(100):
        if len(server.services.sessions) >= 2:
            break
        await asyncio.sleep(0.02)
    return sock


async def test_a_client_that_stops_answering_pings_is_disconnected(
    http: aiohttp.ClientSession,
) -> None:
    async with running_server() as server:
        eio = server.services.sio.eio
        eio.ping_interval, eio.ping_timeout = 0.2, 0.3
        event = await create_event(server.url)
        code = event["code"]
        silent = await RawClient(http, server.url, answer_pings=False).connect(
            {"event": code, "role": "attendee", "name": "Silent"}
        )
        lively = await RawClient(http, server.url).connect(
            {"event": code, "role": "attendee", "name": "Lively"}
        )
        await asyncio.wait_for(silent.closed.wait(), 10)
        assert silent.pings >= 1
        assert not lively.closed.is_set() and lively.pings >= 2
        assert len(server.services.sessions) == 1
        await lively.close()


async def test_the_room_index_follows_joins_and_disconnects(http: aiohttp.ClientSession) -> None:
    async with running_server(limits=LIMITS) as server:
        manager = server.services.sio.manager
        assert isinstance(manager, LocalManager)
        event = await create_event(server.url)
        code = event["code"]
        raw = await join_many(http, server.url, code, 20)
        sid = server.services.sessions.sids()[0]
        assert set(manager.get_rooms(sid, "/")) == {
            sid,
            audiences.everyone(code),
            audiences.attendees(code),
        }
        for client in raw:
            await client.close()
        for _ in range(200):
            if not len(server.services.sessions):
                break
            await asyncio.sleep(0.02)
        assert len(server.services.sessions) == 0
        assert audiences.everyone(code) not in manager.rooms.get("/", {})
        assert not manager._rooms_of.get("/")


def build_rank_cards(shared: dict[str, Any], attendee_ids: Any) -> Any:
    """A test builder: each attendee's rank, as a dict, as encoded bytes, in two encoded
    parts, or cut from encoded bytes (the way of a café table's assignment)."""
    for aid in attendee_ids:
        if aid in shared["ranks"]:
            rank = shared["ranks"][aid]
            if rank % 2:
                yield aid, {"rank": rank, "of": shared["of"]}
            elif rank % 4:
                yield aid, f'{{"rank":{rank},"of":{shared["of"]}}}'.encode()
            elif rank % 8:  # the way of quiz results: what all share, then their own
                yield aid, (f'{{"of":{shared["of"]}}}'.encode(), f'{{"rank":{rank}}}'.encode())
            else:
                encoded = f'{{"rank":{rank},"drop":1,"of":{shared["of"]}}}'.encode()
                start = encoded.index(b'"drop"')
                yield aid, (encoded, start, start + len('"drop":1,'))


async def attendees_and_a_second_tab(
    http: aiohttp.ClientSession, url: str, code: str, count: int
) -> tuple[list[RawClient], list[str], RawClient]:
    """``count`` raw attendees, their ids, and the first of them in a second tab (one
    attendee, two sockets)."""
    raw = await join_many(http, url, code, count)
    ids = [attendee_id(c) for c in raw]
    token = raw[0].received("welcome")[0]["token"]
    tab = await RawClient(http, url).connect({"event": code, "role": "attendee", "token": token})
    assert attendee_id(tab) == ids[0]
    return raw, ids, tab


def all_but_the_last_ranked(ids: list[str]) -> dict[str, Any]:
    """The shared data of ``build_rank_cards`` ranking every attendee of ``ids`` in
    order but the last, who has no rank (and so no message of their own)."""
    return {"of": len(ids) - 1, "ranks": {aid: i + 1 for i, aid in enumerate(ids[:-1])}}


async def test_personal_messages_built_from_shared_data_reach_every_socket(
    http: aiohttp.ClientSession,
) -> None:
    async with running_server(limits=LIMITS) as server:
        event = await create_event(server.url)
        code = event["code"]
        raw, ids, tab = await attendees_and_a_second_tab(http, server.url, code, 20)
        broadcaster = server.services.broadcaster
        broadcaster.build_personal("test:rank", build_rank_cards)
        # The last attendee has no rank: they get nothing.
        shared = all_but_the_last_ranked(ids)

        sent = await broadcaster.to_each_shared(code, "test:rank", shared)

        assert sent == 20, "19 attendees, one of them on two sockets"
        stamps = set()
        for i, client in enumerate([*raw[:-1], tab]):
            (got,) = await client.wait_for("test:rank")
            assert got["rank"] == (i + 1 if client is not tab else 1)
            assert got["of"] == 19
            stamps.add(got["ts"])
        assert len(stamps) == 1, "one send time for the batch"
        await asyncio.sleep(0.1)
        assert raw[-1].received("test:rank") == []
        with pytest.raises(LookupError, match="build_personal"):
            await broadcaster.to_each_shared(code, "test:unregistered", shared)
        for client in [*raw, tab]:
            await client.close()


def count_writes(server: RunningServer) -> dict[str, list[int]]:
    """Spy on every websocket of ``server``: engine.io sid -> the number of frames in
    each of its writes from now on."""
    writes: dict[str, list[int]] = {}
    for sock in server.services.sio.eio.sockets.values():
        if not isinstance(sock, DirectSocket):
            continue

        def flush(sock: DirectSocket = sock, write: Any = sock.flush) -> None:
            if sock.pending:
                writes.setdefault(sock.sid, []).append(len(sock.pending))
            write()

        sock.flush = flush
    return writes


def order_of(client: RawClient, *events: str) -> list[str]:
    """The names of the ``events`` messages ``client`` received, in order."""
    named = (json.loads(f[2:])[0] for f in client.frames if f.startswith("42"))
    return [name for name in named if name in events]


async def test_a_follow_up_goes_out_in_the_same_write_as_each_personal_message(
    http: aiohttp.ClientSession,
) -> None:
    async with running_server(limits=LIMITS) as server:
        event = await create_event(server.url)
        code = event["code"]
        # More attendees than a write batch (WRITE_BATCH, 64): a batch's boundary
        # must not split an attendee's two frames.
        raw, ids, tab = await attendees_and_a_second_tab(http, server.url, code, 70)
        presenter = await RawClient(http, server.url).connect(
            {"event": code, "role": "presenter", "key": event["presenter_key"]}
        )
        broadcaster = server.services.broadcaster
        broadcaster.build_personal("test:rank", build_rank_cards)
        # The last attendee has no rank: they get the follow-up alone.
        shared = all_but_the_last_ranked(ids)
        writes = count_writes(server)

        sent = await broadcaster.to_each_shared(
            code, "test:rank", shared, ("test:after", {"of": 69})
        )

        assert sent == 70, "69 ranked attendees, one of them on two sockets"
        stamps = set()
        for client in [*raw[:-1], tab]:
            (after,) = await client.wait_for("test:after")
            assert order_of(client, "test:rank", "test:after") == ["test:rank", "test:after"]
            stamps |= {client.received("test:rank")[0]["ts"], after["ts"]}
        (alone,) = await raw[-1].wait_for("test:after")
        (staff,) = await presenter.wait_for("test:after")
        assert alone["of"] == staff["of"] == 69
        assert len(stamps | {alone["ts"], staff["ts"]}) == 1, "one send time for all"
        await asyncio.sleep(0.1)
        assert raw[-1].received("test:rank") == []
        assert presenter.received("test:rank") == []
        # Each ranked attendee's socket: one write of both frames; the last one's, one
        # write of the follow-up alone.
        by_frames = sorted(sorted(w) for w in writes.values())
        assert by_frames.count([2]) == 70, by_frames
        assert by_frames.count([1]) == 2, "the unranked attendee and the presenter"
        assert len(by_frames) == 72
        for client in [*raw, tab, presenter]:
            await client.close()


async def test_a_long_polling_attendee_gets_its_personal_message_then_the_follow_up() -> None:
    async with running_server() as server:
        event = await create_event(server.url)
        code = event["code"]
        polling = socketio.AsyncClient(reconnection=False)
        got: list[tuple[str, Any]] = []
        polling.on("*", lambda name, data: got.append((name, data)))
        await polling.connect(
            server.url,
            auth={"event": code, "role": "attendee", "name": "P"},
            transports=["polling"],
        )
        (attendee_id,) = server.services.sessions.attendee_sockets(code)
        broadcaster = server.services.broadcaster
        broadcaster.build_personal("test:rank", build_rank_cards)

        sent = await broadcaster.to_each_shared(
            code, "test:rank", {"of": 1, "ranks": {attendee_id: 1}}, ("test:after", {"of": 1})
        )

        assert sent == 1
        for _ in range(200):
            if len([name for name, _ in got if name.startswith("test:")]) == 2:
                break
            await asyncio.sleep(0.02)
        mine = [(name, data) for name, data in got if name.startswith("test:")]
        assert [name for name, _ in mine] == ["test:rank", "test:after"]
        assert mine[0][1]["rank"] == 1 and mine[1][1]["of"] == 1
        await polling.eio.disconnect(abort=True)


@contextlib.asynccontextmanager
async def attendees_on_two_processes(
    redis_proc: RedisProcess, each: int
) -> AsyncIterator[tuple[RunningServer, RunningServer, dict[str, str], list[RawClient]]]:
    """Two server processes on one Redis and ``each`` raw attendees of one event on
    each: (the first process, the second, the event as created, all the attendees)."""
    redis_proc.flush()
    async with (
        running_server(redis_proc.url) as one,
        running_server(redis_proc.url) as two,
        aiohttp.ClientSession() as http,
    ):
        event = await create_event(one.url)
        code = event["code"]
        everyone = [
            *await join_many(http, one.url, code, each),
            *await join_many(http, two.url, code, each),
        ]
        try:
            yield one, two, event, everyone
        finally:
            for client in everyone:
                await client.close()


def published_count(server: RunningServer) -> Callable[[], float]:
    """How many pub/sub messages ``server`` has published so far."""
    published = server.services.metrics.pubsub_messages.labels("out")
    return lambda: float(published._value.get())


@pytest.mark.redis
async def test_personal_messages_built_in_each_process_from_one_pubsub_message(
    redis_proc: RedisProcess,
) -> None:
    async with attendees_on_two_processes(redis_proc, 6) as (one, two, event, everyone):
        code = event["code"]
        for server in (one, two):
            server.services.broadcaster.build_personal("test:rank", build_rank_cards)
        shared = {"of": 12, "ranks": {attendee_id(c): i + 1 for i, c in enumerate(everyone)}}
        published = published_count(one)
        before = published()

        sent = await one.services.broadcaster.to_each_shared(code, "test:rank", shared)

        assert sent == 6, "this process delivers to its own attendees"
        for i, client in enumerate(everyone):
            (got,) = await client.wait_for("test:rank")
            assert (got["rank"], got["of"]) == (i + 1, 12)
        assert len({c.received("test:rank")[0]["ts"] for c in everyone}) == 1
        assert published() - before == 1, "one pub/sub message for the batch"


@pytest.mark.redis
async def test_a_follow_up_reaches_everyone_on_every_process_after_their_own_message(
    redis_proc: RedisProcess,
) -> None:
    async with (
        attendees_on_two_processes(redis_proc, 5) as (one, two, event, everyone),
        aiohttp.ClientSession() as http,
    ):
        code = event["code"]
        presenter = await RawClient(http, two.url).connect(
            {"event": code, "role": "presenter", "key": event["presenter_key"]}
        )
        for server in (one, two):
            server.services.broadcaster.build_personal("test:rank", build_rank_cards)
        # The last attendee (on the second process) has no rank.
        ranks = {attendee_id(c): i + 1 for i, c in enumerate(everyone[:-1])}
        published = published_count(one)
        before = published()

        await one.services.broadcaster.to_each_shared(
            code, "test:rank", {"of": 9, "ranks": ranks}, ("test:after", {"of": 9})
        )

        for client in everyone[:-1]:
            await client.wait_for("test:after")
            assert order_of(client, "test:rank", "test:after") == ["test:rank", "test:after"]
            assert client.received("test:rank")[0]["rank"] == ranks[attendee_id(client)]
        for client in (everyone[-1], presenter):
            (after,) = await client.wait_for("test:after")
            assert after["of"] == 9
        await asyncio.sleep(0.1)
        assert order_of(everyone[-1], "test:rank", "test:after") == ["test:after"]
        assert order_of(presenter, "test:rank", "test:after") == ["test:after"]
        assert published() - before == 2, "the batch with its follow-up, the staff's copy"
        await presenter.close()


@pytest.mark.redis
async def test_personal_messages_cross_processes_in_one_batch(redis_proc: RedisProcess) -> None:
    async with attendees_on_two_processes(redis_proc, 5) as (one, _, event, everyone):
        code = event["code"]
        messages = {attendee_id(c): {"table": i} for i, c in enumerate(everyone)}
        published = published_count(one)
        before = published()

        sent = await one.services.broadcaster.to_each(code, "cafe:table", messages)

        assert sent == 5, "this process delivers to its own attendees"
        for client in everyone:
            (got,) = await client.wait_for("cafe:table")
            assert got["table"] == messages[attendee_id(client)]["table"]
        assert published() - before == 1, "one pub/sub message for the batch"


def test_fast_json_keeps_the_standard_library_semantics() -> None:
    assert PacketJson.loads('["\\ud800"]') == ["\ud800"]  # orjson refuses lone surrogates
    assert str(PacketJson.loads("[NaN]")[0]) == "nan"
    assert json.loads(PacketJson.dumps({"s": "\ud800"})) == {"s": "\ud800"}
    assert PacketJson.dumps({"a": [1, 2.5, None, True, "é"]}) == '{"a":[1,2.5,null,true,"é"]}'
    assert PacketJson.dumps({1: "int key"}) == '{"1":"int key"}'


def test_fast_packets_encode_like_python_socketio() -> None:
    from socketio import packet

    def split(encoded: str) -> tuple[str, Any]:
        start = min(i for i in (encoded.find("["), encoded.find("{")) if i >= 0)
        return encoded[:start], json.loads(encoded[start:])

    for kind, data, namespace, ack_id in (
        (packet.EVENT, ["poll:opened", {"poll": {"id": "p_1"}, "ts": 1}], None, None),
        (packet.ACK, [{"ok": True}], "/", 12),
        (packet.EVENT, ["x", {"v": "é"}], "/admin", None),
        (packet.CONNECT, {"sid": "abc"}, None, None),
    ):
        fast = PlenaryPacket(kind, data=data, namespace=namespace, id=ack_id).encode()
        stock = packet.Packet(kind, data=data, namespace=namespace, id=ack_id).encode()
        assert split(fast) == split(stock)
    binary = PlenaryPacket(packet.EVENT, data=["file", b"\x00\x01"]).encode()
    assert isinstance(binary, list) and binary[1] == b"\x00\x01"


def test_a_personal_message_frame_is_the_packet_s_frame() -> None:
    """event_packet and packet_frame (personal messages, the welcome) make the bytes that
    PlenaryPacket and message_frame make, also for what orjson cannot encode, and refuse
    binary parts."""
    from socketio import packet

    for data in (
        {"quiz": {"score": 3, "rank": 12}, "ts": 1},
        {"name": "Zoë ✓", "nested": [1, 2.5, None, True], 7: "int key"},
        {"text": "x" * 70_000},  # a 64-bit length frame
        {"big": 2**70},  # beyond orjson: the standard library's way
    ):
        fast = PlenaryPacket(packet.EVENT, data=["quiz:result", data]).encode()
        assert event_packet("quiz:result", data) == fast.encode()
        assert packet_frame(event_packet("quiz:result", data)) == message_frame(fast)
    with pytest.raises(TypeError, match="binary"):
        event_packet("x", {"blob": b"\x00"})


def test_text_frames_are_valid_websocket_frames() -> None:
    for size in (0, 125, 126, 65535, 65536):
        frame = text_frame(b"x" * size)
        assert frame[0] == 0x81
        if size < 126:
            assert frame[1] == size and len(frame) == size + 2
        elif size < 65536:
            assert frame[1] == 126 and int.from_bytes(frame[2:4], "big") == size
        else:
            assert frame[1] == 127 and int.from_bytes(frame[2:10], "big") == size


@pytest.mark.parametrize(
    ("query", "new_websocket"),
    [
        ("EIO=4&transport=websocket", True),
        ("transport=websocket&EIO=4&t=Pabc123", True),
        ("EIO=4&transport=polling&t=Pabc123", False),
        ("EIO=3&transport=websocket", False),
        ("EIO=4&transport=websocket&sid=abc", False),  # an upgrade: engineio's way
        ("EIO=4&transport=websocket&j=0", False),
        ("EIO=4&transport=websocket&EIO=3", False),  # repeated: engineio decides
        ("EIO=4&transport=web%73ocket", False),  # escaped: engineio unescapes
        ("EIO=4&transport=websocket+", False),
        ("", False),
    ],
)
def test_a_new_websocket_connection_is_told_apart_as_engineio_would(
    query: str, new_websocket: bool
) -> None:
    """is_new_websocket_query never says yes where engineio's own parsing would see
    anything but a new websocket connection (what it declines, engineio handles)."""
    from urllib.parse import parse_qs

    assert is_new_websocket_query(query) is new_websocket
    if new_websocket:
        parsed = parse_qs(query)
        assert parsed["EIO"] == ["4"] and parsed["transport"] == ["websocket"]
        assert "sid" not in parsed and "j" not in parsed


def test_a_fast_socket_has_engineio_s_attributes_and_a_queue_when_asked() -> None:
    """DirectSocket does engineio's BaseSocket.__init__ itself (to skip the queue): it
    must set every attribute engineio's socket has, in this version of engineio too."""
    from engineio.async_socket import AsyncSocket

    server = EngineServer(async_mode="aiohttp")
    stock = AsyncSocket(server, "sid1")
    fast = DirectSocket(server, "sid2")
    assert set(vars(stock)) - {"queue"} <= set(vars(fast))
    assert {k: v for k, v in vars(fast).items() if k not in ("sid", "last_ping", "server")} == {
        k: v for k, v in vars(stock).items() if k not in ("sid", "last_ping", "server", "queue")
    }
    assert fast._queue is None
    assert isinstance(fast.queue, asyncio.Queue) and fast.queue is fast._queue


async def test_standard_clients_connect_the_short_way_and_the_long_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A websocket client's first request skips engineio's request dispatch; a
    long-polling client's requests take it; both get their welcome."""
    import engineio

    long_way: list[str] = []
    original = engineio.AsyncServer.handle_request

    async def spy(self: Any, request: Any, *args: Any) -> Any:
        long_way.append(request.query.get("transport", ""))
        return await original(self, request, *args)

    monkeypatch.setattr(engineio.AsyncServer, "handle_request", spy)
    async with running_server(limits=LIMITS) as server:
        event = await create_event(server.url)
        ws = await clients.attendee(server.url, event["code"], "Ada")
        assert ws.welcome["attendee"]["name"] == "Ada"
        assert long_way == []
        polling = socketio.AsyncClient(reconnection=False)
        welcomes: list[Any] = []
        polling.on("welcome", welcomes.append)
        auth = {"event": event["code"], "role": "attendee", "name": "Bo"}
        await polling.connect(server.url, auth=auth, transports=["polling"], wait_timeout=5)
        for _ in range(100):
            if welcomes:
                break
            await asyncio.sleep(0.05)
        assert welcomes and welcomes[0]["attendee"]["name"] == "Bo"
        assert long_way and set(long_way) == {"polling"}
        # Its goodbye answers its waiting GET: engineio would hold it until the ping
        # timeout (30 s), and python-engineio's client waits for it.
        await asyncio.wait_for(polling.disconnect(), 10)
        await ws.disconnect()


def test_session_ids_look_like_engineio_s_and_never_repeat() -> None:
    import base64
    import os

    server = EngineServer(async_mode="aiohttp")
    ids = [server.generate_id() for _ in range(5000)]  # several refills of the pool
    assert len(set(ids)) == len(ids)
    for sid in ids[:50]:
        assert len(sid) == 20 and "/" not in sid and "+" not in sid
        raw = base64.urlsafe_b64decode(sid)
        assert len(raw) == 15
    assert int.from_bytes(base64.urlsafe_b64decode(ids[1])[12:], "big") == 1
    # A forked child starts with a fresh pool (and so other ids than its parent's).
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, EngineServer(async_mode="aiohttp").generate_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    os.close(write)
    parent = EngineServer(async_mode="aiohttp").generate_id()
    assert child[:16] != parent[:16]  # the random part differs


async def test_the_room_index_and_plain_dict_rooms_match_python_socketio() -> None:
    """LocalManager keeps rooms other than the connected clients' in plain dicts and an
    index of each socket's rooms: the same sequence of joins, leaves, closes and
    disconnects gives the same participants and rooms as python-socketio's manager."""
    from types import SimpleNamespace

    def server() -> Any:
        count = iter(range(1000))
        return SimpleNamespace(
            eio=SimpleNamespace(generate_id=lambda: f"sid{next(count)}"), packet_class=PlenaryPacket
        )

    def snapshot(manager: Any) -> Any:
        rooms = {
            ns: {room: dict(members._fwdm) for room, members in by_room.items()}
            for ns, by_room in manager.rooms.items()
        }
        participants = {
            room: sorted(manager.get_participants("/", room))
            for room in ("everyone", "attendees", "staff", "sid0", "sid1", "sid2")
        }
        both = sorted(manager.get_participants("/", ["attendees", "staff"]))
        joined = {sid: sorted(manager.get_rooms(sid, "/")) for sid in ("sid0", "sid1", "sid2")}
        return rooms, participants, both, joined

    fast, stock = LocalManager(), socketio.AsyncManager()
    states = []
    for manager in (fast, stock):
        manager.set_server(server())
        manager.initialize()
        seen = []
        for eio_sid, group in (("e0", "attendees"), ("e1", "attendees"), ("e2", "staff")):
            sid = await manager.connect(eio_sid, "/")
            manager.basic_enter_room(sid, "/", "everyone")
            manager.basic_enter_room(sid, "/", group)
        seen.append(snapshot(manager))
        with pytest.raises(ValueError):
            manager.basic_enter_room("sid0", "/", "sid1")  # another client's own room
        await manager.leave_room("sid1", "/", "attendees")
        seen.append(snapshot(manager))
        await manager.close_room("staff", "/")
        seen.append(snapshot(manager))
        await manager.disconnect("sid0", "/")
        seen.append(snapshot(manager))
        states.append(seen)
    assert states[0] == states[1]
    assert type(fast.rooms["/"]["everyone"]).__name__ == "RoomMembers"
    assert states[0][0][1]["attendees"] == [("sid0", "e0"), ("sid1", "e1")]


async def test_sockets_due_together_share_a_ping_timer(http: aiohttp.ClientSession) -> None:
    """Pings come from one timer per slot of due times, not one per socket: 40 clients
    that join together wait in a couple of slots, each is pinged and answers, and a
    client that leaves is taken out of its slot."""
    async with running_server(limits=LIMITS) as server:
        eio = server.services.sio.eio
        eio.ping_interval = 1.0  # slots of 0.1 s
        event = await create_event(server.url)
        joined = await join_many(http, server.url, event["code"], 40)
        slots = dict(eio._ping_slots)
        assert 1 <= len(slots) <= 3
        assert sum(len(waiting) for waiting in slots.values()) == 40
        sessions = server.services.sessions
        sid = next(
            sid
            for sid in sessions.sids()
            if sessions.get(sid).attendee.id == attendee_id(joined[0])  # type: ignore[union-attr]
        )
        leaving = eio.sockets[server.services.sio.manager.eio_sid_from_sid(sid, "/")]
        assert any(leaving in waiting for waiting in eio._ping_slots.values())
        await joined[0].close()
        for _ in range(20):
            if not any(leaving in waiting for waiting in eio._ping_slots.values()):
                break
            await asyncio.sleep(0.01)
        assert not any(leaving in waiting for waiting in eio._ping_slots.values())
        for _ in range(150):
            if all(client.pings >= 1 for client in joined[1:]):
                break
            await asyncio.sleep(0.02)
        assert all(client.pings >= 1 for client in joined[1:])
        assert len(server.services.sessions) == 39
        for client in joined[1:]:
            await client.close()


async def test_websocket_pings_are_answered_and_count_against_the_frame_budget(
    http: aiohttp.ClientSession,
) -> None:
    """aiohttp's automatic pong is off: the reader answers pings itself, and counts them
    with every other frame (4 x events_burst of them at once, here 20)."""
    async with running_server(limits=Limits(events_per_second=1, events_burst=5)) as server:
        url = server.url + "/socket.io/?EIO=4&transport=websocket"
        ws = await http.ws_connect(url, autoping=False)
        assert (await ws.receive_str(timeout=10)).startswith("0{")
        await ws.ping(b"hi")
        pong = await ws.receive(timeout=10)
        assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"hi")
        for _ in range(40):
            try:
                await ws.ping()
            except (ConnectionError, aiohttp.ClientError):
                break
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type not in (aiohttp.WSMsgType.PONG, aiohttp.WSMsgType.TEXT):
                break
        assert ws.close_code in (1008, None)  # 1008, unless the connection reset first
        await asyncio.sleep(0.05)
        metrics = server.services.metrics.render().decode()
        assert 'plenary_connections_closed_total{reason="flood"} 1.0' in metrics


async def test_a_client_gone_during_the_handshake_is_not_a_server_error(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A new websocket whose client left before the 101 answer could be written (aiohttp
    raises ConnectionResetError in prepare()): the session ends, nothing logs an ERROR,
    and the request is answered rather than raising into aiohttp (which would log one)."""
    from aiohttp.test_utils import make_mocked_request

    request = make_mocked_request(
        "GET",
        "/socket.io/?EIO=4&transport=websocket",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    request._protocol.transport = None  # the client is gone
    eio = server.services.sio.eio
    before = set(eio.sockets)
    with caplog.at_level("WARNING"):
        response = await eio.handle_request(request)
    assert response.status == 400
    assert set(eio.sockets) == before  # the session did not stay behind
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
