"""Who may open a connection: a join rate limit per client IP address."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from plenary.errors import ErrorCode, PlenaryError
from plenary.realtime.ratelimit import TokenBucket

IDLE_FORGET_S = 120.0  # an IP quiet this long starts again with a full bucket


def client_ip(environ: Mapping[str, Any], trust_forwarded_for: bool) -> str:
    """The client's address: the socket peer, or the first X-Forwarded-For hop when the
    server runs behind a proxy that sets it (and only then: clients can forge it)."""
    if trust_forwarded_for:
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")[0].strip()
        if forwarded:
            return forwarded
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or environ.get("REMOTE_ADDR") or "unknown")


class JoinLimiter:
    """A token bucket per IP address for new connections."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[TokenBucket, float]] = {}
        self._checks = 0

    def check(self, ip: str) -> None:
        """Raise ``rate_limited`` when ``ip`` opens connections too fast."""
        now = time.monotonic()
        self._checks += 1
        if self._checks % 1024 == 0:
            self._forget_idle(now)
        bucket = self._buckets.get(ip, (None, 0.0))[0] or TokenBucket(self.rate, self.burst)
        self._buckets[ip] = (bucket, now)
        wait_s = bucket.take()
        if wait_s:
            raise PlenaryError(
                ErrorCode.RATE_LIMITED,
                "Too many connections from your network; retry in a moment.",
                retry_after_ms=int(wait_s * 1000) + 1,
            )

    def _forget_idle(self, now: float) -> None:
        idle = [ip for ip, (_, seen) in self._buckets.items() if now - seen > IDLE_FORGET_S]
        for ip in idle:
            del self._buckets[ip]

    def __len__(self) -> int:
        return len(self._buckets)
