"""Configurable limits at the door: joins per IP, attendees per event, allowed origins."""

from __future__ import annotations

import pytest
import socketio

from plenary.settings import Limits
from tests.support import clients
from tests.support.server import create_event, running_server
from tests.test_connect import refusal


async def test_joins_per_ip_are_limited(redis_url: str | None) -> None:
    limits = Limits(joins_per_second_per_ip=0.5, joins_burst_per_ip=3)
    async with running_server(redis_url, limits=limits) as server:
        event = await create_event(server.url)
        joined = [await clients.attendee(server.url, event["code"], f"P{i}") for i in range(3)]
        data = await refusal(
            server.url, {"event": event["code"], "role": "attendee", "name": "Fourth"}
        )
        assert data["data"]["code"] == "rate_limited" and data["data"]["retry_after_ms"] > 0
        assert await server.services.store.count_attendees(event["code"]) == 3
        for c in joined:
            await c.disconnect()


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
