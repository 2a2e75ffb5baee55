"""What an event asks of people who join, on both backends: a name required, optional
or not asked; organisation and country asked or not; set over REST or from the console."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from plenary.errors import PlenaryError
from plenary.join_form import JoinForm, parse_join_form
from tests.support import clients
from tests.support.server import ADMIN_TOKEN, RunningServer
from tests.test_connect import refusal
from tests.test_rooms_live import add_room, rest


def test_a_join_form_is_parsed_strictly() -> None:
    assert parse_join_form({}) == JoinForm()
    assert parse_join_form({"name": "none", "country": False}) == JoinForm("none", True, False)
    kept = parse_join_form({"organisation": False}, JoinForm("optional", True, False))
    assert kept == JoinForm("optional", False, False)
    for bad in ({"name": "maybe"}, {"country": "no"}, {"colour": 1}, ["name"], None):
        with pytest.raises(PlenaryError):
            parse_join_form(bad)
    assert JoinForm.from_dict({}) == JoinForm()


async def nameless_attendee(server: RunningServer, code: str) -> clients.Client:
    client = clients.Client(server.url, {"event": code, "role": "attendee", "name": ""})
    await client.connect()
    await client.wait_for("welcome")
    return client


async def create(server: RunningServer, body: dict[str, Any]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.url}/api/events",
            json=body,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as response,
    ):
        return response.status, await response.json()


async def test_an_anonymous_event_keeps_no_names(server: RunningServer) -> None:
    status, event = await create(
        server, {"title": "Town hall", "join": {"name": "none", "organisation": False}}
    )
    assert status == 201
    code = event["code"]
    _, info, _ = await rest("GET", f"{server.url}/api/events/{code}/join")
    assert info["join"] == {"name": "none", "organisation": False, "country": True}
    ada = await clients.attendee(
        server.url, code, "Ada Lovelace", organisation="ACME", country="PT"
    )
    me = ada.welcome["attendee"]
    assert me["name"].startswith("Guest ") and me["organisation"] is None and me["country"] == "PT"
    nameless = await nameless_attendee(server, code)
    assert nameless.welcome["attendee"]["name"].startswith("Guest ")
    names = [a.name for a in await server.services.store.list_attendees(code)]
    assert "Ada Lovelace" not in names
    for c in (ada, nameless):
        await c.disconnect()


async def test_the_organiser_changes_the_join_form(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    url = f"{server.url}/api/events/{code}/join"
    refused = await refusal(server.url, {"event": code, "role": "attendee", "name": ""})
    assert refused["data"]["code"] == "name_required"

    status, body, _ = await rest("PATCH", url, event["presenter_key"], {"name": "optional"})
    assert status == 200 and body["join"] == {
        "name": "optional",
        "organisation": True,
        "country": True,
    }
    room = await add_room(server, event, "Breakout")
    for token, payload, expected in [
        (None, {"name": "none"}, (401, "unauthorized")),
        (room["presenter_key"], {"name": "none"}, (403, "bad_key")),
        (ADMIN_TOKEN, {"name": "nobody"}, (400, "bad_request")),
        (ADMIN_TOKEN, {"title": "New"}, (400, "bad_request")),
        (ADMIN_TOKEN, ["name"], (400, "bad_request")),
    ]:
        status, body, _ = await rest("PATCH", url, token, payload)
        assert (status, body["error"]["code"]) == expected, payload
    # Another process reads the form within a couple of seconds; this one at once.
    guest = await nameless_attendee(server, code)
    assert guest.welcome["attendee"]["name"].startswith("Guest ")

    host = await clients.presenter(server.url, code, event["presenter_key"])
    changed = await host.call("event:join_form", {"join": {"name": "required", "country": False}})
    assert changed["join"] == {"name": "required", "organisation": True, "country": False}
    room_host = await clients.presenter(server.url, code, room["presenter_key"])
    forbidden = await room_host.call("event:join_form", {"join": {"name": "none"}})
    assert forbidden["error"]["code"] == "forbidden"
    bad = await host.call("event:join_form", {"join": {"name": 1}})
    assert bad["error"]["code"] == "bad_request"
    ada = await clients.attendee(server.url, code, "Ada", country="PT")
    assert ada.welcome["attendee"]["country"] is None
    _, info, _ = await rest("GET", url)
    assert info["join"] == {"name": "required", "organisation": True, "country": False}
    for c in (guest, host, room_host, ada):
        await c.disconnect()
