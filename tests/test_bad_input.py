"""Bad input gets an error ack with a stable code and changes nothing; malformed packets
and floods never crash the server or touch another client's session."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from plenary.realtime.wire.server import packet_head
from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer


@pytest.fixture
async def room(server: RunningServer, event: dict[str, str]) -> Any:
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    ada = await clients.attendee(server.url, event["code"], "Ada")
    bob = await clients.attendee(server.url, event["code"], "Bob")
    created = await presenter.call(
        "poll:create", {"question": "Q", "kind": "single", "options": ["x", "y"]}
    )
    poll_id = created["poll"]["id"]
    await presenter.call("poll:open", {"poll_id": poll_id})
    assert (await bob.vote(poll_id, "a"))["ok"]
    yield presenter, ada, bob, poll_id
    for c in (presenter, ada, bob):
        await c.disconnect()


async def snapshot(presenter: Client) -> list[dict[str, Any]]:
    listing = await presenter.call("poll:list")
    return [
        {k: v for k, v in p.items() if k not in ("results",)} | {"results": p["results"]}
        for p in listing["polls"]
    ]


def code_of(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    return str(ack["error"]["code"])


VOTE_CASES = [
    ({"poll_id": "p_nope", "choice": "a", "vote_id": "v1"}, "not_found"),
    ({"choice": "a", "vote_id": "v1"}, "bad_request"),
    ({"poll_id": "{poll}", "choice": "z", "vote_id": "v1"}, "bad_choice"),
    ({"poll_id": "{poll}", "choice": ["a"], "vote_id": "v1"}, "bad_request"),
    ({"poll_id": "{poll}", "choice": "a"}, "bad_request"),
    ({"poll_id": "{poll}", "choice": "a", "vote_id": ""}, "bad_request"),
    ({"poll_id": "{poll}", "choice": "a", "vote_id": "has space"}, "bad_request"),
    ({"poll_id": "{poll}", "choice": "a", "vote_id": "x" * 65}, "too_long"),
    ({"poll_id": 12, "choice": "a", "vote_id": "v1"}, "bad_request"),
    ({"poll_id": "x" * 65, "choice": "a", "vote_id": "v1"}, "too_long"),
    ([1, 2, 3], "bad_request"),
    ("poll", "bad_request"),
    (42, "bad_request"),
]


@pytest.mark.parametrize(("payload", "code"), VOTE_CASES)
async def test_bad_votes_change_nothing(room: Any, payload: Any, code: str) -> None:
    presenter, ada, _, poll_id = room
    before = await snapshot(presenter)
    if isinstance(payload, dict):
        payload = {k: (poll_id if v == "{poll}" else v) for k, v in payload.items()}
    assert code_of(await ada.call("poll:vote", payload)) == code
    assert await snapshot(presenter) == before


async def test_roles_are_enforced(room: Any, server: RunningServer, event: dict[str, str]) -> None:
    presenter, ada, _, poll_id = room
    before = await snapshot(presenter)
    for name, payload in [
        ("poll:create", {"question": "Hijack", "kind": "single", "options": ["a", "b"]}),
        ("poll:open", {"poll_id": poll_id}),
        ("poll:close", {"poll_id": poll_id}),
        ("poll:reveal", {"poll_id": poll_id}),
        ("poll:list", {}),
    ]:
        assert code_of(await ada.call(name, payload)) == "forbidden"
    screen = await clients.screen(server.url, event["code"])
    assert code_of(await screen.call("poll:close", {"poll_id": poll_id})) == "forbidden"
    assert code_of(await screen.vote(poll_id, "a")) == "forbidden"
    assert code_of(await presenter.vote(poll_id, "a")) == "forbidden"
    assert await snapshot(presenter) == before
    await screen.disconnect()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"question": "Q", "kind": "nope"}, "bad_request"),
        ({"question": "Q" * 301, "kind": "rating"}, "too_long"),
        ({"question": "Q", "kind": "single", "options": ["only"]}, "bad_request"),
        ({"question": "Q", "kind": "single", "options": "a,b"}, "bad_request"),
        ({"question": "Q", "kind": "rating", "scale": "5"}, "bad_request"),
        ({"question": None, "kind": "rating"}, "bad_request"),
        ({"kind": "rating"}, "bad_request"),
    ],
)
async def test_bad_poll_definitions_change_nothing(room: Any, payload: Any, code: str) -> None:
    presenter, *_ = room
    before = await snapshot(presenter)
    assert code_of(await presenter.call("poll:create", payload)) == code
    assert await snapshot(presenter) == before


async def test_presenter_errors(room: Any) -> None:
    presenter, *_ = room
    assert code_of(await presenter.call("poll:open", {"poll_id": "p_nope"})) == "not_found"
    draft = await presenter.call("poll:create", {"question": "D", "kind": "wordcloud"})
    draft_id = draft["poll"]["id"]
    assert code_of(await presenter.call("poll:close", {"poll_id": draft_id})) == "not_open"


async def test_oversized_text_is_refused(room: Any) -> None:
    presenter, ada, _, _ = room
    cloud = await presenter.call("poll:create", {"question": "Word", "kind": "wordcloud"})
    cloud_id = cloud["poll"]["id"]
    await presenter.call("poll:open", {"poll_id": cloud_id})
    assert code_of(await ada.vote(cloud_id, "w" * 41)) == "too_long"
    assert code_of(await ada.vote(cloud_id, "   ")) == "bad_choice"
    closed = await presenter.call("poll:close", {"poll_id": cloud_id})
    assert closed["results"]["total"] == 0


async def test_flood_is_rate_limited_for_the_sender_only(room: Any) -> None:
    presenter, ada, bob, poll_id = room
    acks = await asyncio.gather(*(ada.vote(poll_id, "b") for _ in range(40)))
    limited = [a for a in acks if not a["ok"]]
    assert limited, "40 votes at once must hit the 20-message burst"
    assert {a["error"]["code"] for a in limited} == {"rate_limited"}
    assert all(a["error"]["retry_after_ms"] > 0 for a in limited)
    assert len([a for a in acks if a["ok"]]) <= 21
    # Bob, meanwhile, is unaffected.
    assert (await bob.vote(poll_id, "b"))["ok"]
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {"a": 0, "b": 2}


async def test_oversized_message_closes_only_that_connection(room: Any) -> None:
    presenter, ada, bob, poll_id = room
    disconnected = asyncio.Event()
    ada.sio.on("disconnect", lambda *_: disconnected.set())
    await ada.sio.emit("poll:vote", {"poll_id": poll_id, "choice": "x" * 40_000, "vote_id": "v"})
    await asyncio.wait_for(disconnected.wait(), 10)
    assert (await bob.vote(poll_id, "b"))["ok"]
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {"a": 0, "b": 1}


async def raw_socket(
    server: RunningServer, auth: dict[str, Any]
) -> aiohttp.ClientWebSocketResponse:
    """A hand-driven Engine.IO/Socket.IO websocket, to send packets no library would."""
    http = aiohttp.ClientSession()
    ws = await http.ws_connect(server.url + "/socket.io/?EIO=4&transport=websocket")
    ws._test_http = http  # type: ignore[attr-defined]
    opening = await ws.receive_str()
    assert opening.startswith("0")
    await ws.send_str("40" + json.dumps(auth))
    while True:
        message = await ws.receive_str()
        if message.startswith("40"):
            return ws


async def test_malformed_packets_do_not_hurt_anyone(
    room: Any, server: RunningServer, event: dict[str, str]
) -> None:
    presenter, _, bob, poll_id = room
    ws = await raw_socket(server, {"event": event["code"], "role": "attendee", "name": "Mallory"})
    garbage = [
        '42["poll:vote"',  # truncated JSON
        "42[]",
        "42[123]",
        '42["poll:vote", {"poll_id": "' + poll_id + '", "choice": "a"}, 5, 6]',
        '421["poll:vote", null]',
        '422["poll:vote", {"poll_id": {"$ne": 1}, "choice": {"a": 1}, "vote_id": []}]',
        '42["__proto__", {}]',
        "4" + "\x00" * 10,
        "9999",
        "",
        '43["not an ack"]',
        "41",
    ]
    for frame in garbage:
        await ws.send_str(frame)
    await ws.send_bytes(b"\xff\xfe\x00binary junk")
    await asyncio.sleep(0.3)
    await ws.close()
    await ws._test_http.close()  # type: ignore[attr-defined]
    # The server still serves everyone, and nothing changed.
    assert (await bob.vote(poll_id, "b"))["ok"]
    async with aiohttp.ClientSession() as http, http.get(server.url + "/healthz") as r:
        assert r.status == 200
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {"a": 0, "b": 1}
    assert closed["results"]["total"] == 1


async def read_acks(ws: aiohttp.ClientWebSocketResponse, ids: set[int]) -> dict[int, Any]:
    """The acks with these ids (other frames are skipped)."""
    acks: dict[int, Any] = {}
    while set(acks) != ids:
        text = await asyncio.wait_for(ws.receive_str(), 10)
        if text.startswith("43"):
            bracket = text.index("[")
            acks[int(text[2:bracket])] = json.loads(text[bracket:])
    return acks


async def test_reserved_and_unknown_event_names_change_nothing(
    room: Any, server: RunningServer, event: dict[str, str]
) -> None:
    presenter, _, _, poll_id = room
    auth = {"event": event["code"], "role": "attendee", "name": "Mallory"}
    ws = await raw_socket(server, auth)
    fake_environ = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    frames = {
        1: '421["disconnect"]',  # would end Mallory's own session in python-socketio
        2: "422" + json.dumps(["connect", fake_environ, {**auth, "name": "Mallory II"}]),
        3: '423["disconnect", "client namespace disconnect"]',
        4: '424["no:such:event", {}]',
        5: "425[]",
        6: "426[42]",
    }
    for frame in frames.values():
        await ws.send_str(frame)
    acks = await read_acks(ws, set(frames))
    for ack_id, ack in acks.items():
        assert len(ack) == 1 and ack[0]["ok"] is False, (ack_id, ack)
        assert ack[0]["error"]["code"] == "bad_request", (ack_id, ack)
        assert "Unknown event" in ack[0]["error"]["message"]
    # Mallory still has her session and her identity: her vote counts, once.
    vote = {"poll_id": poll_id, "choice": "a", "vote_id": "m1"}
    await ws.send_str("427" + json.dumps(["poll:vote", vote]))
    assert (await read_acks(ws, {7}))[7][0]["ok"] is True
    state_frame = "428" + json.dumps(["state:get", {}])
    await ws.send_str(state_frame)
    state = (await read_acks(ws, {8}))[8][0]["state"]
    assert state["attendee"]["name"] == "Mallory"
    await ws.close()
    await ws._test_http.close()  # type: ignore[attr-defined]
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    # Bob's vote and Mallory's, nothing else.
    assert (closed["results"]["counts"], closed["results"]["total"]) == ({"a": 2, "b": 0}, 2)
    # The made-up "connect" created no second attendee.
    url = f"{server.url}/api/events/{event['code']}/export"
    headers = {"Authorization": f"Bearer {event['presenter_key']}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as r:
        export = await r.json()
    assert sorted(a["name"] for a in export["attendees"]) == ["Ada", "Bob", "Mallory"]


@pytest.mark.parametrize(
    ("data", "head"),
    [
        ('2["a"]', (2, False, None, None)),
        ('212["a"]', (2, False, None, 12)),
        ('2/chat,7["a"]', (2, False, "/chat", 7)),
        ("0/chat?x=1,{}", (0, False, "/chat", None)),
        ("1/chat", (1, False, "/chat", None)),
        ('51-["a",{"_placeholder":true,"num":0}]', (5, True, None, None)),
        ('21-["a"]', (2, True, None, None)),  # python-socketio reads attachments here too
        ('2["a-b"]', (2, False, None, None)),
        ("2" + "1" * 13 + '["a"]', (2, False, None, None)),  # an id too long to answer
        ("x", None),
        ("", None),
        ("٣", None),  # a digit, but not an ASCII one
    ],
)
def test_packet_head_reads_a_packet_as_python_socketio_does(
    data: str, head: tuple[Any, ...] | None
) -> None:
    assert packet_head(data) == head


def frame_counts(server: RunningServer) -> dict[str, float]:
    """plenary_bad_frames_total and plenary_connections_closed_total, by reason."""
    text = server.services.metrics.render().decode()
    counts = {}
    for line in text.splitlines():
        for name, short in (
            ("plenary_bad_frames_total", "bad"),
            ("plenary_connections_closed_total", "closed"),
        ):
            if line.startswith(name + "{"):
                reason = line.split('reason="')[1].split('"')[0]
                counts[f"{short}:{reason}"] = float(line.rsplit(" ", 1)[1])
    return counts


async def ws_ending(ws: aiohttp.ClientWebSocketResponse) -> tuple[list[str], int | None]:
    """The texts a websocket gets until the server ends it, and its close code."""
    texts = []
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type is aiohttp.WSMsgType.TEXT:
            texts.append(msg.data)
        else:
            return texts, ws.close_code


async def test_packets_the_protocol_does_not_use_close_only_that_connection(
    room: Any, server: RunningServer, event: dict[str, str]
) -> None:
    presenter, _, bob, poll_id = room
    auth = {"event": event["code"], "role": "attendee", "name": "Mallory"}
    cases = [
        ('451-["poll:vote",{"_placeholder":true,"num":0}]', 1003),  # attachments
        ("4399[1]", 1008),  # an ack the server did not ask for
        ("44{}", 1008),  # CONNECT_ERROR is the server's
        ("42", 1008),  # an event without a name, and no ack id to answer
    ]
    for frame, code in cases:
        ws = await raw_socket(server, auth)
        await ws.send_str(frame)
        texts, close_code = await ws_ending(ws)
        assert texts[-2:] == ["41", "1"] and close_code == code, (frame, texts, close_code)
        await ws._test_http.close()  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)  # counters reach prometheus-client at the end of a round
    assert frame_counts(server) == {
        "bad:binary": 1.0,
        "closed:binary": 1.0,
        "bad:malformed": 3.0,
        "closed:malformed": 3.0,
    }
    assert (await bob.vote(poll_id, "b"))["ok"]  # Bob, meanwhile, is served
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {"a": 0, "b": 1}


async def test_a_malformed_event_with_an_ack_id_is_answered_and_the_connection_stays(
    room: Any, server: RunningServer, event: dict[str, str]
) -> None:
    auth = {"event": event["code"], "role": "attendee", "name": "Typo"}
    ws = await raw_socket(server, auth)
    await ws.send_str('421["poll:vote",{"poll_id": }]')
    (answer,) = (await read_acks(ws, {1}))[1]
    assert answer["ok"] is False and answer["error"]["code"] == "bad_request"
    assert "not valid JSON" in answer["error"]["message"]
    await ws.send_str('422["state:get",{}]')
    assert (await read_acks(ws, {2}))[2][0]["ok"] is True
    await ws.close()
    await ws._test_http.close()  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    assert frame_counts(server) == {"bad:malformed": 1.0}


async def test_events_before_connect_are_answered_unauthorized(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(server.url + "/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0")
        await ws.send_str('421["state:get",{}]')
        await ws.send_str('42["state:get",{}]')  # no ack id: ignored
        await ws.send_str('422["state:get",{}]')
        acks = await read_acks(ws, {1, 2})
        assert [a[0]["error"]["code"] for a in acks.values()] == ["unauthorized"] * 2
        await ws.close()
