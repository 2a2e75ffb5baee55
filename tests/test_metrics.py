"""GET /metrics: Prometheus counters move as they should, guarded, multi-process aware."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import clients
from tests.support.redis_proc import RedisProcess
from tests.support.server import create_event, create_event_sync, running_server
from tests.test_workers import Workers


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics", headers=headers) as r:
        return r.status, await r.text()


async def test_counters_follow_a_scenario(redis_url: str | None) -> None:
    async with running_server(redis_url) as server:
        event = await create_event(server.url)
        code = event["code"]
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        ada = await clients.attendee(server.url, code, "Ada")
        created = await presenter.call("poll:create", {"question": "Q", "kind": "rating"})
        poll_id = created["poll"]["id"]
        await presenter.call("poll:open", {"poll_id": poll_id})
        assert (await ada.vote(poll_id, 3))["ok"]
        assert (await ada.vote("p_missing", 3))["error"]["code"] == "not_found"
        assert (await ada.call("poll:close", {"poll_id": poll_id}))["error"]["code"] == "forbidden"
        status, text = await scrape(server.url)
        assert status == 200
        assert value(text, "plenary_joins_total", role="attendee") == 1
        assert value(text, "plenary_joins_total", role="presenter") == 1
        assert value(text, "plenary_connected_clients", role="attendee", event=code) == 1
        assert value(text, "plenary_messages_in_total", event="poll:vote") == 2
        assert value(text, "plenary_ack_seconds_count", event="poll:vote") == 2
        assert value(text, "plenary_error_acks_total", code="not_found") == 1
        assert value(text, "plenary_error_acks_total", code="forbidden") == 1
        assert value(text, "plenary_messages_out_total", event="poll:opened") == 1
        assert value(text, "plenary_broadcast_seconds_count", event="poll:opened") == 1
        assert value(text, "plenary_messages_out_total", event="welcome") == 2
        await ada.disconnect()
        await asyncio.sleep(0.2)
        _, text = await scrape(server.url)
        assert value(text, "plenary_connected_clients", role="attendee", event=code) == 0
        assert value(text, "plenary_disconnects_total", role="attendee") == 1
        assert "plenary_event_loop_lag_seconds" in text
        assert value(text, "plenary_redis_roundtrip_seconds_count") >= 1  # heartbeat ran
        await presenter.disconnect()


async def test_refusals_are_counted() -> None:
    async with running_server() as server:
        from tests.test_connect import refusal

        await refusal(server.url, {"event": "NOPE22", "role": "screen"})
        _, text = await scrape(server.url)
        assert value(text, "plenary_connections_refused_total", code="unknown_event") == 1


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("wrong", 403), ("m-secret", 200)])
async def test_metrics_token(token: str | None, status: int) -> None:
    async with running_server(metrics_token="m-secret") as server:
        assert (await scrape(server.url, token))[0] == status


def test_workers_report_the_sum(redis_proc: RedisProcess) -> None:
    redis_proc.flush()
    workers = Workers(redis_proc.url, 2)
    try:
        workers.wait_ready()
        event = create_event_sync(workers.url)

        async def connect_and_scrape() -> list[float]:
            people = await asyncio.gather(
                *(clients.attendee(workers.url, event["code"], f"M{i}") for i in range(8))
            )
            totals = []
            for _ in range(6):  # scrapes land on either worker: all must see 8
                text = await asyncio.to_thread(
                    lambda: (
                        requests.get(
                            workers.url + "/metrics", headers={"Connection": "close"}, timeout=5
                        ).text
                    )
                )
                totals.append(
                    value(text, "plenary_connected_clients", role="attendee", event=event["code"])
                )
            for p in people:
                await p.disconnect()
            return totals

        assert asyncio.run(connect_and_scrape()) == [8.0] * 6
    finally:
        workers.stop()
