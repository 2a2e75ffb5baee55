"""Who may open a connection, and look up join codes: rate limits per client IP address.

Each limit is a token bucket per address, held twice: by this process (always checked
first, so a flood is refused without a Redis round trip, and the limit still holds per
process when Redis does not answer) and, in scaled mode, by Redis (``Store.take_token``),
so the limit holds over every process and host sharing it. An address is charged once
per new engine.io session (``admit_session``); the session's first Socket.IO CONNECT is
free, any further one is charged again (``admit_join``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from plenary.errors import ErrorCode, PlenaryError, StoreUnavailable
from plenary.metrics import Metrics
from plenary.realtime.ratelimit import TokenBucket
from plenary.settings import Limits
from plenary.store import Store

log = logging.getLogger(__name__)

IDLE_FORGET_S = 120.0  # an IP quiet this long starts again with a full bucket
#: How long a check waits for Redis before this process decides alone.
SHARED_TIMEOUT_S = 1.0
#: After Redis failed to answer a check, checks are decided by this process alone this
#: long (a Redis outage must not cost every new connection a timeout).
SHARED_RETRY_S = 5.0
#: At most one log line about refusals per this many seconds (a flood costs no log).
REFUSAL_LOG_INTERVAL_S = 10.0
#: The longest address kept (X-Forwarded-For is text a client may pad).
MAX_IP_LEN = 64
#: Marks an engine.io session's environ as charged: its first CONNECT is free.
ADMITTED = "plenary.admitted"


def forwarded_ip(header: str) -> str:
    """The last address of an X-Forwarded-For header: the one our proxy added (a proxy
    that appends, as nginx's ``$proxy_add_x_forwarded_for`` does, keeps whatever the
    client sent in front of it)."""
    return header.rsplit(",", 1)[-1].strip()[:MAX_IP_LEN]


def client_ip(environ: Mapping[str, Any], trust_forwarded_for: bool) -> str:
    """The client's address: the socket peer, or the last X-Forwarded-For hop when the
    server runs behind a proxy that sets it (and only then: clients can forge it)."""
    if trust_forwarded_for:
        forwarded = forwarded_ip(str(environ.get("HTTP_X_FORWARDED_FOR", "")))
        if forwarded:
            return forwarded
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or environ.get("REMOTE_ADDR") or "unknown")[:MAX_IP_LEN]


def request_ip(request: web.BaseRequest, trust_forwarded_for: bool) -> str:
    """:func:`client_ip` of a REST request."""
    if trust_forwarded_for:
        headers = request.headers.getall("X-Forwarded-For", [])
        forwarded = forwarded_ip(headers[-1]) if headers else ""
        if forwarded:
            return forwarded
    return str(request.remote or "unknown")[:MAX_IP_LEN]


class RefusalLog:
    """Refusals in the log: the first at once, then at most one INFO line per
    REFUSAL_LOG_INTERVAL_S summing up the others (written at the first refusal after
    the interval): a flood costs counters, not log lines."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._count = 0
        self._by_ip: dict[str, int] = {}
        self._since: float | None = None

    def note(self, ip: str) -> None:
        now = time.monotonic()
        if self._since is None:
            log.info(
                "per-IP limit of %s: refused one from %s (further refusals are summed up "
                "at most every %g s)",
                self._what,
                ip,
                REFUSAL_LOG_INTERVAL_S,
            )
            self._since = now
            return
        self._count += 1
        if ip in self._by_ip or len(self._by_ip) < 64:  # bounded: the top few suffice
            self._by_ip[ip] = self._by_ip.get(ip, 0) + 1
        if now - self._since < REFUSAL_LOG_INTERVAL_S:
            return
        top, most = max(self._by_ip.items(), key=lambda item: item[1])
        log.info(
            "per-IP limit of %s: refused %d in the last %.0f s, from %s%d addresses "
            "(most from %s: %d)",
            self._what,
            self._count,
            now - self._since,
            "at least " if len(self._by_ip) >= 64 else "",
            len(self._by_ip),
            top,
            most,
        )
        self._count, self._by_ip, self._since = 0, {}, now


