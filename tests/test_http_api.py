"""REST: creating events, event info, health, exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import aiohttp
import pytest

from plenary.settings import Limits
from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import ADMIN_TOKEN, RunningServer, create_event, running_server
from tests.test_metrics import scrape, value


async def request(
    method: str,
    url: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
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


def nested(depth: int) -> str:
    """A JSON object whose "extra" field nests lists so the whole is ``depth`` deep."""
    return '{"title": "Deep", "extra": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        # 40 KB of nesting: the standard library's parser raised RecursionError (500).
        ('{"title": ' + "[" * 20_000 + "]" * 20_000 + "}", 400, "bad_request", "larger than"),
        ('{"title": ' + "[" * 8_000 + "]" * 8_000 + "}", 400, "bad_request", "deeper than"),
        (nested(33), 400, "bad_request", "deeper than 32"),
        (nested(32), 201, None, None),
        ('{"title": "' + "x" * 70_000 + '"}', 400, "bad_request", "larger than 16384"),
        ('{"title": NaN}', 400, "bad_request", "must be JSON"),
        (b'{"title": "\xff"}', 400, "bad_request", "must be JSON"),
    ],
)
async def test_create_event_bounds_its_body(
    server: RunningServer, body: str | bytes, status: int, code: str | None, message: str | None
) -> None:
    got, answer, _ = await request("POST", server.url + "/api/events", ADMIN_TOKEN, data=body)
    assert got == status, answer
    if code is not None:
        assert answer["error"]["code"] == code and message in answer["error"]["message"]
        assert await server.services.store.list_events() == []


async def test_bodies_are_bounded_without_content_length_and_everywhere(
    server: RunningServer,
) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b" " * 1024  # 40 KB of white space, chunked: no Content-Length
        yield b'{"title": "Late"}'

    got, answer, _ = await request("POST", server.url + "/api/events", ADMIN_TOKEN, data=chunks())
    assert (got, answer["error"]["code"]) == (400, "bad_request")
    for method, path in [("GET", "/healthz"), ("POST", "/api/events/ABCDEF/end")]:
        got, answer, _ = await request(method, server.url + path, ADMIN_TOKEN, data=b"x" * 20_000)
        assert (got, answer["error"]["code"]) == (400, "bad_request"), path
    assert await server.services.store.list_events() == []
    _, text = await scrape(server.url)
    assert value(text, "plenary_http_errors_total", code="bad_request") == 3


async def test_join_code_lookups_are_limited_per_ip(redis_url: str | None) -> None:
    """GET /api/events/{code} and the export (both tell an unknown code apart) share a
    per-IP bucket; behind a proxy the address is the last X-Forwarded-For hop, the one
    the proxy added, so a client cannot pick a fresh address per request."""
    limits = Limits(lookups_per_second_per_ip=0.5, lookups_burst_per_ip=3)
    async with running_server(redis_url, limits=limits, trust_forwarded_for=True) as server:
        event = await create_event(server.url)

        async def lookup(path: str, forged: int) -> tuple[int, Any, Any]:
            headers = {"X-Forwarded-For": f"203.0.113.{forged}, 198.51.100.1"}
            return await request("GET", server.url + path, headers=headers)

        answers = [
            await lookup(f"/api/events/{event['code']}", 1),
            await lookup("/api/events/NOPE99", 2),
            await lookup(f"/api/events/{event['code']}/export", 3),
            await lookup(f"/api/events/{event['code']}", 4),
            await lookup(f"/api/events/{event['code']}/export", 5),
        ]
        assert [a[0] for a in answers] == [200, 404, 401, 429, 429]
        error = answers[3][1]["error"]
        assert error["code"] == "rate_limited" and 0 < error["retry_after_ms"] <= 2001
        assert answers[3][2]["Retry-After"] in ("1", "2")
        # Another address has its own bucket.
        status, _, _ = await request(
            "GET",
            f"{server.url}/api/events/{event['code']}",
            headers={"X-Forwarded-For": "198.51.100.2"},
        )
        assert status == 200
