"""GET /metrics: Prometheus counters move as they should, guarded, multi-process aware."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import requests
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from plenary.metrics import LATENCY_BUCKETS, Metrics, observe_all
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


def test_observing_a_round_at_once_equals_observing_each() -> None:
    """EventMeter hands a round's ack times to the histogram in one go: every bucket,
    the count and the sum must come out as one ``observe`` per message gives them,
    boundaries included (a value equal to a bound falls in that bound's bucket)."""
    amounts = [0.0, 0.001, 0.0011, 0.0025, 0.003, 0.05, 0.0500001, 0.7, 2.5, 9.0, 60.0] * 3
    registry = CollectorRegistry()
    one_by_one = Histogram("one", "x", ["event"], buckets=LATENCY_BUCKETS, registry=registry)
    at_once = Histogram("many", "x", ["event"], buckets=LATENCY_BUCKETS, registry=registry)
    for amount in amounts:
        one_by_one.labels("v").observe(amount)
    observe_all(at_once.labels("v"), amounts)
    text = generate_latest(registry).decode()
    got = {(n.replace("many", "one"), ls): v for (n, ls), v in samples(text).items() if "many" in n}
    want = {
        k: v for k, v in samples(text).items() if k[0].startswith("one") and "created" not in k[0]
    }
    got = {k: v for k, v in got.items() if "created" not in k[0]}
    assert got == want
    assert value(text, "many_count", event="v") == len(amounts)
    assert value(text, "many_bucket", event="v", le="0.001") == 6  # 0.0 and 0.001, 3 times


async def test_event_meter_records_a_round_when_it_ends() -> None:
    metrics = Metrics()
    meter = metrics.event_meter("poll:vote")
    for seconds in (0.002, 0.004, 0.3):
        meter.record(seconds)
    text = metrics.render().decode()
    assert value(text, "plenary_messages_in_total", event="poll:vote") == 0  # not yet
    await asyncio.sleep(0)  # the round ends
    text = metrics.render().decode()
    assert value(text, "plenary_messages_in_total", event="poll:vote") == 3
    assert value(text, "plenary_ack_seconds_count", event="poll:vote") == 3
    assert value(text, "plenary_ack_seconds_bucket", event="poll:vote", le="0.005") == 2
    assert value(text, "plenary_ack_seconds_sum", event="poll:vote") == pytest.approx(0.306)


async def test_additions_of_a_round_reach_prometheus_when_it_ends() -> None:
    metrics = Metrics()

    def sample(name: str, labels: dict[str, str]) -> float | None:
        return metrics.registry.get_sample_value(name, labels)  # type: ignore[union-attr]

    for _ in range(5):
        metrics.add(metrics.joins, 1, "attendee")
        metrics.add(metrics.connected, 1, "attendee", "CODE01")
    metrics.add(metrics.connected, -1, "attendee", "CODE01")
    assert sample("plenary_joins_total", {"role": "attendee"}) in (None, 0.0)  # not yet
    await asyncio.sleep(0)  # the round ends
    assert sample("plenary_joins_total", {"role": "attendee"}) == 5.0
    assert sample("plenary_connected_clients", {"role": "attendee", "event": "CODE01"}) == 4.0