class SharedLimiter:
    """A token bucket per IP address, in this process and (scaled mode) in the store."""

    def __init__(
        self, scope: str, what: str, rate: float, burst: int, store: Store, metrics: Metrics
    ) -> None:
        self.scope = scope
        self.rate = rate
        self.burst = burst
        self._what = what
        self._store = store
        self._metrics = metrics
        self._buckets: dict[str, tuple[TokenBucket, float]] = {}
        self._checks = 0
        self._local_until = 0.0  # while Redis is not answering: this process decides
        self._outage_since: float | None = None
        self._refusals = RefusalLog(what)

    async def check(self, ip: str) -> None:
        """Raise ``rate_limited`` when ``ip`` goes faster than the limit."""
        wait_ms = self._take_local(ip)
        if not wait_ms and self._store.shared:
            wait_ms = await self._take_shared(ip)
        if wait_ms:
            self._refusals.note(ip)
            raise PlenaryError(
                ErrorCode.RATE_LIMITED,
                f"Too many {self._what} from your network; retry in a moment.",
                retry_after_ms=wait_ms,
            )

    def _take_local(self, ip: str) -> int:
        now = time.monotonic()
        self._checks += 1
        if self._checks % 1024 == 0:
            self._forget_idle(now)
        bucket = self._buckets.get(ip, (None, 0.0))[0] or TokenBucket(self.rate, self.burst)
        self._buckets[ip] = (bucket, now)
        wait_s = bucket.take()
        return int(wait_s * 1000) + 1 if wait_s else 0

    async def _take_shared(self, ip: str) -> int:
        if time.monotonic() < self._local_until:
            self._metrics.limit_fallbacks.labels(self.scope).inc()
            return 0
        try:
            async with asyncio.timeout(SHARED_TIMEOUT_S):
                wait_ms = await self._store.take_token(f"{self.scope}:{ip}", self.rate, self.burst)
        except Exception as exc:
            # Refusing everyone while Redis is away would take the event down with it:
            # the per-process bucket (already taken) decides for a while.
            self._local_until = time.monotonic() + SHARED_RETRY_S
            self._metrics.limit_fallbacks.labels(self.scope).inc()
            if self._outage_since is None:  # one line per outage, not per check
                self._outage_since = time.monotonic()
                # Unreachable is an outage; any other error (say Redis out of memory) a
                # fault to look into.
                outage = isinstance(exc, StoreUnavailable | TimeoutError)
                log.log(
                    logging.WARNING if outage else logging.ERROR,
                    "per-IP limit of %s: Redis did not answer (%s); each process applies "
                    "the limit alone until it does",
                    self._what,
                    exc if not outage else type(exc).__name__,
                )
            return 0
        if self._outage_since is not None:
            log.info(
                "per-IP limit of %s: shared through Redis again after %.1f s",
                self._what,
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None
        return wait_ms

    def _forget_idle(self, now: float) -> None:
        idle = [ip for ip, (_, seen) in self._buckets.items() if now - seen > IDLE_FORGET_S]
        for ip in idle:
            del self._buckets[ip]

    def __len__(self) -> int:
        return len(self._buckets)


class Admission:
    """The per-IP limits of new connections and of REST join-code lookups."""

    def __init__(
        self, store: Store, limits: Limits, metrics: Metrics, trust_forwarded_for: bool = False
    ) -> None:
        self._metrics = metrics
        self._trust_forwarded_for = trust_forwarded_for
        self.connections = SharedLimiter(
            "conn",
            "new connections",
            limits.joins_per_second_per_ip,
            limits.joins_burst_per_ip,
            store,
            metrics,
        )
        self.lookups = SharedLimiter(
            "lookup",
            "join-code lookups",
            limits.lookups_per_second_per_ip,
            limits.lookups_burst_per_ip,
            store,
            metrics,
        )
        self._connect_timeout_s = limits.connect_timeout_s
        self._idle_closed = 0
        self._idle_logged_at: float | None = None

    async def admit_session(self, environ: dict[str, Any]) -> PlenaryError | None:
        """A new engine.io session (called before it is created): None to accept it
        (its first CONNECT is then free), else the refusal."""
        try:
            await self.connections.check(client_ip(environ, self._trust_forwarded_for))
        except PlenaryError as exc:
            self._metrics.add(self._metrics.refused, 1, str(exc.code))  # once per round
            return exc
        environ[ADMITTED] = True
        return None

    async def admit_join(self, environ: dict[str, Any]) -> None:
        """A Socket.IO CONNECT: free for the first on a session admitted by
        :meth:`admit_session`, charged for any other. Raises ``rate_limited``."""
        if environ.pop(ADMITTED, False):
            return
        await self.connections.check(client_ip(environ, self._trust_forwarded_for))

    async def admit_lookup(self, request: web.BaseRequest) -> None:
        """A REST request that looks up a join code. Raises ``rate_limited``."""
        await self.lookups.check(request_ip(request, self._trust_forwarded_for))

    def closed_idle(self, count: int) -> None:
        """``count`` sessions were closed for not joining in time (in the log: the
        first at once, then at most a line per REFUSAL_LOG_INTERVAL_S)."""
        self._metrics.idle_sessions_closed.inc(count)
        self._idle_closed += count
        now = time.monotonic()
        last = self._idle_logged_at
        if last is not None and now - last < REFUSAL_LOG_INTERVAL_S:
            return
        since = "" if last is None else f" (in the last {now - last:.0f} s)"
        log.info(
            "closed %d connections that did not join within %g s%s",
            self._idle_closed,
            self._connect_timeout_s,
            since,
        )
        self._idle_closed, self._idle_logged_at = 0, now
