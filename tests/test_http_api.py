"""REST: creating events, event info, health, exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import aiohttp
import pytest

from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import ADMIN_TOKEN, RunningServer, running_server


async def request(
    method: str, url: str, token: str | None = None, **kwargs: Any
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, headers=headers, **kwargs) as response,
    ):
        if response.content_type == "application/json":
            body: Any = await response.json()
        else:
            body = await response.text()
        return response.status, body, response.headers


async def test_create_event(server: RunningServer) -> None:
    status, body, _ = await request(
        "POST", server.url + "/api/events", ADMIN_TOKEN, json={"title": "  Day  one "}
    )
    assert status == 201
    assert body["title"] == "Day one"
    assert len(body["code"]) == 6 and body["code"].isalnum() and body["code"].isupper()
    assert len(body["presenter_key"]) >= 32
    assert body["urls"]["presenter"].endswith(
        f"/presenter#event={body['code']}&key={body['presenter_key']}"
    )
    assert body["urls"]["attendee"].endswith(f"/?event={body['code']}")
    status, info, _ = await request("GET", f"{server.url}/api/events/{body['code'].lower()}")
    assert (status, info) == (200, {"code": body["code"], "title": "Day one"})


@pytest.mark.parametrize(
    ("token", "body", "status", "code"),
    [
        (None, {"title": "x"}, 401, "unauthorized"),
        ("wrong", {"title": "x"}, 403, "bad_key"),
        (ADMIN_TOKEN, {"title": ""}, 400, "bad_request"),
        (ADMIN_TOKEN, {"title": "t" * 121}, 400, "too_long"),
        (ADMIN_TOKEN, ["title"], 400, "bad_request"),
        (ADMIN_TOKEN, "not json", 400, "bad_request"),
    ],
)
async def test_create_event_errors(
    server: RunningServer, token: str | None, body: Any, status: int, code: str
) -> None:
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    got, answer, _ = await request("POST", server.url + "/api/events", token, **kwargs)
    assert (got, answer["error"]["code"]) == (status, code)
    assert answer["error"]["message"]
    assert await server.services.store.list_events() == []


async def test_unknown_event(server: RunningServer) -> None:
    status, body, _ = await request("GET", server.url + "/api/events/NOPE99")
    assert (status, body["error"]["code"]) == (404, "unknown_event")


async def test_healthz(server: RunningServer, backend: str) -> None:
    status, body, _ = await request("GET", server.url + "/healthz")
    assert (status, body["status"], body["store"]) == (200, "ok", backend)
    assert body["process"] == server.services.process_id


async def test_healthz_and_votes_while_redis_is_down() -> None:
    redis_proc = RedisProcess().start()
    try:
        async with running_server(redis_proc.url) as server:
            from tests.support.server import create_event

            event = await create_event(server.url)
            presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
            ada = await clients.attendee(server.url, event["code"], "Ada")
            created = await presenter.call("poll:create", {"question": "Q", "kind": "rating"})
            poll_id = created["poll"]["id"]
            await presenter.call("poll:open", {"poll_id": poll_id})
            redis_proc.stop()
            status, body, _ = await request("GET", server.url + "/healthz")
            assert (status, body["status"]) == (503, "unavailable")
            ack = await ada.vote(poll_id, 4, vote_id="while-down")
            assert ack["ok"] is False and ack["error"]["code"] == "unavailable"
            redis_proc.start()
            status, _, _ = await request("GET", server.url + "/healthz")
            assert status == 200
            # Redis kept nothing (no persistence in this test); the server itself recovers.
            await ada.disconnect()
            await presenter.disconnect()
    finally:
        redis_proc.cleanup()


async def test_export_json_and_csv(server: RunningServer, event: dict[str, str]) -> None:
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    ada = await clients.attendee(server.url, event["code"], "Ada", organisation="ACME")
    bob = await clients.attendee(server.url, event["code"], "Bob, Jr.")
    created = await presenter.call(
        "poll:create", {"question": "Pick", "kind": "multiple", "options": ["Tea", "Coffee"]}
    )
    poll_id = created["poll"]["id"]
    await presenter.call("poll:open", {"poll_id": poll_id})
    assert (await ada.vote(poll_id, ["a", "b"]))["ok"]
    assert (await bob.vote(poll_id, ["b"]))["ok"]
    await presenter.call("poll:close", {"poll_id": poll_id})
    url = f"{server.url}/api/events/{event['code']}/export"

    status, data, headers = await request("GET", url, event["presenter_key"])
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    assert data["event"]["code"] == event["code"]
    assert sorted(a["name"] for a in data["attendees"]) == ["Ada", "Bob, Jr."]
    (poll,) = data["polls"]
    assert poll["results"]["counts"] == {"a": 1, "b": 2} and poll["status"] == "closed"
    ids = {a["name"]: a["id"] for a in data["attendees"]}
    answers = {a["attendee_id"]: (a["value"], a["labels"]) for a in poll["answers"]}
    assert answers == {
        ids["Ada"]: (["a", "b"], ["Tea", "Coffee"]),
        ids["Bob, Jr."]: (["b"], ["Coffee"]),
    }
    text = str(data)
    assert event["presenter_key"] not in text and ada.welcome["token"] not in text

    status, body, headers = await request("GET", url + "?format=csv", event["presenter_key"])
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted((r["attendee_name"], r["answer"]) for r in rows) == [
        ("Ada", "Tea; Coffee"),
        ("Bob, Jr.", "Coffee"),
    ]
    assert {r["poll_id"] for r in rows} == {poll_id}

    for token, expected in [(None, 401), ("wrong", 403), (ada.welcome["token"], 403)]:
        assert (await request("GET", url, token))[0] == expected
    assert (await request("GET", url + "?format=xml", event["presenter_key"]))[0] == 400
    for c in (presenter, ada, bob):
        await c.disconnect()


async def test_pages_are_served(server: RunningServer) -> None:
    for path in ("/", "/presenter", "/screen"):
        status, body, headers = await request("GET", server.url + path)
        assert status == 200 and headers["Content-Type"].startswith("text/html"), path
    status, body, _ = await request("GET", server.url + "/static/vendor/socket.io.min.js")
    assert status == 200 and "io" in body
