"""Prometheus metrics (``GET /metrics``), one set per application.

With several workers (``--workers N``) the supervisor points ``PROMETHEUS_MULTIPROC_DIR``
at a shared directory before the workers start; each worker then writes its values
there and whichever worker answers a scrape reports the sum over all of them
(prometheus-client's multi-process mode). In one process the metrics live in a registry
of their own, so tests can run several apps side by side.
"""

from __future__ import annotations

import asyncio
import os
import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LOOP_LAG_INTERVAL_S = 0.5

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class Metrics:
    """Every metric the server exports."""

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        # In multi-process mode values go to files, not to a registry.
        self.registry = None if self.multiprocess_dir else CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self._round: dict[Any, float] = {}  # see add()
        r = self.registry
        self.connected = Gauge(
            "plenary_connected_clients",
            "Connected Socket.IO clients",
            ["role", "event"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.joins = Counter("plenary_joins", "Accepted connections", ["role"], registry=r)
        self.disconnects = Counter(
            "plenary_disconnects", "Closed connections", ["role"], registry=r
        )
        self.refused = Counter(
            "plenary_connections_refused",
            "Refused connections by error code",
            ["code"],
            registry=r,
        )
        self.idle_sessions_closed = Counter(
            "plenary_idle_sessions_closed",
            "Connections closed for not joining (no accepted Socket.IO CONNECT) in time",
            registry=r,
        )
        self.limit_fallbacks = Counter(
            "plenary_rate_limit_fallbacks",
            "Per-IP limit checks decided by this process alone because Redis did not answer",
            ["limit"],
            registry=r,
        )
        self.http_errors = Counter(
            "plenary_http_errors",
            "REST error answers by code (rate_limited and bad_request included)",
            ["code"],
            registry=r,
        )
        self.messages_in = Counter(
            "plenary_messages_in", "Client events received, by event name", ["event"], registry=r
        )
        self.messages_out = Counter(
            "plenary_messages_out",
            "Broadcasts and personal messages sent, by event name",
            ["event"],
            registry=r,
        )
        self.broadcast_seconds = Histogram(
            "plenary_broadcast_seconds",
            "Time to fan one message out to its room",
            ["event"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ack_seconds = Histogram(
            "plenary_ack_seconds",
            "Time from a client event to its ack",
            ["event"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.error_acks = Counter(
            "plenary_error_acks",
            "Error acks by code (rate_limited included)",
            ["code"],
            registry=r,
        )
        # Frames below the level of events (see realtime/wire/frameguard.py).
        self.bad_frames = Counter(
            "plenary_bad_frames",
            "Client frames refused or answered bad_request, by reason "
            "(binary, malformed, flood, too_large)",
            ["reason"],
            registry=r,
        )
        self.connections_closed = Counter(
            "plenary_connections_closed",
            "Connections the server closed for what their client sent, by reason",
            ["reason"],
            registry=r,
        )
        self.redis_roundtrip = Histogram(
            "plenary_redis_roundtrip_seconds",
            "Round trip of a PING to the store",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.redis_reconnects = Counter(
            "plenary_redis_reconnects",
            "Times the pub/sub link to Redis was regained",
            registry=r,
        )
        self.pubsub_unconfirmed = Counter(
            "plenary_pubsub_unconfirmed",
            "Connections refused (unavailable) because Redis did not confirm the "
            "subscription to their event's channel in time",
            registry=r,
        )
        self.pubsub_resubscribes = Counter(
            "plenary_pubsub_resubscribes",
            "Event channels subscribed again by the watchdog after Redis left them "
            "unconfirmed (their clients then get a fresh welcome)",
            registry=r,
        )
        self.pubsub_publish_failures = Counter(
            "plenary_pubsub_publish_failures",
            "Broadcasts that could not be published to Redis (lost for other processes)",
            registry=r,
        )
        self.pubsub_messages = Counter(
            "plenary_pubsub_messages",
            "Messages published to / received from Redis pub/sub",
            ["direction"],
            registry=r,
        )
        self.loop_lag = Gauge(
            "plenary_event_loop_lag_seconds",
            "How late a timer fired on the event loop",
            registry=r,
            multiprocess_mode="max",
        )

    @contextmanager
    def timed(self, histogram: Histogram, *labels: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            (histogram.labels(*labels) if labels else histogram).observe(elapsed)

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once. prometheus-client validates the
        labels and takes a lock on every ``labels()`` call, and joins, disconnects and
        messages out would call it for every connection or message."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def add(self, metric: Any, amount: float, *labels: str) -> None:
        """``metric.labels(*labels).inc(amount)`` (a negative amount for a gauge going
        down), handed to prometheus-client at the end of this event-loop round, summed
        with the round's other additions to the same child: one lock per child and round
        rather than one per join, disconnect or message (see EventMeter)."""
        child = self.child(metric, *labels)
        pending = self._round
        if not pending:
            asyncio.get_running_loop().call_soon(self._apply_round)
        pending[child] = pending.get(child, 0.0) + amount

    def _apply_round(self) -> None:
        pending, self._round = self._round, {}
        for child, amount in pending.items():
            if amount:
                child.inc(amount)

    def event_meter(self, event: str) -> EventMeter:
        """Counts client events named ``event`` and times their acks (see EventMeter)."""
        return EventMeter(self.messages_in.labels(event), self.ack_seconds.labels(event))

    def render(self) -> bytes:
        """The text exposition format, over all workers in multi-process mode."""
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
                registry, path=self.multiprocess_dir
            )
            return generate_latest(registry)
        assert self.registry is not None
        return generate_latest(self.registry)

    async def measure_loop_lag(self) -> None:
        """One measurement: sleep a fixed interval and record how late we woke up."""
        start = time.perf_counter()
        await asyncio.sleep(LOOP_LAG_INTERVAL_S)
        self.loop_lag.set(max(0.0, time.perf_counter() - start - LOOP_LAG_INTERVAL_S))


class EventMeter:
    """``plenary_messages_in`` and ``plenary_ack_seconds`` of one client event, handed to
    prometheus-client once per event-loop round instead of once per message.

    Why: each prometheus-client call takes a lock, and an observation scans the buckets;
    in a burst of 1,000 votes that per-message cost was larger than recording the vote
    in memory. Collected during the round and added up at its end, a burst costs one
    counter increment and one increment per histogram bucket touched. A scrape runs in
    a later round, so it never sees a round half recorded."""

    def __init__(self, received: Counter, seconds: Histogram) -> None:
        self._received = received
        self._seconds = seconds
        self._pending: list[float] = []

    def record(self, seconds: float) -> None:
        """One event, acked ``seconds`` after it arrived."""
        pending = self._pending
        if not pending:
            asyncio.get_running_loop().call_soon(self.flush)
        pending.append(seconds)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            self._received.inc(len(pending))
            observe_all(self._seconds, pending)


def observe_all(histogram: Histogram, amounts: Sequence[float]) -> None:
    """``histogram.observe(a)`` for each of ``amounts``, with one increment per bucket.
    Uses prometheus-client's histogram internals (``_upper_bounds``, ``_buckets``,
    ``_sum``: non-cumulative bucket values, as ``observe`` updates them); a version
    without them gets one ``observe`` per amount."""
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        for amount in amounts:
            histogram.observe(amount)
        return
    counts = [0] * len(bounds)
    for amount in amounts:
        counts[bisect_left(bounds, amount)] += 1  # the first bound >= amount
    total.inc(sum(amounts))
    for value, count in zip(buckets, counts, strict=True):
        if count:
            value.inc(count)


def mark_worker_dead(pid: int) -> None:
    """Tell the multi-process collector a worker is gone (its live gauges stop counting)."""
    if os.environ.get(MULTIPROC_ENV):
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
