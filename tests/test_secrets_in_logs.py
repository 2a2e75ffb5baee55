"""Secrets never reach the logs: admin token, presenter keys, resume tokens."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.support import clients
from tests.support.server import ADMIN_TOKEN, create_event, running_server
from tests.test_connect import refusal


async def test_a_full_scenario_logs_no_secret(
    caplog: pytest.LogCaptureFixture, redis_url: str | None
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_server(redis_url) as server:
        event = await create_event(server.url)
        presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
        ada = await clients.attendee(server.url, event["code"], "Ada")
        token = ada.welcome["token"]
        created = await presenter.call("poll:create", {"question": "Q", "kind": "wordcloud"})
        poll_id = created["poll"]["id"]
        await presenter.call("poll:open", {"poll_id": poll_id})
        await ada.vote(poll_id, "secretive answer")
        await ada.disconnect()
        again = await clients.attendee(server.url, event["code"], token=token)
        # A refused attempt carrying a secret is logged without it, too.
        refused = await refusal(
            server.url, {"event": event["code"], "role": "presenter", "key": "guess-" + token}
        )
        assert refused["data"]["code"] == "bad_key"
        headers = {"Authorization": f"Bearer {event['presenter_key']}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{server.url}/api/events/{event['code']}/export", headers=headers
            ) as response,
        ):
            assert response.status == 200
        await presenter.call("poll:close", {"poll_id": poll_id})
        for c in (presenter, again):
            await c.disconnect()
    text = caplog.text
    assert text, "the scenario logged something"
    for secret in (ADMIN_TOKEN, event["presenter_key"], token):
        assert secret not in text
