"""Property-based fuzzing (hypothesis): random and malformed payloads to every Socket.IO
event and REST endpoint, as each role. The server must stay up, answer every event with
an ok or an error ack carrying a known code, and change nothing the role may not change."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plenary.errors import ErrorCode
from plenary.settings import Limits
from tests.support.server import ADMIN_TOKEN, running_server

CODES = {c.value for c in ErrorCode}
FIELDS = ["poll_id", "choice", "vote_id", "question", "kind", "options", "scale", "event"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    st.text(max_size=60),
    st.sampled_from(["a", "b", "single", "rating", "wordcloud", "p_x", "", " ", "<b>"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=12,
)
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={f: json_values for f in FIELDS}),
)


class Harness:
    """The real server in a background thread (its own event loop), for sync clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready: Future[Any] = Future()
        self.stop = asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),))
        self.thread.start()
        self.url, self.services = self.ready.result(timeout=30)

    async def _main(self) -> None:
        # A generous rate limit: the fuzzer must reach the handlers, not the limiter.
        limits = Limits(
            events_per_second=10_000,
            events_burst=10_000,
            lookups_per_second_per_ip=10_000,
            lookups_burst_per_ip=10_000,
        )
        async with running_server(None, limits=limits) as server:
            self.ready.set_result((server.url, server.services))
            await self.stop.wait()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


@pytest.fixture(scope="module")
def harness() -> Iterator[dict[str, Any]]:
    h = Harness()
    event = requests.post(
        h.url + "/api/events",
        json={"title": "Fuzz"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    ).json()
    code, key = event["code"], event["presenter_key"]
    presenter = socketio.Client()
    presenter.connect(
        h.url,
        auth={"event": code, "role": "presenter", "key": key},
        transports=["websocket"],
        wait_timeout=10,
    )
    polls = {}
    for kind, extra in [("single", {"options": ["x", "y"]}), ("rating", {}), ("wordcloud", {})]:
        ack = presenter.call("poll:create", {"question": kind, "kind": kind, **extra})
        polls[kind] = ack["poll"]["id"]
    presenter.call("poll:open", {"poll_id": polls["single"]})
    roles = {}
    for role, auth in [
        ("attendee", {"event": code, "role": "attendee", "name": "Fuzzy"}),
        ("screen", {"event": code, "role": "screen"}),
        ("presenter", {"event": code, "role": "presenter", "key": key}),
    ]:
        client = socketio.Client()
        client.connect(h.url, auth=auth, transports=["websocket"], wait_timeout=10)
        roles[role] = client
    yield {"h": h, "code": code, "key": key, "roles": roles, "presenter": presenter, "polls": polls}
    for client in [presenter, *roles.values()]:
        client.disconnect()
    h.close()


def poll_state(ctx: dict[str, Any]) -> list[tuple[Any, ...]]:
    listing = ctx["presenter"].call("poll:list", {}, timeout=10)
    return [(p["id"], p["status"], p["revealed"], p["question"]) for p in listing["polls"]]


def check_ack(ack: Any) -> None:
    assert isinstance(ack, dict), ack
    if ack["ok"] is not True:
        assert ack["ok"] is False and ack["error"]["code"] in CODES, ack
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
        assert ack["error"]["code"] != "internal", ack


EVENTS = [
    "poll:create",
    "poll:open",
    "poll:close",
    "poll:reveal",
    "poll:list",
    "poll:vote",
    "state:get",
]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("role", ["attendee", "screen"])
@FUZZ
@given(event=st.sampled_from(EVENTS), payload=payloads, use_poll=st.booleans())
def test_non_presenters_cannot_change_polls(
    harness: dict[str, Any], role: str, event: str, payload: Any, use_poll: bool
) -> None:
    if use_poll and isinstance(payload, dict):
        payload = {**payload, "poll_id": harness["polls"]["single"]}
    before = poll_state(harness)
    ack = harness["roles"][role].call(event, payload, timeout=10)
    check_ack(ack)
    presenter_only = event in ("poll:create", "poll:open", "poll:close", "poll:reveal")
    if presenter_only or (event == "poll:vote" and role == "screen"):
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert poll_state(harness) == before
    # One attendee: the open poll never counts more than one answer.
    total = (
        harness["h"]
        .run(harness["h"].services.store.get_tally(harness["code"], harness["polls"]["single"]))
        .total
    )
    assert total <= 1


@FUZZ
@given(event=st.sampled_from(EVENTS), payload=payloads)
def test_presenter_gets_acks_never_crashes(
    harness: dict[str, Any], event: str, payload: Any
) -> None:
    ack = harness["roles"]["presenter"].call(event, payload, timeout=10)
    check_ack(ack)
    assert requests.get(harness["h"].url + "/healthz", timeout=5).status_code == 200


@FUZZ
@given(
    body=json_values,
    # Header-safe characters (requests sends latin-1; aiohttp itself rejects control
    # characters with a plain 400 before any handler runs).
    token=st.one_of(
        st.none(),
        st.text(
            alphabet=st.characters(
                min_codepoint=0x21, max_codepoint=0xFF, exclude_categories=["Cc"]
            ),
            max_size=40,
        ),
        st.just(ADMIN_TOKEN),
    ),
    fmt=st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["json", "csv"])),
    code=st.one_of(st.text(alphabet="ABCDEFGHJK23456789abc%/.", max_size=8), st.just("FUZZ")),
)
def test_rest_endpoints(
    harness: dict[str, Any], body: Any, token: str | None, fmt: str | None, code: str
) -> None:
    url = harness["h"].url
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    created = requests.post(
        url + "/api/events",
        data=json.dumps(body),  # NaN and Infinity included: not every client is polite
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert created.status_code in (201, 400, 401, 403), created.text
    if created.status_code != 201:
        assert created.json()["error"]["code"] in CODES
    export = requests.get(
        f"{url}/api/events/{code or 'X'}/export",
        params={"format": fmt} if fmt is not None else {},
        headers={"Authorization": f"Bearer {harness['key']}"},
        timeout=10,
    )
    assert export.status_code in (200, 400, 403, 404), export.text
    info = requests.get(f"{url}/api/events/{code or 'X'}", timeout=10)
    assert info.status_code in (200, 400, 404)
    # Admin endpoints: only the admin token may end, purge or look.
    plain = "".join(c for c in code if c.isalnum()) or "X"  # a path that routes
    for method, path in [
        ("POST", f"/api/events/{plain}/end"),
        ("DELETE", f"/api/events/{plain}"),
        ("GET", "/api/admin/overview"),
    ]:
        if token == ADMIN_TOKEN and path != "/api/admin/overview":
            continue  # the valid token would really end events; tested elsewhere
        answer = requests.request(method, url + path, headers=headers, timeout=10)
        if token != ADMIN_TOKEN:
            assert answer.status_code in (401, 403), (method, path, answer.text)
        else:
            assert answer.status_code == 200
    assert harness["h"].run(harness["h"].services.store.get_event(harness["code"])) is not None
