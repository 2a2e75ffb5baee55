"""Rooms end to end, on both backends: the programme over REST and Socket.IO, one
attendee identity moving between rooms, each room's broadcasts reaching its people
only, presenters' keys per room, closing rooms, per-room presence and exports."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from plenary.settings import Limits
from tests.support import clients
from tests.support.clients import Client
from tests.support.server import ADMIN_TOKEN, RunningServer, create_event, running_server
from tests.test_connect import refusal
from tests.test_polls_live import create_open


async def rest(
    method: str, url: str, token: str | None = None, body: Any = None
) -> tuple[int, Any, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, json=body, headers=headers) as response,
    ):
        text = await response.text()
        kind = response.headers.get("Content-Type", "")
        data = await response.json() if kind.startswith("application/json") else text
        return response.status, data, response.headers.get("X-Attendee-Link", "")


async def add_room_at(url: str, event: dict[str, str], title: str) -> dict[str, Any]:
    """A new room, added over REST with the event-wide key."""
    status, body, _ = await rest(
        "POST", f"{url}/api/events/{event['code']}/rooms", event["presenter_key"], {"title": title}
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def add_room(server: RunningServer, event: dict[str, str], title: str) -> dict[str, Any]:
    return await add_room_at(server.url, event, title)


def ids(rooms: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rooms]


async def test_the_programme_over_rest(server: RunningServer, event: dict[str, str]) -> None:
    base = f"{server.url}/api/events/{event['code']}/rooms"
    status, body, _ = await rest("GET", base)
    assert status == 200 and ids(body["rooms"]) == ["main"]
    assert body["rooms"][0]["main"] is True and body["rooms"][0]["closed"] is False

    one = await add_room(server, event, "Breakout 1: Green transition")
    assert one["room"]["title"] == "Breakout 1: Green transition"
    assert one["presenter_key"] and one["presenter_key"] != event["presenter_key"]
    assert one["urls"]["attendee"].endswith(f"?event={event['code']}&room={one['room']['id']}")
    status, two, _ = await rest(
        "POST", base, ADMIN_TOKEN, {"title": "Breakout 2", "starts_at": 2000, "ends_at": 3000}
    )
    assert status == 201 and two["room"]["starts_at"] == 2000
    r1, r2 = one["room"]["id"], two["room"]["id"]
    assert ids((await rest("GET", base))[1]["rooms"]) == ["main", r1, r2]

    # Refused: no key, a room's key, bad bodies; nothing changes.
    refused = [
        await rest("POST", base, None, {"title": "x"}),
        await rest("POST", base, one["presenter_key"], {"title": "x"}),
        await rest("POST", base, event["presenter_key"], {"title": ""}),
        await rest("POST", base, event["presenter_key"], {"title": "x", "colour": "red"}),
        await rest("POST", base, event["presenter_key"], {"title": "x", "starts_at": "noon"}),
        await rest(
            "POST", base, event["presenter_key"], {"title": "x", "starts_at": 5, "ends_at": 1}
        ),
        await rest("POST", base, event["presenter_key"], ["title"]),
        await rest("PATCH", f"{base}/nope", event["presenter_key"], {"title": "x"}),
        await rest("DELETE", f"{base}/main", event["presenter_key"]),
    ]
    assert [(s, b["error"]["code"]) for s, b, _ in refused] == [
        (401, "unauthorized"),
        (403, "bad_key"),
        (400, "bad_request"),
        (400, "bad_request"),
        (400, "bad_request"),
        (400, "bad_request"),
        (400, "bad_request"),
        (404, "not_found"),
        (403, "forbidden"),
    ]
    assert ids((await rest("GET", base))[1]["rooms"]) == ["main", r1, r2]

    status, renamed, _ = await rest(
        "PATCH", f"{base}/{r1}", event["presenter_key"], {"title": "Renamed", "description": "d"}
    )
    assert status == 200 and (renamed["room"]["title"], renamed["room"]["description"]) == (
        "Renamed",
        "d",
    )
    status, ordered, _ = await rest(
        "PUT", f"{base}/order", event["presenter_key"], {"order": [r2, "main", r1]}
    )
    assert status == 200 and ids(ordered["rooms"]) == [r2, "main", r1]
    status, bad, _ = await rest("PUT", f"{base}/order", event["presenter_key"], {"order": [r2]})
    assert status == 400 and bad["error"]["code"] == "bad_request"

    status, closed, _ = await rest("DELETE", f"{base}/{r2}", ADMIN_TOKEN)
    assert status == 200 and closed["room"]["closed"] is True
    rooms = (await rest("GET", base))[1]["rooms"]
    assert [(r["id"], r["closed"]) for r in rooms] == [(r2, True), ("main", False), (r1, False)]
    # A closed room is not reopened nor changed.
    status, gone, _ = await rest("PATCH", f"{base}/{r2}", ADMIN_TOKEN, {"title": "x"})
    assert status == 404 and gone["error"]["code"] == "not_found"


async def test_a_programme_has_a_bounded_number_of_rooms(redis_url: str | None) -> None:
    async with running_server(redis_url, limits=Limits(max_rooms_per_event=4)) as server:
        event = await create_event(server.url)
        for i in range(3):  # the main room counts
            await add_room(server, event, f"Room {i}")
        status, body, _ = await rest(
            "POST",
            f"{server.url}/api/events/{event['code']}/rooms",
            event["presenter_key"],
            {"title": "One too many"},
        )
        assert status == 400 and "at most 4 rooms" in body["error"]["message"]
        rooms = (await rest("GET", f"{server.url}/api/events/{event['code']}/rooms"))[1]
        assert len(rooms["rooms"]) == 4


async def test_one_identity_moves_between_rooms(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    room = (await add_room(server, event, "Breakout"))["room"]["id"]
    ada = await clients.attendee(server.url, code, "Ada")
    assert ada.welcome["room"]["id"] == "main" and ada.welcome["room"]["title"] == "Main room"
    assert ids(ada.welcome["rooms"]) == ["main", room]
    me = ada.welcome["attendee"]["id"]

    moved = await ada.call("room:enter", {"room": room})
    assert moved["ok"], moved
    assert moved["state"]["room"]["id"] == room and moved["state"]["attendee"]["id"] == me
    assert moved["state"]["activity"] is None and ids(moved["state"]["rooms"]) == ["main", room]
    state = await ada.call("state:get")
    assert state["state"]["room"]["id"] == room

    for bad, code_ in [
        ({"room": "nope"}, "not_found"),
        ({"room": ""}, "bad_request"),
        ({}, "bad_request"),
    ]:
        ack = await ada.call("room:enter", bad)
        assert ack["error"]["code"] == code_, ack
    assert (await ada.call("state:get"))["state"]["room"]["id"] == room  # unchanged

    # Resuming with the token, naming the room, is the same person in that room.
    token = ada.welcome["token"]
    await ada.disconnect()
    back = await clients.attendee(server.url, code, token=token, room=room)
    assert back.welcome["attendee"]["id"] == me and back.welcome["room"]["id"] == room
    assert (await server.services.store.count_attendees(code)) == 1

    refused = await refusal(
        server.url, {"event": code, "role": "attendee", "name": "X", "room": "nope"}
    )
    assert refused["data"]["code"] == "not_found"
    assert await server.services.store.count_attendees(code) == 1  # nobody added
    unknown = await refusal(
        server.url, {"event": "ZZZZZZ", "role": "attendee", "name": "X", "room": "nope"}
    )
    assert unknown["data"]["code"] == "unknown_event"
    refused = await refusal(server.url, {"event": code, "role": "screen", "room": "NOT A ROOM"})
    assert refused["data"]["code"] == "bad_request"
    await back.disconnect()


async def polls_in(presenter: Client, question: str) -> str:
    return await create_open(presenter, question=question, kind="single", options=["x", "y"])


async def test_each_room_hears_only_its_own_activities(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    room = (await add_room(server, event, "Breakout"))["room"]["id"]
    host = await clients.presenter(server.url, code, event["presenter_key"])
    breakout_host = await clients.presenter(server.url, code, event["presenter_key"], room=room)
    screen_main = await clients.screen(server.url, code)
    screen_room = await clients.screen(server.url, code, room=room)
    in_main = [await clients.attendee(server.url, code, f"M{i}") for i in range(3)]
    in_room = [await clients.attendee(server.url, code, f"B{i}", room=room) for i in range(2)]
    # One moves from the main room to the breakout without reconnecting.
    mover = await clients.attendee(server.url, code, "Mover")
    assert (await mover.call("room:enter", {"room": room}))["ok"]
    in_room.append(mover)

    main_poll = await polls_in(host, "Plenary question")
    room_poll = await polls_in(breakout_host, "Breakout question")
    # Both polls run at once: a room's stage does not close the other's.
    votes = await asyncio.gather(
        *(a.vote(main_poll, "a") for a in in_main), *(a.vote(room_poll, "b") for a in in_room)
    )
    assert all(v["ok"] for v in votes), votes
    # Voting in a room one is not in: that poll does not exist there.
    wrong = await in_main[0].vote(room_poll, "a")
    assert wrong["error"]["code"] == "not_found"

    main_live = await screen_main.wait_for("poll:results", lambda m: m["total"] == 3)
    room_live = await screen_room.wait_for("poll:results", lambda m: m["total"] == 3)
    assert main_live["counts"] == {"a": 3, "b": 0} and room_live["counts"] == {"a": 0, "b": 3}
    closed_main = await host.call("poll:close", {"poll_id": main_poll})
    closed_room = await breakout_host.call("poll:close", {"poll_id": room_poll})
    assert closed_main["results"]["counts"] == {"a": 3, "b": 0}
    assert closed_room["results"]["counts"] == {"a": 0, "b": 3}
    for a in in_room:
        await a.wait_for("poll:closed", lambda m: m["poll_id"] == room_poll)
    for a in in_main:
        await a.wait_for("poll:closed", lambda m: m["poll_id"] == main_poll)

    def polls_seen(client: Client) -> set[str]:
        seen = {m["poll"]["id"] for m in client.received["poll:opened"]}
        seen |= {m["poll_id"] for m in client.received["poll:closed"]}
        seen |= {m["poll_id"] for m in client.received["poll:results"]}
        seen |= {m["poll"]["id"] for m in client.received["poll:created"]}
        return seen

    for a in in_main:
        assert polls_seen(a) == {main_poll}
    for a in in_room:
        assert polls_seen(a) == {room_poll}
    assert polls_seen(screen_main) == polls_seen(host) == {main_poll}
    assert polls_seen(screen_room) == polls_seen(breakout_host) == {room_poll}
    # Each room's console lists that room's polls only.
    assert [p["id"] for p in (await host.call("poll:list"))["polls"]] == [main_poll]
    assert [p["id"] for p in (await breakout_host.call("poll:list"))["polls"]] == [room_poll]

    # Presence per room, for each room's staff, and every room's count for the main one.
    await host.wait_for(
        "presence", lambda m: m["online"] == 3 and m["rooms_online"] == {"main": 3, room: 3}
    )
    await breakout_host.wait_for("presence", lambda m: m["online"] == 3 and m["joined"] == 6)
    welcome = (await host.call("state:get"))["state"]
    assert welcome["presence"] == {"online": 3, "joined": 6}
    assert welcome["rooms_online"] == {"main": 3, room: 3}

    # Everyone back to the main room: a plenary poll reaches all six.
    for a in in_room:
        assert (await a.call("room:enter", {"room": "main"}))["ok"]
    plenary = await polls_in(host, "Everyone?")
    everyone = [*in_main, *in_room]
    acks = await asyncio.gather(*(a.vote(plenary, "a") for a in everyone))
    assert all(a["ok"] for a in acks)
    assert (await host.call("poll:close", {"poll_id": plenary}))["results"]["counts"] == {
        "a": 6,
        "b": 0,
    }
    for c in [host, breakout_host, screen_main, screen_room, *everyone]:
        await c.disconnect()


async def test_a_room_key_presents_in_its_room_only(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    one = await add_room(server, event, "One")
    two = (await add_room(server, event, "Two"))["room"]["id"]
    room, key = one["room"]["id"], one["presenter_key"]

    # The key names its room: no "room" needed; the welcome says which room it is for.
    host = await clients.presenter(server.url, code, key)
    assert host.welcome["room"]["id"] == room and host.welcome["key_room"] == room
    event_wide = await clients.presenter(server.url, code, event["presenter_key"], room=room)
    assert event_wide.welcome["key_room"] is None
    await event_wide.disconnect()
    assert await polls_in(host, "Here")
    for message, body in [
        ("room:enter", {"room": two}),
        ("room:enter", {"room": "main"}),
        ("room:create", {"title": "Mine"}),
        ("room:close", {"room": room}),
        ("room:update", {"room": room, "changes": {"title": "x"}}),
        ("room:reorder", {"order": ["main", room, two]}),
    ]:
        ack = await host.call(message, body)
        assert ack["error"]["code"] == "forbidden", (message, ack)
    assert (await host.call("room:enter", {"room": room}))["ok"]

    wrong_room = await refusal(
        server.url, {"event": code, "role": "presenter", "key": key, "room": two}
    )
    assert wrong_room["data"]["code"] == "forbidden"
    bad = await refusal(server.url, {"event": code, "role": "presenter", "key": "nope"})
    assert bad["data"]["code"] == "bad_key"
    await host.disconnect()


async def test_programme_changes_and_closing_a_room(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    host = await clients.presenter(server.url, code, event["presenter_key"])
    created = await host.call("room:create", {"title": "Breakout", "ends_at": 5_000})
    assert created["ok"] and created["presenter_key"], created
    room = created["room"]["id"]
    ada = await clients.attendee(server.url, code, "Ada", room=room)
    bob = await clients.attendee(server.url, code, "Bob")
    poll = await polls_in(host, "Main")
    assert (await host.call("room:enter", {"room": room}))["ok"]
    room_poll = await polls_in(host, "In the breakout")

    renamed = await host.call("room:update", {"room": room, "changes": {"title": "Workshop"}})
    assert renamed["room"]["title"] == "Workshop"
    for c in (ada, bob):
        await c.wait_for("room:programme", lambda m: m["rooms"][1]["title"] == "Workshop")
    reordered = await host.call("room:reorder", {"order": [room, "main"]})
    assert ids(reordered["rooms"]) == [room, "main"]

    closed = await host.call("room:close", {"room": room})
    assert closed["ok"] and closed["room"]["closed"] is True
    notice = await ada.wait_for("room:closed")
    assert notice["room"]["id"] == room
    # Its poll was closed with the room; the main room's poll runs on.
    closing = await ada.wait_for("poll:closed")
    assert closing["poll_id"] == room_poll
    assert bob.received["room:closed"] == []
    programme = await bob.wait_for("room:programme", lambda m: m["rooms"][0]["closed"])
    assert programme["rooms"][0]["id"] == room
    status = (await server.services.store.get_activity(code, poll)).status  # type: ignore[union-attr]
    assert status == "open"
    # Nobody enters a closed room; someone coming back to it lands in the main room.
    assert (await bob.call("room:enter", {"room": room}))["error"]["code"] == "not_found"
    back = await clients.attendee(server.url, code, token=ada.welcome["token"], room=room)
    assert back.welcome["room"]["id"] == "main"
    for c in (host, ada, bob, back):
        await c.disconnect()


async def test_exports_per_room_and_per_event(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    one = await add_room(server, event, "Breakout")
    room = one["room"]["id"]
    host = await clients.presenter(server.url, code, event["presenter_key"])
    main_poll = await polls_in(host, "Main")
    assert (await host.call("room:enter", {"room": room}))["ok"]
    room_poll = await polls_in(host, "Breakout")
    ada = await clients.attendee(server.url, code, "Ada", room=room)
    assert (await ada.vote(room_poll, "b"))["ok"]

    base = f"{server.url}/api/events/{code}"
    status, whole, _ = await rest("GET", f"{base}/export", event["presenter_key"])
    assert status == 200 and ids(whole["rooms"]) == ["main", room]
    assert [(p["id"], p["room"]) for p in whole["polls"]] == [
        (main_poll, "main"),
        (room_poll, room),
    ]
    status, csv_text, _ = await rest("GET", f"{base}/export?format=csv", event["presenter_key"])
    header, *rows = csv_text.lstrip("\ufeff").splitlines()
    assert header.startswith('"activity_type","room","poll_id"')
    assert rows == [
        f'"poll","{room}","{room_poll}","Breakout","single","{ada.welcome["attendee"]["id"]}","Ada","y",'
        + rows[0].split(",", 8)[8]
    ]

    # One room's export, with the room's own key; not with another room's.
    status, part, _ = await rest("GET", f"{base}/rooms/{room}/export", one["presenter_key"])
    assert status == 200 and part["room"]["id"] == room
    assert [p["id"] for p in part["polls"]] == [room_poll]
    assert part["polls"][0]["results"]["counts"] == {"a": 0, "b": 1}
    assert "room" not in part["polls"][0]
    status, refused, _ = await rest("GET", f"{base}/rooms/main/export", one["presenter_key"])
    assert status == 403 and refused["error"]["code"] == "bad_key"
    status, main_part, _ = await rest("GET", f"{base}/rooms/main/export", event["presenter_key"])
    assert [p["id"] for p in main_part["polls"]] == [main_poll]
    for c in (host, ada):
        await c.disconnect()


async def test_the_qr_code_names_the_room_link(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    room = (await add_room(server, event, "Breakout"))["room"]["id"]
    base = server.services.settings.base_url
    status, svg, link = await rest("GET", f"{server.url}/api/events/{code}/rooms/{room}/qr.svg")
    assert status == 200 and svg.startswith("<svg") and link == f"{base}/?event={code}&room={room}"
    status, _, link = await rest("GET", f"{server.url}/api/events/{code}/rooms/main/qr.svg")
    assert status == 200 and link == f"{base}/?event={code}"
    status, body, _ = await rest("GET", f"{server.url}/api/events/{code}/rooms/zz/qr.svg")
    assert status == 404 and body["error"]["code"] == "not_found"
