"""Connecting: roles, refusals with clear reasons, resume tokens."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio

from plenary.realtime.wire.server import PlenaryServer
from tests.support import clients
from tests.support.raw_socketio import RawClient
from tests.support.server import RunningServer


async def refusal(url: str, auth: Any) -> dict[str, Any]:
    """Connect with ``auth`` and return the connect_error data (the connection must fail)."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert errors, "connect_error carries the reason"
    data: dict[str, Any] = errors[0]
    assert data["message"] and data["data"]["message"] == data["message"]
    return data


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        ({"event": "NOPE99", "role": "attendee", "name": "Ada"}, "unknown_event"),
        ({"event": "{code}", "role": "attendee"}, "name_required"),
        ({"event": "{code}", "role": "attendee", "name": "   "}, "name_required"),
        ({"event": "{code}", "role": "attendee", "name": "x" * 61}, "too_long"),
        ({"event": "{code}", "role": "attendee", "token": "forged"}, "bad_token"),
        ({"event": "{code}", "role": "presenter", "key": "wrong"}, "bad_key"),
        ({"event": "{code}", "role": "presenter"}, "bad_key"),
        ({"event": "{code}", "role": "presenter", "key": "\udc80"}, "bad_key"),
        ({"event": "{code}", "role": "admin"}, "bad_role"),
        ({"event": 123, "role": "screen"}, "bad_request"),
        ({"role": "screen"}, "bad_request"),
        ("just a string", "bad_request"),
        (None, "bad_request"),
    ],
)
async def test_refused_with_reason(
    server: RunningServer, event: dict[str, str], auth: Any, code: str
) -> None:
    if isinstance(auth, dict):
        auth = {k: (event["code"] if v == "{code}" else v) for k, v in auth.items()}
    data = await refusal(server.url, auth)
    assert data["data"]["code"] == code
    # Refused connections never create attendees.
    assert await server.services.store.count_attendees(event["code"]) == 0


async def test_lone_surrogates_are_dropped_from_names(
    server: RunningServer, event: dict[str, str]
) -> None:
    ada = await clients.attendee(server.url, event["code"], "\ud800Ada\udfff")
    assert ada.welcome["attendee"]["name"] == "Ada"
    await ada.disconnect()


async def test_join_code_is_case_insensitive(server: RunningServer, event: dict[str, str]) -> None:
    ada = await clients.attendee(server.url, event["code"].lower(), "Ada", country="PT")
    assert ada.welcome["event"]["code"] == event["code"]
    assert ada.welcome["attendee"]["country"] == "PT"
    assert ada.welcome["attendee"]["organisation"] is None
    await ada.disconnect()


async def test_tokens_are_unique_and_secret_free_welcome(
    server: RunningServer, event: dict[str, str]
) -> None:
    ada = await clients.attendee(server.url, event["code"], "Ada")
    bob = await clients.attendee(server.url, event["code"], "Bob")
    assert ada.welcome["token"] != bob.welcome["token"]
    assert len(ada.welcome["token"]) >= 32
    assert ada.welcome["attendee"]["id"] != bob.welcome["attendee"]["id"]
    screen = await clients.screen(server.url, event["code"])
    for welcome in (ada.welcome, bob.welcome, screen.welcome):
        assert event["presenter_key"] not in str(welcome)
    assert "token" not in screen.welcome
    for c in (ada, bob, screen):
        await c.disconnect()


async def test_unknown_token_with_name_joins_anew(
    server: RunningServer, event: dict[str, str]
) -> None:
    ada = await clients.attendee(server.url, event["code"], "Ada", token="stale-token")
    assert ada.welcome["token"] != "stale-token"
    assert await server.services.store.count_attendees(event["code"]) == 1
    await ada.disconnect()


async def test_token_of_another_event_does_not_resume(
    server: RunningServer, event: dict[str, str]
) -> None:
    from tests.support.server import create_event

    other = await create_event(server.url, "Other")
    ada = await clients.attendee(server.url, event["code"], "Ada")
    data = await refusal(
        server.url, {"event": other["code"], "role": "attendee", "token": ada.welcome["token"]}
    )
    assert data["data"]["code"] == "bad_token"
    await ada.disconnect()


async def test_the_welcome_follows_connect_once_and_nothing_is_missed(
    server: RunningServer, event: dict[str, str]
) -> None:
    """The welcome goes out after the CONNECT packet, from the connecting client's own
    task: on the wire it follows ``40`` exactly once, and either it shows a poll opened
    while others were joining or the broadcast reaches the client; refused joins leave
    nothing behind."""
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    created = await presenter.call("poll:create", {"question": "Q", "kind": "rating"})
    poll_id = created["poll"]["id"]
    async with aiohttp.ClientSession() as http:

        async def join(i: int) -> RawClient:
            client = RawClient(http, server.url)
            return await client.connect(
                {"event": event["code"], "role": "attendee", "name": f"R{i}"}
            )

        early = await asyncio.gather(*(join(i) for i in range(10)))
        opening = asyncio.ensure_future(presenter.call("poll:open", {"poll_id": poll_id}))
        late = await asyncio.gather(*(join(i) for i in range(10, 30)))
        await opening
        for client in early:  # joined before the poll opened: the broadcast reaches them
            await client.wait_for("poll:opened")
        for client in [*early, *late]:
            assert client.frames[0].startswith("40{"), client.frames[:2]
            # Then the welcome; a broadcast may come first (docs/protocol.md, "welcome").
            welcomes = [f for f in client.frames if f.startswith('42["welcome",')]
            assert len(welcomes) == 1
            assert all(
                f.startswith('42["poll:')
                for f in client.frames[1 : client.frames.index(welcomes[0])]
            )
            welcome = client.received("welcome")[0]
            opened = client.received("poll:opened")
            # Either the welcome shows the open poll, or the broadcast follows it.
            shown = welcome["activity"] and welcome["activity"]["poll"]["status"] == "open"
            assert shown or opened, (welcome, opened)
        await refusal(server.url, {"event": event["code"], "role": "presenter", "key": "no"})
        sio = server.services.sio
        assert isinstance(sio, PlenaryServer)
        assert sio.follow_ups_waiting == 0
        for client in [*early, *late]:
            await client.close()
    await presenter.disconnect()


async def test_a_standard_clients_connect_takes_the_one_pass_path(
    server: RunningServer, event: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """python-socketio's client sends its CONNECT as the server's one-pass decoder
    expects (``parse_connect``), and it is accepted without python-socketio's generic
    connect handling: the shortcuts are really taken, and the result is the same
    welcome."""
    from plenary.realtime.wire import server as server_module

    decoded: list[Any] = []
    generic: list[Any] = []
    original = server_module.parse_connect
    original_connect = socketio.AsyncServer._handle_connect

    def spy(data: str) -> Any:
        result = original(data)
        decoded.append(result)
        return result

    async def spy_connect(self: Any, *args: Any) -> Any:
        generic.append(args)
        return await original_connect(self, *args)

    monkeypatch.setattr(server_module, "parse_connect", spy)
    monkeypatch.setattr(socketio.AsyncServer, "_handle_connect", spy_connect)
    ada = await clients.attendee(server.url, event["code"], "Ada")
    assert ada.welcome["attendee"]["name"] == "Ada"
    assert ada.sio.get_sid() is not None
    assert decoded == [({"event": event["code"], "role": "attendee", "name": "Ada"},)]
    assert generic == []
    await ada.disconnect()
